"""How sure the restorer is of each choice: a probability per gap and per word form.

The joint decode picks one path through a window. Each position's choice is then weighed against
its alternatives with the rest of the path held fixed: an alternative's local score is the
tagger's log-prob plus lm_weight x (the LM's log-score of its words and of the next n-1 words,
which read them, + lm_word_bonus per word written), the same terms the decode adds up. A softmax
over a position's local scores, sharpened or flattened by a fitted temperature and with a fitted
score for "none of these" (the right gap is outside the tagger's top 6 at 8% of positions), gives
probabilities that read as the chance of being right. `destem calibrate --confidence` fits the
two numbers per head on validation windows and stores them in config.json; `destem eval` reports
the expected calibration error on its suite.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .joint_decode import StemOptions
from .ngram import BOS, NgramLM

ECE_BINS = 10  # equal-width confidence bins of the expected calibration error
TEMPERATURES = np.geomspace(0.25, 8.0, 41)  # the fit's grid
OTHER_SCORES = np.concatenate([[-np.inf], np.linspace(-12.0, 4.0, 49)])


@dataclass(frozen=True)
class HeadCalibration:
    """p(option) = exp(s / T) / (sum over options of exp(s / T) + exp(other)), with the local
    scores s shifted so that the best is 0; `other` -inf leaves no mass for "none of these"."""

    temperature: float = 1.0
    other: float = -np.inf

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Rows of local scores (-inf pads missing options) -> rows of probabilities."""
        scaled = scores / self.temperature
        scaled = scaled - scaled.max(axis=-1, keepdims=True)
        weights = np.exp(scaled)
        return weights / (weights.sum(axis=-1, keepdims=True) + np.exp(self.other))


@dataclass(frozen=True)
class ConfidenceCalibration:
    gap: HeadCalibration = HeadCalibration()
    word: HeadCalibration = HeadCalibration()
    fitted_on: str = ""  # what the fit saw; "" for the uncalibrated softmax

    @classmethod
    def from_config(cls, config) -> ConfidenceCalibration:
        stored = getattr(config, "confidence_calibration", None)
        if not stored:
            return cls()
        gap, word = (HeadCalibration(**_finite(stored[head], back=True)) for head in ("gap", "word"))
        return cls(gap, word, stored.get("fitted_on", ""))

    def to_config(self) -> dict:
        """The config.json value (JSON has no -inf: None stands for it)."""
        return {"gap": _finite(asdict(self.gap)), "word": _finite(asdict(self.word)), "fitted_on": self.fitted_on}


def _finite(head: dict, back: bool = False) -> dict:
    if back:
        return {k: -np.inf if v is None else v for k, v in head.items()}
    return {k: None if v == -np.inf else v for k, v in head.items()}


@dataclass
class PositionScores:
    """The local scores of one position's options (the tagger's best gaps with the chosen word;
    the allowed forms with the chosen gap) and which option was chosen."""

    gap_scores: np.ndarray
    chosen_gap: int
    word_scores: np.ndarray
    chosen_word: int


def local_scores(lm: NgramLM | None, gap_words: list[list[int]], windows: list[list[StemOptions]],
                 choices: list[list[tuple[int, int]]], lm_weight: float,
                 word_bonus: float) -> list[list[PositionScores]]:
    """Every position's PositionScores, for windows decoded to `choices` (as `joint_decode` returns
    them). Without an LM (or at weight 0) the scores are the tagger's log-probs alone."""
    use_lm = lm is not None and lm_weight > 0
    priors, contexts, sequences = [], [], []  # one entry per option of every position
    layout = []  # per window, per position: (first option's index, gap options, word options)
    for positions, choice in zip(windows, choices):
        chosen = [gap_words[p.gap_ids[g]] + ([p.word_ids[w]] if p.word_ids[w] >= 0 else [])
                  for p, (g, w) in zip(positions, choice)]
        path = [BOS] * 3 + [token for tokens in chosen for token in tokens]
        window_layout, at = [], 3
        for p, (g, w), tokens in zip(positions, choice, chosen):
            before = path[at - 3:at]
            after = path[at + len(tokens):at + len(tokens) + (lm.order - 1 if use_lm else 0)]
            word = [p.word_ids[w]] if p.word_ids[w] >= 0 else []
            window_layout.append((len(priors), len(p.gap_ids), len(p.word_ids)))
            for k, gap in enumerate(p.gap_ids):
                priors.append(p.gap_log_probs[k] + p.word_log_probs[w])
                contexts.append(before)
                sequences.append((gap_words[gap] + word, after))
            for k, word_id in enumerate(p.word_ids):
                priors.append(p.gap_log_probs[g] + p.word_log_probs[k])
                contexts.append(before)
                sequences.append((gap_words[p.gap_ids[g]] + ([word_id] if word_id >= 0 else []), after))
            at += len(tokens)
        layout.append(window_layout)
    scores = np.array(priors, dtype=np.float64)
    if use_lm and sequences:
        scores += lm_weight * _option_lm_scores(lm, contexts, sequences, word_bonus)
    out = []
    for window_layout, choice in zip(layout, choices):
        window = []
        for (first, gaps, words), (g, w) in zip(window_layout, choice):
            window.append(PositionScores(scores[first:first + gaps], g, scores[first + gaps:first + gaps + words], w))
        out.append(window)
    return out


