"""A word n-gram language model (trigrams or 4-grams) of restored text, for choosing function
words and word forms jointly (`pipeline/joint_decode.py`).

The tagger picks each gap and each form from its own position's hidden state; it has no way to
make neighbouring choices agree ("was founded in" vs "founded the in"). Counts of word n-grams
over the training targets supply that: interpolated modified Kneser-Ney (Chen & Goodman 1998)
over lowercased words, paragraph marks left out, each window starting from <s>. Rare n-grams are
pruned; their probability mass goes to the backoff weights, so the model stays normalised.

Kept as in an ARPA file: each n-gram's interpolated log-probability and each context's log
backoff weight, so that scoring a word is a lookup per order it has to back off through.
Stored as sorted int64 keys (`ngram.npz` in the model folder): a batch of lookups is one
`searchsorted` per order, and memory stays a few arrays, not millions of Python objects. Two or
three word ids fill a 64-bit key; a 4-gram's key is a 40-bit hash of its four ids instead
(`fourgram_key`): with ~10M 4-grams kept, a few dozen pairs share a key (counted as one 4-gram).
Log values are stored as 8-bit codes into a table of 256 per order and kind (`_quantize`).
"""
from __future__ import annotations

import os
from collections import Counter

import numpy as np

from .align import PARAGRAPH

NGRAM_FILE = "ngram.npz"
UNK, BOS = 0, 1  # ids of unknown words and of the window start
BITS = 21  # bits per word id in a packed key: up to 2,097,152 words
FOURGRAM_KEY_BITS = 40  # bits of a 4-gram's hashed key
DEFAULT_ORDER = 4  # 4-grams: +0.3 BLEU over trigrams on 2,000 validation windows, for 50% more file (see the model card)


def window_words(words: list[str], gaps: list[str], tail: str) -> list[str]:
    """The lowercased word sequence of a pair window (gap words before each word, then the tail)."""
    out: list[str] = []
    for gap, word in zip(gaps, words):
        out.extend(w for w in gap.lower().split() if w != PARAGRAPH)
        out.append(word.lower())
    out.extend(w for w in tail.lower().split() if w != PARAGRAPH)
    return out


def pack(*ids: np.ndarray) -> np.ndarray:
    key = np.zeros(np.broadcast(*ids).shape, dtype=np.int64)
    for part in ids:
        key = (key << BITS) | part
    return key


