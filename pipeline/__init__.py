"""destem: restore stemmed, stopword-stripped English, with a round-trip fidelity check.

Stages, in the order a document passes through them (a stage imports only from those before it):
`text` (forward pipeline, documents, windows, pairs, detokenizer, round-trip check) -> `model`
(tokenizer, labels, features, the tagger) -> `restore` (Restorer, constraints, LM decoding, repair,
batch I/O) -> `evaluation` (metrics, eval suites, bench, calibration) -> `training` (configs, the
training loop); `cli` only wires. `lab/` (experiments, bake-offs, measurements) is not installed.

The public API, loaded on first use so that `import destem` does not import torch:

    from destem import Restorer, stem_text, check_documents
"""
from __future__ import annotations

from importlib import import_module

_PUBLIC = {
    "Restorer": "destem.restore.restorer",
    "Restoration": "destem.restore.restorer",
    "stem_text": "destem.text.forward",
    "check_documents": "destem.text.check",
}
__all__ = list(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'destem' has no attribute {name!r}")
