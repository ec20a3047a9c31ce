"""Alignment-based metrics shared by training validation and the evaluation harness."""
from __future__ import annotations

from .align import PARAGRAPH, align_document


def word_alignment(hypothesis: str, reference: str):
    """Aligned (hyp, ref) documents when both stem to the same sequence, else None."""
    hyp, ref = align_document(hypothesis), align_document(reference)
    return (hyp, ref) if hyp.stems == ref.stems else None


def content_word_counts(hypothesis: str, reference: str, cased: bool = True) -> tuple[int, int]:
    """(stems restored to exactly the reference word, stems). A failed round trip scores by position
    up to the first stem that differs, so a broken restoration cannot score well."""
    hyp, ref = align_document(hypothesis), align_document(reference)
    total = len(ref.words)
    correct = 0
    for k, ref_word in enumerate(ref.words):
        if k >= len(hyp.words) or hyp.stems[k] != ref.stems[k]:
            break
        hyp_word = hyp.words[k]
        correct += hyp_word == ref_word if cased else hyp_word.lower() == ref_word.lower()
    return correct, total


def function_word_counts(hypothesis: str, reference: str) -> tuple[int, int, int]:
    """(matched, hypothesis, reference) stopword counts, gap by gap, lowercased (bag per gap)."""
    from collections import Counter

    hyp, ref = align_document(hypothesis), align_document(reference)
    if hyp.stems != ref.stems:
        ref_total = sum(len(_words(g)) for g in ref.gaps + [ref.tail])
        return 0, sum(len(_words(g)) for g in hyp.gaps + [hyp.tail]), ref_total
    matched = hyp_total = ref_total = 0
    for hyp_gap, ref_gap in zip(hyp.gaps + [hyp.tail], ref.gaps + [ref.tail]):
        h, r = Counter(_words(hyp_gap)), Counter(_words(ref_gap))
        matched += sum((h & r).values())
        hyp_total += sum(h.values())
        ref_total += sum(r.values())
    return matched, hyp_total, ref_total


def _words(gap: list[str]) -> list[str]:
    return [w.lower() for w in gap if w != PARAGRAPH]