def fourgram_key(t: np.ndarray, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The hashed key of 4-grams (t, u, v, w): 84 bits of ids mixed (splitmix64's finalizer) down
    to FOURGRAM_KEY_BITS."""
    with np.errstate(over="ignore"):
        h = pack(t, u, v).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        h ^= np.asarray(w).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return (h >> np.uint64(64 - FOURGRAM_KEY_BITS)).astype(np.int64)


def ngram_key(*ids: np.ndarray) -> np.ndarray:
    """The key of n-grams given as one id array per position (2 to 4 of them)."""
    return fourgram_key(*ids) if len(ids) == 4 else pack(*ids)


class NgramLM:
    def __init__(self, vocab: list[str], keys: list[np.ndarray], log_probs: list[np.ndarray],
                 log_backoffs: list[np.ndarray]):
        """Per order n (index n - 1): the n-grams' sorted keys (unigrams: none, the word id is the
        index), their log-probabilities, and their log backoff weights as contexts (all orders but the last)."""
        self.vocab = vocab
        self.ids = {w: i for i, w in enumerate(vocab)}
        self.keys, self.log_probs_by_order, self.log_backoffs = keys, log_probs, log_backoffs

    @property
    def order(self) -> int:
        return len(self.log_probs_by_order)

    def counts(self) -> list[int]:
        """How many n-grams of each order are kept."""
        return [len(p) for p in self.log_probs_by_order]

    @classmethod
    def build(cls, read_windows, min_word_count: int = 2, min_ngram_count: int = 2, order: int = DEFAULT_ORDER) -> "NgramLM":
        """Estimate from word sequences: `read_windows()` yields each window's lowercased words and
        is called twice (vocabulary, then counts), so a corpus never has to sit in memory as
        strings. Words seen fewer than `min_word_count` times become UNK; n-grams (of two words or
        more) seen fewer than `min_ngram_count` times are pruned (a kept n-gram's context is kept:
        it is at least as frequent)."""
        if order not in (3, 4):
            raise ValueError(f"order must be 3 or 4, not {order}")
        word_counts = Counter()
        for words in read_windows():
            word_counts.update(words)
        vocab = ["<unk>", "<s>"] + sorted(w for w, c in word_counts.items() if c >= min_word_count)
        if len(vocab) >= 1 << BITS:
            raise ValueError(f"vocabulary of {len(vocab):,} words is over the {1 << BITS:,} a key can hold")
        ids = {w: i for i, w in enumerate(vocab)}
        stream = np.concatenate([np.array([BOS] + [ids.get(w, UNK) for w in words], dtype=np.int64)
                                 for words in read_windows()] or [np.zeros(0, np.int64)])
        return _estimate(vocab, stream, order, min_ngram_count)

    def word_ids(self, words: list[str]) -> list[int]:
        return [self.ids.get(w, UNK) for w in words]

    def log_probs(self, t: np.ndarray, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Natural-log probabilities of words `w` after contexts (`t`, `u`, `v`), element-wise
        (`t` is not read by a trigram model)."""
        return self._score([t, u, v][4 - self.order:], np.asarray(w))

    def _score(self, context: list[np.ndarray], w: np.ndarray) -> np.ndarray:
        """log P(w | context), backing off through shorter contexts where the n-gram is not kept."""
        if not context:
            return self.log_probs_by_order[0][w]
        n = len(context) + 1
        scores, found = _lookup(self.keys[n - 1], self.log_probs_by_order[n - 1], ngram_key(*context, w))
        missing = ~found
        if missing.any():
            shorter = [c[missing] for c in context]
            if n == 2:
                backoff = self.log_backoffs[0][shorter[0]]
            else:
                backoff, _ = _lookup(self.keys[n - 2], self.log_backoffs[n - 2], ngram_key(*shorter))
            scores[missing] = backoff + self._score(shorter[1:], w[missing])
        return scores

    def save(self, folder: str) -> None:
        path = os.path.join(folder, NGRAM_FILE)
        tmp = path + ".tmp.npz"
        arrays = {"vocab": np.array("\n".join(self.vocab)), "format": np.array(2)}
        for n in range(1, self.order + 1):
            if n > 1:
                arrays[f"keys_{n}"] = _deltas(self.keys[n - 1])
            tables = [("log_probs", self.log_probs_by_order)] + ([("log_backoffs", self.log_backoffs)] if n < self.order else [])
            for name, values in tables:
                arrays[f"{name}_{n}"], arrays[f"{name}_{n}_table"] = _quantize(values[n - 1])
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, folder: str) -> "NgramLM | None":
        """The model folder's language model, or None where it has none."""
        path = os.path.join(folder, NGRAM_FILE)
        if not os.path.exists(path):
            return None
        with np.load(path) as data:
            if "format" not in data:
                raise ValueError(f"{path} is a stupid-backoff LM from an older destem: rebuild it with "
                                 "`destem data build-lm --pairs PAIRS --model MODEL`")
            order = sum(name.startswith("log_probs_") and not name.endswith("table") for name in data)
            keys = [None] + [np.cumsum(data[f"keys_{n}"], dtype=np.int64) for n in range(2, order + 1)]
            log_probs = [data[f"log_probs_{n}_table"][data[f"log_probs_{n}"]] for n in range(1, order + 1)]
            log_backoffs = [data[f"log_backoffs_{n}_table"][data[f"log_backoffs_{n}"]] for n in range(1, order)]
            return cls(str(data["vocab"]).split("\n"), keys, log_probs, log_backoffs)


