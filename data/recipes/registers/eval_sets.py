#!/usr/bin/env python3
"""Evaluation sets per register: about 20,000 words of each held-out register corpus, and a
Wikipedia set of the same size from the validation split, for `destem eval --suite registers-NAME`.

Usage (from the repository root):

    python data/recipes/registers/eval_sets.py --heldout .cache/registers \
        --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz --split validation \
        --exclude eval/suites/data/wikitext2-test-detok.txt.gz --out eval/suites/data/registers

How documents are taken (deterministic: the same input gives the same bytes):

- A document keeps its first paragraphs until it holds `cap` words (the paragraph that reaches
  the cap is kept whole, so a document is cut only between paragraphs); a `## Heading` line is
  kept only when a kept paragraph follows it. Words are whitespace tokens of paragraph lines, as
  in the corpus README.
- A register whose held-out documents hold at most `--words` words is taken whole (news, howto).
- Otherwise `cap` is the smallest number of words, at least `--min-cap`, at which the capped
  documents together reach `--words`: every document then gives the same share or all it has,
  so no one document dominates (3 novels give a third each). Where even `--min-cap` words of
  each document reach `--words` (a register of many documents, such as forum), the documents
  are taken in corpus order, each capped at `--min-cap`, until they hold `--words` words.
- The Wikipedia set takes the articles of `--corpus` as `destem.lab.article_choice` chooses them
  (`--split validation`: articles the shipped model, its lexicon and its word LM never counted;
  `--exclude`: the benchmark's titles), in corpus order, each capped at `--min-cap`, until
  `--words` words.

Writes OUT/<register>.txt.gz (corpus format, gzip with a fixed timestamp) per register and
OUT/sources.tsv: per document taken, the register, title, source repository, origin (the
attribution link, from the register build's manifest.tsv.gz when present) and its words taken
and in all.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REGISTERS = ("fiction", "speeches", "forum", "science", "howto", "news")
WIKIPEDIA = "wikipedia"
TARGET_WORDS = 20_000
MIN_CAP = 1_000
BENCHMARK = "eval/suites/data/wikitext2-test-detok.txt.gz"
WIKIPEDIA_SOURCE = "Wikipedia, 2015 dump (shared/corpus)"
HEADING = re.compile(r"^#{2,} ")


@dataclass(frozen=True)
class Doc:
    title: str
    lines: tuple[str, ...]  # '## Heading' or paragraph lines
    document_words: int | None = None  # the words of the whole document, where these lines are its start

    @property
    def words(self) -> int:
        return sum(line_words(line) for line in self.lines)


def line_words(line: str) -> int:
    return 0 if HEADING.match(line) else len(line.split())


def read_corpus(path: Path) -> list[Doc]:
    """The documents of one corpus-format file (.txt or .txt.gz), in order."""
    opener = gzip.open if str(path).endswith(".gz") else open
    docs: list[Doc] = []
    title, lines = None, []
    with opener(path, "rt", encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if line.startswith("# "):
                if title is not None and lines:
                    docs.append(Doc(title, tuple(lines)))
                title, lines = line[2:].strip(), []
            elif line and title is not None:
                lines.append(line)
    if title is not None and lines:
        docs.append(Doc(title, tuple(lines)))
    return docs


def capped(doc: Doc, cap: int | None) -> Doc:
    """The document's first paragraphs until they hold `cap` words (the last one whole); headings
    only before a kept paragraph. None: the whole document."""
    if cap is None:
        return Doc(doc.title, doc.lines, doc.words)
    kept, headings, words = [], [], 0
    for line in doc.lines:
        if words >= cap:
            break
        if HEADING.match(line):
            headings.append(line)
            continue
        kept += headings + [line]
        headings = []
        words += line_words(line)
    return Doc(doc.title, tuple(kept), doc.words)


def water_level(words: list[int], target: int, min_cap: int) -> int | None:
    """The smallest cap >= min_cap at which sum(min(w, cap)) reaches `target`; None when all the
    words together do not pass `target` (take everything whole)."""
    if sum(words) <= target:
        return None
    low, high = min_cap, max(words)
    while low < high:
        mid = (low + high) // 2
        if sum(min(w, mid) for w in words) >= target:
            high = mid
        else:
            low = mid + 1
    return low


def choose(docs: Iterable[Doc], target: int = TARGET_WORDS, min_cap: int = MIN_CAP,
           all_known: bool = True) -> list[Doc]:
    """The capped documents of one set (see the module's docstring). `all_known`: `docs` is the
    whole held-out register (a list), so the cap can be levelled; else a stream (Wikipedia) taken
    in order at `min_cap` each."""
    if all_known:
        docs = list(docs)
        counts = [d.words for d in docs]
        cap = water_level(counts, target, min_cap)
        if cap is None or cap > min_cap or sum(min(w, min_cap) for w in counts) < target:
            return [c for c in (capped(d, cap) for d in docs) if c.words]  # every document, levelled
    out, total = [], 0
    for doc in docs:
        if total >= target:
            break
        piece = capped(doc, min_cap)
        if piece.words:
            out.append(piece)
            total += piece.words
    return out


def corpus_bytes(docs: list[Doc]) -> bytes:
    """Corpus format, gzip with a fixed timestamp and no file name: the same documents, the same bytes."""
    text = "".join(f"# {d.title}\n" + "".join(line + "\n" for line in d.lines) + "\n" for d in docs)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    return buffer.getvalue()


def read_manifest(path: Path) -> dict[tuple[str, str], tuple[str, str, int]]:
    """(register, title) -> (repository, origin, words) of the held-out documents, from the build's
    manifest.tsv.gz; empty when there is none."""
    if not path.is_file():
        return {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {(r["register"], r["title"]): (r["repository"], r["origin"], int(r["words"]))
                for r in rows if r["split"] == "heldout"}


def wikipedia_docs(corpus: list[str], split: str, exclude: list[str]) -> Iterable[Doc]:
    """The articles `destem.lab.article_choice` takes with these options, in corpus order."""
    from destem.lab.article_choice import articles

    args = argparse.Namespace(corpus=corpus, split=split, exclude=exclude, skip=0)
    for article in articles(args):
        yield Doc(article.doc_id, tuple(line.strip() for line in article.text.split("\n") if line.strip()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--heldout", type=Path, required=True,
                    help="folder with <register>.heldout.txt.gz (and manifest.tsv.gz) of build.py")
    ap.add_argument("--out", type=Path, default=Path("eval/suites/data/registers"), help="output folder")
    ap.add_argument("--registers", default=",".join(REGISTERS), help="comma-separated registers")
    ap.add_argument("--words", type=int, default=TARGET_WORDS, help=f"words per set (default {TARGET_WORDS:,})")
    ap.add_argument("--min-cap", type=int, default=MIN_CAP,
                    help=f"the least words a document may give (default {MIN_CAP:,})")
    ap.add_argument("--corpus", nargs="+", default=[],
                    help="Wikipedia corpus files for the wikipedia set (none: no wikipedia set)")
    ap.add_argument("--split", choices=("all", "train", "validation"), default="validation",
                    help="the Wikipedia articles of this split of `destem data build` (default: validation)")
    ap.add_argument("--exclude", nargs="*", default=[BENCHMARK], metavar="CORPUS",
                    help=f"leave out Wikipedia articles titled as those of these files (default: {BENCHMARK})")
    args = ap.parse_args(argv)

    registers = [r for r in args.registers.split(",") if r]
    unknown = sorted(set(registers) - set(REGISTERS))
    if unknown:
        ap.error(f"unknown register {', '.join(unknown)}; known: {', '.join(REGISTERS)}")
    manifest = read_manifest(args.heldout / "manifest.tsv.gz")
    sets = {register: choose(read_corpus(args.heldout / f"{register}.heldout.txt.gz"), args.words, args.min_cap)
            for register in registers}
    if args.corpus:
        sets[WIKIPEDIA] = choose(wikipedia_docs(args.corpus, args.split, args.exclude), args.words, args.min_cap,
                                 all_known=False)

    args.out.mkdir(parents=True, exist_ok=True)
    rows = [("register", "title", "repository", "origin", "words", "document_words")]
    for name, docs in sets.items():
        (args.out / f"{name}.txt.gz").write_bytes(corpus_bytes(docs))
        for d in docs:
            if name == WIKIPEDIA:
                repository, origin = WIKIPEDIA_SOURCE, "https://en.wikipedia.org/wiki/" + d.title.replace(" ", "_")
            else:
                repository, origin, _ = manifest.get((name, d.title), ("", "", 0))
            rows.append((name, d.title, repository, origin, str(d.words), str(d.document_words)))
        print(f"{name}: {len(docs)} documents, {sum(d.words for d in docs):,} words", file=sys.stderr)
    with open(args.out / "sources.tsv", "w", encoding="utf-8", newline="") as f:
        f.writelines("\t".join(cell.replace("\t", " ") for cell in row) + "\n" for row in rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
