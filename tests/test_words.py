"""`destem words`: keyword lists of stems back to words, alone (the lexicon) and with a context corpus."""
from __future__ import annotations

import json

import pytest

from destem.cli import main
from destem.restore.words import split_terms
from destem.text.forward import stem_text, stem_token

LISTS = ["govern polit parti elect", "trotski, revolut,bolshevik", "", "  unit  state "]


def words(capsys, tmp_path, lines, *options):
    path = tmp_path / "terms.txt"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    code = main(["words", str(path), *map(str, options)])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


@pytest.mark.parametrize("line, parts", [
    ("govern polit", ["govern", " ", "polit"]),
    ("a, b,c", ["a", ", ", "b", ",", "c"]),
    ("  a  b ", ["", "  ", "a", "  ", "b", " ", ""]),
    ("", [""]),
])
def test_split_terms_keeps_every_separator(line, parts):
    assert split_terms(line) == parts and "".join(parts) == line


def test_words_alone_keep_lines_and_separators_and_stem_back(capsys, tmp_path):
    code, out, err = words(capsys, tmp_path, LISTS)
    assert code == 0 and err == ""
    assert out == ["government political party election", "Trotsky, Revolution,Bolsheviks", "", "  United  state "]
    for line, restored in zip(LISTS, out):
        stems, restored_words = split_terms(line)[::2], split_terms(restored)[::2]
        assert [stem_token(w) if w else "" for w in restored_words] == stems


def test_a_stem_the_lexicon_does_not_know_stays_itself_with_a_warning(capsys, tmp_path):
    code, out, err = words(capsys, tmp_path, ["govern qqzzx"], "--jsonl")
    assert code == 0
    record = json.loads(out[0])
    assert record["output"] == "government qqzzx"
    assert [(w["word"], w["source"], w["roundtrip"]) for w in record["words"]] == [
        ("government", "lexicon", True), ("qqzzx", "stem", True)]
    assert "1 stems the lexicon does not know" in err and "qqzzx" in err


def test_top_k_shows_the_forms_with_their_shares(capsys, tmp_path):
    code, out, _ = words(capsys, tmp_path, ["parti, elect"], "--top", 3)
    assert code == 0 and out[0].startswith("party (") and "), election (" in out[0]
    code, out, _ = words(capsys, tmp_path, ["parti, elect"], "--top", 3, "--jsonl")
    forms = json.loads(out[0])["words"][1]["forms"]
    assert len(forms) == 3 and [f["share"] for f in forms] == sorted((f["share"] for f in forms), reverse=True)
    assert all(stem_token(f["word"]) == "elect" for f in forms)


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"govern\x00polit\n", "looks binary"),
    (b"caf\xe9 govern\n", "not UTF-8"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, content, message):
    path = tmp_path / "terms.txt"
    if content is not None:
        path.write_bytes(content)
    assert main(["words", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_context_gives_the_form_the_corpus_uses(capsys, tmp_path):
    prose = ["She was elected mayor of the town in 1990 and was elected again four years later.",
             "His brother was elected to the council; both were elected by large majorities.",
             "The villagers elected a new priest, who was elected unanimously."]
    context = tmp_path / "context.txt"
    context.write_text("".join(stem_text(p) + "\n" for p in prose) + "unrel stem line\n", encoding="utf-8")
    _, alone, _ = words(capsys, tmp_path, ["elect"])
    code, with_context, err = words(capsys, tmp_path, ["elect"], "--context", context, "--device", "cpu", "--jsonl")
    assert code == 0 and alone == ["election"]
    record = json.loads(with_context[0])
    assert (record["output"], record["words"][0]["source"]) == ("elected", "context")
    assert "restoring 3 of 4 context documents" in err
