"""Cased BLEU per register of model folders on the held-out register sets, quickly: each set's documents
(paragraphs joined by a space, as `destem restore` joins them) stemmed by destem's own pipeline and
restored in fp32, sacrebleu against the originals; the same scoring as `destem.lab.lm_merge`. For the
full report (chrF++, function words by class, round trip) use `destem eval --suite registers-NAME`.

    python -m destem.lab.register_bleu --out eval/results/general/registers-bleu.json soup=DIR trained=DIR
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

from destem.evaluation.bench import machine_info
from destem.lab.lm_merge import DEFAULT_SETS, scores
from destem.text.documents import read_documents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", metavar="NAME=DIR", help="model folders to score, named")
    parser.add_argument("--out", required=True, help="JSON report")
    args = parser.parse_args()
    paths = sorted(glob.glob(DEFAULT_SETS))
    sets = {os.path.basename(p).split(".")[0]: [" ".join(d.text.split("\n")) for d in read_documents(p)]
            for p in paths}
    out = {"machine": machine_info(["cpu"]), "bleu": {}}
    for item in args.models:
        name, _, folder = item.partition("=")
        print(name, file=sys.stderr)
        out["bleu"][name] = scores(folder, sets)
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
