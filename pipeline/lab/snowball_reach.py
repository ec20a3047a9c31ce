"""Which of the lexicon's words Snowball input can reach: every lowercase alphabetic form of a model's
lexicon, weighed by its count, stemmed by Snowball and by Porter. Restoring Snowball input looks a stem's
words up under Porter stems (`restore.restorer.porter_keys`); a form whose Porter stem is not among them
cannot come back. Reports that share with the stem and its own Porter stem alone, and with each ending
of OTHER_STEMMER_ENDINGS added, and the endings that part the two stemmers among the forms left out.

    python -m destem.lab.snowball_reach --out eval/results/pipelines/snowball-reach.json
"""
from __future__ import annotations

import argparse
import json
from collections import Counter

from nltk.stem.snowball import SnowballStemmer

from destem.model.locate import locate_model
from destem.restore.lexicon import Lexicon
from destem.restore.restorer import porter_keys
from destem.text.forward import stem_token

SNOWBALL = "snowball-english"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m destem.lab.snowball_reach", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default", help="model folder or installed name (default: default)")
    parser.add_argument("--out", required=True, help="a JSON file")
    args = parser.parse_args()
    lexicon = Lexicon.from_folder(locate_model(args.model))
    counts = Counter()
    for _, forms in lexicon.items():
        for form, count in forms.items():
            if form.isalpha():
                counts[form.lower()] += count
    snowball = SnowballStemmer("english").stem
    total = unreached_alone = unreached = 0
    endings_left_out = Counter()
    for form, count in counts.items():
        stem, porter = snowball(form), stem_token(form)
        total += count
        if porter not in porter_keys(stem, "none"):  # a stemmer without endings: the stem and its Porter stem
            unreached_alone += count
        if porter not in porter_keys(stem, SNOWBALL):
            unreached += count
            endings_left_out[form[len(stem):] if form.startswith(stem) else "(other)"] += count
    report = {"command": "python -m destem.lab.snowball_reach --out " + args.out, "model": args.model,
              "occurrences": total, "unreached_by_the_stem_and_its_porter_stem": unreached_alone,
              "unreached_with_the_endings": unreached,
              "share_unreached_alone": round(unreached_alone / total, 5),
              "share_unreached_with_the_endings": round(unreached / total, 5),
              "share_of_the_unreached_now_reached": round(1 - unreached / max(unreached_alone, 1), 4),
              "endings_still_unreached": endings_left_out.most_common(15)}
    print(json.dumps({k: v for k, v in report.items() if k != "endings_still_unreached"}, indent=1))
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
