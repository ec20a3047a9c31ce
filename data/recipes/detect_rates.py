"""Measure the rates `destem detect` expects: how often each tell occurs per token under every
(stemmer, stopword list) pair, on training prose; writes pipeline/text/detect_rates.py.

    python data/recipes/detect_rates.py --corpus ../shared/corpus/wiki-01.txt.gz --articles 300

The prose should be training text (the shipped model's came from the start of the corpus), so
that held-out articles (`detect_bar.py`) test the rates on text they were not measured on.
"""
from __future__ import annotations

import argparse
import itertools
import pprint
from collections import Counter

from pipeline.text.detect import TELLS, tell_counts
from pipeline.text.documents import read_documents
from pipeline.text.forward import STEMMERS, STOPWORD_LISTS, ForwardPipeline, tokenize

OUT = "pipeline/text/detect_rates.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True, help="a corpus file (# Title, a paragraph a line)")
    parser.add_argument("--articles", type=int, default=300, help="articles read from the start (default: 300)")
    parser.add_argument("--out", default=OUT, help=f"the module written (default: {OUT})")
    args = parser.parse_args()
    documents = [d.text for d in itertools.islice(read_documents(args.corpus), args.articles)]
    tokenized = [tokenize(text) for text in documents]  # once: every pipeline tokenizes alike
    rates = {}
    for stemmer, stopwords in itertools.product(STEMMERS, STOPWORD_LISTS):
        pipeline = ForwardPipeline(stopwords=stopwords, stemmer=stemmer)
        types = Counter(stem for tokens in tokenized for stem in pipeline.stems_of_tokens(tokens))
        counts = tell_counts(types, stemmer)
        n = sum(types.values())
        rates[(stemmer, stopwords)] = {name: round(counts[name] / n, 6) for name in TELLS}
        print(f"{stemmer:>16} {stopwords:>8}: {n:,} tokens")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(f'"""Per-token rates of `detect.TELLS` under each (stemmer, stopword list), measured by\n'
                f'data/recipes/detect_rates.py on the first {args.articles} articles of {args.corpus.split("/")[-1]}'
                f' (training text). Generated: do not edit."""\n'
                f"RATES: dict[tuple[str, str], dict[str, float]] = {pprint.pformat(rates, width=118, sort_dicts=False)}\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