def _estimate(vocab: list[str], stream: np.ndarray, order: int, min_count: int) -> NgramLM:
    """Interpolated modified Kneser-Ney from the windows' ids end to end (each window starts with
    <s>), in backoff form. An n-gram is counted where it ends; only its first word may be <s>.
    Counts are Kneser-Ney's: the highest order's are raw, a lower order's are how many distinct
    words precede the n-gram (raw for n-grams that start with <s>: nothing precedes them)."""
    positions = np.arange(len(stream))
    after_start = np.zeros(len(stream), dtype=np.int64)  # words since the last <s>, <s> itself 0
    starts = np.flatnonzero(stream == BOS)
    if len(starts):
        after_start = positions - starts[np.searchsorted(starts, positions, side="right") - 1]
    grams = {}  # order -> (unique keys, a position of each, raw counts)
    for n in range(2, order + 1):
        ends = positions[after_start >= n - 1]
        keys = ngram_key(*(stream[ends - n + 1 + k] for k in range(n)))
        unique, first, raw = np.unique(keys, return_index=True, return_counts=True)
        grams[n] = (unique, ends[first], raw)

    def ids_of(n, ends):  # the id arrays of the n-grams ending at `ends`
        return [stream[ends - n + 1 + k] for k in range(n)]

    adjusted = {order: grams[order][2].astype(np.float64)}
    for n in range(order - 1, 0, -1):  # distinct one-word-longer n-grams per suffix
        suffixes = ids_of(n, grams[n + 1][1])
        suffix_keys = suffixes[0] if n == 1 else ngram_key(*suffixes)
        if n == 1:
            adjusted[1] = np.bincount(suffix_keys, minlength=len(vocab)).astype(np.float64)
            continue
        unique, ends, raw = grams[n]
        suffix_keys, extensions = np.unique(suffix_keys, return_counts=True)  # sorted: a fast searchsorted
        continued = np.bincount(np.searchsorted(unique, suffix_keys), weights=extensions, minlength=len(unique))
        # every n-gram seen has a word before it; a 4-gram sharing its hashed key with another may hide it
        adjusted[n] = np.where(stream[ends - n + 1] == BOS, raw, np.maximum(continued, 1)).astype(np.float64)

    lm = NgramLM(vocab, [None], [], [])
    unigram_discount = _discount(adjusted[1], _discounts(adjusted[1][adjusted[1] > 0]))
    kept_mass = np.maximum(adjusted[1] - unigram_discount, 0)
    total = max(adjusted[1].sum(), 1.0)
    leftover = 1 - kept_mass.sum() / total
    with np.errstate(divide="ignore"):
        lm.log_probs_by_order.append(np.log(kept_mass / total + leftover / len(vocab)))
    for n in range(2, order + 1):
        unique, ends, raw = grams[n]
        a = adjusted[n]
        context_ids = ids_of(n, ends)[:-1]
        contexts = context_ids[0] if n == 2 else ngram_key(*context_ids)
        context_keys, context_of = np.unique(contexts, return_inverse=True)
        kept = raw >= min_count
        discounted = np.where(kept, a - _discount(a, _discounts(a)), 0.0)
        totals = np.bincount(context_of, weights=a, minlength=len(context_keys))
        leftover = 1 - np.bincount(context_of, weights=discounted, minlength=len(context_keys)) / totals
        with np.errstate(divide="ignore"):
            log_leftover = np.log(np.maximum(leftover, 1e-12))
        # the contexts' backoff weights belong to the order below
        if n == 2:
            backoffs = np.zeros(len(vocab))
            backoffs[context_keys] = log_leftover
        else:
            backoffs = np.zeros(len(lm.keys[n - 2]))
            at, stored = _find(lm.keys[n - 2], context_keys)  # contexts of no kept n-gram back off whole
            backoffs[at[stored]] = log_leftover[stored]
        lm.log_backoffs.append(backoffs)
        keep_ends = ends[kept]
        ids = ids_of(n, keep_ends)
        lower = lm._score(ids[1:-1], ids[-1])
        interpolated = (discounted[kept] / totals[context_of[kept]]
                        + np.exp(log_leftover[context_of[kept]] + lower))
        lm.keys.append(unique[kept])
        lm.log_probs_by_order.append(np.log(interpolated))
    return lm


