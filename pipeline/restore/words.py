"""Keyword lists back to words (`destem words`): each stem becomes a word that stems back to it.

Topic models and keyword extractors run on stemmed text print lists like `govern polit parti
elect`. Alone, each stem becomes the lexicon's most frequent form of it, spelled as the lexicon
spells it (`Trotsky`, `United`). With a context corpus (the stemmed text the terms came from),
the model restores windows of the corpus around the listed stems (`sample_context`: within a budget
of stems, a share for each stem, then more for the close calls), and each stem becomes the form the
model weighs most there (`form_weights`): in politics, `govern` is `government`. A stem that neither
knows stays itself (it stems back to itself, or is marked so).
"""
from __future__ import annotations

import heapq
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..text.documents import expand_paths
from ..text.forward import STOPWORDS, stem_token, tokenize
from ..text.textio import InputError, read_text, split_lines
from ..text.windows import DEFAULT_MAX_STEMS, window_bounds
from .constraints import is_allowed_form
from .lexicon import Lexicon

SEPARATOR = re.compile(r"(\s*,\s*|\s+)")  # a comma with its spaces, or spaces: kept as they are
LEXICON, CONTEXT, STEM = "lexicon", "context", "stem"  # where a word came from


@dataclass
class WordChoice:
    stem: str
    word: str
    source: str  # CONTEXT, LEXICON, or STEM: no form known, the stem itself
    forms: list[tuple[str, float]] = field(default_factory=list)  # the most frequent forms, with their shares
    roundtrip: bool = True  # the word stems back to the stem

    def to_json(self) -> dict:
        return {"stem": self.stem, "word": self.word, "source": self.source, "roundtrip": self.roundtrip,
                "forms": [{"word": w, "share": round(s, 4)} for w, s in self.forms]}


def split_terms(line: str) -> list[str]:
    """A line as alternating terms and separators ("a, b c" -> ["a", ", ", "b", " ", "c"]), so that
    joining it gives the line back; leading and trailing separators are kept too."""
    return SEPARATOR.split(line)


Weighed = list[tuple[str, list[tuple[str, float]]]]  # per stem: the word written, and the forms weighed
# (lowercase) with their probabilities, as `destem restore --explain` gives them


def form_weights(stem_documents: Iterable[str], weighed: Iterable[Weighed]) -> dict[str, Counter]:
    """stem -> {spelling: expected count}: each occurrence adds the probability of each form the restorer
    weighed for it that stems back to the stem (the written one spelled as written, cased), so that a
    stem whose form the context leaves open (`pigment` or `pigments`) counts as such, not as the
    restorer's guess each time."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for stems, words in zip(stem_documents, weighed, strict=True):
        for stem, (word, forms) in zip(stems.split(), words, strict=True):
            for form, p in forms:
                if stem_token(form) == stem:
                    counts[stem][word if form == word.lower() else form] += p
    return counts


def form_counts_of_restorations(stem_documents: Iterable[str], restored_documents: Iterable[str]) -> dict[str, Counter]:
    """stem -> {spelling: count} over restored documents, each word paired with the stem it stems to.
    Documents whose restoration does not stem back are paired as far as their words still agree."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for stems, restored in zip(stem_documents, restored_documents, strict=True):
        words = [t for t in tokenize(restored) if t.lower() not in STOPWORDS]
        for stem, word in zip(stems.split(), words):
            if stem_token(word) == stem:
                counts[stem][word] += 1
    return counts


def ranked_forms(spellings: dict[str, int], stem: str, top: int) -> list[tuple[str, float]]:
    """The `top` most frequent forms (case merged, spelled their commonest way) that stem back, with
    their shares of all the stem's occurrences."""
    by_form: dict[str, Counter] = defaultdict(Counter)
    for spelling, count in spellings.items():
        if is_allowed_form(stem, spelling):
            by_form[spelling.lower()][spelling] += count
    total = sum(spellings.values()) or 1
    ranked = sorted(by_form.values(), key=lambda c: -sum(c.values()))  # stable: ties keep the first seen
    return [(c.most_common(1)[0][0], sum(c.values()) / total) for c in ranked[:top]]


