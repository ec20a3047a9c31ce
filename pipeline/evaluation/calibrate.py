"""Calibrating a trained model's decoding settings on validation windows (never the benchmark).

- `empty_gap_bias`: trained with cross-entropy, the gap head leaves gaps empty too often
  (function-word recall is well below precision, the output is shorter than the reference); a
  negative bias on the empty-gap logit trades a little precision for recall.
- `lm_weight`, `lm_word_bonus`: how much the word n-gram LM (`ngram.npz`) counts against the
  tagger when gaps and forms are chosen together, and the score it adds per word written.
Every combination of the given values is scored by BLEU; the best can be written to config.json.
"""
from __future__ import annotations

import itertools
import json
import os
import random

import sacrebleu


def validation_windows(pairs_dir: str, count: int, seed: int = 1) -> tuple[list[str], list[str]]:
    """(sources, one-line references) of `count` random validation windows of built pairs."""
    from datasets import load_from_disk

    valid = load_from_disk(pairs_dir)["validation"]
    if len(valid) == 0:
        raise ValueError(f"{pairs_dir}: no validation windows")
    ids = random.Random(seed).sample(range(len(valid)), min(count, len(valid)))
    records = [valid[i] for i in ids]
    return [r["source"] for r in records], [" ".join(r["target"].split()) for r in records]


DECODING_SETTINGS = ("empty_gap_bias", "lm_weight", "lm_word_bonus")


def score_settings(restorer, sources, references, grid: dict[str, list[float]]) -> list[dict]:
    """BLEU and output/reference length of every combination of the `grid`'s values."""
    rows = []
    for values in itertools.product(*grid.values()):
        settings = dict(zip(grid, values))
        for name, value in settings.items():
            setattr(restorer.model.config, name, value)
        bleu = sacrebleu.corpus_bleu(restorer.restore(sources), [references])
        rows.append({**settings, "bleu": bleu.score, "length_ratio": bleu.sys_len / bleu.ref_len})
    return rows


def write_settings(model_dir: str, settings: dict) -> None:
    path = os.path.join(model_dir, "config.json")
    with open(path) as f:
        config = json.load(f)
    config.update(settings)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
    os.replace(tmp, path)
