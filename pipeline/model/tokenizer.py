"""The stem tokenizer: each stem is encoded on its own, so every stem owns a run of pieces and
the model reads its prediction off the stem's first piece.

A model folder holds the tokenizer as `tokenizer.json` (Hugging Face `tokenizers` format) and
`tokenizer_config.json`, so `transformers.AutoTokenizer.from_pretrained(model_dir)` loads it.
Trained from scratch, it is a sentencepiece unigram model over the stems, also kept as
`spiece.model`; its tokenizer.json is built from that file and gives the same pieces as
sentencepiece for every stem of the forward pipeline (transformers' own `T5Tokenizer` does not
reproduce its segmentation). Warm-started from a BERT folder, it is that folder's WordPiece
tokenizer. Folders saved before tokenizer.json existed load from spiece.model.
"""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable

import sentencepiece as spm
from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

SPM_FILE = "spiece.model"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
MAX_PIECES_PER_STEM = 4  # long numbers and URLs are cut; the stem itself is kept by the restorer


def train_sentencepiece(lines: Iterable[str], model_file: str, vocab_size: int, **options) -> str:
    """A unigram sentencepiece model saved as `model_file`: ids 0-3 are <pad> <s> </s> <unk>, and
    characters it has no piece for fall back to bytes. `options` go to the trainer as they are."""
    prefix = model_file[: -len(".model")]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_prefix=prefix, vocab_size=vocab_size,
        model_type="unigram", pad_id=0, bos_id=1, eos_id=2, unk_id=3,
        pad_piece="<pad>", bos_piece="<s>", eos_piece="</s>", unk_piece="<unk>",
        character_coverage=0.9995, byte_fallback=True, input_sentence_size=2_000_000,
        shuffle_input_sentence=True, max_sentence_length=1 << 16, minloglevel=2, hard_vocab_limit=False, **options,
    )
    os.remove(prefix + ".vocab")
    return model_file


class StemTokenizer:
    def __init__(self, tokenizer: Tokenizer, special_tokens: dict[str, str], spm_file: str | None = None):
        """`special_tokens`: tokenizer_config.json's names (pad_token, unk_token, ...);
        `spm_file`: the sentencepiece model it was built from, saved alongside."""
        tokenizer.no_padding()  # BERT folders may pad and cut every encoding (MiniLM's: to 128 pieces)
        tokenizer.no_truncation()
        self.tokenizer = tokenizer
        self.special_tokens = special_tokens
        self.spm_file = spm_file
        # a window is framed the way the tokenizer frames a text: <s> ... </s>, or [CLS] ... [SEP]
        framing = tokenizer.encode("").ids
        if len(framing) != 2:
            raise ValueError(f"the tokenizer frames a text with {framing}, not with one start and one end token")
        self.bos_id, self.eos_id = framing
        self.pad_id = tokenizer.token_to_id(special_tokens["pad_token"])
        self.unk_id = tokenizer.token_to_id(special_tokens["unk_token"])

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()

    @classmethod
    def load(cls, folder: str) -> StemTokenizer:
        """From a model folder, or a BERT folder with tokenizer.json and tokenizer_config.json."""
        spm_file = os.path.join(folder, SPM_FILE)
        if not os.path.exists(os.path.join(folder, TOKENIZER_FILE)):
            return cls.from_sentencepiece(spm_file)
        with open(os.path.join(folder, TOKENIZER_CONFIG_FILE)) as f:
            config = json.load(f)
        special_tokens = {key: value["content"] if isinstance(value, dict) else value  # or an AddedToken
                          for key, value in config.items() if key.endswith("_token") and value}
        return cls(Tokenizer.from_file(os.path.join(folder, TOKENIZER_FILE)), special_tokens,
                   spm_file if os.path.exists(spm_file) else None)

    @classmethod
    def from_sentencepiece(cls, spm_file: str) -> StemTokenizer:
        sp = spm.SentencePieceProcessor(model_file=spm_file)
        special_tokens = {"pad_token": sp.id_to_piece(sp.pad_id()), "bos_token": sp.id_to_piece(sp.bos_id()),
                          "eos_token": sp.id_to_piece(sp.eos_id()), "unk_token": sp.id_to_piece(sp.unk_id())}
        return cls(sentencepiece_tokenizer(spm_file), special_tokens, spm_file)

    @classmethod
    def train(cls, stem_lines: Iterable[str], out_dir: str, vocab_size: int = 16000) -> StemTokenizer:
        os.makedirs(out_dir, exist_ok=True)
        return cls.from_sentencepiece(train_sentencepiece(stem_lines, os.path.join(out_dir, SPM_FILE), vocab_size))

    def save(self, out_dir: str) -> None:
        """tokenizer.json and tokenizer_config.json, and spiece.model where it came from one."""
        self.tokenizer.save(os.path.join(out_dir, TOKENIZER_FILE))
        with open(os.path.join(out_dir, TOKENIZER_CONFIG_FILE), "w") as f:
            json.dump({"tokenizer_class": "PreTrainedTokenizerFast", **self.special_tokens}, f, indent=1)
        target = os.path.join(out_dir, SPM_FILE)
        if self.spm_file and os.path.abspath(target) != os.path.abspath(self.spm_file):
            shutil.copyfile(self.spm_file, target)

    def encode_window(self, stems: list[str]) -> tuple[list[int], list[int]]:
        """Piece ids `<s> stem pieces... </s>` (the tokenizer's own start and end tokens) and the index
        of each stem's first piece (+ the end token's)."""
        ids, positions = [self.bos_id], []
        for stem in stems:  # one at a time: as fast as encode_batch, and no thread pool (restore --workers forks)
            positions.append(len(ids))
            ids += self.tokenizer.encode(stem, add_special_tokens=False).ids[:MAX_PIECES_PER_STEM] or [self.unk_id]
        positions.append(len(ids))
        ids.append(self.eos_id)
        return ids, positions


