"""Aligned training pairs: (stems, original text) windows of documents, with token alignment.

Each window's target is the exact original text its stems came from, from the end of the
previous window's last stem token (so the stopwords before its first stem are in it) to the end
of its own last stem token (the last window runs to the document's end). Concatenating a
document's targets gives back the document, and stemming a verified target gives back its source.
"""
from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache

from .align import AlignedDocument, align_document
from .documents import Document, expand_paths, read_documents
from .forward import PIPELINES, ForwardPipeline
from .windows import DEFAULT_MAX_STEMS, window_bounds

MERGE_LIMIT = 4  # a merged window holds at most this many windows' worth of stems


@dataclass(frozen=True)
class PairConfig:
    max_stems: int = DEFAULT_MAX_STEMS  # window size limit, in stems
    valid_fraction: float = 0.01  # share of articles held out for validation
    seed: int = 0  # seeds the article split
    # input pipelines (`forward.PIPELINES` names) and their shares of the documents, e.g. "destem:0.5,isalpha:0.5":
    # a model that learns to restore several pipelines' stems sees each document stemmed by one of them
    inputs: str = "destem"


@lru_cache(maxsize=16)
def parse_inputs(inputs: str) -> tuple[tuple[str, float], ...]:
    """"destem:0.5,isalpha:0.25,letters:0.25" -> ((name, share), ...); a name alone has share 1. Cached:
    pair building asks once per document."""
    parsed = []
    for item in inputs.split(","):
        name, _, share = item.strip().partition(":")
        if name not in PIPELINES or PIPELINES[name].stemmer != "porter-nltk":
            raise ValueError(f"input pipeline {name!r}: pairs are made by "
                             f"{', '.join(n for n, p in PIPELINES.items() if p.stemmer == 'porter-nltk')}")
        try:
            parsed.append((name, float(share) if share else 1.0))
        except ValueError:
            raise ValueError(f"input pipeline {name!r}: share {share!r} is not a number") from None
    if sum(share for _, share in parsed) <= 0:
        raise ValueError(f"input pipelines {inputs!r}: the shares add up to nothing")
    return tuple(parsed)


