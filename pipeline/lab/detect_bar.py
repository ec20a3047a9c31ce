"""The `destem detect` bar: held-out articles made into inputs by every stemmer x stopword list
(and left as plain prose); detect must name the stemmer and the stopword list of each, and
`matches_model` must hold only for the default model's own pipeline.

    python -m destem.lab.detect_bar --corpus ../shared/corpus/wiki-0{0,2,3,4}.txt.gz --split validation \
        --exclude eval/suites/data/wikitext2-test-detok.txt.gz --inputs 20 --per-input 5 \
        --out eval/results/detect/bar-validation.json

Held out means the validation split (`--split validation`, `article_choice.py`): articles the shipped
model never trained on, from files other than wiki-01, whose first 3,000 articles the rates detect
expects were measured on (`detect_rates.py`). (The first published run took wiki-04 from article
3,465 on without `--split`: text the model trained on, though not the rates.) Each input is
`--per-input` consecutive articles, one line a paragraph, as a user's file would be. The
127- and 179-word lists differ only in words like "won", "m", "d", which many single articles do
not have: then the two inputs are the same text, no detector can tell them apart, and the bar
leaves such inputs out (counted as "same text as nltk-179").
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections import Counter
from dataclasses import replace

from destem.lab import article_choice as chosen
from destem.model.locate import locate_model
from destem.text.detect import detect_documents
from destem.text.forward import STEMMERS, STOPWORD_LISTS, ForwardPipeline, pipeline_of_model

PLAIN_PROSE = "plain prose"


def kinds() -> list[tuple[str, ForwardPipeline | None]]:
    """Every stemmer (but "none") x stopword list, and plain prose (None: the text as it is)."""
    made = [(f"{stemmer} / {stopwords}", ForwardPipeline(stopwords=stopwords, stemmer=stemmer))
            for stemmer, stopwords in itertools.product(STEMMERS[:-1], STOPWORD_LISTS)]
    return made + [(PLAIN_PROSE, None)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    chosen.add_options(parser)
    parser.add_argument("--inputs", type=int, default=20, help="inputs per kind (default: 20)")
    parser.add_argument("--per-input", type=int, default=5, help="consecutive articles in each input (default: 5)")
    parser.add_argument("--out", required=True, metavar="FILE.json")
    args = parser.parse_args()
    model = pipeline_of_model(locate_model())
    count = args.inputs * args.per_input
    documents = chosen.select(args, count)
    if len(documents) < count:
        raise SystemExit(f"detect_bar: {len(documents)} articles chosen, {count} needed")
    articles = [d.text.split("\n") for d in documents]
    inputs = [list(itertools.chain(*articles[i:i + args.per_input])) for i in range(0, count, args.per_input)]
    rows, wrong = {}, []
    for name, pipeline in kinds():
        expected = ("none", "none") if pipeline is None else (pipeline.stemmer, pipeline.stopwords)
        tally = Counter(dict.fromkeys(["inputs", "stemmer right", "stopwords right", "both right", "matches_model"], 0))
        for number, paragraphs in enumerate(inputs):
            lines = paragraphs if pipeline is None else [pipeline.stem_text(p) for p in paragraphs]
            if pipeline is not None and pipeline.stopwords == "nltk-127" and lines == [
                    replace(pipeline, stopwords="nltk-179").stem_text(p) for p in paragraphs]:
                tally["same text as nltk-179 (left out)"] += 1  # no "won", "m", "d": nothing to tell by
                continue
            found = detect_documents(lines)
            right = (found.stemmer, found.stopwords) == expected
            tally["inputs"] += 1
            tally["stemmer right"] += found.stemmer == expected[0]
            tally["stopwords right"] += found.stopwords == expected[1]
            tally["both right"] += right
            tally["matches_model"] += found.matches(model)
            if not right:
                wrong.append({"kind": name, "first_article": documents[number * args.per_input].doc_id,
                              "tokens": found.tokens_read, "found": [found.stemmer, found.stopwords],
                              "confidence": round(found.confidence, 3)})
        rows[name] = dict(tally)
        print(f"{name:>30}: {tally['both right']}/{tally['inputs']} right, matches_model {tally['matches_model']}")
    model_kind = f"{model.stemmer} / {model.stopwords}"
    report = {"command": "python -m destem.lab.detect_bar " + " ".join(sys.argv[1:]),
              "articles": chosen.described(args, documents), "articles_per_input": args.per_input, "kinds": rows,
              "all_right": sum(r["both right"] for r in rows.values()),
              "inputs": sum(r["inputs"] for r in rows.values()),
              "matches_model_only_for_default": all(r["matches_model"] == (r["inputs"] if k == model_kind else 0)
                                                    for k, r in rows.items()),
              "wrong": wrong}
    print(f"{report['all_right']}/{report['inputs']} inputs named right; matches_model only for the default's "
          f"pipeline: {report['matches_model_only_for_default']}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
