"""The detokenizer: golden token -> text table, and agreement with real prose."""
from __future__ import annotations

import pytest

from destem.text.detok import detokenize, detokenizer_agreement
from destem.text.documents import read_documents
from tests.conftest import MINI_CORPUS


@pytest.mark.parametrize("tokens, text", [
    ([], ""),
    (["Hello"], "Hello"),
    (["He", "did", "n't", "go", "."], "He didn't go."),
    (["Trotsky", "'s", "ideas", "."], "Trotsky's ideas."),
    (["an", "``", "active", "part", "''", "in"], 'an "active part" in'),
    (["(", "1879", ")", ",", "born"], "(1879), born"),
    (["[", "O.S", ".", "October", "26", "]"], "[O.S. October 26]"),
    (["1879", "–", "August"], "1879 – August"),
    (["1847–1922"], "1847–1922"),
    (["the", "Years", "'", "War"], "the Years' War"),
    (["named", "'Lvov", "'", ","], "named 'Lvov',"),
    (["It", "can", "not", "be"], "It cannot be"),
    (["$", "5", "or", "50", "%"], "$5 or 50%"),
    (["end", ".", "¶", "#", "#", "Early", "life", "¶", "He"], "end. ## Early life He"),
    (["end", ".", "¶", "''", "Quote"], 'end.\t"Quote'),  # a quote after a line break reads as closing
])
def test_detokenize_golden(tokens, text):
    assert detokenize(tokens) == text


def test_markdown_paragraphs_on_their_own_lines():
    tokens = ["end", ".", "¶", "#", "#", "Early", "life", "¶", "He", "left", "."]
    assert detokenize(tokens, paragraph="\n") == "end.\n## Early life\nHe left."


def test_detokenizer_agrees_with_most_wikipedia_sentences():
    paragraphs = [line for doc in read_documents(str(MINI_CORPUS)) for line in doc.text.split("\n")
                  if not line.startswith("#")]
    same, total = detokenizer_agreement(paragraphs)
    assert total > 100
    assert same / total >= 0.95, (same, total)