def input_pipeline_of(doc_id: str, config: PairConfig) -> str:
    """The name of the pipeline that stems document `doc_id`: drawn by its id's hash with the shares of
    `config.inputs`."""
    choices = parse_inputs(config.inputs)
    if len(choices) == 1:
        return choices[0][0]
    digest = hashlib.sha1(f"input:{config.seed}:{doc_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64 * sum(share for _, share in choices)
    for name, share in choices:
        point -= share
        if point < 0:
            return name
    return choices[-1][0]


def split_of(doc_id: str, config: PairConfig) -> str:
    digest = hashlib.sha1(f"{config.seed}:{doc_id}".encode()).digest()
    share = int.from_bytes(digest[:8], "big") / 2**64
    return "validation" if share < config.valid_fraction else "train"


SPLITS = ("train", "validation")


def split_documents(paths: list[str], split: str | None = None, config: PairConfig = PairConfig(),
                    exclude_titles: Collection[str] = ()) -> Iterator[Document]:
    """The documents of `paths` (files, globs or folders, as `expand_paths` reads them) in corpus
    order: all of them (`split` None), or those of one split ("train" or "validation") as `destem
    data build` splits them with `config`; documents whose id is in `exclude_titles` left out.

    Validation documents are text that no model trained on these pairs has seen: neither its
    weights, nor its lexicon, nor its word LM (they count the training split only)."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)} or None, not {split!r}")
    for path in expand_paths(paths):
        for doc in read_documents(path):
            if (split is None or split_of(doc.doc_id, config) == split) and doc.doc_id not in exclude_titles:
                yield doc


def document_ids(paths: list[str]) -> set[str]:
    """The ids (article titles) of the documents of `paths`: what `exclude_titles` takes."""
    return {doc.doc_id for doc in split_documents(paths)}


def document_windows(doc: Document, config: PairConfig) -> Iterator[dict]:
    """The windows of one document as records, in order.

    Each window is checked alone: stemming its target must give its source. Context can break
    that (a quote's direction depends on the text before it, a period after an abbreviation on
    the text after it), so a failing window is merged into the previous one, or else into the
    next, up to `MERGE_LIMIT` windows' worth of stems; one that still fails is kept (the
    document stays whole) with `verified` false, and training skips it.
    """
    input_name = input_pipeline_of(doc.doc_id, config)
    pipeline = PIPELINES[input_name]
    aligned = align_document(doc.text, pipeline.keep)
    split = split_of(doc.doc_id, config)
    bounds = window_bounds(aligned.stems, config.max_stems)
    cap = MERGE_LIMIT * config.max_stems
    spans: list[list] = []  # [stem start, stem end, text start, text end, verified]
    text_start, pending = 0, None
    for k, (start, end) in enumerate(bounds):
        last = k == len(bounds) - 1
        text_end = len(doc.text) if last else aligned.ends[end - 1]
        span = [pending[0], end, pending[2], text_end, True] if pending else [start, end, text_start, text_end, True]
        text_start, pending = text_end, None
        if _verified(doc.text, aligned, span, pipeline):
            spans.append(span)
            continue
        if spans and span[1] - spans[-1][0] <= cap:
            merged = [spans[-1][0], span[1], spans[-1][2], span[3], True]
            if _verified(doc.text, aligned, merged, pipeline):
                spans[-1] = merged
                continue
        if not last and bounds[k + 1][1] - span[0] <= cap:  # merged with the next, it stays within the cap
            pending = span
            continue
        span[4] = False
        spans.append(span)
    for index, (start, end, t_start, t_end, verified) in enumerate(spans):
        yield _record(doc, split, index, aligned, start, end, doc.text[t_start:t_end], index == len(spans) - 1,
                      verified, input_name)
    if not bounds:  # a document with no stems: one empty-source window keeps it whole
        yield _record(doc, split, 0, aligned, 0, 0, doc.text, True, True, input_name)


def _verified(text: str, aligned: AlignedDocument, span: list, pipeline: ForwardPipeline) -> bool:
    start, end, t_start, t_end, _ = span
    return pipeline.stem_text(text[t_start:t_end]) == " ".join(aligned.stems[start:end])


def _record(doc, split, index, aligned: AlignedDocument, start, end, target, last, verified, input_name) -> dict:
    return {
        "id": f"{doc.doc_id}#{index}",
        "article": doc.doc_id,
        "split": split,
        "window": index,
        "source": " ".join(aligned.stems[start:end]),
        "target": target,
        "verified": verified,
        "words": aligned.words[start:end],
        "gaps": [" ".join(g) for g in aligned.gaps[start:end]],
        "tail": " ".join(aligned.tail) if last else "",
        "input": input_name,  # the PIPELINES name that stemmed the document
    }


def generate_pairs(files: list[str], config: PairConfig) -> Iterator[dict]:
    for path in files:
        for doc in read_documents(path):
            yield from document_windows(doc, config)


def build_pairs(paths: list[str], out_dir: str, config: PairConfig = PairConfig(), num_proc: int = 2):
    """Build the pairs of all documents under `paths` into a `datasets` folder at `out_dir`."""
    from datasets import Dataset, DatasetDict

    files = expand_paths(paths)
    if not files:
        raise FileNotFoundError("no .txt or .txt.gz files in " + ", ".join(paths))
    # a private cache: the datasets cache keys generators by file names, not contents
    with tempfile.TemporaryDirectory(prefix="destem-build-") as cache_dir:
        dataset = Dataset.from_generator(
            _generate_shard,
            gen_kwargs={"files": files, "config": [config] * len(files)},
            num_proc=max(1, min(num_proc, len(files))),
            cache_dir=cache_dir,
        )
        splits = DatasetDict({
            name: dataset.filter(lambda s, name=name: s == name, input_columns="split", num_proc=None)
            for name in ("train", "validation")
        })
        splits.save_to_disk(out_dir)
    return DatasetDict.load_from_disk(out_dir)


def _generate_shard(files: list[str], config: list[PairConfig]) -> Iterator[dict]:
    # datasets shards list-valued gen_kwargs across processes, so config travels as a list too
    yield from generate_pairs(files, config[0])
