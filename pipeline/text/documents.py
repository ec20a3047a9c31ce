"""Reading prose: the corpus format (`# Title`, `## Heading`, a paragraph a line) or plain text.

A document is the text of one article (its lines joined by newlines, the title left out), or,
in a plain text file with no `# Title` lines, one block of lines between blank lines.
"""
from __future__ import annotations

import glob
import gzip
import lzma
import os
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    doc_id: str  # article title, or "<file>:<block number>" for plain text
    text: str


def expand_paths(patterns: list[str]) -> list[str]:
    """Files named by paths, globs or folders (recursively: .txt and .txt.gz), in a stable order."""
    files: list[str] = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            for root, _, names in sorted(os.walk(pattern)):
                files += [os.path.join(root, n) for n in sorted(names) if n.endswith((".txt", ".txt.gz"))]
        elif any(ch in pattern for ch in "*?["):
            files += sorted(glob.glob(pattern, recursive=True))
        elif os.path.exists(pattern):
            files.append(pattern)
        else:
            raise FileNotFoundError(f"no such file or folder: {pattern}")
    return files


def open_text(path: str):
    """Open .txt, .txt.gz or .txt.xz as UTF-8 text (a byte order mark is skipped); bad bytes raise
    UnicodeDecodeError."""
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig")
    if path.endswith(".xz"):  # a corpus slice carried to a GPU machine (pipeline/training/corpus_slice.py)
        return lzma.open(path, "rt", encoding="utf-8-sig")
    return open(path, encoding="utf-8-sig")


def read_documents(path: str) -> Iterator[Document]:
    """Stream the documents of one file, in order, without holding the file in memory."""
    with open_text(path) as f:
        title: str | None = None
        lines: list[str] = []
        block = 0
        for raw in f:
            line = raw.rstrip("\r\n").strip()
            if line.startswith("# "):
                if lines:
                    yield _document(path, title, block, lines)
                    block += 1
                title, lines = line[2:].strip(), []
            elif not line:
                if lines and title is None:  # plain text: a blank line ends a document
                    yield _document(path, title, block, lines)
                    block += 1
                    lines = []
            else:
                lines.append(line)
        if lines:
            yield _document(path, title, block, lines)


def _document(path: str, title: str | None, block: int, lines: list[str]) -> Document:
    doc_id = title if title is not None else f"{os.path.basename(path)}:{block}"
    return Document(doc_id, "\n".join(lines))
