"""The stem profiles (`stem_profile.npz`) of the default and the general model, from the general model's
mix stemmed by destem's own pipeline (its training windows): the general model's has one profile for
each register of the mix, the default's the Wikipedia one alone (wiki-04's training split: the same
prose as the default's wiki-00..03). `destem restore` takes an input to the model that holds the
register nearest to it.

    python data/recipes/general/stem_profiles.py --pairs .cache/general/pairs-destem \
        --mix .cache/general/mix.txt.gz --default models/default --general models/general
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict

from destem.model.stem_profile import StemProfiles
from destem.text.documents import read_documents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", required=True, help="the mix's pairs by destem's pipeline (destem data build)")
    parser.add_argument("--mix", required=True, help="the mix (build_mix.py); mix.json beside it counts its parts")
    parser.add_argument("--default", required=True, help="the default model's folder")
    parser.add_argument("--general", required=True, help="the general model's folder")
    args = parser.parse_args()
    from datasets import load_from_disk

    with open(os.path.splitext(os.path.splitext(args.mix)[0])[0] + ".json") as f:
        parts = json.load(f)  # the mix's registers, in the order build_mix.py wrote them, and their documents
    registers = [name for name, part in parts.items() for _ in range(part["documents"])]
    register_of = {doc.doc_id: registers[i] for i, doc in enumerate(read_documents(args.mix))}
    train = load_from_disk(args.pairs)["train"]
    texts = defaultdict(list)
    for article, stems in zip(train["article"], train["source"]):
        texts[register_of[article]].append(stems)
    profiles = StemProfiles.from_texts(texts)
    profiles.save(args.general)
    StemProfiles({"wikipedia": profiles.registers["wikipedia"]}).save(args.default)
    for name, (_, total) in profiles.registers.items():
        print(f"{name}: {len(texts[name]):,} windows, {total:,} stems", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
