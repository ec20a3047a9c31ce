"""Input made with NLTK's Snowball English stemmer, or Porter's with Martin's extensions (the rest of
destem's pipeline unchanged): `destem stem --pipeline snowball` (`--stemmer porter-martin`) makes it,
restore detects it and restores it as such stems, so that stemming the output with that stemmer gives
the input back, document by document."""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from nltk.stem.porter import PorterStemmer
from nltk.stem.snowball import SnowballStemmer

from destem.cli import main
from destem.restore.batch import RunTotals, also_possible
from destem.restore.restorer import Restorer
from destem.text.check import check_documents
from destem.text.detect import Detection, detect_documents
from destem.text.forward import (
    DEFAULT_PIPELINE,
    PIPELINES,
    STOPWORDS,
    ForwardPipeline,
    pipeline_flags,
    pipeline_name,
    pipeline_named,
    pipeline_of_input,
    tokenize,
)
from destem.text.textio import InputError

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


@pytest.mark.parametrize("stem, word", [("quick", "quickly"), ("increas", "increasingly"), ("relat", "relative"),
                                        ("signific", "significantly"), ("report", "reportedly"),
                                        ("generat", "generation")])
def test_snowball_stems_reach_words_whose_porter_stem_differs(shipped, stem, word):
    # Snowball drops "-ly" (and more) where Porter keeps it: "quickly" is Snowball's "quick" but Porter's "quickli"
    assert SnowballStemmer("english").stem(word) == stem != PorterStemmer().stem(word)
    assert word in shipped._lexicon_candidates(stem, SNOWBALL)


def test_snowball_adverbs_come_back_as_adverbs(shipped):
    stems = [SNOWBALL.stem_text("The bridge was quickly repaired after the storm."),
             SNOWBALL.stem_text("The population is mostly rural.")]
    assert stems == ["bridg quick repair storm .", "popul most rural ."]
    restorations = shipped.restore_documents(stems, pipeline=SNOWBALL)
    assert all(r.roundtrip_ok for r in restorations)
    assert "quickly repaired" in restorations[0].text and "mostly rural" in restorations[1].text


def test_snowball_clitic_stems_come_back_as_clitics(shipped):
    # Snowball writes "'ll", "'re", "'ve" as "ll", "re", "ve" (which the stoplist would drop as words): they stand
    # for the clitics, and the subject the stoplist dropped comes back before them
    stems = [SNOWBALL.stem_text(t) for t in ("I'll see you there tomorrow.", "We've seen where they're going.")]
    assert stems == ["ll see tomorrow .", "ve seen re go ."]
    restorations = shipped.restore_documents(stems, pipeline=SNOWBALL)
    assert all(r.roundtrip_ok for r in restorations)
    assert [SNOWBALL.stem_text(r.text) for r in restorations] == stems
    assert re.search(r"\w'll see", restorations[0].text) and re.search(r"\w've seen .*\w're go", restorations[1].text)


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


# ---------------------------------------------------------------- Porter with Martin's extensions ("dai" of "day")

MARTIN = pipeline_named("destem:porter-martin")


