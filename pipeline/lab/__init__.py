"""Not the product: the formulation bake-off, the stem-forced seq2seq it compared, weight packing
(int8) and averaging used to move and combine checkpoints, and decoding levers measured against the
shipped restorer (`two_cut.py`). Nothing in the product imports it.
"""
