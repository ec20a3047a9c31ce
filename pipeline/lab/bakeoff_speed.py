"""Restore speed of bake-off run folders on one thread, in CPU time as well as wall-clock time.

The bake-off times its restore of the validation windows once, on the wall clock, right after
training; on a machine that other jobs share, that number says as much about the load as about the
model. This restores the same windows (the bake-off's validation_windows) with
torch.set_num_threads(1), best of `--repeats`, and counts stems per CPU second of this process
(time.process_time) beside stems per wall-clock second; on one thread the first is what a free core
would give.

    python -m destem.lab.bakeoff_speed --pairs .cache/bakeoff/pairs-60000 \
        --models .cache/bakeoff/tagger .cache/bakeoff/tagger-wide .cache/bakeoff/tagger-smollm2 models/default \
        --out eval/results/bakeoff/speed.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import datetime, timezone

import torch

from destem.lab.bakeoff import validation_windows
from destem.restore.restorer import Restorer


def measure(model_dir: str, sources: list[str], repeats: int) -> dict:
    restorer = Restorer.from_pretrained(model_dir, device="cpu")
    restorer.restore(sources[:5])  # first calls: kernels, caches
    stems = sum(len(s.split()) for s in sources)
    runs = []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        restorer.restore(sources)
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    best_wall, best_cpu = min(w for w, _ in runs), min(c for _, c in runs)
    return {"model": model_dir, "stems": stems, "uses_lm": restorer.uses_lm(restorer.decoding()), "bf16": restorer.bf16,
            "stems_per_s": stems / best_wall, "stems_per_cpu_s": stems / best_cpu,
            "runs": [{"wall_s": w, "cpu_s": c} for w, c in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", required=True, help="the bake-off's pairs folder (WORK/pairs-N)")
    parser.add_argument("--models", nargs="+", required=True, help="run or model folders")
    parser.add_argument("--eval-windows", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", required=True, help="JSON file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sources = [w["source"] for w in validation_windows(args.pairs, args.eval_windows, args.seed)]
    rows = []
    for model_dir in args.models:
        rows.append(measure(model_dir, sources, args.repeats))
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "runs"}), flush=True)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    report = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "torch_threads": 1,
              "machine": platform.processor() or platform.machine(), "cpu_cores": os.cpu_count(),
              "load_average_at_end": load, "windows": len(sources), "rows": rows}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
