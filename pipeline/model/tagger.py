"""The restoration model: a transformer encoder over the stems with three heads per stem.

The forward pipeline maps each original word to exactly one stem, in order, so restoring is
tagging: for every stem, predict the dropped words before it (gap), its word form (an edit of
the stem) and its case; the gap after the last stem is predicted at the end token. The
alignment is given, not learned — which is what makes the model trainable on a CPU budget.

One module for training and restoring: the encoder is BERT's, in plain torch under BertModel's
parameter names (so a pretrained BERT folder's weights load as they are), without importing
transformers (4–6 s of a one-line restore). Training adds the losses (training/train.py).
A model folder is config.json plus model.safetensors (or shards with an index).
"""
from __future__ import annotations

import json
import os
import warnings
from types import SimpleNamespace

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..text.forward import DEFAULT_PIPELINE
from ..text.textio import atomic_write

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
WEIGHTS_INDEX = "model.safetensors.index.json"  # a folder saved in shards
LAYER_NORM_EPS = 1e-12  # BERT's
INIT_STD = 0.02  # BERT's initializer range, for every weight of a model trained from scratch

# config.json's fields and their defaults; a folder's file may hold more (the calibration, say), kept as read
CONFIG_DEFAULTS = {
    "vocab_size": 16000,  # tokenizer pieces of the stems
    "hidden_size": 256,  # encoder width
    "num_hidden_layers": 4,  # encoder layers
    "num_attention_heads": 4,  # attention heads per layer
    "intermediate_size": 1024,  # feed-forward width
    "max_position_embeddings": 512,  # pieces per window, special tokens included
    "type_vocab_size": 1,  # segment embeddings: one is used; 2 where a pretrained BERT brings them
    "dropout": 0.1,  # dropout in the encoder while training
    "gap_labels": [""],  # gap strings, id order
    "form_labels": ["0:"],  # edit scripts, id order
    "case_loss_weight": 0.5,  # weight of the case loss beside the gap and form losses
    "empty_gap_bias": 0.0,  # added to the "no function words" logit when restoring (`destem calibrate`)
    "lm_weight": 0.0,  # weight of the word n-gram LM (ngram.npz) when restoring; 0: tagger alone
    "lm_word_bonus": 0.0,  # LM score added per word written, against its taste for short output
    # the three settings above for input of another pipeline (a `forward.PIPELINES` name: {"isalpha":
    # {"empty_gap_bias": -2.0, ...}}), where they differ (`destem calibrate --input`)
    "decoding_by_input": {},
    "encoder_type": "bert",  # a key of ENCODERS
    # the input pipelines (`forward.PIPELINES` names) the model was trained on: "destem" (the pipeline
    # named by "pipeline"), and its variants that keep fewer tokens ("isalpha", "letters")
    "inputs": ["destem"],
    "pad_token_id": 0,
    "bos_token_id": 1,
    "eos_token_id": 2,
}


class TaggerConfig(SimpleNamespace):
    """config.json's fields as attributes, with CONFIG_DEFAULTS for those a folder leaves out; setting
    one (as `destem calibrate` does) is kept when the folder is saved."""

    def __init__(self, **fields):
        super().__init__(**(CONFIG_DEFAULTS | fields))
        self.gap_labels, self.form_labels = list(self.gap_labels), list(self.form_labels)
        # folders from before the pipeline was named invert the default
        self.pipeline = getattr(self, "pipeline", None) or DEFAULT_PIPELINE.to_config()

    @classmethod
    def from_folder(cls, model_dir: str) -> TaggerConfig:
        with open(os.path.join(model_dir, CONFIG_FILE), encoding="utf-8") as f:
            return cls(**json.load(f))

    def to_dict(self) -> dict:
        return dict(vars(self))


# ---------------------------------------------------------------- the BERT encoder

class Table(nn.Module):
    """nn.Embedding's lookup, without its initialization at construction: a loaded model replaces the
    table anyway (and nn.Embedding's `normal_` on the meta device imports torch._dynamo, 2.6 s)."""

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
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.size(1), device=input_ids.device).unsqueeze(0)
        segments = torch.zeros_like(input_ids)  # one segment
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(segments)
        return self.dropout(self.LayerNorm(x + self.position_embeddings(positions)))


class Residual(nn.Module):
    """A dense layer and dropout, then LayerNorm over it plus the residual."""

    def __init__(self, n_in: int, n_out: int, dropout: float):
        super().__init__()
        self.dense = nn.Linear(n_in, n_out)
        self.LayerNorm = nn.LayerNorm(n_out, eps=LAYER_NORM_EPS)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Intermediate(nn.Module):
    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class SelfAttention(nn.Module):
    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.heads, self.dropout = c.num_attention_heads, c.dropout
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x, mask):
        shape = (*x.shape[:-1], self.heads, -1)
        q, k, v = (proj(x).view(shape).transpose(1, 2) for proj in (self.query, self.key, self.value))
        out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=False,
                                                         dropout_p=self.dropout if self.training else 0.0,
                                                         scale=q.size(-1) ** -0.5)
        return out.transpose(1, 2).contiguous().reshape(*x.shape[:-1], -1).contiguous()


class Attention(nn.Module):
    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = Residual(c.hidden_size, c.hidden_size, c.dropout)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Layer(nn.Module):
    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = Residual(c.intermediate_size, c.hidden_size, c.dropout)

    def forward(self, x, mask):
        x = self.attention(x, mask)
        return self.output(self.intermediate(x), x)