def test_the_martin_pipeline_is_nltks_porter_in_martins_mode(tmp_path, capsys):
    stem = PorterStemmer(PorterStemmer.MARTIN_EXTENSIONS).stem
    source = tmp_path / "prose.txt"
    source.write_text("\n".join(PROSE[:8]) + "\n", encoding="utf-8")
    assert main(["stem", "--pipeline", "destem", "--stemmer", "porter-martin", str(source)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        " ".join(stem(t) for t in tokenize(p) if t.lower() not in STOPWORDS) for p in PROSE[:8]]
    assert MARTIN.stem_text("Every day, a way.") == "everi dai , wai ."


def test_pipeline_names_carry_the_stemmer():
    assert pipeline_named("letters:porter-martin+and,for") == ForwardPipeline(
        stemmer="porter-martin", keep="letters-3", kept_stopwords=frozenset({"and", "for"}))
    assert pipeline_name("letters", ["for", "and"], "porter-martin") == "letters:porter-martin+and,for"
    assert pipeline_name("snowball", [], "snowball-english") == "snowball"  # the key's own stemmer is not named
    assert pipeline_flags("letters:porter-martin+and") == (
        "--pipeline letters --stemmer porter-martin --kept-stopwords and")
    assert pipeline_of_input(ForwardPipeline(stemmer="snowball-english")) == "snowball"
    assert pipeline_of_input(ForwardPipeline(stemmer="porter-martin", keep="isalpha")) == "isalpha:porter-martin"
    assert pipeline_of_input(ForwardPipeline(stemmer="lancaster")) is None
    with pytest.raises(InputError, match="stemmer 'lancaster'"):
        pipeline_named("destem:lancaster")


def test_martin_stems_restore_as_their_words_and_stem_back(shipped):
    prose = [p for p in PROSE if re.search(r"\b(days?|way|may|says)\b", p)]
    stems = [MARTIN.stem_text(p) for p in prose]
    assert any(re.search(r"\b(dai|wai|mai|sai)\b", s) for s in stems)
    restorations = shipped.restore_documents(stems, pipeline=MARTIN)
    assert all(r.roundtrip_ok for r in restorations)
    assert [MARTIN.stem_text(r.text) for r in restorations] == stems
    words = {w.strip(".,;:()\"'").lower() for r in restorations for w in r.text.split()}
    assert {"dai", "wai", "mai", "sai"}.isdisjoint(words)  # each Martin stem came back as a word


def test_the_command_lines_names_are_forwards():
    """cli keeps copies so that --help imports nothing: they must name what forward restores."""
    from destem.cli import INPUT_STEMMERS, PIPELINE_NAMES
    from destem.text.forward import RESTORABLE_STEMMERS

    assert PIPELINE_NAMES == tuple(PIPELINES) and INPUT_STEMMERS == RESTORABLE_STEMMERS


def test_a_folder_of_snowball_paragraphs_reads_as_snowball_together(default_model_dir, tmp_path, capsys):
    # one paragraph a file holds too few tells to tell Snowball's stems from Porter's; the folder's files
    # read together do, and each file too short to show its own pipeline is read as they are
    paragraphs = [p for p in PROSE if len(p.split()) >= 20]
    folder = tmp_path / "stems"
    folder.mkdir()
    for i, paragraph in enumerate(paragraphs):
        (folder / f"{i:02d}.txt").write_text(SNOWBALL.stem_text(paragraph) + "\n", encoding="utf-8")
    single = detect_documents([SNOWBALL.stem_text(paragraphs[0])], expected=DEFAULT_PIPELINE)
    assert single.unsure
    out = tmp_path / "out"
    assert main(["restore", "--model", str(default_model_dir), "--device", "cpu", "--precision", "fp32",
                 str(folder), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count(f"(detected over this run's {len(paragraphs)} inputs") == len(paragraphs)
    restored = [(out / f"{i:02d}.txt").read_text(encoding="utf-8").strip() for i in range(len(paragraphs))]
    assert [SNOWBALL.stem_text(r) for r in restored] == [SNOWBALL.stem_text(p) for p in paragraphs]


def test_a_reading_of_more_tokens_is_taken_only_where_it_fits():
    snowball_stems = " ".join(SNOWBALL.stem_text(p) for p in PROSE)
    run = detect_documents([snowball_stems], expected=DEFAULT_PIPELINE)
    assert run.stemmer == "snowball-english" and run.stemmer_confidence > 0.99
    short = detect_documents([SNOWBALL.stem_text(PROSE[3])], expected=DEFAULT_PIPELINE)
    assert short.fits(run) and not run.fits(short)
    # a paragraph that shows its punctuation dropped is not read as a run whose input kept it
    no_punctuation = detect_documents([" ".join(t for t in SNOWBALL.stem_text(PROSE[3]).split() if t.isalpha())],
                                      expected=DEFAULT_PIPELINE)
    assert no_punctuation.punctuation == "dropped" and not no_punctuation.fits(run)
    assert not short.fits(None)
    # a paragraph of letters-only stems is too short to show its short words dropped; many of them together do
    letters = PIPELINES["letters"]
    letters_run = detect_documents([letters.stem_text(p) for p in PROSE * 2], expected=DEFAULT_PIPELINE)
    letters_paragraph = detect_documents([letters.stem_text(PROSE[3])], expected=DEFAULT_PIPELINE)
    assert (letters_paragraph.short_words, letters_run.short_words) == ("unknown", "dropped")
    assert letters_paragraph.fits(letters_run) and not short.fits(letters_run)


def test_another_likely_stemmer_is_checked_too():
    found = Detection(stemmer="porter-nltk", stopwords="nltk-179", lowercased=True, tokens="nltk-treebank",
                      confidence=0.7, shares={("porter-nltk", "nltk-179"): 0.7, ("porter-martin", "nltk-179"): 0.12,
                                              ("snowball-english", "nltk-179"): 0.09,
                                              ("snowball-english", "nltk-127"): 0.09})
    assert also_possible(found, DEFAULT_PIPELINE, ("destem",)) == "snowball"  # 0.18 over both lists
    sure = dataclasses.replace(found, shares={("porter-nltk", "nltk-179"): 0.92,
                                              ("snowball-english", "nltk-179"): 0.08})
    assert also_possible(sure, DEFAULT_PIPELINE, ("destem",)) is None


def test_the_summary_names_documents_that_another_likely_pipeline_would_not_stem_back():
    mismatch = check_documents(["los angel"], ["Los Angeles"], DEFAULT_PIPELINE).mismatches[0]
    mismatch.document = 2
    totals = RunTotals(also_possible={"snowball": (["a.txt", "b.txt"], [("b.txt", mismatch)])})
    line = totals.summary().splitlines()[-1]
    assert line.startswith("destem: warning: 2 inputs read as the model's own input have too few tells to rule out "
                           "snowball-english stems")
    assert "1 document in 1 input does not stem back under it (first: b.txt: document 2: differs at stem 1" in line
    assert line.endswith("restore it with --pipeline snowball")
    assert len(RunTotals(also_possible={"snowball": (["a.txt"], [])}).summary().splitlines()) == 1


def test_detect_reads_a_short_file_as_the_files_given_together(tmp_path, capsys):
    paragraphs = [p for p in PROSE if len(p.split()) >= 20]
    paths = []
    for i, paragraph in enumerate(paragraphs):
        paths.append(tmp_path / f"{i:02d}.txt")
        paths[-1].write_text(SNOWBALL.stem_text(paragraph) + "\n", encoding="utf-8")
    assert main(["detect", "--json", *map(str, paths)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(r["stemmer"] == "snowball-english" and r["restorable_as"] == "snowball" for r in records)
    assert sum(r.get("read_with_files") == len(paths) for r in records) >= len(paths) // 2
    # alone, the first is not sure of its stemmer; in text, its lines say it was read with the others
    assert detect_documents([SNOWBALL.stem_text(paragraphs[0])]).unsure
    assert main(["detect", *map(str, paths)]) == 0
    first = capsys.readouterr().out.split(f"{paths[1]}:")[0]
    assert first.startswith(f"{paths[0]}: snowball-english stems")
    assert f"read with the other {len(paths) - 1} files: alone," in first
