"""The `destem detect` bar for pipelines in the wild: held-out articles made into inputs by the
pipelines of `wild_pipelines.py` (the model's own, Snowball's, the `isalpha` tutorial line, the
letters-only recipe of the R8/R52 corpora, gensim's `preprocess_string`, Porter with scikit-learn's,
spaCy's and the SMART system's lists, Lancaster, WordNet lemmas, no stemmer, and NLTK's list less
its negations); detect must name each property: punctuation, numbers and short words kept or
dropped, the stopword list, the stemmer, and whether restore handles the input (`restorable_as`).

    NLTK_DATA=DIR python -m destem.lab.detect_wild_bar --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz \
        --split validation --exclude eval/suites/data/wikitext2-test-detok.txt.gz --inputs 20 --per-input 5 \
        --out eval/results/detect/wild-validation.json

`--filters` instead measures what detect's thresholds for punctuation, numbers and short words rest
on, per article and per run of `--per-input` articles, for the pipelines that keep and that drop each
(`detect.read_filters`; on training articles: `--corpus ../shared/corpus/wiki-01.txt.gz --skip 300`).
WordNet lemmas need NLTK's WordNet (NLTK_DATA; `wild_pipelines.py`), gensim's pipeline gensim.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections import Counter

from destem.lab import article_choice as chosen
from destem.lab.wild_pipelines import Kind, kinds
from destem.model.locate import locate_model
from destem.text.detect import DIGIT, FITTED, PUNCTUATION, detect_documents, unmade_short_tokens
from destem.text.forward import pipeline_of_model

PROPERTIES = ("punctuation", "numbers", "short_words", "stopwords", "stemmer", "restorable_as")


def inputs_of(args: argparse.Namespace, count: int) -> tuple[list, list[list[str]]]:
    documents = chosen.select(args, count)
    if len(documents) < count:
        raise SystemExit(f"detect_wild_bar: {len(documents)} articles chosen, {count} needed")
    articles = [d.text.split("\n") for d in documents]
    return documents, [list(itertools.chain(*articles[i:i + args.per_input])) for i in range(0, count, args.per_input)]


def restorable_right(name: str | None, kind: Kind) -> bool:
    """Whether `restorable_as` named what restore should make of the kind: its pipeline, and for a list that
    keeps some of NLTK's words, that pipeline with some kept words named (which ones the text shows)."""
    if name is None or kind.restorable_as is None:
        return name == kind.restorable_as
    base, _, kept = name.partition("+")
    return base == kind.restorable_as and bool(kept) == bool(kind.keeps)


def bar(args: argparse.Namespace, made: list[Kind]) -> dict:
    model = pipeline_of_model(locate_model())
    count = args.inputs * args.per_input
    documents, inputs = inputs_of(args, count)
    rows, wrong = {}, []
    for kind in made:
        tally = Counter(dict.fromkeys(["inputs", *[f"{p} right" for p in PROPERTIES], "all right", "matches_model"],
                                      0))
        found_values = {p: Counter() for p in PROPERTIES}
        kept_named = Counter()
        for number, paragraphs in enumerate(inputs):
            found = detect_documents([kind.make(p) for p in paragraphs])
            named = {"punctuation": found.punctuation, "numbers": found.numbers, "short_words": found.short_words,
                     "stopwords": found.stopwords, "stemmer": found.stemmer,
                     "restorable_as": found.restorable_as(model)}
            expected = kind.expected | {"restorable_as": kind.restorable_as}
            tally["inputs"] += 1
            right = {p: named[p] == expected[p] for p in PROPERTIES} | {
                "restorable_as": restorable_right(named["restorable_as"], kind)}
            for p in PROPERTIES:
                tally[f"{p} right"] += right[p]
                found_values[p][str(named[p])] += 1
            tally["all right"] += all(right.values())
            tally["matches_model"] += found.matches(model)
            kept_named.update(set(found.stopwords_kept) & set(kind.keeps))
            if not all(right.values()):
                wrong.append({"kind": kind.name, "first_article": documents[number * args.per_input].doc_id,
                              "tokens": found.tokens_read,
                              "wrong": {p: named[p] for p in PROPERTIES if not right[p]},
                              "confidence": round(found.confidence, 3)})
        rows[kind.name] = {"expected": kind.expected | {"restorable_as": kind.restorable_as}, **tally,
                           "found": {p: dict(v) for p, v in found_values.items()}}
        if kind.keeps:
            rows[kind.name]["kept words named (inputs)"] = dict(kept_named.most_common())
        print(f"{kind.name:>50}: all right {tally['all right']}/{tally['inputs']}; "
              + ", ".join(f"{p} {tally[f'{p} right']}" for p in PROPERTIES), flush=True)
    return {"command": "python -m destem.lab.detect_wild_bar " + " ".join(sys.argv[1:]),
            "articles": chosen.described(args, documents), "articles_per_input": args.per_input, "kinds": rows,
            "all_right": sum(r["all right"] for r in rows.values()), "inputs": sum(r["inputs"] for r in rows.values()),
            "wrong": wrong}


