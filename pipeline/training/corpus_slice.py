"""Fresh training text for a lent GPU call, carried as prose and made into features on its cores.

A call to the lent machine carries 64 MiB. Encoded features (`destem train --prepare-only`) cost
about 225 bytes a window; the corpus text they come from, as `xz -9e`, 178 (the 174,308 windows of
`data/recipes/default/next-gpu-slice.json`), and one core here makes ~180 windows/s of pairs and
features, so the machine's 16 make a slice in a minute or two. So the carry holds int8 weights
(`pipeline/lab/int8_weights.py`), the validation features made here, and as many unseen
documents as fit (`data/recipes/default/pack-slice-for-gpu.sh`, `train-slice-on-gpu.sh`).

Windows are numbered as `destem data build` and `destem train` number them: the training split's
windows in corpus order (files in the order given, each file's documents in order, each document's
windows in order), counting unverified windows too; `first_train_window` and `max_train_windows`
count in that numbering. `locate` maps it to documents, so that a slice can start at the first
document none of whose windows a run has trained on.

    python -m destem.training.corpus_slice locate --corpus '../shared/corpus/wiki-0*.txt.gz' \\
        --until-window 385000 --out .cache/window-map.tsv
    python -m destem.training.corpus_slice pack --config data/recipes/default/next-gpu-slice.json \\
        --init models/default --carry .gpu/carry
    python -m destem.training.corpus_slice build --carry .gpu/carry --processes 16     # on the machine
    python -m destem.training.corpus_slice assemble --weights out/model --base models/default --out DIR
"""
from __future__ import annotations

import argparse
import itertools
import json
import lzma
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..text.documents import Document, expand_paths, read_documents
from ..text.pairs import PairConfig, document_ids, document_windows, split_documents, split_of
from ..text.textio import InputError, atomic_write

SLICE_FILE = "slice.txt.xz"  # in the carry: the documents, corpus format
SLICE_INFO = "slice.json"  # in the carry: where they come from
TRAIN_CONFIG = "train.json"  # in the carry: the `destem train --config` of the call
RUN = "run"  # in the carry: the run folder train() reads
XZ_PRESET = 9 | lzma.PRESET_EXTREME  # xz -9e: 29.1 MB of gzip became 20.7 MB
FEATURE_PRESET = 0  # features made on the machine are read there once: compress them fast


@dataclass(frozen=True)
class MapRow:
    file: str  # base name of the corpus file
    index: int  # the document's position in its file (0-based)
    title: str
    split: str  # "train" or "validation"
    windows: int  # its pair windows (0 for validation documents unless counted)
    first_window: int  # its first training window (-1 for validation documents)


def pair_config(init_dir: str | None, valid_fraction: float = 0.01, seed: int = 0) -> PairConfig:
    """The pair settings of a model folder (its window size) with the split of `destem data build`."""
    max_stems = PairConfig().max_stems
    if init_dir:
        with open(os.path.join(init_dir, "config.json")) as f:
            max_stems = json.load(f).get("max_stems", max_stems)
    return PairConfig(max_stems=max_stems, valid_fraction=valid_fraction, seed=seed)


# ---------------------------------------------------------------- numbering windows by document

def numbered_documents(files: list[str]) -> Iterator[tuple[str, int, Document]]:
    for path in files:
        for index, doc in enumerate(read_documents(path)):
            yield os.path.basename(path), index, doc


_CONFIG: PairConfig | None = None  # a worker's pair settings (set once per process)


def _init_worker(config: PairConfig, *more) -> None:
    global _CONFIG
    _CONFIG = config
    if more:
        _init_encoder(*more)


def _count(task: tuple[Document, str]) -> int | None:
    doc, split = task
    return sum(1 for _ in document_windows(doc, _CONFIG)) if split == "train" else None


def batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Here:
    """A pool of no processes: the work runs in this one (tests, one core)."""

    def __init__(self, initializer, initargs):
        initializer(*initargs)

    def map(self, fn, items, chunksize=1):
        return list(map(fn, items))

    def imap(self, fn, items, chunksize=1):
        return map(fn, items)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def worker_pool(processes: int, initializer, initargs):
    if processes <= 1:
        return _Here(initializer, initargs)
    return multiprocessing.get_context("fork").Pool(processes, initializer, initargs)


def window_map(files: list[str], config: PairConfig, processes: int = 1,
               until_window: int | None = None) -> Iterator[MapRow]:
    """Each document of `files` in order, with its first training window; stops after the document
    that holds window `until_window` (None: all). Validation documents are named, not counted."""
    next_window = 0
    with worker_pool(processes, _init_worker, (config,)) as pool:
        for batch in batches(numbered_documents(files), 64 * max(1, processes)):
            tasks = [(doc, split_of(doc.doc_id, config)) for _, _, doc in batch]
            for (name, index, doc), windows in zip(batch, pool.map(_count, tasks, chunksize=4)):
                if windows is None:
                    yield MapRow(name, index, doc.doc_id, "validation", 0, -1)
                    continue
                yield MapRow(name, index, doc.doc_id, "train", windows, next_window)
                next_window += windows
                if until_window is not None and next_window > until_window:
                    return


MAP_COLUMNS = ("file", "index", "first_window", "windows", "split", "title")


def write_map(rows: Iterable[MapRow], path: str) -> MapRow | None:
    """The map as tab-separated lines, written as it goes (a long count can be watched); the last row."""
    last = None
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\t".join(MAP_COLUMNS) + "\n")
        for row in rows:
            f.write(f"{row.file}\t{row.index}\t{row.first_window}\t{row.windows}\t{row.split}\t{row.title}\n")
            f.flush()
            last = row
    return last


def read_map(path: str) -> list[MapRow]:
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if tuple(header) != MAP_COLUMNS:
            raise InputError(f"{path}: not a window map (columns {', '.join(MAP_COLUMNS)})")
        rows = []
        for line in f:
            name, index, first, windows, split, title = line.rstrip("\n").split("\t", 5)
            rows.append(MapRow(name, int(index), title, split, int(windows), int(first)))
    return rows


def first_unseen(rows: list[MapRow], first_window: int) -> MapRow:
    """The first training document all of whose windows are at `first_window` or later."""
    for row in rows:
        if row.split == "train" and row.first_window >= first_window:
            return row
    raise InputError(f"the map ends before a document that starts at window {first_window:,} or later")


# ---------------------------------------------------------------- the slice config

def load_slice_config(path: str) -> tuple[dict, dict]:
    """The `slice` and `train` sections of a slice config (`data/recipes/default/next-gpu-slice.json`)."""
    with open(path) as f:
        try:
            config = json.load(f)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}: not JSON ({e.msg}, line {e.lineno})") from None
    if set(config) != {"slice", "train"}:
        raise InputError(f"{path}: a slice config has two sections, slice and train (it has {', '.join(config)})")
    slice_, train = config["slice"], config["train"]
    missing = {"corpus", "first_window", "first_document"} - set(slice_)
    if missing:
        raise InputError(f"{path}: slice needs {', '.join(sorted(missing))}")
    counted = {"first_train_window", "max_train_windows"} & set(train)
    if counted:  # the machine trains on all the slice's windows, which it numbers from 0
        raise InputError(f"{path}: train must not set {', '.join(sorted(counted))}: the slice chooses the windows")
    return slice_, train


# ---------------------------------------------------------------- packing, here

