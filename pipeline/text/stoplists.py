"""The stopword lists `destem detect` names: NLTK's three (`forward.STOPWORD_LISTS`), and gensim's,
the SMART system's, scikit-learn's and spaCy's, shipped as data (stopword_lists.json, copied from
those libraries by data/recipes/stopword_lists.py with each list's source and licence; destem
imports none of them).
"""
from __future__ import annotations

import json
import os
from functools import cache

from .forward import STOPWORD_LISTS

LISTS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stopword_lists.json")
OTHER_LISTS = ("gensim", "smart", "sklearn", "spacy")  # the keys of stopword_lists.json's "lists"
LIST_NAMES = (*STOPWORD_LISTS, *OTHER_LISTS)  # NLTK's first: the order detect breaks ties in


@cache
def shipped_lists() -> dict[str, dict]:
    """name -> {"source", "licence", "words"}, as stopword_lists.json holds them."""
    with open(LISTS_FILE, encoding="utf-8") as f:
        return json.load(f)["lists"]


@cache
def stopword_list(name: str) -> frozenset[str]:
    """The words of one of LIST_NAMES (lowercase; spaCy's include "n't", "'s" and their curly forms)."""
    if name in STOPWORD_LISTS:
        return STOPWORD_LISTS[name]
    return frozenset(shipped_lists()[name]["words"])


@cache
def all_listed_words() -> frozenset[str]:
    """Every word of every list."""
    return frozenset().union(*(stopword_list(name) for name in LIST_NAMES))
