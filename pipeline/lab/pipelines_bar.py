"""Restoring input that other pipelines made: held-out Wikipedia paragraphs stemmed by each of
`forward.PIPELINES`, written one paragraph a line to one file per pipeline, restored by `destem restore`
with no flags (detect decides the pipeline per file), and scored against the original paragraphs: cased
BLEU (sacrebleu) and the documents that stem back under the pipeline that made them. With --ceiling, no
model: how much of each paragraph each pipeline leaves restorable, the text a perfect restorer could write
(every kept token, and every dropped one a gap can put back: stopwords, clitics, punctuation) scored the same
way, to `ceiling.json`: what the isalpha line and the letters-only recipe lose for good (numbers, hyphenated
and dotted words, short words) caps their BLEU, not the model. With --paragraph-files, each paragraph is
its own file in a folder restored by one `destem restore DIR -o OUT` with no flags, so that each file's
pipeline, and with both models installed its model, is chosen from one paragraph, as a user's folder of
short notes is; the rows are named "NAME, a file a paragraph".

    python -m destem.lab.pipelines_bar --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz --split validation \
        --exclude eval/suites/data/wikitext2-test-detok.txt.gz --paragraphs 150 --out eval/results/pipelines
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import sacrebleu

from destem.evaluation.bench import machine_info
from destem.lab import article_choice as chosen
from destem.model.device import PRECISIONS
from destem.model.labels import gap_key
from destem.text.align import PARAGRAPH, align_document
from destem.text.detok import detokenize
from destem.text.forward import PIPELINES

MIN_WORDS = 20  # paragraphs shorter than this (headings, list items) are not taken


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


def add_paragraph_options(parser) -> None:
    """The options that choose the paragraphs (`chosen_paragraphs`): which articles, how many paragraphs."""
    chosen.add_options(parser)
    parser.add_argument("--paragraphs", type=int, default=150)
    parser.add_argument("--articles", type=int, default=400, help="articles read to find them (default: 400)")


def chosen_paragraphs(args) -> tuple[list, list[str]]:
    """The articles read and the paragraphs taken, as `add_paragraph_options`' options say."""
    articles = chosen.select(args, args.articles)
    return articles, paragraphs_of(articles, args.paragraphs)


def ceiling_text(paragraph: str, keep: str, gap_labels: set[str] | None = None) -> str:
    """The paragraph as a perfect restorer of input that keeps `keep` tokens could write it; with
    `gap_labels`, one that can put back only the gaps those labels name (the others left empty)."""
    aligned = align_document(paragraph, keep)
    gaps = [*aligned.gaps, aligned.tail]
    if gap_labels is not None:
        gaps = [gap if gap_key(" ".join(gap)) in gap_labels else [] for gap in gaps]
    tokens = [t for gap, word in zip(gaps, aligned.words) for t in (*gap, word)] + gaps[-1]
    return detokenize([t for t in tokens if t != PARAGRAPH])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m destem.lab.pipelines_bar", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_paragraph_options(parser)
    parser.add_argument("--out", required=True, help="results folder")
    parser.add_argument("--model", help="model folder or name (default: the installed default)")
    parser.add_argument("--ceiling", action="store_true", help="no model: each pipeline's ceiling (above)")
    parser.add_argument("--paragraph-files", action="store_true", help="each paragraph its own file (above)")
    parser.add_argument("--precision", default="fp32", choices=PRECISIONS,
                        help="restore --precision (default: fp32, the same on every CPU)")
    args = parser.parse_args()
    model = ["--model", args.model] if args.model else []
    articles, paragraphs = chosen_paragraphs(args)
    os.makedirs(args.out, exist_ok=True)
    described = {"command": "python -m destem.lab.pipelines_bar " + " ".join(sys.argv[1:]),
                 "articles": chosen.described(args, articles), "paragraphs": len(paragraphs)}
    if args.ceiling:
        ceilings = {name: round(sacrebleu.corpus_bleu([ceiling_text(p, pipeline.keep) for p in paragraphs],
                                                      [paragraphs]).score, 2) for name, pipeline in PIPELINES.items()}
        print("ceiling BLEU: " + ", ".join(f"{name} {bleu:.2f}" for name, bleu in ceilings.items()))
        with open(os.path.join(args.out, "ceiling.json"), "w", encoding="utf-8") as f:
            json.dump({**described, "ceiling_bleu": ceilings}, f, indent=1, ensure_ascii=False)
        return 0
    rows = {}
    with tempfile.TemporaryDirectory() as work:
        for name, pipeline in PIPELINES.items():
            stems = [pipeline.stem_text(p) for p in paragraphs]
            source = os.path.join(work, name if args.paragraph_files else f"{name}.stem.txt")
            files = ([(os.path.join(source, f"{i:05d}.txt"), [line]) for i, line in enumerate(stems)]
                     if args.paragraph_files else [(source, stems)])
            if args.paragraph_files:
                os.makedirs(source)
            for path, lines in files:
                with open(path, "w", encoding="utf-8") as f:
                    f.write("\n".join(lines) + "\n")
            # no flags (as users restore), and for other pipelines also read as the model's own input
            runs = ([(f"{name}, a file a paragraph", [])] if args.paragraph_files else
                    [(name, []), (f"{name}, restored as destem", ["--pipeline", "destem"])])
            for row, flags in runs:
                if flags and name == "destem":
                    continue
                target = os.path.join(work, f"{name}-out" if args.paragraph_files else f"{row}.txt")
                done = subprocess.run([sys.executable, "-m", "destem.cli", "restore", source, "-o", target, *model,
                                       "--precision", args.precision, *flags], capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"{row}: destem restore failed: {done.stderr[-2000:]}")
                outputs = ([os.path.join(target, os.path.basename(path)) for path, _ in files]
                           if args.paragraph_files else [target])
                restored = []
                for path in outputs:
                    with open(path, encoding="utf-8") as f:
                        restored += f.read().splitlines()
                rows[row] = {"pipeline": pipeline.describe(), "flags": flags,
                             "bleu": round(sacrebleu.corpus_bleu(restored, [paragraphs]).score, 2),
                             "bleu_lowercase": round(sacrebleu.corpus_bleu(restored, [paragraphs],
                                                                           lowercase=True).score, 2),
                             "stem_back": sum(pipeline.stem_text(r) == s for r, s in zip(restored, stems)),
                             "documents": len(stems), "stderr": done.stderr.strip().splitlines(),
                             "files_to_the_general_model": done.stderr.count("with the installed model 'general'")}
                print(f"{row}: BLEU {rows[row]['bleu']:.2f} (lowercase {rows[row]['bleu_lowercase']:.2f}); "
                      f"{rows[row]['stem_back']}/{len(stems)} stem back under {name}", flush=True)
    report = {**described, "model": args.model or "default", "precision": args.precision,
              "machine": machine_info(["cpu"]), "rows": rows}
    with open(os.path.join(args.out, "pipelines.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
