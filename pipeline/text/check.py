"""The reference-free round-trip check: stemming a restored document must give back its stems.
It needs no original text, so it applies to any restoration of any input (`destem check`)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .forward import DEFAULT_PIPELINE, STOPWORD_LISTS, ForwardPipeline, tokenize
from .textio import InputError, read_text, split_documents, split_lines

CONTEXT_STEMS = 3  # stems shown either side of a mismatch
CONTEXT_TOKENS = 6  # restored tokens shown either side of a mismatch


@dataclass
class Mismatch:
    document: int  # 1-based: the line number in the stems file
    position: int  # 0-based index of the first stem that differs
    stems: int  # the document's length in stems
    expected: str  # input stems around the position
    got: str  # stems of the restoration around the position
    restored: str  # restored tokens around the position

    def describe(self) -> str:
        return (f"document {self.document}: differs at stem {self.position + 1} of {self.stems}: "
                f"expected {self.expected!r}, the restoration stems to {self.got!r} (restored: {self.restored!r})")


@dataclass
class CheckReport:
    documents: int = 0
    documents_ok: int = 0
    stems: int = 0
    stems_ok: int = 0  # input stems matched in an alignment with the restoration's stems
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.documents_ok == self.documents

    def summary(self) -> str:
        return (f"{self.documents_ok:,}/{self.documents:,} documents round-trip; "
                f"{self.stems_ok:,}/{self.stems:,} stems match")


def check_documents(stem_documents: Iterable[str], restored_documents: Iterable[str],
                    pipeline: ForwardPipeline = DEFAULT_PIPELINE) -> CheckReport:
    """Compare each stemmed document with the stems `pipeline` makes of its restoration (same count, same order)."""
    report = CheckReport()
    for number, (stems, restored) in enumerate(zip(stem_documents, restored_documents, strict=True), 1):
        expected = stems.split()
        tokens = tokenize(restored)
        got = pipeline.stems_of_tokens(tokens)
        report.documents += 1
        report.stems += len(expected)
        if got == expected:
            report.documents_ok += 1
            report.stems_ok += len(expected)
            continue
        position = _first_difference(expected, got)
        report.stems_ok += _matching_stems(expected, got, position)
        report.mismatches.append(Mismatch(number, position, len(expected), _around(expected, position),
                                          _around(got, position),
                                          _restored_around(tokens, position, STOPWORD_LISTS[pipeline.stopwords])))
    return report


def check_files(stems_path: str, restored_path: str, markdown: bool = False,
                pipeline: ForwardPipeline = DEFAULT_PIPELINE) -> CheckReport:
    stem_documents = split_lines(read_text(stems_path))
    restored_documents = split_documents(read_text(restored_path), markdown)
    if len(stem_documents) != len(restored_documents):
        unit = "blocks" if markdown else "lines"
        raise InputError(f"{stems_path} has {len(stem_documents):,} documents (lines) but {restored_path} has "
                         f"{len(restored_documents):,} ({unit}); the files must hold the same documents in order")
    return check_documents(stem_documents, restored_documents, pipeline)


def _first_difference(expected: list[str], got: list[str]) -> int:
    for i, (a, b) in enumerate(zip(expected, got)):
        if a != b:
            return i
    return min(len(expected), len(got))


def _matching_stems(expected: list[str], got: list[str], prefix: int) -> int:
    """Stems in common: the equal prefix and suffix, and an alignment of the middle."""
    suffix = 0
    while suffix < min(len(expected), len(got)) - prefix and expected[-1 - suffix] == got[-1 - suffix]:
        suffix += 1
    middle = SequenceMatcher(None, expected[prefix:len(expected) - suffix], got[prefix:len(got) - suffix],
                             autojunk=False)
    return prefix + suffix + sum(block.size for block in middle.get_matching_blocks())


def _around(stems: list[str], position: int) -> str:
    at = stems[position] if position < len(stems) else "<end>"
    return " ".join(stems[max(0, position - CONTEXT_STEMS):position] + [f">>{at}<<"]
                    + stems[position + 1:position + 1 + CONTEXT_STEMS])


def _restored_around(tokens: list[str], position: int, stopwords: frozenset[str]) -> str:
    """The restored tokens around the one that gave stem number `position`."""
    content = [i for i, token in enumerate(tokens) if token.lower() not in stopwords]
    at = content[position] if position < len(content) else len(tokens)
    marked = [f">>{tokens[at] if at < len(tokens) else '<end>'}<<"]
    return " ".join(tokens[max(0, at - CONTEXT_TOKENS):at] + marked + tokens[at + 1:at + 1 + CONTEXT_TOKENS])
