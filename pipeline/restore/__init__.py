"""Stems -> English: the Restorer (tag, constrain forms, detokenize, repair until the round trip
holds), the lexicon and word n-gram LM it decodes with, and batch I/O over files (in this process,
worker processes or Ray actors). Imports from `text` and `model`.
"""
