"""Fine-tuning's step rate on this CPU as it is and forced down to AVX2, the vector unit of many laptop and
cloud CPUs (ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2: torch and oneDNN then run AVX2 kernels, and
bf16 is no longer native, so training runs fp32).

    python -m destem.lab.train_step_rate --corpus ../shared/corpus/wiki-01.txt.gz --articles 40 \
        --steps 60 --out eval/results/train-step-rate.json

Each variant runs `destem train --init default --corpus ...` (the `finetune` config; once more with
bf16 forced, to see whether it would pay on this CPU) in a fresh process,
one after the other, on the same prepared pairs; its seconds per step are the median of the logged
windows after the first (which holds oneDNN's kernel compilation).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

from destem.evaluation.bench import machine_info

FORCE_AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
BF16_CONFIG = {"base": "finetune", "precision": "bf16"}
# name -> (environment, config overrides or None for the default `finetune`, whose precision is "auto")
VARIANTS = {"native": ({}, None), "native, bf16 forced": ({}, BF16_CONFIG), "forced AVX2": (FORCE_AVX2, None)}


def first_articles(path: str, count: int, out: str) -> None:
    """The first `count` articles of a corpus-format file (`# Title` lines start articles)."""
    seen = 0
    with (gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8")) as f, \
            open(out, "w", encoding="utf-8") as w:
        for line in f:
            if line.startswith("# "):
                seen += 1
                if seen > count:
                    break
            w.write(line)


def run_variant(corpus: str, prepared: str, work: str, name: str, steps: int) -> dict:
    run = os.path.join(work, name.replace(" ", "-").replace(",", ""))
    shutil.copytree(prepared, run)
    variables, overrides = VARIANTS[name]
    command = [sys.executable, "-m", "destem.cli", "train", "--init", "default", "--corpus", corpus,
               "--out", run, "--max-steps", str(steps), "--device", "cpu"]
    if overrides:
        with open(run + ".json", "w") as f:
            json.dump(overrides, f)
        command += ["--config", run + ".json"]
    done = subprocess.run(command, env=dict(os.environ, **variables), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{name}: destem train failed:\n{done.stderr[-2000:]}")
    with open(os.path.join(run, "log.jsonl")) as f:
        records = [json.loads(line) for line in f]
    windows = [r["seconds_per_step"] for r in records if "seconds_per_step" in r][1:]
    precision = next(line for line in done.stdout.splitlines() + done.stderr.splitlines() if line.startswith("model:"))
    return {"seconds_per_step": statistics.median(windows), "windows": windows, "precision_line": precision,
            "env": variables, "config": overrides or "finetune"}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m destem.lab.train_step_rate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True, help="a corpus-format .txt or .txt.gz file")
    parser.add_argument("--articles", type=int, default=40, help="its first articles to fine-tune on (default: 40)")
    parser.add_argument("--steps", type=int, default=60, help="steps per variant (default: 60)")
    parser.add_argument("--out", required=True, help="JSON report")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        corpus = os.path.join(work, "corpus.txt")
        first_articles(args.corpus, args.articles, corpus)
        prepared = os.path.join(work, "prepared")
        subprocess.run([sys.executable, "-m", "destem.cli", "train", "--init", "default", "--corpus", corpus,
                        "--out", prepared, "--prepare-only"], check=True, capture_output=True)
        rows = {name: run_variant(corpus, prepared, work, name, args.steps) for name in VARIANTS}
    ratio = rows["native"]["seconds_per_step"] / rows["forced AVX2"]["seconds_per_step"]
    report = {"command": "python -m destem.lab.train_step_rate " + " ".join(sys.argv[1:]),
              "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": machine_info(["cpu"]), "python": platform.python_version(), "variants": rows,
              "avx2_rate_over_native_rate": ratio}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    for name, row in rows.items():
        print(f"{name}: {row['seconds_per_step']:.2f} s/step ({row['precision_line']})")
    print(f"forced AVX2 runs at {ratio:.2f}x the native step rate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
