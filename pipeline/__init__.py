"""destem: restore stemmed, stopword-stripped English, with a round-trip fidelity check.

Stages, in the order a document passes through them (a stage imports only from those before it):
`text` (forward pipeline, documents, windows, pairs, detokenizer, round-trip check) -> `model`
(tokenizer, labels, features, the tagger) -> `restore` (Restorer, constraints, LM decoding, repair,
batch I/O) -> `evaluation` (metrics, eval suites, bench, calibration) -> `training` (configs, the
training loop); `experiments` holds research tools apart; `cli` only wires.

The public API, loaded on first use so that `import pipeline` does not import torch:

    from pipeline import Restorer, stem_text, check_documents
"""
from __future__ import annotations

from importlib import import_module

_PUBLIC = {
    "Restorer": "pipeline.restore.restorer",
    "Restoration": "pipeline.restore.restorer",
    "stem_text": "pipeline.text.forward",
    "check_documents": "pipeline.text.check",
}
__all__ = list(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
