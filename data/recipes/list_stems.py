"""Write pipeline/text/list_stems.py: the stems that Snowball's and Lancaster's stemmers make of the
words of `destem detect`'s fixed lists (the 127-word stopword list and the 153/179-word lists'
additions), where a stem is not the word itself.

    python data/recipes/list_stems.py

`destem restore` runs detect on every input; NLTK's modules of those two stemmers import NLTK whole
(0.5-1.2 s), so detect reads their stems from this table (Porter's, from the module the forward
pipeline loads alone, it computes). tests/test_detect.py checks the table against the installed
NLTK and says to run this when they differ.
"""
from __future__ import annotations

import argparse
import textwrap
from importlib.metadata import version
from pathlib import Path

from destem.text.forward import CONTRACTION_STEMS, NLTK_127_STOPWORDS, stemmer_function

TABLED_STEMMERS = ("snowball-english", "lancaster")


def changed_stems(stemmer: str) -> str:
    """"word=stem" for each listed word that `stemmer` changes, space-separated."""
    stem = stemmer_function(stemmer)
    return " ".join(f"{w}={stem(w)}" for w in sorted(NLTK_127_STOPWORDS | CONTRACTION_STEMS) if stem(w) != w)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(Path(__file__).parents[2] / "pipeline" / "text" / "list_stems.py"))
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(f'"""The stems Snowball\'s and Lancaster\'s stemmers make of detect\'s fixed lists, as NLTK {version("nltk")} '
                'makes them,\nwhere a stem is not the word; written by data/recipes/list_stems.py. Generated: do not edit."""\n')
        f.write("CHANGED_STEMS: dict[str, str] = {\n")
        for stemmer in TABLED_STEMMERS:
            lines = textwrap.wrap(changed_stems(stemmer), 100, break_on_hyphens=False)
            f.write(f"    {stemmer!r}: (\n" + "".join(f"        {line + ' '!r}\n" for line in lines) + "    ),\n")
        f.write("}\n")
        f.write("LIST_STEMS = {stemmer: dict(pair.split(\"=\") for pair in pairs.split())\n"
                "              for stemmer, pairs in CHANGED_STEMS.items()}\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
