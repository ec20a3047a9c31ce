"""The lexicon: every stem's surface forms with their counts (cased), from the training prose."""
from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from typing import Iterable

from ..model.labels import MIXED, case_of

LEXICON_FILE = "lexicon.json.gz"


class Lexicon:
    def __init__(self, forms: dict[str, dict[str, int]]):
        self.forms = forms  # stem -> {cased form: count}, most frequent first
        self._mixed: dict[str, str] = {}  # lowercase form -> its most frequent mixed-case spelling
        best: dict[str, int] = {}
        for variants in forms.values():
            for form, count in variants.items():
                if case_of(form) == MIXED and count > best.get(form.lower(), 0):
                    best[form.lower()], self._mixed[form.lower()] = count, form

    @classmethod
    def from_pairs(cls, records: Iterable[dict], min_count: int = 2) -> "Lexicon":
        counts: dict[str, Counter] = defaultdict(Counter)
        for record in records:
            for stem, word in zip(record["source"].split(), record["words"]):
                counts[stem][word] += 1
        return cls.from_counts(counts, min_count)

    @classmethod
    def from_counts(cls, counts: dict[str, Counter], min_count: int = 2) -> "Lexicon":
        """Keep forms seen `min_count` times, and always each stem's most frequent form."""
        forms = {}
        for stem, counter in counts.items():
            ranked = counter.most_common()
            forms[stem] = {f: c for k, (f, c) in enumerate(ranked) if k == 0 or c >= min_count}
        return cls(forms)

    def merged(self, other: "Lexicon") -> "Lexicon":
        counts = defaultdict(Counter)
        for lexicon in (self, other):
            for stem, variants in lexicon.forms.items():
                counts[stem].update(variants)
        return Lexicon.from_counts(counts, min_count=1)

    def most_frequent(self, stem: str) -> str | None:
        variants = self.forms.get(stem)
        return max(variants, key=variants.get) if variants else None

    def candidates(self, stem: str) -> list[str]:
        variants = self.forms.get(stem, {})
        return sorted(variants, key=variants.get, reverse=True)

    def mixed_spelling(self, form_lower: str) -> str | None:
        return self._mixed.get(form_lower)

    def save(self, path: str) -> None:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            json.dump(self.forms, f, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def load(cls, path: str) -> "Lexicon":
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return cls(json.load(f))
