"""The lab's bar measurements' choice of articles (destem.lab.article_choice): `--split validation`
keeps the validation split of several corpus files in corpus order, `--exclude` drops titles."""
from __future__ import annotations

import gzip
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


def test_general_mix_takes_each_register_at_its_share_and_wikipedias_training_split(tmp_path):
    """data/recipes/general/build_mix.py: shares of words per register, long documents capped, Wikipedia's
    validation articles left out, the same bytes twice."""
    wiki = tmp_path / "wiki.txt"
    wiki.write_text("".join(f"# Article {i}\n" + ("word " * 100).strip() + "\n\n" for i in range(400)))
    registers = tmp_path / "registers"
    registers.mkdir()
    for name in ("fiction", "forum", "speeches", "science", "howto", "news"):
        docs = "".join(f"# {name} {i}\n" + "\n".join([("text " * 50).strip()] * 600) + "\n\n" for i in range(3))
        (registers / f"{name}.train.txt").write_text(docs)
        subprocess.run(["gzip", "-k", str(registers / f"{name}.train.txt")], check=True)
    outs = []
    for k in range(2):
        out = tmp_path / f"mix{k}.txt.gz"
        done = subprocess.run([sys.executable, "data/recipes/general/build_mix.py", "--wiki", str(wiki), "--registers",
                               str(registers), "--words", "100000", "--out", str(out)], cwd=ROOT, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    counts = json.loads((tmp_path / "mix1.json").read_text())
    assert counts["wikipedia"]["words"] == pytest.approx(35_000, abs=100)  # whole 100-word articles up to the share
    assert counts["fiction"] == {"documents": 1, "words": 20_000}  # a novel's first 20,000 words
    assert counts["forum"]["words"] == 30_000 and counts["forum"]["documents"] == 1  # forum posts are not capped
    validation = {f"Article {i}" for i in range(400) if split_of(f"Article {i}", PairConfig()) == "validation"}
    titles = {line[2:] for line in gzip.decompress(outs[0]).decode().splitlines() if line.startswith("# ")}
    assert validation and not validation & titles

    # later stages: --after the earlier mixes takes what they left, a capped novel's next 20,000 words each time
    def later(name, after, words):
        out = tmp_path / f"{name}.txt.gz"
        done = subprocess.run([sys.executable, "data/recipes/general/build_mix.py", "--wiki", str(wiki), "--registers",
                               str(registers), "--shares", "fiction:1", "--words", str(words), "--after", *after,
                               "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return str(out), json.loads((tmp_path / f"{name}.json").read_text())["fiction"]

    second, counts = later("second", [str(tmp_path / "mix0.txt.gz")], 15_000)
    assert counts == {"documents": 2, "words": 30_000}  # novel 0's last 10,000 words, novel 1's first 20,000
    _, counts = later("third", [str(tmp_path / "mix0.txt.gz"), second], 5_000)
    assert counts == {"documents": 1, "words": 10_000}  # novel 0 is used up; novel 1's last 10,000 words
    # --caps: a larger mix takes more of each novel
    done = subprocess.run([sys.executable, "data/recipes/general/build_mix.py", "--wiki", str(wiki), "--registers",
                           str(registers), "--shares", "fiction:1", "--words", "25000", "--caps", "fiction:30000",
                           "--out", str(tmp_path / "larger.txt.gz")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "larger.json").read_text())["fiction"] == {"documents": 1, "words": 30_000}
