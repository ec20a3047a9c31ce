"""The articles a recipe measures on (`words_bar.py`, `detect_bar.py`, `fidelity_run.py`).

`--corpus` names corpus files (several allowed, read in the order given); `--split validation`
keeps only the articles that `destem data build` holds out for validation (1% of the articles,
by a hash of the title: `destem.text.pairs.split_of` with the default `PairConfig`, the split
the shipped model, its lexicon and its word LM were made with, so no part of it counted them);
`--exclude` leaves out the articles whose titles are in other corpus files (the benchmark's);
`--skip` then skips that many of what is left, in corpus order.

Without `--split`, every article is taken, training text included: the shipped model trained on
all of the shared corpus but its validation split.
"""
from __future__ import annotations

import argparse
import itertools
import os
from collections.abc import Iterator

from destem.text.documents import Document
from destem.text.pairs import SPLITS, document_ids, split_documents

BENCHMARK = "eval/suites/data/wikitext2-test-detok.txt.gz"  # the public benchmark's articles


def add_options(parser: argparse.ArgumentParser, skip: int = 0) -> None:
    parser.add_argument("--corpus", nargs="+", required=True, help="corpus-format .txt/.txt.gz files, in order")
    parser.add_argument("--split", choices=("all",) + SPLITS, default="all",
                        help="all articles (default), or only those of one split of `destem data build` "
                             "(validation: text the shipped model never trained on)")
    parser.add_argument("--exclude", nargs="+", default=[], metavar="CORPUS",
                        help=f"leave out the articles titled as those of these corpus files (e.g. {BENCHMARK})")
    parser.add_argument("--skip", type=int, default=skip,
                        help=f"articles skipped first, of those kept (default: {skip})")


def articles(args: argparse.Namespace) -> Iterator[Document]:
    """The articles the options choose, in corpus order, as a stream (for a caller that takes
    articles until it has enough words rather than a count)."""
    documents = split_documents(args.corpus, None if args.split == "all" else args.split,
                                exclude_titles=document_ids(args.exclude))
    return itertools.islice(documents, args.skip, None)


def select(args: argparse.Namespace, count: int) -> list[Document]:
    """`count` articles (fewer if the corpus has fewer) as the options choose them."""
    return list(itertools.islice(articles(args), count))


def described(args: argparse.Namespace, articles: list[Document]) -> dict:
    """Where the articles came from, for a report: enough to take the same ones again."""
    return {"corpus": [os.path.basename(p) for p in args.corpus], "split": args.split,
            "excluded_titles_of": args.exclude, "skip": args.skip, "articles_taken": len(articles),
            "titles": [d.doc_id for d in articles]}
