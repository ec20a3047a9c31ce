"""Stem-forced seq2seq: a small T5 that writes each stem's words right after being shown the stem.

A bake-off formulation (issue 3), next to the shipped tagger (model.py). The encoder reads the
window's stems; the decoder target walks the stems in order, and for each one the stem itself
is *forced* into the decoder just before the words the model writes for it:

    ⟦ <pieces of stem_1> ⟧ <gap_1 words> <word_1> ⟦ <pieces of stem_2> ⟧ ... <word_n> <tail words> </s>

`⟦` is the model's own "next stem" decision (it has a loss); the stem pieces and `⟧` are given
(label -100, no loss). Gap words and words are the text's own tokens, cased as in the text
(sentence-initial capitals included); `¶` (a paragraph break) is one piece. Decoding is greedy
with forcing (`restore_windows`): the forced span of stem k+1 starts when the model writes `⟦`,
`⟦` only while stems remain, `</s>` only after the last stem, and at most
`max_new_tokens_per_stem` free tokens per stem (then `⟦` is forced; the last stem, whose words
run on into the tail, gets twice that before `</s>` is forced).
Word forms are kept as generated: no stem constraint, no lexicon, no round-trip repair, so that
the bake-off compares raw formulations.
"""
from __future__ import annotations

import dataclasses
import inspect
import itertools
import json
import math
import os
import time
from collections import deque
from dataclasses import dataclass

import sentencepiece as spm
import torch
import torch.nn.functional as F
from tqdm import tqdm
from transformers import T5Config, T5ForConditionalGeneration

from ..model.device import pick_device
from ..model.features import token_budget_batches
from ..model.labels import IGNORE, capitalize_sentences
from ..model.tokenizer import SPM_FILE, train_sentencepiece
from ..text.align import PARAGRAPH
from ..text.detok import detokenize
from ..training.train import learning_rate

PAD, BOS, EOS, UNK = 0, 1, 2, 3  # the ids train_sentencepiece gives them; <s> starts the decoder
OPEN, CLOSE = "⟦", "⟧"  # around a forced stem in the decoder
OPEN_ID, CLOSE_ID, PARA_ID = 4, 5, 6  # user-defined pieces right after <pad> <s> </s> <unk>
MARKS = (OPEN, CLOSE, PARAGRAPH)
CONFIG_FILE = "forced_seq2seq.json"
# transformers 5 renamed `past_key_values` to `cache` (4.x only knows the old name)
CACHE_ARG = ("cache" if "cache" in inspect.signature(T5ForConditionalGeneration.forward).parameters
             else "past_key_values")
LOG_FILE = "log.jsonl"


@dataclass
class ForcedSeq2SeqConfig:
    # model shape (T5, relu feed-forward, tied embeddings: ~9.4M parameters at vocab 8000)
    d_model: int = 256  # width of encoder and decoder
    encoder_layers: int = 4  # encoder blocks
    decoder_layers: int = 4  # decoder blocks
    num_heads: int = 4  # attention heads (d_kv = d_model / num_heads)
    d_ff: int = 1024  # feed-forward width
    dropout: float = 0.1  # dropout everywhere in the T5
    # tokenizer and sequences
    vocab_size: int = 8000  # sentencepiece unigram pieces over stems and words (a soft limit)
    max_train_windows: int = 100_000  # encode the first this-many windows (0: all); 20 CPU minutes see ~10k
    spm_sample_windows: int = 50_000  # the sentencepiece model is trained on the first this-many windows
    max_stem_pieces: int = 4  # pieces kept per stem, in the encoder and in the forced span
    max_target_tokens: int = 1024  # training windows with a longer decoder sequence are left out
    max_new_tokens_per_stem: int = 10  # decoding: free tokens per stem before `⟦` is forced (last stem + tail: twice)
    # optimisation
    batch_tokens: int = 4096  # decoder tokens per batch (padded), length-bucketed (~8 windows of 96 stems)
    learning_rate: float = 1e-3  # AdamW peak learning rate
    weight_decay: float = 0.01  # AdamW weight decay
    warmup_steps: int = 50  # linear warm-up (a 20-minute CPU run makes only some hundreds of steps)
    min_lr_ratio: float = 0.05  # cosine decay ends at this share of the peak
    grad_clip: float = 1.0  # max gradient norm
    max_steps: int = 20_000  # schedule length in steps; the clock (max_minutes) can end it earlier
    bf16: bool = True  # bf16 autocast in training (on this AVX-512 CPU and on GPUs)
    seed: int = 0  # initialisation and data order
    log_every_steps: int = 25  # a log.jsonl line (loss, tokens/s) this often


