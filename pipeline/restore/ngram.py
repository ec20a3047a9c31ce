"""A word n-gram language model (trigrams, optionally 4-grams) of restored text, for choosing
function words and word forms jointly (`pipeline/restore/joint_decode.py`).

The tagger picks each gap and each form from its own position's hidden state; it has no way to
make neighbouring choices agree ("was founded in" vs "founded the in"). Counts of word n-grams
over the training targets supply that, cheaply: stupid backoff (Brants et al. 2007) over
lowercased words, paragraph marks left out, each window starting from <s> <s>.

Stored as sorted int64 keys with counts (`ngram.npz` in the model folder), so that a batch of
lookups is one `searchsorted` (4-grams: a search within each key's bucket, `_lookup_hashed`) and
memory stays a few arrays, not millions of Python objects.
Three word ids fill a 64-bit key; a 4-gram's key is a 40-bit hash of its four ids instead
(`fourgram_key`): with ~10M 4-grams kept, a few dozen pairs share a key (their counts add up), and
sorted 40-bit keys compress well: the default model's 5.2M 4-grams add 18.5 MB to its file.
"""
from __future__ import annotations

import math
import os
import threading
from bisect import bisect_left
from collections import Counter
from concurrent.futures import Future

import numpy as np

from ..text.align import PARAGRAPH
from ..text.textio import atomic_write

NGRAM_FILE = "ngram.npz"
UNK, BOS = 0, 1  # ids of unknown words and of the window start
BITS = 21  # bits per word id in a packed key: up to 2,097,152 words
BACKOFF = 0.4  # stupid backoff's factor per order dropped
FOURGRAM_KEY_BITS = 40  # bits of a 4-gram's hashed key
HASH_BUCKET_BITS = 20  # 4-gram keys are looked up in 2**20 buckets by their top bits (~5 keys each)
# 4-grams: +0.3 BLEU over trigrams on 2,000 validation windows, for 50% more file (see the model card)
DEFAULT_ORDER = 4


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


