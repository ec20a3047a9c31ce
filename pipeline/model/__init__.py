"""The tagger and what it reads: the stem tokenizer, the label sets (gap, form, case), encoded
window features and the transformer tagger itself (`tagger.py`, on transformers, for training;
`plain_tagger.py`, the same forward pass in plain torch, for restoring). Imports only from
`destem.text`.
"""