def sentencepiece_tokenizer(spm_file: str) -> Tokenizer:
    """A `tokenizers` unigram tokenizer that segments a stem as the sentencepiece model does.

    Same pieces, scores and byte fallback; sentencepiece's normalizer (its precompiled NFKC-based
    character map, then trimming and collapsing spaces) and its dummy prefix (Metaspace). The one
    difference: text spelling a control or byte piece (`<s>`, `<0x41>`) matches that piece here,
    which no stem can do (the word tokenizer splits off `<` and `>`).
    """
    sp = spm.SentencePieceProcessor(model_file=spm_file)
    with open(spm_file, "rb") as f:
        normalizer_spec = _protobuf_fields(_protobuf_fields(f.read())[3])  # ModelProto.normalizer_spec
    if not all(normalizer_spec.get(flag, 1) for flag in (3, 4, 5)):
        raise ValueError(f"{spm_file}: add_dummy_prefix, remove_extra_whitespaces and escape_whitespaces "
                         "must be on (sentencepiece's defaults) to convert")
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=sp.unk_id(), byte_fallback=True))  # StemTokenizer.train's setting
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(normalizer_spec[2]),
        normalizers.Replace(Regex(r"\A +| +\z"), ""),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                           decoders.Strip(content=" ", left=1)])
    bos, eos = sp.id_to_piece(sp.bos_id()), sp.id_to_piece(sp.eos_id())
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, sp.bos_id()), (eos, sp.eos_id())])
    tokenizer.add_special_tokens([sp.id_to_piece(i) for i in range(sp.get_piece_size()) if sp.is_control(i)
                                  or sp.is_unknown(i)])
    return tokenizer


def _protobuf_fields(message: bytes) -> dict[int, int | bytes]:
    """The top-level fields of a protobuf message (the last of repeated ones): enough to read a
    sentencepiece model's normalizer without the protobuf package."""
    fields, i = {}, 0
    while i < len(message):
        key, i = _varint(message, i)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, i = _varint(message, i)
        elif wire_type == 2:  # length-delimited: bytes, strings, messages
            size, i = _varint(message, i)
            value, i = message[i:i + size], i + size
        elif wire_type in (1, 5):  # fixed 64 or 32 bits
            size = 8 if wire_type == 1 else 4
            value, i = message[i:i + size], i + size
        else:
            raise ValueError(f"protobuf wire type {wire_type} is not used by sentencepiece models")
        fields[number] = value
    return fields


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i
