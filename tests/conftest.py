"""Shared fixtures: a toy model trained in seconds on the fixture corpus, and the shipped model."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINI_CORPUS = ROOT / "tests" / "data" / "mini_corpus.txt"
DEFAULT_MODEL = ROOT / "models" / "default"


@pytest.fixture(scope="session")
def mini_pairs(tmp_path_factory) -> Path:
    from destem.text.pairs import PairConfig, build_pairs

    out = tmp_path_factory.mktemp("pairs") / "mini"
    build_pairs([str(MINI_CORPUS)], str(out), PairConfig(max_stems=48, valid_fraction=0.2, seed=1), num_proc=1)
    return out


@pytest.fixture(scope="session")
def train_mini_run(mini_pairs, tmp_path_factory):
    """A function (name, config) -> a run folder trained on the mini pairs with that config, on the CPU."""
    from destem.training.train import prepare_run, train

    def trained(name: str, config) -> Path:
        out = tmp_path_factory.mktemp(name) / "model"
        prepare_run(str(out), str(mini_pairs), config)
        train(str(out), config, device_name="cpu")
        return out

    return trained


@pytest.fixture(scope="session")
def toy_model_dir(train_mini_run) -> Path:
    """A toy model trained for a few seconds; a complete model folder."""
    import dataclasses

    from destem.training.config import load_config

    return train_mini_run("toy", dataclasses.replace(load_config("toy"), max_steps=120, max_stems=48))


@pytest.fixture(scope="session")
def default_model_dir() -> Path:
    if not (DEFAULT_MODEL / "config.json").exists():
        pytest.fail("models/default is missing: the shipped checkpoint must be committed")
    return DEFAULT_MODEL
