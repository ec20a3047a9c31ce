"""Token-level alignment of a document with its stems.

For every stem: the original token it came from, and the dropped tokens (stopwords) in the
gap before it; paragraph breaks in a gap are kept as `PARAGRAPH`. The gap after the last stem
is the document's tail. This is what the model learns to predict and what metrics score.
"""
from __future__ import annotations

from dataclasses import dataclass

from .forward import STOPWORDS, stem_token, tokenize_with_spans

PARAGRAPH = "¶"  # a line break in the original text


@dataclass
class AlignedDocument:
    stems: list[str]
    words: list[str]  # original token of each stem (cased, quotes as `` and '')
    gaps: list[list[str]]  # dropped tokens before each stem, with PARAGRAPH markers
    tail: list[str]  # dropped tokens after the last stem
    starts: list[int]  # character offset of each stem's token in the text
    ends: list[int]


def align_document(text: str) -> AlignedDocument:
    doc = AlignedDocument([], [], [], [], [], [])
    gap: list[str] = []
    previous_end = 0
    for token in tokenize_with_spans(text):
        if "\n" in text[previous_end:token.start] and previous_end > 0:
            gap.append(PARAGRAPH)
        previous_end = token.end
        if token.text.lower() in STOPWORDS:
            gap.append(token.text)
            continue
        doc.stems.append(stem_token(token.text))
        doc.words.append(token.text)
        doc.gaps.append(gap)
        doc.starts.append(token.start)
        doc.ends.append(token.end)
        gap = []
    if "\n" in text[previous_end:] and previous_end > 0:
        gap.append(PARAGRAPH)
    doc.tail = gap
    return doc
