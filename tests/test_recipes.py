"""The lab's bar measurements' choice of articles (destem.lab.article_choice): `--split validation`
keeps the validation split of several corpus files in corpus order, `--exclude` drops titles."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from destem.text.pairs import PairConfig, split_of

ROOT = Path(__file__).resolve().parent.parent
SENTENCE = ("The old railway company built a bridge across the river in {k}, and its engineers reported that "
            "the journey took one day instead of three.")


def _corpus(tmp_path) -> tuple[list[str], list[str]]:
    """Two corpus files of 200 short articles each, and the validation split's titles in corpus order."""
    paths, titles = [], []
    for f in range(2):
        names = [f"Bridge {f}-{k}" for k in range(200)]
        path = tmp_path / f"wiki-{f}.txt"
        path.write_text("".join(f"# {t}\n{SENTENCE.format(k=1800 + k)}\n\n" for k, t in enumerate(names)),
                        encoding="utf-8")
        paths.append(str(path))
        titles += names
    valid = [t for t in titles if split_of(t, PairConfig()) == "validation"]
    assert len(valid) >= 3 and {t.split("-")[0] for t in valid} == {"Bridge 0", "Bridge 1"}  # both files
    return paths, valid


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", f"destem.lab.{script}", *args], check=False, cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("script", ["detect_bar", "words_bar"])
def test_split_validation_takes_the_held_out_articles(tmp_path, script):
    paths, valid = _corpus(tmp_path)
    excluded = tmp_path / "bench.txt"
    excluded.write_text(f"# {valid[0]}\nSome other text about it.\n", encoding="utf-8")
    count = len(valid) - 2  # skip one, and one is excluded
    if script == "detect_bar":
        out = tmp_path / "bar.json"
        args = ["--inputs", str(count), "--per-input", "1", "--out", str(out)]
    else:
        out = tmp_path / "words" / "held.json"
        args = ["--articles", str(count), "--context-stems", "0", "--out", str(tmp_path / "words"), "--name", "held"]
    done = _run(script, "--corpus", *paths, "--split", "validation", "--exclude", str(excluded), "--skip", "1", *args)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    chosen = report["articles"]
    assert chosen["titles"] == valid[2:]  # the first excluded, the next skipped, then corpus order over both files
    assert chosen["split"] == "validation" and chosen["corpus"] == ["wiki-0.txt", "wiki-1.txt"]
    assert report["command"].startswith(f"python -m destem.lab.{script} --corpus ")


def test_without_split_every_article_counts(tmp_path):
    paths, _ = _corpus(tmp_path)
    out = tmp_path / "bar.json"
    done = _run("detect_bar", "--corpus", *paths, "--skip", "198", "--inputs", "4", "--per-input", "1",
                "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["articles"]["titles"] == ["Bridge 0-198", "Bridge 0-199",
                                                                 "Bridge 1-0", "Bridge 1-1"]
