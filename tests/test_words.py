"""`destem words`: keyword lists of stems back to words, alone (the lexicon) and with a context corpus."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from destem.cli import main
from destem.restore.words import context_sample, form_weights, sample_context, split_terms
from destem.text.forward import stem_text, stem_token
from destem.text.windows import window_bounds

MINI_CORPUS = Path(__file__).resolve().parent / "data" / "mini_corpus.txt"

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


@pytest.mark.parametrize("precision", ["auto", "fp32", "int8"])
def test_context_gives_the_form_the_corpus_uses(capsys, tmp_path, precision):
    prose = ["She was elected mayor of the town in 1990 and was elected again four years later.",
             "His brother was elected to the council; both were elected by large majorities.",
             "The villagers elected a new priest, who was elected unanimously."]
    context = tmp_path / "context.txt"
    context.write_text("".join(stem_text(p) + "\n" for p in prose) + "unrel stem line\n", encoding="utf-8")
    _, alone, _ = words(capsys, tmp_path, ["elect"])
    code, with_context, err = words(capsys, tmp_path, ["elect"], "--context", context, "--device", "cpu", "--jsonl",
                                    "--precision", precision)
    assert code == 0 and alone == ["election"]
    record = json.loads(with_context[0])
    assert (record["output"], record["words"][0]["source"]) == ("elected", "context")
    assert "restoring 3 of 4 context documents" in err


def test_the_cli_default_budget_is_the_library_s():
    from destem.cli import DEFAULT_CONTEXT_STEMS
    from destem.restore import words as words_module

    assert DEFAULT_CONTEXT_STEMS == words_module.DEFAULT_CONTEXT_STEMS


def big_context(documents: int = 300) -> list[str]:
    """A context much larger than the budgets below: filler sentences, a few listed stems that occur in
    every document (`common`), and rare ones that only late documents hold."""
    context = []
    for d in range(documents):
        sentences = [f"filler{d % 7} word{d % 11} common stuff{k} ." for k in range(12)]
        if d % 50 == 49:
            sentences[5] = f"rare{d // 50} stuff ."
        if d == documents - 1:
            sentences[9] = "last shown ."
        context.append(" ".join(sentences))
    return context


LISTED = [["common", "rare0", "rare3", "rare5"], ["last", "absent"]]


def is_window_of(piece: str, span, documents: list[str], window: int) -> bool:
    d, start, end = span
    stems = documents[d].split()
    return (start, end) in window_bounds(stems, window) and piece == " ".join(stems[start:end])


def test_context_sample_gives_every_listed_stem_in_the_context_a_share_within_the_budget():
    context = big_context()
    assert sum(len(d.split()) for d in context) > 10 * 1_500
    sample = context_sample(context, LISTED, max_stems=1_500, window=24)
    assert 1_500 - 24 < sample.stems <= 1_500
    found = {s for d in context for s in d.split()} & {s for terms in LISTED for s in terms}
    assert sample.in_context == len(found) == 5  # "absent" is not in the context
    assert set(sample.occurrences) == found  # each one has some, the late ones included
    assert all(sample.occurrences[s] >= 1 for s in ("rare5", "last"))
    assert sample.occurrences["common"] > 5 * sample.occurrences["rare0"]  # common ones fill what is left
    assert sample.spans == sorted(sample.spans) and sample.documents == len({d for d, _, _ in sample.spans})
    assert all(is_window_of(p, span, context, 24) for p, span in zip(sample.pieces, sample.spans))
    again = context_sample(context, LISTED, max_stems=1_500, window=24)
    assert (again.pieces, again.spans) == (sample.pieces, sample.spans)


def test_a_stem_s_windows_come_from_documents_spread_over_the_corpus_those_with_its_list_mates_first():
    context = [f"bank{'' if d % 10 else ' money'} filler ." for d in range(100)]
    sample = context_sample(context, [["bank", "money"]], max_stems=5 * 4, window=4)
    documents = [d for d, _, _ in sample.spans]
    assert len(documents) == 5 and all(d % 10 == 0 for d in documents)  # those that hold "money" too
    sample = context_sample(context, [["bank"], ["money"]], max_stems=10 * 4, window=4)
    documents = [d for d, _, _ in sample.spans]
    assert min(documents) < 20 and max(documents) > 80  # spread, not the first ones


def weighed_by_marker(pieces: list[str]) -> list:
    """A stand-in restorer: `line` is `lines` in windows that hold the stem `pl`, else `line`, both
    with probability 0.9; every other stem is itself, certain."""
    out = []
    for piece in pieces:
        stems = piece.split()
        line = "lines" if "pl" in stems else "line"
        out.append([(line, [(line, 0.9), ("lined", 0.1)]) if s == "line" else (s, [(s, 1.0)]) for s in stems])
    return out


def test_sample_context_spends_the_budget_on_close_calls_and_stops_when_every_form_is_clear():
    context = [f"line {'pl ' * (d % 2)}wing filler ." for d in range(400)]  # line: lines half the time
    sample = sample_context(context, [["line", "wing"]], weighed_by_marker, max_stems=1_000, window=6, first=5)
    assert sample.stems <= 1_000 and sample.rounds > 1
    assert sample.occurrences["line"] == sample.occurrences["wing"]  # they share windows here
    context = [f"line {'pl ' * (d % 2)}filler . wing filler ." for d in range(400)]  # now they do not
    sample = sample_context(context, [["line", "wing"]], weighed_by_marker, max_stems=1_000, window=4, first=5)
    assert sample.stems <= 1_000
    assert sample.occurrences["wing"] == 5 and sample.occurrences["line"] > 100  # wing was clear at once
    assert set(sample.counts["wing"]) == {"wing"} and set(sample.counts["line"]) == {"line", "lines", "lined"}
    clear = ["line filler . wing filler ." for _ in range(400)]
    sample = sample_context(clear, [["line", "wing"]], weighed_by_marker, max_stems=1_000, window=4, first=5)
    assert sample.stems < 100 and sample.occurrences == {"line": 5, "wing": 5}  # no budget spent on clear forms


def test_form_weights_add_the_probabilities_of_forms_that_stem_back():
    counts = form_weights(["elect govern"], [[("Elected", [("elected", 0.6), ("election", 0.3), ("elk", 0.1)]),
                                               ("governs", [("governs", 1.0)])]])
    assert counts == {"elect": {"Elected": 0.6, "election": 0.3}, "govern": {"governs": 1.0}}


def test_words_with_a_context_much_larger_than_the_budget(capsys, tmp_path, toy_model_dir):
    corpus = [line for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    context = tmp_path / "context.txt"
    context.write_text("".join(stem_text(p) + "\n" for p in corpus * 5), encoding="utf-8")
    lines = ["hagbard charact trilog", "govern, qqzzx"]  # the toy model's windows: at most 48 stems
    code, out, err = words(capsys, tmp_path, lines, "--context", context, "--context-stems", 250,
                           "--model", toy_model_dir, "--device", "cpu", "--jsonl")
    assert code == 0
    restored = int(re.search(r"restored ([\d,]+) stems", err).group(1).replace(",", ""))
    assert 250 - 48 < restored <= 250 < sum(len(stem_text(p).split()) for p in corpus * 5) / 10
    assert {"hagbard", "charact", "trilog", "govern"} <= set(context.read_text().split())
    assert "4 of the 5 listed stems occur in them, 4 in the context" in err  # each of them got a share
    records = [json.loads(line) for line in out]
    assert [r["input"] for r in records] == lines
    for record in records:
        for word in record["words"]:
            assert stem_token(word["word"]) == word["stem"] or word["source"] == "stem"
    from destem.restore.restorer import Restorer

    stems = [w["stem"] for r in records for w in r["words"]]
    chosen = Restorer.from_pretrained(str(toy_model_dir), device="cpu").words(
        stems, context.read_text().splitlines(), max_stems=250, lists=[s.replace(",", "").split() for s in lines])
    assert [c.word for c in chosen] == [w["word"] for r in records for w in r["words"]]  # what the CLI wrote
