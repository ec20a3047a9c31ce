"""The training mix of the general model: Wikipedia and the register corpora, as one corpus file.

Wikipedia articles come from the training split (`destem data build`'s split, seed 0: the validation
articles stay unseen) with the benchmark's articles left out; each register contributes its training
documents in order, each document capped (a novel's first paragraphs, not the whole novel), until the
register's share of the mix is full. The output is the corpus format (`# Title` lines, a paragraph a
line) and the same input gives the same bytes.

    python data/recipes/general/build_mix.py --registers .cache/registers --out .cache/general/mix.txt.gz

A second stage's mix (`--after` the first) takes what the first did not: the documents it left, and the
next words of those it capped (a novel's second 20,000), in its own shares (`--shares`); a third stage's
is `--after` both:

    python data/recipes/general/build_mix.py --registers .cache/registers --after .cache/general/mix.txt.gz \
        --shares wikipedia:0.3,fiction:0.2,forum:0.25,speeches:0.12,science:0.09,howto:0.035,news:0.005 \
        --words 4000000 --out .cache/general/mix2.txt.gz
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import gzip
import json
import os
import sys

from destem.text.documents import read_documents
from destem.text.pairs import PairConfig, document_ids, split_of

# share of the mix's words, and the most words taken from one document
SHARES = {"wikipedia": 0.35, "fiction": 0.20, "forum": 0.15, "speeches": 0.12, "science": 0.10, "howto": 0.035,
          "news": 0.005}
DOCUMENT_CAP = {"fiction": 20_000, "speeches": 6_000, "science": 6_000}
BENCHMARK = "eval/suites/data/wikitext2-test-detok.txt.gz"


def words_of(text: str) -> int:
    return sum(len(line.split()) for line in text.split("\n") if not line.startswith("#"))


def capped(text: str, cap: int | None) -> str:
    if cap is None:
        return text
    lines, words = [], 0
    for line in text.split("\n"):
        if words >= cap:
            break
        lines.append(line)
        words += 0 if line.startswith("#") else len(line.split())
    while lines and lines[-1].startswith("#"):  # no heading without its paragraphs
        lines.pop()
    return "\n".join(lines)


def after_cap(text: str, cap: int | None, times: int = 1) -> str:
    """What `capped` leaves of a document taken `times` times before: its lines past the cap, `times` over."""
    if cap is None:
        return ""
    for _ in range(times):
        head = capped(text, cap)
        text = text[len(head):].lstrip("\n")
    return text


def take(documents, quota: int, cap: int | None):
    taken = 0
    for doc in documents:
        if taken >= quota:
            return
        text = capped(doc.text, cap)
        if text.strip():
            taken += words_of(text)
            yield doc.doc_id, text


def parse_registers(text: str, value=float) -> dict:
    """`register:value,...` (shares or caps)."""
    values = {}
    for part in text.split(","):
        register, _, number = part.partition(":")
        if register not in SHARES:
            raise SystemExit(f"build_mix: unknown register {register!r} (one of {', '.join(SHARES)})")
        values[register] = value(number)
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wiki", nargs="+", default=["../shared/corpus/wiki-04.txt.gz"],
                        help="Wikipedia corpus files, read in order (default: wiki-04, the part least trained on)")
    parser.add_argument("--registers", required=True, help="folder of <register>.train.txt.gz (registers/build.py)")
    parser.add_argument("--words", type=int, default=8_000_000, help="words in the mix (default: 8M)")
    parser.add_argument("--shares", type=parse_registers, default=SHARES,
                        help="register:share,... of the mix's words (default: the first stage's shares)")
    parser.add_argument("--caps", type=lambda text: DOCUMENT_CAP | parse_registers(text, int), default=DOCUMENT_CAP,
                        help="register:words,... the most words taken from one document (default: fiction:20000,"
                             "speeches:6000,science:6000; a larger mix, for a GPU, takes more of each)")
    parser.add_argument("--after", nargs="+", default=[],
                        help="earlier mixes: their documents are not taken again (a capped one: its next part)")
    parser.add_argument("--out", required=True, help="the mix, .txt.gz")
    args = parser.parse_args()

    benchmark = document_ids([BENCHMARK])
    taken_before = collections.Counter(doc_id for path in args.after for doc_id in document_ids([path]))
    split = PairConfig()
    counts = {}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
        for register, share in args.shares.items():
            if register == "wikipedia":
                docs = (d for path in args.wiki for d in read_documents(path)
                        if split_of(d.doc_id, split) == "train" and d.doc_id not in benchmark)
            else:
                docs = read_documents(os.path.join(args.registers, f"{register}.train.txt.gz"))
            cap = args.caps.get(register)
            docs = (dataclasses.replace(d, text=after_cap(d.text, cap, taken_before[d.doc_id]))
                    if d.doc_id in taken_before else d for d in docs)
            words = documents = 0
            for title, text in take(docs, int(share * args.words), cap):
                gz.write(f"# {title}\n{text}\n\n".encode())
                words += words_of(text)
                documents += 1
            counts[register] = {"documents": documents, "words": words}
            print(f"{register}: {documents:,} documents, {words:,} words", file=sys.stderr)
    with open(os.path.splitext(os.path.splitext(args.out)[0])[0] + ".json", "w") as f:
        json.dump(counts, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
