"""What the model predicts for each stem, as class labels, and how labels turn back into words.

For each stem the model picks three labels:
- gap: the dropped words before it, lowercased, as one string ("of the", "" or "¶ the");
- form: an edit script from the stem to the lowercase word ("1:y" = drop 1 letter, add "y");
- case: lower, Title, UPPER or Mixed (the lexicon's mixed-case spelling, e.g. "McCarthy").
The gap after the last stem is predicted at the end-of-window position.
Sentence-initial capitals are put back by a rule (`capitalize_sentences`), so they are not
learned as the word's case.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..text.align import PARAGRAPH
from ..text.windows import HEADING_MARK, SENTENCE_END

IGNORE = -100  # label id that the loss skips
LOWER, TITLE, UPPER, MIXED = range(4)
CASE_NAMES = ("lower", "Title", "UPPER", "Mixed")


def form_edit(stem: str, word_lower: str) -> str:
    """The edit script that turns `stem` into `word_lower`: "<letters to drop>:<suffix>"."""
    common = 0
    for a, b in zip(stem, word_lower):
        if a != b:
            break
        common += 1
    return f"{len(stem) - common}:{word_lower[common:]}"


def apply_edit(stem: str, edit: str) -> str:
    drop, _, suffix = edit.partition(":")
    cut = len(stem) - int(drop)
    return stem[:cut] + suffix if cut >= 0 else ""


def case_of(word: str) -> int:
    if word == word.lower():
        return LOWER
    if word == word.upper():
        return UPPER if sum(ch.isalpha() for ch in word) > 1 else TITLE
    if word == word[:1].upper() + word[1:].lower():
        return TITLE
    return MIXED


def apply_case(word: str, case: int, mixed_spelling: str | None = None) -> str:
    if case == TITLE:
        cased = word[:1].upper() + word[1:]
    elif case == UPPER:
        cased = word.upper()
    elif case == MIXED:
        cased = mixed_spelling if mixed_spelling else word[:1].upper() + word[1:]
    else:
        return word
    return cased if _keeps_lowercase(word, cased) else word


def _keeps_lowercase(word: str, cased: str) -> bool:
    """Whether `cased` lowercases back to `word`'s lowercase: not so for letters whose capital
    lowercases to another letter (the micro sign µ -> Μ -> μ, ß -> SS), which the stemmer would see."""
    return cased.lower() == word.lower()


def opens_sentence(token: str) -> bool:
    """After this token, the next word starts a sentence (or a heading or paragraph)."""
    return token in SENTENCE_END or token == PARAGRAPH or token == HEADING_MARK


def capitalize_sentences(tokens: list[str], at_start: bool = True) -> list[str]:
    """Capitalize the first word of each sentence, heading and paragraph; "i" -> "I"."""
    out, pending = [], at_start
    for token in tokens:
        if token == "i":
            token = "I"
        if pending and token[:1].isalpha() and _keeps_lowercase(token, token[:1].upper() + token[1:]):
            token = token[:1].upper() + token[1:]
        if token[:1].isalnum():
            pending = False
        elif opens_sentence(token):
            pending = True
        # closers and opening quotes/brackets keep a pending capital for the next word
        out.append(token)
    return out


def sentence_start_flags(tokens: list[str], at_start: bool = True) -> list[bool]:
    """For each token, whether `capitalize_sentences` would capitalize it."""
    flags, pending = [], at_start
    for token in tokens:
        flags.append(pending and token[:1].isalpha())
        if token[:1].isalnum():
            pending = False
        elif opens_sentence(token):
            pending = True
    return flags


def gap_key(gap: str) -> str:
    return gap.lower()


@dataclass
class LabelVocab:
    """The closed label sets: the most frequent gaps and edit scripts of the training pairs."""

    gaps: list[str]
    forms: list[str]
    gap_index: dict[str, int] = field(init=False, repr=False)
    form_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        self.gap_index = {g: i for i, g in enumerate(self.gaps)}
        self.form_index = {f: i for i, f in enumerate(self.forms)}

    @classmethod
    def from_counts(cls, gap_counts: Counter, form_counts: Counter, max_gaps: int, max_forms: int) -> LabelVocab:
        gaps = [""] + [g for g, _ in gap_counts.most_common(max_gaps) if g != ""][: max_gaps - 1]
        forms = ["0:"] + [f for f, _ in form_counts.most_common(max_forms) if f != "0:"][: max_forms - 1]
        return cls(gaps, forms)

    def gap_id(self, gap: str) -> int:
        return self.gap_index.get(gap_key(gap), IGNORE)

    def form_id(self, stem: str, word: str) -> int:
        return self.form_index.get(form_edit(stem, word.lower()), IGNORE)


def window_labels(stems: list[str], words: list[str], gaps: list[str], tail: str, vocab: LabelVocab,
                  at_start: bool) -> tuple[list[int], list[int], list[int]]:
    """Gap ids (one per stem, then the tail), form ids and case ids of one window."""
    gap_ids = [vocab.gap_id(g) for g in gaps] + [vocab.gap_id(tail)]
    form_ids = [vocab.form_id(s, w) for s, w in zip(stems, words)]
    sequence: list[str] = []
    word_positions = []
    for gap, word in zip(gaps, words):
        sequence += gap.split()
        word_positions.append(len(sequence))
        sequence.append(word)
    starts = sentence_start_flags(sequence, at_start)
    case_ids = []
    for position, word in zip(word_positions, words):
        case = case_of(word)
        # a capital that the sentence rule puts back says nothing about the word itself
        case_ids.append(IGNORE if starts[position] and case == TITLE else case)
    return gap_ids, form_ids, case_ids


def count_labels(records) -> tuple[Counter, Counter]:
    gap_counts, form_counts = Counter(), Counter()
    for record in records:
        stems = record["source"].split()
        gap_counts.update(gap_key(g) for g in record["gaps"])
        gap_counts[gap_key(record["tail"])] += 1
        form_counts.update(form_edit(s, w.lower()) for s, w in zip(stems, record["words"]))
    return gap_counts, form_counts
