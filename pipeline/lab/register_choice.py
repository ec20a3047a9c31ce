"""How well the stem profiles read an input's register: documents of each register, as one file and one
by one, and which register (so which model) `destem restore` would take them to, at several weights of a
register's own frequencies. The documents: Wikipedia articles of a corpus file and the register training
documents past what the general model's mix took (neither the evaluation sets: `--eval` adds those, to
report, not to choose by).

    python -m destem.lab.register_choice --wiki ../shared/corpus/wiki-03.txt.gz --registers .cache/registers \
        --mix-counts .cache/general/mix.json --eval --out eval/results/registers/choice.json
"""
from __future__ import annotations

import argparse
import glob
import itertools
import json
import os
import sys
from collections import Counter

from destem.model.locate import DEFAULT_MODEL, GENERAL_MODEL, locate_model
from destem.model.stem_profile import StemProfiles
from destem.text.documents import read_documents
from destem.text.forward import stem_text

REGISTERS = ("fiction", "forum", "speeches", "science", "howto", "news")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wiki", required=True, help="a Wikipedia corpus file (articles not in the mix)")
    parser.add_argument("--registers", required=True, help="folder of <register>.train.txt.gz")
    parser.add_argument("--mix-counts", required=True, help="mix.json: documents the mix took of each register")
    parser.add_argument("--documents", type=int, default=40, help="documents of each register (Wikipedia: 1.5x)")
    parser.add_argument("--weights", default="0.5,0.8,0.95", help="weights of a register's own frequencies")
    parser.add_argument("--eval", action="store_true", help="also the evaluation sets (eval/suites/data/registers)")
    parser.add_argument("--out", required=True, help="JSON report")
    args = parser.parse_args()
    profiles = StemProfiles.read(locate_model(GENERAL_MODEL)).merged(StemProfiles.read(locate_model(DEFAULT_MODEL)))
    with open(args.mix_counts) as f:
        taken = {name: part["documents"] for name, part in json.load(f).items()}
    sets = {"wikipedia": list(itertools.islice(read_documents(args.wiki), args.documents * 3 // 2))}
    for name in REGISTERS:
        path = os.path.join(args.registers, f"{name}.train.txt.gz")
        past = taken.get(name, 0)  # the mix took a register's first documents
        sets[name] = list(itertools.islice(read_documents(path), past, past + args.documents))
    if args.eval:
        for path in sorted(glob.glob("eval/suites/data/registers/*.txt.gz")):
            sets["eval " + os.path.basename(path).split(".")[0]] = list(read_documents(path))
    report = {"weights": {}}
    for weight in (float(w) for w in args.weights.split(",")):
        rows = report["weights"][str(weight)] = {}
        for name, documents in sets.items():
            stems = [s for s in (stem_text(" ".join(d.text.split("\n"))) for d in documents) if s.split()]
            if not stems:
                continue
            register, bits = profiles.nearest(stems, weight)
            rows[name] = {"documents": len(stems), "as one file": register,
                          "bits a stem": {r: round(b, 3) for r, b in sorted(bits.items(), key=lambda x: x[1])},
                          "one by one": dict(Counter(profiles.nearest([s], weight)[0] for s in stems).most_common())}
            print(f"{weight} {name:16s} {register:9s} {rows[name]['one by one']}", file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
