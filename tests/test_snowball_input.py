"""Input made with NLTK's Snowball English stemmer (the rest of destem's pipeline unchanged): `destem stem
--pipeline snowball` makes it, restore detects it and restores it as Snowball stems, so that stemming the
output with Snowball gives the input back, document by document."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from nltk.stem.snowball import SnowballStemmer

from destem.cli import main
from destem.restore.restorer import Restorer
from destem.text.forward import DEFAULT_PIPELINE, PIPELINES, STOPWORDS, ForwardPipeline, tokenize

ROOT = Path(__file__).resolve().parents[1]
PROSE = [line for line in (ROOT / "tests" / "data" / "mini_corpus.txt").read_text(encoding="utf-8").splitlines()
         if line and not line.startswith("#")]
SNOWBALL = PIPELINES["snowball"]


def snowball_by_hand(text: str) -> str:
    """The pipeline spelled out with NLTK's own Snowball stemmer: Treebank tokens, 179 stopwords, stems."""
    stem = SnowballStemmer("english").stem
    return " ".join(stem(t) for t in tokenize(text) if t.lower() not in STOPWORDS)


def test_the_snowball_pipeline_is_nltks(tmp_path, capsys):
    source = tmp_path / "prose.txt"
    source.write_text("\n".join(PROSE[:8]) + "\n", encoding="utf-8")
    assert main(["stem", "--pipeline", "snowball", str(source)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [snowball_by_hand(p) for p in PROSE[:8]]
    assert lines != [DEFAULT_PIPELINE.stem_text(p) for p in PROSE[:8]]  # the two stemmers differ here


@pytest.fixture(scope="module")
def shipped(default_model_dir) -> Restorer:
    return Restorer.from_pretrained(str(default_model_dir), device="cpu", precision="fp32")


def test_snowball_stems_restore_and_stem_back_under_snowball(shipped):
    stems = [SNOWBALL.stem_text(p) for p in PROSE[:12]]
    restorations = shipped.restore_documents(stems, pipeline=SNOWBALL)
    assert all(r.roundtrip_ok for r in restorations)
    assert [SNOWBALL.stem_text(r.text) for r in restorations] == stems
    # read as Porter stems, the same input would not stem back under Snowball everywhere
    as_porter = shipped.restore(stems)
    assert sum(SNOWBALL.stem_text(t) != s for t, s in zip(as_porter, stems)) > 0


def test_another_pipeline_is_refused(shipped):
    with pytest.raises(ValueError, match="input made by lancaster stems"):
        shipped.restore_documents(["trotski die"], pipeline=ForwardPipeline(stemmer="lancaster"))


def test_restore_detects_snowball_input_and_says_so(default_model_dir, tmp_path, capsys):
    stems = [SNOWBALL.stem_text(p) for p in PROSE]
    source = tmp_path / "in.stem.txt"
    source.write_text("\n".join(stems) + "\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    assert main(["restore", "--model", str(default_model_dir), "--device", "cpu", "--precision", "fp32",
                 "--strict", str(source), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "input made with snowball-english stems" in err and "(--pipeline snowball)" in err
    assert "round-trip failures: 0" in err
    restored = out.read_text(encoding="utf-8").splitlines()
    assert [SNOWBALL.stem_text(t) for t in restored] == stems
    assert main(["check", "--pipeline", "snowball", str(source), str(out)]) == 0
    capsys.readouterr()
    assert main(["check", "--pipeline", "destem", str(source), str(out)]) == 1  # not Porter's stems


def test_pipeline_option_forces_and_jsonl_keeps_records(default_model_dir, tmp_path, capsys):
    stems = [SNOWBALL.stem_text(p) for p in PROSE[:3]]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": s}) + "\n" for i, s in enumerate(stems)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["restore", "--model", str(default_model_dir), "--device", "cpu", "--jsonl", "--pipeline",
                 "snowball", str(source), "-o", str(out)]) == 0
    assert "detected" not in capsys.readouterr().err  # asked for, not detected
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [0, 1, 2] and all(r["roundtrip"] for r in records)
    assert [SNOWBALL.stem_text(r["restored"]) for r in records] == stems
