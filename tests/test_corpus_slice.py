"""A corpus slice for a lent GPU call (pipeline/training/corpus_slice.py): windows numbered by
document as pair building numbers them, the slice packed here and built into the same features
that `destem train --prepare-only` makes, and a model folder from the weights a call brings back."""
from __future__ import annotations

import dataclasses
import json
import lzma
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from destem.model.features import load_features
from destem.text.documents import read_documents
from destem.text.forward import stem_text
from destem.text.pairs import PairConfig, build_pairs, split_of
from destem.text.textio import InputError
from destem.training import corpus_slice
from destem.training.config import load_config
from destem.training.train import prepare_run

ROOT = Path(__file__).resolve().parent.parent
MINI_CORPUS = ROOT / "tests" / "data" / "mini_corpus.txt"
PAIRS = PairConfig(max_stems=48, valid_fraction=0.2, seed=1)  # the conftest's mini_pairs
TRAIN = {"base": "toy", "max_stems": 48, "valid_fraction": 0.2, "seed": 1}
TOKENIZER_FILES = ("config.json", "spiece.model", "tokenizer.json", "tokenizer_config.json")


@pytest.fixture(scope="module")
def two_files(tmp_path_factory) -> list[str]:
    """The fixture corpus as two files (four articles each): numbering goes on across files."""
    folder = tmp_path_factory.mktemp("corpus")
    text = MINI_CORPUS.read_text(encoding="utf-8")
    starts = [i for i, line in enumerate(text.splitlines(keepends=True)) if line.startswith("# ")]
    lines = text.splitlines(keepends=True)
    paths = []
    for k, (a, b) in enumerate(((0, starts[4]), (starts[4], len(lines)))):
        path = folder / f"part-{k}.txt"
        path.write_text("".join(lines[a:b]), encoding="utf-8")
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def window_rows(two_files) -> list[corpus_slice.MapRow]:
    return list(corpus_slice.window_map(two_files, PAIRS, processes=2))


def test_window_map_numbers_training_windows_as_built_pairs_do(two_files, window_rows, tmp_path):
    train = build_pairs(two_files, str(tmp_path / "pairs"), PAIRS, num_proc=2)["train"]
    articles = train["article"]
    rows = [r for r in window_rows if r.split == "train"]
    assert sum(r.windows for r in rows) == len(train)
    assert {r.file for r in rows} == {"part-0.txt", "part-1.txt"}
    for row in rows:
        assert set(articles[row.first_window:row.first_window + row.windows]) == {row.title}
    assert [r.split for r in window_rows].count("validation") >= 1
    assert all(r.first_window == -1 for r in window_rows if r.split == "validation")


def test_the_map_round_trips_and_stops_after_the_window_asked_for(two_files, window_rows, tmp_path):
    path = tmp_path / "map.tsv"
    corpus_slice.write_map(window_rows, str(path))
    assert corpus_slice.read_map(str(path)) == window_rows
    middle = next(r for r in window_rows if r.split == "train" and r.first_window > 0)
    partial = list(corpus_slice.window_map(two_files, PAIRS, until_window=middle.first_window))
    assert partial[-1] == middle and partial == window_rows[:len(partial)]
    first = corpus_slice.first_unseen(window_rows, middle.first_window - 1)
    assert first.first_window > middle.first_window - 1 and first == middle  # a straddled document is skipped
    with pytest.raises(InputError, match="map ends"):
        corpus_slice.first_unseen(window_rows, 10**6)


def slice_config(tmp_path: Path, rows, first_window: int, corpus, **slice_extra) -> str:
    first = corpus_slice.first_unseen(rows, first_window)
    config = {"slice": {"corpus": corpus, "first_window": first_window,
                        "first_document": {"file": first.file, "index": first.index, "title": first.title},
                        **slice_extra},
              "train": TRAIN}
    path = tmp_path / "slice.json"
    path.write_text(json.dumps(config))
    return str(path)


def machine_carry(carry: Path, init_dir: Path) -> None:
    """What the script on the machine does before `build`: the init folder's files in place."""
    for name in TOKENIZER_FILES:
        shutil.copyfile(init_dir / name, carry / "init" / name)
    for name in (*TOKENIZER_FILES[1:], "lexicon.npz"):
        shutil.copyfile(carry / "init" / name, carry / "run" / name)


@pytest.fixture(scope="module")
def packed(two_files, window_rows, toy_model_dir, tmp_path_factory):
    """A carry packed from the middle of the corpus on, and built with two processes."""
    work = tmp_path_factory.mktemp("slice")
    train_rows = [r for r in window_rows if r.split == "train"]
    first_window = train_rows[1].first_window + 1  # inside the second document: the slice starts at the third
    carry = work / "carry"
    config = slice_config(work, window_rows, first_window, str(Path(two_files[0]).parent / "part-*.txt"))
    info = corpus_slice.pack(config, str(toy_model_dir), str(carry), budget_bytes=10**6)
    machine_carry(carry, toy_model_dir)
    prepared = corpus_slice.build(str(carry), processes=2)
    return {"carry": carry, "info": info, "prepared": prepared, "first": train_rows[2], "work": work}