def choose_words(stems: list[str], lexicon: Lexicon, context: dict[str, Counter] | None = None,
                 top: int = 1) -> list[WordChoice]:
    """A word for each stem: the context's most frequent form where the context has one, else the
    lexicon's (its most frequent spelling), else the stem itself."""
    choices = []
    for stem in stems:
        forms = ranked_forms(context[stem], stem, top) if context and stem in context else []
        source = CONTEXT
        if not forms:
            forms, source = _lexicon_forms(lexicon, stem, top), LEXICON
        if not forms:
            choices.append(WordChoice(stem, stem, STEM, [], stem_token(stem) == stem))
            continue
        choices.append(WordChoice(stem, forms[0][0], source, forms))
    return choices


def _lexicon_forms(lexicon: Lexicon, stem: str, top: int) -> list[tuple[str, float]]:
    """The lexicon's forms in its own order (most frequent spelling first), with their shares."""
    variants = {form: count for form, count in lexicon.variants(stem).items() if is_allowed_form(stem, form)}
    total = sum(lexicon.variants(stem).values()) or 1
    return [(form, count / total) for form, count in list(variants.items())[:top]]


DEFAULT_CONTEXT_STEMS = 100_000  # `destem words --context-stems`: a few minutes on a 2-core CPU
FIRST_OCCURRENCES = 5  # the first round's share: this many occurrences of each listed stem, or all it has
ROUNDS = 8  # each later round restores at most 1/ROUNDS of the budget
DECIDED_Z = 1.0  # a stem's commonest form counts as known once it leads by this many standard errors


@dataclass
class ContextSample:
    """What `sample_context` restored of a context corpus, and the forms the restorer weighed there."""

    pieces: list[str]  # stemmed windows, in corpus order
    spans: list[tuple[int, int, int]]  # where each piece is: (document index, first stem, end)
    documents: int  # context documents the pieces come from
    occurrences: Counter  # listed stem -> its occurrences in the pieces
    in_context: int  # distinct listed stems that occur in the context
    counts: dict[str, Counter] = field(default_factory=dict)  # stem -> {spelling: expected count} (`form_weights`)
    rounds: int = 0  # restoring rounds

    @property
    def stems(self) -> int:
        return sum(end - start for _, start, end in self.spans)

    @classmethod
    def whole(cls, documents: list[str], stems: Iterable[str], restore: Callable[[list[str]], list[Weighed]]
              ) -> ContextSample:
        """Every document restored (`restore`, as `sample_context` takes it), and counted."""
        listed = set(stems)
        occurrences = Counter(w for document in documents for w in document.split() if w in listed)
        counts = form_weights(documents, restore(documents)) if documents else {}
        return cls(list(documents), [(d, 0, len(document.split())) for d, document in enumerate(documents)],
                   len(documents), occurrences, len(occurrences), counts, int(bool(documents)))


