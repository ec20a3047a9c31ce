"""Importing NLTK without the 0.6-1.3 s it spends on scipy.stats.

NLTK's package import reaches `nltk.metrics.association`, which imports `scipy.stats` for one
collocation measure (Fisher's exact test) where SciPy is installed; destem never uses it. While
NLTK is first imported, `scipy.stats` reads as absent, so NLTK takes its own fallback (that
measure raises NotImplementedError); afterwards `import scipy.stats` works as usual.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def nltk_without_scipy_stats() -> Iterator[None]:
    blocked = "nltk" not in sys.modules and "scipy.stats" not in sys.modules
    if blocked:
        sys.modules["scipy.stats"] = None  # an import of it raises ImportError
    try:
        yield
    finally:
        if blocked:
            del sys.modules["scipy.stats"]