# ---------------------------------------------------------------- tokenizer and targets

def train_tokenizer(records: list[dict], out_dir: str, vocab_size: int) -> spm.SentencePieceProcessor:
    """Unigram pieces over the stems and the target tokens (gap words, words, tail) of `records`."""
    def lines():
        for r in records:
            yield r["source"]
            yield " ".join(t for t in _target_tokens(r) if t != PARAGRAPH)

    model_file = train_sentencepiece(lines(), os.path.join(out_dir, SPM_FILE), vocab_size,
                                     user_defined_symbols=[OPEN, CLOSE, PARAGRAPH], normalization_rule_name="identity")
    sp = spm.SentencePieceProcessor(model_file=model_file)
    assert [sp.piece_to_id(p) for p in (OPEN, CLOSE, PARAGRAPH)] == [OPEN_ID, CLOSE_ID, PARA_ID]
    return sp


def _target_tokens(record: dict) -> list[str]:
    return [t for gap in record["gaps"] for t in gap.split()] + record["words"] + record["tail"].split()


def encode_tokens(sp, tokens: list[str]) -> list[list[int]]:
    """Pieces of each token, encoded alone (so each starts a word); `¶` is its own piece, and a
    rare token with a marker inside it is <unk> (so markers only ever mean what they mean)."""
    pieces = sp.encode(tokens) if tokens else []
    return [[PARA_ID] if t == PARAGRAPH else [UNK] if not p or any(m in t for m in MARKS) else p
            for t, p in zip(tokens, pieces)]


def encode_stems(sp, stems: list[str], max_stem_pieces: int) -> list[list[int]]:
    return [p[:max_stem_pieces] for p in encode_tokens(sp, stems)]


def build_example(sp, record: dict, config: ForcedSeq2SeqConfig) -> tuple[list[int], list[int], list[int]]:
    """(encoder ids, decoder input ids, labels) of one pair window; forced tokens are labelled -100."""
    stems = record["source"].split()
    stem_pieces = encode_stems(sp, stems, config.max_stem_pieces)
    gaps = [g.split() for g in record["gaps"]]
    tail = record["tail"].split()
    flat = encode_tokens(sp, [t for g in gaps for t in g] + list(record["words"]) + tail)
    gap_pieces, cursor = [], 0
    for g in gaps:
        gap_pieces.append([i for p in flat[cursor:cursor + len(g)] for i in p])
        cursor += len(g)
    word_pieces = flat[cursor:cursor + len(stems)]
    tail_pieces = [i for p in flat[cursor + len(stems):] for i in p]
    target, labels = [], []
    for stem, gap, word in zip(stem_pieces, gap_pieces, word_pieces):
        target.append(OPEN_ID)  # the model decides that the next stem starts
        labels.append(OPEN_ID)
        target += stem + [CLOSE_ID]  # forced: no loss
        labels += [IGNORE] * (len(stem) + 1)
        target += gap + word
        labels += gap + word
    target += tail_pieces + [EOS]
    labels += tail_pieces + [EOS]
    encoder_ids = [i for p in stem_pieces for i in p] + [EOS]
    return encoder_ids, [BOS] + target[:-1], labels


