"""Choosing a window's gaps and word forms together: the tagger's scores plus a word trigram
language model's (`pipeline/ngram.py`), by a beam search over the words written so far.

At each stem the candidates are the tagger's best gaps (function words before the stem) times
the word forms allowed for the stem; a hypothesis's score is

    sum of tagger log-probs + lm_weight * (LM log-score + lm_word_bonus * words written)

The bonus offsets the LM's preference for writing fewer words. Hypotheses that end in the same
two words are merged (the LM sees no further back), so the beam holds distinct LM states.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ngram import NgramLM, pack

BEAM = 8  # LM states kept per position (16 scored the same on validation windows, slower)


@dataclass
class StemOptions:
    gap_ids: list[int]  # the tagger's best gap labels, best first
    gap_log_probs: list[float]
    word_ids: list[int]  # LM ids of the allowed word forms (a tail position has one: -1, no word)
    word_log_probs: list[float]


def joint_decode(lm: NgramLM, gap_words: list[list[int]], options: list[StemOptions], lm_weight: float,
                 word_bonus: float, beam: int = BEAM) -> list[tuple[int, int]]:
    """For each position, (index into gap_ids, index into word_ids) of the best-scoring window.
    `gap_words[g]` holds the LM ids of gap label g's words."""
    state_u = np.array([1], dtype=np.int64)  # <s> <s>
    state_v = np.array([1], dtype=np.int64)
    scores = np.zeros(1)
    back = []  # per position: each kept hypothesis's previous state and option, and the options' shape
    for stem in options:
        sequences, prior, shape = _option_sequences(gap_words, stem)
        width = max(len(s) for s in sequences)
        tokens = np.array([s + [0] * (width - len(s)) for s in sequences], dtype=np.int64)  # (options, width)
        lengths = np.array([len(s) for s in sequences])
        u = np.repeat(state_u[:, None], len(sequences), 1)
        v = np.repeat(state_v[:, None], len(sequences), 1)
        lm_score = np.zeros(u.shape)
        for j in range(width):
            present = j < lengths  # (options,)
            w = np.broadcast_to(tokens[:, j], u.shape)
            lm_score += np.where(present, lm.log_probs(u, v, w), 0.0)
            u, v = np.where(present, v, u), np.where(present, w, v)
        total = scores[:, None] + prior[None, :] + lm_weight * (lm_score + word_bonus * lengths[None, :])
        flat = np.argsort(-total, axis=None, kind="stable")
        _, first = np.unique(pack(u.ravel()[flat], v.ravel()[flat]), return_index=True)
        keep = flat[np.sort(first)][:beam]  # best hypothesis per LM state, best states first
        previous, option = np.divmod(keep, len(sequences))
        back.append((previous, option, shape))
        state_u, state_v, scores = u.ravel()[keep], v.ravel()[keep], total.ravel()[keep]
    choice, at = [], 0  # the best final state is first
    for previous, option, (_, words) in reversed(back):
        choice.append(divmod(int(option[at]), words))
        at = int(previous[at])
    return choice[::-1]


def _option_sequences(gap_words: list[list[int]], stem: StemOptions):
    """Every (gap, word) option's LM ids, their summed tagger log-probs, and (gaps, words)."""
    sequences, prior = [], []
    for gap, gap_lp in zip(stem.gap_ids, stem.gap_log_probs):
        for word, word_lp in zip(stem.word_ids, stem.word_log_probs):
            sequences.append(gap_words[gap] + ([word] if word >= 0 else []))
            prior.append(gap_lp + word_lp)
    return sequences, np.array(prior), (len(stem.gap_ids), len(stem.word_ids))
