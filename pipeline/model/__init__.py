"""The tagger and what it reads: the stem tokenizer, the label sets (gap, form, case), encoded
window features and the transformer tagger itself. Imports only from `pipeline.text`.
"""
