"""Stem constraints and the repair search: the restorer can only emit words that stem back."""
from __future__ import annotations

import pytest

from destem.model.labels import capitalize_sentences
from destem.restore.constraints import choose_form, is_allowed_form
from destem.restore.repair import WindowDraft, first_mismatch, repair_document
from destem.text.detok import detokenize
from destem.text.forward import stem_text


@pytest.mark.parametrize("stem, form, allowed", [
    ("trotski", "trotsky", True),
    ("becam", "became", True),
    ("die", "died", True),
    ("die", "dead", False),  # a wrong content word
    ("die", "the", False),  # a stopword is dropped by stemming
    ("doe", "does", False),  # stopword, though it would stem to "doe"
    ("o.", "o.s", True),
    ("st.", "st.", True),
    ("n't", "n't", True),
    ("'s", "'s", True),
    ("''", "''", True),
    ("11.5", "11.5", True),
    ("11.5", "11.6", False),
    ("1847–1922", "1847–1922", True),
    ("лев", "лев", True),
    ("лев", "лева", False),
    (".", ".", True),
    ("#", "#", True),
    ("spread", "spread out", False),  # two tokens
    ("spread", "", False),
])
def test_allowed_forms(stem, form, allowed):
    assert is_allowed_form(stem, form) is allowed


@pytest.mark.parametrize("stem, ranked, known, expected", [
    ("die", ["dead", "died"], [], ("died", True)),  # the model's first allowed choice
    ("dead", ["deaded", "dead"], ["dead"], ("dead", True)),  # a known word before an invented one
    ("dead", ["deaded", "dead"], [], ("deaded", True)),  # nothing known: the model's order
    ("die", ["dead", "the"], ["dies"], ("dies", False)),  # nothing allowed from the model: lexicon
    ("marsupi", ["marsupis"], ["marsupials"], ("marsupials", False)),  # a known word before an invented one
    ("zzyzxq", ["zzyzxqa"], [], ("zzyzxq", False)),  # unseen stem, nothing allowed: the stem itself
    ("zzyzxq", ["zzyzxqs"], [], ("zzyzxqs", True)),  # Porter strips the plural
    ("news", ["new"], [], ("news", False)),
])
def test_choose_form(stem, ranked, known, expected):
    assert choose_form(stem, ranked, known) == expected


@pytest.mark.parametrize("got, want, expected", [
    ([], [], None),
    (["a", "b"], ["a", "b"], None),
    (["a", "x"], ["a", "b"], 1),
    (["a"], ["a", "b"], 1),
    (["a", "b", "c"], ["a", "b"], 2),
])
def test_first_mismatch(got, want, expected):
    assert first_mismatch(got, want) == expected


def _stems_of(tokens):
    return stem_text(detokenize(capitalize_sentences(tokens))).split()


def test_repair_fixes_a_form_that_fuses_with_the_next_period():
    # "o." is allowed for the stem "o." alone, but "o." + "." renders as "o.." (one token)
    stems = ["1879", "[", "o.", ".", "octob", "26", "]"]
    draft = WindowDraft(stems, ["1879", "[", "O.", ".", "October", "26", "]"], [[]] * 8,
                        [["1879"], ["["], ["o.", "o.s"], ["."], ["october"], ["26"], ["]"]])
    assert _stems_of(draft.tokens()) != stems
    edits, stems_back = repair_document([draft], _stems_of)
    assert edits >= 1 and stems_back
    assert _stems_of(draft.tokens()) == stems


def test_repair_adds_a_sentence_starter_after_an_abbreviation():
    # "ill." is an abbreviation to Punkt: "ill. January" does not end a sentence, "ill. In January" does
    stems = ["progress", "ill", ".", "januari", "1923", "."]
    draft = WindowDraft(stems, ["progressed", "ill", ".", "January", "1923", "."],
                        [["he"], ["was"], [], [], [], [], []],
                        [["progressed"], ["ill"], ["."], ["january"], ["1923"], ["."]])
    assert _stems_of(draft.tokens()) != stems
    assert repair_document([draft], _stems_of)[1]
    assert _stems_of(draft.tokens()) == stems


def test_a_repair_that_finds_no_edit_says_the_document_does_not_stem_back():
    # no allowed form of "word" among the alternatives, and no spacing, starter or gap edit gives it
    stems = ["word", "."]
    draft = WindowDraft(stems, ["other", "."], [[]] * 3, [["other"], ["."]])
    assert repair_document([draft], _stems_of) == (0, False)
    assert _stems_of(draft.tokens()) != stems
