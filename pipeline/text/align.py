"""Token-level alignment of a document with its stems.

For every stem: the original token it came from, and the dropped tokens (stopwords) in the
gap before it; paragraph breaks in a gap are kept as `PARAGRAPH`. The gap after the last stem
is the document's tail. This is what the model learns to predict and what metrics score.

Pipelines that keep fewer tokens (`ForwardPipeline.keep`) drop punctuation, numbers and short words
too; a gap then holds the punctuation and clitics that restoring can put back (`restorable_in_gap`),
and loses the numbers and other words it cannot.
"""
from __future__ import annotations

from dataclasses import dataclass

from .forward import LETTER_RUN, STOPWORDS, Token, stem_token, tokenize_with_spans

PARAGRAPH = "¶"  # a line break in the original text


@dataclass
class AlignedDocument:
    stems: list[str]
    words: list[str]  # original token of each stem (cased, quotes as `` and '')
    gaps: list[list[str]]  # dropped tokens before each stem, with PARAGRAPH markers
    tail: list[str]  # dropped tokens after the last stem
    starts: list[int]  # character offset of each stem's token in the text
    ends: list[int]


CLITICS = frozenset({"'s", "n't", "'re", "'ve", "'ll", "'m", "'d"})


def restorable_in_gap(token: str) -> bool:
    """Whether a dropped token can be restored from a gap: a stopword, a clitic or punctuation, not a
    number or a word the pipeline dropped for its length or characters."""
    lower = token.lower()
    return lower in STOPWORDS or lower in CLITICS or not any(ch.isalnum() for ch in token)


def align_document(text: str, keep: str = "all") -> AlignedDocument:
    """The alignment of `text` with its stems under destem's pipeline that keeps `keep` tokens."""
    doc = AlignedDocument([], [], [], [], [], [])
    gap: list[str] = []
    previous_end = 0
    tokens = tokenize_with_spans(text)
    marked = (_letter_tokens(text, tokens) if keep == "letters-3"
              else [(t, keep == "all" or t.text.isalpha()) for t in tokens])  # (token, kept by the pipeline)
    for token, kept in marked:
        if "\n" in text[previous_end:token.start] and previous_end > 0:
            gap.append(PARAGRAPH)
        previous_end = token.end
        if not kept or token.text.lower() in STOPWORDS:
            if keep == "all" or restorable_in_gap(token.text):
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


def _letter_tokens(text: str, tokens: list[Token]) -> list[tuple[Token, bool]]:
    """The letters-only recipe's kept words (runs of a-z in the lowercased text, 3 letters or more, no
    stopword) as kept tokens, and the Treebank tokens that hold none of them as dropped ones, in text order."""
    lowered = text.lower()
    words = [Token(text[m.start():m.end()], m.start(), m.end()) for m in LETTER_RUN.finditer(lowered)
             if m.end() - m.start() >= 3 and m.group() not in STOPWORDS] if len(lowered) == len(text) else []
    out: list[tuple[Token, bool]] = []
    w, covered = 0, 0  # the end of the last word taken: Treebank splits some words ("can" "not" of "cannot")
    for token in tokens:
        inside = []
        while w < len(words) and words[w].start < token.end:
            inside.append(words[w])
            w += 1
        if inside:
            out.extend((word, True) for word in inside)
            covered = inside[-1].end
        elif token.end > covered:
            out.append((token, False))
    return out
