"""The lexicon: every stem's surface forms with their counts (cased), from the training prose.

Saved as `lexicon.npz`: sorted stems and their forms as UTF-8 blobs with offsets, counts, and the
mixed-case table, so loading is a few array reads (tens of ms) instead of parsing 840k JSON entries
(1.6 s). Lookups are binary searches over the sorted blobs, cached. Folders from before this layout
(`lexicon.json.gz`) still load: converted on load, and written as `lexicon.npz` where the folder
can be written.
"""
from __future__ import annotations

import gzip
import json
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import numpy as np

from ..model.labels import MIXED, case_of
from ..text.textio import atomic_write

LEXICON_FILE = "lexicon.npz"
JSON_LEXICON_FILE = "lexicon.json.gz"  # the layout before lexicon.npz; still read


class PackedStrings:
    """Strings in one UTF-8 blob with offsets; `index_of` binary-searches when they are sorted."""

    def __init__(self, blob: bytes, offsets: Sequence[int]):
        self.blob, self.offsets = blob, offsets
        self.index_of = lru_cache(maxsize=1 << 16)(self._search)  # stems are Zipfian: most lookups repeat

    @classmethod
    def pack(cls, strings: list[str]) -> PackedStrings:
        encoded = [s.encode("utf-8") for s in strings]
        return cls(b"".join(encoded), np.cumsum([0] + [len(e) for e in encoded]).tolist())

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.blob[self.offsets[i]:self.offsets[i + 1]].decode("utf-8")

    def _search(self, text: str) -> int | None:
        key, blob, offsets = text.encode("utf-8"), self.blob, self.offsets  # UTF-8 byte order = code point order
        lo, hi = 0, len(offsets) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if blob[offsets[mid]:offsets[mid + 1]] < key:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(offsets) - 1 and blob[offsets[lo]:offsets[lo + 1]] == key else None