class ContextSampler:
    """The windows of a context corpus around the listed stems, chosen a round at a time.

    The documents are cut as the model cuts them (`window_bounds`, windows of at most `window`
    stems: restoring a window alone gives the words that restoring its document gives, but for the
    rare round-trip repairs), and only
    windows that hold a listed stem are candidates. `take` gives the wanted stem with the fewest
    occurrences chosen so far its next window, again and again, and credits every listed stem in
    that window: so each stem gets a share (a rare one all of its occurrences), not just those of
    the first documents. A stem's windows come a document at a time (each document's first window
    before any second one); the documents that hold more of its list-mates (the other stems of the
    lists it is in: a topic's documents) first, then in an order spread over the corpus (a
    multiplicative hash of their position). Ties go to the stem listed first. The same input gives
    the same windows."""

    def __init__(self, documents: Sequence[str], lists: Iterable[Iterable[str]], window: int = DEFAULT_MAX_STEMS):
        self.documents = documents
        lists = [list(terms) for terms in lists]
        self.rank = {stem: rank for rank, stem in enumerate(dict.fromkeys(s for terms in lists for s in terms))}
        mates: dict[str, set[str]] = defaultdict(set)
        for terms in map(set, lists):
            for stem in terms:
                mates[stem] |= terms - {stem}
        self.spans: list[tuple[int, int, int]] = []  # candidate windows: (document, start, end)
        self.found: list[tuple[tuple[str, int], ...]] = []  # each candidate's listed stems, with counts
        # stem -> its candidates' (nth of the stem's windows in the document, -list-mates in the document,
        # spread, candidate id)
        keys: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
        self.total: Counter = Counter()  # listed stem -> occurrences in the context
        for d, document in enumerate(documents):
            words = document.split()
            present = self.rank.keys() & set(words)
            if not present:
                continue
            nth: Counter = Counter()
            for start, end in window_bounds(words, window):
                counts = Counter(w for w in words[start:end] if w in present)
                for stem in counts:
                    keys[stem].append((nth[stem], -len(mates[stem] & present), _spread(d), len(self.spans)))
                    nth[stem] += 1
                if counts:
                    self.spans.append((d, start, end))
                    self.found.append(tuple(counts.items()))
                    self.total.update(counts)
        self.queue = {stem: [k[-1] for k in sorted(ks, reverse=True)] for stem, ks in keys.items()}  # next: last
        self.chosen: list[int] = []
        self.taken: set[int] = set()
        self.size = 0  # stems chosen
        self.got: Counter = Counter()  # listed stem -> occurrences chosen
        self.forms: dict[str, Counter] = defaultdict(Counter)  # stem -> {spelling: expected count}

    def take(self, stems: Iterable[str], max_stems: int, until: int | None = None,
             stop_at: int | None = None) -> list[int]:
        """More windows (candidate ids, in corpus order) for `stems`, until `max_stems` stems are
        chosen in all, or (with `until`) each of them has that many occurrences chosen or all it has,
        or (with `stop_at`) the next window would take the stems chosen past `stop_at`."""
        heap = [(self.got[stem], self.rank[stem], stem) for stem in stems if self.queue.get(stem)]
        heapq.heapify(heap)
        new = []
        while heap:
            count, rank, stem = heapq.heappop(heap)
            if count != self.got[stem]:  # credited by another stem's window since it was pushed
                heapq.heappush(heap, (self.got[stem], rank, stem))
                continue
            if until is not None and count >= until:
                break
            candidates = self.queue[stem]
            while candidates and (candidates[-1] in self.taken
                                  or self.size + _length(self.spans[candidates[-1]]) > max_stems):
                candidates.pop()  # chosen already, or longer than the budget has left (it only shrinks)
            if not candidates:
                continue
            if stop_at is not None and self.size + _length(self.spans[candidates[-1]]) > stop_at:
                break
            w = candidates.pop()
            self.taken.add(w)
            new.append(w)
            self.size += _length(self.spans[w])
            for listed, n in self.found[w]:
                self.got[listed] += n
            heapq.heappush(heap, (self.got[stem], rank, stem))
        new.sort()
        self.chosen += new
        return new

    def pieces(self, ids: list[int]) -> list[str]:
        """The stems of these candidate windows."""
        words_of = {d: self.documents[d].split() for d in dict.fromkeys(self.spans[w][0] for w in ids)}
        return [" ".join(words_of[d][start:end]) for d, start, end in (self.spans[w] for w in ids)]

    def count(self, pieces: list[str], weighed: list[Weighed]) -> None:
        """Add the forms that the restorer weighed for `pieces`, with their probabilities (`form_weights`)."""
        for stem, spellings in form_weights(pieces, weighed).items():
            if stem in self.rank:
                self.forms[stem].update(spellings)

    def undecided(self, z: float = DECIDED_Z) -> list[str]:
        """The listed stems (in order) with windows left whose commonest form is still open: its lead
        over the second form, in the restorations so far, is less than `z` standard errors (those of
        the rest of its occurrences: sqrt(seen * left / total)), and the rest could overturn it."""
        open_stems = []
        for stem in self.rank:
            if not self.queue.get(stem):
                continue
            by_form: Counter = Counter()
            for spelling, n in self.forms[stem].items():
                if is_allowed_form(stem, spelling):
                    by_form[spelling.lower()] += n
            first, second = ([n for _, n in by_form.most_common(2)] + [0, 0])[:2]
            seen, left = first + second, self.total[stem] - self.got[stem]
            lead = first - second
            if lead > left or (seen and lead >= z * math.sqrt(seen * left / self.total[stem])):
                continue
            open_stems.append(stem)
        return open_stems

    def result(self, rounds: int) -> ContextSample:
        ids = sorted(self.chosen)
        spans = [self.spans[w] for w in ids]
        return ContextSample(self.pieces(ids), spans, len({d for d, _, _ in spans}), +self.got, len(self.queue),
                             dict(self.forms), rounds)


