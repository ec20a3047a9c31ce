"""A user's training prose in its many forms, as corpus files that the pair builder reads.

Text files (corpus format or plain text, .txt/.txt.gz, named, in folders or by globs) are read
where they are. JSONL files (a string field per record), `datasets` datasets saved to disk and a
hub dataset are written once into corpus-format files under the run folder, one `# name:N`
article per record, so that every form goes through the same pair builder.
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator

from ..restore.batch import looks_stemmed
from ..text.documents import expand_paths, read_documents
from ..text.textio import InputError, atomic_write, read_jsonl
from .config import TrainConfig

SAVED_DATASET_FILES = ("dataset_dict.json", "dataset_info.json")  # what `save_to_disk` writes
SNIFF_DOCUMENTS = 50  # documents looked at to tell prose from stems


def corpus_files(inputs: list[str], out_dir: str, text_key: str = "text", hub_dataset: str | None = None) -> list[str]:
    """The corpus files for `inputs` (and a hub dataset), converting what is not text into `out_dir`."""
    files = []
    for pattern in inputs:
        if _is_saved_dataset(pattern):
            files.append(_write_records(_dataset_texts(pattern, text_key), pattern, out_dir, len(files)))
            continue
        found = expand_paths([pattern])
        if not found:
            raise InputError(f"{pattern}: no .txt or .txt.gz files there (name .jsonl files, or use a glob)")
        for path in found:
            if path.endswith(".jsonl"):
                texts = (record[text_key] for record in read_jsonl(path, text_key))
                path = _write_records(texts, path, out_dir, len(files))
            files.append(path)
    if hub_dataset:
        files.append(_write_records(_hub_texts(hub_dataset, text_key), hub_dataset, out_dir, len(files)))
    if not files:
        raise InputError("give --corpus PATH... or --hub-dataset NAME")
    return files


def check_corpus(files: list[str]) -> int:
    """The number of documents in `files`, refusing a corpus that cannot train and validate a
    model: not UTF-8, empty or already stemmed (one document is fine: training holds out its tail)."""
    documents, sample = 0, []
    for path in files:
        try:
            for document in read_documents(path):
                documents += 1
                if len(sample) < SNIFF_DOCUMENTS:
                    sample.append(document.text)
        except UnicodeDecodeError as e:
            raise InputError(f"{path}: not UTF-8 (bad byte at offset {e.start} of the text)") from None
        except OSError as e:  # a damaged .gz
            raise InputError(f"{path}: cannot be read ({e})") from None
    names = ", ".join(files[:3]) + (", ..." if len(files) > 3 else "")
    if documents == 0:
        raise InputError(f"no text in the corpus ({names})")
    # looks_stemmed calls under 10 tokens stemmed ("too little to tell"); such a corpus is just small
    if sum(len(text.split()) for text in sample) >= 10 and looks_stemmed(sample):
        raise InputError(f"the corpus ({names}) looks stemmed already (lowercase, no stopwords): "
                         "train on the original prose, not on stems")
    return documents


def build_run_pairs(inputs: list[str], out_dir: str, config: TrainConfig, text_key: str = "text",
                    hub_dataset: str | None = None, num_proc: int = 2) -> str:
    """Check the corpus and build its pairs into the run folder (`OUT/pairs`; converted inputs in
    `OUT/corpus`), with documents held out for validation by `config.valid_fraction`."""
    from ..text.pairs import PairConfig, build_pairs

    files = corpus_files(inputs, os.path.join(out_dir, "corpus"), text_key, hub_dataset)
    check_corpus(files)
    pairs_dir = os.path.join(out_dir, "pairs")
    build_pairs(files, pairs_dir, PairConfig(max_stems=config.max_stems, valid_fraction=config.valid_fraction,
                                             seed=config.seed, inputs=config.inputs), num_proc=num_proc)
    return pairs_dir


def _is_saved_dataset(path: str) -> bool:
    return os.path.isdir(path) and any(os.path.exists(os.path.join(path, n)) for n in SAVED_DATASET_FILES)


def _dataset_texts(path: str, text_key: str) -> Iterator[str]:
    from datasets import DatasetDict, load_from_disk

    dataset = load_from_disk(path)
    splits = list(dataset.values()) if isinstance(dataset, DatasetDict) else [dataset]  # we split by document
    for split in splits:
        if text_key not in split.column_names:
            raise InputError(f"{path}: no {text_key!r} column (columns: {', '.join(split.column_names)}); "
                             "name the text column with --text-key")
    return itertools.chain.from_iterable(split[text_key] for split in splits)


def _hub_texts(name: str, text_key: str) -> Iterator[str]:
    import datasets

    try:
        dataset = datasets.load_dataset(name, split="train")
    except Exception as e:  # noqa: BLE001 - no network, no such dataset, no access: the library's reasons vary
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"--hub-dataset {name}: could not load its train split ({reason})") from None
    if text_key not in dataset.column_names:
        raise InputError(f"--hub-dataset {name}: no {text_key!r} column (columns: {', '.join(dataset.column_names)})")
    return iter(dataset[text_key])


def _write_records(texts: Iterable[str], source: str, out_dir: str, index: int) -> str:
    """Write texts as corpus-format articles (title `name:N`, non-empty lines as paragraphs)."""
    name = os.path.basename(os.path.normpath(source))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{index:03d}-{name}.txt")  # the index keeps same-named sources apart
    with atomic_write(path) as f:
        for number, text in enumerate(texts):
            lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
            if lines:
                f.write(f"# {name}:{number}\n" + "\n".join(lines) + "\n")
    return path
