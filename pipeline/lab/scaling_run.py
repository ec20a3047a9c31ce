"""One process vs `--workers 2` vs `--engine ray`: speed, peak memory of the whole process tree, byte
identity, and Ray's start-up cost (the README's "Past one machine" table).

    python -m destem.lab.scaling_run --files 5 --work /tmp/scaling

The input is FILES copies of `data/examples/trotsky.stem.txt` (9,506 stems each, one group each).
Each run is `destem restore` in a subprocess; every 0.25 s the RSS and PSS (`/proc/PID/smaps_rollup`)
of all processes under it are added up — for Ray, the driver, the GCS server, the raylet, the
dashboard agent and the worker and actor processes. Linux only.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "examples" / "trotsky.stem.txt"
RUNS = {"one process": [], "--workers 2": ["--workers", "2"],
        "--engine ray --actors 2": ["--engine", "ray", "--actors", "2"], "--engine ray": ["--engine", "ray"]}


def process_tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:  # it ended meanwhile
            continue
        parents.setdefault(parent, []).append(int(name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += parents.get(pid, [])
    return tree


def rss_pss_kib(pid: int) -> tuple[int, int]:
    values = {"Rss:": 0, "Pss:": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key = line.split(maxsplit=1)[0]
                if key in values:
                    values[key] = int(line.split()[1])
    except OSError:  # the process ended between the listing and the read
        pass
    return values["Rss:"], values["Pss:"]


def measure(command: list[str]) -> dict:
    """Wall time, peak summed RSS and PSS (MiB), and the summary line of one `destem restore`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    peak_rss = peak_pss = 0
    while process.poll() is None:
        sizes = [rss_pss_kib(pid) for pid in process_tree(process.pid)]
        peak_rss = max(peak_rss, sum(r for r, _ in sizes))
        peak_pss = max(peak_pss, sum(p for _, p in sizes))
        time.sleep(0.25)
    err = process.stderr.read()
    summary = [line for line in err.splitlines() if line.startswith("destem: restored")]
    if process.returncode or not summary:
        sys.exit(f"{' '.join(command)} failed:\n{err[-2000:]}")
    stems, seconds = re.search(r"([\d,]+) stems in ([\d.]+) s", summary[-1]).groups()
    return {"wall": time.perf_counter() - start, "rss": peak_rss / 1024, "pss": peak_pss / 1024,
            "stems_per_s": int(stems.replace(",", "")) / float(seconds), "summary": summary[-1]}


def ray_start_up() -> str:
    """ray.init of a local cluster, then one actor's start and model load (a one-stem group), as
    `--engine ray` pays them."""
    from destem.restore.batch import RestoreOptions
    from destem.restore.ray_engine import RayEngine, group_row

    with RayEngine() as engine:
        start = time.perf_counter()
        rows = engine.restored_rows([group_row(["comet"])], RestoreOptions(device="cpu"))
        started = time.perf_counter()
        next(rows)
        loaded = time.perf_counter()
        list(rows)
    return f"ray.init {started - start:.1f} s; actor start + model load + a one-stem group {loaded - started:.1f} s"


def same_tree(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    return files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()) and all(
        (a / f).read_bytes() == (b / f).read_bytes() for f in files)



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--work", required=True, help="a scratch folder (emptied)")
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    (work / "in").mkdir(parents=True)
    for i in range(args.files):
        (work / "in" / f"part{i + 1}.txt").write_text(EXAMPLE.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    base = [sys.executable, "-m", "destem.cli", "restore", "--device", "cpu", str(work / "in")]
    print(f"load average {os.getloadavg()[0]:.1f}")
    for i, (name, flags) in enumerate(RUNS.items()):
        out = work / f"out-{i}"
        result = measure(base + ["-o", str(out), *flags])
        same = "" if i == 0 else "; byte-identical" if same_tree(work / "out-0", out) else "; DIFFERS"
        print(f"{name}: {result['stems_per_s']:,.0f} stems/s, wall {result['wall']:.1f} s, peak PSS "
              f"{result['pss']:,.0f} MiB (RSS {result['rss']:,.0f}){same}; load average {os.getloadavg()[0]:.1f}")
    print(ray_start_up())


if __name__ == "__main__":
    main()
