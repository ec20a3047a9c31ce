"""Choosing a window's gaps and word forms together: the tagger's scores plus a word n-gram
language model's (`pipeline/restore/ngram.py`), by a beam search over the words written so far.

At each stem the candidates are the tagger's best gaps (function words before the stem) times
the word forms allowed for the stem; a hypothesis's score is

    sum of tagger log-probs + lm_weight * (LM log-score + lm_word_bonus * words written)

The bonus offsets the LM's preference for writing fewer words. Hypotheses that end in the same
n-1 words are merged (the LM sees no further back), so the beam holds distinct LM states.
Many windows are searched in lockstep, position by position, so that each LM lookup is one
array operation over all of them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ngram import BITS, BOS, NgramLM, pack

BEAM = 8  # LM states kept per position (16 scored the same on validation windows, slower)
WINDOWS_PER_SEARCH = 256  # windows searched in lockstep (bounds the arrays' size)


@dataclass
class StemOptions:
    gap_ids: list[int]  # the tagger's best gap labels, best first
    gap_log_probs: list[float]
    word_ids: list[int]  # LM ids of the allowed word forms (a tail position has one: -1, no word)
    word_log_probs: list[float]


def joint_decode(lm: NgramLM, gap_words: list[list[int]], windows: list[list[StemOptions]], lm_weight: float,
                 word_bonus: float, beam: int = BEAM) -> list[list[tuple[int, int]]]:
    """For each window and position, (index into gap_ids, index into word_ids) of the window's
    best-scoring choice. `gap_words[g]` holds the LM ids of gap label g's words."""
    gap_arrays = _gap_arrays(gap_words)
    choices = []
    for start in range(0, len(windows), WINDOWS_PER_SEARCH):
        chunk = windows[start:start + WINDOWS_PER_SEARCH]
        choices.extend(_search(lm, gap_arrays, chunk, lm_weight, word_bonus, beam))
    return choices