def test_the_built_slice_is_what_training_from_its_first_window_prepares(packed, mini_pairs, toy_model_dir, tmp_path):
    """The features made on the machine equal the ones `prepare_run` makes from the whole corpus's pairs
    with `first_train_window` at the slice's first document: same windows, same validation."""
    config = dataclasses.replace(load_config("toy"), max_stems=48, valid_fraction=0.2, seed=1,
                                 first_train_window=packed["first"].first_window)
    reference = tmp_path / "reference"
    info = prepare_run(str(reference), str(mini_pairs), config, str(toy_model_dir))
    run = packed["carry"] / "run"
    assert packed["prepared"]["train_windows"] == info["train_windows"]
    assert packed["prepared"]["train_stems"] == info["train_stems"]
    assert packed["info"]["validation_windows"] == info["validation_windows"]
    for name in ("train.npz.xz", "validation.npz.xz"):
        built, expected = load_features(str(run / "features" / name)), load_features(str(reference / "features" / name))
        assert len(built) == len(expected) > 0
        for a, b in zip(built, expected):
            for field in ("input_ids", "word_positions", "gap_ids", "form_ids", "case_ids"):
                assert np.array_equal(getattr(a, field), getattr(b, field))
    from destem.restore.lexicon import Lexicon

    lexicon = Lexicon.load(str(packed["carry"] / "init" / "lexicon.npz"))  # only what validation restores
    slice_stems = {s for line in (run / "features" / "validation_slice.jsonl").read_text().splitlines()
                   for s in json.loads(line)["source"].split()}
    assert 0 < len(lexicon) <= len(slice_stems) and {stem for stem, _ in lexicon.items()} <= slice_stems
    slice_name = "features/validation_slice.jsonl"
    assert (run / slice_name).read_text() == (reference / slice_name).read_text()
    assert json.loads((run / "labels.json").read_text()) == json.loads((reference / "labels.json").read_text())


def test_the_slice_holds_training_documents_from_the_first_unseen_one_on(packed, window_rows):
    docs = list(read_documents(str(packed["carry"] / corpus_slice.SLICE_FILE)))
    expected = [r.title for r in window_rows[window_rows.index(packed["first"]):] if r.split == "train"]
    assert [d.doc_id for d in docs] == expected
    assert all(split_of(d.doc_id, PAIRS) == "train" for d in docs)
    assert packed["info"]["validation_documents_left_out"] == sum(
        r.split == "validation" for r in window_rows[window_rows.index(packed["first"]):])
    assert packed["info"]["documents"] == len(docs) and not packed["info"]["cut_to_fit"]


def test_benchmark_titles_are_left_out(two_files, window_rows, toy_model_dir, tmp_path):
    train_rows = [r for r in window_rows if r.split == "train"]
    benchmark = tmp_path / "benchmark.txt"
    benchmark.write_text(f"# {train_rows[-1].title}\nA paragraph of the benchmark article.\n", encoding="utf-8")
    config = slice_config(tmp_path, window_rows, train_rows[2].first_window, two_files, benchmark=str(benchmark))
    info = corpus_slice.pack(config, str(toy_model_dir), str(tmp_path / "carry"), budget_bytes=10**6)
    titles = [d.doc_id for d in read_documents(str(tmp_path / "carry" / corpus_slice.SLICE_FILE))]
    assert train_rows[-1].title not in titles and train_rows[2].title in titles
    assert info["benchmark_documents_left_out"] == 1


def test_a_slice_is_cut_to_the_longest_prefix_that_fits(tmp_path):
    docs = list(read_documents(str(MINI_CORPUS)))
    path = str(tmp_path / "s.txt.xz")
    whole = len(lzma.compress("".join(corpus_slice.corpus_text(d) for d in docs).encode(),
                              preset=corpus_slice.XZ_PRESET))
    kept = corpus_slice.write_within(docs, path, whole - 1)
    assert 0 < kept < len(docs) and os.path.getsize(path) <= whole - 1
    assert [d.doc_id for d in read_documents(path)] == [d.doc_id for d in docs[:kept]]
    assert [d.text for d in read_documents(path)] == [d.text for d in docs[:kept]]  # the same documents, read back
    assert corpus_slice.write_within(docs, path, whole) == len(docs)
    with pytest.raises(InputError, match="not one document"):
        corpus_slice.write_within(docs, path, 100)


