"""Keyword lists back to words (`destem words`): each stem becomes a word that stems back to it.

Topic models and keyword extractors run on stemmed text print lists like `govern polit parti
elect`. Alone, each stem becomes the lexicon's most frequent form of it, spelled as the lexicon
spells it (`Trotsky`, `United`). With a context corpus (the stemmed text the terms came from),
the model restores the corpus, and each stem becomes the form the restorations use most there:
in politics, `govern` is `government`. A stem that neither knows stays itself (it stems back to
itself, or is marked so).
"""
from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..text.documents import expand_paths
from ..text.forward import STOPWORDS, stem_token, tokenize
from ..text.textio import InputError, read_text, split_lines
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


def context_sample(documents: list[str], stems: set[str], max_stems: int) -> list[str]:
    """The context documents worth restoring: those that hold one of `stems`, in order, until
    `max_stems` stems in all (restoring runs about 1,500 stems/s on a CPU)."""
    sample, size = [], 0
    for document in documents:
        words = document.split()
        if not stems.intersection(words):
            continue
        if sample and size + len(words) > max_stems:
            break
        sample.append(document)
        size += len(words)
    return sample


def read_context(path: str, errors: str = "strict") -> list[str]:
    """The stemmed documents of a context corpus: a file's lines, or those of a folder's .txt files."""
    paths = [p for p in expand_paths([path]) if p.endswith(".txt")] if os.path.isdir(path) else [path]
    if not paths:
        raise InputError(f"{path}: no .txt files in the folder")
    return [line for p in paths for line in split_lines(read_text(p, errors)) if line.strip()]
