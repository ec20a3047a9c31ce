"""The stem tokenizer: tokenizer.json built from the sentencepiece model gives its pieces, through
`transformers.AutoTokenizer` too; windows framed with the tokenizer's own specials; older
folders with spiece.model only still load."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sentencepiece as spm
from transformers import AutoTokenizer

from destem.model.tokenizer import (
    MAX_PIECES_PER_STEM,
    SPM_FILE,
    TOKENIZER_CONFIG_FILE,
    TOKENIZER_FILE,
    StemTokenizer,
    sentencepiece_tokenizer,
)
from destem.text.forward import stem_text

MINI_CORPUS = Path(__file__).parent / "data" / "mini_corpus.txt"
FIXTURE_STEMS = sorted(set(stem_text(MINI_CORPUS.read_text(encoding="utf-8")).split()))

STEMS = [
    "restor", "hagbard", "trilog",  # words
    "1852", "3.14", "1,000,000", "12345678901234567890", "+44-20-7946-0958",  # numbers, long ones cut
    ",", ".", "``", "''", "--", "...", "(", "!", "%", "–", "’",  # punctuation as the word tokenizer gives it
    "'s", "n't", "'ll", "o'brien", "h.m.",  # clitics and abbreviations
    "москва", "schrödinger", "café", "naïv", "zürich", "ἀθήνα",  # Cyrillic, accents, Greek
    "😀", "🎉", "€", "☃",  # characters no piece has: byte fallback
    "ﬁne", "²", "ｆｕｌｌ",  # what sentencepiece's NFKC normalizer rewrites
    "\u200b",  # normalized away: no pieces at all
]


@pytest.fixture(scope="module")
def toy_tokenizer_dir(tmp_path_factory) -> Path:
    """A folder holding a small sentencepiece tokenizer trained on the fixture's stems."""
    out = tmp_path_factory.mktemp("tokenizer")
    lines = [stem_text(line) for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines()]
    StemTokenizer.train(lines, str(out), vocab_size=400).save(str(out))
    return out


def pieces_from(folder: Path, stems: list[str]) -> tuple[list[list[int]], list[list[int]]]:
    """Each stem's ids by sentencepiece and by AutoTokenizer (without its start and end tokens)."""
    sp = spm.SentencePieceProcessor(model_file=str(folder / SPM_FILE))
    auto = AutoTokenizer.from_pretrained(str(folder))
    return sp.encode(stems), auto(stems, add_special_tokens=False)["input_ids"]


def test_autotokenizer_gives_the_sentencepiece_pieces(toy_tokenizer_dir):
    expected, got = pieces_from(toy_tokenizer_dir, STEMS)
    assert got == expected
    sp = spm.SentencePieceProcessor(model_file=str(toy_tokenizer_dir / SPM_FILE))
    assert any(sp.is_byte(i) for i in expected[STEMS.index("😀")])  # the table does reach byte fallback
    assert expected[STEMS.index("\u200b")] == []
    auto = AutoTokenizer.from_pretrained(str(toy_tokenizer_dir))
    assert auto("hagbard")["input_ids"] == [sp.bos_id(), *sp.encode("hagbard"), sp.eos_id()]
    assert (auto.pad_token_id, auto.unk_token_id) == (sp.pad_id(), sp.unk_id())
    assert auto.decode(auto("schrödinger")["input_ids"], skip_special_tokens=True) == "schrödinger"


def test_a_window_is_each_stems_pieces_between_start_and_end(toy_tokenizer_dir):
    sp = spm.SentencePieceProcessor(model_file=str(toy_tokenizer_dir / SPM_FILE))
    tokenizer = StemTokenizer.load(str(toy_tokenizer_dir))
    ids, positions = tokenizer.encode_window(STEMS)
    expected, starts = [sp.bos_id()], []
    for pieces in sp.encode(STEMS):
        starts.append(len(expected))
        expected += pieces[:MAX_PIECES_PER_STEM] or [sp.unk_id()]
    assert ids == [*expected, sp.eos_id()] and positions == [*starts, len(expected)]
    assert tokenizer.encode_window([]) == ([sp.bos_id(), sp.eos_id()], [1])


def test_an_older_folder_loads_from_spiece_model_and_saves_both(toy_tokenizer_dir, tmp_path):
    older, newer = tmp_path / "older", tmp_path / "newer"
    older.mkdir()
    shutil.copy(toy_tokenizer_dir / SPM_FILE, older / SPM_FILE)
    tokenizer = StemTokenizer.load(str(older))
    windows = [FIXTURE_STEMS[i:i + 40] for i in range(0, len(FIXTURE_STEMS), 40)] + [STEMS]
    assert [tokenizer.encode_window(w) for w in windows] == \
        [StemTokenizer.load(str(toy_tokenizer_dir)).encode_window(w) for w in windows]
    newer.mkdir()
    tokenizer.save(str(newer))
    assert {p.name for p in newer.iterdir()} == {SPM_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE}
    assert (newer / SPM_FILE).read_bytes() == (older / SPM_FILE).read_bytes()
    expected, got = pieces_from(newer, FIXTURE_STEMS)
    assert got == expected


def test_shipped_tokenizer_json_is_its_spiece_model_converted(default_model_dir):
    shipped = (default_model_dir / TOKENIZER_FILE).read_text(encoding="utf-8")
    assert shipped == sentencepiece_tokenizer(str(default_model_dir / SPM_FILE)).to_str(pretty=True)


def test_shipped_model_autotokenizer_gives_the_sentencepiece_pieces(default_model_dir):
    expected, got = pieces_from(default_model_dir, FIXTURE_STEMS + STEMS)
    assert got == expected
