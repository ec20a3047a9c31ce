"""Issue 19's ensemble lever, an experiment: two taggers trained alike but for their seed tag each
window, and their log-probabilities of gap, form and case are averaged per stem before decoding.

Both taggers must share the tokenizer and the label sets (runs prepared from the same pairs with
the same config do). Everything after the tagger (LM search, constraints, repair) is the first
restorer's. Measured by `destem.lab.cpu_levers --ensemble SECOND`; it is not part of restoring.
"""
from __future__ import annotations

import torch

from ..restore.restorer import Restorer, WindowPrediction


class EnsembleRestorer(Restorer):
    def __init__(self, first: Restorer, second: Restorer):
        if (first.gap_labels, first.form_labels) != (second.gap_labels, second.form_labels):
            raise ValueError("the two taggers' label sets differ: train both from the same prepared pairs")
        if first.tokenizer.tokenizer.to_str() != second.tokenizer.tokenizer.to_str():
            raise ValueError("the two taggers' tokenizers differ: train both from the same prepared pairs")
        super().__init__(first.model, first.tokenizer, first.lexicon, str(first.device), first.max_stems, first.lm)
        self.second = second

    @torch.inference_mode()
    def _tag_windows(self, windows: list[list[str]], batch_tokens: int, progress, empty_gap_bias: float,
                     punctuated_input: bool) -> list[WindowPrediction]:
        results: list[WindowPrediction | None] = [None] * len(windows)
        # the same tokenizer gives the same batches, in the same order
        for (batch_ids, a), (second_ids, b) in zip(self._tagged_batches(windows, batch_tokens, empty_gap_bias,
                                                                       punctuated_input),
                                                   self.second._tagged_batches(windows, batch_tokens, empty_gap_bias,
                                                                              punctuated_input),
                                                   strict=True):
            assert batch_ids == second_ids
            gaps, forms, cases = ((a[name].float().log_softmax(-1) + b[name].float().log_softmax(-1)) / 2
                                  for name in ("gap_logits", "form_logits", "case_logits"))
            lengths = [len(windows[i]) for i in batch_ids]
            for i, prediction in zip(batch_ids, self._predictions(gaps, forms.log_softmax(-1), cases, lengths)):
                results[i] = prediction
            if progress is not None:
                progress.update(sum(lengths))
        return results
