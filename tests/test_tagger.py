"""The tagger, one module for training and restoring: its encoder computes exactly what transformers'
BertModel computes from the same weights (the reference implementation), a folder it saves loads back
whole or in shards, it picks bf16 only where the hardware has it and int8 linear layers on other
CPUs, and restoring never imports transformers."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel

from destem.model import device as device_module
from destem.model.device import PRECISIONS, use_bf16, use_int8
from destem.model.features import WindowFeatures, collate
from destem.model.tagger import WEIGHTS_INDEX, Tagger, TaggerConfig, has_int8_linears, int8_linears
from destem.model.tokenizer import StemTokenizer
from destem.text.forward import stem_text
from destem.text.textio import InputError
from destem.text.windows import window_bounds

ROOT = Path(__file__).resolve().parents[1]
MINI_CORPUS = ROOT / "tests" / "data" / "mini_corpus.txt"
PROSE = [line for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def window_batch(model_dir, paragraphs, max_stems=48):
    """A padded batch of windows of real stemmed prose, as restoring makes them."""
    tokenizer = StemTokenizer.load(str(model_dir))
    windows = [stems[s:e] for stems in (stem_text(p).split() for p in paragraphs)
               for s, e in window_bounds(stems, max_stems)]
    return collate([WindowFeatures(*tokenizer.encode_window(w), [], [], []) for w in windows], False)


def reference_bert(model_dir) -> BertModel:
    """transformers' BertModel holding the folder's encoder weights, in float32."""
    c = TaggerConfig.from_folder(str(model_dir))
    bert = BertModel(BertConfig(vocab_size=c.vocab_size, hidden_size=c.hidden_size,
                                num_hidden_layers=c.num_hidden_layers, num_attention_heads=c.num_attention_heads,
                                intermediate_size=c.intermediate_size,
                                max_position_embeddings=c.max_position_embeddings,
                                type_vocab_size=c.type_vocab_size, pad_token_id=c.pad_token_id,
                                attn_implementation="sdpa"), add_pooling_layer=False)
    encoder = Tagger.from_pretrained(str(model_dir)).encoder.state_dict()
    bert.load_state_dict(encoder, strict=False)
    assert set(bert.state_dict()) - set(encoder) <= {"embeddings.position_ids", "embeddings.token_type_ids"}
    return bert.eval()


def assert_same_hidden_states(bert, tagger, batch, bf16):
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        expected = bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        got = tagger.encoder(batch["input_ids"], batch["attention_mask"])
    assert torch.equal(expected, got), f"hidden states differ (bf16={bf16})"


@pytest.fixture(scope="module")
def two_segment_model_dir(toy_model_dir, tmp_path_factory):
    """The toy's shape with random weights and two segment embeddings (as a pretrained BERT brings)."""
    import shutil

    torch.manual_seed(3)
    config = TaggerConfig.from_folder(str(toy_model_dir))
    config.type_vocab_size = 2
    out = tmp_path_factory.mktemp("two-segments")
    Tagger.initialized(config).save_pretrained(str(out))
    for name in ("spiece.model", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(toy_model_dir / name, out / name)
    return out


@pytest.mark.parametrize("bf16", [False, True], ids=["float32", "bf16-autocast"])
@pytest.mark.parametrize("paragraphs", [PROSE[:1], PROSE[:6]], ids=["one-window-no-padding", "padded-batch"])
def test_the_encoder_computes_what_bertmodel_computes(toy_model_dir, paragraphs, bf16):
    batch = window_batch(toy_model_dir, paragraphs)
    if len(paragraphs) > 1:
        assert not batch["attention_mask"].bool().all(), "the batch should hold padding"
    assert_same_hidden_states(reference_bert(toy_model_dir), Tagger.from_pretrained(str(toy_model_dir)), batch, bf16)


def test_two_segment_embeddings_load_and_agree(two_segment_model_dir):
    tagger = Tagger.from_pretrained(str(two_segment_model_dir))
    assert tagger.encoder.embeddings.token_type_embeddings.weight.shape[0] == 2
    assert_same_hidden_states(reference_bert(two_segment_model_dir), tagger,
                              window_batch(two_segment_model_dir, PROSE[:4]), bf16=True)


def test_the_shipped_model_agrees_with_bertmodel(default_model_dir):
    example = (ROOT / "data" / "examples" / "trotsky.stem.txt").read_text(encoding="utf-8").split()[:2000]
    tokenizer = StemTokenizer.load(str(default_model_dir))
    windows = [example[s:e] for s, e in window_bounds(example, 96)]
    batch = collate([WindowFeatures(*tokenizer.encode_window(w), [], [], []) for w in windows], False)
    assert_same_hidden_states(reference_bert(default_model_dir), Tagger.from_pretrained(str(default_model_dir)),
                              batch, bf16=False)


def test_bf16_linears_give_the_same_logits_under_autocast(toy_model_dir):
    """Restoring under bf16 autocast loads the linear layers' weights in bf16 (autocast would cast them)."""
    batch = window_batch(toy_model_dir, PROSE[:6])
    widened, narrow = Tagger.from_pretrained(str(toy_model_dir)), Tagger.from_pretrained(str(toy_model_dir),
                                                                                       bf16_linears=True)
    assert narrow.gap_head.weight.dtype == torch.bfloat16 and widened.gap_head.weight.dtype == torch.float32
    assert narrow.encoder.embeddings.word_embeddings.weight.dtype == torch.float32
    inputs = [batch[k] for k in ("input_ids", "attention_mask", "word_positions")]
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        expected, got = widened(*inputs), narrow(*inputs)
    assert set(got) == {"gap_logits", "form_logits", "case_logits"}
    assert all(torch.equal(expected[k], got[k]) for k in got)


def test_dropout_acts_only_in_training(toy_model_dir):
    tagger = Tagger.from_pretrained(str(toy_model_dir))
    tagger.config.dropout = 0.5
    noisy = Tagger(tagger.config)
    noisy.load_state_dict(tagger.state_dict())
    batch = window_batch(toy_model_dir, PROSE[:2])
    inputs = [batch[k] for k in ("input_ids", "attention_mask", "word_positions")]
    with torch.no_grad():
        assert torch.equal(noisy.eval()(*inputs)["gap_logits"], tagger(*inputs)["gap_logits"])
        assert not torch.equal(noisy.train()(*inputs)["gap_logits"], tagger(*inputs)["gap_logits"])


def test_a_sharded_folder_loads_the_same_weights(toy_model_dir, tmp_path):
    sharded = tmp_path / "sharded"
    Tagger.from_pretrained(str(toy_model_dir)).save_pretrained(str(sharded), max_shard_bytes=200_000)
    assert (sharded / WEIGHTS_INDEX).exists() and len(list(sharded.glob("*.safetensors"))) > 1
    whole, shards = Tagger.from_pretrained(str(toy_model_dir)), Tagger.from_pretrained(str(sharded))
    assert whole.state_dict().keys() == shards.state_dict().keys()
    assert all(torch.equal(a, b) for a, b in zip(whole.state_dict().values(), shards.state_dict().values()))
    Tagger.from_pretrained(str(toy_model_dir)).save_pretrained(str(sharded))  # whole again: the index goes
    assert not (sharded / WEIGHTS_INDEX).exists()


def test_what_it_saves_loads_back(toy_model_dir, tmp_path):
    tagger = Tagger.from_pretrained(str(toy_model_dir))
    tagger.config.empty_gap_bias = -0.75  # a setting changed in place, as `destem calibrate` does
    tagger.save_pretrained(str(tmp_path / "copy"))
    config = json.loads((tmp_path / "copy" / "config.json").read_text())
    assert config["empty_gap_bias"] == -0.75 and config["dtype"] == "float32"
    again = Tagger.from_pretrained(str(tmp_path / "copy"))
    assert again.config.gap_labels == tagger.config.gap_labels
    assert all(torch.equal(a, b) for a, b in zip(tagger.state_dict().values(), again.state_dict().values()))
    assert not list((tmp_path / "copy").glob(".*"))  # no partial files left behind


def test_an_unknown_encoder_type_is_refused(toy_model_dir):
    config = TaggerConfig.from_folder(str(toy_model_dir))
    config.encoder_type = "rnn"  # no such encoder (the lab's smollm2 module registers "llama")
    with pytest.raises(ValueError, match="encoder_type 'rnn'"):
        Tagger(config)


@pytest.mark.parametrize("capability, amx, precision, expected", [
    ("AMX", True, "auto", True),  # AMX tiles: bf16 pays
    ("AVX512", False, "auto", False),  # AVX-512 (with or without its BF16 instructions): fp32 is faster
    ("AVX2", True, "auto", False),  # forced down with ATEN_CPU_CAPABILITY=avx2
    ("AMX", True, "fp32", False),
    ("AVX2", False, "bf16", True),
])
def test_bf16_only_where_it_pays(monkeypatch, capability, amx, precision, expected):
    monkeypatch.setattr(device_module.torch.backends.cpu, "get_cpu_capability", lambda: capability)
    monkeypatch.setattr(device_module.torch.cpu, "_is_amx_tile_supported", lambda: amx)
    assert use_bf16(torch.device("cpu"), precision) is expected


@pytest.mark.parametrize("capability, amx, device, precision, expected", [
    ("AVX2", False, "cpu", "auto", True),  # no native bf16: int8 linear layers
    ("AVX512", False, "cpu", "auto", True),
    ("AMX", True, "cpu", "auto", False),  # bf16 instead
    ("AVX2", False, "cpu", "fp32", False),
    ("AVX2", False, "cpu", "bf16", False),
    ("AMX", True, "cpu", "int8", True),
    ("AVX2", False, "cuda", "auto", False),
])
def test_int8_on_cpus_without_native_bf16(monkeypatch, capability, amx, device, precision, expected):
    monkeypatch.setattr(device_module.torch.backends.cpu, "get_cpu_capability", lambda: capability)
    monkeypatch.setattr(device_module.torch.cpu, "_is_amx_tile_supported", lambda: amx)
    assert use_int8(torch.device(device), precision) is expected


def test_int8_is_refused_on_a_gpu():
    with pytest.raises(InputError, match="int8 runs on the CPU only"):
        use_int8(torch.device("cuda"), "int8")


def test_int8_linears_quantize_a_copy_whose_scores_stay_close(toy_model_dir):
    tagger = Tagger.from_pretrained(str(toy_model_dir))
    quantized = int8_linears(tagger)
    assert has_int8_linears(quantized) and not has_int8_linears(tagger)  # the model itself is left as it was
    batch = window_batch(toy_model_dir, PROSE[:6])
    with torch.inference_mode():
        exact, close = tagger(**batch), quantized(**batch)
    for head in ("gap_logits", "form_logits", "case_logits"):
        agree = (exact[head].argmax(-1) == close[head].argmax(-1)).float().mean().item()
        assert agree > 0.9, head
        assert not torch.equal(exact[head], close[head])  # it did run in int8


def test_every_command_offers_the_precisions_the_device_module_knows():
    import argparse

    from destem.cli import build_parser
    from destem.training.config import TRAIN_PRECISIONS

    [commands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    offered = {name: action.choices for name, command in commands.choices.items()
               for action in command._actions if action.dest == "precision" and action.choices}
    assert set(offered) == {"restore", "eval", "words", "calibrate"}
    assert all(tuple(choices) == PRECISIONS for choices in offered.values())
    assert TRAIN_PRECISIONS == tuple(p for p in PRECISIONS if p != "int8")


def test_restore_batch_sizes_are_the_ones_the_help_names_and_a_call_can_override(toy_model_dir, monkeypatch):
    import argparse

    from destem.cli import build_parser
    from destem.model.device import RESTORE_BATCH_TOKENS
    from destem.restore.restorer import Restorer

    [commands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {name: action.help for name, command in commands.choices.items()
             for action in command._actions if action.dest == "batch_tokens" and name != "bench"}
    assert helps and all(f"{RESTORE_BATCH_TOKENS['cpu']:,} on a CPU, {RESTORE_BATCH_TOKENS['cuda']:,} on a GPU" in h
                         for h in helps.values())
    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu", precision="fp32")
    assert restorer.batch_tokens == RESTORE_BATCH_TOKENS["cpu"]
    seen, tag = [], restorer._tag_windows

    def tag_and_note(windows, batch_tokens, *rest):
        seen.append(batch_tokens)
        return tag(windows, batch_tokens, *rest)

    monkeypatch.setattr(restorer, "_tag_windows", tag_and_note)
    restorer.restore(["comet orbit ."])
    restorer.restore(["comet orbit ."], batch_tokens=64)
    assert seen == [RESTORE_BATCH_TOKENS["cpu"], 64]


def test_fp32_gives_the_same_text_at_any_batch_size(toy_model_dir):
    from destem.restore.restorer import Restorer
    from destem.text.forward import stem_text

    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu", precision="fp32")
    lines = (Path(__file__).parent / "data" / "mini_corpus.txt").read_text(encoding="utf-8").splitlines()
    documents = [stem_text(line) for line in lines if line and not line.startswith("#")]
    assert len(documents) > 20
    assert restorer.restore(documents, batch_tokens=256) == restorer.restore(documents, batch_tokens=8192)


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision 'fp16'"):
        use_bf16(torch.device("cpu"), "fp16")


def test_restoring_never_imports_transformers_or_the_lab(toy_model_dir, tmp_path):
    """The product path holds only the product (no lab module), and what keeps a one-line restore's
    start-up near the bare torch import (`destem bench`): no transformers, no torch._dynamo (which
    initializing an embedding on the meta device imports), and no NLTK package import (the forward
    pipeline loads its three modules alone)."""
    stems = tmp_path / "in.stem.txt"
    stems.write_text(stem_text(PROSE[0]) + "\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from destem import Restorer\n"
        f"print(Restorer.from_pretrained({str(toy_model_dir)!r}, device='cpu').restore(['trotski die .'])[0])\n"
        "from destem.cli import main\n"
        f"code = main(['restore', '--model', {str(toy_model_dir)!r}, '--device', 'cpu', {str(stems)!r},"
        f" '-o', {str(tmp_path / 'out.txt')!r}])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('transformers', 'nltk')\n"
        "                   or m in ('torch._dynamo', 'destem.lab') or m.startswith('destem.lab.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    restored, last = done.stdout.strip().splitlines()[-2:]
    assert stem_text(restored) == "trotski die ."
    assert last == "0 []"
    assert stem_text((tmp_path / "out.txt").read_text(encoding="utf-8")).split() == stem_text(PROSE[0]).split()