def _search(lm, gap_arrays, windows, lm_weight, word_bonus, beam):
    count = len(windows)
    state_t = np.full((count, beam), BOS, dtype=np.int64)
    state_u = np.full((count, beam), BOS, dtype=np.int64)
    state_v = np.full((count, beam), BOS, dtype=np.int64)
    scores = np.full((count, beam), -np.inf)
    scores[:, 0] = 0.0  # one hypothesis to start: <s> <s>
    back = []  # per position: the windows searched, each kept hypothesis's previous slot and option
    for position in range(max((len(w) for w in windows), default=0)):
        rows = np.array([i for i, w in enumerate(windows) if position < len(w)])
        gap_tokens, gap_lengths, word_ids, prior = _options(*gap_arrays, [windows[i][position] for i in rows])
        gaps, words_per_gap = gap_lengths.shape[1], word_ids.shape[1]
        exists = np.isfinite(scores[rows])[:, :, None, None] & np.isfinite(prior).reshape(
            len(rows), 1, gaps, words_per_gap)  # hypotheses that exist: (row, slot, gap, word)
        # a gap's words first, once for all the words after it, then each word after its gap
        shape = (len(rows), beam, gaps)
        t = np.broadcast_to(state_t[rows, :, None], shape).copy()
        u = np.broadcast_to(state_u[rows, :, None], shape).copy()
        v = np.broadcast_to(state_v[rows, :, None], shape).copy()
        # every word's context is known before any is scored, so the step's LM lookups are one call
        gap_live = exists.any(axis=3)
        queries, places = [], []
        for j in range(gap_tokens.shape[2]):  # only the words that are there: most gaps are short
            at = np.nonzero(gap_live & (j < gap_lengths)[:, None, :])
            w = gap_tokens[at[0], at[2], j]
            queries.append((t[at], u[at], v[at], w))
            places.append(at)
            t[at], u[at], v[at] = u[at], v[at], w
        shape = (*shape, words_per_gap)
        t, u, v = (np.broadcast_to(a[..., None], shape).copy() for a in (t, u, v))
        words_at = np.nonzero(exists & (word_ids >= 0)[:, None, None, :])  # a word id of -1: no word (the tail)
        w = word_ids[words_at[0], words_at[3]]
        queries.append((t[words_at], u[words_at], v[words_at], w))
        t[words_at], u[words_at], v[words_at] = u[words_at], v[words_at], w
        log_probs = np.split(lm.log_probs(*(np.concatenate(column) for column in zip(*queries))),
                             np.cumsum([len(q[3]) for q in queries])[:-1])
        gap_score = np.zeros(shape[:3])
        for at, scored in zip(places, log_probs):  # a gap's words in order: the sums are the same as one by one
            gap_score[at] += scored
        lm_score = np.broadcast_to(gap_score[..., None], shape).copy()
        lm_score[words_at] += log_probs[-1]
        options = gaps * words_per_gap
        lm_score = lm_score.reshape(len(rows), beam, options)
        lengths = (gap_lengths[:, :, None] + (word_ids >= 0)[:, None, :]).reshape(len(rows), options)
        total = (scores[rows, :, None] + prior[:, None, :]
                 + lm_weight * (lm_score + word_bonus * lengths[:, None, :])).reshape(len(rows), -1)
        t, u, v = t.reshape(len(rows), -1), u.reshape(len(rows), -1), v.reshape(len(rows), -1)
        # best hypothesis per (window, LM state), then the `beam` best states per window
        order = np.argsort(-total, axis=1, kind="stable")
        row_of = np.repeat(np.arange(len(rows)), order.shape[1])
        flat = order.ravel()
        key = (row_of << (2 * BITS)) | pack(u[row_of, flat], v[row_of, flat])
        state = (t[row_of, flat], key) if lm.order == 4 else (key,)  # a 4-gram LM reads three words back
        by_state = np.lexsort(state)  # stable: each state's best hypothesis comes first
        new_state = np.zeros(len(key), dtype=bool)
        new_state[:1] = True
        for column in state:
            ordered = column[by_state]
            new_state[1:] |= ordered[1:] != ordered[:-1]
        first = by_state[new_state]
        first = first[np.isfinite(total[row_of[first], flat[first]])]
        kept_rows, kept = row_of[first], flat[first]
        rank_order = np.lexsort((-total[kept_rows, kept], kept_rows))
        kept_rows, kept = kept_rows[rank_order], kept[rank_order]
        slot = np.arange(len(kept)) - np.searchsorted(kept_rows, kept_rows)
        keep = slot < beam
        kept_rows, kept, slot = kept_rows[keep], kept[keep], slot[keep]
        previous = np.zeros((len(rows), beam), dtype=np.int64)
        option = np.zeros((len(rows), beam), dtype=np.int64)
        new_scores = np.full((len(rows), beam), -np.inf)
        new_t, new_u, new_v = state_t[rows].copy(), state_u[rows].copy(), state_v[rows].copy()
        previous[kept_rows, slot], option[kept_rows, slot] = np.divmod(kept, options)
        new_scores[kept_rows, slot] = total[kept_rows, kept]
        new_t[kept_rows, slot], new_u[kept_rows, slot], new_v[kept_rows, slot] = \
            t[kept_rows, kept], u[kept_rows, kept], v[kept_rows, kept]
        state_t[rows], state_u[rows], state_v[rows], scores[rows] = new_t, new_u, new_v, new_scores
        back.append((rows, previous, option, words_per_gap))
    choices = [[] for _ in windows]
    at = np.zeros(len(windows), dtype=np.int64)  # the best final hypothesis is in slot 0
    for rows, previous, option, words_per_gap in reversed(back):
        for k, r in enumerate(rows.tolist()):
            choices[r].append(divmod(int(option[k, at[r]]), words_per_gap))
            at[r] = previous[k, at[r]]
    return [c[::-1] for c in choices]


def _options(gap_tokens: np.ndarray, gap_lengths: np.ndarray, stems: list[StemOptions]):
    """For each window's stem: its gaps' LM ids (padded) and lengths, its words' LM ids (-1 where
    none: a window's tail, or fewer words than the widest), and every (gap, word) option's summed
    tagger log-probs, gap-major; options that do not exist (fewer gaps or words than the widest)
    get -inf."""
    gaps = max(len(s.gap_ids) for s in stems)
    words_per_gap = max(len(s.word_ids) for s in stems)
    gap_ids = np.zeros((len(stems), gaps), dtype=np.int64)
    gap_log_probs = np.full((len(stems), gaps), -np.inf)
    word_ids = np.full((len(stems), words_per_gap), -1, dtype=np.int64)
    word_log_probs = np.full((len(stems), words_per_gap), -np.inf)
    for i, stem in enumerate(stems):
        gap_ids[i, :len(stem.gap_ids)], gap_log_probs[i, :len(stem.gap_ids)] = stem.gap_ids, stem.gap_log_probs
        word_ids[i, :len(stem.word_ids)], word_log_probs[i, :len(stem.word_ids)] = stem.word_ids, stem.word_log_probs
    prior = (gap_log_probs[:, :, None] + word_log_probs[:, None, :]).reshape(len(stems), -1)
    length = gap_lengths[gap_ids]
    return gap_tokens[gap_ids][:, :, :int(length.max(initial=0))], length, word_ids, prior


def _gap_arrays(gap_words: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Gap labels' LM ids as one zero-padded matrix, and their lengths."""
    lengths = np.array([len(words) for words in gap_words], dtype=np.int64)
    tokens = np.zeros((len(gap_words), int(lengths.max(initial=0))), dtype=np.int64)
    for g, words in enumerate(gap_words):
        tokens[g, :len(words)] = words
    return tokens, lengths
