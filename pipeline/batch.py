"""Batch restoration (`destem restore`): files, stdin, folders and JSONL in; one restored document
per input document out, in the same order. Each output is written to a temporary file and renamed
into place when complete, so an interrupted folder run can be rerun and finishes only what is missing.
"""
from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, TextIO

from .forward import STOPWORDS
from .restore import Restoration, Restorer, RestoreStats
from .textio import InputError, format_document, read_jsonl, read_text, split_lines

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "default"
GROUP_STEMS = 20_000  # stems per model call: memory stays bounded whatever the document sizes
SNIFF_TOKENS = 5_000  # tokens looked at to tell stems from plain English
MAX_CAPITALIZED_SHARE = 0.05  # the stemmer lowercases every token
MAX_STOPWORD_SHARE = 0.10  # stopwords were removed; English prose is about half stopwords


@dataclass
class RestoreOptions:
    model_dir: str = str(DEFAULT_MODEL_DIR)
    device: str = "auto"
    jsonl: bool = False
    text_key: str = "text"
    output_key: str = "restored"
    markdown: bool = False
    constrained: bool = True
    batch_tokens: int = 8192
    force: bool = False  # redo outputs that already exist
    errors: str = "strict"  # bytes that are not UTF-8: "strict" refuses the file, "replace" goes on


@dataclass(frozen=True)
class Job:
    source: str  # an input file, or "-" for stdin
    target: str | None  # its output file; None: standard output


@dataclass
class RunTotals:
    stats: RestoreStats = field(default_factory=RestoreStats)
    words: int = 0  # words of restored text
    seconds: float = 0.0  # time spent restoring and writing (model loading excluded)
    skipped: int = 0  # outputs that existed already
    failed: int = 0  # inputs that could not be read

    def summary(self) -> str:
        s = self.stats
        line = (f"destem: restored {s.documents:,} documents, {s.stems:,} stems in {self.seconds:.1f} s "
                f"({self.words / max(self.seconds, 1e-9):,.0f} words/s); round-trip failures: "
                f"{s.roundtrip_failures:,}; fallbacks: {s.lexicon_forms:,} lexicon forms, "
                f"{s.repairs:,} repairs")
        if self.skipped:
            line += f"; skipped {self.skipped:,} finished outputs (--force redoes them)"
        if self.failed:
            line += f"; {self.failed:,} inputs failed"
        return line


def looks_stemmed(documents: Iterable[str]) -> bool:
    """False when the text reads like plain English: stems are lowercase and have no stopwords."""
    tokens: list[str] = []
    for document in documents:
        tokens += document.split(None, SNIFF_TOKENS)[: SNIFF_TOKENS - len(tokens)]
        if len(tokens) >= SNIFF_TOKENS:
            break
    if len(tokens) < 10:
        return True  # too little to tell
    capitalized = sum(any(ch.isupper() for ch in token) for token in tokens)
    stopwords = sum(token.lower() in STOPWORDS for token in tokens)
    return capitalized <= MAX_CAPITALIZED_SHARE * len(tokens) and stopwords <= MAX_STOPWORD_SHARE * len(tokens)


def restore_stream(restorer: Restorer, documents: Iterable[str], group_stems: int = GROUP_STEMS,
                   **options) -> Iterator[Restoration]:
    """Restorations of `documents`, in order. Short documents are restored in groups of at most
    `group_stems` stems, a longer one in pieces of whole sentences, so memory stays bounded."""
    group: list[str] = []
    size = 0  # stems in the group, plus one per document: many empty documents also fill it
    for document in documents:
        stems = document.split()
        if group and size + len(stems) > group_stems:
            yield from restorer.restore_documents(group, **options)
            group, size = [], 0
        if len(stems) > group_stems:
            yield restorer.restore_long_document(stems, group_stems, **options)
        else:
            group.append(document)
            size += len(stems) + 1
    if group:
        yield from restorer.restore_documents(group, **options)


def plan_jobs(inputs: list[str], out: str | None, jsonl: bool = False) -> list[Job]:
    """Pair every input file with its output; refuse, before any work, plans that cannot work."""
    for path in inputs:
        if path != "-" and not os.path.exists(path):
            raise InputError(f"{path}: no such file or folder")
    folders = [path for path in inputs if path != "-" and os.path.isdir(path)]
    if out is None:
        if folders:
            raise InputError(f"{folders[0]}: is a folder; give -o OUTDIR to restore a folder")
        return [Job(path, None) for path in inputs]
    if not folders and len(inputs) == 1 and not os.path.isdir(out):
        jobs = [Job(inputs[0], out)]
    else:
        if os.path.isfile(out):
            raise InputError(f"-o {out}: is a file, but several inputs or a folder need an output folder")
        jobs = [job for path in inputs for job in _jobs_into_folder(path, out, jsonl)]
        if not jobs:
            raise InputError(f"no {'.jsonl' if jsonl else '.txt'} files in {', '.join(folders)}")
    _check_targets(jobs, folders, out)
    return jobs


def _jobs_into_folder(path: str, out_dir: str, jsonl: bool) -> list[Job]:
    """A file goes to OUTDIR/its name; a folder's .txt (.jsonl) files are mirrored under OUTDIR."""
    if path == "-":
        raise InputError("- (stdin) cannot go to an output folder; give -o FILE")
    if not os.path.isdir(path):
        return [Job(path, os.path.join(out_dir, os.path.basename(path)))]
    suffix = ".jsonl" if jsonl else ".txt"
    jobs = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # sorted in place: a stable walk
        for name in sorted(names):
            if name.endswith(suffix) and not name.startswith("."):
                source = os.path.join(root, name)
                jobs.append(Job(source, os.path.join(out_dir, os.path.relpath(source, path))))
    return jobs


