"""The tagger and what it reads: the stem tokenizer, the label sets (gap, form, case), encoded
window features, the transformer tagger itself (`tagger.py`, one module for training and restoring),
the device and precision it runs in, and where the model folder is (`locate.py`). Imports only from
`destem.text`.
"""