def slice_documents(files: list[str], first: dict, config: PairConfig, excluded_titles: set[str],
                    stats: dict) -> Iterator[Document]:
    """The training documents from `first` (file, index, title) on, in corpus order, without
    validation documents and `excluded_titles`; counts what it leaves out in `stats`."""
    names = [os.path.basename(f) for f in files]
    if first["file"] not in names:
        raise InputError(f"first_document: {first['file']} is not among the corpus files ({', '.join(names)})")
    started = False
    for name, index, doc in numbered_documents(files[names.index(first["file"]):]):
        if not started:
            if index < first["index"]:
                continue
            if doc.doc_id != first["title"]:
                raise InputError(f"first_document: {name} document {index} is {doc.doc_id!r}, not "
                                 f"{first['title']!r}: the corpus is not the one the map was made from")
            started = True
        if split_of(doc.doc_id, config) != "train":
            stats["validation_documents_left_out"] += 1
        elif doc.doc_id in excluded_titles:
            stats["benchmark_documents_left_out"] += 1
        else:
            yield doc


def corpus_text(doc: Document) -> str:
    """A document in the corpus format, read back by `read_documents` as the same document."""
    return f"# {doc.doc_id}\n{doc.text}\n\n"


def write_within(docs: list[Document], path: str, budget_bytes: int, preset: int = XZ_PRESET) -> int:
    """Write the longest prefix of `docs` whose xz file fits `budget_bytes`; returns how many."""
    texts = [corpus_text(d).encode("utf-8") for d in docs]
    count = len(texts)
    while count:
        data = lzma.compress(b"".join(texts[:count]), format=lzma.FORMAT_XZ, preset=preset)
        if len(data) <= budget_bytes:
            with atomic_write(path, "wb") as f:
                f.write(data)
            return count
        raw, keep = sum(len(t) for t in texts[:count]), 0.99 * budget_bytes / len(data)
        total = 0
        for i, t in enumerate(texts[:count]):  # the prefix of about `keep` of the raw bytes
            total += len(t)
            if total > keep * raw:
                count = i
                break
    raise InputError(f"not one document fits {budget_bytes:,} bytes of xz")


def validation_records(files: list[str], config: PairConfig) -> list[dict]:
    """The validation windows of `files` in corpus order, as `destem data build` splits them."""
    return [record for doc in split_documents(files, "validation", config) for record in document_windows(doc, config)]