def quantiles(values: list[float], at=(0, 0.01, 0.02, 0.05, 0.1, 0.5, 0.9, 0.95, 0.98, 0.99, 1)) -> dict[str, float]:
    values = sorted(values)
    return {f"{q:g}": round(values[min(len(values) - 1, int(q * len(values)))], 6) for q in at} if values else {}


def filters(args: argparse.Namespace, made: list[Kind]) -> dict:
    """Per kind, over single articles and runs of --per-input: the punctuation share, the lengths of the texts
    without a digit, the kinds of short token per 1,000 tokens (as `detect.read_filters` counts them), and the
    1-2-letter tokens the kind's stemmer makes of no longer word (`detect.unmade_short_tokens`)."""
    count = args.inputs * args.per_input
    documents, _ = inputs_of(args, count)
    report = {}
    for kind in made:
        rows = []
        for d in documents:
            tokens = " ".join(kind.make(p) for p in d.text.split("\n")).split()
            short = {t.lower() for t in tokens if len(t) <= 2 and t.isalpha()} - FITTED.short_stems
            rows.append((len(tokens), sum(bool(PUNCTUATION.search(t)) for t in tokens),
                         sum(bool(DIGIT.search(t)) for t in tokens), short,
                         unmade_short_tokens(Counter(t.lower() for t in tokens), kind.stemmer)))
        entry = {"expected": kind.expected}
        for m in sorted({1, args.per_input}):
            runs = [rows[i:i + m] for i in range(0, len(rows) - m + 1, m)]
            n = [sum(r[0] for r in run) for run in runs]
            punct = [sum(r[1] for r in run) / max(k, 1) for run, k in zip(runs, n)]
            no_digit = sorted(k for run, k in zip(runs, n) if not any(r[2] for r in run))
            short = [1000 * len(set().union(*(r[3] for r in run))) / max(k, 1) for run, k in zip(runs, n)]
            unmade = [sum(r[4] for r in run) for run in runs]
            entry[f"runs of {m}"] = {"texts": len(runs), "tokens median": sorted(n)[len(n) // 2],
                                     "punctuation share": quantiles(punct),
                                     "texts without a digit": len(no_digit), "their most tokens": no_digit[-3:],
                                     "short kinds per 1,000 tokens": quantiles(short),
                                     "short tokens the stemmer makes of no longer word": quantiles(unmade),
                                     "the same per 1,000 tokens": quantiles([1000 * u / max(k, 1)
                                                                             for u, k in zip(unmade, n)])}
        report[kind.name] = entry
        print(kind.name, json.dumps({k: v for k, v in entry.items() if k != "expected"}), flush=True)
    return {"command": "python -m destem.lab.detect_wild_bar " + " ".join(sys.argv[1:]),
            "articles": chosen.described(args, documents) | {"titles": "left out"}, "kinds": report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    chosen.add_options(parser)
    parser.add_argument("--inputs", type=int, default=20, help="inputs per kind (default: 20)")
    parser.add_argument("--per-input", type=int, default=5, help="consecutive articles in each input (default: 5)")
    parser.add_argument("--kinds", nargs="+", metavar="NAME", help="only these kinds (default: all)")
    parser.add_argument("--filters", action="store_true", help="measure the filters' thresholds instead")
    parser.add_argument("--out", required=True, metavar="FILE.json")
    args = parser.parse_args()
    made = [k for k in kinds() if not args.kinds or k.name in args.kinds]
    report = filters(args, made) if args.filters else bar(args, made)
    if not args.filters:
        print(f"{report['all_right']}/{report['inputs']} inputs with every property named right")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
