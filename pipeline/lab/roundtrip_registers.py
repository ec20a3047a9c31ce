"""The round trip for every input pipeline restore supports, on every held-out register set: each set's
paragraphs (titles and headings, lines without a full stop, included) one a line, stemmed by destem's
own pipeline, Snowball's, Martin's Porter, the isalpha line and the letters-only recipe, each file
restored by `destem restore` with no flags (detect and the installed models choose), and each restored
paragraph stemmed again by the pipeline that made its input: the documents that do not give their
input back, counted here, not taken from restore's own summary (which is kept beside them).

    python -m destem.lab.roundtrip_registers --out eval/results/fidelity/registers-pipelines.json
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

from destem.evaluation.bench import machine_info
from destem.lab.lm_merge import DEFAULT_SETS
from destem.model.device import PRECISIONS
from destem.text.documents import read_documents
from destem.text.forward import pipeline_named

INPUTS = ("destem", "snowball", "destem:porter-martin", "isalpha", "letters")  # `forward.pipeline_named` names


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m destem.lab.roundtrip_registers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="JSON report")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS,
                        help="restore --precision (default: auto, as users restore)")
    args = parser.parse_args()
    rows, failed_total, documents_total = {}, 0, 0
    with tempfile.TemporaryDirectory() as work:
        for path in sorted(glob.glob(DEFAULT_SETS)):
            register = os.path.basename(path).split(".")[0]
            paragraphs = [line for d in read_documents(path) for line in d.text.split("\n") if line.strip()]
            for name in INPUTS:
                pipeline = pipeline_named(name)
                stems = [pipeline.stem_text(p) for p in paragraphs]
                source, target = (os.path.join(work, f"{register}.{name}.{end}.txt") for end in ("stem", "out"))
                with open(source, "w", encoding="utf-8") as f:
                    f.write("\n".join(stems) + "\n")
                done = subprocess.run([sys.executable, "-m", "destem.cli", "restore", source, "-o", target,
                                       "--precision", args.precision], capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"{register} / {name}: destem restore failed: {done.stderr[-2000:]}")
                with open(target, encoding="utf-8") as f:
                    restored = f.read().splitlines()
                failing = [i + 1 for i, (r, s) in enumerate(zip(restored, stems)) if pipeline.stem_text(r) != s]
                lines = done.stderr.strip().splitlines()
                rows[f"{register} / {name}"] = {
                    "documents": len(stems), "restored": len(restored), "stems": sum(len(s.split()) for s in stems),
                    "not_stemming_back": failing, "read_as": [ln for ln in lines if "warning" not in ln][:-1],
                    "summary": lines[-1] if lines else ""}
                failed_total += len(failing) + abs(len(restored) - len(stems))
                documents_total += len(stems)
                print(f"{register:>10} / {name:<21}: {len(stems) - len(failing):,} of {len(stems):,} documents "
                      "stem back", flush=True)
    print(f"{documents_total - failed_total:,} of {documents_total:,} documents stem back")
    report = {"command": "python -m destem.lab.roundtrip_registers " + " ".join(sys.argv[1:]),
              "precision": args.precision, "machine": machine_info(["cpu"]), "documents": documents_total,
              "not_stemming_back": failed_total, "rows": rows}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
