"""Restoring stemmed documents: cut into windows, tag them with the model, choose allowed word
forms, put casing and spacing back, and check the round trip window by window.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch

from .constraints import choose_form
from .detok import detokenize
from .features import collate, token_budget_batches, WindowFeatures
from .forward import stem_text
from .repair import WindowDraft, repair_document
from .labels import apply_case, apply_edit, capitalize_sentences
from .lexicon import LEXICON_FILE, Lexicon
from .model import DestemConfig, DestemTagger
from .tokenizer import StemTokenizer
from .windows import DEFAULT_MAX_STEMS, window_bounds

TOP_FORMS = 8  # ranked form candidates read off the model per stem
EMPTY_GAP = 0  # label id of the empty gap (LabelVocab puts "" first)


@dataclass
class RestoreStats:
    documents: int = 0
    stems: int = 0
    model_forms: int = 0  # stems whose form the model chose
    lexicon_forms: int = 0  # stems where no model candidate was allowed and the lexicon's was
    repairs: int = 0  # edits made by the repair search in documents that failed the round trip
    roundtrip_failures: int = 0  # documents whose restoration does not stem back to the input

    def add(self, other: "RestoreStats") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Restoration:
    text: str
    roundtrip_ok: bool
    stats: RestoreStats = field(default_factory=RestoreStats)


def pick_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available")
    return torch.device(device)


class Restorer:
    def __init__(self, model: DestemTagger, tokenizer: StemTokenizer, lexicon: Lexicon, device: str = "auto",
                 max_stems: int = DEFAULT_MAX_STEMS):
        self.device = pick_device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.lexicon = lexicon
        self.max_stems = max_stems
        # bf16 is ~1.7x faster where the hardware has it (AVX-512/AMX CPUs, GPUs), slow elsewhere
        self.bf16 = self.device.type == "cuda" or torch.backends.cpu.get_cpu_capability() in ("AVX512", "AMX")
        self.gap_labels = [g.split() for g in model.config.gap_labels]
        self.form_labels = model.config.form_labels

    @classmethod
    def from_pretrained(cls, model_dir: str, device: str = "auto") -> "Restorer":
        if not os.path.isdir(model_dir):
            raise FileNotFoundError(f"no model folder at {model_dir}")
        model = DestemTagger.from_pretrained(model_dir, dtype=torch.float32)  # weights ship in bf16
        tokenizer = StemTokenizer.load(model_dir)
        lexicon = Lexicon.load(os.path.join(model_dir, LEXICON_FILE))
        return cls(model, tokenizer, lexicon, device, getattr(model.config, "max_stems", DEFAULT_MAX_STEMS))

    def save_pretrained(self, out_dir: str) -> None:
        os.makedirs(out_dir, exist_ok=True)
        self.model.config.max_stems = self.max_stems
        self.model.save_pretrained(out_dir)
        self.tokenizer.save(out_dir)
        self.lexicon.save(os.path.join(out_dir, LEXICON_FILE))

    def restore(self, documents: list[str], **options) -> list[str]:
        """Restore stemmed documents (one string each) to text, in order."""
        return [r.text for r in self.restore_documents(documents, **options)]

    def restore_documents(self, documents: list[str], batch_tokens: int = 8192, markdown: bool = False,
                          constrained: bool = True, progress=None) -> list[Restoration]:
        stem_lists = [doc.split() for doc in documents]
        windows = [(d, s, e) for d, stems in enumerate(stem_lists) for s, e in window_bounds(stems, self.max_stems)]
        predicted = self._tag_windows([stem_lists[d][s:e] for d, s, e in windows], batch_tokens, progress)
        per_doc: list[list[tuple[WindowDraft, RestoreStats]]] = [[] for _ in documents]
        for (d, s, e), prediction in zip(windows, predicted):
            per_doc[d].append(self._render_window(stem_lists[d][s:e], prediction, constrained))
        return [self._assemble(stems, parts, markdown, constrained) for stems, parts in zip(stem_lists, per_doc)]

    def restore_long_document(self, stems: list[str], piece_stems: int, **options) -> Restoration:
        """One document restored in pieces of whole sentences (at most `piece_stems` stems each), so
        that memory stays bounded however long it is. Each piece is round-trip checked on its own;
        the pieces are joined by a space."""
        stats = RestoreStats(documents=1)
        texts, roundtrip_ok = [], True
        for start, end in window_bounds(stems, piece_stems):
            [piece] = self.restore_documents([" ".join(stems[start:end])], **options)
            texts.append(piece.text)
            roundtrip_ok &= piece.roundtrip_ok
            piece.stats.documents = piece.stats.roundtrip_failures = 0
            stats.add(piece.stats)
        stats.roundtrip_failures = int(not roundtrip_ok)
        return Restoration(" ".join(texts), roundtrip_ok, stats)

    @torch.inference_mode()
    def _tag_windows(self, windows: list[list[str]], batch_tokens: int, progress) -> list[tuple]:
        features = [WindowFeatures(*self.tokenizer.encode_window(w), [], [], []) for w in windows]
        results: list[tuple | None] = [None] * len(windows)
        batches = token_budget_batches([len(f.input_ids) for f in features], batch_tokens, seed=0, shuffle=False)
        for batch_ids in batches:
            batch = {k: v.to(self.device) for k, v in collate([features[i] for i in batch_ids], False).items()}
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
                out = self.model(**batch)
            gap_logits = out["gap_logits"].float()
            gap_logits[..., EMPTY_GAP] += self.model.config.empty_gap_bias
            gaps = gap_logits.argmax(-1).cpu()
            cases = out["case_logits"].argmax(-1).cpu()
            forms = out["form_logits"].float().topk(min(TOP_FORMS, len(self.form_labels)), -1).indices.cpu()
            for row, i in enumerate(batch_ids):
                n = len(windows[i])
                results[i] = (gaps[row, : n + 1].tolist(), forms[row, :n].tolist(), cases[row, :n].tolist())
            if progress is not None:
                progress.update(sum(len(windows[i]) for i in batch_ids))
        return results

    def _render_window(self, stems: list[str], prediction: tuple, constrained: bool):
        gap_ids, form_ids, case_ids = prediction
        stats = RestoreStats(stems=len(stems))
        draft = WindowDraft(stems, [], [], [])
        for stem, gap_id, ranked, case in zip(stems, gap_ids, form_ids, case_ids):
            candidates = [apply_edit(stem, self.form_labels[j]) for j in ranked]
            lexicon_forms = [f.lower() for f in self.lexicon.candidates(stem)]
            if constrained:
                form, from_model = choose_form(stem, candidates, lexicon_forms)
                stats.model_forms += from_model
                stats.lexicon_forms += not from_model
            else:
                form = candidates[0] or stem
                stats.model_forms += 1
            draft.words.append(apply_case(form, case, self.lexicon.mixed_spelling(form)))
            draft.gaps.append(self.gap_labels[gap_id])
            draft.alternatives.append(list(dict.fromkeys(candidates + lexicon_forms)))
        draft.gaps.append(self.gap_labels[gap_ids[len(stems)]])  # the tail
        return draft, stats

    def _assemble(self, stems: list[str], parts, markdown: bool, constrained: bool) -> Restoration:
        stats = RestoreStats(documents=1)
        drafts = []
        for draft, window_stats in parts:
            stats.add(window_stats)
            drafts.append(draft)
        paragraph = "\n" if markdown else " "

        def render(tokens: list[str]) -> str:
            return detokenize(capitalize_sentences(tokens), paragraph=paragraph)

        text = render([t for d in drafts for t in d.tokens()])
        roundtrip_ok = stem_text(text) == " ".join(stems)
        if not roundtrip_ok and constrained:
            stats.repairs += repair_document(drafts, lambda tokens: stem_text(render(tokens)).split())
            text = render([t for d in drafts for t in d.tokens()])
            roundtrip_ok = stem_text(text) == " ".join(stems)
        stats.roundtrip_failures += not roundtrip_ok
        return Restoration(text, roundtrip_ok, stats)
