"""Does every paragraph keep a punctuation token through destem's pipeline? Paragraphs of Wikipedia
articles (corpus format, headings left out), stemmed by destem's own pipeline, counted by length in
tokens, with those that hold no token with ASCII punctuation: what lets `destem detect` read a short
text without punctuation as punctuation dropped (`detect.MIN_TOKENS_PUNCTUATION`).

    python -m destem.lab.paragraph_punctuation --corpus ../shared/corpus/wiki-01.txt.gz --skip 3000 \
        --articles 600 --out eval/results/detect/paragraph-punctuation.json
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter

from destem.text.detect import PUNCTUATION
from destem.text.documents import read_documents
from destem.text.forward import stem_text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True, help="a corpus file")
    parser.add_argument("--skip", type=int, default=0, help="articles skipped first")
    parser.add_argument("--articles", type=int, default=600, help="articles read")
    parser.add_argument("--out", required=True, help="JSON report")
    args = parser.parse_args()
    paragraphs, without = Counter(), Counter()
    for doc in itertools.islice(read_documents(args.corpus), args.skip, args.skip + args.articles):
        for paragraph in doc.text.split("\n"):
            if paragraph.startswith("#") or not paragraph.strip():
                continue
            tokens = stem_text(paragraph).split()
            bucket = f"{min(len(tokens) // 10 * 10, 60)}+" if len(tokens) >= 60 else f"{len(tokens) // 10 * 10}-"
            paragraphs[bucket] += 1
            without[bucket] += not any(PUNCTUATION.search(t) for t in tokens)
    report = {"command": "python -m destem.lab.paragraph_punctuation " + " ".join(sys.argv[1:]),
              "paragraphs": sum(paragraphs.values()), "without punctuation": sum(without.values()),
              "by tokens (tens)": {b: {"paragraphs": paragraphs[b], "without punctuation": without[b]}
                                   for b in sorted(paragraphs, key=lambda b: int(b.rstrip("+-")))}}
    print(json.dumps(report, indent=1))
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
