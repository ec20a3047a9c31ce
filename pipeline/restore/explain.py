"""`destem restore --explain`: for every stem of a restored document, the gap and word written,
their probabilities of being right, and the alternatives the restorer weighed.

A gap is written lowercase with its words space-separated ("" when none; "¶" marks a paragraph
break). The gap before the first stem of a window also holds the previous window's tail, so its
probability is the product of the two choices'.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..text.align import PARAGRAPH
from ..text.detok import PILCROW_WORD
from .confidence import PositionScores
from .repair import WindowDraft

MARK_OPEN, MARK_SEPARATOR, MARK_CLOSE = "[", "|", "]"  # --mark-below's notation: [chosen|runner-up]


@dataclass
class PositionChoice:
    """One position's options (gap label strings or lowercase forms) and their probabilities, in
    the order the tagger ranked them, and the raw local scores they came from."""

    gaps: list[str]
    gap_probs: list[float]
    words: list[str]
    word_probs: list[float]
    scores: PositionScores


@dataclass
class StemExplanation:
    stem: str
    gap: str
    word: str  # cased as in the text
    p_gap: float
    p_word: float
    gap_alternatives: list[tuple[str, float]]  # best first, the written gap among them
    word_alternatives: list[tuple[str, float]]  # lowercase forms
    repaired: bool = False  # the round-trip repair wrote a gap or word that was not among the options
    scores: PositionScores | None = None  # the raw local scores (what `destem calibrate --confidence` fits)

    def record(self) -> dict:
        out = {"stem": self.stem, "gap": self.gap, "word": self.word, "p_gap": round(self.p_gap, 4),
               "p_word": round(self.p_word, 4),
               "gap_alternatives": [[g, round(p, 4)] for g, p in self.gap_alternatives],
               "word_alternatives": [[w, round(p, 4)] for w, p in self.word_alternatives]}
        if self.repaired:
            out["repaired"] = True
        return out


@dataclass
class DocumentExplanation:
    stems: list[StemExplanation]
    tail_gap: str
    p_tail_gap: float
    tail_alternatives: list[tuple[str, float]]
    tokens: list[str]  # the document's tokens as rendered (cased, with spacing marks)
    owners: list[tuple[str, int] | None]  # per token: ("gap", stem index) or ("word", stem index); None: a mark

    def record(self) -> dict:
        """The --explain fields of one document (beside "text")."""
        return {"stems": [s.record() for s in self.stems], "tail_gap": self.tail_gap,
                "p_tail_gap": round(self.p_tail_gap, 4),
                "tail_gap_alternatives": [[g, round(p, 4)] for g, p in self.tail_alternatives]}

    @classmethod
    def joined(cls, pieces: list[DocumentExplanation]) -> DocumentExplanation:
        """One explanation of pieces restored apart and joined by a space (a long document): a
        piece's tail goes into the gap before the next piece's first stem."""
        stems, tokens, owners = [], [], []
        stems_tail = ("", 1.0)  # the previous piece's tail gap and its probability
        for n, piece in enumerate(pieces):
            if n and piece.stems:
                first = piece.stems[0]
                first.gap = _joined(stems_tail[0], first.gap)
                first.p_gap *= stems_tail[1]
                first.gap_alternatives = [(_joined(stems_tail[0], g), stems_tail[1] * p)
                                          for g, p in first.gap_alternatives]
            tokens += piece.tokens
            owners += [None if o is None else (o[0], o[1] + len(stems)) for o in piece.owners]
            stems += piece.stems
            stems_tail = (piece.tail_gap, piece.p_tail_gap)
        last = pieces[-1] if pieces else cls([], "", 1.0, [("", 1.0)], [], [])
        return cls(stems, last.tail_gap, last.p_tail_gap, last.tail_alternatives, tokens, owners)

    def folded(self, kept: list[bool]) -> DocumentExplanation:
        """This explanation with each stem that `kept` marks False (punctuation the second of two passes
        read, `two_pass`) folded, gap and word, into the gap of the next stem kept (or the tail), the
        probabilities multiplied: an explanation of the kept stems alone."""
        stems: list[StemExplanation] = []
        index = []  # per stem: the kept stem whose gap or word it now is
        carried, p_carried = "", 1.0
        for stem, keep in zip(self.stems, kept):
            index.append(len(stems))
            if not keep:
                carried = _joined(carried, stem.gap, stem.word.lower())
                p_carried *= stem.p_gap * stem.p_word
                continue
            stem.gap, stem.p_gap = _joined(carried, stem.gap), stem.p_gap * p_carried
            stem.gap_alternatives = [(_joined(carried, g), p * p_carried) for g, p in stem.gap_alternatives]
            stems.append(stem)
            carried, p_carried = "", 1.0
        index.append(len(stems))  # the tail
        owners = [None if o is None else
                  (o[0] if o[0] == "gap" or kept[o[1]] else "gap", index[o[1]]) for o in self.owners]
        return DocumentExplanation(stems, _joined(carried, self.tail_gap), self.p_tail_gap * p_carried,
                                   [(_joined(carried, g), p * p_carried) for g, p in self.tail_alternatives],
                                   self.tokens, owners)

    def marked_tokens(self, threshold: float) -> list[str]:
        """The tokens, with each gap and word whose probability is below `threshold` written as
        one token [written|runner-up]; an empty gap as [_|runner-up], before its word."""
        out: list[str] = []
        groups: list[tuple[tuple[str, int] | None, list[str]]] = []  # consecutive tokens of one owner
        for token, owner in zip(self.tokens, self.owners):
            if groups and owner is not None and groups[-1][0] == owner:
                groups[-1][1].append(token)
            else:
                groups.append((owner, [token]))
        shown_gaps = {owner[1] for owner, _ in groups if owner and owner[0] == "gap"}
        for owner, tokens in groups:
            if owner is None:
                out += tokens
                continue
            kind, k = owner
            if kind == "word" and k not in shown_gaps:
                out += self._marked("gap", k, [], threshold)
            out += self._marked(kind, k, tokens, threshold)
        if len(self.stems) not in shown_gaps:
            out += self._marked("gap", len(self.stems), [], threshold)
        return out

    def _marked(self, kind: str, k: int, tokens: list[str], threshold: float) -> list[str]:
        if kind == "word":
            p, alternatives, written = self.stems[k].p_word, self.stems[k].word_alternatives, self.stems[k].word
        elif k == len(self.stems):
            p, alternatives, written = self.p_tail_gap, self.tail_alternatives, self.tail_gap
        else:
            p, alternatives, written = self.stems[k].p_gap, self.stems[k].gap_alternatives, self.stems[k].gap
        # a paragraph break is not shown in the mark: an alternative that differs only by one is no alternative
        runner_up = next((a for a, _ in alternatives if _words(a) != _words(written.lower())), None)
        if p >= threshold or runner_up is None:
            return tokens
        shown = " ".join(t for t in tokens if t != PARAGRAPH) or "_"
        return [f"{MARK_OPEN}{shown}{MARK_SEPARATOR}{_words(runner_up) or '_'}{MARK_CLOSE}"]


def explain_document(drafts: list[WindowDraft], choices: list[list[PositionChoice]],
                     cased_tokens: list[str]) -> DocumentExplanation:
    """The explanation of a document restored as `drafts` (after any repair), whose rendered
    tokens (capitalized) are `cased_tokens`, from each window's PositionChoices."""
    stems: list[StemExplanation] = []
    owners: list[tuple[str, int] | None] = []
    carried: tuple[str, float, list[tuple[str, float]]] | None = None  # the previous window's tail
    at = 0  # into cased_tokens
    for draft, window in zip(drafts, choices):
        for i, (gap, word) in enumerate(zip(draft.gaps, draft.words)):
            k = len(stems)
            owners += [("gap", k)] * len(gap)
            gap_text, p_gap, gap_alternatives, gap_repaired = _gap_choice(gap, window[i], carried)
            at += len(gap)
            if i in draft.spacing:
                owners.append(None)
                at += 1
            owners.append(("word", k))
            cased = cased_tokens[at]
            at += 1
            words = list(zip(window[i].words, window[i].word_probs))
            p_word = dict(words).get(word.lower())
            stems.append(StemExplanation(draft.stems[i], gap_text, "¶" if cased == PILCROW_WORD else cased,
                                         p_gap, 0.0 if p_word is None else p_word, gap_alternatives,
                                         _best_first(words), gap_repaired or p_word is None, window[i].scores))
            carried = None
        tail = draft.gaps[-1]
        owners += [("gap", len(stems))] * len(tail)
        at += len(tail)
        carried = _gap_choice(tail, window[-1], carried)[:3]
    tail_text, p_tail, tail_alternatives = carried if carried else ("", 1.0, [("", 1.0)])
    return DocumentExplanation(stems, tail_text, p_tail, tail_alternatives, cased_tokens, owners)


def _gap_choice(gap: list[str], choice: PositionChoice, carried):
    """(gap text, probability, alternatives, repaired) of a written gap, joined to the previous
    window's tail when one is carried."""
    written = " ".join(gap).lower()
    options = list(zip(choice.gaps, choice.gap_probs))
    p = dict(options).get(written)
    repaired = p is None
    p = 0.0 if p is None else p
    alternatives = _best_first(options)
    if carried is not None:
        tail_text, p_tail, _ = carried
        written = _joined(tail_text, written)
        p *= p_tail
        alternatives = [(_joined(tail_text, g), p_tail * q) for g, q in alternatives]
    return written, p, alternatives, repaired


def _words(gap: str) -> str:
    return " ".join(w for w in gap.split() if w != PARAGRAPH)


def _joined(*gaps: str) -> str:
    return " ".join(gap for gap in gaps if gap)


def _best_first(options: list[tuple[str, float]]) -> list[tuple[str, float]]:
    return sorted(options, key=lambda option: -option[1])