class NgramLM:
    def __init__(self, vocab: list[str], unigrams: np.ndarray, bigram_keys: np.ndarray, bigram_counts: np.ndarray,
                 trigram_keys: np.ndarray, trigram_counts: np.ndarray,
                 fourgram_keys: np.ndarray | None = None, fourgram_counts: np.ndarray | None = None,
                 added: list[str] | None = None, added_runs: list[int] | None = None):
        self.vocab = vocab  # "<unk>", "<s>", then the words in sorted order (see build)
        # words that merged corpora brought (`merged`), with the ids after the vocabulary's: the 4-gram keys
        # hash the ids, so the words before keep theirs. Each merge appends its new words as a sorted run
        self.added = added or []
        self.added_runs = added_runs or ([len(self.added)] if self.added else [])  # the runs' lengths
        self.unigrams = unigrams.astype(np.float64)
        self.total = float(unigrams.sum())
        self.bigram_keys, self.bigram_counts = bigram_keys, bigram_counts.astype(np.float64)
        self.trigram_keys, self.trigram_counts = trigram_keys, trigram_counts.astype(np.float64)
        self.fourgram_keys = fourgram_keys
        self.fourgram_counts = None if fourgram_counts is None else fourgram_counts.astype(np.float64)
        self.fourgram_buckets = None if fourgram_keys is None else _hash_buckets(fourgram_keys)

    @property
    def order(self) -> int:
        return 3 if self.fourgram_keys is None else 4

    @classmethod
    def build(cls, read_windows, min_word_count: int = 2, min_ngram_count: int = 2,
              order: int = DEFAULT_ORDER) -> NgramLM:
        """Count word sequences: `read_windows()` yields each window's lowercased words and is
        called twice (vocabulary, then counts), so a corpus never has to sit in memory. Words seen
        fewer than `min_word_count` times become UNK; n-grams seen fewer than `min_ngram_count`
        times are dropped (a kept n-gram's context is always kept: it is at least as frequent).
        `order` 4 adds 4-grams; a window's first word then has no 4-gram (its context would be
        three <s>), which costs every hypothesis the same backoff."""
        if order not in (3, 4):
            raise ValueError(f"order must be 3 or 4, not {order}")
        word_counts = Counter()
        for words in read_windows():
            word_counts.update(words)
        vocab = ["<unk>", "<s>"] + sorted(w for w, c in word_counts.items() if c >= min_word_count)
        if len(vocab) >= 1 << BITS:
            raise ValueError(f"vocabulary of {len(vocab):,} words is over the {1 << BITS:,} a key can hold")
        ids = {w: i for i, w in enumerate(vocab)}
        unigram_parts, bigram_parts, trigram_parts, fourgram_parts = [], [], [], []
        for words in read_windows():
            seq = np.array([BOS, BOS] + [ids.get(w, UNK) for w in words], dtype=np.int64)
            unigram_parts.append(seq[1:])  # one <s> per window, then its words
            bigram_parts.append(pack(seq[:-1], seq[1:]))  # (<s>, <s>) is the first trigram's context
            trigram_parts.append(pack(seq[:-2], seq[1:-1], seq[2:]))
            if order == 4:
                fourgram_parts.append(fourgram_key(seq[:-3], seq[1:-2], seq[2:-1], seq[3:]))
        unigrams = np.bincount(np.concatenate(unigram_parts) if unigram_parts else np.zeros(0, np.int64),
                               minlength=len(vocab))
        fourgrams = _count(fourgram_parts, min_ngram_count) if order == 4 else (None, None)
        return cls(vocab, unigrams, *_count(bigram_parts, min_ngram_count), *_count(trigram_parts, min_ngram_count),
                   *fourgrams)

    def word_ids(self, words: list[str]) -> list[int]:
        return [self.word_id(w) for w in words]

    def word_id(self, word: str) -> int:
        """By bisection of the sorted words: a dict of them would take 0.25 s to build at each load."""
        at = bisect_left(self.vocab, word, 2)
        if at < len(self.vocab) and self.vocab[at] == word:
            return at
        start = 0
        for length in self.added_runs:
            at = bisect_left(self.added, word, start, start + length)
            if at < start + length and self.added[at] == word:
                return len(self.vocab) + at
            start += length
        return BOS if word == "<s>" else UNK

    @property
    def words(self) -> int:
        """Words the model knows (and <unk>, <s>)."""
        return len(self.vocab) + len(self.added)

    def merged(self, read_windows, share: float, min_word_count: int = 2, min_ngram_count: int = 2) -> NgramLM:
        """This model with the counts of another corpus added: `read_windows()` as in `build` (called
        twice), its counts scaled so that they are `share` of the merged model's words. Stupid backoff
        reads counts, so the merged model's scores lean towards the corpus as much as `share` says:
        a domain's n-grams where this model has few, this model's where the corpus is silent."""
        if not 0 < share < 1:
            raise ValueError(f"share must be between 0 and 1, not {share}")
        word_counts = Counter()
        for words in read_windows():
            word_counts.update(words)
        new = sorted(w for w, c in word_counts.items() if c >= min_word_count and self.word_id(w) == UNK and w != "<s>")
        added, runs = self.added + new, self.added_runs + ([len(new)] if new else [])
        if len(self.vocab) + len(added) >= 1 << BITS:
            raise ValueError(f"vocabulary of {len(self.vocab) + len(added):,} words is over the {1 << BITS:,} "
                             "a key can hold")
        merged_lm = NgramLM(self.vocab, np.zeros(0), self.bigram_keys[:0], self.bigram_counts[:0],
                            self.trigram_keys[:0], self.trigram_counts[:0], added=added, added_runs=runs)
        parts: dict[str, list[np.ndarray]] = {"uni": [], "bi": [], "tri": [], "four": []}
        for words in read_windows():
            seq = np.array([BOS, BOS] + merged_lm.word_ids(words), dtype=np.int64)
            parts["uni"].append(seq[1:])
            parts["bi"].append(pack(seq[:-1], seq[1:]))
            parts["tri"].append(pack(seq[:-2], seq[1:-1], seq[2:]))
            if self.fourgram_keys is not None:
                parts["four"].append(fourgram_key(seq[:-3], seq[1:-2], seq[2:-1], seq[3:]))
        corpus_unigrams = np.bincount(np.concatenate(parts["uni"]) if parts["uni"] else np.zeros(0, np.int64),
                                      minlength=merged_lm.words).astype(np.float64)
        weight = share * self.total / ((1 - share) * max(corpus_unigrams.sum(), 1.0))
        # counts are whole numbers: the smaller side is scaled up, so that rounding moves no count much
        scales = (1.0, weight) if weight >= 1 else (1 / weight, 1.0)
        unigrams = np.zeros(merged_lm.words)
        unigrams[: len(self.unigrams)] = np.rint(self.unigrams * scales[0])
        unigrams += np.rint(corpus_unigrams * scales[1])
        counted = {name: _count(parts[name], min_ngram_count) for name in ("bi", "tri", "four")}
        bigrams = _add_counts((self.bigram_keys, self.bigram_counts), counted["bi"], scales)
        trigrams = _add_counts((self.trigram_keys, self.trigram_counts), counted["tri"], scales)
        four = ((None, None) if self.fourgram_keys is None else
                _add_counts((self.fourgram_keys, self.fourgram_counts), counted["four"], scales))
        return NgramLM(self.vocab, unigrams, *bigrams, *trigrams, *four, added=added, added_runs=runs)

    def log_probs(self, t: np.ndarray, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Stupid-backoff log scores of words `w` after contexts (`t`, `u`, `v`), element-wise, 1-D
        (`t` is not read by a trigram model). Each distinct n-gram is looked up once: a beam search
        asks for many twice (gaps that begin alike, windows that begin alike)."""
        if self.fourgram_keys is None:
            _, first, inverse = np.unique(pack(u, v, w), return_index=True, return_inverse=True)
            return self._trigram_log_probs(u[first], v[first], w[first])[inverse]
        keys = fourgram_key(t, u, v, w)
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        same = first[inverse]
        if not ((t[same] == t) & (u[same] == u) & (v[same] == v) & (w[same] == w)).all():
            return self._fourgram_log_probs(t, u, v, w, keys)  # two 4-grams share a hashed key: each alone
        return self._fourgram_log_probs(t[first], u[first], v[first], w[first], keys[first])[inverse]

    def _fourgram_log_probs(self, t, u, v, w, keys: np.ndarray) -> np.ndarray:
        four = _lookup_hashed(self.fourgram_keys, self.fourgram_counts, self.fourgram_buckets, keys)
        seen = four > 0
        scores = np.empty(four.shape)
        context = _lookup(self.trigram_keys, self.trigram_counts, pack(t[seen], u[seen], v[seen]))
        scores[seen] = np.log(four[seen] / np.maximum(context, four[seen]))  # a shared hash key may overcount
        scores[~seen] = math.log(BACKOFF) + self._trigram_log_probs(u[~seen], v[~seen], w[~seen])
        return scores

    def _trigram_log_probs(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        tri = _lookup(self.trigram_keys, self.trigram_counts, pack(u, v, w))
        seen = tri > 0  # the trigram's context count, else the bigram's: each lookup only where it is used
        scores = np.empty(tri.shape)
        context = _lookup(self.bigram_keys, self.bigram_counts, pack(u[seen], v[seen]))
        scores[seen] = np.log(tri[seen] / np.maximum(context, 1))
        v, w = v[~seen], w[~seen]
        bi = _lookup(self.bigram_keys, self.bigram_counts, pack(v, w))
        with np.errstate(divide="ignore"):
            scores[~seen] = np.where(bi > 0, math.log(BACKOFF) + np.log(bi / np.maximum(self.unigrams[v], 1)),
                                     2 * math.log(BACKOFF) + np.log((self.unigrams[w] + 1) / self.total))
        return scores

    def save(self, folder: str) -> None:
        with atomic_write(os.path.join(folder, NGRAM_FILE), "wb") as f:  # a file: np.savez adds .npz to a name
            np.savez_compressed(f, vocab=np.array("\n".join(self.vocab)), unigrams=_narrow(self.unigrams),
                                **({"added": np.array("\n".join(self.added))} if self.added else {}),
                                **({"added_runs": np.array(self.added_runs)} if len(self.added_runs) > 1 else {}),
                                bigram_keys=_deltas(self.bigram_keys), bigram_counts=_narrow(self.bigram_counts),
                                trigram_keys=_deltas(self.trigram_keys), trigram_counts=_narrow(self.trigram_counts),
                                **({} if self.fourgram_keys is None else
                                   {"fourgram_keys": _narrow(_deltas(self.fourgram_keys)),
                                    "fourgram_counts": _narrow(self.fourgram_counts)}))

    @classmethod
    def load(cls, folder: str) -> NgramLM | None:
        """The model folder's language model, or None where it has none (taken from `prefetch` if it ran)."""
        prefetched = _PREFETCHED.pop(os.path.realpath(folder), None)
        return prefetched.result() if prefetched is not None else cls.read(folder)

    @classmethod
    def read(cls, folder: str) -> NgramLM | None:
        path = os.path.join(folder, NGRAM_FILE)
        if not os.path.exists(path):
            return None
        with np.load(path) as data:
            fourgrams = ((np.cumsum(data["fourgram_keys"], dtype=np.int64), data["fourgram_counts"])
                         if "fourgram_keys" in data else (None, None))
            return cls(data["vocab"].item().split("\n"), data["unigrams"], np.cumsum(data["bigram_keys"]),
                       data["bigram_counts"], np.cumsum(data["trigram_keys"]), data["trigram_counts"], *fourgrams,
                       added=data["added"].item().split("\n") if "added" in data else None,
                       added_runs=data["added_runs"].tolist() if "added_runs" in data else None)


_PREFETCHED: dict[str, Future] = {}


def prefetch(folder: str) -> None:
    """Start reading `folder`'s LM in a background thread; the next `NgramLM.load(folder)` takes it.

    Reading the file is mostly inflating 55 MB (0.9 s here), which releases the GIL, so a caller that
    prefetches before importing torch gets the LM while the import runs, on the second core."""
    key = os.path.realpath(folder)
    if key in _PREFETCHED or not os.path.exists(os.path.join(key, NGRAM_FILE)):
        return
    future: Future = Future()

    def read() -> None:
        try:
            future.set_result(NgramLM.read(key))
        except BaseException as e:  # noqa: BLE001 - handed to the caller of load(), which raises it there
            future.set_exception(e)

    threading.Thread(target=read, name="ngram-prefetch", daemon=True).start()
    _PREFETCHED[key] = future


def _count(parts: list[np.ndarray], min_count: int) -> tuple[np.ndarray, np.ndarray]:
    keys, counts = np.unique(np.concatenate(parts) if parts else np.zeros(0, np.int64), return_counts=True)
    keep = counts >= min_count
    return keys[keep], counts[keep]


def _add_counts(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray],
                scales: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The union of two (sorted keys, counts), each side's counts scaled by its scale (scales of at least
    1, rounded: counts are saved as whole numbers) and added where a key is in both."""
    merged, inverse = np.unique(np.concatenate([first[0], second[0]]), return_inverse=True)
    counts = np.concatenate([np.rint(first[1] * scales[0]), np.rint(second[1].astype(np.float64) * scales[1])])
    return merged, np.bincount(inverse, weights=counts, minlength=len(merged))


def _lookup(keys: np.ndarray, counts: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Counts of the `queries` (0 where absent). Queries are looked up in sorted order: numpy's
    searchsorted then narrows each search from the last one, several times faster on millions of keys."""
    found = np.zeros(queries.shape)
    if len(keys) == 0 or queries.size == 0:
        return found
    order = np.argsort(queries, axis=None)
    ordered = queries.ravel()[order]
    at = np.minimum(np.searchsorted(keys, ordered), len(keys) - 1)
    found.ravel()[order] = np.where(keys[at] == ordered, counts[at], 0.0)
    return found


