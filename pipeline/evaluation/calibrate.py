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
from dataclasses import dataclass

import sacrebleu

from ..text.textio import InputError, atomic_write


def validation_sample(pairs_dir: str, count: int, seed: int = 1) -> list[dict]:
    """`count` random validation windows of built pairs (their records)."""
    from datasets import load_from_disk

    valid = load_from_disk(pairs_dir)["validation"]
    if len(valid) == 0:
        raise InputError(f"{pairs_dir}: no validation windows")
    return [valid[i] for i in random.Random(seed).sample(range(len(valid)), min(count, len(valid)))]


def validation_texts(pairs_dir: str, count: int, seed: int = 1) -> list[str]:
    """The text, on one line, of `count` random validation windows of built pairs."""
    return [" ".join(r["target"].split()) for r in validation_sample(pairs_dir, count, seed)]


def score_settings(restorer, sources, references, grid: dict[str, list[float]],
                   input_name: str | None = None) -> list[dict]:
    """BLEU and output/reference length of every combination of the `grid`'s values; with `input_name`
    (a `forward.PIPELINES` name), as the settings for that input, which made `sources`."""
    from ..text.forward import PIPELINES

    rows = []
    config = restorer.model.config
    for values in itertools.product(*grid.values()):
        settings = dict(zip(grid, values))
        if input_name:
            config.decoding_by_input = {**config.decoding_by_input, input_name: settings}
        else:
            for name, value in settings.items():
                setattr(config, name, value)
        bleu = sacrebleu.corpus_bleu(restorer.restore(sources, pipeline=PIPELINES[input_name or "destem"]),
                                     [references])
        rows.append({**settings, "bleu": bleu.score, "length_ratio": bleu.sys_len / bleu.ref_len})
    return rows


def write_settings(model_dir: str, settings: dict, input_name: str | None = None) -> None:
    """Store decoding settings in the model's config.json: its own, or with `input_name` those for that input."""
    path = os.path.join(model_dir, "config.json")
    with open(path) as f:
        config = json.load(f)
    if input_name:
        config["decoding_by_input"] = {**config.get("decoding_by_input", {}), input_name: settings}
    else:
        config.update(settings)
    with atomic_write(path) as f:
        json.dump(config, f, indent=2, ensure_ascii=False)


# Confidence: `destem calibrate --confidence` fits, per head, the temperature and "none of these"
# score of `pipeline/restore/confidence.py` on held-out windows, and reports the expected calibration
# error on other held-out windows before and after.

def held_out_windows(paths: list[str], count: int, seed: int = 1) -> list[dict]:
    """Up to `count` random verified windows (with their words and gaps) of the articles that
    pair building holds out for validation: text no model trained on these pairs has seen."""
    from ..text.pairs import PairConfig, document_windows, split_documents

    config = PairConfig()
    records = [record for doc in split_documents(paths, "validation", config)
               for record in document_windows(doc, config) if record["verified"] and record["source"]]
    if not records:
        raise InputError(f"no held-out (validation) articles in {', '.join(paths)}")
    return random.Random(seed).sample(records, min(count, len(records)))


def validation_records(pairs_dir: str, count: int, seed: int = 1) -> list[dict]:
    """The verified windows of `validation_sample`: their words and gaps are the original text's."""
    return [r for r in validation_sample(pairs_dir, count, seed) if r["verified"] and r["source"]]


def split_by_article(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """Two halves with no article in both: one to fit on, one to check the fit."""
    articles = sorted({r["article"] for r in records})
    if len(articles) < 2:
        raise InputError("the windows come from one article: fitting on one and checking on another needs two")
    fit = set(random.Random(0).sample(articles, len(articles) // 2))
    return [r for r in records if r["article"] in fit], [r for r in records if r["article"] not in fit]


@dataclass
class ConfidenceObservations:
    """Per head, over the restored windows' stems: the local scores (padded), the chosen option,
    whether it was right, and the probability the restorer gave it."""

    scores: dict[str, list]
    chosen: dict[str, list[int]]
    correct: dict[str, list[bool]]
    probabilities: dict[str, list[float]]


def observe_confidence(restorations, records: list[dict]) -> ConfidenceObservations:
    """Compare every choice of restorations made with `explain=True` with the original text of
    their windows (`records`' gaps and words): gaps lowercase with paragraph marks kept, words
    ignoring case. Choices the round-trip repair made are left out."""
    heads = ("gap", "word")
    seen = ConfidenceObservations(*({h: [] for h in heads} for _ in range(4)))
    for record, restoration in zip(records, restorations):
        for stem, gold_gap, gold_word in zip(restoration.explanation.stems, record["gaps"], record["words"]):
            if stem.repaired:
                continue
            for head, right, p, scores, chosen in (
                    ("gap", stem.gap == gold_gap.lower(), stem.p_gap, stem.scores.gap_scores, stem.scores.chosen_gap),
                    ("word", stem.word.lower() == gold_word.lower(), stem.p_word, stem.scores.word_scores,
                     stem.scores.chosen_word)):
                seen.scores[head].append(scores)
                seen.chosen[head].append(chosen)
                seen.correct[head].append(right)
                seen.probabilities[head].append(p)
    return seen


def explain_windows(restorer, records: list[dict], progress=None) -> list:
    return restorer.restore_documents([r["source"] for r in records], explain=True, progress=progress)


def fit_confidence(seen: ConfidenceObservations, fitted_on: str):
    """The ConfidenceCalibration that fits these observations best (`confidence.fit_head`)."""
    import numpy as np

    from ..restore.confidence import ConfidenceCalibration, fit_head, padded

    heads = {head: fit_head(padded(seen.scores[head]), np.array(seen.chosen[head]), np.array(seen.correct[head]))[0]
             for head in ("gap", "word")}
    return ConfidenceCalibration(heads["gap"], heads["word"], fitted_on)


def calibration_errors(seen: ConfidenceObservations) -> dict:
    """Per head: expected calibration error, accuracy, mean probability and the reliability table."""
    import numpy as np

    from ..restore.confidence import ECE_BINS, expected_calibration_error, reliability_table

    out = {}
    for head in ("gap", "word"):
        p, right = np.array(seen.probabilities[head]), np.array(seen.correct[head])
        out[head] = {"ece": expected_calibration_error(p, right), "bins": ECE_BINS, "count": len(p),
                     "accuracy": float(right.mean()) if len(p) else None,
                     "mean_probability": float(p.mean()) if len(p) else None, "table": reliability_table(p, right)}
    return out


def write_confidence_calibration(model_dir: str, calibration) -> None:
    write_settings(model_dir, {"confidence_calibration": calibration.to_config()})


def plot_reliability(errors: dict, path: str, title: str) -> None:
    """Reliability diagram: accuracy against mean probability per bin, one line per head."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    for head, label in (("gap", "p_gap"), ("word", "p_word")):
        rows = [r for r in errors[head]["table"] if r["count"]]
        ax.plot([r["confidence"] for r in rows], [r["accuracy"] for r in rows], marker="o",
                label=f"{label} (ECE {errors[head]['ece']:.3f}, n={errors[head]['count']:,})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean probability in bin")
    ax.set_ylabel("share right")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
