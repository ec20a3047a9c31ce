"""Stems -> English: the Restorer (tag, constrain forms, detokenize, repair until the round trip
holds), the lexicon and word n-gram LM it decodes with, and batch I/O over files (in this process, worker processes or Ray actors). Imports from `text` and `model`.
"""
from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "default"  # the shipped model
