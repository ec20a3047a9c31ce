"""What text a model was trained on, as the frequencies of its stems by register (`stem_profile.npz`).

With no model asked for, `destem restore` reads which register an input is nearest to among the
installed models' registers, and takes it to the model trained on that register: encyclopedia articles
to the default (trained on Wikipedia), fiction, speeches, forum posts, science and how-to text to the
general model. A unigram of stems tells register well at the size of a file (dialogue's "n't" and
"?", a speech's "nation", a forum's "thank"), for one dictionary lookup a stem. Each register's
frequencies are interpolated with those of all registers together, so that the registers with less
text are not out of reach for an input with a rare word.
"""
from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

PROFILE_FILE = "stem_profile.npz"
PROFILE_STEMS = 50_000  # the most frequent stems kept of each register
REGISTER_WEIGHT = 0.8  # of a register's own frequencies, against all registers' (chosen on documents not evaluated on)
UNSEEN_STEMS = 1_000_000  # about how many stems no register holds (names, numbers, typos) an input may bring
SAMPLE_STEMS = 20_000  # stems of an input compared: enough to tell a register, cheap on a large file


class StemProfiles:
    """Stem counts of training text, by register: each register's `PROFILE_STEMS` most frequent stems
    and its number of stems in all."""

    def __init__(self, registers: Mapping[str, tuple[dict[str, int], int]]):
        self.registers = dict(registers)  # name: (counts of its most frequent stems, its stems in all)
        self._all_stems = sum(total for _, total in self.registers.values())

    @classmethod
    def from_texts(cls, texts_by_register: Mapping[str, Iterable[str]], keep: int = PROFILE_STEMS) -> StemProfiles:
        """Profiles of stemmed texts (stems separated by spaces), by register name."""
        registers = {}
        for name, texts in texts_by_register.items():
            counts: Counter[str] = Counter()
            for text in texts:
                counts.update(text.split())
            registers[name] = (dict(counts.most_common(keep)), sum(counts.values()))
        return cls(registers)

    def save(self, folder: str) -> None:
        arrays = {}
        for name, (counts, total) in self.registers.items():
            arrays[f"{name}.stems"] = np.frombuffer("\n".join(counts).encode("utf-8"), dtype=np.uint8)  # small to read
            arrays[f"{name}.counts"] = np.array(list(counts.values()), dtype=np.int64)
            arrays[f"{name}.total"] = np.int64(total)
        np.savez_compressed(os.path.join(folder, PROFILE_FILE), **arrays)

    @classmethod
    def read(cls, folder: str) -> StemProfiles | None:
        """The model folder's profiles, or None where it has none."""
        path = os.path.join(folder, PROFILE_FILE)
        if not os.path.exists(path):
            return None
        with np.load(path) as data:
            names = sorted({key.rsplit(".", 1)[0] for key in data.files})
            return cls({name: (dict(zip(data[f"{name}.stems"].tobytes().decode("utf-8").split("\n"),
                                        data[f"{name}.counts"].tolist())), int(data[f"{name}.total"]))
                        for name in names})

    @cached_property
    def _seen(self) -> int:
        """Stems that some register holds."""
        return len({stem for counts, _ in self.registers.values() for stem in counts})

    def merged(self, other: StemProfiles) -> StemProfiles:
        """These registers and `other`'s (a name in both: `other`'s)."""
        return StemProfiles({**self.registers, **other.registers})

    def bits_per_stem(self, documents: Iterable[str], sample: int = SAMPLE_STEMS,
                      weight: float = REGISTER_WEIGHT) -> dict[str, float]:
        """Mean bits a stem of `documents` (their first `sample` stems) under each register (its own
        frequencies at `weight`, all registers' at the rest); empty for no stems."""
        stems = []
        for document in documents:
            stems += document.lower().split()[: sample - len(stems)]
            if len(stems) >= sample:
                break
        if not stems:
            return {}
        distinct = set(stems)
        every: Counter[str] = Counter()  # all registers' counts of the input's stems
        for counts, _ in self.registers.values():
            every.update({stem: counts[stem] for stem in distinct if stem in counts})
        background = {stem: (every[stem] + 0.5) / (self._all_stems + 0.5 * (self._seen + UNSEEN_STEMS))
                      for stem in distinct}
        bits = {}
        for name, (counts, total) in self.registers.items():
            bits[name] = -sum(math.log2(weight * counts.get(stem, 0) / total + (1 - weight) * background[stem])
                              for stem in stems) / len(stems)
        return bits

    def nearest(self, documents: Iterable[str], weight: float = REGISTER_WEIGHT) -> tuple[str | None, dict[str, float]]:
        """The register whose text predicts `documents`' stems best (None for no stems), and the bits
        a stem under each."""
        bits = self.bits_per_stem(documents, weight=weight)
        return (min(bits, key=bits.get) if bits else None), bits


@dataclass(frozen=True)
class RegisterReading:
    """An input read as a register that the run's model was not trained on."""

    register: str
    bits: float  # a stem, under that register
    own_bits: float  # a stem, under the nearest of the run's model's registers
    own_registers: tuple[str, ...]

    def describe(self) -> str:
        return (f"reads as {self.register} ({self.bits:.2f} bits a stem, against {self.own_bits:.2f} for the "
                f"default's {', '.join(self.own_registers)})")


class ModelRegisters:
    """The registers of the run's model and of another installed model (the general one), to tell which
    of the two was trained on an input's register."""

    def __init__(self, own: StemProfiles, other: StemProfiles):
        self.own = own
        self.every = other.merged(own)

    @classmethod
    def of(cls, model_folder: str, other_folder: str | None) -> ModelRegisters | None:
        """None where either model has no profiles (or there is no other model)."""
        own = StemProfiles.read(model_folder)
        other = None if other_folder is None else StemProfiles.read(other_folder)
        return None if own is None or other is None else cls(own, other)

    def own_register_lead(self, documents: Iterable[str]) -> float | None:
        """Bits a stem by which the nearest of the run's model's registers reads `documents` better than
        the nearest of the other model's own (negative where that one reads them better); None for no stems."""
        bits = self.every.bits_per_stem(documents)
        if not bits:
            return None
        others = [b for register, b in bits.items() if register not in self.own.registers]
        return (min(others) if others else math.inf) - min(bits[register] for register in self.own.registers)

    def other_register(self, documents: Iterable[str]) -> RegisterReading | None:
        """How `documents` read where their nearest register is the other model's alone; None where it is
        one the run's model was trained on (or there are no stems)."""
        register, bits = self.every.nearest(documents)
        if register is None or register in self.own.registers:
            return None
        return RegisterReading(register, bits[register], min(bits[r] for r in self.own.registers),
                               tuple(self.own.registers))
