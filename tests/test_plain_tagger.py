"""PlainTagger, restoring's transformers-free forward pass, computes exactly what DestemTagger
computes from the same folder, and restoring never imports transformers."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from destem.model.features import WindowFeatures, collate
from destem.model.plain_tagger import WEIGHTS_INDEX, PlainTagger
from destem.model.tagger import DestemConfig, DestemTagger
from destem.model.tokenizer import StemTokenizer
from destem.text.forward import stem_text
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


def outputs(model, batch, bf16):
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        return model(**batch)


def assert_same_logits(reference, plain, batch, bf16):
    expected, got = outputs(reference, batch, bf16), outputs(plain, batch, bf16)
    assert set(got) == {"gap_logits", "form_logits", "case_logits"}
    for name in got:
        assert torch.equal(expected[name], got[name]), f"{name} differs (bf16={bf16})"


@pytest.fixture(scope="module")
def two_segment_model_dir(toy_model_dir, tmp_path_factory):
    """The toy's shape with random weights and two segment embeddings (as a pretrained BERT brings)."""
    import shutil

    torch.manual_seed(3)
    config = DestemConfig.from_pretrained(toy_model_dir)
    config.type_vocab_size = 2
    out = tmp_path_factory.mktemp("two-segments")
    DestemTagger(config).save_pretrained(out)
    for name in ("spiece.model", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(toy_model_dir / name, out / name)
    return out


@pytest.mark.parametrize("bf16, bf16_linears", [(False, False), (True, False), (True, True)],
                         ids=["float32", "bf16-autocast", "bf16-autocast-bf16-linears"])
@pytest.mark.parametrize("paragraphs", [PROSE[:1], PROSE[:6]], ids=["one-window-no-padding", "padded-batch"])
def test_the_toy_model_gives_bit_identical_logits(toy_model_dir, paragraphs, bf16, bf16_linears):
    """Restoring under bf16 autocast loads the linear layers' weights in bf16 (autocast would cast them)."""
    batch = window_batch(toy_model_dir, paragraphs)
    if len(paragraphs) > 1:
        assert not batch["attention_mask"].bool().all(), "the batch should hold padding"
    reference = DestemTagger.from_pretrained(str(toy_model_dir), dtype=torch.float32).eval()
    plain = PlainTagger.from_pretrained(str(toy_model_dir), bf16_linears=bf16_linears)
    assert (plain.gap_head.weight.dtype == torch.bfloat16) == bf16_linears
    assert plain.encoder.embeddings.word_embeddings.weight.dtype == torch.float32
    assert_same_logits(reference, plain, batch, bf16)


def test_two_segment_embeddings_load_and_agree(two_segment_model_dir):
    batch = window_batch(two_segment_model_dir, PROSE[:4])
    reference = DestemTagger.from_pretrained(str(two_segment_model_dir), dtype=torch.float32).eval()
    plain = PlainTagger.from_pretrained(str(two_segment_model_dir))
    assert plain.encoder.embeddings.token_type_embeddings.weight.shape[0] == 2
    assert_same_logits(reference, plain, batch, bf16=True)


def test_the_shipped_model_gives_bit_identical_logits(default_model_dir):
    example = (ROOT / "data" / "examples" / "trotsky.stem.txt").read_text(encoding="utf-8").split()[:2000]
    tokenizer = StemTokenizer.load(str(default_model_dir))
    windows = [example[s:e] for s, e in window_bounds(example, 96)]
    batch = collate([WindowFeatures(*tokenizer.encode_window(w), [], [], []) for w in windows], False)
    reference = DestemTagger.from_pretrained(str(default_model_dir), dtype=torch.float32).eval()
    assert_same_logits(reference, PlainTagger.from_pretrained(str(default_model_dir), bf16_linears=True), batch,
                       bf16=True)


def test_a_sharded_folder_loads_the_same_weights(toy_model_dir, tmp_path):
    sharded = tmp_path / "sharded"
    DestemTagger.from_pretrained(str(toy_model_dir)).save_pretrained(sharded, max_shard_size="200KB")
    assert (sharded / WEIGHTS_INDEX).exists() and len(list(sharded.glob("*.safetensors"))) > 1
    whole, shards = PlainTagger.from_pretrained(str(toy_model_dir)), PlainTagger.from_pretrained(str(sharded))
    assert whole.state_dict().keys() == shards.state_dict().keys()
    assert all(torch.equal(a, b) for a, b in zip(whole.state_dict().values(), shards.state_dict().values()))


def test_what_it_saves_loads_back_in_both_classes(toy_model_dir, tmp_path):
    plain = PlainTagger.from_pretrained(str(toy_model_dir))
    plain.config.empty_gap_bias = -0.75  # a setting changed in place, as `destem calibrate` does
    plain.save_pretrained(tmp_path / "copy")
    config = json.loads((tmp_path / "copy" / "config.json").read_text())
    assert config["empty_gap_bias"] == -0.75 and config["dtype"] == "float32"
    assert DestemConfig.from_pretrained(tmp_path / "copy").gap_labels == plain.config.gap_labels
    batch = window_batch(toy_model_dir, PROSE[:3])
    reference = DestemTagger.from_pretrained(str(tmp_path / "copy"), dtype=torch.float32).eval()
    assert_same_logits(reference, PlainTagger.from_pretrained(str(tmp_path / "copy")), batch, bf16=False)


def test_restoring_never_imports_transformers(toy_model_dir, tmp_path):
    """What keeps a one-line restore's start-up near the bare torch import (`destem bench`): no
    transformers, no torch._dynamo (which initializing an embedding on the meta device imports), and
    no NLTK package import (the forward pipeline loads its three modules alone)."""
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
        "                   or m == 'torch._dynamo'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    restored, last = done.stdout.strip().splitlines()[-2:]
    assert stem_text(restored) == "trotski die ."
    assert last == "0 []"
    assert stem_text((tmp_path / "out.txt").read_text(encoding="utf-8")).split() == stem_text(PROSE[0]).split()