class BertEncoder(nn.Module):
    """BertModel without its pooler, under BertModel's parameter names."""

    def __init__(self, c: TaggerConfig):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(Layer(c) for _ in range(c.num_hidden_layers))

    def forward(self, input_ids, attention_mask):
        # no mask when nothing is padded (SDPA's fast path), else a (batch, 1, query, key) one
        padded = attention_mask.bool()
        mask = None if padded.all() else padded[:, None, None, :].expand(-1, 1, input_ids.size(1), -1)
        x = self.embeddings(input_ids)
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return x


# encoder_type -> the encoder class, built from the config; called with (input_ids, attention_mask)
ENCODERS: dict[str, type[nn.Module]] = {"bert": BertEncoder}


# ---------------------------------------------------------------- the tagger

class Tagger(nn.Module):
    """The encoder and three heads. `forward` gives logits per stem slot; training adds the losses."""

    def __init__(self, config: TaggerConfig):
        super().__init__()
        if config.encoder_type not in ENCODERS:
            raise ValueError(f"encoder_type {config.encoder_type!r}: not one of {', '.join(ENCODERS)} "
                             "(a lab encoder is registered by importing its module)")
        self.config = config
        self.encoder = ENCODERS[config.encoder_type](config)
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
    def initialized(cls, config: TaggerConfig) -> Tagger:
        """A new model with BERT's initialization: normal(0, INIT_STD) weights, zero biases, unit norms."""
        model = cls(config)
        for module in model.modules():
            if isinstance(module, (nn.Linear, Table)):
                nn.init.normal_(module.weight, std=INIT_STD)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
            if isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        return model

    @classmethod
    def from_pretrained(cls, model_dir: str, dtype: torch.dtype = torch.float32,
                        bf16_linears: bool = False) -> Tagger:
        """The folder's model in `dtype`, in eval mode; with `bf16_linears`, for running under bf16 autocast,
        the linear layers' weights in bf16 instead: autocast casts them to bf16 anyway, so the logits are
        the same, and loading skips widening the shipped bf16 weights and back."""
        with torch.device("meta"):  # shapes only: initializing weights that are then replaced took 0.3 s
            model = cls(TaggerConfig.from_folder(model_dir))
        linears = {f"{name}.{p}" for name, m in model.named_modules() if isinstance(m, nn.Linear)
                   for p in ("weight", "bias")}
        weights = {name: tensor.to(torch.bfloat16 if bf16_linears and name in linears else dtype)
                   for name, tensor in read_weights(model_dir).items()}
        model.load_state_dict(weights, assign=True)  # the loaded tensors become the parameters: no copy
        return model.eval()

    def save_pretrained(self, out_dir: str, max_shard_bytes: int | None = None) -> None:
        """config.json and the weights in their dtype: model.safetensors, or shards of at most
        `max_shard_bytes` with an index (to fit a size limit per file or per transfer)."""
        os.makedirs(out_dir, exist_ok=True)
        weights = {k: v.contiguous() for k, v in self.state_dict().items()}
        shards = [weights]
        if max_shard_bytes:
            shards, filled = [{}], 0
            for name, tensor in weights.items():
                size = tensor.numel() * tensor.element_size()
                if shards[-1] and filled + size > max_shard_bytes:
                    shards, filled = [*shards, {}], 0
                shards[-1][name] = tensor
                filled += size
        names = ([WEIGHTS_FILE] if len(shards) == 1 else
                 [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))])
        for name, shard in zip(names, shards):
            with atomic_write(os.path.join(out_dir, name), "path") as partial:
                save_file(shard, partial, metadata={"format": "pt"})
        if len(shards) == 1 and os.path.exists(os.path.join(out_dir, WEIGHTS_INDEX)):
            os.remove(os.path.join(out_dir, WEIGHTS_INDEX))  # a stale index would be read before the new file
        if len(shards) > 1:
            index = {"weight_map": {t: name for name, shard in zip(names, shards) for t in shard}}
            with atomic_write(os.path.join(out_dir, WEIGHTS_INDEX)) as f:
                json.dump(index, f, indent=1)
        fields = self.config.to_dict() | {"dtype": str(next(iter(weights.values())).dtype).removeprefix("torch.")}
        with atomic_write(os.path.join(out_dir, CONFIG_FILE)) as f:
            json.dump(fields, f, indent=2, ensure_ascii=False)


def read_weights(model_dir: str) -> dict[str, torch.Tensor]:
    """The tensors of a folder's model.safetensors, or of all its shards."""
    index = os.path.join(model_dir, WEIGHTS_INDEX)
    if not os.path.exists(index):
        return load_file(os.path.join(model_dir, WEIGHTS_FILE))
    with open(index, encoding="utf-8") as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    return {name: t for shard in shards for name, t in load_file(os.path.join(model_dir, shard)).items()}


def int8_linears(model: Tagger) -> Tagger:
    """A copy of the model for restoring on a CPU with every linear layer dynamically quantized: int8
    weights, each batch's activations quantized on the fly, int8 products summed exactly in int32.
    Layer norms, attention and GELU stay fp32."""
    with warnings.catch_warnings():  # torch's deprecation notice for eager-mode quantization, which
        warnings.simplefilter("ignore")  # is in every torch that destem's requirement admits
        return torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)


def has_int8_linears(model: nn.Module) -> bool:
    return any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in model.modules())
