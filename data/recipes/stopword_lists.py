"""Write pipeline/text/stopword_lists.json: the English stopword lists other than NLTK's that stemmed
text in the wild was made with, copied from the libraries that ship them, for `destem detect` to
name (it imports none of those libraries).

    pip install gensim scikit-learn spacy   # in a scratch environment: only to copy their lists
    apt-get download r-cran-tm && dpkg-deb -x r-cran-tm_*.deb tm
    python data/recipes/stopword_lists.py --smart tm/usr/lib/R/site-library/tm/stopwords/SMART.dat

Each list keeps its source and licence. The SMART list comes from R's tm package (Debian's
r-cran-tm), which distributes it as the SMART information retrieval system's list; pass
`--keep LIST` to take a list from the shipped file instead of its library (where that library is not
installed).
"""
from __future__ import annotations

import argparse
import json
from importlib.metadata import version
from pathlib import Path

OUT = str(Path(__file__).resolve().parents[2] / "pipeline" / "text" / "stopword_lists.json")  # this checkout's
ABOUT = ("English stopword lists other than NLTK's, as their libraries ship them, which `destem detect` names; "
         "written by data/recipes/stopword_lists.py. Generated: do not edit.")


def gensim_list() -> dict:
    from gensim.parsing.preprocessing import STOPWORDS

    return {"source": f"gensim {version('gensim')}: gensim.parsing.preprocessing.STOPWORDS", "licence": "LGPL-2.1",
            "words": sorted(STOPWORDS)}


def sklearn_list() -> dict:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return {"source": f"scikit-learn {version('scikit-learn')}: sklearn.feature_extraction.text.ENGLISH_STOP_WORDS "
                      "(from the Glasgow Information Retrieval Group's list)", "licence": "BSD-3-Clause",
            "words": sorted(ENGLISH_STOP_WORDS)}


def spacy_list() -> dict:
    from spacy.lang.en.stop_words import STOP_WORDS

    return {"source": f"spaCy {version('spacy')}: spacy.lang.en.stop_words.STOP_WORDS", "licence": "MIT",
            "words": sorted(STOP_WORDS)}


def smart_list(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        words = sorted({line.strip() for line in f if line.strip()})
    return {"source": "the SMART information retrieval system's English list (Cornell; published as appendix 11 of "
                      "Lewis et al. 2004, 'RCV1', JMLR 5), as R's tm package distributes it (stopwords/SMART.dat, "
                      "Debian r-cran-tm 0.7-11) and the `stopwords` R package as source \"smart\"",
            "licence": "no licence of its own stated (tm, which distributes it, is GPL-3)", "words": words}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smart", metavar="SMART.dat", help="tm's SMART.dat (one word a line)")
    parser.add_argument("--keep", nargs="*", default=[], choices=["gensim", "smart", "sklearn", "spacy"],
                        help="lists taken from the shipped file as they are")
    parser.add_argument("--out", default=OUT, help="the file written (default: pipeline/text/stopword_lists.json)")
    args = parser.parse_args()
    shipped = json.loads(Path(OUT).read_text(encoding="utf-8"))["lists"] if args.keep else {}
    makers = {"gensim": gensim_list, "smart": lambda: smart_list(args.smart), "sklearn": sklearn_list,
              "spacy": spacy_list}  # stoplists.OTHER_LISTS
    if "smart" not in args.keep and not args.smart:
        parser.error("--smart SMART.dat is needed (or --keep smart)")
    lists = {name: shipped[name] if name in args.keep else make() for name, make in makers.items()}
    document = {"about": ABOUT, "lists": lists}
    Path(args.out).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: " + ", ".join(f"{name} {len(v['words'])} words" for name, v in lists.items()))


if __name__ == "__main__":
    main()
