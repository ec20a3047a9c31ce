"""The window cut rule. It reads stems alone, so pair building and restoring cut alike.

A window ends after a sentence end (`.`, `!`, `?` and the closing quotes or brackets right
after it) or before a heading (a run of `#`), packing whole sentences up to `max_stems`.
A sentence longer than `max_stems` is cut every `max_stems` stems.
"""
from __future__ import annotations

SENTENCE_END = frozenset({".", "!", "?"})
CLOSERS = frozenset({"''", "'", ")", "]", "}", "’", "”", "»"})
HEADING_MARK = "#"
DEFAULT_MAX_STEMS = 96


def segment_bounds(stems: list[str]) -> list[int]:
    """Indices where a new segment (sentence or heading) starts, 0 first."""
    starts = [0]
    i, n = 0, len(stems)
    while i < n:
        stem = stems[i]
        if stem in SENTENCE_END:
            j = i + 1
            while j < n and (stems[j] in CLOSERS or stems[j] in SENTENCE_END):
                j += 1
            if j < n:
                starts.append(j)
            i = j
            continue
        if stem == HEADING_MARK and i > 0 and stems[i - 1] != HEADING_MARK and starts[-1] != i:
            starts.append(i)
        i += 1
    return starts


def window_bounds(stems: list[str], max_stems: int = DEFAULT_MAX_STEMS) -> list[tuple[int, int]]:
    """[start, end) stem ranges that cover `stems` in order; never empty unless `stems` is."""
    if max_stems < 1:
        raise ValueError("max_stems must be at least 1")
    n = len(stems)
    if n == 0:
        return []
    starts = segment_bounds(stems) + [n]
    windows: list[tuple[int, int]] = []
    window_start = 0
    for seg_start, seg_end in zip(starts, starts[1:]):
        if seg_end - window_start <= max_stems:
            continue  # the segment still fits in the open window
        if seg_start > window_start:
            windows.append((window_start, seg_start))
            window_start = seg_start
        while seg_end - window_start > max_stems:  # one over-long sentence: hard cuts
            windows.append((window_start, window_start + max_stems))
            window_start += max_stems
    windows.append((window_start, n))
    return windows