def pack(config_path: str, init_dir: str, carry: str, budget_bytes: int | None = None,
         max_documents: int | None = None, corpus: list[str] | None = None, root: str = ".") -> dict:
    """Write the run folder's small files, the validation features and then the slice into `carry`:
    as many documents as fit `budget_bytes`, or else what the 64 MiB of a call leave beside the work
    tree at `root` (models/ and eval/ set aside) and the rest of the carry."""
    from ..model.labels import LabelVocab
    from ..model.tagger import TaggerConfig
    from ..model.tokenizer import StemTokenizer
    from ..restore.lexicon import LEXICON_FILE, Lexicon
    from .config import load_config
    from .train import LABELS_FILE, VALIDATION_SLICE, save_validation

    slice_, train_overrides = load_slice_config(config_path)
    patterns = corpus or ([slice_["corpus"]] if isinstance(slice_["corpus"], str) else slice_["corpus"])
    files = expand_paths(patterns)
    if not files:
        raise InputError(f"no corpus files at {', '.join(patterns)}")
    run = os.path.join(carry, RUN)
    os.makedirs(os.path.join(run, "features"), exist_ok=True)
    with open(os.path.join(carry, TRAIN_CONFIG), "w") as f:
        json.dump(train_overrides, f, indent=1)
    config = load_config(os.path.join(carry, TRAIN_CONFIG))
    pairs = pair_config(init_dir, config.valid_fraction, config.seed)

    # the run folder's small files: labels, the validation windows, the lexicon validation needs
    start = time.time()
    tokenizer = StemTokenizer.load(init_dir)
    base = TaggerConfig.from_folder(init_dir)
    vocab = LabelVocab(base.gap_labels, base.form_labels)
    with open(os.path.join(run, LABELS_FILE), "w") as f:
        json.dump({"gaps": vocab.gaps, "forms": vocab.forms}, f, ensure_ascii=False)
    valid = validation_records(files, pairs)
    if not valid:
        raise InputError("the corpus has no validation documents")
    save_validation(run, valid, tokenizer, vocab, config)
    with open(os.path.join(run, "features", VALIDATION_SLICE)) as f:  # validation restores only these stems
        stems = {s for line in f for s in json.loads(line)["source"].split()}
    os.makedirs(os.path.join(carry, "init"), exist_ok=True)  # --init needs a lexicon; the machine copies it to run/
    Lexicon.from_folder(init_dir).subset(stems).save(os.path.join(carry, "init", LEXICON_FILE))
    validation_seconds = time.time() - start

    # then the documents, as many as fit
    start = time.time()
    excluded = set()
    if slice_.get("benchmark"):
        excluded = document_ids([slice_["benchmark"]])
    stats = {"validation_documents_left_out": 0, "benchmark_documents_left_out": 0}
    candidates = list(itertools.islice(slice_documents(files, slice_["first_document"], pairs, excluded, stats),
                                       max_documents))
    if not candidates:
        raise InputError(f"no training documents from {slice_['first_document']['title']!r} on")
    if budget_bytes is None:
        budget_bytes = CALL_LIMIT_BYTES - carry_bytes(root, [os.path.relpath(carry, root)])["total"] - INFO_RESERVE
    kept = write_within(candidates, os.path.join(carry, SLICE_FILE), budget_bytes)
    docs = candidates[:kept]

    info = {
        "corpus": [os.path.basename(f) for f in files],
        "first_window": slice_["first_window"],
        "first_document": slice_["first_document"],
        "last_document": docs[-1].doc_id,
        "documents": len(docs),
        "candidate_documents": len(candidates),
        "cut_to_fit": kept < len(candidates),
        "words": sum(len(d.text.split()) for d in docs),
        "text_bytes": sum(len(corpus_text(d).encode("utf-8")) for d in docs),
        "budget_bytes": budget_bytes,
        "xz_bytes": os.path.getsize(os.path.join(carry, SLICE_FILE)),
        "xz_seconds": round(time.time() - start, 1),
        "validation_windows": len(valid),
        "validation_seconds": round(validation_seconds, 1),
        **stats,
    }
    with open(os.path.join(carry, SLICE_INFO), "w") as f:
        json.dump(info, f, indent=1, ensure_ascii=False)
    return info


INFO_RESERVE = 64 * 1024  # bytes kept for slice.json and the rounding of file sizes


# ---------------------------------------------------------------- building, on the machine

_ENCODER: tuple | None = None  # a worker's (tokenizer, label vocab)


def _init_encoder(tokenizer_dir: str, labels_path: str) -> None:
    global _ENCODER
    from ..model.labels import LabelVocab
    from ..model.tokenizer import StemTokenizer

    with open(labels_path) as f:
        labels = json.load(f)
    _ENCODER = (StemTokenizer.load(tokenizer_dir), LabelVocab(labels["gaps"], labels["forms"]))


def _encode(doc: Document):
    """One document's windows, as (windows, stems, features); its split must be train."""
    import numpy as np

    from ..model.features import WindowFeatures, encode_records

    if split_of(doc.doc_id, _CONFIG) != "train":
        raise InputError(f"{doc.doc_id!r} is a validation document: the slice must hold training documents only")
    records = list(document_windows(doc, _CONFIG))
    tokenizer, vocab = _ENCODER
    features = [WindowFeatures(*(np.asarray(getattr(f, a), np.int32) for a in
                                 ("input_ids", "word_positions", "gap_ids", "form_ids", "case_ids")))
                for f in encode_records(records, tokenizer, vocab)]
    return len(records), sum(len(r["source"].split()) for r in records), features


