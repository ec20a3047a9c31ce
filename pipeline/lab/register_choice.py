"""How well the stem profiles read an input's register: documents of each register, as one file, one
by one and paragraph by paragraph, and which register (so which model) `destem restore` would take
them to, at several weights of a register's own frequencies. The documents: Wikipedia articles of a
corpus file and the register training documents past what the general model's mix took (neither the
evaluation sets: `--eval` adds those, to report, not to choose by).

    python -m destem.lab.register_choice --wiki ../shared/corpus/wiki-03.txt.gz --registers .cache/registers \
        --mix-counts .cache/general/mix.json --eval --out eval/results/registers/choice.json
    python -m destem.lab.register_choice ... --dev-corpora .cache/register-dev   # documents to tune decoding on
"""
from __future__ import annotations

import argparse
import glob
import gzip
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
PARAGRAPH_WORDS, PARAGRAPHS = 30, 400  # paragraphs read alone, as a file of one paragraph is: the longer ones, at most
MARGIN_BITS = 20  # a stricter rule, for comparison: leave the default only on this much evidence


DEV_CORPORA = {"forum": (1_000, None), "fiction": (3, 400), "speeches": (150, None), "science": (150, None)}
# --dev-corpora: (documents past the mix, first paragraphs of each kept) per register, for `destem data build`
# and `destem calibrate` (eval/results/general/README.md, "Decoding settings per register")


def wikipedia_margin(bits: dict[str, float], stems: int) -> float:
    """Bits in all by which the nearest other register beats Wikipedia (negative: Wikipedia nearer)."""
    return (bits["wikipedia"] - min(b for r, b in bits.items() if r != "wikipedia")) * stems


def past_the_mix(registers: str, name: str, taken: dict[str, int], count: int):
    """`count` documents of a register's training file that the mix did not take (it took the first ones)."""
    past = taken.get(name, 0)
    return itertools.islice(read_documents(os.path.join(registers, f"{name}.train.txt.gz")), past, past + count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wiki", required=True, help="a Wikipedia corpus file (articles not in the mix)")
    parser.add_argument("--registers", required=True, help="folder of <register>.train.txt.gz")
    parser.add_argument("--mix-counts", required=True, help="mix.json: documents the mix took of each register")
    parser.add_argument("--documents", type=int, default=40, help="documents of each register (Wikipedia: 1.5x)")
    parser.add_argument("--weights", default="0.5,0.8,0.95", help="weights of a register's own frequencies")
    parser.add_argument("--eval", action="store_true", help="also the evaluation sets (eval/suites/data/registers)")
    parser.add_argument("--dev-corpora", metavar="DIR", help="instead, write DEV_CORPORA's documents past the mix "
                        "to DIR/<register>-dev.txt.gz and stop")
    parser.add_argument("--out", help="JSON report")
    args = parser.parse_args()
    with open(args.mix_counts) as f:
        taken = {name: part["documents"] for name, part in json.load(f).items()}
    if args.dev_corpora:
        os.makedirs(args.dev_corpora, exist_ok=True)
        for name, (count, lines) in DEV_CORPORA.items():
            with gzip.open(os.path.join(args.dev_corpora, f"{name}-dev.txt.gz"), "wt", encoding="utf-8") as f:
                for doc in past_the_mix(args.registers, name, taken, count):
                    f.write(f"# {doc.doc_id}\n" + "\n".join(doc.text.split("\n")[:lines]) + "\n\n")
        return 0
    if not args.out:
        parser.error("--out is needed")
    profiles = StemProfiles.read(locate_model(GENERAL_MODEL)).merged(StemProfiles.read(locate_model(DEFAULT_MODEL)))
    sets = {"wikipedia": list(itertools.islice(read_documents(args.wiki), args.documents * 3 // 2))}
    for name in REGISTERS:
        sets[name] = list(past_the_mix(args.registers, name, taken, args.documents))
    if args.eval:
        for path in sorted(glob.glob("eval/suites/data/registers/*.txt.gz")):
            sets["eval " + os.path.basename(path).split(".")[0]] = list(read_documents(path))
    stemmed = {}  # each set's documents and paragraphs, stemmed once for every weight
    for name, documents in sets.items():
        stems = [s for s in (stem_text(" ".join(d.text.split("\n"))) for d in documents) if s.split()]
        paragraphs = [stem_text(p) for d in documents for p in d.text.split("\n")
                      if not p.startswith("#") and len(p.split()) >= PARAGRAPH_WORDS][:PARAGRAPHS]
        if stems:
            stemmed[name] = stems, paragraphs
    report = {"weights": {}}
    for weight in (float(w) for w in args.weights.split(",")):
        rows = report["weights"][str(weight)] = {}
        for name, (stems, paragraphs) in stemmed.items():
            register, bits = profiles.nearest(stems, weight)
            rows[name] = {"documents": len(stems), "as one file": register,
                          "bits a stem": {r: round(b, 3) for r, b in sorted(bits.items(), key=lambda x: x[1])},
                          "one by one": dict(Counter(profiles.nearest([s], weight)[0] for s in stems).most_common())}
            readings = [(profiles.nearest([p], weight), len(p.split())) for p in paragraphs]
            rows[name]["paragraphs read as Wikipedia"] = [sum(r == "wikipedia" for (r, _), _ in readings),
                                                          len(paragraphs)]
            rows[name][f"paragraphs kept with Wikipedia unless another register is {MARGIN_BITS} bits nearer"] = [
                sum(wikipedia_margin(b, n) <= MARGIN_BITS for (_, b), n in readings), len(paragraphs)]
            print(f"{weight} {name:16s} {register:9s} {rows[name]['one by one']}; paragraphs read as Wikipedia "
                  f"{rows[name]['paragraphs read as Wikipedia']}", file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
