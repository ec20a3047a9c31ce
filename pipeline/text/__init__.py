"""Text in and out: the forward pipeline (prose -> stems), reading and writing documents, windows,
alignment of stems with the words they came from, training pairs, the detokenizer and the round-trip check.
Imports nothing from the other stages.
"""