def _option_lm_scores(lm: NgramLM, contexts, sequences, word_bonus: float) -> np.ndarray:
    """LM log-score of each option's words and the words after them that read them, plus the
    bonus per word of the option's own."""
    count = len(sequences)
    width = max(len(own) + len(after) for own, after in sequences)
    tokens = np.zeros((count, width), dtype=np.int64)
    lengths = np.zeros(count, dtype=np.int64)
    own_lengths = np.zeros(count, dtype=np.int64)
    for i, (own, after) in enumerate(sequences):
        row = own + after
        tokens[i, :len(row)] = row
        lengths[i], own_lengths[i] = len(row), len(own)
    t, u, v = (np.array(column, dtype=np.int64) for column in zip(*contexts))
    total = word_bonus * own_lengths.astype(np.float64)
    for j in range(width):
        at = np.nonzero(j < lengths)[0]
        w = tokens[at, j]
        total[at] += lm.log_probs(t[at], u[at], v[at], w)
        t[at], u[at], v[at] = u[at], v[at], w
    return total


def padded(rows: list[np.ndarray]) -> np.ndarray:
    """Score rows of different lengths as one matrix, -inf where a row has no option."""
    out = np.full((len(rows), max((len(r) for r in rows), default=1)), -np.inf)
    for i, row in enumerate(rows):
        out[i, :len(row)] = row
    return out


def fit_head(scores: np.ndarray, chosen: np.ndarray, correct: np.ndarray) -> tuple[HeadCalibration, float]:
    """The temperature and "none of these" score that minimize the log-loss of the chosen option's
    probability against whether it was right (what a reader of one probability relies on), and
    that loss. `scores`: padded local scores; `chosen`: index of the chosen option per row."""
    rows = np.arange(len(chosen))
    best, best_loss = HeadCalibration(), np.inf
    for temperature in TEMPERATURES:
        scaled = scores / temperature
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        weights = np.exp(scaled)
        mass, own = weights.sum(axis=1), weights[rows, chosen]
        for other in OTHER_SCORES:
            p = np.clip(own / (mass + np.exp(other)), 1e-9, 1 - 1e-9)
            loss = -np.mean(np.where(correct, np.log(p), np.log1p(-p)))
            if loss < best_loss:
                best, best_loss = HeadCalibration(float(temperature), float(other)), loss
    return best, float(best_loss)


def expected_calibration_error(confidences: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """Sum over equal-width bins of (share of predictions in the bin) x |accuracy - mean confidence|."""
    table = reliability_table(confidences, correct, bins)
    total = sum(row["count"] for row in table)
    return sum(row["count"] / total * abs(row["accuracy"] - row["confidence"]) for row in table if row["count"])


def reliability_table(confidences: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> list[dict]:
    """Per bin [k/bins, (k+1)/bins) (the last one closed): count, mean confidence, accuracy."""
    confidences, correct = np.asarray(confidences, dtype=np.float64), np.asarray(correct, dtype=bool)
    index = np.minimum((confidences * bins).astype(np.int64), bins - 1)
    table = []
    for k in range(bins):
        mask = index == k
        count = int(mask.sum())
        table.append({"low": k / bins, "high": (k + 1) / bins, "count": count,
                      "confidence": float(confidences[mask].mean()) if count else None,
                      "accuracy": float(correct[mask].mean()) if count else None})
    return table
