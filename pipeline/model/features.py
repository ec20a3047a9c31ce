"""Model inputs and labels for pair windows, and token-budget batches of them."""
from __future__ import annotations

import io
import lzma
import random
from dataclasses import dataclass

import numpy as np
import torch

from ..text.windows import CLOSERS, HEADING_MARK, SENTENCE_END
from .labels import IGNORE, LabelVocab, window_labels
from .tokenizer import StemTokenizer

MAX_PIECES = 512  # the model's position limit


@dataclass
class WindowFeatures:
    input_ids: list[int]
    word_positions: list[int]  # first piece of each stem, then the end token
    gap_ids: list[int]  # one per stem, then the tail
    form_ids: list[int]
    case_ids: list[int]


def starts_sentence(previous_stems: list[str] | None) -> bool:
    """Whether a window that follows `previous_stems` starts a sentence (None: document start)."""
    if not previous_stems:
        return True
    for stem in reversed(previous_stems):
        if stem in CLOSERS:
            continue
        return stem in SENTENCE_END
    return True


def encode_record(record: dict, tokenizer: StemTokenizer, vocab: LabelVocab, at_start: bool) -> WindowFeatures:
    stems = record["source"].split()
    ids, positions = tokenizer.encode_window(stems)
    gap_ids, form_ids, case_ids = window_labels(stems, record["words"], record["gaps"], record["tail"], vocab,
                                                at_start or (bool(stems) and stems[0] == HEADING_MARK))
    return WindowFeatures(ids, positions, gap_ids, form_ids + [IGNORE], case_ids + [IGNORE])


def encode_records(records, tokenizer: StemTokenizer, vocab: LabelVocab,
                   max_pieces: int = MAX_PIECES) -> list[WindowFeatures]:
    """Encode verified windows given in document order (so each knows whether it starts a
    sentence); windows longer than the model's positions are left out."""
    features, previous = [], None
    for record in records:
        if record["window"] == 0:
            previous = None
        if record.get("verified", True) and record["source"]:
            encoded = encode_record(record, tokenizer, vocab, starts_sentence(previous))
            if len(encoded.input_ids) <= max_pieces:
                features.append(encoded)
        previous = record["source"].split()
    return features


def token_budget_batches(lengths: list[int], max_tokens: int, seed: int, shuffle: bool = True) -> list[list[int]]:
    """Length-bucketed batches whose padded size stays under `max_tokens` pieces."""
    order = list(range(len(lengths)))
    rng = random.Random(seed)
    if shuffle:
        rng.shuffle(order)
    batches = []
    chunk = 50_000  # sort within chunks: similar lengths batch together, order stays random
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: lengths[i])
        batch, longest = [], 0
        for i in part:
            longest_if_added = max(longest, lengths[i])
            if batch and longest_if_added * (len(batch) + 1) > max_tokens:
                batches.append(batch)
                batch, longest_if_added = [], lengths[i]
            batch.append(i)
            longest = longest_if_added
        if batch:
            batches.append(batch)
    if shuffle:
        rng.shuffle(batches)
    return batches


def collate(items: list[WindowFeatures], with_labels: bool = True) -> dict[str, torch.Tensor]:
    n = len(items)
    width = max(len(f.input_ids) for f in items)
    slots = max(len(f.word_positions) for f in items)
    input_ids = np.zeros((n, width), dtype=np.int64)  # padding is masked out and never read: any id will do
    attention = np.zeros((n, width), dtype=np.int64)
    positions = np.zeros((n, slots), dtype=np.int64)
    for b, f in enumerate(items):
        input_ids[b, : len(f.input_ids)] = f.input_ids
        attention[b, : len(f.input_ids)] = 1
        positions[b, : len(f.word_positions)] = f.word_positions
    batch = {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(attention),
             "word_positions": torch.from_numpy(positions)}
    if with_labels:
        for key, attr in (("gap_labels", "gap_ids"), ("form_labels", "form_ids"), ("case_labels", "case_ids")):
            labels = np.full((n, slots), IGNORE, dtype=np.int64)
            for b, f in enumerate(items):
                values = getattr(f, attr)
                labels[b, : len(values)] = values
            batch[key] = torch.from_numpy(labels)
    return batch


def save_features(features: list[WindowFeatures], path: str, preset: int = 6) -> None:
    """Pack features into one xz-compressed .npz (xz: about a third smaller than zip, which
    matters when a run folder travels to a GPU machine; `preset` 0 compresses several times
    faster, for features made where they are read)."""
    def flat(attr):
        return compact(np.concatenate([np.asarray(getattr(f, attr), dtype=np.int64) for f in features]))
    with lzma.open(path, "wb", preset=preset) as f:
        np.savez(
            f,
            input_ids=flat("input_ids"),
            input_lengths=np.array([len(f.input_ids) for f in features], np.int32),
            word_positions=flat("word_positions"), gap_ids=flat("gap_ids"),
            form_ids=flat("form_ids"), case_ids=flat("case_ids"),
            slot_lengths=np.array([len(f.word_positions) for f in features], np.int32),
        )


def compact(values: np.ndarray) -> np.ndarray:
    """`values` in the smallest integer type that holds them all (vocabularies and label sets
    can outgrow 16 bits: a multilingual BERT has 119,547 pieces)."""
    low, high = (int(values.min()), int(values.max())) if values.size else (0, 0)
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return values.astype(dtype)
    return values


def load_features(path: str) -> list[WindowFeatures]:
    with lzma.open(path, "rb") as f:
        data = dict(np.load(io.BytesIO(f.read())))
    ids = np.split(data["input_ids"].astype(np.int64), np.cumsum(data["input_lengths"])[:-1])
    cuts = np.cumsum(data["slot_lengths"])[:-1]
    parts = {k: np.split(data[k].astype(np.int64), cuts) for k in ("word_positions", "gap_ids", "form_ids", "case_ids")}
    return [WindowFeatures(ids[i], parts["word_positions"][i], parts["gap_ids"][i],
                           parts["form_ids"][i], parts["case_ids"][i]) for i in range(len(ids))]
