"""A real stemmed corpus: 150 R8 (Reuters-21578) test documents as their distribution stemmed them
(eval/suites/data/r8/README.md: letters only, words under 3 letters dropped, most of the SMART list,
NLTK's Porter with Martin's extensions), restored by `destem restore` and scored as the issue scores
it: lowercase, letters only, cased-insensitive BLEU against the distribution's all-terms text.

    python -m destem.lab.r8_bar --model MODEL --out eval/results/r8/r8.json [-- RESTORE FLAGS...]

Flags after `--` go to `destem restore` (e.g. `--pipeline letters --kept-stopwords and,for,...`).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile

import sacrebleu

from destem.evaluation.bench import machine_info

DATA = "eval/suites/data/r8"
# the NLTK stopwords that the R8 distribution's list keeps (eval/suites/data/r8/README.md)
KEPT = ("and,for,that,will,not,had,this,into,each,can,such,you,don,below,once,ourselves,your,ours,"
        "won,wouldn,doesn,wasn,hasn,isn,weren,didn")


def letters_only(text: str) -> str:
    return " ".join(re.sub("[^a-z]", " ", text.lower()).split())


def main() -> int:
    argv = sys.argv[1:]
    restore_flags = argv[argv.index("--") + 1:] if "--" in argv else []
    parser = argparse.ArgumentParser(prog="python -m destem.lab.r8_bar", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder or name (default: the installed default)")
    parser.add_argument("--out", required=True, help="JSON report")
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    with gzip.open(f"{DATA}/r8-test-150.stem.txt.gz", "rt", encoding="utf-8") as f:
        stems = f.read().splitlines()
    with gzip.open(f"{DATA}/r8-test-150.all-terms.txt.gz", "rt", encoding="utf-8") as f:
        references = f.read().splitlines()
    with tempfile.TemporaryDirectory() as work:
        source, target = os.path.join(work, "r8.stem.txt"), os.path.join(work, "r8.txt")
        with open(source, "w", encoding="utf-8") as f:
            f.write("\n".join(stems) + "\n")
        model = ["--model", args.model] if args.model else []
        done = subprocess.run([sys.executable, "-m", "destem.cli", "restore", source, "-o", target, *model,
                               "--precision", "fp32", *restore_flags], capture_output=True, text=True)
        if done.returncode not in (0, 1):
            raise SystemExit(f"destem restore failed: {done.stderr[-2000:]}")
        with open(target, encoding="utf-8") as f:
            restored = f.read().splitlines()
    hypotheses = [letters_only(r) for r in restored]
    report = {"command": "python -m destem.lab.r8_bar " + " ".join(argv), "model": args.model or "default",
              "documents": len(stems), "restore_flags": restore_flags,
              "bleu_lowercase_letters": round(sacrebleu.corpus_bleu(hypotheses, [references]).score, 2),
              "identity_bleu": round(sacrebleu.corpus_bleu(stems, [references]).score, 2),
              "stderr": done.stderr.strip().splitlines(), "machine": machine_info(["cpu"]),
              "examples": [{"stems": s[:300], "restored": r[:300], "all_terms": a[:300]}
                           for s, r, a in list(zip(stems, restored, references))[:3]]}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    print(f"BLEU (lowercase, letters only) {report['bleu_lowercase_letters']} (the stems themselves: "
          f"{report['identity_bleu']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
