"""The scores of `destem eval`: sacrebleu's golden values through the harness, and tables of
hand-checked values for every other score, edge cases included."""
from __future__ import annotations

import pytest

from destem.evaluation.metrics import (
    analyze,
    content_word_counts,
    document_bleu,
    sacrebleu_scores,
    score_texts,
    text_counts,
)

# sacrebleu's README example
README_HYPOTHESES = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
README_REFERENCES = [["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
                     ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."]]


def test_sacrebleu_readme_example_through_the_harness():
    scores = sacrebleu_scores(README_HYPOTHESES, README_REFERENCES)
    assert scores["bleu"]["score"] == pytest.approx(48.530827, abs=1e-6)
    assert scores["bleu"]["signature"].startswith("nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:")
    assert scores["bleu_uncased"]["signature"].startswith("nrefs:2|case:lc|")
    assert scores["chrf++"]["score"] == pytest.approx(59.153104, abs=1e-6)
    assert "|nw:2|" in scores["chrf++"]["signature"]
    assert scores["ter"]["score"] == pytest.approx(40.0)
    assert scores["ter"]["signature"].startswith("nrefs:2|case:mixed|tok:tercom")


@pytest.mark.parametrize("hypothesis, reference, expected", [
    ("The cat sat on the mat.", "The cat sat on the mat.", {"bleu": 100, "bleu_uncased": 100, "chrf++": 100, "ter": 0}),
    ("", "The cat sat.", {"bleu": 0, "bleu_uncased": 0, "chrf++": 0, "ter": 100}),
    ("cat", "cat", {"bleu": 0, "chrf++": 100, "ter": 0}),  # corpus BLEU needs 4-grams
    # one token of 7 wrong in case: n-gram precisions 6/7 5/6 4/5 3/4, so BLEU = (3/7)^(1/4);
    # TER's tokenizer keeps "mat." whole: 1 edit in 6 words
    ("the cat sat on the mat.", "The cat sat on the mat.",
     {"bleu": 100 * (3 / 7) ** 0.25, "bleu_uncased": 100, "ter": 100 / 6}),
])
def test_sacrebleu_scores_edge_cases(hypothesis, reference, expected):
    scores = sacrebleu_scores([hypothesis], [[reference]])
    assert {name: scores[name]["score"] for name in expected} == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("hypothesis, reference, expected", [
    ("The cat sat on the mat.", "The cat sat on the mat.", 100),
    ("", "The cat sat on the mat.", 0),
    ("cat", "cat", 100),  # effective order: a one-word document can score
])
def test_document_bleu(hypothesis, reference, expected):
    assert document_bleu([hypothesis], [reference]) == [pytest.approx(expected)]


N = None  # a rate with nothing to count
COLUMNS = ("wer", "content_accuracy", "content_accuracy_uncased", "function_precision", "function_recall",
           "function_f1", "casing_accuracy", "detokenization_accuracy")
SKIP = "skip"  # a value that depends on how a tie in the word alignment breaks


@pytest.mark.parametrize("hypothesis, reference, expected", [
    # identical texts
    ("The cat sat on the mat.", "The cat sat on the mat.", (0, 100, 100, 100, 100, 100, 100, 100)),
    # empty hypothesis: everything deleted, nothing restored
    ("", "The cat sat.", (100, 0, 0, N, 0, 0, N, N)),
    # both empty: nothing to count
    ("", "", (N, N, N, N, N, N, N, N)),
    # a single word, right but for its case
    ("Cat", "cat", (100, 0, 100, N, N, N, 0, N)),
    # a wrong word: the content prefix stops at the first stem that differs
    ("Dogs sat.", "Cats sat.", (100 / 3, 0, 0, N, N, N, N, 100)),
    # an all-stopword gap, partly restored: P 2/2, R 2/5, F1 2*2/(2+5)
    ("It is.", "It is what it is.", (50, 100, 100, 100, 40, 400 / 7, 100, SKIP)),
    # an all-stopword gap, not restored
    (".", "It is what it is.", (500 / 6, 100, 100, N, 0, 0, 100, N)),
    # wrong function words in one gap: 1 of 3 right both ways
    ("The cat sat in a mat.", "The cat sat on the mat.", (200 / 7, 100, 100, 100 / 3, 100 / 3, 100 / 3, 100, 100)),
    # spacing only: the period's space
    ("The cat sat on the mat .", "The cat sat on the mat.", (0, 100, 100, 100, 100, 100, 100, 0)),
    # a clitic: Trotsky|'s disagrees, 's|book agrees
    ("Trotsky 's book", "Trotsky's book", (0, 100, 100, N, N, N, 100, 50)),
    # casing: 4 of 5 content words in the right case; function words compare lowercased
    ("the cat sat on the mat in paris.", "The cat sat on the mat in Paris.", (200 / 9, 80, 100, 100, 100, 100, 80, N)),
    # a heading: "# #" against "##" is the one spacing error of five scored boundaries
    ("Intro sentence. # # Character Hagbard has parallels.", "Intro sentence. ## Character Hagbard has parallels.",
     (0, 100, 100, 100, 100, 100, 100, 80)),
])
def test_token_scores(hypothesis, reference, expected):
    rates = text_counts(analyze(hypothesis), analyze(reference)).rates()
    for column, value in zip(COLUMNS, expected, strict=True):
        if value is SKIP:
            continue
        assert rates[column] == (None if value is None else pytest.approx(value)), column


@pytest.mark.parametrize("hypothesis, source, documents, stems", [
    ("The cat sat.", "cat sat .", 100, 100),
    ("The dog sat.", "cat sat .", 0, 200 / 3),  # one stem of three differs
    ("", "cat sat .", 0, 0),
    ("", "", 100, N),
    ("## Character Hagbard sat.", "# # charact hagbard sat .", 100, 100),  # a heading
])
def test_roundtrip_scores(hypothesis, source, documents, stems):
    scores = score_texts([hypothesis], [analyze(hypothesis)], [source], ter=False)["scores"]
    assert scores["roundtrip_documents"] == pytest.approx(documents)
    assert scores["roundtrip_stems"] == (None if stems is None else pytest.approx(stems))


def test_score_texts_pools_counts_over_documents_and_signs_every_score():
    hypotheses = ["The cat sat on the mat.", "Cat"]
    references = [analyze("The cat sat on the mat."), analyze("cat")]
    result = score_texts(hypotheses, references, ["cat sat mat .", "cat"], ter=True)
    scores = result["scores"]
    # pooled: 4 + 0 of 5 content words in case (an average of rates would say 50)
    assert scores["content_accuracy"] == pytest.approx(80)
    assert scores["casing_accuracy"] == pytest.approx(80)
    assert scores["roundtrip_documents"] == pytest.approx(100)
    assert result["counts"]["stems"] == 5 and result["counts"]["texts"] == 2
    assert set(result["signatures"]) == set(scores)
    assert all(result["signatures"][name] for name in scores)


@pytest.mark.parametrize("hypothesis, reference, cased, expected", [
    ("the cat sat in paris.", "The cat sat in Paris.", True, (3, 4)),
    ("the cat sat in paris.", "The cat sat in Paris.", False, (4, 4)),
    ("", "The cat sat.", True, (0, 3)),
    ("", "", True, (0, 0)),
])
def test_content_word_counts_for_training_validation(hypothesis, reference, cased, expected):
    assert content_word_counts(hypothesis, reference, cased) == expected


def test_dropped_words_are_counted_by_class():
    """A restoration that keeps "did" but drops "not", says "We" for "She" and "a" for "the"."""
    from destem.evaluation.metrics import FUNCTION_CLASSES, OTHER_CLASS, function_class_rates

    counts = text_counts(analyze("We did see a cat."), analyze("She did not see the cat.")).function_classes
    rates = function_class_rates(counts)
    assert list(rates) == [*FUNCTION_CLASSES, OTHER_CLASS]
    assert rates["negation"] == {"reference": 1, "restored": 0, "recall": 0.0, "precision": None}
    assert rates["pronoun, 1st person"] == {"reference": 0, "restored": 1, "recall": None, "precision": 0.0}
    assert rates["pronoun, 3rd person"]["recall"] == 0.0
    assert rates["auxiliary or modal"] == {"reference": 1, "restored": 1, "recall": 100.0, "precision": 100.0}
    assert rates["determiner or quantifier"] == {"reference": 1, "restored": 1, "recall": 0.0, "precision": 0.0}
    total = text_counts(analyze("We did see a cat."), analyze("She did not see the cat."))
    assert (total.function_matched, total.function_restored, total.function_reference) == (1, 3, 4)


def test_every_dropped_word_has_one_class():
    from destem.evaluation.metrics import FUNCTION_CLASSES, OTHER_CLASS, function_class
    from destem.text.forward import STOPWORDS

    words = [w for ws in FUNCTION_CLASSES.values() for w in ws]
    assert len(words) == len(set(words)) and set(words) <= STOPWORDS
    assert function_class("not") == "negation" and function_class("very") == OTHER_CLASS


def test_the_report_shows_what_is_at_risk(tmp_path):
    from destem.evaluation.evaluate import EvalOptions, evaluate

    prose = tmp_path / "prose.txt"
    prose.write_text("# Cats\nShe did not see the cat. We saw it later in the garden.\n", encoding="utf-8")
    report = evaluate(EvalOptions(prose=[str(prose)], out=str(tmp_path / "out"), systems=["identity"]))
    classes = report["systems"]["identity"]["windows"]["function_classes"]
    assert classes["negation"]["reference"] == 1 and classes["negation"]["recall"] == 0.0
    text = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    [row] = [line for line in text.splitlines() if line.startswith("| negation ")]
    assert [cell.strip() for cell in row.strip("|").split("|")] == ["negation", "1", "0.0", "–"]
