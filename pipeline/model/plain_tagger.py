"""The tagger's forward pass in plain torch, for restoring.

`DestemTagger` (tagger.py) is built on `transformers`' BertModel, which training needs and
restoring does not: importing it costs 4–6 s here, more than half of a one-line restore.
`PlainTagger` loads the same folder (config.json and safetensors weights, under the same names)
without importing transformers, and computes what DestemTagger computes in eval mode, op for op
(the same SDPA call, padding mask, GELU and LayerNorm), so its logits are bit for bit the same:
tests/test_plain_tagger.py holds the two equal. A SmolLM2-initialized tagger (`encoder_type`
"llama") has smollm2.LlamaEncoder, plain torch already, in both classes.
"""
from __future__ import annotations

import json
import os
from types import SimpleNamespace

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..text.forward import DEFAULT_PIPELINE
from .smollm2 import LlamaEncoder

WEIGHTS_FILE = "model.safetensors"
WEIGHTS_INDEX = "model.safetensors.index.json"  # a folder saved with max_shard_size
LAYER_NORM_EPS = 1e-12  # BertConfig's default, which DestemConfig.encoder_config keeps


def pick_device(device: str = "auto") -> torch.device:
    """The torch device for "auto" (CUDA if present), "cpu" or "cuda" (refused when absent)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available")
    return torch.device(device)


def runs_bf16(device: torch.device) -> bool:
    """Whether restoring runs the tagger under bf16 autocast there: ~1.7x faster where the hardware has
    bf16 (AVX-512/AMX CPUs, GPUs), slow elsewhere."""
    return device.type == "cuda" or torch.backends.cpu.get_cpu_capability() in ("AVX512", "AMX")


class TaggerConfig(SimpleNamespace):
    """config.json's fields as attributes, as DestemConfig gives them (restoring reads the labels,
    decoding settings, pipeline and calibration; setting one, as `destem calibrate` does, is kept)."""

    @classmethod
    def from_file(cls, path: str) -> "TaggerConfig":
        with open(path, encoding="utf-8") as f:
            fields = json.load(f)
        fields.setdefault("type_vocab_size", 1)
        fields.setdefault("encoder_type", "bert")  # folders from before there was another
        fields["pipeline"] = fields.get("pipeline") or DEFAULT_PIPELINE.to_config()  # folders from before it was named
        return cls(**fields)

    def to_dict(self) -> dict:
        return dict(vars(self))


class Table(nn.Module):
    """nn.Embedding's lookup, without its random initialization: the table is always loaded (and
    nn.Embedding's `normal_` on the meta device imports torch._dynamo, 2.6 s here)."""

    def __init__(self, rows: int, width: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(rows, width))

    def forward(self, ids):
        return nn.functional.embedding(ids, self.weight)


class Embeddings(nn.Module):
    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.word_embeddings = Table(c.vocab_size, c.hidden_size)
        self.position_embeddings = Table(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = Table(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=LAYER_NORM_EPS)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.size(1), device=input_ids.device).unsqueeze(0)
        segments = torch.zeros_like(input_ids)  # one segment, as DestemTagger is called
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(segments)
        return self.LayerNorm(x + self.position_embeddings(positions))


class Residual(nn.Module):
    """A dense layer, then LayerNorm over it plus the residual."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.dense = nn.Linear(n_in, n_out)
        self.LayerNorm = nn.LayerNorm(n_out, eps=LAYER_NORM_EPS)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Intermediate(nn.Module):
    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class SelfAttention(nn.Module):
    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.heads = c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x, mask):
        shape = (*x.shape[:-1], self.heads, -1)
        q, k, v = (proj(x).view(shape).transpose(1, 2) for proj in (self.query, self.key, self.value))
        out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.0,
                                                         scale=q.size(-1) ** -0.5, is_causal=False)
        return out.transpose(1, 2).contiguous().reshape(*x.shape[:-1], -1).contiguous()


class Attention(nn.Module):
    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = Residual(c.hidden_size, c.hidden_size)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Layer(nn.Module):
    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = Residual(c.intermediate_size, c.hidden_size)

    def forward(self, x, mask):
        x = self.attention(x, mask)
        return self.output(self.intermediate(x), x)


class Encoder(nn.Module):
    """BertModel without its pooler, under BertModel's parameter names."""

    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(Layer(c) for _ in range(c.num_hidden_layers))

    def forward(self, input_ids, attention_mask):
        # like transformers' SDPA path: no mask when nothing is padded, else a (batch, 1, query, key) one
        padded = attention_mask.bool()
        mask = None if padded.all() else padded[:, None, None, :].expand(-1, 1, input_ids.size(1), -1)
        x = self.embeddings(input_ids)
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return x


