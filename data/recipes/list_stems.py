"""Write pipeline/text/list_stems.json: the stems that Snowball's and Lancaster's stemmers and NLTK's
WordNet lemmatizer make of the words of `destem detect`'s fixed lists (NLTK's stopword lists, the
153/179-word lists' additions, and the other libraries' lists of stoplists.py), where a stem is not
the word itself.

    NLTK_DATA=DIR python data/recipes/list_stems.py

The lemmas need NLTK's WordNet (NLTK_DATA naming a folder with corpora/wordnet/, as
pipeline/lab/wild_pipelines.py says); without it the recipe keeps the shipped file's lemmas, and
says so.

`destem restore` runs detect on every input; NLTK's modules of those two stemmers import NLTK whole
(0.5-1.2 s), so detect reads their stems from this table (Porter's, from the module the forward
pipeline loads alone, it computes). tests/test_detect.py checks the table against the installed
NLTK and says to run this when they differ.
"""
from __future__ import annotations

import argparse
import json
from importlib.metadata import version
from pathlib import Path

from destem.text.forward import CONTRACTION_STEMS, NLTK_127_STOPWORDS, stemmer_function
from destem.text.stoplists import all_listed_words
from destem.text.textio import atomic_write

TABLED_STEMMERS = ("snowball-english", "lancaster", "wordnet-lemmas")
OUT = str(Path(__file__).resolve().parents[2] / "pipeline" / "text" / "list_stems.json")  # this checkout's


def listed_words() -> list[str]:
    return sorted(NLTK_127_STOPWORDS | CONTRACTION_STEMS | all_listed_words())


def changed_stems(stemmer: str) -> dict[str, str]:
    """{word: stem} for each listed word that `stemmer` changes, in word order."""
    if stemmer == "wordnet-lemmas":
        from nltk.stem import WordNetLemmatizer

        stem = WordNetLemmatizer().lemmatize
    else:
        stem = stemmer_function(stemmer)
    return {w: stem(w) for w in listed_words() if stem(w) != w}


def tables() -> dict[str, dict[str, str]]:
    made = {}
    for stemmer in TABLED_STEMMERS:
        try:
            made[stemmer] = changed_stems(stemmer)
        except LookupError:  # no WordNet: the shipped lemmas
            with open(OUT, encoding="utf-8") as f:
                made[stemmer] = json.load(f)["changed_stems"][stemmer]
            print(f"list_stems: NLTK finds no WordNet; {stemmer} kept as shipped")
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=OUT, help="the file written (default: pipeline/text/list_stems.json)")
    args = parser.parse_args()
    document = {"about": "The stems Snowball's and Lancaster's stemmers and WordNet's lemmatizer make of detect's "
                         "fixed lists, where a stem is not the word; written by data/recipes/list_stems.py. "
                         "Generated: do not edit.",
                "nltk": version("nltk"),
                "changed_stems": tables()}
    with atomic_write(args.out) as f:
        f.write(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
