"""Scores of restored text: against reference text, and of its round trip against the input.

Against references: sacrebleu's BLEU (cased and uncased), chrF++ and TER on the detokenized text;
WER (jiwer) on forward-pipeline word tokens; and counts read off the token alignment of each
hypothesis with its reference: content words (one per stem), function words (per gap between
stems), casing, and spacing. Without references: the round trip through the forward pipeline.
All scores are percentages; a rate with nothing to count is None. Every score has a signature,
sacrebleu style, saying how it was computed.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from importlib.metadata import PackageNotFoundError, version

from ..text.align import PARAGRAPH, AlignedDocument, align_document
from ..text.check import check_documents
from ..text.forward import Token, tokenize_with_spans

# The dropped words by what they do, so that a report says what is at risk: a dropped "not" says the
# opposite, a wrong "we" changes who speaks. Every word of NLTK's 179-word list is in one class.
FUNCTION_CLASSES: dict[str, frozenset[str]] = {name: frozenset(words.split()) for name, words in {
    "negation": "not no nor ain aren couldn didn doesn hadn hasn haven isn mightn mustn needn shan shouldn "
                "wasn weren won wouldn don",
    "pronoun, 1st person": "i me my myself we our ours ourselves",
    "pronoun, 2nd person": "you your yours yourself yourselves",
    "pronoun, 3rd person": "he him his himself she her hers herself it its itself they them their theirs "
                           "themselves",
    "auxiliary or modal": "am is are was were be been being have has had having do does did doing can will "
                          "should d ll m re ve s t",
    "determiner or quantifier": "a an the this that these those some any each few more most other such all "
                                "both own same",
    "preposition": "of at by for with about against between into through during before after above below to "
                   "from up down in out on off over under",
    "conjunction": "and but if or because as until while than so",
    "wh-word": "what which who whom when where why how",
}.items()}
FUNCTION_CLASS_OF = {word: name for name, words in FUNCTION_CLASSES.items() for word in words}
OTHER_CLASS = "other"  # the list's adverbs and the rest: again, further, then, once, here, there, only, very...


def sacrebleu_metrics(ter: bool = True) -> dict:
    from sacrebleu.metrics import BLEU, CHRF, TER

    metrics = {"bleu": BLEU(), "bleu_uncased": BLEU(lowercase=True), "chrf++": CHRF(word_order=2)}
    if ter:  # TER's shift search grows steeply with segment length: windows only, not documents
        metrics["ter"] = TER(case_sensitive=True)
    return metrics


def sacrebleu_scores(hypotheses: list[str], reference_streams: list[list[str]], ter: bool = True) -> dict:
    """{metric: {"score", "signature"}}; `reference_streams` as sacrebleu takes them (one list per
    set of references, each aligned with `hypotheses`)."""
    scores = {}
    for name, metric in sacrebleu_metrics(ter).items():
        scores[name] = {"score": metric.corpus_score(hypotheses, reference_streams).score,
                        "signature": str(metric.get_signature())}
    return scores


def document_bleu(hypotheses: list[str], references: list[str]) -> list[float]:
    """BLEU of each document alone (effective order, so a short document is not scored 0)."""
    from sacrebleu.metrics import BLEU

    bleu = BLEU(effective_order=True)
    return [bleu.sentence_score(h, [r]).score for h, r in zip(hypotheses, references, strict=True)]


def own_signatures() -> dict[str, str]:
    """The signature of each score computed here (sacrebleu's carry their own)."""
    destem, nltk = package_version("destem"), package_version("nltk")
    function = f"function|unit:gap|bag:lc|destem:{destem}"
    roundtrip = f"roundtrip|stemmer:porter|nltk:{nltk}|destem:{destem}"
    return {
        "wer": f"wer|tok:treebank|case:mixed|nltk:{nltk}|jiwer:{package_version('jiwer')}",
        "content_accuracy": f"content|unit:stem|case:mixed|align:prefix|destem:{destem}",
        "content_accuracy_uncased": f"content|unit:stem|case:lc|align:prefix|destem:{destem}",
        "function_precision": function, "function_recall": function, "function_f1": function,
        "casing_accuracy": f"casing|unit:stem|of:uncased-correct|destem:{destem}",
        "detokenization_accuracy": f"spacing|tok:treebank|align:wer|boundary:punct+clitic|destem:{destem}",
        "roundtrip_documents": roundtrip, "roundtrip_stems": roundtrip,
    }


def package_version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:  # e.g. a checkout that is not pip-installed
        return "unknown"


def percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


@dataclass(frozen=True)
class Analysis:
    """A text as the token-based metrics read it; references are analysed once for all systems."""

    text: str
    tokens: list[Token]
    aligned: AlignedDocument


def analyze(text: str) -> Analysis:
    return Analysis(text, tokenize_with_spans(text), align_document(text))


@dataclass
class TextCounts:
    """The counts behind the token-based rates; they add up over documents."""

    stems: int = 0  # reference content words, one per stem
    cased: int = 0  # ... restored exactly
    uncased: int = 0  # ... restored up to case
    function_matched: int = 0
    function_restored: int = 0
    function_reference: int = 0
    boundaries: int = 0  # token boundaries scored for spacing
    spacing_agrees: int = 0
    wer_hits: int = 0
    wer_substitutions: int = 0
    wer_deletions: int = 0
    wer_insertions: int = 0
    # "CLASS:matched", "CLASS:restored", "CLASS:reference" for each class of FUNCTION_CLASSES (and OTHER_CLASS)
    function_classes: Counter = field(default_factory=Counter)

    def __iadd__(self, other: TextCounts) -> TextCounts:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def rates(self) -> dict[str, float | None]:
        """Percentages. casing_accuracy: of the content words right up to case, the share also right
        in case. WER: (substitutions + deletions + insertions) / reference words."""
        precision = percent(self.function_matched, self.function_restored)
        recall = percent(self.function_matched, self.function_reference)
        errors = self.wer_substitutions + self.wer_deletions + self.wer_insertions
        return {
            "wer": percent(errors, self.wer_hits + self.wer_substitutions + self.wer_deletions),
            "content_accuracy": percent(self.cased, self.stems),
            "content_accuracy_uncased": percent(self.uncased, self.stems),
            "function_precision": precision,
            "function_recall": recall,
            # the harmonic mean of precision and recall, defined also when nothing was restored
            "function_f1": percent(2 * self.function_matched, self.function_restored + self.function_reference),
            "casing_accuracy": percent(self.cased, self.uncased),
            "detokenization_accuracy": percent(self.spacing_agrees, self.boundaries),
        }


def content_word_counts(hypothesis: str, reference: str, cased: bool = True) -> tuple[int, int]:
    """(stems restored to exactly -- or up to case -- the reference word, reference stems) of two
    texts: training validation's content-word accuracy."""
    exact, up_to_case, stems = content_counts(align_document(hypothesis), align_document(reference))
    return (exact if cased else up_to_case), stems


def content_counts(hyp: AlignedDocument, ref: AlignedDocument) -> tuple[int, int, int]:
    """(stems restored to exactly the reference word, restored up to case, reference stems).
    A failed round trip scores by position up to the first stem that differs, so a broken
    restoration cannot score well."""
    cased = uncased = 0
    for k, ref_word in enumerate(ref.words):
        if k >= len(hyp.words) or hyp.stems[k] != ref.stems[k]:
            break
        cased += hyp.words[k] == ref_word
        uncased += hyp.words[k].lower() == ref_word.lower()
    return cased, uncased, len(ref.words)


def function_counts(hyp: AlignedDocument, ref: AlignedDocument) -> tuple[int, int, int, Counter]:
    """(matched, restored, reference) stopwords, gap by gap, lowercased, as bags per gap, and the same
    by class ("CLASS:matched"...; see FUNCTION_CLASSES). When the stems differ the gaps cannot be
    paired, and nothing matches."""
    hyp_gaps, ref_gaps = hyp.gaps + [hyp.tail], ref.gaps + [ref.tail]
    by_class: Counter = Counter()
    for kind, gaps in (("restored", hyp_gaps), ("reference", ref_gaps)):
        by_class.update(f"{function_class(w)}:{kind}" for g in gaps for w in _gap_words(g))
    if hyp.stems == ref.stems:
        for h, r in zip(hyp_gaps, ref_gaps):
            for word, n in (Counter(_gap_words(h)) & Counter(_gap_words(r))).items():
                by_class[f"{function_class(word)}:matched"] += n
    totals = [sum(n for key, n in by_class.items() if key.endswith(f":{kind}"))
              for kind in ("matched", "restored", "reference")]
    return totals[0], totals[1], totals[2], by_class


def function_class(word: str) -> str:
    """The class of a lowercased dropped word (OTHER_CLASS for the rest of the list, and for any word
    outside it, which a gap holds only where the text is not the forward pipeline's)."""
    return FUNCTION_CLASS_OF.get(word, OTHER_CLASS)


def function_class_rates(counts: Counter) -> dict[str, dict]:
    """Per class, in FUNCTION_CLASSES' order then OTHER_CLASS: the reference's count, and recall and
    precision in % (None with nothing to count)."""
    rates = {}
    for name in [*FUNCTION_CLASSES, OTHER_CLASS]:
        matched, restored, reference = (counts[f"{name}:{kind}"] for kind in ("matched", "restored", "reference"))
        rates[name] = {"reference": reference, "restored": restored, "recall": percent(matched, reference),
                       "precision": percent(matched, restored)}
    return rates


def _gap_words(gap: list[str]) -> list[str]:
    return [w.lower() for w in gap if w != PARAGRAPH]


def word_alignment_counts(hyp: list[Token], ref: list[Token]) -> tuple[int, int, int, int, int, int]:
    """(hits, substitutions, deletions, insertions, spacing agreements, boundaries scored).

    Word errors: jiwer's Levenshtein alignment of the word tokens, cased. Spacing: a boundary
    between two tokens inside a run the alignment pairs as equal (so adjacent in both texts) is
    scored when either token is punctuation (no letter or digit: `.` `,` `(` quotes `#`) or a
    clitic (`'s`, `n't`); it agrees when both texts have whitespace there or both have none.
    Detokenization accuracy is the share that agrees."""
    import jiwer

    out = jiwer.process_words(" ".join(t.text for t in ref), " ".join(t.text for t in hyp))
    agrees = scored = 0
    for chunk in out.alignments[0]:
        if chunk.type != "equal":
            continue
        for k in range(chunk.ref_end_idx - chunk.ref_start_idx - 1):
            h, r = chunk.hyp_start_idx + k, chunk.ref_start_idx + k
            if _spacing_sensitive(ref[r].text) or _spacing_sensitive(ref[r + 1].text):
                scored += 1
                agrees += _spaced(hyp[h], hyp[h + 1]) == _spaced(ref[r], ref[r + 1])
    return out.hits, out.substitutions, out.deletions, out.insertions, agrees, scored


def _spacing_sensitive(token: str) -> bool:
    return not any(ch.isalnum() for ch in token) or token.startswith("'") or token.lower() == "n't"


def _spaced(left: Token, right: Token) -> bool:
    return right.start > left.end  # tokens cover all but whitespace


def text_counts(hypothesis: Analysis, reference: Analysis) -> TextCounts:
    cased, uncased, stems = content_counts(hypothesis.aligned, reference.aligned)
    matched, restored, in_reference, by_class = function_counts(hypothesis.aligned, reference.aligned)
    hits, substitutions, deletions, insertions, agrees, boundaries = word_alignment_counts(hypothesis.tokens,
                                                                                         reference.tokens)
    return TextCounts(stems, cased, uncased, matched, restored, in_reference, boundaries, agrees,
                      hits, substitutions, deletions, insertions, by_class)


def score_texts(hypotheses: list[str], references: list[Analysis], sources: list[str], ter: bool) -> dict:
    """Every score of one system on aligned lists of texts (documents or windows), with the
    counts behind them. `references` are `analyze`d, so several systems share the work."""
    sacrebleu_results = sacrebleu_scores(hypotheses, [[r.text for r in references]], ter)
    scores = {name: result["score"] for name, result in sacrebleu_results.items()}
    signatures = {name: result["signature"] for name, result in sacrebleu_results.items()} | own_signatures()
    counts = TextCounts()
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        counts += text_counts(analyze(hypothesis), reference)
    roundtrip = check_documents(sources, hypotheses)  # what `destem check` reports
    scores.update(counts.rates())
    scores["roundtrip_documents"] = percent(roundtrip.documents_ok, roundtrip.documents)
    scores["roundtrip_stems"] = percent(roundtrip.stems_ok, roundtrip.stems)
    counts_out = vars(counts) | {"texts": len(hypotheses), "roundtrip_documents": roundtrip.documents_ok,
                                 "roundtrip_stems": roundtrip.stems_ok, "input_stems": roundtrip.stems}
    counts_out["function_classes"] = dict(sorted(counts.function_classes.items()))
    return {"scores": scores, "signatures": signatures, "counts": counts_out,
            "function_classes": function_class_rates(counts.function_classes)}