class PlainTagger(nn.Module):
    """DestemTagger's encoder and three heads, for restoring (no losses, no dropout); made by
    `from_pretrained`, which builds it on the meta device and then hands it the folder's tensors."""

    def __init__(self, config: TaggerConfig):
        super().__init__()
        self.config = config
        self.encoder = LlamaEncoder(config) if config.encoder_type == "llama" else Encoder(config)
        self.gap_head = nn.Linear(config.hidden_size, len(config.gap_labels))
        self.form_head = nn.Linear(config.hidden_size, len(config.form_labels))
        self.case_head = nn.Linear(config.hidden_size, 4)

    def forward(self, input_ids, attention_mask, word_positions):
        """word_positions[b, k]: index of stem k's first piece (k = n: the end token)."""
        hidden = self.encoder(input_ids, attention_mask)
        slots = hidden.gather(1, word_positions.unsqueeze(-1).expand(-1, -1, hidden.size(-1)))
        return {"gap_logits": self.gap_head(slots), "form_logits": self.form_head(slots),
                "case_logits": self.case_head(slots)}

    @classmethod
    def from_pretrained(cls, model_dir: str, dtype: torch.dtype = torch.float32,
                        bf16_linears: bool = False) -> "PlainTagger":
        """The folder's model in `dtype`; with `bf16_linears`, for running under bf16 autocast, the linear
        layers' weights in bf16 instead: autocast casts them to bf16 anyway, so the logits are the same
        (tests/test_plain_tagger.py), and loading skips widening the shipped bf16 weights and back."""
        with torch.device("meta"):  # shapes only: initializing weights that are then replaced took 0.3 s
            model = cls(TaggerConfig.from_file(os.path.join(model_dir, "config.json")))
        linears = {f"{name}.{p}" for name, m in model.named_modules() if isinstance(m, nn.Linear)
                   for p in ("weight", "bias")}
        weights = {name: tensor.to(torch.bfloat16 if bf16_linears and name in linears else dtype)
                   for name, tensor in read_weights(model_dir).items()}
        model.load_state_dict(weights, assign=True)  # the loaded tensors become the parameters: no copy
        return model.eval()

    def save_pretrained(self, out_dir: str) -> None:
        """config.json and model.safetensors, loadable by this class and by DestemTagger."""
        os.makedirs(out_dir, exist_ok=True)
        weights = {k: v.contiguous() for k, v in self.state_dict().items()}
        save_file(weights, os.path.join(out_dir, WEIGHTS_FILE), metadata={"format": "pt"})
        fields = self.config.to_dict() | {"dtype": str(next(iter(weights.values())).dtype).removeprefix("torch.")}
        tmp = os.path.join(out_dir, "config.json.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(fields, f, indent=2, ensure_ascii=False)
        os.replace(tmp, os.path.join(out_dir, "config.json"))


def read_weights(model_dir: str) -> dict[str, torch.Tensor]:
    """The tensors of a folder's model.safetensors, or of all its shards."""
    index = os.path.join(model_dir, WEIGHTS_INDEX)
    if not os.path.exists(index):
        return load_file(os.path.join(model_dir, WEIGHTS_FILE))
    with open(index, encoding="utf-8") as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    return {name: t for shard in shards for name, t in load_file(os.path.join(model_dir, shard)).items()}
