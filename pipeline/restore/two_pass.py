"""Punctuation-free input in two passes: the model trained on such input writes the text, punctuation
included; that text, stemmed by the input's pipeline with its punctuation kept, is then restored
by a model of punctuated input, which reads the first pass's commas and full stops as given.

Where the second model writes the text's register better (the default on encyclopedia prose: +1.2 to
+1.6 BLEU from the isalpha line, +1.2 to +2.0 from the letters-only recipe; eval/results/pipelines/), this
beats either pass alone. Elsewhere it does not (the default re-reading fiction or speeches loses 2-7 BLEU),
so restore runs it only where the file reads clearly as the second model's register: by SECOND_PASS_LEAD
bits a stem over the nearest register of the first model's own (`register_lead`, `takes_second_pass`).
A document whose second restoration does not stem back to the input under the input's own pipeline
keeps the first.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..model.stem_profile import ModelRegisters
from ..text.forward import DEFAULT_PIPELINE, ForwardPipeline, restorable_input

if TYPE_CHECKING:  # `destem detect` reads `register_lead` without loading torch
    from .restorer import Restoration, Restorer

# of 800 held-out fiction, forum, speech and science paragraphs alone, 3 read as encyclopedia prose, 1 by 0.1 or
# more (0.11); R8's news wire leads by 0.065 (a second pass costs it 0.5 BLEU); a file of held-out Wikipedia
# paragraphs leads by 0.6, and 91 of 150 such paragraphs alone by 0.1 or more (pipelines/two-pass-registers/ in
# eval/results)
SECOND_PASS_LEAD = 0.1


def punctuated_pipeline(pipeline: ForwardPipeline) -> ForwardPipeline:
    """The pipeline of the second pass's input: the input's, with every token kept."""
    return dataclasses.replace(pipeline, keep=DEFAULT_PIPELINE.keep)


def register_lead(documents: list[str], pipeline: ForwardPipeline, model: ForwardPipeline,
                  inputs: tuple[str, ...], registers: ModelRegisters | None) -> float | None:
    """For `documents` that `pipeline` made without punctuation and that the general model restores: the bits
    a stem by which they read as the run's model's register rather than the general model's (`registers`),
    where the run's model (its pipeline `model`, its `inputs`) restores their stems with punctuation; else
    None (no second pass can be had)."""
    punctuated = punctuated_pipeline(pipeline)
    if punctuated == pipeline or registers is None or not restorable_input(punctuated, model, inputs):
        return None
    return registers.own_register_lead(documents)


def takes_second_pass(lead: float | None) -> bool:
    """Whether input of `register_lead`'s lead gets the second pass."""
    return lead is not None and lead >= SECOND_PASS_LEAD


class TwoPassRestorer:
    """`Restorer`'s restore_documents and restore_long_document, in two passes (above)."""

    def __init__(self, first: Restorer, second: Restorer):
        self.first = first
        self.second = second

    def restore_documents(self, documents: list[str], pipeline: ForwardPipeline = DEFAULT_PIPELINE,
                          progress=None, **options) -> list[Restoration]:
        firsts = self.first.restore_documents(documents, pipeline=pipeline, progress=progress, **options)
        if pipeline.keep == DEFAULT_PIPELINE.keep:
            return firsts
        punctuated = punctuated_pipeline(pipeline)
        seconds = self.second.restore_documents([punctuated.stem_text(r.text) for r in firsts],
                                                pipeline=punctuated, **options)
        return [self._chosen(document, first, second, pipeline)
                for document, first, second in zip(documents, firsts, seconds)]

    def restore_long_document(self, stems: list[str], piece_stems: int, pipeline: ForwardPipeline = DEFAULT_PIPELINE,
                              **options) -> Restoration:
        first = self.first.restore_long_document(stems, piece_stems, pipeline=pipeline, **options)
        if pipeline.keep == DEFAULT_PIPELINE.keep:
            return first
        options.pop("progress", None)
        punctuated = punctuated_pipeline(pipeline)
        second = self.second.restore_long_document(punctuated.stem_text(first.text).split(), piece_stems,
                                                   pipeline=punctuated, **options)
        return self._chosen(" ".join(stems), first, second, pipeline)

    @staticmethod
    def _chosen(document: str, first: Restoration, second: Restoration, pipeline: ForwardPipeline) -> Restoration:
        """The second restoration where it stems back to `document` under the input's pipeline, else the
        first; counted as the input's stems, with the choices of the pass it takes, and explained (with
        --explain) by the input's stems, each token the second pass read that the input lacks (its
        punctuation) folded into the gap after it."""
        stems = document.split()
        if not (second.roundtrip_ok and pipeline.stem_text(second.text).split() == stems):
            return first
        if second.explanation is not None:
            kept = input_positions([s.stem for s in second.explanation.stems], stems)
            if kept is None:
                return first
            second.explanation = second.explanation.folded(kept)
        second.stats.stems = first.stats.stems
        return second


def input_positions(read: list[str], stems: list[str]) -> list[bool] | None:
    """Which of the stems the second pass read are the input's `stems`, matched in order; None where
    they are not all among them."""
    kept, at = [], 0
    for stem in read:
        kept.append(at < len(stems) and stem == stems[at])
        at += kept[-1]
    return kept if at == len(stems) else None
