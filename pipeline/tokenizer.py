"""The stem tokenizer: a sentencepiece unigram model trained on stems.

Each stem is encoded on its own, so every stem owns a run of pieces and the model reads its
prediction off the stem's first piece. The sentencepiece file is saved in the model folder
(`spiece.model`) and loaded with the `sentencepiece` library: transformers 5's `T5Tokenizer`
accepts the file but does not reproduce its unigram segmentation.
"""
from __future__ import annotations

import os
from typing import Iterable

import sentencepiece as spm

SPM_FILE = "spiece.model"
PAD, BOS, EOS, UNK = 0, 1, 2, 3
MAX_PIECES_PER_STEM = 4  # long numbers and URLs are cut; the stem itself is kept by the restorer


class StemTokenizer:
    def __init__(self, model_file: str):
        self.model_file = model_file
        self.sp = spm.SentencePieceProcessor(model_file=model_file)

    @property
    def vocab_size(self) -> int:
        return self.sp.get_piece_size()

    @classmethod
    def train(cls, stem_lines: Iterable[str], out_dir: str, vocab_size: int = 16000) -> "StemTokenizer":
        os.makedirs(out_dir, exist_ok=True)
        prefix = os.path.join(out_dir, SPM_FILE[: -len(".model")])
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(stem_lines), model_prefix=prefix, vocab_size=vocab_size,
            model_type="unigram", pad_id=PAD, bos_id=BOS, eos_id=EOS, unk_id=UNK,
            pad_piece="<pad>", bos_piece="<s>", eos_piece="</s>", unk_piece="<unk>",
            character_coverage=0.9995, byte_fallback=True, input_sentence_size=2_000_000,
            shuffle_input_sentence=True, max_sentence_length=1 << 16, minloglevel=2, hard_vocab_limit=False,
        )
        os.remove(prefix + ".vocab")
        return cls(prefix + ".model")

    def save(self, out_dir: str) -> None:
        target = os.path.join(out_dir, SPM_FILE)
        if os.path.abspath(target) != os.path.abspath(self.model_file):
            with open(self.model_file, "rb") as src, open(target, "wb") as dst:
                dst.write(src.read())

    def encode_window(self, stems: list[str]) -> tuple[list[int], list[int]]:
        """Piece ids `<s> stem pieces... </s>` and the index of each stem's first piece (+ `</s>`)."""
        ids, positions = [BOS], []
        for pieces in self.sp.encode(stems) if stems else []:
            positions.append(len(ids))
            ids += pieces[:MAX_PIECES_PER_STEM] or [UNK]
        positions.append(len(ids))
        ids.append(EOS)
        return ids, positions
