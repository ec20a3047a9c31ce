"""The bake-off runner: same windows for every formulation, results that accumulate."""
from __future__ import annotations

import dataclasses
import json

import pytest

from destem.lab.bakeoff import BakeoffOptions, main, run_bakeoff, score_windows, validation_windows
from destem.text.textio import InputError


@pytest.mark.parametrize("hypothesis, reference, bleu, content, function_f1", [
    ("The cat sat on the mat.", "The cat sat on the mat.", 100.0, 100.0, 100.0),
    ("the cat sat on the mat.", "The cat sat on the mat.", None, 100.0, 100.0),  # the sentence rule is not in the texts
    ("The cats sat on the mat.", "The cat sat on the mat.", None, 75.0, 100.0),  # 3 of 4 stems' words right
    ("The cat sat on a mat.", "The cat sat on the mat.", None, 100.0, 200 * 2 / 6),  # 2 of 3 function words
    ("", "The cat sat.", 0.0, 0.0, 0.0),
])
def test_score_windows(hypothesis, reference, bleu, content, function_f1):
    scores = score_windows([hypothesis], [reference])
    if bleu is not None:
        assert scores["bleu"] == pytest.approx(bleu)
    assert scores["content_accuracy"] == pytest.approx(content)
    assert scores["function_f1"] == pytest.approx(function_f1)


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
    code = main(["--pairs", str(mini_pairs), "--formulations", "tagger", "--tagger-config", "toy",
                 "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out"), "--train-windows", "40"])
    assert code == 2


def test_a_cpu_budget_row_beside_an_old_row(mini_pairs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    old = {"formulation": "tagger", "parameters": 1e6, "step": 9, "tokens": 99, "minutes": 20.0, "bleu": 1.0,
           "chrf++": 2.0, "content_accuracy": 3.0, "created": "then", "samples": [],
           "setup": {"minutes": 20.0, "train_windows": 40, "eval_windows": 4, "cpu_cores": 2, "torch_threads": 2}}
    (out / "results.json").write_text(json.dumps({"rows": {"tagger": old}}))
    options = BakeoffOptions(pairs=str(mini_pairs), out=str(out), work=str(tmp_path / "work"), formulations=["tagger"],
                             cpu_minutes=0.02, train_windows=40, eval_windows=4, tagger_config="toy")
    rows = run_bakeoff(options)["rows"]
    assert rows["tagger"] == old  # the wall-clock row stays beside the CPU-time one
    row = rows["tagger @ 0.02 CPU min"]
    assert 0.02 <= row["cpu_minutes"] < 0.1 and row["restore_threads"] == 1 and row["restore_stems_per_s"] > 0
    report = (out / "report.md").read_text()
    assert "| tagger | 20 min, 2 threads |" in report and "| — |" in report  # the old row's missing columns
    assert "| tagger | 0.02 CPU min |" in report
    with pytest.raises(InputError, match="wall-clock budget"):
        run_bakeoff(dataclasses.replace(options, formulations=["forced-seq2seq"]))


def test_unknown_formulation_is_refused(mini_pairs, tmp_path, capsys):
    assert main(["--pairs", str(mini_pairs), "--formulations", "rnn", "--out", str(tmp_path)]) == 2
    assert "unknown ['rnn']" in capsys.readouterr().err
