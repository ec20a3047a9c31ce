"""The ensemble experiment (issue 19): two taggers' log-probabilities averaged per stem. A tagger
paired with itself restores as it does alone; two seeds' taggers restore in order and round-trip;
taggers that do not share labels are refused."""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from destem.lab.ensemble import EnsembleRestorer
from destem.restore.restorer import Restorer
from destem.text.forward import stem_text

MINI_CORPUS = Path(__file__).parent / "data" / "mini_corpus.txt"
PARAGRAPHS = [line for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def second_seed_dir(train_mini_run) -> Path:
    """The toy model's recipe (conftest.py) with another seed."""
    from destem.training.config import load_config

    return train_mini_run("toy-seed-1", dataclasses.replace(load_config("toy"), max_steps=120, max_stems=48, seed=1))


def test_a_tagger_paired_with_itself_restores_as_it_does_alone(toy_model_dir):
    alone = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    documents = [stem_text(p) for p in PARAGRAPHS[:6]]
    assert EnsembleRestorer(alone, alone).restore(documents) == alone.restore(documents)


def test_two_seeds_restore_in_order_and_round_trip(toy_model_dir, second_seed_dir):
    first = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    second = Restorer.from_pretrained(str(second_seed_dir), device="cpu")
    documents = [stem_text(p) for p in PARAGRAPHS[:8]]
    restorations = EnsembleRestorer(first, second).restore_documents(documents)
    assert [stem_text(r.text) for r in restorations] == documents
    assert all(r.roundtrip_ok for r in restorations)


def test_taggers_with_other_labels_are_refused(toy_model_dir, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(toy_model_dir, other)
    config = json.loads((other / "config.json").read_text(encoding="utf-8"))
    config["form_labels"] = config["form_labels"][::-1]
    (other / "config.json").write_text(json.dumps(config), encoding="utf-8")
    first = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    with pytest.raises(ValueError, match="label sets differ"):
        EnsembleRestorer(first, Restorer.from_pretrained(str(other), device="cpu"))
