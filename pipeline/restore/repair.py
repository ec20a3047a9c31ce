"""Repairing a restoration that does not stem back to its input.

Every word form the restorer picks is allowed for its stem on its own, but context can still
change the tokens: the sentence splitter reads case and the words around a period (`ill.` ends
a sentence before "In" but not before "January"), and a form can fuse with the next token
(`o.` + `.` -> `..`), and an odd token can split or fuse with its neighbour when the spacing
around it is not the original's (`".:594`). The repair is a greedy local search: find the first
stem that does not come back, try small edits around it (another allowed form, the spacing before a
word: glued or separate, a sentence-starting function word, no function words) on the windows
around it, and keep the first edit that moves the first mismatch further on. Only documents that
fail the round trip pay for it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..model.labels import TITLE, apply_case, case_of
from ..text.align import PARAGRAPH
from ..text.detok import GLUE, PILCROW_WORD, SPACE
from ..text.forward import DEFAULT_PIPELINE, ForwardPipeline
from .constraints import is_allowed_form

# stopwords that Punkt's English parameters read as sentence starters; stemming drops them
SENTENCE_STARTERS = ("In", "The", "It", "This")
MAX_REPAIRS_PER_DOCUMENT = 50


@dataclass
class WindowDraft:
    """A restored window before rendering: a word and a gap per stem, the tail, and the
    ranked alternative forms (lowercase, not yet checked) that a repair may try."""

    stems: list[str]
    words: list[str]
    gaps: list[list[str]]  # one per stem, then the tail
    alternatives: list[list[str]]
    spacing: dict[int, str] = field(default_factory=dict)  # stem index -> GLUE or SPACE before its word

    def tokens(self) -> list[str]:
        out: list[str] = []
        for i, (gap, word) in enumerate(zip(self.gaps, self.words)):
            out += gap
            if i in self.spacing:
                out.append(self.spacing[i])
            out.append(PILCROW_WORD if word == PARAGRAPH else word)  # a "¶" in the text, not a line break
        return out + self.gaps[-1]


def first_mismatch(got: list[str], want: list[str]) -> int | None:
    for k, (a, b) in enumerate(zip(got, want)):
        if a != b:
            return k
    return None if len(got) == len(want) else min(len(got), len(want))


def repair_document(drafts: list[WindowDraft], stems_of: Callable[[list[str]], list[str]],
                    pipeline: ForwardPipeline = DEFAULT_PIPELINE, mismatch: int | None = None) -> tuple[int, bool]:
    """Edit `drafts` in place until the document stems back (or no edit helps); returns the
    number of edits made and whether the document now stems back. `stems_of(tokens)` renders
    tokens and runs the input's forward pipeline, `pipeline`; `mismatch`: the first stem that does
    not come back, where the caller has stemmed the document already."""
    source = [s for d in drafts for s in d.stems]
    starts, total = [], 0
    for draft in drafts:
        starts.append(total)
        total += len(draft.stems)

    def whole_document_mismatch() -> int | None:  # each check stems the whole document: the costly part
        return first_mismatch(stems_of([t for d in drafts for t in d.tokens()]), source)

    edits, k = 0, whole_document_mismatch() if mismatch is None else mismatch
    while k is not None and edits < MAX_REPAIRS_PER_DOCUMENT:
        w = max(i for i, s in enumerate(starts) if s <= k) if k < total else len(drafts) - 1
        lo, hi = max(0, w - 1), min(len(drafts), w + 2)  # the window and its neighbours
        if not _improve(drafts[lo:hi], k - starts[lo], stems_of, pipeline):
            break
        edits += 1
        k = whole_document_mismatch()
    return edits, k is None


def _improve(local: list[WindowDraft], k: int, stems_of, pipeline: ForwardPipeline) -> bool:
    """Apply the first edit that moves the first mismatch of `local` past stem `k`."""
    source = [s for d in local for s in d.stems]
    slots = [(d, i) for d in local for i in range(len(d.stems))]

    def better() -> bool:
        got = first_mismatch(stems_of([t for d in local for t in d.tokens()]), source)
        return got is None or got > k

    for edit in _edits(slots, k, pipeline):
        undo = edit()
        if better():
            return True
        undo()
    return False


def _edits(slots, k, pipeline: ForwardPipeline):
    """Candidate edits near stem k, most conservative first; each returns its undo."""
    for j in (k, k - 1, k + 1):
        if 0 <= j < len(slots):
            draft, i = slots[j]
            case = case_of(draft.words[i])
            for form in draft.alternatives[i]:
                cased = apply_case(form, case)
                if cased != draft.words[i] and is_allowed_form(draft.stems[i], form, pipeline):
                    yield _set(draft.words, i, cased)
    for j in (k, k - 1, k + 1):  # the case: NLTK's Porter keeps "news" and "sky" whole, not "News", "Sky"
        if 0 <= j < len(slots):
            draft, i = slots[j]
            for variant in (draft.words[i].lower(), apply_case(draft.words[i], TITLE)):
                if variant != draft.words[i]:
                    yield _set(draft.words, i, variant)
    for j in (k, k + 1, k - 1):  # the spacing before a word: glued to the token before it, or apart
        if 0 <= j < len(slots):
            draft, i = slots[j]
            for mark in (GLUE, SPACE):
                if draft.spacing.get(i) != mark:
                    yield _set_spacing(draft.spacing, i, mark)
    for j in (k + 1, k + 2, k):  # the sentence splitter: a starter after the period
        if 0 <= j < len(slots):
            draft, i = slots[j]
            for starter in SENTENCE_STARTERS:
                yield _set(draft.gaps, i, [starter])
    for j in (k, k + 1):
        if 0 <= j < len(slots):
            draft, i = slots[j]
            words = [w for w in draft.gaps[i] if w.isalpha() or w == PARAGRAPH]
            if words != draft.gaps[i]:  # the gap's punctuation (restored in punctuation-free input) dropped
                yield _set(draft.gaps, i, words)
            if draft.gaps[i]:
                yield _set(draft.gaps, i, [])


def _set_spacing(spacing: dict[int, str], i: int, mark: str):
    """An edit that puts a spacing mark before word `i`; applying it returns its undo."""
    def apply():
        old = spacing.get(i)
        spacing[i] = mark

        def undo():
            if old is None:
                del spacing[i]
            else:
                spacing[i] = old
        return undo
    return apply


def _set(items: list, i: int, value):
    """An edit that puts `value` at `items[i]`; applying it returns its undo."""
    def apply():
        old = items[i]
        items[i] = value

        def undo():
            items[i] = old
        return undo
    return apply
