"""Importing the few NLTK modules destem runs, without NLTK's package import.

The forward pipeline needs three NLTK modules (Porter's stemmer, the Treebank word tokenizer and
Punkt), which import four small others. `import nltk.stem.porter` first runs `nltk/__init__.py`,
which imports most of NLTK: 0.5-1.2 s of a restore's start-up here, more where SciPy is
installed (`nltk.metrics.association` imports `scipy.stats` for one collocation measure).

`nltk_leaf_modules` loads just those modules from the installed NLTK, under placeholder parent
packages, and then takes every `nltk` entry it added back out of `sys.modules`: the modules it
returns are destem's own copies, and a later `import nltk` anywhere in the process is NLTK's
ordinary import, untouched. `nltk_without_scipy_stats` is for the rest of NLTK (the other
stemmers, which import NLTK whole).
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager


def nltk_leaf_modules(*names: str) -> list[types.ModuleType]:
    """The NLTK modules `names` (such as "nltk.stem.porter"). Where NLTK is already imported they are
    its own; otherwise they are loaded without running any NLTK package's `__init__`."""
    if "nltk" in sys.modules:
        with nltk_without_scipy_stats():
            return [importlib.import_module(name) for name in names]
    root = importlib.util.find_spec("nltk").submodule_search_locations[0]
    before = set(sys.modules)
    for package in sorted({".".join(name.split(".")[:depth]) for name in names
                           for depth in range(1, name.count(".") + 1)}):
        placeholder = types.ModuleType(package)
        placeholder.__path__ = [os.path.join(root, *package.split(".")[1:])]
        sys.modules[package] = placeholder
    try:
        return [importlib.import_module(name) for name in names]
    finally:
        for name in set(sys.modules) - before:
            if name == "nltk" or name.startswith("nltk."):
                del sys.modules[name]


@contextmanager
def nltk_without_scipy_stats() -> Iterator[None]:
    """While NLTK is first imported whole, `scipy.stats` reads as absent, so NLTK takes its own
    fallback (that one measure then raises NotImplementedError); afterwards it imports as usual."""
    blocked = "nltk" not in sys.modules and "scipy.stats" not in sys.modules
    if blocked:
        sys.modules["scipy.stats"] = None  # an import of it raises ImportError
    try:
        yield
    finally:
        if blocked:
            del sys.modules["scipy.stats"]
