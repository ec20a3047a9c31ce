"""Restoring input that other pipelines made: held-out Wikipedia paragraphs stemmed by each of
`forward.PIPELINES`, written one paragraph a line to one file per pipeline, restored by `destem restore`
with no flags (detect decides the pipeline per file), and scored against the original paragraphs: cased
BLEU (sacrebleu) and the documents that stem back under the pipeline that made them.

    python -m destem.lab.pipelines_bar --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz --split validation \
        --exclude eval/suites/data/wikitext2-test-detok.txt.gz --paragraphs 150 --out eval/results/pipelines
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import sacrebleu

from destem.evaluation.bench import machine_info
from destem.lab import article_choice as chosen
from destem.text.forward import PIPELINES, STOPWORDS, stem_token, tokenize

MIN_WORDS = 20  # paragraphs shorter than this (headings, list items) are not taken


def isalpha_stems(text: str) -> str:
    """The common tutorial line: word_tokenize, keep w.isalpha(), drop NLTK's stopwords, Porter."""
    return " ".join(stem_token(w) for w in tokenize(text) if w.isalpha() and w.lower() not in STOPWORDS)


def letters_only_stems(text: str) -> str:
    """The recipe behind the R8/R52/20NG/WebKB stemmed corpora: lowercase, letters only, words under 3
    letters dropped, NLTK's stopwords dropped, Porter."""
    words = re.sub("[^a-z]", " ", text.lower()).split()
    return " ".join(stem_token(w) for w in words if len(w) >= 3 and w not in STOPWORDS)


# pipelines that restoring does not support yet, measured as `destem restore` restores them today (their
# input has no punctuation, so BLEU is also given lowercased)
OTHER_PIPELINES = {"isalpha": isalpha_stems, "letters-only": letters_only_stems}


def paragraphs_of(articles, count: int) -> list[str]:
    """The first `count` paragraphs of at least MIN_WORDS words, in corpus order."""
    found = []
    for article in articles:
        for paragraph in article.text.split("\n"):
            if len(paragraph.split()) >= MIN_WORDS and not paragraph.startswith("#"):
                found.append(paragraph.strip())
                if len(found) == count:
                    return found
    return found


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m destem.lab.pipelines_bar", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    chosen.add_options(parser)
    parser.add_argument("--paragraphs", type=int, default=150)
    parser.add_argument("--articles", type=int, default=400, help="articles read to find them (default: 400)")
    parser.add_argument("--out", required=True, help="results folder")
    args = parser.parse_args()
    articles = chosen.select(args, args.articles)
    paragraphs = paragraphs_of(articles, args.paragraphs)
    os.makedirs(args.out, exist_ok=True)
    rows = {}
    with tempfile.TemporaryDirectory() as work:
        for name, pipeline in PIPELINES.items():
            stems = [pipeline.stem_text(p) for p in paragraphs]
            source = os.path.join(work, f"{name}.stem.txt")
            with open(source, "w", encoding="utf-8") as f:
                f.write("\n".join(stems) + "\n")
            # no flags (as users restore), and for other pipelines also read as the model's own input
            for row, flags in ((name, []), (f"{name}, restored as destem", ["--pipeline", "destem"])):
                if flags and name == "destem":
                    continue
                target = os.path.join(work, f"{row}.txt")
                done = subprocess.run([sys.executable, "-m", "destem.cli", "restore", source, "-o", target, *flags],
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"{row}: destem restore failed: {done.stderr[-2000:]}")
                with open(target, encoding="utf-8") as f:
                    restored = f.read().splitlines()
                rows[row] = {"pipeline": pipeline.describe(), "flags": flags,
                             "bleu": round(sacrebleu.corpus_bleu(restored, [paragraphs]).score, 2),
                             "stem_back": sum(pipeline.stem_text(r) == s for r, s in zip(restored, stems)),
                             "documents": len(stems), "stderr": done.stderr.strip().splitlines()}
                print(f"{row}: BLEU {rows[row]['bleu']:.2f}; {rows[row]['stem_back']}/{len(stems)} stem back "
                      f"under {name}", flush=True)
        for name, stem_of in OTHER_PIPELINES.items():
            stems = [stem_of(p) for p in paragraphs]
            source, target = os.path.join(work, f"{name}.stem.txt"), os.path.join(work, f"{name}.txt")
            with open(source, "w", encoding="utf-8") as f:
                f.write("\n".join(stems) + "\n")
            done = subprocess.run([sys.executable, "-m", "destem.cli", "restore", source, "-o", target],
                                  capture_output=True, text=True)
            with open(target, encoding="utf-8") as f:
                restored = f.read().splitlines()
            rows[name] = {"pipeline": stem_of.__doc__.split(": ", 1)[-1].strip(), "flags": [],
                          "bleu": round(sacrebleu.corpus_bleu(restored, [paragraphs]).score, 2),
                          "bleu_lowercase": round(sacrebleu.corpus_bleu(restored, [paragraphs],
                                                                        lowercase=True).score, 2),
                          "stem_back": sum(stem_of(r) == s for r, s in zip(restored, stems)),
                          "documents": len(stems), "stderr": done.stderr.strip().splitlines()}
            print(f"{name}: BLEU {rows[name]['bleu']:.2f} (lowercase {rows[name]['bleu_lowercase']:.2f}); "
                  f"{rows[name]['stem_back']}/{len(stems)} stem back under {name}", flush=True)
    report = {"command": "python -m destem.lab.pipelines_bar " + " ".join(sys.argv[1:]),
              "articles": chosen.described(args, articles), "paragraphs": len(paragraphs),
              "machine": machine_info(["cpu"]), "rows": rows}
    with open(os.path.join(args.out, "pipelines.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
