"""Training and fine-tuning: configs, corpus input, run preparation, the training loop with its
validation (which restores and scores, hence above `restore` and `evaluation`), and data parallelism.
"""