def test_a_validation_document_in_a_slice_is_refused(packed, tmp_path):
    carry = tmp_path / "carry"
    shutil.copytree(packed["carry"], carry)
    validation = next(d for d in read_documents(str(MINI_CORPUS)) if split_of(d.doc_id, PAIRS) == "validation")
    with lzma.open(carry / corpus_slice.SLICE_FILE, "wt", encoding="utf-8") as f:
        f.write(corpus_slice.corpus_text(validation))
    with pytest.raises(InputError, match="validation document"):
        corpus_slice.build(str(carry), processes=1)


def test_a_corpus_that_is_not_the_mapped_one_is_refused(two_files, window_rows, toy_model_dir, tmp_path):
    config = json.loads(Path(slice_config(tmp_path, window_rows, 1, two_files)).read_text())
    config["slice"]["first_document"]["title"] = "Some other article"
    (tmp_path / "bad.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match="not the one the map was made from"):
        corpus_slice.pack(str(tmp_path / "bad.json"), str(toy_model_dir), str(tmp_path / "carry"), budget_bytes=10**6)


@pytest.mark.parametrize("config, message", [
    ({"train": {}}, "two sections"),
    ({"slice": {"corpus": "x"}, "train": {}}, "slice needs"),
    ({"slice": {"corpus": "x", "first_window": 1, "first_document": {}}, "train": {"first_train_window": 5}},
     "must not set first_train_window"),
])
def test_slice_configs_are_checked(tmp_path, config, message):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(config))
    with pytest.raises(InputError, match=message):
        corpus_slice.load_slice_config(str(path))


def test_three_steps_from_the_built_slice_give_a_model_folder_that_round_trips(packed, toy_model_dir, tmp_path):
    """The flow of the call on CPU: train 3 steps on the built run folder, bring back bf16 shards,
    and make a model folder of them that Restorer loads and restores with."""
    import torch
    from safetensors.torch import load_file

    from destem.lab.int8_weights import pack, unpack
    from destem.lab.weights_file import save_whole
    from destem.model.tagger import Tagger
    from destem.restore.restorer import Restorer

    carry = tmp_path / "carry"
    shutil.copytree(packed["carry"], carry)
    # the machine starts from the int8 weights that travelled, unpacked beside the carried config
    save_whole(unpack(pack(load_file(str(toy_model_dir / "model.safetensors")))),
               str(carry / "init" / "model.safetensors"))
    run = subprocess.run([sys.executable, "-m", "destem.cli", "train", "--init", str(carry / "init"),
                          "--out", str(carry / "run"), "--config", str(carry / corpus_slice.TRAIN_CONFIG),
                          "--max-steps", "3", "--device", "cpu"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout[run.stdout.index("{"):])["step"] == 3
    back = tmp_path / "back"
    Tagger.from_pretrained(str(carry / "run")).to(torch.bfloat16).save_pretrained(str(back), max_shard_bytes=100_000)
    assert len(list(back.glob("model-*.safetensors"))) > 1
    model_dir = tmp_path / "model"
    names = corpus_slice.assemble(str(back), str(toy_model_dir), str(model_dir))
    assert "model.safetensors.index.json" in names and not (model_dir / "model.safetensors").exists()
    restorer = Restorer.from_pretrained(str(model_dir), device="cpu")
    text = next(read_documents(str(MINI_CORPUS))).text.split("\n")[0]
    stems = stem_text(text)
    restored = restorer.restore([stems])[0]
    assert stem_text(restored) == stems
    with pytest.raises(InputError, match="exists"):
        corpus_slice.assemble(str(back), str(toy_model_dir), str(model_dir))


def test_carry_size_counts_what_travels(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("/.gpu/\n/big.bin\n")
    for name, size in (("code.py", 1000), ("untracked.txt", 200), ("big.bin", 5000), ("models/m.bin", 7000),
                       (".gpu/carry/w.bin", 3000), (".gpu/other/x.bin", 4000)):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * size)
    subprocess.run(["git", "-C", str(tmp_path), "add", "code.py", ".gitignore"], check=True)
    sizes = corpus_slice.carry_bytes(str(tmp_path), [".gpu/carry"])
    gitignore = len("/.gpu/\n/big.bin\n")  # models/ is set aside, big.bin and .gpu/other stay
    assert sizes == {"tree": 1000 + 200 + gitignore, "carry": 3000, "total": 1000 + 200 + gitignore + 3000}
    (tmp_path / ".gpu/carry/huge.bin").write_bytes(b"x" * (corpus_slice.CALL_LIMIT_BYTES))
    done = subprocess.run([sys.executable, "-m", "destem.training.corpus_slice", "size", "--root", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 1 and "over the 64 MiB" in done.stderr