def build(carry: str, processes: int) -> dict:
    """The slice's pairs and features in the carry's run folder, with `prepared.json`, so that
    `destem train --out CARRY/run` trains at once."""
    from ..model.features import save_features
    from .config import load_config
    from .train import LABELS_FILE, PREPARED_FILE, TRAIN_FEATURES

    with open(os.path.join(carry, SLICE_INFO)) as f:
        info = json.load(f)
    config = load_config(os.path.join(carry, TRAIN_CONFIG))
    init_dir, run = os.path.join(carry, "init"), os.path.join(carry, RUN)
    pairs = pair_config(init_dir, config.valid_fraction, config.seed)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one thread a worker: the workers are the parallelism
    start = time.time()
    windows = stems = documents = 0
    features = []
    with worker_pool(processes, _init_worker, (pairs, init_dir, os.path.join(run, LABELS_FILE))) as pool:
        for n_windows, n_stems, encoded in pool.imap(_encode, read_documents(os.path.join(carry, SLICE_FILE)),
                                                     chunksize=2):
            windows, stems, documents = windows + n_windows, stems + n_stems, documents + 1
            features += encoded
    encode_seconds = time.time() - start
    if documents != info["documents"]:
        raise InputError(f"{carry}: the slice holds {documents} documents, {SLICE_INFO} says {info['documents']}")
    save_features(features, os.path.join(run, "features", TRAIN_FEATURES), preset=FEATURE_PRESET)
    seconds = time.time() - start
    prepared = {"pairs": SLICE_FILE, "train_windows": windows, "validation_windows": info["validation_windows"],
                "validation_held_out": "documents (the pairs' split), encoded where the slice was packed",
                "train_stems": stems, "init": init_dir, "documents": documents, "encoded_windows": len(features),
                "build_seconds": round(seconds, 1), "encode_seconds": round(encode_seconds, 1),
                "processes": processes,
                "windows_per_s_per_process": round(windows / max(encode_seconds, 1e-9) / processes, 1)}
    with open(os.path.join(run, PREPARED_FILE), "w") as f:
        json.dump(prepared, f, indent=1)
    return prepared


# ---------------------------------------------------------------- after the call

WEIGHT_NAMES = ("model.safetensors", "model.safetensors.index.json")


def _weight_files(folder: str) -> list[str]:
    return sorted(n for n in os.listdir(folder)
                  if n in WEIGHT_NAMES or (n.startswith("model-") and n.endswith(".safetensors")))


def assemble(weights_dir: str, base_dir: str, out_dir: str) -> list[str]:
    """A model folder: `base_dir` (its config, tokenizer, lexicon, word LM and decoding settings)
    with the weights that came back in `weights_dir`."""
    new = _weight_files(weights_dir)
    if not new:
        raise InputError(f"{weights_dir}: no model weights (model.safetensors or its shards)")
    if os.path.exists(out_dir):
        raise InputError(f"{out_dir} exists: give a new folder")
    shutil.copytree(base_dir, out_dir, ignore=lambda folder, names: [
        n for n in names if folder == base_dir and (n in _weight_files(base_dir) or n == "training")])
    for name in new:
        shutil.copyfile(os.path.join(weights_dir, name), os.path.join(out_dir, name))
    return new


def carry_bytes(root: str, carry_paths: list[str], set_aside: tuple[str, ...] = ("models", "eval")) -> dict:
    """What a call to the lent machine carries from the work tree at `root`: the files git tracks or
    does not ignore (less the folders `set_aside` for the call), plus the ignored `carry_paths`."""
    import subprocess

    listed = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            check=True, capture_output=True).stdout.decode().split("\0")
    tree = 0
    for name in filter(None, listed):
        if name.split("/")[0] in set_aside:
            continue
        path = os.path.join(root, name)
        if os.path.isfile(path) and not os.path.islink(path):
            tree += os.path.getsize(path)
    carried = 0
    for folder in carry_paths:
        for dirpath, _, names in os.walk(os.path.join(root, folder)):
            carried += sum(os.path.getsize(os.path.join(dirpath, n)) for n in names)
    return {"tree": tree, "carry": carried, "total": tree + carried}


