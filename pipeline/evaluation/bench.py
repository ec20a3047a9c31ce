"""Restore throughput and memory (`destem bench`), and the measuring helpers `destem eval` shares:
the peak resident memory of a stretch of work, the machine, the package versions, the model's id.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from itertools import cycle

from ..restore.lexicon import JSON_LEXICON_FILE, LEXICON_FILE
from ..restore.ngram import NGRAM_FILE
from ..text.textio import InputError
from .metrics import package_version

PACKAGES = ("destem", "torch", "transformers", "sentencepiece", "nltk", "sacrebleu", "jiwer", "matplotlib", "numpy")
WARMUP_STEMS = 200  # a first small restore, so one-time setup is not timed


class PeakMemory:
    """Peak resident set size (MiB) of this process while the block runs. Linux resets the
    high-water mark through /proc/self/clear_refs; elsewhere `reset` is False and the peak
    counts from the process start."""

    def __enter__(self) -> PeakMemory:
        self.reset = _reset_peak_rss()
        self.mib: float | None = None
        return self

    def __exit__(self, *exc) -> None:
        self.mib = _peak_rss_mib()


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mib() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS, KiB elsewhere
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(devices: list[str]) -> dict:
    import torch

    # the vector unit torch's kernels use (AVX2, AVX512, AMX) decides the speed as much as the model name
    info = {"cpu": cpu_model(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(), "devices": devices}
    if "cuda" in devices:
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def package_versions() -> dict[str, str]:
    return {"python": platform.python_version()} | {name: package_version(name) for name in PACKAGES}


# what decides the output
MODEL_FILES = ("model.safetensors", "config.json", LEXICON_FILE, JSON_LEXICON_FILE, NGRAM_FILE)


def model_info(model_dir: str) -> dict:
    """Where the model is, an id that changes whenever its weights, decoding settings, lexicon or
    language model do, and the decoding settings."""
    digest = hashlib.sha256()
    for name in MODEL_FILES:
        path = os.path.join(model_dir, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    decoding = {name: config.get(name, 0.0) for name in ("empty_gap_bias", "lm_weight", "lm_word_bonus")}
    if config.get("decoding_by_input"):
        decoding["by_input"] = config["decoding_by_input"]
    decoding["lm"] = os.path.exists(os.path.join(model_dir, NGRAM_FILE))
    return {"path": os.path.abspath(model_dir), "id": f"sha256:{digest.hexdigest()[:16]}", "decoding": decoding}


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table that also reads well on a terminal (columns padded)."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]
    lines = [headers, ["-" * w for w in widths], *rows]
    return "\n".join("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths)) + " |" for line in lines)


def bench_documents(text_paths: list[str], stems: int) -> list[str]:
    """Stemmed documents of the prose in order, repeated as needed, the last one cut, so that
    they hold exactly `stems` stems."""
    from ..text.documents import expand_paths, read_documents
    from ..text.forward import stem_text

    sources: list[list[str]] = []
    total = 0
    for path in expand_paths(text_paths):
        for doc in read_documents(path):
            sources.append(stem_text(doc.text).split())
            total += len(sources[-1])
            if total >= stems:
                break
        if total >= stems:
            break
    if total == 0:
        raise InputError("no text to benchmark in " + ", ".join(text_paths))
    documents, left = [], stems
    for source in cycle(sources):
        if left <= 0:
            break
        documents.append(" ".join(source[:left]))
        left -= len(source)
    return documents


def resolve_devices(device: str) -> list[str]:
    """"auto": the CPU, and the GPU when there is one; else a comma list of cpu and cuda."""
    import torch

    if device == "auto":
        return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    devices = [d.strip() for d in device.split(",") if d.strip()]
    if not devices or any(d not in ("cpu", "cuda") for d in devices):
        raise InputError(f"--device {device}: give auto, cpu, cuda or cpu,cuda")
    if "cuda" in devices and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available")
    return devices


def run_bench(model_dir: str, text_paths: list[str], sizes: list[int], batch_tokens: list[int], devices: list[str],
              log=sys.stderr, precisions: tuple[str, ...] = ("auto",)) -> dict:
    """Restore `size` stems at every batch size on every device, in each precision; time and memory of
    each run."""
    import torch

    from ..restore.restorer import Restorer

    inputs = {size: bench_documents(text_paths, size) for size in sizes}
    runs = []
    for device, precision in ((d, p) for d in devices for p in precisions):
        restorer = Restorer.from_pretrained(model_dir, device=device, precision=precision)
        restorer.restore_documents(bench_documents(text_paths, WARMUP_STEMS))
        for tokens in batch_tokens:
            for size, documents in inputs.items():
                if device == "cuda":
                    torch.cuda.reset_peak_memory_stats()
                with PeakMemory() as memory:
                    start, cpu_start = time.perf_counter(), time.process_time()
                    restorer.restore_documents(documents, batch_tokens=tokens)
                    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
                # CPU seconds (all threads) count the work alone: on a shared VM whose cores are often taken
                # by others (steal time), they vary far less from run to run than the wall clock
                run = {"device": device, "precision": restorer.precision, "batch_tokens": tokens, "stems": size,
                       "documents": len(documents), "seconds": seconds, "cpu_seconds": cpu_seconds,
                       "stems_per_s": size / seconds, "peak_rss_mib": memory.mib}
                if device == "cuda":
                    run["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
                runs.append(run)
                print(f"{device} {restorer.precision} batch {tokens:,}: {size:,} stems in {seconds:.1f} s", file=log,
                      flush=True)
    return {"model": model_info(model_dir), "text": text_paths, "machine": machine_info(devices),
            "versions": package_versions(), "runs": runs}


IMPORT_FLOOR = "import torch, transformers; from transformers import BertModel"  # what a transformers model pays
TORCH_FLOOR = "import torch"  # what restoring pays: it never imports transformers (model/tagger.py)
ONE_LINE = "trotski die next day ; news spread ."


def best_wall_seconds(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """The best wall time of each command over `runs` rounds in fresh processes (each must succeed).
    The commands take turns within a round, so that a machine whose speed drifts over minutes
    slows them alike and their ratios hold."""
    best = dict.fromkeys(commands, float("inf"))
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                raise InputError(f"{' '.join(argv[:4])} ... failed: {done.stderr.strip().splitlines()[-1:]}")
            best[name] = min(best[name], seconds)
    return best


def run_startup_bench(model_dir: str, text_paths: list[str], stems: int, runs: int, work_dir: str) -> dict:
    """Start-up as a user meets it: the bare import floors of this Python, a one-line restore in a fresh
    process, and the whole-command rate of restoring a file of `stems` stems (best of `runs` each)."""
    restore = [sys.executable, "-m", "destem.cli", "restore", "--model", model_dir, "--device", "cpu", "--force"]
    one_line, whole = os.path.join(work_dir, "one-line.stem.txt"), os.path.join(work_dir, "whole.stem.txt")
    with open(one_line, "w", encoding="utf-8") as f:
        f.write(ONE_LINE + "\n")
    with open(whole, "w", encoding="utf-8") as f:
        f.write("\n".join(bench_documents(text_paths, stems)) + "\n")
    best = best_wall_seconds({
        "floor": [sys.executable, "-c", IMPORT_FLOOR],
        "torch": [sys.executable, "-c", TORCH_FLOOR],
        "line": restore + [one_line, "-o", os.path.join(work_dir, "one-line.txt")],
        "file": restore + [whole, "-o", os.path.join(work_dir, "whole.txt")],
    }, runs)
    return {"runs": runs, "import_floor_s": best["floor"], "torch_import_s": best["torch"],
            "one_line_restore_s": best["line"], "one_line_over_floor": best["line"] / best["floor"],
            "file_stems": stems, "file_restore_s": best["file"], "file_stems_per_s": stems / best["file"]}


def startup_table(startup: dict) -> str:
    rows = [["bare `" + IMPORT_FLOOR + "`", f"{startup['import_floor_s']:.2f}", ""],
            ["bare `" + TORCH_FLOOR + "`", f"{startup['torch_import_s']:.2f}", ""],
            ["one-line restore, whole command", f"{startup['one_line_restore_s']:.2f}",
             f"{startup['one_line_over_floor']:.2f} x the first floor"],
            [f"{startup['file_stems']:,}-stem file, whole command", f"{startup['file_restore_s']:.2f}",
             f"{startup['file_stems_per_s']:,.0f} stems/s"]]
    return markdown_table([f"fresh process (best of {startup['runs']})", "seconds", ""], rows)


def bench_table(result: dict) -> str:
    rows = [[r["device"], r.get("precision", "–"), f"{r['batch_tokens']:,}", f"{r['stems']:,}", f"{r['seconds']:.2f}",
             f"{r['cpu_seconds']:.2f}" if "cpu_seconds" in r else "–", f"{r['stems_per_s']:,.0f}",
             f"{r['peak_rss_mib']:,.0f}"] for r in result["runs"]]
    return markdown_table(["device", "precision", "batch tokens", "stems", "seconds", "CPU seconds", "stems/s",
                           "peak RSS MiB"], rows)


def parse_precisions(value: str) -> tuple[str, ...]:
    """--precision's comma list of `PRECISIONS`."""
    from ..model.device import PRECISIONS

    precisions = tuple(v.strip() for v in value.split(",") if v.strip())
    if not precisions or set(precisions) - set(PRECISIONS):
        raise InputError(f"--precision {value}: give a comma list of {', '.join(PRECISIONS)}")
    return precisions


def parse_counts(value: str, option: str) -> list[int]:
    """A comma list of positive whole numbers, as --sizes and --batch-tokens take them."""
    try:
        counts = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise InputError(f"{option} {value}: give a comma list of positive whole numbers")
    return counts
