"""Write pipeline/text/list_stems.py: the stem that each stemmer `destem detect` weighs makes of
each word of its fixed lists (the 127-word stopword list and the 153/179-word lists' additions).

    python data/recipes/list_stems.py

`destem restore` runs detect on every input; reading these stems from a table spares it NLTK's
package import (0.5-1.2 s), which Snowball's and Lancaster's stemmers pull in. tests/test_detect.py
checks the table against the installed NLTK, and says to run this when they differ.
"""
from __future__ import annotations

import argparse
import pprint
from importlib.metadata import version
from pathlib import Path

from pipeline.text.forward import CONTRACTION_STEMS, NLTK_127_STOPWORDS, STEMMERS, stemmer_function

LISTED_WORDS = sorted(NLTK_127_STOPWORDS | CONTRACTION_STEMS)


def list_stems() -> dict[str, dict[str, str]]:
    return {stemmer: {word: stemmer_function(stemmer)(word) for word in LISTED_WORDS} for stemmer in STEMMERS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(Path(__file__).parents[2] / "pipeline" / "text" / "list_stems.py"))
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(f'"""The stem each stemmer makes of each word of detect\'s fixed lists, as NLTK {version("nltk")} '
                'makes them;\nwritten by data/recipes/list_stems.py. Generated: do not edit."""\n')
        f.write(f"LIST_STEMS: dict[str, dict[str, str]] = {pprint.pformat(list_stems(), width=120, compact=True)}\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