def sample_context(documents: Sequence[str], lists: Iterable[Iterable[str]],
                   restore: Callable[[list[str]], list[Weighed]], max_stems: int = DEFAULT_CONTEXT_STEMS,
                   window: int = DEFAULT_MAX_STEMS, first: int = FIRST_OCCURRENCES, rounds: int = ROUNDS,
                   progress=None) -> ContextSample:
    """Restore windows of the context around the stems of keyword `lists`, at most `max_stems`
    stems in all, and count the forms the restorer weighed there (`ContextSample.counts`).

    First each listed stem gets up to `first` occurrences (`ContextSampler.take`); then, a round of
    at most 1/`rounds` of the budget at a time, the stems whose commonest form is still open
    (`ContextSampler.undecided`) get more, the least sampled first, until none is open or the
    budget is spent. A stem whose form is clear after a few occurrences takes no more of the
    budget, which goes to the close calls (`line` or `lines`). `restore(pieces)` gives, per stemmed
    window, what the restorer weighed for each stem (`Weighed`); `progress` (a tqdm bar over stems,
    or None), which `restore` advances, gets its total: what will be restored at most, then what was."""
    sampler = ContextSampler(documents, lists, window)
    if progress is not None:
        progress.total = min(max_stems, sum(map(_length, sampler.spans)))
        progress.refresh()
    ids, n = sampler.take(list(sampler.queue), max_stems, until=first), 0
    while ids:
        pieces = sampler.pieces(ids)
        sampler.count(pieces, restore(pieces))
        n += 1
        wanted = sampler.undecided()
        step = max(max_stems // rounds, window)
        ids = sampler.take(wanted, max_stems, stop_at=sampler.size + step) if wanted else []
    if progress is not None:  # fewer when every stem's form was clear before the budget was spent
        progress.total = sampler.size
        progress.refresh()
    return sampler.result(n)


def context_sample(documents: Sequence[str], lists: Iterable[Iterable[str]],
                   max_stems: int = DEFAULT_CONTEXT_STEMS, window: int = DEFAULT_MAX_STEMS) -> ContextSample:
    """The windows that one round of `ContextSampler.take` chooses with the whole budget (what
    `sample_context` restores when no stem's form is known to be clear): restores nothing."""
    sampler = ContextSampler(documents, lists, window)
    sampler.take(list(sampler.queue), max_stems)
    return sampler.result(0)


def _length(span: tuple[int, int, int]) -> int:
    return span[2] - span[1]


def _spread(index: int) -> int:
    """A fixed order of document positions that is spread over them (a 32-bit multiplicative hash)."""
    return (index * 2654435761 + 12345) % 2**32


def read_context(path: str, errors: str = "strict") -> list[str]:
    """The stemmed documents of a context corpus: a file's lines, or those of a folder's .txt files."""
    paths = [p for p in expand_paths([path]) if p.endswith(".txt")] if os.path.isdir(path) else [path]
    if not paths:
        raise InputError(f"{path}: no .txt files in the folder")
    return [line for p in paths for line in split_lines(read_text(p, errors)) if line.strip()]