def _hash_buckets(keys: np.ndarray) -> np.ndarray:
    """Where each of the 2**HASH_BUCKET_BITS ranges of sorted hashed keys starts, and the end: the keys
    are spread evenly, so a bucket holds a handful and a lookup needs no search over millions."""
    buckets = np.zeros((1 << HASH_BUCKET_BITS) + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys >> (FOURGRAM_KEY_BITS - HASH_BUCKET_BITS), minlength=1 << HASH_BUCKET_BITS),
              out=buckets[1:])
    return buckets


def _lookup_hashed(keys: np.ndarray, counts: np.ndarray, buckets: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """`_lookup` of hashed keys: a binary search within each query's bucket, for all queries at once
    (independent memory reads, where searchsorted's are one after another: 4x faster here)."""
    q = queries.ravel()
    at = q >> (FOURGRAM_KEY_BITS - HASH_BUCKET_BITS)
    lo, hi = buckets[at], buckets[at + 1]
    while (open_ := np.nonzero(lo < hi)[0]).size:
        mid = (lo[open_] + hi[open_]) >> 1
        right = keys[mid] < q[open_]
        lo[open_[right]] = mid[right] + 1
        hi[open_[~right]] = mid[~right]
    found = np.zeros(queries.shape)
    if len(keys):
        at = np.minimum(lo, len(keys) - 1)
        found.ravel()[:] = np.where(keys[at] == q, counts[at], 0.0)
    return found


def _deltas(sorted_keys: np.ndarray) -> np.ndarray:
    """Sorted keys as differences: small numbers, which compress to a fraction of the keys' size."""
    return np.diff(sorted_keys, prepend=0)


def _narrow(counts: np.ndarray) -> np.ndarray:
    return counts.astype(np.uint32 if counts.max(initial=0) < 2**32 else np.int64)


def pair_windows(train):
    """`read_windows` of a `datasets` split of pair windows: each window's lowercased target words. Windows
    of input pipelines that drop punctuation and numbers (`input` other than "destem") lack words of the
    text, so they are left out."""
    from tqdm import tqdm

    columns = train.select_columns([c for c in ("words", "gaps", "tail", "input") if c in train.column_names])

    def read_windows():
        with tqdm(total=len(columns), desc="language model", unit=" windows", mininterval=5) as bar:
            for batch in columns.iter(batch_size=2000):
                bar.update(len(batch["words"]))
                inputs = batch.get("input") or ["destem"] * len(batch["words"])
                yield from (window_words(words, gaps, tail) for words, gaps, tail, name
                            in zip(batch["words"], batch["gaps"], batch["tail"], inputs) if name == "destem")

    return read_windows


def lm_from_pairs(train, min_word_count: int = 2, min_ngram_count: int = 2, order: int = DEFAULT_ORDER) -> NgramLM:
    """The language model of a `datasets` split of pair windows (their target words)."""
    return NgramLM.build(pair_windows(train), min_word_count, min_ngram_count, order)
