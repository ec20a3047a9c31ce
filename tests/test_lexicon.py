"""The lexicon's binary layout (lexicon.npz), the old JSON layout it replaces, and fast start-up."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from destem.restore.lexicon import JSON_LEXICON_FILE, LEXICON_FILE, Lexicon, PackedStrings
from destem.restore.ngram import NgramLM, prefetch

FORMS = {
    "trotski": {"Trotsky": 163, "trotsky": 2},
    "run": {"run": 5, "running": 5, "ran": 9},  # a tie: running and run keep their order
    "mcdonald": {"McDonald": 4, "Mcdonald": 4, "MCDONALD": 1},  # mixed-case tie: the first seen wins
    "café": {"café": 3, "Café": 1},
    "zürich": {"Zürich": 7},
    "ångström": {"ångström": 2},
}


@pytest.mark.parametrize("stem, candidates, most_frequent", [
    ("trotski", ["Trotsky", "trotsky"], "Trotsky"),
    ("run", ["ran", "run", "running"], "ran"),
    ("mcdonald", ["McDonald", "Mcdonald", "MCDONALD"], "McDonald"),
    ("café", ["café", "Café"], "café"),
    ("zürich", ["Zürich"], "Zürich"),
    ("ångström", ["ångström"], "ångström"),
    ("absent", [], None),
    ("", [], None),
])
def test_lookups_after_a_save_and_load(tmp_path, stem, candidates, most_frequent):
    Lexicon.from_forms(FORMS).save(str(tmp_path / LEXICON_FILE))
    lexicon = Lexicon.load(str(tmp_path / LEXICON_FILE))
    assert lexicon.candidates(stem) == candidates
    assert lexicon.most_frequent(stem) == most_frequent


@pytest.mark.parametrize("lower, spelling", [("mcdonald", "McDonald"), ("trotsky", None), ("zürich", None),
                                             ("nothing", None)])
def test_mixed_case_table(tmp_path, lower, spelling):
    Lexicon.from_forms(FORMS).save(str(tmp_path / LEXICON_FILE))
    assert Lexicon.load(str(tmp_path / LEXICON_FILE)).mixed_spelling(lower) == spelling


def test_items_give_back_every_form_and_count():
    lexicon = Lexicon.from_forms(FORMS)
    assert dict(lexicon.items()) == FORMS and len(lexicon) == len(FORMS)
    assert [stem for stem, _ in lexicon.items()] == sorted(FORMS)
    assert dict(lexicon.subset({"run", "absent"}).items()) == {"run": FORMS["run"]}


def test_sorted_search_follows_code_point_order():
    words = sorted(["a", "b", "é", "z", "ß", "日本", "ab", "Z"])
    packed = PackedStrings.pack(words)
    assert [packed.index_of(w) for w in words] == list(range(len(words)))
    assert packed.index_of("aa") is None and PackedStrings.pack([]).index_of("a") is None


def test_an_empty_lexicon_saves_and_loads(tmp_path):
    Lexicon.from_forms({}).save(str(tmp_path / LEXICON_FILE))
    lexicon = Lexicon.load(str(tmp_path / LEXICON_FILE))
    assert len(lexicon) == 0 and lexicon.candidates("a") == [] and lexicon.mixed_spelling("a") is None


def old_folder(tmp_path, toy_model_dir):
    """The toy model folder as it was before lexicon.npz: lexicon.json.gz instead."""
    folder = tmp_path / "old"
    shutil.copytree(toy_model_dir, folder)
    lexicon = Lexicon.load(str(folder / LEXICON_FILE))
    with gzip.open(folder / JSON_LEXICON_FILE, "wt", encoding="utf-8") as f:
        json.dump(dict(lexicon.items()), f)
    os.remove(folder / LEXICON_FILE)
    return folder


def test_an_old_json_folder_is_converted_on_load_and_restores_the_same(tmp_path, toy_model_dir, capsys):
    from destem import Restorer

    folder = old_folder(tmp_path, toy_model_dir)
    stems = ["trotski die next day ; news spread .", "# # earli life"]
    restored = Restorer.from_pretrained(str(folder), device="cpu").restore(stems)
    assert "converted" in capsys.readouterr().err
    assert (folder / LEXICON_FILE).exists()
    assert restored == Restorer.from_pretrained(str(toy_model_dir), device="cpu").restore(stems)
    Restorer.from_pretrained(str(folder), device="cpu")
    assert capsys.readouterr().err == ""  # converted once


def test_an_old_read_only_folder_still_loads_with_a_hint(tmp_path, toy_model_dir, capsys):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = old_folder(tmp_path, toy_model_dir)
    os.chmod(folder, 0o555)
    try:
        lexicon = Lexicon.from_folder(str(folder))
    finally:
        os.chmod(folder, 0o755)
    assert len(lexicon) > 0 and "not writable" in capsys.readouterr().err


def test_prefetched_language_model_is_the_one_load_reads(toy_model_dir, tmp_path):
    prefetch(str(toy_model_dir))
    fetched, read = NgramLM.load(str(toy_model_dir)), NgramLM.read(str(toy_model_dir))
    assert fetched is not None and fetched.vocab == read.vocab
    assert np.array_equal(fetched.trigram_keys, read.trigram_keys)
    assert np.array_equal(fetched.trigram_counts, read.trigram_counts)
    prefetch(str(tmp_path))  # no ngram.npz: nothing to read
    assert NgramLM.load(str(tmp_path)) is None


@pytest.mark.parametrize("argv", [["--help"], ["restore", "--help"], ["stem", "-"], ["check", "-", "-"]])
def test_commands_that_need_no_model_never_import_torch(argv):
    code = ("import sys\nfrom destem.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, *argv], input="Trotsky died.\n", capture_output=True,
                            text=True)
    assert result.stderr.strip().split("\n")[-1] == "False", result.stderr
