"""How much of what each input pipeline drops a model's gap labels can say: the held-out Wikipedia
paragraphs of `pipelines_bar`, aligned under each pipeline, and the share of their gaps (the dropped tokens
before each stem, and after the last) whose label is not among the model's `gap_labels`, by gaps and by
the dropped tokens in them; and the ceiling of `pipelines_bar --ceiling` with only the labelled gaps put
back (BLEU of the best text the label set can write). A gap outside the label set cannot come back whole,
whatever the tagger learns: punctuation-free input drops punctuation and stopwords into one gap
(", such as `` the"), so its gaps are longer and rarer than destem's own.

    python -m destem.lab.gap_coverage --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz --split validation \
        --exclude eval/suites/data/wikitext2-test-detok.txt.gz --model models/general \
        --out eval/results/pipelines/gap-coverage.json
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

import sacrebleu

from destem.lab import article_choice as chosen
from destem.lab.pipelines_bar import add_paragraph_options, ceiling_text, chosen_paragraphs
from destem.model.labels import gap_key
from destem.model.locate import locate_model
from destem.text.align import align_document
from destem.text.forward import PIPELINES


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m destem.lab.gap_coverage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_paragraph_options(parser)
    parser.add_argument("--model", default="default", help="model folder or installed name (default: default)")
    parser.add_argument("--out", required=True, help="a JSON file")
    args = parser.parse_args()
    model_dir = locate_model(args.model)
    with open(f"{model_dir}/config.json", encoding="utf-8") as f:
        labels = set(json.load(f)["gap_labels"])
    articles, paragraphs = chosen_paragraphs(args)
    rows = {}
    for name, pipeline in PIPELINES.items():
        gaps = tokens = missing_gaps = missing_tokens = 0
        missing = Counter()
        for paragraph in paragraphs:
            aligned = align_document(paragraph, pipeline.keep)
            for gap in [*aligned.gaps, aligned.tail]:
                key = gap_key(" ".join(gap))
                gaps += 1
                tokens += len(gap)
                if key not in labels:
                    missing_gaps += 1
                    missing_tokens += len(gap)
                    missing[key] += 1
        rows[name] = {"pipeline": pipeline.describe(), "gaps": gaps, "gaps_without_a_label": missing_gaps,
                      "dropped_tokens": tokens, "dropped_tokens_in_gaps_without_a_label": missing_tokens,
                      "share_of_dropped_tokens": round(missing_tokens / max(tokens, 1), 4),
                      "ceiling_bleu": round(sacrebleu.corpus_bleu([ceiling_text(p, pipeline.keep) for p in paragraphs],
                                                                  [paragraphs]).score, 2),
                      "ceiling_bleu_labelled_gaps_only": round(sacrebleu.corpus_bleu(
                          [ceiling_text(p, pipeline.keep, labels) for p in paragraphs], [paragraphs]).score, 2),
                      "commonest_gaps_without_a_label": missing.most_common(20)}
        print(f"{name}: {missing_gaps} of {gaps} gaps ({missing_gaps / max(gaps, 1):.1%}) and {missing_tokens} of "
              f"{tokens} dropped tokens ({missing_tokens / max(tokens, 1):.1%}) have no label; ceiling BLEU "
              f"{rows[name]['ceiling_bleu']}, with the labelled gaps only "
              f"{rows[name]['ceiling_bleu_labelled_gaps_only']}")
    report = {"command": "python -m destem.lab.gap_coverage " + " ".join(sys.argv[1:]),
              "model": args.model, "gap_labels": len(labels), "articles": chosen.described(args, articles),
              "paragraphs": len(paragraphs), "rows": rows}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
