"""Issue 19's two-cut lever, an experiment: tag each document in two differently cut sets of
windows and average the tagger's log-probabilities per stem before decoding.

A stem near a window's edge sees little context on one side; in a second windowing with other
cuts most such stems sit inside a window. The second cut uses smaller windows, so that its cuts
fall at other sentence ends than the first's. Gaps at a window's edge (its first slot and its
tail) keep the first cut's scores: the two cuts' edge slots do not name the same gap. Everything
after the tagger (LM search, constraints, repair) is the shipped Restorer's.
Measured by `destem.lab.cpu_levers --two-cut`; it is not part of restoring.
"""
from __future__ import annotations

import torch

from ..restore.restorer import Restorer, WindowPrediction
from ..text.windows import window_bounds

SECOND_CUT_STEMS = 64  # window size of the second cut


class TwoCutRestorer(Restorer):
    def restore_documents(self, documents: list[str], **options):
        # one document per call, so that the windows _tag_windows receives are one document's, in order
        restore_one = super().restore_documents
        return [r for document in documents for r in restore_one([document], **options)]

    @torch.inference_mode()
    def _tag_windows(self, windows: list[list[str]], batch_tokens: int, progress, empty_gap_bias: float,
                     punctuated_input: bool) -> list[WindowPrediction]:
        if not windows:
            return []
        stems = [stem for window in windows for stem in window]
        starts = [sum(map(len, windows[:i])) for i in range(len(windows))]
        first = self._log_probs(windows, batch_tokens, empty_gap_bias, punctuated_input)
        second_bounds = window_bounds(stems, SECOND_CUT_STEMS)
        second = self._log_probs([stems[s:e] for s, e in second_bounds], batch_tokens, empty_gap_bias, punctuated_input)
        # per stem of the document, the second cut's scores; its gap only where the stem is not a window start
        gap = torch.zeros(len(stems), first[0][0].size(-1))
        gap_inside = torch.zeros(len(stems), dtype=torch.bool)
        form = torch.zeros(len(stems), first[0][1].size(-1))
        case = torch.zeros(len(stems), first[0][2].size(-1))
        for (s, e), (g, f, c) in zip(second_bounds, second):
            gap[s + 1: e], gap_inside[s + 1: e] = g[1: e - s], True
            form[s:e], case[s:e] = f, c
        predictions = []
        for start, window, (g, f, c) in zip(starts, windows, first):
            n, span = len(window), slice(start, start + len(window))
            inside = gap_inside[span].clone()
            inside[0] = False
            g = g.clone()
            g[:n][inside] = ((g[:n][inside] + gap[span][inside]) / 2).log_softmax(-1)
            f, c = ((f + form[span]) / 2).log_softmax(-1), ((c + case[span]) / 2)
            predictions += self._predictions(g.unsqueeze(0), f.unsqueeze(0), c.unsqueeze(0), [n])
            if progress is not None:
                progress.update(n)
        return predictions

    def _log_probs(self, windows: list[list[str]], batch_tokens: int, empty_gap_bias: float,
                   punctuated_input: bool) -> list[tuple[torch.Tensor, ...]]:
        """Per window: gap log-probs (stems + tail, with the empty-gap bias), form and case log-probs."""
        results: list = [None] * len(windows)
        for batch_ids, out in self._tagged_batches(windows, batch_tokens, empty_gap_bias, punctuated_input):
            gaps = out["gap_logits"].log_softmax(-1)
            forms = out["form_logits"].float().log_softmax(-1)
            cases = out["case_logits"].float().log_softmax(-1)
            for row, i in enumerate(batch_ids):
                n = len(windows[i])
                results[i] = (gaps[row, : n + 1], forms[row, :n], cases[row, :n])
        return results
