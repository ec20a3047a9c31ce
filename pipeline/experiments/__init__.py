"""Not the product: the formulation bake-off, the stem-forced seq2seq it compared, and weight
packing (int8) and averaging used to move and combine checkpoints. Nothing in the product imports it.
"""
