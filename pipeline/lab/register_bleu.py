"""Cased BLEU per register of model folders on the held-out register sets, quickly: each set's documents
(paragraphs joined by a space, as `destem restore` joins them) stemmed by destem's own pipeline and
restored in fp32, sacrebleu against the originals; the same scoring as `destem.lab.lm_merge`. For the
full report (chrF++, function words by class, round trip) use `destem eval --suite registers-NAME`.
With --no-flags, each set is also written as one file and restored by `destem restore` with no
flags, as a user does, so that the installed models choose (each stderr line about the choice kept).

    python -m destem.lab.register_bleu --out eval/results/general/registers-bleu.json soup=DIR trained=DIR
    python -m destem.lab.register_bleu --out eval/results/registers/no-flags.json --no-flags
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import sacrebleu

from destem.evaluation.bench import machine_info
from destem.lab.lm_merge import DEFAULT_SETS, scores
from destem.model.device import PRECISIONS
from destem.text.documents import read_documents
from destem.text.forward import stem_text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", metavar="NAME=DIR", help="model folders to score, named")
    parser.add_argument("--no-flags", action="store_true", help="also restore each set with `destem restore` and "
                        "no flags (the installed models) but --precision")
    parser.add_argument("--precision", default="fp32", choices=PRECISIONS,
                        help="--no-flags' restore --precision (default: fp32, the same on every CPU)")
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
    if args.no_flags:
        out["precision"] = args.precision
        out["bleu"]["no flags"], out["said"] = restored_with_no_flags(sets, args.precision)
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)
    return 0


def restored_with_no_flags(sets: dict[str, list[str]], precision: str = "fp32") -> tuple[dict[str, float],
                                                                                        dict[str, list[str]]]:
    """BLEU of each set restored by `destem restore` with no flags but `precision`, and what it said on stderr."""
    bleu, said = {}, {}
    with tempfile.TemporaryDirectory(prefix="register-bleu-") as tmp:
        for name, texts in sets.items():
            source, target = os.path.join(tmp, f"{name}.stems.txt"), os.path.join(tmp, f"{name}.txt")
            with open(source, "w", encoding="utf-8") as f:
                f.write("".join(stem_text(t) + "\n" for t in texts))
            run = subprocess.run([sys.executable, "-c", "import sys; from destem.cli import main; sys.exit(main())",
                                  "restore", "--precision", precision, source, "-o", target],
                                 capture_output=True, text=True, env={**os.environ, "DESTEM_MODEL": ""})
            if run.returncode != 0:
                raise SystemExit(f"{name}: destem restore exited {run.returncode}: {run.stderr.strip()}")
            with open(target, encoding="utf-8") as f:
                restored = f.read().splitlines()
            bleu[name] = round(sacrebleu.corpus_bleu(restored, [texts]).score, 2)
            said[name] = [line.replace(tmp + os.sep, "") for line in run.stderr.splitlines()]
            print(f"  {name}: BLEU {bleu[name]}; " + " | ".join(said[name]), file=sys.stderr)
    return bleu, said


if __name__ == "__main__":
    sys.exit(main())
