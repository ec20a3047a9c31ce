"""What punctuation is worth to punctuation-free input: held-out Wikipedia paragraphs stemmed by the
isalpha line, restored in two passes as `destem restore` does with both
models installed (`restore/two_pass.py`: the general model, then the default re-reading its text's stems
with the punctuation it wrote), and again with the second pass handed the original paragraph's
punctuation of some kinds in place of the general model's guesses. Each row is scored in cased BLEU
against the paragraphs; the last ("every kind") is what a perfect punctuator would let the default
restore. Also the general model's precision and recall per punctuation mark, gap by gap. (Not the
letters-only recipe: it reads words where Treebank reads tokens, and drops short ones, so the original's
marks cannot be put between its stems for most paragraphs.)

    python -m destem.lab.punctuation_oracle --corpus ../shared/corpus/wiki-0{0,1,2,3,4}.txt.gz \\
        --split validation --exclude eval/suites/data/wikitext2-test-detok.txt.gz --paragraphs 150 \\
        --out eval/results/pipelines/punctuation-oracle.json
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

import sacrebleu

from destem.evaluation.bench import machine_info
from destem.lab import article_choice as chosen
from destem.lab.pipelines_bar import add_paragraph_options, chosen_paragraphs
from destem.model.locate import locate_model
from destem.restore.restorer import Restorer
from destem.restore.two_pass import punctuated_pipeline
from destem.text.forward import PIPELINES

KINDS = {"none (the general model's own marks)": set(), "full stops": {"."}, "commas": {","},
         "full stops and commas": {".", ","}, "quotation marks": {"``", "''"}, "brackets": {"(", ")"},
         "every kind": None}
MARKS = [".", ",", "``", "''", "(", ")", ":", ";"]


def is_mark(token: str) -> bool:
    return not any(c.isalnum() for c in token)


def gaps_of(stems: str) -> tuple[list[str], list[list[str]]]:
    """The stems the punctuation-free input keeps (letters only) and the tokens before each (marks,
    clitics, numbers), then the tail's."""
    words, gaps, gap = [], [], []
    for token in stems.split():
        if token.isalpha():
            words.append(token)
            gaps.append(gap)
            gap = []
        else:
            gap.append(token)
    return words, gaps + [gap]


def with_marks(guessed: str, original: str, kinds: set[str] | None) -> str | None:
    """`guessed` stems with the marks of `kinds` (None: every mark) as in `original`, its other tokens
    (clitics: "'s") as guessed; None where their letter stems differ."""
    words, guessed_gaps = gaps_of(guessed)
    original_words, original_gaps = gaps_of(original)
    if words != original_words:
        return None
    tokens = []
    for n, (mine, theirs) in enumerate(zip(guessed_gaps, original_gaps)):
        given = [t for t in theirs if is_mark(t) and (kinds is None or t in kinds)]
        tokens += [t for t in mine if not is_mark(t)] + given
        tokens += [t for t in mine if is_mark(t) and kinds is not None and t not in kinds]
        if n < len(words):
            tokens.append(words[n])
    return " ".join(tokens)


def mark_scores(guessed: list[str], original: list[str]) -> dict[str, dict]:
    """Per mark: its occurrences in the originals, and the guesses' precision and recall, gap by gap."""
    counts: Counter = Counter()
    for mine, theirs in zip(guessed, original):
        for gap, gold in zip(gaps_of(mine)[1], gaps_of(theirs)[1]):
            for mark in MARKS:
                right = min(gap.count(mark), gold.count(mark))
                counts[mark, "right"] += right
                counts[mark, "guessed"] += gap.count(mark)
                counts[mark, "gold"] += gold.count(mark)
    return {mark: {"occurrences": counts[mark, "gold"],
                   "precision": round(counts[mark, "right"] / max(1, counts[mark, "guessed"]), 3),
                   "recall": round(counts[mark, "right"] / max(1, counts[mark, "gold"]), 3)} for mark in MARKS}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m destem.lab.punctuation_oracle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_paragraph_options(parser)
    parser.add_argument("--out", required=True, help="results file (JSON)")
    args = parser.parse_args()
    articles, paragraphs = chosen_paragraphs(args)
    pipeline = PIPELINES["isalpha"]
    punctuated = punctuated_pipeline(pipeline)
    general, default = (Restorer.from_pretrained(locate_model(name), device="cpu", precision="fp32")
                        for name in ("general", "default"))
    firsts = general.restore_documents([pipeline.stem_text(p) for p in paragraphs], pipeline=pipeline)
    guessed = [punctuated.stem_text(r.text) for r in firsts]
    original = [punctuated.stem_text(p) for p in paragraphs]
    rows = {"the general model alone (one pass)": {"bleu": round(sacrebleu.corpus_bleu(
        [r.text for r in firsts], [paragraphs]).score, 2)}}
    for name, kinds in KINDS.items():
        inputs = [with_marks(mine, theirs, kinds) for mine, theirs in zip(guessed, original)]
        second = default.restore_documents([i if i is not None else mine for i, mine in zip(inputs, guessed)],
                                           pipeline=punctuated)
        row = f"second pass given the original's {name}"
        rows[row] = {"bleu": round(sacrebleu.corpus_bleu([r.text for r in second], [paragraphs]).score, 2),
                     "paragraphs_given_marks": sum(i is not None for i in inputs)}
        print(f"{row}: BLEU {rows[row]['bleu']:.2f}", flush=True)
    report = {"command": "python -m destem.lab.punctuation_oracle " + " ".join(sys.argv[1:]),
              "articles": chosen.described(args, articles), "paragraphs": len(paragraphs),
              "pipeline": "isalpha", "machine": machine_info(["cpu"]), "rows": rows,
              "general_model_marks": mark_scores(guessed, original)}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
