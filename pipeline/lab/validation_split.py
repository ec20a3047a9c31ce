"""What the validation split of the shared corpus is, and what of the shipped model touched it.

    python -m destem.lab.validation_split --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz \
        --out eval/results/validation-split/split.json

The validation split is the articles `destem data build` holds out (`split_of(title, PairConfig())`:
1% of the titles by a SHA-1 hash with seed 0, the defaults every step of `data/recipes/default/` built
its pairs with). The shipped model's weights trained on training windows only, and its lexicon and
word LM were counted from the training split (`Lexicon.from_pairs(train)`, `destem data build-lm`
reads `["train"]`). This recipe reports:

- the validation articles per file, and whether any shares a title with the benchmark;
- a check that the lexicon and the word LM did not count them: words (letters only, lowercased)
  seen at least twice in validation articles and never in training articles must be in neither,
  while words seen twice in training articles only mostly are (the control);
- the validation articles other steps used, though not to train on: the 1,600 windows of
  `destem calibrate --confidence --corpus wiki-03 wiki-04 --windows 1600` (step 5: the temperatures
  of `--explain`'s probabilities; restored text does not depend on them), and the 2,000 random
  validation windows that `destem calibrate --pairs ... --windows 2000` chose the decoding settings
  on (steps 2 and 4: empty-gap bias, LM weight and bonus);
- which articles of the first published bars (wiki-04 from article 3,465) are validation articles,
  and the validation articles among the first 3,000 of wiki-01 (the text `detect_rates.py` measured).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
from collections import Counter

from destem.evaluation.calibrate import held_out_windows, split_by_article
from destem.model.locate import locate_model
from destem.restore.lexicon import Lexicon
from destem.restore.ngram import NgramLM
from destem.text.documents import expand_paths, read_documents
from destem.text.forward import stem_token
from destem.text.pairs import PairConfig, document_ids, document_windows, split_of

WORD = re.compile(r"[A-Za-z]+")
BENCHMARK = "eval/suites/data/wikitext2-test-detok.txt.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", nargs="+", required=True, help="the shared corpus files, in order")
    parser.add_argument("--model", default=locate_model())
    parser.add_argument("--out", required=True, metavar="FILE.json")
    args = parser.parse_args()
    config = PairConfig()
    files = expand_paths(args.corpus)
    per_file, valid_docs, train_words, valid_words = {}, [], Counter(), Counter()
    old_bar, rates_text = [], []
    for path in files:
        name = os.path.basename(path)
        count = 0
        for index, doc in enumerate(read_documents(path)):
            held = split_of(doc.doc_id, config) == "validation"
            (valid_words if held else train_words).update(w.lower() for w in WORD.findall(doc.text))
            if held:
                count += 1
                valid_docs.append((name, index, doc))
                if name == "wiki-04.txt.gz" and index >= 3465:
                    old_bar.append([index, doc.doc_id])
                if name == "wiki-01.txt.gz" and index < 3000:
                    rates_text.append([index, doc.doc_id])
        per_file[name] = count
        print(f"{name}: {count} validation articles", flush=True)
    titles = [doc.doc_id for _, _, doc in valid_docs]

    lexicon, lm = Lexicon.from_folder(args.model), NgramLM.load(args.model)

    def in_lexicon(word: str) -> bool:
        return word in {form.lower() for form in lexicon.variants(stem_token(word))}

    unseen = sorted(w for w, n in valid_words.items() if n >= 2 and train_words[w] == 0 and len(w) > 3)
    control = sorted(w for w, n in train_words.items() if n == 2 and valid_words[w] == 0 and len(w) > 3)
    control = random.Random(0).sample(control, min(2000, len(control)))

    # step 5: the confidence calibration's windows (as `destem calibrate --confidence` draws them)
    drawn = held_out_windows([p for p in files if os.path.basename(p) in ("wiki-03.txt.gz", "wiki-04.txt.gz")], 1600)
    confidence = {r["article"] for r in drawn}
    fit, check = split_by_article(drawn)  # the log says: fitted on 854 windows of 56 articles, checked on 746 (57)
    # steps 2 and 4: `validation_sample` of the pairs' validation split (its windows in corpus order)
    windows = [r for _, _, doc in valid_docs for r in document_windows(doc, config)]
    decoding = [windows[i] for i in random.Random(1).sample(range(len(windows)), min(2000, len(windows)))]
    decoding_articles = {r["article"] for r in decoding if r["verified"] and r["source"]}

    report = {
        "command": "python -m destem.lab.validation_split --corpus " + " ".join(args.corpus) + f" --out {args.out}",
        "split": {"valid_fraction": config.valid_fraction, "seed": config.seed},
        "validation_articles": len(titles), "per_file": per_file,
        "validation_windows": len(windows),
        "benchmark_titles_among_them": sorted(set(titles) & document_ids([BENCHMARK])),
        "lexicon_and_lm_check": {
            "validation_only_words": len(unseen), "of_them_in_lexicon": sum(map(in_lexicon, unseen)),
            "of_them_in_lm_vocabulary": sum(w in lm.ids for w in unseen), "examples": unseen[:12],
            "control_training_only_words_seen_twice": len(control),
            "control_in_lexicon": sum(map(in_lexicon, control)),
            "control_in_lm_vocabulary": sum(w in lm.ids for w in control)},
        "confidence_calibration_articles": len(confidence),
        "confidence_calibration_fit": {"windows": len(fit), "articles": len({r["article"] for r in fit})},
        "confidence_calibration_check": {"windows": len(check), "articles": len({r["article"] for r in check})},
        "decoding_calibration": {"windows": len(decoding), "articles": len(decoding_articles)},
        "first_published_bars_validation_articles": old_bar,
        "detect_rates_text_validation_articles": rates_text,
        "articles": [{"file": name, "index": index, "title": doc.doc_id,
                      "confidence_calibration": doc.doc_id in confidence,
                      "decoding_calibration": doc.doc_id in decoding_articles} for name, index, doc in valid_docs],
    }
    print(json.dumps({k: v for k, v in report.items() if k != "articles"}, indent=1, ensure_ascii=False))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
