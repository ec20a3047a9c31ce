"""Punctuation-free input in two passes (`restore/two_pass.py`): the second model re-reads the first's
restoration with its punctuation; a document keeps the second restoration only where it stems back to
the input under the input's own pipeline, and its explanation is of the input's stems."""
from __future__ import annotations

import pytest

from destem.restore.explain import DocumentExplanation, StemExplanation
from destem.restore.restorer import Restoration, RestoreStats
from destem.restore.two_pass import TwoPassRestorer, input_positions, punctuated_pipeline
from destem.text.forward import DEFAULT_PIPELINE, PIPELINES

ISALPHA = PIPELINES["isalpha"]


@pytest.mark.parametrize(("read", "stems", "kept"), [
    (["cat", ",", "sat", "."], ["cat", "sat"], [True, False, True, False]),
    (["(", "cat", "1990", ")", "sat"], ["cat", "sat"], [False, True, False, False, True]),
    (["cat", "sat"], ["cat", "sat"], [True, True]),
    (["cat", ",", "sat"], ["cat", "sat", "mat"], None),  # a stem of the input the second pass did not read
    (["sat", "cat"], ["cat", "sat"], None),  # out of order
])
def test_input_positions_match_the_inputs_stems_in_order(read, stems, kept):
    assert input_positions(read, stems) == kept


def test_the_second_pass_keeps_the_inputs_tokens_and_punctuation():
    assert punctuated_pipeline(ISALPHA) == DEFAULT_PIPELINE
    letters_r8 = PIPELINES["letters"].__class__(keep="letters-3", stemmer="porter-martin",
                                                kept_stopwords=frozenset({"and"}))
    assert punctuated_pipeline(letters_r8) == DEFAULT_PIPELINE.__class__(stemmer="porter-martin",
                                                                         kept_stopwords=frozenset({"and"}))


def stem(name: str, gap: str, word: str, p_gap: float, p_word: float = 1.0) -> StemExplanation:
    return StemExplanation(name, gap, word, p_gap, p_word, [(gap, p_gap), ("x", 1 - p_gap)], [(word.lower(), p_word)])


def test_a_folded_explanation_puts_the_punctuation_read_into_the_next_gap():
    # "The cat, in fact, sat." read as: cat , fact , sat .
    tokens = ["The", "cat", ",", "in", "fact", ",", "sat", "."]
    owners = [("gap", 0), ("word", 0), ("word", 1), ("gap", 2), ("word", 2), ("word", 3), ("word", 4), ("word", 5)]
    explained = DocumentExplanation([stem("cat", "the", "cat", 0.9), stem(",", "", ",", 0.8, 0.5),
                                     stem("fact", "in", "fact", 0.7), stem(",", "", ",", 1.0),
                                     stem("sat", "", "sat", 0.6), stem(".", "", ".", 0.5)],
                                    "", 0.9, [("", 0.9)], tokens, owners)
    folded = explained.folded([True, False, True, False, True, False])
    assert [(s.stem, s.gap, s.word) for s in folded.stems] == [("cat", "the", "cat"), ("fact", ", in", "fact"),
                                                             ("sat", ",", "sat")]
    assert folded.stems[1].p_gap == pytest.approx(0.8 * 0.5 * 0.7)
    assert folded.stems[1].gap_alternatives[0] == (", in", pytest.approx(0.8 * 0.5 * 0.7))
    assert (folded.tail_gap, folded.p_tail_gap) == (".", pytest.approx(0.5 * 0.9))
    assert folded.owners == [("gap", 0), ("word", 0), ("gap", 1), ("gap", 1), ("word", 1), ("gap", 2), ("word", 2),
                             ("gap", 3)]
    assert folded.tokens == tokens


class Fixed:
    """A restorer that writes given texts (the passes' models are not what these tests are about)."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.read: list[str] = []

    def restore_documents(self, documents, pipeline, **options):
        self.read = documents
        return [Restoration(text, pipeline.stem_text(text) == document,
                            RestoreStats(documents=1, stems=len(document.split())))
                for text, document in zip(self.texts, documents)]


def test_a_document_keeps_the_second_restoration_only_where_it_stems_back_under_the_inputs_pipeline():
    inputs = ["cat sat mat", "dog ran"]  # isalpha stems
    first = Fixed(["The cat sat on the mat.", "The dog ran."])
    second = Fixed(["The cat sat on a mat.", "The dogs ran away."])  # "away": not the input's
    restored = TwoPassRestorer(first, second).restore_documents(inputs, pipeline=ISALPHA)
    assert second.read == ["cat sat mat .", "dog ran ."]  # the first pass's text, stemmed with its punctuation
    assert [r.text for r in restored] == ["The cat sat on a mat.", "The dog ran."]
    assert [r.stats.stems for r in restored] == [3, 2]  # the input's stems, not the punctuation read
    assert all(r.roundtrip_ok for r in restored)


def test_input_with_punctuation_is_restored_by_the_first_model_alone():
    first, second = Fixed(["The cat sat."]), Fixed(["A cat sat."])
    assert TwoPassRestorer(first, second).restore_documents(["cat sat ."])[0].text == "The cat sat."
    assert second.read == []


def test_a_second_restoration_that_stems_back_as_read_but_not_as_the_input_is_not_kept():
    # the letters-only recipe reads "cannot" as one word; Treebank tokens, which the second pass reads, as two
    first, second = Fixed(["They cannot fly."]), Fixed(["They fly."])
    restored = TwoPassRestorer(first, second).restore_documents(["cannot fli"], pipeline=PIPELINES["letters"])
    assert second.read == ["fli ."]
    assert restored[0].text == "They cannot fly."


@pytest.mark.parametrize(("kinds", "expected"), [
    (set(), "cat , sat mat ."),  # the guesses as they are
    ({"."}, "cat , sat . mat"),  # the guessed final stop was not the original's
    ({","}, "cat sat mat ."),  # a wrong comma taken out, none put in
    (None, "( cat ) sat . mat"),  # every mark as in the original
])
def test_the_punctuation_oracle_hands_the_second_pass_the_originals_marks_of_some_kinds(kinds, expected):
    from destem.lab.punctuation_oracle import with_marks

    guessed, original = "cat , sat mat .", "( cat ) sat . mat"
    assert with_marks(guessed, original, kinds) == expected
    assert with_marks("cat sat", "cat sat mat", kinds) is None  # other stems: no oracle


def test_the_punctuation_oracle_keeps_the_guessed_clitics_and_leaves_out_the_originals_numbers():
    from destem.lab.punctuation_oracle import with_marks

    assert with_marks("huxley 's , book", "huxley ( 1894 ) book", None) == "huxley 's ( ) book"