def _discounts(counts: np.ndarray) -> tuple[float, float, float]:
    """Modified Kneser-Ney's discounts for counts of 1, 2 and 3+ (Chen & Goodman's estimates from
    the counts of counts); fixed ones where too few n-grams make those undefined (tiny corpora)."""
    n1, n2, n3, n4 = (np.count_nonzero(counts == k) for k in (1, 2, 3, 4))
    if min(n1, n2, n3, n4) == 0:
        return 0.5, 1.0, 1.5
    y = n1 / (n1 + 2 * n2)
    return tuple(float(np.clip(d, 0, k)) for k, d in
                 ((1, 1 - 2 * y * n2 / n1), (2, 2 - 3 * y * n3 / n2), (3, 3 - 4 * y * n4 / n3)))


def _discount(counts: np.ndarray, discounts: tuple[float, float, float]) -> np.ndarray:
    return np.select([counts <= 0, counts == 1, counts == 2], [0.0, discounts[0], discounts[1]], discounts[2])


def _find(keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of the `queries` is in the sorted `keys`, and whether it is there. Queries are
    looked up in sorted order: numpy's searchsorted then narrows each search from the last one,
    several times faster on millions of keys."""
    at = np.zeros(queries.shape, dtype=np.int64)
    found = np.zeros(queries.shape, dtype=bool)
    if len(keys) == 0 or queries.size == 0:
        return at, found
    order = np.argsort(queries, axis=None)
    ordered = queries.ravel()[order]
    sorted_at = np.minimum(np.searchsorted(keys, ordered), len(keys) - 1)
    at.ravel()[order] = sorted_at
    found.ravel()[order] = keys[sorted_at] == ordered
    return at, found


def _lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values of the `queries` in sorted `keys` (0 where absent) and whether each was found."""
    at, found = _find(keys, queries)
    return np.where(found, values[at] if len(values) else 0.0, 0.0), found


def _quantize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """8-bit codes and their table: up to 255 bins of equal population, each standing for its
    values' mean (as KenLM quantizes), and a last code for -inf. Exact where there are at most
    255 distinct values."""
    finite = np.isfinite(values)
    distinct = np.unique(values[finite])
    if len(distinct) <= 255:
        table, codes = distinct, np.searchsorted(distinct, values)
    else:
        edges = np.quantile(values[finite], np.linspace(0, 1, 256)[1:-1])
        codes = np.searchsorted(edges, values)
        table = (np.bincount(codes[finite], weights=values[finite], minlength=255)
                 / np.maximum(np.bincount(codes[finite], minlength=255), 1))
    table = np.concatenate([table, np.full(256 - len(table), -np.inf)]).astype(np.float32)
    return np.where(finite, codes, 255).astype(np.uint8), table


def _deltas(sorted_keys: np.ndarray) -> np.ndarray:
    """Sorted keys as differences: small numbers, which compress to a fraction of the keys' size."""
    return np.diff(sorted_keys, prepend=0)


def lm_from_pairs(train, min_word_count: int = 2, min_ngram_count: int = 2, order: int = DEFAULT_ORDER) -> NgramLM:
    """The language model of a `datasets` split of pair windows (their target words)."""
    from tqdm import tqdm

    columns = train.select_columns(["words", "gaps", "tail"])

    def read_windows():
        with tqdm(total=len(columns), desc="language model", unit=" windows", mininterval=5) as bar:
            for batch in columns.iter(batch_size=2000):
                bar.update(len(batch["words"]))
                yield from map(window_words, batch["words"], batch["gaps"], batch["tail"])

    return NgramLM.build(read_windows, min_word_count, min_ngram_count, order)
