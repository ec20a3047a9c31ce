"""Shared fixtures: toy models trained in seconds on the fixture corpus (on destem's own input, and on all
three input pipelines), and the shipped model."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINI_CORPUS = ROOT / "tests" / "data" / "mini_corpus.txt"
DEFAULT_MODEL = ROOT / "models" / "default"
MIX = "destem:0.34,isalpha:0.33,letters:0.33"  # the input pipelines of the mixed toy model, as the general model's


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
    from destem.training.config import load_config

    return train_mini_run("toy", dataclasses.replace(load_config("toy"), max_steps=120, max_stems=48))


@pytest.fixture(scope="session")
def default_model_dir() -> Path:
    if not (DEFAULT_MODEL / "config.json").exists():
        pytest.fail("models/default is missing: the shipped checkpoint must be committed")
    return DEFAULT_MODEL


@pytest.fixture(scope="session")
def mixed_model_dir(tmp_path_factory) -> Path:
    """A toy model trained on the mini corpus stemmed by all three pipelines."""
    from destem.text.pairs import PairConfig, build_pairs
    from destem.training.config import load_config
    from destem.training.train import prepare_run, train

    pairs = tmp_path_factory.mktemp("pairs") / "mixed"
    build_pairs([str(MINI_CORPUS)], str(pairs), PairConfig(max_stems=48, valid_fraction=0.2, seed=1, inputs=MIX),
                num_proc=1)
    out = tmp_path_factory.mktemp("mixed") / "model"
    config = dataclasses.replace(load_config("toy"), max_steps=120, max_stems=48, inputs=MIX)
    prepare_run(str(out), str(pairs), config)
    train(str(out), config, device_name="cpu")
    return out
