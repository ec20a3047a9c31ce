"""The restoration model: toy training, save/load, restore edge cases, shipped checkpoint."""
from __future__ import annotations

import json

import pytest

from destem.restore.restorer import Restorer
from destem.text.forward import stem_text


def test_toy_training_lowers_validation_loss(toy_model_dir):
    records = [json.loads(line) for line in open(toy_model_dir / "log.jsonl")]
    train_losses = [r["loss"] for r in records if "loss" in r]
    assert train_losses[-1] < train_losses[0] * 0.7, train_losses


def test_toy_model_restores_fixture_and_round_trips(toy_model_dir):
    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    text = "The comet was discovered in 1852. It is named after the goddess of the dawn."
    stems = stem_text(text)
    [result] = restorer.restore_documents([stems])
    assert result.roundtrip_ok
    assert stem_text(result.text) == stems
    assert result.text[0].isupper()


def test_save_and_load_give_identical_output(toy_model_dir, tmp_path):
    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu", precision="fp32")
    docs = [stem_text("Hagbard is a central protagonist of the trilogy. He died for love.")]
    restorer.save_pretrained(str(tmp_path / "copy"))
    again = Restorer.from_pretrained(str(tmp_path / "copy"), device="cpu", precision="fp32")
    assert again.restore(docs) == restorer.restore(docs)


def test_int8_restores_round_trip_but_cannot_be_saved(toy_model_dir, tmp_path):
    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu", precision="int8")
    assert restorer.precision == "int8"
    docs = [stem_text("Hagbard is a central protagonist of the trilogy. He died for love."), "zzyzxq qwxv ."]
    results = restorer.restore_documents(docs)
    assert all(r.roundtrip_ok and stem_text(r.text) == d for r, d in zip(results, docs))
    with pytest.raises(ValueError, match="int8 layers are for restoring"):
        restorer.save_pretrained(str(tmp_path / "copy"))


@pytest.mark.parametrize("document", [
    "",  # empty document
    "trotski",  # one stem
    ". , ; ( ) .",  # only punctuation
    "zzyzxq qwxv .",  # stems the lexicon has never seen
    "лев давидович троцкий .",  # Cyrillic
    "11.5 % 1,000 1879-1896 .",  # numbers
])
def test_edge_case_documents_round_trip(toy_model_dir, document):
    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    [result] = restorer.restore_documents([document])
    assert stem_text(result.text) == document
    assert result.roundtrip_ok


def test_long_document_without_sentence_end_is_windowed(toy_model_dir):
    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    document = " ".join(["comet", "orbit", "asteroid", "belt", "discov"] * 1000)  # 5,000 stems, no '.'
    [result] = restorer.restore_documents([document])
    assert result.stats.stems == 5000
    assert stem_text(result.text) == document


def test_shipped_default_model_restores_two_sentences(default_model_dir):
    restorer = Restorer.from_pretrained(str(default_model_dir), device="cpu")
    stems = "trotski die next day ; news spread . born st. petersburg ."
    [result] = restorer.restore_documents([stems])
    assert result.roundtrip_ok
    assert stem_text(result.text) == stems
    assert "Trotsky" in result.text
