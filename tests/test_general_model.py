"""Smoke tests of the shipped general model (models/general): it loads from its folder, restores
punctuation-free input with punctuation, and reads the R8 distribution's stems without flags, every
document stemming back under the detected pipeline."""
from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from destem.cli import main
from destem.restore.restorer import Restorer
from destem.text.forward import PIPELINES, pipeline_named

ROOT = Path(__file__).resolve().parents[1]
GENERAL = ROOT / "models" / "general"
PROSE = [line for line in (ROOT / "tests" / "data" / "mini_corpus.txt").read_text(encoding="utf-8").splitlines()
         if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def general() -> Restorer:
    return Restorer.from_pretrained(str(GENERAL), device="cpu", precision="fp32")


def test_it_was_trained_on_three_input_pipelines(general):
    assert general.model.config.inputs == ["destem", "isalpha", "letters"]


@pytest.mark.parametrize("name", ["isalpha", "letters"])
def test_punctuation_free_input_comes_back_punctuated_and_stems_back(general, name):
    pipeline = PIPELINES[name]
    stems = [pipeline.stem_text(p) for p in PROSE[:10]]
    restorations = general.restore_documents(stems, pipeline=pipeline)
    assert [pipeline.stem_text(r.text) for r in restorations] == stems
    assert sum(bool(re.search(r"\w[.,;:]\s", r.text)) for r in restorations) >= 8  # punctuation comes back


def test_it_guesses_no_headings_where_the_input_has_no_marks(general):
    """Whole articles of the mini corpus, headings included, through the isalpha line: its "#" marks are
    dropped, so where a heading was is not known, and plain text gets no stray "##"."""
    articles = re.split(r"\n(?=# )", (ROOT / "tests" / "data" / "mini_corpus.txt").read_text(encoding="utf-8"))
    pipeline = PIPELINES["isalpha"]
    stems = [pipeline.stem_text(article) for article in articles]
    restorations = general.restore_documents(stems, pipeline=pipeline)
    assert [pipeline.stem_text(r.text) for r in restorations] == stems
    assert not [r.text for r in restorations if "#" in r.text]


def test_input_with_its_punctuation_gets_none_added(general):
    # lines without a full stop (a forum post's title): the model of punctuation-free input too adds none
    titles = ["Should I put more focus in", "What are the best tools for a small startup", "Pricing for beta users"]
    stems = [PIPELINES["destem"].stem_text(t) for t in titles]
    restorations = general.restore_documents(stems)
    assert all(r.roundtrip_ok for r in restorations) and not [r.text for r in restorations if r.text[-1] in ".,;:"]


def test_r8_documents_restore_without_flags(tmp_path, capsys):
    with gzip.open(ROOT / "eval" / "suites" / "data" / "r8" / "r8-test-150.stem.txt.gz", "rt", encoding="utf-8") as f:
        documents = f.read().splitlines()[:60]
    source, out = tmp_path / "r8.stem.txt", tmp_path / "r8.txt"
    source.write_text("\n".join(documents) + "\n", encoding="utf-8")
    assert main(["restore", "--model", str(GENERAL), "--precision", "fp32", "--strict", str(source),
                 "-o", str(out)]) == 0
    err = capsys.readouterr().err
    kept = re.search(r"--pipeline letters --stemmer porter-martin --kept-stopwords ([a-z,]+)", err).group(1)
    pipeline = pipeline_named("letters:porter-martin+" + kept)
    restored = out.read_text(encoding="utf-8").splitlines()
    assert [pipeline.stem_text(line) for line in restored] == documents
    assert "yesterday" in " ".join(restored).lower()  # Martin's "yesterdai"