CALL_LIMIT_BYTES = 64 * 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m destem.training.corpus_slice",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("locate", help="number the training windows by document")
    p.add_argument("--corpus", nargs="+", required=True)
    p.add_argument("--out", required=True, help="the map, tab-separated")
    p.add_argument("--until-window", type=int, help="stop after the document that holds this window")
    p.add_argument("--init", help="model folder whose window size to use (default: 96 stems)")
    p.add_argument("--processes", type=int, default=1)
    p = sub.add_parser("pack", help="the slice and the validation features, into the carry")
    p.add_argument("--config", required=True, help="slice config (slice and train sections)")
    p.add_argument("--init", required=True, help="the model the call continues")
    p.add_argument("--carry", required=True)
    p.add_argument("--budget-bytes", type=int,
                   help="the most the slice's xz file may take (default: what 64 MiB leave beside the work tree, "
                        "models/ and eval/ set aside, and the rest of the carry)")
    p.add_argument("--max-documents", type=int, help="at most this many documents (a small check)")
    p.add_argument("--corpus", nargs="+", help="corpus files instead of the config's")
    p = sub.add_parser("build", help="on the machine: the slice's pairs and features, in CARRY/run")
    p.add_argument("--carry", required=True)
    p.add_argument("--processes", type=int, default=os.cpu_count())
    p = sub.add_parser("assemble", help="a model folder from a base folder and the weights a call brought back")
    p.add_argument("--weights", required=True)
    p.add_argument("--base", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("size", help="what a call would carry from this work tree; fails over 64 MiB")
    p.add_argument("--carry", nargs="*", default=[".gpu/carry"])
    p.add_argument("--root", default=".")
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (InputError, FileNotFoundError) as e:
        print(f"corpus_slice {args.command}: {e}", file=sys.stderr)
        return 2


def _locate(args) -> int:
    start = time.time()
    files = expand_paths(args.corpus)
    last = write_map(window_map(files, pair_config(args.init), args.processes, args.until_window), args.out)
    seconds = time.time() - start
    windows = last.first_window + last.windows if last else 0
    print(f"{args.out}: {windows:,} training windows mapped in {seconds / 60:.1f} min "
          f"({windows / max(seconds, 1e-9) / max(1, args.processes):.0f} windows/s per process)")
    if args.until_window is not None:
        row = first_unseen(read_map(args.out), args.until_window)
        print(json.dumps({"file": row.file, "index": row.index, "title": row.title,
                          "first_train_window": row.first_window}))
    return 0


def _pack(args) -> int:
    info = pack(args.config, args.init, args.carry, args.budget_bytes, args.max_documents, args.corpus)
    sizes = carry_bytes(".", [args.carry])
    print(f"the call carries {sizes['total'] / 2**20:.2f} MiB once models/ and eval/ are set aside", file=sys.stderr)
    print(json.dumps(info, indent=1, ensure_ascii=False))
    return 0


def _build(args) -> int:
    print(json.dumps(build(args.carry, args.processes), indent=1))
    return 0


def _assemble(args) -> int:
    names = assemble(args.weights, args.base, args.out)
    print(f"{args.out}: {args.base} with the weights of {args.weights} ({', '.join(names)})")
    return 0


def _size(args) -> int:
    sizes = carry_bytes(args.root, args.carry)
    mib = {k: v / 2**20 for k, v in sizes.items()}
    print(f"a call carries {mib['total']:.2f} MiB: {mib['tree']:.2f} MiB of the work tree (models/ and eval/ "
          f"set aside) and {mib['carry']:.2f} MiB of {', '.join(args.carry)}")
    if sizes["total"] > CALL_LIMIT_BYTES:
        print(f"corpus_slice size: {mib['total']:.2f} MiB is over the 64 MiB one call carries", file=sys.stderr)
        return 1
    return 0


COMMANDS = {"locate": _locate, "pack": _pack, "build": _build, "assemble": _assemble, "size": _size}


if __name__ == "__main__":
    sys.exit(main())
