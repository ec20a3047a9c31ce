"""Does merging a corpus's n-grams into a model's word LM pay? The same tagger restores held-out sets
with its own LM and with the LM merged with the counts of built pairs at each share; BLEU per set.

    python -m destem.lab.lm_merge --pairs .cache/general/pairs-destem --shares 0.2,0.4 \
        --out eval/results/lm-merge/registers.json
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
import time

import sacrebleu

from destem.evaluation.bench import machine_info
from destem.model.locate import locate_model
from destem.restore.ngram import NGRAM_FILE, NgramLM, pair_windows
from destem.restore.restorer import Restorer
from destem.text.documents import read_documents
from destem.text.forward import stem_text

DEFAULT_SETS = "eval/suites/data/registers/*.txt.gz"


def scores(model_dir: str, sets: dict[str, list[str]]) -> dict[str, float]:
    restorer = Restorer.from_pretrained(model_dir, device="cpu", precision="fp32")
    out = {}
    for name, texts in sets.items():
        restored = [r.text for r in restorer.restore_in_groups([stem_text(t) for t in texts])]
        out[name] = round(sacrebleu.corpus_bleu(restored, [texts]).score, 2)
        print(f"  {name}: BLEU {out[name]}", file=sys.stderr)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model folder or name (default: the installed default)")
    parser.add_argument("--pairs", required=True, help="built pairs whose training split is merged into the LM")
    parser.add_argument("--shares", default="0.2,0.4", help="comma-separated shares of the merged counts")
    parser.add_argument("--sets", nargs="+", default=[DEFAULT_SETS], help="held-out corpus files (globs)")
    parser.add_argument("--out", required=True, help="JSON report")
    args = parser.parse_args()
    from datasets import load_from_disk

    model_dir = locate_model(args.model)
    paths = sorted(p for pattern in args.sets for p in glob.glob(pattern))
    # one document a string, its paragraphs joined as restore joins them (markdown off: a space)
    sets = {os.path.basename(p).split(".")[0]: [" ".join(d.text.split("\n")) for d in read_documents(p)]
            for p in paths}
    report = {"model": model_dir, "pairs": args.pairs, "machine": machine_info(["cpu"]), "bleu": {}}
    print("the model's own LM", file=sys.stderr)
    report["bleu"]["own LM"] = scores(model_dir, sets)
    base = NgramLM.read(model_dir)
    train = load_from_disk(args.pairs)["train"]
    with tempfile.TemporaryDirectory(prefix="lm-merge-") as tmp:
        folder = os.path.join(tmp, "model")
        os.makedirs(folder)
        for name in os.listdir(model_dir):  # the model's files, but its own LM
            if name != NGRAM_FILE and os.path.isfile(os.path.join(model_dir, name)):
                os.symlink(os.path.join(model_dir, name), os.path.join(folder, name))
        for share in (float(s) for s in args.shares.split(",")):
            start = time.time()
            merged = base.merged(pair_windows(train), share)
            merged.save(folder)
            print(f"merged at share {share} ({time.time() - start:.0f} s, {len(merged.added):,} words added)",
                  file=sys.stderr)
            report["bleu"][f"merged at {share}"] = scores(folder, sets)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
