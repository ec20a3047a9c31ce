"""The bake-off runner: same windows for every formulation, results that accumulate."""
from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.experiments.bakeoff import BakeoffOptions, run_bakeoff, score_windows, validation_windows


@pytest.mark.parametrize("hypothesis, reference, bleu, content", [
    ("The cat sat on the mat.", "The cat sat on the mat.", 100.0, 100.0),
    ("the cat sat on the mat.", "The cat sat on the mat.", None, 100.0),  # the sentence rule is not in the texts
    ("The cats sat on the mat.", "The cat sat on the mat.", None, 75.0),  # 3 of 4 stems' words right
    ("", "The cat sat.", 0.0, 0.0),
])
def test_score_windows(hypothesis, reference, bleu, content):
    scores = score_windows([hypothesis], [reference])
    if bleu is not None:
        assert scores["bleu"] == pytest.approx(bleu)
    assert scores["content_accuracy"] == pytest.approx(content)


def test_validation_windows_are_fixed_and_verified(mini_pairs):
    first = validation_windows(str(mini_pairs), 3, seed=0)
    assert first == validation_windows(str(mini_pairs), 3, seed=0)
    assert first and all(w["verified"] and w["source"] for w in first)


def test_tagger_bakeoff_row_and_report(mini_pairs, tmp_path):
    options = BakeoffOptions(pairs=str(mini_pairs), out=str(tmp_path / "out"), work=str(tmp_path / "work"),
                             formulations=["tagger"], minutes=0.05, train_windows=40, eval_windows=4,
                             tagger_config="toy")
    report = run_bakeoff(options)
    row = report["rows"]["tagger"]
    assert row["step"] > 0 and row["parameters"] > 0 and 0 <= row["bleu"] <= 100
    assert len(row["samples"]) == 3 and row["setup"]["train_windows"] == 40
    with open(tmp_path / "out" / "results.json") as f:
        assert json.load(f)["rows"]["tagger"]["bleu"] == row["bleu"]
    assert "| tagger |" in (tmp_path / "out" / "report.md").read_text()
    # a second run of the same formulation would overwrite its run folder: refused, with a message
    code = main(["bakeoff", "--pairs", str(mini_pairs), "--formulations", "tagger", "--tagger-config", "toy",
                 "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out"), "--train-windows", "40"])
    assert code == 2


def test_unknown_formulation_is_refused(mini_pairs, tmp_path, capsys):
    assert main(["bakeoff", "--pairs", str(mini_pairs), "--formulations", "rnn", "--out", str(tmp_path)]) == 2
    assert "unknown ['rnn']" in capsys.readouterr().err