def collate(examples: list[tuple[list[int], list[int], list[int]]]) -> dict[str, torch.Tensor]:
    def pad(rows, value):
        width = max(len(r) for r in rows)
        return torch.tensor([r + [value] * (width - len(r)) for r in rows], dtype=torch.long)
    encoder_ids = pad([e[0] for e in examples], PAD)
    return {"input_ids": encoder_ids, "attention_mask": (encoder_ids != PAD).long(),
            "decoder_input_ids": pad([e[1] for e in examples], PAD), "labels": pad([e[2] for e in examples], IGNORE)}


# ---------------------------------------------------------------- model and training

def make_model(config: ForcedSeq2SeqConfig, vocab_size: int) -> T5ForConditionalGeneration:
    torch.manual_seed(config.seed)
    return T5ForConditionalGeneration(T5Config(
        vocab_size=vocab_size, d_model=config.d_model, d_kv=config.d_model // config.num_heads, d_ff=config.d_ff,
        num_layers=config.encoder_layers, num_decoder_layers=config.decoder_layers, num_heads=config.num_heads,
        dropout_rate=config.dropout, feed_forward_proj="relu", pad_token_id=PAD, eos_token_id=EOS,
        bos_token_id=BOS, decoder_start_token_id=BOS))


def forced_loss(model: T5ForConditionalGeneration, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy on the free tokens only; the LM head runs on those positions alone."""
    encoded = model.encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    hidden = model.decoder(input_ids=batch["decoder_input_ids"], encoder_hidden_states=encoded.last_hidden_state,
                           encoder_attention_mask=batch["attention_mask"]).last_hidden_state
    scored = batch["labels"] != IGNORE
    hidden = hidden[scored]
    if getattr(model.config, "scale_decoder_outputs", model.config.tie_word_embeddings):  # as T5 does when tied
        hidden = hidden * model.config.d_model ** -0.5
    return F.cross_entropy(model.lm_head(hidden).float(), batch["labels"][scored])


def train_forced_seq2seq(train_records, out_dir: str, config: ForcedSeq2SeqConfig | None = None,
                         max_minutes: float = 20.0, device: str = "auto") -> dict:
    """Train on pair records (the first `config.max_train_windows` verified, non-empty windows of
    any iterable of dicts, e.g. a `datasets` split in corpus order) for `max_minutes`
    of training-loop time or `config.max_steps`, whichever ends first (0 minutes: steps only; the
    learning-rate schedule follows the same budget), and save a model folder in `out_dir`:
    T5 `save_pretrained` files, spiece.model, forced_seq2seq.json and log.jsonl.
    The tokenizer and encoding time is reported apart, as `prep_minutes`."""
    config = config if config is not None else ForcedSeq2SeqConfig()
    started = time.time()
    os.makedirs(out_dir, exist_ok=True)
    device = pick_device(device)
    usable = (r for r in train_records if r.get("verified", True) and r["source"])
    records = list(itertools.islice(usable, config.max_train_windows or None))
    if not records:
        raise ValueError("no verified, non-empty training windows")
    sp = train_tokenizer(records[: config.spm_sample_windows], out_dir, config.vocab_size)
    examples = [e for e in (build_example(sp, r, config) for r in tqdm(records, desc="encode", mininterval=5))
                if len(e[1]) <= config.max_target_tokens]
    lengths = [len(e[1]) for e in examples]
    model = make_model(config, sp.get_piece_size()).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    n_params = sum(p.numel() for p in model.parameters())
    prep_minutes = (time.time() - started) / 60
    print(f"forced seq2seq: {n_params / 1e6:.1f}M parameters on {device}; {len(examples):,} windows, "
          f"vocab {sp.get_piece_size()}, prep {prep_minutes:.1f} min", flush=True)
    log_path = os.path.join(out_dir, LOG_FILE)
    open(log_path, "w").close()
    step, tokens, epoch, recent = 0, 0, 0, []
    train_start = window_start = time.time()
    window_tokens, done = 0, False
    bar = tqdm(total=config.max_steps, desc="train", unit="step", mininterval=2)
    model.train()
    while not done:
        for batch_ids in token_budget_batches(lengths, config.batch_tokens, seed=config.seed + epoch):
            seconds = time.time() - train_start
            progress = max(step / config.max_steps, seconds / (max_minutes * 60) if max_minutes else 0.0)
            if progress >= 1.0:
                done = True
                break
            lr = learning_rate(config, progress, step)
            for group in optimizer.param_groups:
                group["lr"] = lr
            batch = {k: v.to(device) for k, v in collate([examples[i] for i in batch_ids]).items()}
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16):
                loss = forced_loss(model, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            step += 1
            batch_tokens = int((batch["decoder_input_ids"] != PAD).sum())
            tokens += batch_tokens
            window_tokens += batch_tokens
            recent = (recent + [loss.item()])[-config.log_every_steps:]
            bar.update(1)
            if step % config.log_every_steps == 0:
                rate = window_tokens / max(1e-6, time.time() - window_start)
                window_tokens, window_start = 0, time.time()
                record = {"step": step, "epoch": epoch, "lr": lr, "loss": sum(recent) / len(recent),
                          "tokens_per_s": rate, "minutes": (time.time() - train_start) / 60}
                bar.set_postfix(loss=f"{record['loss']:.3f}", tok_s=f"{rate:,.0f}", refresh=False)
                with open(log_path, "a") as f:
                    f.write(json.dumps(record) + "\n")
        else:
            epoch += 1
    bar.close()
    minutes = (time.time() - train_start) / 60
    model.save_pretrained(out_dir)
    with open(os.path.join(out_dir, CONFIG_FILE), "w") as f:
        json.dump(dataclasses.asdict(config), f, indent=1)
    return {"step": step, "epochs": epoch, "tokens": tokens, "minutes": minutes, "prep_minutes": prep_minutes,
            "tokens_per_s": tokens / max(1e-6, minutes * 60), "final_train_loss": sum(recent) / max(1, len(recent)),
            "parameters": n_params, "train_windows": len(examples), "vocab_size": sp.get_piece_size(),
            "device": str(device)}


# ---------------------------------------------------------------- restoring

def load_forced_seq2seq(model_dir: str, device: str = "auto"):
    """(model, sentencepiece processor, config) from a folder that `train_forced_seq2seq` saved."""
    model = T5ForConditionalGeneration.from_pretrained(model_dir).to(pick_device(device)).eval()
    sp = spm.SentencePieceProcessor(model_file=os.path.join(model_dir, SPM_FILE))
    with open(os.path.join(model_dir, CONFIG_FILE)) as f:
        config = ForcedSeq2SeqConfig(**json.load(f))
    return model, sp, config


def restore_windows(model_dir_or_model, stem_windows: list[str], batch_size: int = 32, device: str = "auto",
                    bf16: bool | None = None) -> list[str]:
    """Restore stem windows (space-separated stems, one string each) to text, in order; a window
    without stems gives "". `model_dir_or_model`: a model folder, or a (model, sp, config) triple
    as `load_forced_seq2seq` returns. Greedy decoding with the stems forced (see the module doc),
    `batch_size` windows at a time (sorted by length); the word forms are the model's as generated,
    not checked against the stems. bf16: None = on GPUs only."""
    model, sp, config = (load_forced_seq2seq(str(model_dir_or_model), device)
                         if isinstance(model_dir_or_model, (str, os.PathLike)) else model_dir_or_model)
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    # bf16 pays on GPUs; step-by-step decoding on this AVX-512 CPU ran 2.4x slower with it than without
    use_bf16 = dev.type == "cuda" if bf16 is None else bf16
    stem_lists = [w.split() for w in stem_windows]
    outputs = [""] * len(stem_lists)
    order = sorted((i for i, s in enumerate(stem_lists) if s), key=lambda i: len(stem_lists[i]))
    for start in range(0, len(order), batch_size):
        ids = order[start:start + batch_size]
        with torch.inference_mode(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=use_bf16):
            segments = _decode_batch(model, sp, config, [stem_lists[i] for i in ids], dev)
        for i, window_segments in zip(ids, segments):
            tokens = [t for segment in window_segments for t in _piece_words(sp, segment)]
            outputs[i] = detokenize(capitalize_sentences(tokens))
    model.train(was_training)
    return outputs


def _decode_batch(model, sp, config: ForcedSeq2SeqConfig, windows: list[list[str]], dev) -> list[list[list[int]]]:
    """Free tokens generated for each window: one list per stem (the last one's holds the tail too)."""
    stem_pieces = [encode_stems(sp, stems, config.max_stem_pieces) for stems in windows]
    batch = collate([([i for p in pieces for i in p] + [EOS], [], []) for pieces in stem_pieces])
    mask = batch["attention_mask"].to(dev)
    encoded = model.encoder(input_ids=batch["input_ids"].to(dev), attention_mask=mask)
    n = len(windows)
    queue = [deque([OPEN_ID, *pieces[0], CLOSE_ID]) for pieces in stem_pieces]  # forced tokens to come
    next_stem = [1] * n
    segments: list[list[list[int]]] = [[[]] for _ in range(n)]
    done = [False] * n
    banned = torch.tensor([PAD, BOS, UNK, CLOSE_ID], device=dev)
    previous = torch.full((n, 1), BOS, dtype=torch.long, device=dev)
    # the longest a sequence can get: <s>, each stem's ⟦ pieces ⟧ and free tokens, twice for the last, </s>
    longest = max(2 + sum(len(p) + 2 for p in pieces) + (len(pieces) + 1) * config.max_new_tokens_per_stem
                  for pieces in stem_pieces)
    cache = _preallocated_cache(model, longest)
    while not all(done):
        out = model(encoder_outputs=encoded, attention_mask=mask, decoder_input_ids=previous, use_cache=True,
                    **{CACHE_ARG: cache})
        cache = getattr(out, CACHE_ARG)
        logits = out.logits[:, -1].float()
        logits[:, banned] = -math.inf
        stems_left = torch.tensor([next_stem[b] < len(windows[b]) for b in range(n)], device=dev)
        logits[stems_left, EOS] = -math.inf  # no end while stems remain
        logits[~stems_left, OPEN_ID] = -math.inf  # no next stem after the last
        choice = logits.argmax(-1).tolist()
        chosen = []
        for b in range(n):
            if done[b]:
                token = PAD
            elif queue[b]:
                token = queue[b].popleft()
            else:
                token = choice[b]
                stems_remain = next_stem[b] < len(windows[b])
                if len(segments[b][-1]) >= config.max_new_tokens_per_stem * (1 if stems_remain else 2):
                    token = OPEN_ID if stems_remain else EOS
                if token == OPEN_ID:
                    queue[b].extend([*stem_pieces[b][next_stem[b]], CLOSE_ID])
                    next_stem[b] += 1
                    segments[b].append([])
                elif token == EOS:
                    done[b] = True
                else:
                    segments[b][-1].append(token)
            chosen.append(token)
        previous = torch.tensor(chosen, dtype=torch.long, device=dev).unsqueeze(1)
    return segments


def _preallocated_cache(model, length: int):
    """A decoder cache written in place (transformers 5); a growing cache is copied at every step,
    which made long windows several times slower. None (a growing cache) where that API is missing."""
    try:
        from transformers.cache_utils import DynamicCache, EncoderDecoderCache, StaticCache
        return EncoderDecoderCache(StaticCache(config=model.config, max_cache_len=length),
                                   DynamicCache(config=model.config))
    except (ImportError, TypeError):
        return None


def _piece_words(sp, ids: list[int]) -> list[str]:
    """Word tokens of a run of generated pieces (`¶` pieces stand alone)."""
    words, run = [], []
    for i in ids + [PARA_ID]:
        if i == PARA_ID:
            words += sp.decode(run).split()
            run = []
            words.append(PARAGRAPH)
        else:
            run.append(i)
    return words[:-1]
