"""The round trip on odd tokens: real sentences with the tokens real archives are full of, stemmed
by the forward pipeline and restored with the shipped model, must stem back exactly."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from destem.text.check import check_documents
from destem.text.detok import GLUE, SPACE, detokenize
from destem.text.forward import stem_text, tokenize

# (kind, prose): each is one document as the forward pipeline sees it
ODD_TOKENS = [
    ("citation glued to quote and period", 'He announced "Suicide by hanging".:594,595. Two hours later he died.'),
    ("citation after a period", "The war ended in 1945.[3] Peace followed."),
    ("citation in brackets after a quote", 'She called it "a disaster".[12] Others agreed.'),
    ("page citation", "The treaty was signed.:12 It held for a decade."),
    ("URL", "The archive is at http://www.example.org/archive/index.html for readers."),
    ("e-mail address", "Write to editor@example.com for a copy of the report."),
    ("decimals and thousands", "The bridge is 11.5 metres wide and cost 1,000,000 dollars in 1,850 days."),
    ("percent and currency", "Prices rose by 4.5% and a loaf cost $2.50 by then."),
    ("initials", "The novel was written by J. R. R. Tolkien in Oxford."),
    ("abbreviation before a capital", "He lived on St. James Street near the river."),
    ("Jr. before a heading", "The speech was given by Martin Luther King Jr.\n## Legacy\nIt is remembered."),
    ("abbreviation at the end", "The firm was founded by Smith et al."),
    ("ellipsis", "He paused... then he spoke again."),
    ("spaced ellipsis", "The list went on . . . for pages."),
    ("nested quotes", "He said, \"She told me 'never again' and left.\""),
    ("curly quotes", "The motto was “Strength and Honour” at the time."),
    ("curly apostrophe", "The city’s walls were rebuilt in 1200."),
    ("hyphenated words", "The long-term plan was a well-known state-of-the-art design."),
    ("en dash range", "He lived 1847–1922 in Lviv."),
    ("em dash", "The army — tired and hungry — marched on."),
    ("brackets", "The river (the longest in the region) floods [every spring] in {some} years."),
    ("'s after a quote", 'The "Times"\'s editor resigned in protest.'),
    ("plural possessive", "The Hundred Years' War ended in 1453."),
    ("clitics", "They couldn't say what they'd done, and it isn't clear."),
    ("non-Latin scripts", "The city is called Москва in Russian and 東京 names another capital."),
    ("Greek letters and symbols", "The angle α was 30° and the sum Σ was ≥ 10."),
    ("accented names", "Dvořák and Chopin met in Paris; Gödel and Erdős came later."),
    ("numbers with units", "The engine made 300 hp at 6,500 rpm and weighed 1.2 t."),
    ("time and dates", "The attack began at 5:30 a.m. on 6 June 1944."),
    ("colon list", "Three cities: Paris, Rome and Vienna."),
    ("semicolon list", "Trotsky died the next day; the news spread."),
    ("question and exclamation", "Was it worth it? Nobody knows! The debate goes on."),
    ("slash", "The and/or rule applies to the 2010/11 season."),
    ("ampersand and hash", "AT&T sold the #1 brand in 1999."),
    ("micro sign, whose capital lowercases to mu", "The Intel microcontroller (µC) series used the µSA bus."),
    ("pilcrow as a word, not a line break", "A dagger (†) and a pilcrow (¶) mark notes and paragraphs."),
    ("Porter's irregular words, lowercase", "He worked at the New Jersey Shore news bureau under the sky."),
    ("sharp s", "The Straße was renamed GROSSE STRASSE in 1950."),
    ("heading marks", "# Title\n## Early life\nHe was born in 1879.\n### School\nHe studied in Odessa."),
]


@pytest.fixture(scope="module")
def restorer(default_model_dir):
    from destem import Restorer

    return Restorer.from_pretrained(str(default_model_dir), device="cpu")


@pytest.mark.parametrize("kind, prose", ODD_TOKENS, ids=[kind for kind, _ in ODD_TOKENS])
def test_odd_tokens_round_trip_with_the_shipped_model(restorer, kind, prose):
    stems = stem_text(prose)
    [restored] = restorer.restore([stems])
    assert check_documents([stems], [restored]).ok, f"{kind}: {stems!r} -> {restored!r}"


@pytest.mark.parametrize("tokens, text", [
    (["quote", "''", ".:594,595", "."], 'quote".:594,595.'),  # two marks: glued to the word before
    (["a", ",;", "b"], "a,; b"),
    (["a", SPACE, ",", "b"], "a , b"),  # a repair's spacing marks override the rules
    (["a", GLUE, "b"], "ab"),
    (["(", SPACE, "a", ")"], "( a)"),
    (["a", ".5"], "a .5"),  # one mark then a digit: a word of its own
])
def test_detokenizer_spacing_rules(tokens, text):
    assert detokenize(tokens) == text


def test_the_glued_citation_detokenizes_to_its_original():
    prose = 'He announced "Suicide by hanging".:594,595. Two hours later he died.'
    assert detokenize(tokenize(prose)) == prose


def test_repair_separates_a_token_the_rules_glue():
    from destem.restore.repair import WindowDraft, repair_document

    def stems_of(tokens):
        return stem_text(detokenize(tokens)).split()

    # the rules glue "." and "," to "word" and the tokenizer then reads "word." as one token;
    # only a space before "," (a spacing repair) gives these stems back
    want = ["word", ".", ",", "next"]
    draft = WindowDraft(want, list(want), [[]] * 5, [[w] for w in want])
    assert stems_of(draft.tokens()) != want
    edits, stems_back = repair_document([draft], stems_of)
    assert edits >= 1 and stems_back
    assert stems_of(draft.tokens()) == want and draft.spacing


SENTENCES = [line for line in open(__file__.replace("test_roundtrip_stress.py", "data/mini_corpus.txt"),
                                   encoding="utf-8").read().split("\n") if line and not line.startswith("#")]
SPLICES = ["[3]", ".:12", "11.5", "1,000", "J. R. R.", "St.", "...", "“quoted”", "(aside)", "—", "x-ray",
           "http://example.org/a", "a@b.org", "Москва", "’s", "e.g.", "U.S.", "10%", "$5", "#1"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(SENTENCES) - 1), st.lists(st.sampled_from(SPLICES), min_size=1, max_size=4),
       st.randoms(use_true_random=False))
def test_real_sentences_with_odd_tokens_spliced_in_round_trip(restorer, index, splices, rng: random.Random):
    words = SENTENCES[index].split()[:60]
    for splice in splices:
        words.insert(rng.randrange(len(words) + 1), splice)
    stems = stem_text(" ".join(words))
    [restored] = restorer.restore([stems])
    assert check_documents([stems], [restored]).ok, f"{stems!r} -> {restored!r}"
