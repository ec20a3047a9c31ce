"""Restoring stemmed documents: cut into windows, tag them with the model, choose allowed word
forms, put casing and spacing back, and check the round trip window by window.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch

from ..model.device import pick_device, restore_batch_tokens, restore_precision, use_bf16
from ..model.features import WindowFeatures, collate, token_budget_batches
from ..model.labels import LOWER, apply_case, apply_edit, capitalize_sentences
from ..model.tagger import Tagger, has_int8_linears, int8_linears
from ..model.tokenizer import StemTokenizer
from ..text.align import PARAGRAPH
from ..text.detect import rewritten_clitics
from ..text.detok import detokenize
from ..text.forward import (
    DEFAULT_PIPELINE,
    PIPELINES,
    RESTORABLE_STEMMERS,
    ForwardPipeline,
    restorable_input,
    stem_token,
)
from ..text.windows import DEFAULT_MAX_STEMS, HEADING_MARK, window_bounds
from .confidence import ConfidenceCalibration, local_scores
from .constraints import choose_form, is_allowed_form, kept_stopword_forms
from .explain import DocumentExplanation, PositionChoice, explain_document
from .joint_decode import StemOptions, joint_decode
from .lexicon import LEXICON_FILE, Lexicon
from .ngram import NgramLM
from .repair import WindowDraft, first_mismatch, repair_document
from .words import ContextSample, Weighed, WordChoice, choose_words, sample_context

GROUP_STEMS = 20_000  # stems per model call (`restore_in_groups`, `destem restore`): memory stays bounded
TOP_FORMS = 8  # ranked form candidates read off the model per stem
TOP_GAPS = 6  # gap candidates per stem for the language model to choose among
LM_FORMS = 3  # word forms per stem for the language model to choose among
EMPTY_GAP = 0  # label id of the empty gap (LabelVocab puts "" first)
# per stemmer, the endings after which its stem of a word and the word's Porter stem part: Snowball makes
# "quick" of "quickly" (Porter "quickli"), "relat" of "relative" (Porter "rel"), "increas" of "increasingly";
# these reach 99% of the lexicon's occurrences whose Porter stem is neither the stem nor the stem's Porter stem
OTHER_STEMMER_ENDINGS = {"snowball-english": ("ly", "ive", "ingly", "antly", "edly", "ion", "ed", "e", "s", "ing",
                                              "or", "li", "erly")}


@dataclass
class RestoreStats:
    documents: int = 0
    stems: int = 0
    model_forms: int = 0  # stems whose form the model chose
    lexicon_forms: int = 0  # stems where no model candidate was allowed and the lexicon's was
    repairs: int = 0  # edits made by the repair search in documents that failed the round trip
    roundtrip_failures: int = 0  # documents whose restoration does not stem back to the input

    def add(self, other: RestoreStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class WindowPrediction:
    # best gap label per stem, then the tail's: argmax, not top_gaps' first, which breaks the frequent
    # ties between bf16 logits in another order
    gaps: list[int]
    forms: list[list[int]]  # ranked form labels per stem
    cases: list[int]
    form_log_probs: list[list[float]]  # of the ranked forms
    top_gaps: list[list[int]]  # the TOP_GAPS best gap labels per position
    top_gap_log_probs: list[list[float]]


@dataclass(frozen=True)
class Decoding:
    """How the tagger's choices and the LM's are weighed (config.json; `destem calibrate` tunes them)."""

    empty_gap_bias: float = 0.0  # added to the "no function words" gap logit
    lm_weight: float = 0.0  # of the word n-gram LM's score; 0: the tagger alone
    lm_word_bonus: float = 0.0  # LM score per word written


DECODING_SETTINGS = tuple(Decoding.__dataclass_fields__)


def input_name(pipeline: ForwardPipeline) -> str:
    """The `forward.PIPELINES` name of the tokens an input kept ("destem", "isalpha", "letters")."""
    return next(name for name, known in PIPELINES.items() if known.keep == pipeline.keep)


@dataclass
class Restoration:
    text: str
    roundtrip_ok: bool
    stats: RestoreStats = field(default_factory=RestoreStats)
    explanation: DocumentExplanation | None = None  # with explain=True: every choice's probability


def porter_keys(stem: str, stemmer: str) -> set[str]:
    """The Porter stems the words of `stemmer`'s `stem` may have: the stem itself, its own Porter stem,
    Martin's "i" for a "y" after a vowel ("dai" of "day"), the Porter stems of the stem with each of
    the stemmer's OTHER_STEMMER_ENDINGS, and the clitics it writes as the stem (Snowball's "ll" of "'ll")."""
    keys = {stem, stem_token(stem)} | {stem_token(stem + e) for e in OTHER_STEMMER_ENDINGS.get(stemmer, ())}
    keys |= {clitic for clitic, written in rewritten_clitics(stemmer).items() if written == stem}  # "ll" of "'ll"
    if stem.endswith("i"):
        keys.add(stem[:-1] + "y")
    return keys


class Restorer:
    def __init__(self, model: Tagger, tokenizer: StemTokenizer, lexicon: Lexicon, device: str = "auto",
                 max_stems: int = DEFAULT_MAX_STEMS, lm: NgramLM | None = None, precision: str = "auto"):
        """`precision`: "auto" runs the tagger under bf16 autocast where that is faster (GPUs, AMX CPUs),
        with int8 linear layers on other x86 CPUs (a quantized copy of `model`: model.device.use_int8),
        else in fp32; "fp32" gives the same output on every CPU; "bf16" and "int8" force theirs."""
        self.device = pick_device(device)
        self.precision = restore_precision(self.device, precision)  # what the tagger runs in here
        self.bf16 = self.precision == "bf16"
        self.batch_tokens = restore_batch_tokens(self.device)  # pieces per tagger batch unless a call names them
        model = model.to(self.device).eval()
        self.model = int8_linears(model) if self.precision == "int8" and not has_int8_linears(model) else model
        self.tokenizer = tokenizer
        self.lexicon = lexicon
        self.max_stems = max_stems
        self.gap_labels = [g.split() for g in model.config.gap_labels]
        self.form_labels = model.config.form_labels
        self.lm = lm
        self.gap_words = [lm.word_ids([w for w in g if w != PARAGRAPH]) for g in self.gap_labels] if lm else []
        # gaps of tokens that input keeping its punctuation never drops (", the", "'s"): a model trained on
        # punctuation-free input too has them, and must not write them into input that has its own
        self.punctuated_gaps = torch.tensor([i for i, g in enumerate(self.gap_labels)
                                             if any(not (w.isalpha() or w in (PARAGRAPH, HEADING_MARK)) for w in g)],
                                            dtype=torch.long, device=self.device)
        self.calibration = ConfidenceCalibration.from_config(model.config)
        self._porter_stems: dict[tuple[str, str], str] = {}  # another stemmer's stems as the tagger reads them
        self._other_candidates: dict[tuple[str, str], list[str]] = {}  # their lexicon forms

    def decoding(self, pipeline: ForwardPipeline = DEFAULT_PIPELINE) -> Decoding:
        """The decoding settings for input that `pipeline` made: config.json's, and for another input's tokens
        (isalpha, letters-only) those its "decoding_by_input" gives."""
        config = self.model.config
        return Decoding(**{name: getattr(config, name) for name in DECODING_SETTINGS}
                        | config.decoding_by_input.get(input_name(pipeline), {}))

    def uses_lm(self, decoding: Decoding) -> bool:
        return self.lm is not None and decoding.lm_weight > 0

    @classmethod
    def from_pretrained(cls, model_dir: str, device: str = "auto", precision: str = "auto") -> Restorer:
        if not os.path.isdir(model_dir):
            raise FileNotFoundError(f"no model folder at {model_dir}")
        model = Tagger.from_pretrained(model_dir, bf16_linears=use_bf16(pick_device(device), precision))
        pipeline = ForwardPipeline.from_config(model.config.pipeline, os.path.join(model_dir, "config.json"))
        if pipeline != DEFAULT_PIPELINE:  # the constraints, repairs and round trip stem with the default
            raise ValueError(f"{model_dir} inverts {pipeline.describe()}; destem restores only "
                             f"{DEFAULT_PIPELINE.describe()}")
        tokenizer = StemTokenizer.load(model_dir)
        lexicon = Lexicon.from_folder(model_dir)
        return cls(model, tokenizer, lexicon, device, getattr(model.config, "max_stems", DEFAULT_MAX_STEMS),
                   NgramLM.load(model_dir), precision)

    def save_pretrained(self, out_dir: str) -> None:
        if self.precision == "int8":
            raise ValueError("int8 layers are for restoring: save a restorer loaded with precision fp32")
        os.makedirs(out_dir, exist_ok=True)
        self.model.config.max_stems = self.max_stems
        self.model.save_pretrained(out_dir)
        self.tokenizer.save(out_dir)
        self.lexicon.save(os.path.join(out_dir, LEXICON_FILE))
        if self.lm is not None:
            self.lm.save(out_dir)

    def restore(self, documents: list[str], **options) -> list[str]:
        """Restore stemmed documents (one string each) to text, in order."""
        return [r.text for r in self.restore_documents(documents, **options)]

    def explain(self, documents: list[str], **options) -> list[dict]:
        """Per document: {"text": what `restore` writes, "stems": [{stem, gap, word, p_gap, p_word,
        gap_alternatives, word_alternatives}, ...], "tail_gap", "p_tail_gap", ...} (see `--explain`)."""
        return [{"text": r.text, **r.explanation.record()}
                for r in self.restore_documents(documents, explain=True, **options)]

    def restore_documents(self, documents: list[str], batch_tokens: int | None = None, markdown: bool = False,
                          constrained: bool = True, progress=None, explain: bool = False,
                          pipeline: ForwardPipeline = DEFAULT_PIPELINE) -> list[Restoration]:
        """Restorations in order; with `explain`, each holds the probability of every choice (the
        text is the same either way). `pipeline` made the input: the model's, or one that differs only
        in a stemmer of RESTORABLE_STEMMERS, whose stems the words are chosen for and checked with."""
        if not restorable_input(pipeline, DEFAULT_PIPELINE, tuple(self.model.config.inputs)):
            raise ValueError(f"input made by {pipeline.describe()}: this model restores "
                             f"{DEFAULT_PIPELINE.describe()}, or the same with another of {RESTORABLE_STEMMERS}"
                             + "".join(f", or {PIPELINES[n].describe()}" for n in self.model.config.inputs
                                       if n in PIPELINES and n != "destem"))
        stem_lists = [doc.split() for doc in documents]
        windows = [(d, s, e) for d, stems in enumerate(stem_lists) for s, e in window_bounds(stems, self.max_stems)]
        # the tagger reads Porter stems, as it was trained: another stemmer's stems are read as the Porter stem
        # of their commonest form ("generous" as "gener"), while the words are chosen for the input's own
        model_stems = stem_lists if pipeline.stemmer == DEFAULT_PIPELINE.stemmer else [
            [self._porter_stem_of(stem, pipeline) for stem in stems] for stems in stem_lists]
        decoding = self.decoding(pipeline)
        predicted = self._tag_windows([model_stems[d][s:e] for d, s, e in windows], batch_tokens or self.batch_tokens,
                                      progress, decoding.empty_gap_bias, pipeline.keep == "all")
        forms_needed = self.uses_lm(decoding) or explain
        drafted = [self._draft_window(stem_lists[d][s:e], prediction, constrained, forms_needed, pipeline,
                                      model_stems[d][s:e])
                   for (d, s, e), prediction in zip(windows, predicted)]
        options = [self._stem_options(p, forms) for p, (_, _, forms) in zip(predicted, drafted)] if forms_needed else []
        choices = self._choose_with_lm(options, drafted, decoding) if self.uses_lm(decoding) else None
        confidences = (self._position_choices(options, predicted, drafted, choices, decoding) if explain
                       else [None] * len(windows))
        per_doc: list[list[tuple[WindowDraft, RestoreStats, list[PositionChoice] | None]]] = [[] for _ in documents]
        for (d, _, _), prediction, (draft, stats, _), confidence in zip(windows, predicted, drafted, confidences):
            draft.words = [apply_case(form, LOWER if form in pipeline.kept_stopwords else case,
                                      self.lexicon.mixed_spelling(form))
                           for form, case in zip(draft.words, prediction.cases)]
            per_doc[d].append((draft, stats, confidence))
        return [self._assemble(stems, parts, markdown, constrained, explain, pipeline)
                for stems, parts in zip(stem_lists, per_doc)]

    def words(self, stems: list[str], context: list[str] | None = None, top: int = 1, max_stems: int | None = None,
              progress=None, lists: list[list[str]] | None = None) -> list[WordChoice]:
        """A word for each stem of a keyword list; with `context` (stemmed documents the terms came
        from), the form that the restorer weighs most there (see `context_sample` and
        `words.choose_words`). `lists`: the keyword lists the stems make up (default: one list)."""
        counts = self.context_sample(lists or [stems], context, max_stems, progress).counts if context else None
        return choose_words(stems, self.lexicon, counts, top)

    def context_sample(self, lists: list[list[str]], context: list[str], max_stems: int | None = None,
                       progress=None) -> ContextSample:
        """The forms weighed for the listed stems in the context (`ContextSample.counts`, `words.form_weights`):
        of all of it restored, or with `max_stems`, of the windows that `words.sample_context` restores, at
        most `max_stems` stems, cut as this model cuts them. `progress` (a tqdm bar over stems, or None)
        advances as the restoring goes."""
        def restore(pieces: list[str]) -> list[Weighed]:
            return [[(s.word, s.word_alternatives) for s in r.explanation.stems]
                    for r in self.restore_in_groups(pieces, progress=progress, explain=True)]

        if max_stems is None:
            return ContextSample.whole(context, [s for terms in lists for s in terms], restore)
        return sample_context(context, lists, restore, max_stems, self.max_stems, progress=progress)

    def restore_in_groups(self, documents: list[str], group_stems: int = GROUP_STEMS, **options) -> list[Restoration]:
        """`restore_documents`, a group of documents of at most `group_stems` stems at a time (a longer
        document alone, in pieces: `restore_long_document`), so that memory stays bounded."""
        restorations: list[Restoration] = []
        group: list[str] = []
        size = 0
        for document in [*documents, None]:
            stems = len(document.split()) if document is not None else 0
            if group and (document is None or size + stems > group_stems):
                restorations += self.restore_documents(group, **options)
                group, size = [], 0
            if document is None:
                break
            if stems > group_stems:
                restorations.append(self.restore_long_document(document.split(), group_stems, **options))
            else:
                group.append(document)
                size += stems
        return restorations

    def restore_long_document(self, stems: list[str], piece_stems: int, **options) -> Restoration:
        """One document restored in pieces of whole sentences (at most `piece_stems` stems each), so
        that memory stays bounded however long it is. Each piece is round-trip checked on its own;
        the pieces are joined by a space. `progress` advances as each piece is done."""
        progress = options.pop("progress", None)
        stats = RestoreStats(documents=1)
        texts, explanations, roundtrip_ok = [], [], True
        for start, end in window_bounds(stems, piece_stems):
            [piece] = self.restore_documents([" ".join(stems[start:end])], **options)
            if progress is not None:
                progress.update(end - start)
            texts.append(piece.text)
            explanations.append(piece.explanation)
            roundtrip_ok &= piece.roundtrip_ok
            piece.stats.documents = piece.stats.roundtrip_failures = 0
            stats.add(piece.stats)
        stats.roundtrip_failures = int(not roundtrip_ok)
        explanation = DocumentExplanation.joined(explanations) if options.get("explain") else None
        return Restoration(" ".join(texts), roundtrip_ok, stats, explanation)

    @torch.inference_mode()
    def _tag_windows(self, windows: list[list[str]], batch_tokens: int, progress, empty_gap_bias: float,
                     punctuated_input: bool) -> list[WindowPrediction]:
        results: list[WindowPrediction | None] = [None] * len(windows)
        for batch_ids, out in self._tagged_batches(windows, batch_tokens, empty_gap_bias, punctuated_input):
            gap_logits = out["gap_logits"]
            lengths = [len(windows[i]) for i in batch_ids]
            form_log_probs = out["form_logits"].float().log_softmax(-1)
            predictions = self._predictions(gap_logits, form_log_probs, out["case_logits"], lengths)
            for i, prediction in zip(batch_ids, predictions):
                results[i] = prediction
            if progress is not None:
                progress.update(sum(lengths))
        return results

    def _tagged_batches(self, windows: list[list[str]], batch_tokens: int, empty_gap_bias: float,
                        punctuated_input: bool):
        """(window indices, the tagger's outputs, gap logits in float32 with the empty-gap bias added, and for
        `punctuated_input` no punctuated gaps) per batch of at most `batch_tokens` pieces."""
        features = [WindowFeatures(*self.tokenizer.encode_window(w), [], [], []) for w in windows]
        for batch_ids in token_budget_batches([len(f.input_ids) for f in features], batch_tokens, seed=0,
                                              shuffle=False):
            batch = {k: v.to(self.device) for k, v in collate([features[i] for i in batch_ids], False).items()}
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
                out = self.model(**batch)
            out["gap_logits"] = out["gap_logits"].float()
            out["gap_logits"][..., EMPTY_GAP] += empty_gap_bias  # `destem calibrate`'s setting
            if punctuated_input and len(self.punctuated_gaps):
                out["gap_logits"][..., self.punctuated_gaps] = float("-inf")
            yield batch_ids, out

    def _predictions(self, gap_logits, form_log_probs, case_logits, lengths: list[int]) -> list[WindowPrediction]:
        """Each row's prediction from its gap logits (empty-gap bias added), form log-probs and case logits;
        row r holds a window of lengths[r] stems, then its tail gap."""
        gaps = gap_logits.argmax(-1).cpu()
        top_gaps = gap_logits.log_softmax(-1).topk(min(TOP_GAPS, len(self.gap_labels)), -1)
        cases = case_logits.argmax(-1).cpu()
        forms = form_log_probs.topk(min(TOP_FORMS, len(self.form_labels)), -1)
        form_ids, form_top_log_probs = forms.indices.cpu(), forms.values.cpu()
        top_gap_ids, top_gap_log_probs = top_gaps.indices.cpu(), top_gaps.values.cpu()
        return [WindowPrediction(gaps[row, : n + 1].tolist(), form_ids[row, :n].tolist(), cases[row, :n].tolist(),
                                 form_top_log_probs[row, :n].tolist(), top_gap_ids[row, : n + 1].tolist(),
                                 top_gap_log_probs[row, : n + 1].tolist())
                for row, n in enumerate(lengths)]

    def _draft_window(self, stems: list[str], prediction: WindowPrediction, constrained: bool, options: bool,
                      pipeline: ForwardPipeline, model_stems: list[str]):
        """A window's draft with lowercase words (cased once the LM has chosen), its stats, and
        (with `options`) the forms the LM may choose among per stem. The model's edits apply to the
        stems it read (`model_stems`); the words must stem to the input's `stems` by `pipeline`."""
        stats = RestoreStats(stems=len(stems))
        draft = WindowDraft(stems, [], [self.gap_labels[g] for g in prediction.gaps], [])
        forms_per_stem = []  # per stem: (lowercase form, log-prob), for the language model
        for stem, model_stem, ranked, log_probs in zip(stems, model_stems, prediction.forms,
                                                       prediction.form_log_probs):
            candidates = [apply_edit(model_stem, self.form_labels[j]) for j in ranked]
            lexicon_forms = [f.lower() for f in self._lexicon_candidates(stem, pipeline)]
            kept = kept_stopword_forms(pipeline).get(stem) if pipeline.kept_stopwords else None
            if kept is not None:  # a stopword the input's list kept: itself
                form = kept
            elif constrained:
                form, from_model = choose_form(stem, candidates, lexicon_forms, pipeline)
                stats.model_forms += from_model
                stats.lexicon_forms += not from_model
            else:
                form = candidates[0] or stem
                stats.model_forms += 1
            draft.words.append(form)
            draft.alternatives.append(list(dict.fromkeys(candidates + lexicon_forms)))
            if options:
                forms_per_stem.append([(form, 0.0)] if kept is not None else
                                      self._lm_forms(stem, form, candidates, log_probs, lexicon_forms, constrained,
                                                     pipeline))
        return draft, stats, forms_per_stem

    def _lexicon_candidates(self, stem: str, pipeline: ForwardPipeline) -> list[str]:
        """The lexicon's forms for a stem of `stemmer`, most frequent first. The lexicon is keyed by Porter
        stems, so another stemmer's stem is looked up under each Porter stem its words can have
        (`porter_keys`), and the forms that do not stem back to `stem` are left out."""
        if pipeline.stemmer == DEFAULT_PIPELINE.stemmer:
            return self.lexicon.candidates(stem)
        key = (stem, pipeline.stemmer)
        if key not in self._other_candidates:
            counts: dict[str, int] = {}
            for porter_stem in porter_keys(stem, pipeline.stemmer):
                counts |= self.lexicon.variants(porter_stem)
            self._other_candidates[key] = [form for form in sorted(counts, key=counts.__getitem__, reverse=True)
                                           if is_allowed_form(stem, form.lower(), pipeline)]
        return self._other_candidates[key]

    def _porter_stem_of(self, stem: str, pipeline: ForwardPipeline) -> str:
        """What the tagger reads for a stem of another stemmer: the Porter stem of its commonest form that
        the lexicon knows, else the stem itself."""
        key = (stem, pipeline.stemmer)
        if key not in self._porter_stems:
            forms = self._lexicon_candidates(stem, pipeline)
            self._porter_stems[key] = stem_token(forms[0].lower()) if forms else stem
        return self._porter_stems[key]

    def _lm_forms(self, stem, chosen, candidates, log_probs, lexicon_forms, constrained,
                  pipeline: ForwardPipeline) -> list[tuple[str, float]]:
        """The forms the language model may pick for a stem, with the model's log-probs: the chosen
        form and the model's other allowed forms that the lexicon knows (invented words stay out).
        The chosen form ranks first among them: it is the first allowed one the lexicon knows, so the
        search can stop at LM_FORMS (each check runs the stemmer)."""
        if chosen not in candidates:  # a lexicon form: the model ranked no allowed form the lexicon knows
            return [(chosen, 0.0)]
        known = set(lexicon_forms)
        forms: dict[str, float] = {}
        for form, log_prob in zip(candidates, log_probs):
            if form == chosen or (constrained and form in known and is_allowed_form(stem, form, pipeline)):
                forms.setdefault(form, log_prob)
                if len(forms) == LM_FORMS:
                    break
        return list(forms.items())

    def _stem_options(self, prediction: WindowPrediction, forms_per_stem) -> list[StemOptions]:
        """A window's options per position for the joint decode: the tagger's best gaps, and the
        allowed forms (as LM ids when there is an LM); the tail has one "word", -1: none."""
        word_ids = self.lm.word_ids if self.lm is not None else lambda words: [0] * len(words)
        positions = [StemOptions(gaps, gap_lps, word_ids([f for f, _ in forms]), [lp for _, lp in forms])
                     for gaps, gap_lps, forms in
                     zip(prediction.top_gaps, prediction.top_gap_log_probs, forms_per_stem)]
        tail = len(forms_per_stem)
        positions.append(StemOptions(prediction.top_gaps[tail], prediction.top_gap_log_probs[tail], [-1], [0.0]))
        return positions

    def _choose_with_lm(self, windows: list[list[StemOptions]], drafted,
                        decoding: Decoding) -> list[list[tuple[int, int]]]:
        """Replace the drafts' gaps and words with the best joint choice of tagger and LM; returns
        the choices (per position: index of the gap option, of the word option)."""
        choices = joint_decode(self.lm, self.gap_words, windows, decoding.lm_weight, decoding.lm_word_bonus)
        for positions, choice, (draft, _, forms) in zip(windows, choices, drafted):
            draft.gaps = [self.gap_labels[positions[i].gap_ids[g]] for i, (g, _) in enumerate(choice)]
            draft.words = [forms[i][w][0] for i, (_, w) in enumerate(choice[:len(forms)])]
        return choices

    def _position_choices(self, windows: list[list[StemOptions]], predicted: list[WindowPrediction], drafted,
                          choices, decoding: Decoding) -> list[list[PositionChoice]]:
        """Every window's options per position with their calibrated probabilities, the chosen
        ones held as the context of the others (`confidence.local_scores`)."""
        if choices is None:  # the tagger alone chose: its best gap (ties read as argmax does) and first form
            choices = [[(p.gap_ids.index(g) if g in p.gap_ids else 0, 0) for p, g in zip(positions, prediction.gaps)]
                       for positions, prediction in zip(windows, predicted)]
        scores = local_scores(self.lm if self.uses_lm(decoding) else None, self.gap_words, windows, choices,
                              decoding.lm_weight, decoding.lm_word_bonus)
        out = []
        for positions, window_scores, (_, _, forms) in zip(windows, scores, drafted):
            window = []
            for i, (position, score) in enumerate(zip(positions, window_scores)):
                gap_probs = self.calibration.gap.probabilities(score.gap_scores[None])[0]
                word_probs = self.calibration.word.probabilities(score.word_scores[None])[0]
                words = [f for f, _ in forms[i]] if i < len(forms) else [""]
                window.append(PositionChoice([" ".join(self.gap_labels[g]) for g in position.gap_ids],
                                             gap_probs.tolist(), words, word_probs.tolist(), score))
            out.append(window)
        return out

    def _assemble(self, stems: list[str], parts, markdown: bool, constrained: bool, explain: bool,
                  pipeline: ForwardPipeline) -> Restoration:
        stats = RestoreStats(documents=1)
        drafts = []
        for draft, window_stats, _ in parts:
            stats.add(window_stats)
            drafts.append(draft)
        paragraph = "\n" if markdown else " "
        if pipeline.kept_stopwords:  # the input has these words where the text had them: none in the gaps
            for draft in drafts:
                draft.gaps = [[w for w in gap if w.lower() not in pipeline.kept_stopwords] for gap in draft.gaps]
        if pipeline.keep != "all":  # input without punctuation has no "#" to tell headings by: none are guessed
            for draft in drafts:
                draft.gaps = [[w for w in gap if w != HEADING_MARK] for gap in draft.gaps]

        def render(tokens: list[str]) -> str:
            return detokenize(capitalize_sentences(tokens), paragraph=paragraph)

        text = render([t for d in drafts for t in d.tokens()])
        mismatch = first_mismatch(pipeline.stem_text(text).split(), stems)
        roundtrip_ok = mismatch is None
        if not roundtrip_ok and constrained:
            repairs, roundtrip_ok = repair_document(
                drafts, lambda tokens: pipeline.stem_text(render(tokens)).split(), pipeline, mismatch)
            stats.repairs += repairs
            text = render([t for d in drafts for t in d.tokens()])
        stats.roundtrip_failures += not roundtrip_ok
        explanation = None
        if explain:
            cased = capitalize_sentences([t for d in drafts for t in d.tokens()])
            explanation = explain_document(drafts, [confidence for _, _, confidence in parts], cased)
        return Restoration(text, roundtrip_ok, stats, explanation)