class Lexicon:
    def __init__(self, stems: PackedStrings, form_starts: Sequence[int], forms: PackedStrings, counts: Sequence[int],
                 mixed_keys: PackedStrings, mixed_forms: Sequence[int]):
        self.stems = stems  # sorted
        # stem i's forms are forms[form_starts[i]:form_starts[i + 1]], most frequent first
        self.form_starts = form_starts
        self.forms, self.counts = forms, counts
        self.mixed_keys = mixed_keys  # sorted lowercase forms that have a mixed-case spelling ...
        self.mixed_forms = mixed_forms  # ... and the index (into forms) of its most frequent one

    @classmethod
    def from_forms(cls, forms: dict[str, dict[str, int]]) -> Lexicon:
        """From stem -> {cased form: count}; ties keep the dict's order."""
        stems = sorted(forms)
        starts, flat, counts = [0], [], []
        where = {}
        for stem in stems:
            variants = forms[stem]
            for form in sorted(variants, key=variants.get, reverse=True):  # stable: ties keep their order
                where[(stem, form)] = len(flat)
                flat.append(form)
                counts.append(variants[form])
            starts.append(len(flat))
        best: dict[str, tuple[int, int]] = {}  # lowercase form -> (count, index) of its commonest mixed spelling
        for stem, variants in forms.items():  # in the dict's order, as ties were always broken
            for form, count in variants.items():
                if case_of(form) == MIXED and count > best.get(form.lower(), (0, 0))[0]:
                    best[form.lower()] = (count, where[(stem, form)])
        keys = sorted(best)
        return cls(PackedStrings.pack(stems), starts, PackedStrings.pack(flat), counts, PackedStrings.pack(keys),
                   [best[k][1] for k in keys])

    @classmethod
    def from_pairs(cls, records: Iterable[dict], min_count: int = 2) -> Lexicon:
        counts: dict[str, Counter] = defaultdict(Counter)
        for record in records:
            for stem, word in zip(record["source"].split(), record["words"]):
                counts[stem][word] += 1
        return cls.from_counts(counts, min_count)

    @classmethod
    def from_counts(cls, counts: dict[str, Counter], min_count: int = 2) -> Lexicon:
        """Keep forms seen `min_count` times, and always each stem's most frequent form."""
        forms = {}
        for stem, counter in counts.items():
            ranked = counter.most_common()
            forms[stem] = {f: c for k, (f, c) in enumerate(ranked) if k == 0 or c >= min_count}
        return cls.from_forms(forms)

    def __len__(self) -> int:
        return len(self.stems)

    def items(self) -> Iterator[tuple[str, dict[str, int]]]:
        """(stem, {form: count}) for every stem, in sorted order."""
        for i in range(len(self.stems)):
            yield self.stems[i], self.variants_at(i)

    def variants_at(self, i: int) -> dict[str, int]:
        return {self.forms[j]: self.counts[j] for j in range(self.form_starts[i], self.form_starts[i + 1])}

    def subset(self, keep: set[str]) -> Lexicon:
        return Lexicon.from_forms({stem: variants for stem, variants in self.items() if stem in keep})

    def merged(self, other: Lexicon) -> Lexicon:
        counts = defaultdict(Counter)
        for lexicon in (self, other):
            for stem, variants in lexicon.items():
                counts[stem].update(variants)
        return Lexicon.from_counts(counts, min_count=1)

    def variants(self, stem: str) -> dict[str, int]:
        i = self.stems.index_of(stem)
        return {} if i is None else self.variants_at(i)

    def candidates(self, stem: str) -> list[str]:
        """The stem's forms, most frequent first."""
        i = self.stems.index_of(stem)
        return [] if i is None else [self.forms[j] for j in range(self.form_starts[i], self.form_starts[i + 1])]

    def most_frequent(self, stem: str) -> str | None:
        i = self.stems.index_of(stem)
        return None if i is None else self.forms[self.form_starts[i]]

    def mixed_spelling(self, form_lower: str) -> str | None:
        i = self.mixed_keys.index_of(form_lower)
        return None if i is None else self.forms[self.mixed_forms[i]]

    def save(self, path: str) -> None:
        with atomic_write(path, "wb") as f:  # a stopped save leaves no half file
            np.savez(  # not compressed: inflating it took 0.17 s of a 0.2 s load (git compresses it anyway)
                f, stems=np.frombuffer(self.stems.blob, np.uint8),
                stem_offsets=np.asarray(self.stems.offsets, np.uint32),
                form_starts=np.asarray(self.form_starts, np.uint32), forms=np.frombuffer(self.forms.blob, np.uint8),
                form_offsets=np.asarray(self.forms.offsets, np.uint32), counts=np.asarray(self.counts, np.uint32),
                mixed_keys=np.frombuffer(self.mixed_keys.blob, np.uint8),
                mixed_offsets=np.asarray(self.mixed_keys.offsets, np.uint32),
                mixed_forms=np.asarray(self.mixed_forms, np.uint32))

    @classmethod
    def load(cls, path: str) -> Lexicon:
        """A lexicon file: lexicon.npz, or the older lexicon.json.gz."""
        if path.endswith(".json.gz"):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                return cls.from_forms(json.load(f))
        with np.load(path) as data:
            def ints(name: str) -> memoryview:  # indexes to Python ints as fast as a list, without building one
                return memoryview(np.ascontiguousarray(data[name], np.uint32)).cast("B").cast("I")

            def strings(blob: str, offsets: str) -> PackedStrings:
                return PackedStrings(data[blob].tobytes(), ints(offsets))

            return cls(strings("stems", "stem_offsets"), ints("form_starts"), strings("forms", "form_offsets"),
                       ints("counts"), strings("mixed_keys", "mixed_offsets"), ints("mixed_forms"))

    @classmethod
    def from_folder(cls, model_dir: str) -> Lexicon:
        """A model folder's lexicon; an old folder's lexicon.json.gz is converted (and saved, if it can be)."""
        path = os.path.join(model_dir, LEXICON_FILE)
        if os.path.exists(path):
            return cls.load(path)
        old = os.path.join(model_dir, JSON_LEXICON_FILE)
        if not os.path.exists(old):
            raise FileNotFoundError(f"no lexicon in {model_dir} ({LEXICON_FILE})")
        lexicon = cls.load(old)
        try:
            lexicon.save(path)
            print(f"destem: converted {old} to {LEXICON_FILE}, which loads in a fraction of the time", file=sys.stderr)
        except OSError:
            print(f"destem: {old} is the old lexicon layout (slow to load) and {model_dir} is not writable; "
                  f"a copy of the folder converts it on first load", file=sys.stderr)
        return lexicon

    @staticmethod
    def in_folder(model_dir: str) -> bool:
        return any(os.path.exists(os.path.join(model_dir, n)) for n in (LEXICON_FILE, JSON_LEXICON_FILE))