def _check_targets(jobs: list[Job], folders: list[str], out: str) -> None:
    sources = {os.path.realpath(job.source) for job in jobs if job.source != "-"}
    writers: dict[str, str] = {}
    for job in jobs:
        target = os.path.realpath(job.target)
        if target in sources:
            raise InputError(f"{job.target}: the output would overwrite an input; choose another -o")
        if target in writers:
            raise InputError(f"{writers[target]} and {job.source} would both be written to {job.target}")
        writers[target] = job.source
    out_dir = os.path.realpath(out) + os.sep
    for folder in folders:
        if out_dir.startswith(os.path.realpath(folder) + os.sep):
            raise InputError(f"-o {out}: is inside the input folder {folder}; a rerun would read the outputs as inputs")


@contextmanager
def atomic_output(target: str) -> Iterator[TextIO]:
    """Write to a hidden temporary file beside `target`, renamed to it only once complete."""
    folder, name = os.path.split(os.path.abspath(target))
    os.makedirs(folder, exist_ok=True)
    partial = os.path.join(folder, f".{name}.part")  # a rerun after a kill overwrites it
    try:
        with open(partial, "w", encoding="utf-8", newline="\n") as f:
            yield f
        os.replace(partial, target)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise


class BatchRestore:
    """One `destem restore` run: the model is loaded once, on the first input that needs it."""

    def __init__(self, options: RestoreOptions, progress=None):
        self.options = options
        self.progress = progress  # a tqdm bar over stems, or None
        self.totals = RunTotals()
        self._restorer: Restorer | None = None
        self._warned_not_stemmed = False
        self._stdout_documents = 0  # documents already on stdout: the next file's are not first

    def run(self, jobs: list[Job]) -> int:
        """Restore every job whose output is missing; 0 when all inputs could be read, else 2."""
        for job in jobs:
            if job.target is not None and os.path.exists(job.target) and not self.options.force:
                self.totals.skipped += 1
                continue
            try:
                documents, records = self.read_job(job)
            except InputError as e:  # one bad file does not stop the others
                print(f"destem: error: {e}", file=sys.stderr)
                self.totals.failed += 1
                continue
            self.restore_job(job, documents, records)
        return 2 if self.totals.failed else 0

    def read_job(self, job: Job) -> tuple[list[str], list[dict] | None]:
        """The input documents, and with --jsonl the records that hold them."""
        o = self.options
        if not o.jsonl:
            return split_lines(read_text(job.source, o.errors)), None
        records = read_jsonl(job.source, o.text_key, o.errors)
        return [record[o.text_key] for record in records], records

    def restore_job(self, job: Job, documents: list[str], records: list[dict] | None) -> None:
        o = self.options
        self._warn_if_not_stemmed(job.source, documents)
        restorer = self.restorer()
        if self.progress is not None:
            self.progress.total += sum(len(d.split()) for d in documents)
            self.progress.refresh()
        start = time.perf_counter()
        restorations = restore_stream(restorer, documents, batch_tokens=o.batch_tokens, markdown=o.markdown,
                                      constrained=o.constrained, progress=self.progress)
        written_before = self._stdout_documents if job.target is None else 0
        with nullcontext(sys.stdout) if job.target is None else atomic_output(job.target) as out:
            for index, restoration in enumerate(restorations):
                if records is not None:
                    records[index][o.output_key] = restoration.text
                    out.write(json.dumps(records[index], ensure_ascii=False) + "\n")
                else:
                    out.write(format_document(restoration.text, written_before + index == 0, o.markdown))
                self.totals.stats.add(restoration.stats)
                self.totals.words += len(restoration.text.split())
        if job.target is None:
            self._stdout_documents += len(documents)
        self.totals.seconds += time.perf_counter() - start

    def restorer(self) -> Restorer:
        if self._restorer is None:
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # our own bar is the one on stderr
            try:
                self._restorer = Restorer.from_pretrained(self.options.model_dir, device=self.options.device)
            except FileNotFoundError as e:
                raise InputError(f"{e} (pass --model DIR)") from None
            except ValueError as e:  # --device cuda without a GPU
                raise InputError(str(e)) from None
        return self._restorer

    def _warn_if_not_stemmed(self, source: str, documents: list[str]) -> None:
        if self._warned_not_stemmed or looks_stemmed(documents):
            return
        self._warned_not_stemmed = True
        name = "<stdin>" if source == "-" else source
        print(f"destem: warning: {name}: input does not look stemmed (many capitals or stopwords); "
              f"restoring anyway — feed it through `destem stem` first if it is plain English", file=sys.stderr)


def restore_files(inputs: list[str], out: str | None, options: RestoreOptions) -> int:
    """`destem restore`: plan, restore with a progress bar over stems, print the summary."""
    from tqdm import tqdm

    jobs = plan_jobs(inputs, out, options.jsonl)
    with tqdm(total=0, unit=" stems", unit_scale=True, file=sys.stderr, disable=None) as progress:
        batch = BatchRestore(options, progress)
        status = batch.run(jobs)
    if batch.totals.stats.documents or batch.totals.skipped or not batch.totals.failed:
        print(batch.totals.summary(), file=sys.stderr)
    return status
