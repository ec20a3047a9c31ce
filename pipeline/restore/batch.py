"""Batch restoration (`destem restore`): files, stdin, folders and JSONL in; one restored document
per input document out, in the same order. Each output is written to a temporary file and renamed
into place when complete, so an interrupted folder run can be rerun and finishes only what is missing.

A run (`BatchRestore`) reads the inputs and writes the outputs; what restores the documents in between
is its engine (`RestoreEngine`). Engines plug in from outside this module, which imports none of them:
`LocalEngine`, here, restores in this process, or with --workers N in N processes that restore the same
groups of documents the one process would, so the output is the same, and the main process writes them
in order; `ray_engine.RayEngine` (--engine ray) has Ray actors do it. The command line picks the engine.
"""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import signal
import sys
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING

import torch

from ..model.device import pick_device, restore_precision
from ..model.locate import DEFAULT_MODEL, GENERAL_MODEL, locate_model, model_asked_for, other_installed_general
from ..model.stem_profile import ModelRegisters
from ..text.check import check_documents
from ..text.detect import Detection, detect_documents
from ..text.detok import detokenize
from ..text.forward import (
    STOPWORDS,
    ForwardPipeline,
    model_inputs,
    pipeline_flags,
    pipeline_named,
    pipeline_of_model,
    restorable_input,
)
from ..text.textio import (
    InputError,
    atomic_write,
    format_document,
    partial_path,
    read_jsonl,
    read_text,
    split_documents,
    split_lines,
)
from .page import PAGE_TAIL, document_html, page_head
from .restorer import GROUP_STEMS, Restoration, Restorer, RestoreStats  # GROUP_STEMS: stems per model call
from .two_pass import TwoPassRestorer, register_lead, takes_second_pass

if TYPE_CHECKING:
    from typing_extensions import Self

SNIFF_TOKENS = 5_000  # tokens looked at to tell stems from plain English
MAX_CAPITALIZED_SHARE = 0.05  # the stemmer lowercases every token
MAX_STOPWORD_SHARE = 0.10  # stopwords were removed; English prose is about half stopwords
# another stemmer at least this likely (over all stopword lists) is checked too, where input reads as the model's
ALSO_POSSIBLE_SHARE = 0.1


@dataclass
class RestoreOptions:
    """What a run restores and writes, whatever its engine (an engine's own options are the engine's)."""

    model_dir: str | None = None  # a model folder or an installed model's name; None: $DESTEM_MODEL or the default
    device: str = "auto"
    precision: str = "auto"  # the tagger's: "auto" (bf16 or int8 where they pay), "bf16", "int8", or "fp32" (the
    # same bytes on every CPU)
    jsonl: bool = False
    text_key: str = "text"
    output_key: str = "restored"
    markdown: bool = False
    constrained: bool = True
    batch_tokens: int | None = None  # None: the device's (model.device.RESTORE_BATCH_TOKENS)
    force: bool = False  # redo outputs that already exist
    errors: str = "strict"  # bytes that are not UTF-8: "strict" refuses the file, "replace" goes on
    strict: bool = False  # exit 1 when any document fails the round trip (the outputs are written all the same)
    explain: bool = False  # JSONL out: each document's text with every choice's probability and alternatives
    html: str | None = None  # also write the restorations as one page, shaded by confidence
    mark_below: float | None = None  # write choices less likely than this as [written|runner-up]
    # what made the input: "auto", the pipeline `destem detect` finds in each input where restoring supports
    # it (else the model's); or a name of `forward.pipeline_named` for every input
    pipeline: str = "auto"
    # punctuation-free input: a model of punctuated input that re-reads the first model's restoration (`two_pass`)
    second_pass_model: str | None = None

    @property
    def needs_explanations(self) -> bool:
        return self.explain or self.html is not None or self.mark_below is not None

    def restore_kwargs(self) -> dict:
        """What Restorer.restore_documents takes from these options."""
        return {"batch_tokens": self.batch_tokens, "markdown": self.markdown, "constrained": self.constrained,
                "explain": self.needs_explanations, "pipeline": pipeline_named("destem" if self.pipeline == "auto"
                                                                                else self.pipeline)}


@dataclass(frozen=True)
class Job:
    source: str  # an input file, or "-" for stdin
    target: str | None  # its output file; None: standard output
    pipeline: str = "destem"  # the `forward.pipeline_named` name its input is restored as (decided once it is read)
    model: str | None = None  # the model it is restored with, where not the run's (decided with `pipeline`)
    second_pass_model: str | None = None  # `RestoreOptions.second_pass_model`, where the input has one
    # another pipeline the input may have been made by, with too few tells to tell (a paragraph of Snowball's stems
    # reads as Porter's): its round trip is checked too, and documents that fail it are named
    also_possible: str | None = None


ReadJob = tuple[Job, list[str], list[dict] | None]  # a job, its documents, and with --jsonl the records holding them


@dataclass
class RunTotals:
    stats: RestoreStats = field(default_factory=RestoreStats)
    words: int = 0  # words of restored text
    seconds: float = 0.0  # time spent restoring and writing (loading the model excluded, starting workers not)
    skipped: int = 0  # outputs that existed already
    failed: int = 0  # inputs that could not be read
    precision: str = ""  # the tagger's, in this machine's processes
    # another pipeline that may have made inputs read as the model's (`Job.also_possible`) -> (those inputs, and
    # (input, mismatch) for each of their documents that stems back as read but would not under it)
    also_possible: dict[str, tuple[list[str], list]] = field(default_factory=dict)

    def summary(self) -> str:
        s = self.stats
        line = (f"destem: restored {counted(s.documents, 'document')}, {counted(s.stems, 'stem')} in "
                f"{self.seconds:.1f} s ({self.words / max(self.seconds, 1e-9):,.0f} words/s); round-trip failures: "
                f"{s.roundtrip_failures:,}; fallbacks: {counted(s.lexicon_forms, 'lexicon form')}, "
                f"{counted(s.repairs, 'repair')}")
        if self.skipped:
            line += f"; skipped {counted(self.skipped, 'finished output')} (--force redoes them)"
        if self.failed:
            line += f"; {counted(self.failed, 'input')} failed"
        if self.precision:
            line += f"; precision: {self.precision}"
        for name, (files, failures) in self.also_possible.items():
            if failures:
                line += "\n" + possible_failures_line(name, files, failures)
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


def document_groups(documents: Iterable[str], group_stems: int = GROUP_STEMS) -> Iterator[list[str]]:
    """`documents` in the groups that are restored together: consecutive documents of at most
    `group_stems` stems in all, or one longer document alone."""
    group: list[str] = []
    size = 0  # stems in the group, plus one per document: many empty documents also fill it
    for document in documents:
        stems = len(document.split())
        if group and size + stems > group_stems:
            yield group
            group, size = [], 0
        if stems > group_stems:
            yield [document]
        else:
            group.append(document)
            size += stems + 1
    if group:
        yield group


def restore_group(restorer: Restorer | TwoPassRestorer, group: list[str], group_stems: int = GROUP_STEMS,
                  **options) -> list[Restoration]:
    """One group of `document_groups`; a document longer than `group_stems` is restored in pieces of
    whole sentences, so that memory stays bounded."""
    if len(group) == 1 and len(group[0].split()) > group_stems:
        return [restorer.restore_long_document(group[0].split(), group_stems, **options)]
    return restorer.restore_documents(group, **options)


def restore_stream(restorer: Restorer | TwoPassRestorer, documents: Iterable[str], group_stems: int = GROUP_STEMS,
                   **options) -> Iterator[Restoration]:
    """Restorations of `documents`, in order, a group at a time."""
    for group in document_groups(documents, group_stems):
        yield from restore_group(restorer, group, group_stems, **options)


def restore_in_workers(pool, documents: list[str], options: RestoreOptions, group_stems: int = GROUP_STEMS,
                       progress=None) -> Iterator[Restoration]:
    """Restorations of `documents`, in order, by the pool's processes a group at a time. The groups
    are handed out now; the restorations come as the result is iterated."""
    groups = pool.imap(partial(_restore_group, options, group_stems), document_groups(documents, group_stems))

    def in_order() -> Iterator[Restoration]:
        for restorations in groups:
            if progress is not None:
                progress.update(sum(r.stats.stems for r in restorations))
            yield from restorations

    return in_order()


_worker_restorers: dict[str | None, Restorer] = {}  # in a worker process: each model, loaded by its first group


def _start_worker(threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the main process, which stops the pool
    torch.set_num_threads(threads)


def _restore_group(options: RestoreOptions, group_stems: int, group: list[str]) -> list[Restoration]:
    # loaded here, not in the initializer: Pool restarts one that raises, forever
    return restore_group(restorer_of(options, _worker_restorers), group, group_stems, **options.restore_kwargs())


def restorer_of(options: RestoreOptions, loaded: dict[str | None, Restorer]) -> Restorer | TwoPassRestorer:
    """The restorer of `options` (in two passes where it names a second model), each model loaded once
    into `loaded`, by --model value or folder."""
    def model(name: str | None) -> Restorer:
        if name not in loaded:
            loaded[name] = load_restorer(dataclasses.replace(options, model_dir=name))
        return loaded[name]

    first = model(options.model_dir)
    return first if options.second_pass_model is None else TwoPassRestorer(first, model(options.second_pass_model))


def load_restorer(options: RestoreOptions) -> Restorer:
    try:
        return Restorer.from_pretrained(locate_model(options.model_dir), device=options.device,
                                        precision=options.precision)
    except FileNotFoundError as e:
        raise InputError(f"{e} (pass --model DIR)") from None
    except ValueError as e:  # --device cuda without a GPU
        raise InputError(str(e)) from None


FOLDER_ENDINGS = tuple({"/", os.sep})  # `-o restored/`: a folder, made if missing, even for one input


def source_name(source: str) -> str:
    """An input as messages name it."""
    return "<stdin>" if source == "-" else source


def job_options(job: Job, options: RestoreOptions) -> RestoreOptions:
    """The run's options with what was decided for `job`: its pipeline, its model where not the run's, and
    a second pass's model."""
    return dataclasses.replace(options, pipeline=job.pipeline, model_dir=job.model or options.model_dir,
                               second_pass_model=job.second_pass_model)


def plan_jobs(inputs: list[str], out: str | None, jsonl: bool = False, explain: bool = False,
              page: str | None = None) -> list[Job]:
    """Pair every input file with its output (in an output folder, --explain's .txt inputs become
    .jsonl outputs); refuse, before any work, plans that cannot work."""
    for path in inputs:
        if path != "-" and not os.path.exists(path):
            raise InputError(f"{path}: no such file or folder")
    folders = [path for path in inputs if path != "-" and os.path.isdir(path)]
    if out is None:
        if folders:
            raise InputError(f"{folders[0]}: is a folder; give -o OUTDIR to restore a folder")
        jobs = [Job(path, None) for path in inputs]
        _check_page(jobs, page)
        return jobs
    if not folders and len(inputs) == 1 and not os.path.isdir(out) and not out.endswith(FOLDER_ENDINGS):
        jobs = [Job(inputs[0], out)]
    else:
        if os.path.isfile(out):
            raise InputError(f"-o {out}: is a file, but several inputs or a folder need an output folder")
        jobs = [job for path in inputs for job in _jobs_into_folder(path, out, jsonl, explain and not jsonl)]
        if not jobs:
            raise InputError(f"no {'.jsonl' if jsonl else '.txt'} files in {', '.join(folders)}")
    _check_targets(jobs, folders, out)
    _check_page(jobs, page)
    return jobs


def _check_page(jobs: list[Job], page: str | None) -> None:
    if page is None:
        return
    if os.path.isdir(page) or page.endswith(FOLDER_ENDINGS):
        example = os.path.join(page, "page.html")
        raise InputError(f"--html {page}: is a folder; give the page a file name (e.g. {example})")
    taken = {os.path.realpath(path) for job in jobs for path in (job.source, job.target) if path not in (None, "-")}
    if {os.path.realpath(page), os.path.realpath(partial_path(page))} & taken:
        raise InputError(f"--html {page}: is an input or an output of this run; choose another name")


def _to_jsonl(name: str) -> str:
    return name[:-len(".txt")] + ".jsonl" if name.endswith(".txt") else name + ".jsonl"


def _jobs_into_folder(path: str, out_dir: str, jsonl: bool, explain: bool = False) -> list[Job]:
    """A file goes to OUTDIR/its name; a folder's .txt (.jsonl) files are mirrored under OUTDIR."""
    if path == "-":
        raise InputError("- (stdin) cannot go to an output folder; give -o FILE")
    rename = _to_jsonl if explain else str
    if not os.path.isdir(path):
        return [Job(path, os.path.join(out_dir, rename(os.path.basename(path))))]
    suffix = ".jsonl" if jsonl else ".txt"
    jobs = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # sorted in place: a stable walk
        for name in sorted(names):
            if name.endswith(suffix) and not name.startswith("."):
                source = os.path.join(root, name)
                jobs.append(Job(source, os.path.join(out_dir, rename(os.path.relpath(source, path)))))
    return jobs


def _check_targets(jobs: list[Job], folders: list[str], out: str) -> None:
    sources = {os.path.realpath(job.source) for job in jobs if job.source != "-"}
    writers: dict[str, str] = {}
    for job in jobs:
        target = os.path.realpath(job.target)
        if target in sources or os.path.realpath(partial_path(job.target)) in sources:
            raise InputError(f"{job.target}: the output would overwrite an input; choose another -o")
        if target in writers:
            raise InputError(f"{writers[target]} and {job.source} would both be written to {job.target}")
        writers[target] = job.source
    out_dir = os.path.realpath(out) + os.sep
    for folder in folders:
        if out_dir.startswith(os.path.realpath(folder) + os.sep):
            raise InputError(f"-o {out}: is inside the input folder {folder}; a rerun would read the outputs as inputs")


class RestoreEngine(ABC):
    """What restores the documents of a run: `BatchRestore` reads each input and writes its output, and
    its engine turns each input's documents into restorations, in order. An engine is a context manager:
    the run enters it, and on the way out it stops what it started (worker processes, Ray), so that it
    can serve another run. `LocalEngine` is this process's; others plug in by subclassing this class
    (`ray_engine.RayEngine`), and the command line picks one."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        """An engine that starts nothing stops nothing."""
        return None

    @abstractmethod
    def restore_jobs(self, jobs: Iterable[ReadJob], options: RestoreOptions,
                     progress=None) -> Iterator[tuple[ReadJob, Iterator[Restoration]]]:
        """Each of `jobs`, in order, with its documents' restorations, in order, to come as they are
        iterated. The run writes a job's output (iterating all of them) before it takes the next job; an
        engine may read ahead and start jobs before then. Loading the model happens before a job is
        handed over (the run's seconds leave it out); `progress` (a tqdm bar, or None) is advanced by
        each restored document's stems."""


class LocalEngine(RestoreEngine):
    """Restores in this process (`workers` 1) or in `workers` processes, each with its own copy of the
    model and 1/`workers` of the CPU threads, restoring the same groups of documents as one process does.
    Each model is loaded once, by the first job that needs it."""

    def __init__(self, workers: int = 1):
        self.workers = workers
        self._restorers: dict[str | None, Restorer] = {}  # by --model value or folder
        self._pool = None  # the worker processes, with workers > 1

    def __exit__(self, *exc_info) -> None:
        if self._pool is not None:  # every result is in, or the run stops here
            self._pool.terminate()
        self._pool = None
        self._restorers = {}

    def restore_jobs(self, jobs: Iterable[ReadJob], options: RestoreOptions,
                     progress=None) -> Iterator[tuple[ReadJob, Iterator[Restoration]]]:
        started = deque()  # jobs under way, handed over in order; up to one per worker, so small files overlap
        for job in jobs:
            started.append((job, self.start(job[1], job_options(job[0], options), progress)))
            if len(started) >= self.workers:
                yield started.popleft()
        while started:
            yield started.popleft()

    def start(self, documents: list[str], options: RestoreOptions, progress=None) -> Iterator[Restoration]:
        """The restorations of `documents`: in this process as they are iterated, or already under way
        in the workers."""
        if self.workers > 1:
            return restore_in_workers(self.pool(), documents, options, GROUP_STEMS, progress)
        return restore_stream(self.restorer(options), documents, GROUP_STEMS, progress=progress,
                              **options.restore_kwargs())

    def restorer(self, options: RestoreOptions) -> Restorer | TwoPassRestorer:
        return restorer_of(options, self._restorers)

    def pool(self):
        """The worker processes, started on first use; each loads the model once, on its first group."""
        if self._pool is None:
            # not fork: a child forked after torch ran can hang; forked from a server that imported us, each
            # worker starts at once (the server is started once, and serves every later run in this process)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            self._pool = context.Pool(self.workers, _start_worker, (max(1, os.cpu_count() // self.workers),))
        return self._pool


class BatchRestore:
    """One `destem restore` run: reads the inputs, has `engine` (default: `LocalEngine()`, this process)
    restore them, and writes the outputs. Used as a context manager, it enters the engine, and stops it
    on the way out."""

    def __init__(self, options: RestoreOptions, engine: RestoreEngine | None = None, progress=None):
        self.options = options
        self.engine = engine if engine is not None else LocalEngine()
        self.progress = progress  # a tqdm bar over stems, or None
        self.totals = RunTotals(precision=restore_precision(pick_device(options.device), options.precision))
        self._model_pipeline: tuple[ForwardPipeline, tuple[str, ...]] | None = None  # and its inputs
        self._stdout_documents = 0  # documents already on stdout: the next file's are not first
        self.sources: list[str] = []  # the run's inputs, for what they read as together (`run_reading`)
        self._exit = ExitStack()
        self.page = None  # the --html page, open while the run lasts

    def __enter__(self) -> Self:
        if self.options.html is not None:
            self.page = self._exit.enter_context(atomic_write(self.options.html))
            self.page.write(page_head("Restored by destem"))
        self._exit.enter_context(self.engine)  # stopped first on the way out: every result is in, or the run stops
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        if self.page is not None and exc_type is None:
            self.page.write(PAGE_TAIL)
        self._exit.__exit__(exc_type, *exc_info)  # a run that fails leaves no half-written page

    def run(self, jobs: list[Job]) -> int:
        """Restore every job whose output is missing; 0 when all inputs could be read, else 2 (with
        --strict, 1 when they could but a document does not round-trip)."""
        self.sources = [job.source for job in jobs]
        self.restore_jobs(self.read_jobs(jobs))
        if self.totals.failed:
            return 2
        return 1 if self.options.strict and self.totals.stats.roundtrip_failures else 0

    def read_jobs(self, jobs: list[Job]) -> Iterator[ReadJob]:
        """The jobs whose output is missing (every job with --force), read one at a time; one that
        cannot be read is named on stderr and counted, and the others go on. The progress bar's total
        grows by each job's stems as it is read."""
        for job in jobs:
            try:
                documents, records = self.read_job(job)
                if self.finished(job, len(documents)):
                    self.totals.skipped += 1
                    continue
            except InputError as e:
                print(f"destem: error: {e}", file=sys.stderr)
                self.totals.failed += 1
                continue
            pipeline, model, other = self.input_reading(job.source, documents)
            job = dataclasses.replace(job, pipeline=pipeline, model=model, also_possible=other,
                                      second_pass_model=self.second_pass_model(job.source, documents, pipeline, model))
            self.expect_stems(documents)
            yield job, documents, records

    def restore_jobs(self, read_jobs: Iterable[ReadJob]) -> None:
        """Restore (by the engine) and write the jobs, in order."""
        for (job, documents, records), restorations in self.engine.restore_jobs(read_jobs, self.options,
                                                                               self.progress):
            self.write_job(job, documents, records, restorations)

    def finished(self, job: Job, input_documents: int) -> bool:
        """Whether `job.target` holds the restoration of its input already (without --force): it exists,
        was written after the input last changed, and holds as many documents. An output that holds
        another number is not this input's restoration, and is kept: InputError."""
        target, o = job.target, self.options
        if target is None or o.force or not os.path.exists(target):
            return False
        try:
            text = read_text(target)
        except InputError:
            text = None
        written = None if text is None else len(
            [line for line in split_lines(text) if line.strip()] if o.jsonl or o.explain
            else split_documents(text, o.markdown))
        if written != input_documents:
            held = "is not text" if written is None else f"holds {counted(written, 'document')}"
            raise InputError(f"{target} exists and {held}, where {job.source} has {input_documents}: not its "
                             "restoration, so it is kept (move it, or --force to overwrite it)")
        if job.source != "-" and os.path.getmtime(job.source) > os.path.getmtime(target):
            print(f"destem: {source_name(job.source)} changed since {target} was written: restored again",
                  file=sys.stderr)
            return False
        return True

    def read_job(self, job: Job) -> tuple[list[str], list[dict] | None]:
        """The input documents, and with --jsonl the records that hold them."""
        o = self.options
        if not o.jsonl:
            return split_lines(read_text(job.source, o.errors)), None
        records = read_jsonl(job.source, o.text_key, o.errors)
        return [record[o.text_key] for record in records], records

    def expect_stems(self, documents: list[str]) -> None:
        """Add `documents`' stems to what the progress bar counts up to."""
        if self.progress is not None:
            self.progress.total += sum(len(d.split()) for d in documents)
            self.progress.refresh()

    def write_job(self, job: Job, documents: list[str], records: list[dict] | None,
                  restorations: Iterator[Restoration]) -> None:
        o = self.options
        start = time.perf_counter()
        written_before = self._stdout_documents if job.target is None else 0
        failing_otherwise = []  # mismatches of documents that stem back as read, but would not under job.also_possible
        with nullcontext(sys.stdout) if job.target is None else atomic_write(job.target) as out:
            for index, restoration in enumerate(restorations):
                if not restoration.roundtrip_ok:
                    self._name_failure(job, index, documents[index], restoration.text)
                elif job.also_possible is not None:
                    for mismatch in check_documents([documents[index]], [restoration.text],
                                                    pipeline_named(job.also_possible)).mismatches:
                        mismatch.document = index + 1
                        failing_otherwise.append(mismatch)
                text = restoration.text
                if o.mark_below is not None:
                    text = detokenize(restoration.explanation.marked_tokens(o.mark_below), "\n" if o.markdown else " ")
                if self.page is not None:
                    self.page.write(document_html(restoration.explanation, f"{job.source}: document {index + 1}"))
                if o.explain:
                    record = records[index] if records is not None else {}
                    record[o.output_key if records is not None else "text"] = text
                    record["roundtrip"] = restoration.roundtrip_ok
                    record.update(restoration.explanation.record())
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                elif records is not None:
                    records[index][o.output_key] = text
                    records[index]["roundtrip"] = restoration.roundtrip_ok
                    out.write(json.dumps(records[index], ensure_ascii=False) + "\n")
                else:
                    out.write(format_document(text, written_before + index == 0, o.markdown))
                self.totals.stats.add(restoration.stats)
                self.totals.words += len(restoration.text.split())
        if job.also_possible is not None:
            files, failures = self.totals.also_possible.setdefault(job.also_possible, ([], []))
            files.append(source_name(job.source))
            failures += [(source_name(job.source), mismatch) for mismatch in failing_otherwise]
        if job.target is None:
            self._stdout_documents += len(documents)
        self.totals.seconds += time.perf_counter() - start

    def _name_failure(self, job: Job, index: int, stems: str, text: str) -> None:
        """One stderr line for a document that keeps its best text but does not stem back."""
        name = source_name(job.source)
        for mismatch in check_documents([stems], [text], pipeline_named(job.pipeline)).mismatches[:1]:
            mismatch.document = index + 1
            print(f"destem: warning: {name}: {mismatch.describe()}", file=sys.stderr)

    def input_reading(self, source: str, documents: list[str]) -> tuple[str, str | None, str | None]:
        """How an input is restored: the `forward.pipeline_named` name it is read as, the model folder where
        not the run's (None), and another pipeline that may have made it where it is read as the model's
        (`also_possible`; else None). --pipeline's name; or, with "auto", the pipeline that `destem detect` finds where
        the model supports it (said on stderr when it is not the model's); where it does not and no model was
        asked for (no --model, no $DESTEM_MODEL), the installed general model where that one does; else the
        model's pipeline with what it honours of the input's (Martin's stems, a list's kept stopwords), with
        one warning for an input that another pipeline made. Input the run's model restores goes, with no
        model asked for, to the installed general model where its register is one only that model was
        trained on (`model_by_register`)."""
        if self.options.pipeline != "auto":
            return self.options.pipeline, self._model_for_named(source, documents), None
        model, inputs = self.model_pipeline()
        found = detect_documents(documents, expected=model)
        if found.unsure and found.fits(self.run_reading):
            found, detected = self.run_reading, f"detected over this run's {len(self.sources):,} inputs"
        else:
            detected = "detected"
        if found.read_as_model(model):
            return "destem", self.model_by_register(source, documents, "destem"), also_possible(found, model, inputs)
        name = source_name(source)
        supported = found.restorable_as(model, inputs)
        general = None if supported else self.general_to_route_to
        if general is not None and (supported := found.restorable_as(*general[1:])):
            losses = found.losses(*general[1:])
            print(f"destem: {name}: input made with {found.describe()} ({detected}, confidence "
                  f"{found.confidence:.2f}); the default model is not trained on it: restored with the installed "
                  f"model '{GENERAL_MODEL}', which is, and round-trip checked as such ({pipeline_flags(supported)})"
                  + "".join(f"; {loss}" for loss in losses), file=sys.stderr)
            return supported, general[0], None
        if supported:
            losses = found.losses(model, inputs)
            print(f"destem: {name}: input made with {found.describe()} ({detected}, confidence "
                  f"{found.confidence:.2f}); restored and round-trip checked as such ({pipeline_flags(supported)})"
                  + "".join(f"; {loss}" for loss in losses), file=sys.stderr)
            return supported, self.model_by_register(source, documents, supported), None
        readable = "destem"
        if found.stemmer == "none" and not found.dropped():
            what = (f"input does not look stemmed (found: {found.describe()}); restoring anyway — feed it "
                    f"through `destem stem` first if it is plain English")
        else:
            # what it can honour of the input's pipeline (its stemmer, the stopwords its list kept), and what
            # cannot come back: punctuation, numbers, short words dropped; another list's words; another stemmer
            readable = found.restorable_as(model, inputs, as_model_keeps=True) or "destem"
            losses = found.losses(model, inputs)
            what = (f"input looks made by another pipeline (found: {found.describe()}; the model inverts "
                    f"{model.describe()}); restoring anyway"
                    + (f" as {pipeline_flags(readable)}" if readable != "destem" else "") + ", "
                    + ("but " + "; ".join(losses) if losses else "expect a poor restoration")
                    + self._model_trained_on(found))
        print(f"destem: warning: {name}: {what} — `destem detect` lists the tells", file=sys.stderr)
        return readable, self.model_by_register(source, documents, readable), None

    @cached_property
    def run_reading(self) -> Detection | None:
        """What this run's inputs read as together (their first tokens, file by file): the reading of an input
        too short to show its own (a folder of a paragraph a file). None for one input."""
        sources = [source for source in self.sources if source != "-"]  # standard input is read once
        if len(sources) < 2:
            return None

        def documents() -> Iterator[str]:
            for source in sources:
                try:
                    yield from self.read_job(Job(source, None))[0]
                except InputError:
                    continue  # named when its turn comes
        return detect_documents(documents(), expected=self.model_pipeline()[0])

    def _model_for_named(self, source: str, documents: list[str]) -> str | None:
        """For --pipeline NAME: None where the run's model restores such input; else, with no model asked for,
        the installed general model where it does (said on stderr); else a one-line error."""
        pipeline = pipeline_named(self.options.pipeline)
        model, inputs = self.model_pipeline()
        if restorable_input(pipeline, model, inputs):
            return self.model_by_register(source, documents, self.options.pipeline)
        general = self.general_to_route_to
        flags = pipeline_flags(self.options.pipeline)
        if general is not None and restorable_input(pipeline, *general[1:]):
            print(f"destem: {source_name(source)}: the default model is not trained on {flags} input: restored "
                  f"with the installed model '{GENERAL_MODEL}', which is", file=sys.stderr)
            return general[0]
        raise InputError(f"{flags}: the model was not trained on such input (its inputs: {', '.join(inputs)}); "
                         f"the '{GENERAL_MODEL}' model is: --model {GENERAL_MODEL} (from a destem checkout: "
                         f"pip install ./models/{GENERAL_MODEL})")

    def model_by_register(self, source: str, documents: list[str], pipeline: str) -> str | None:
        """With no model asked for, the installed general model for input the run's model restores as
        `pipeline` but whose register (`stem_profile`) only the general model was trained on (said on
        stderr); else None, the run's model."""
        general = self.general_to_route_to
        if general is None or self.registers is None or not restorable_input(pipeline_named(pipeline), *general[1:]):
            return None
        reading = self.registers.other_register(documents)
        if reading is None:
            return None
        print(f"destem: {source_name(source)}: {reading.describe()}: restored with the installed model "
              f"'{GENERAL_MODEL}', trained on such text (--model {DEFAULT_MODEL} keeps the default)", file=sys.stderr)
        return general[0]

    def second_pass_model(self, source: str, documents: list[str], pipeline: str, model: str | None) -> str | None:
        """For punctuation-free input that restore takes to the installed general model: the run's model, to
        re-read the general model's restoration with the punctuation it wrote, where the input reads clearly
        as the run's model's register (`two_pass.takes_second_pass`; said on stderr); else None."""
        general = self.general_to_route_to
        if general is None or model != general[0]:
            return None
        lead = register_lead(documents, pipeline_named(pipeline), *self.model_pipeline(), self.registers)
        if not takes_second_pass(lead):
            return None
        print(f"destem: {source_name(source)}: reads as the default model's register ({lead:.2f} bits a stem "
              f"ahead of the general model's): the model '{GENERAL_MODEL}' restores it, and the model "
              f"'{DEFAULT_MODEL}' re-reads that restoration with the punctuation it wrote (a second pass)",
              file=sys.stderr)
        return self._model_folder()

    @cached_property
    def registers(self) -> ModelRegisters | None:
        """The registers of the run's model and the installed general model, where both have profiles."""
        general = self.general_model
        return ModelRegisters.of(self._model_folder(), None if general is None else general[0])

    def model_pipeline(self) -> tuple[ForwardPipeline, tuple[str, ...]]:
        """The run's model's pipeline and the inputs it was trained on."""
        if self._model_pipeline is None:
            model_dir = self._model_folder()
            self._model_pipeline = (pipeline_of_model(model_dir), model_inputs(model_dir))
        return self._model_pipeline

    def _model_folder(self) -> str:
        try:
            return locate_model(self.options.model_dir)
        except FileNotFoundError as e:
            raise InputError(f"{e} (pass --model DIR)") from None

    @cached_property
    def general_model(self) -> tuple[str, ForwardPipeline, tuple[str, ...]] | None:
        """The installed general model (its folder, pipeline and inputs) where it is not the run's model."""
        folder = other_installed_general(self._model_folder())
        return None if folder is None else (folder, pipeline_of_model(folder), model_inputs(folder))

    @property
    def general_to_route_to(self) -> tuple[str, ForwardPipeline, tuple[str, ...]] | None:
        """`general_model` where no model was asked for (no --model, no $DESTEM_MODEL): restore may take an
        input there; a model asked for is the model used."""
        return None if model_asked_for(self.options.model_dir) else self.general_model

    def _model_trained_on(self, found) -> str:
        """A clause naming the installed general model where it restores what this model cannot, else ""."""
        general = self.general_model
        supported = general is not None and found.restorable_as(*general[1:])
        return (f"; the installed model '{GENERAL_MODEL}' was trained on such input: with --model {GENERAL_MODEL} "
                f"it is restored as {pipeline_flags(supported)}" if supported else "")


def possible_failures_line(name: str, files: list[str], failures: list) -> str:
    """The warning for inputs read as the model's own that the pipeline `name` may have made, where some of their
    documents would not stem back under it."""
    first, mismatch = failures[0]
    failing_files = len({source for source, _ in failures})
    one = len(files) == 1
    return (f"destem: warning: {counted(len(files), 'input')} read as the model's own input {'has' if one else 'have'} "
            f"too few tells to rule out {pipeline_named(name).describe()}; if that made {'it' if one else 'them'}, "
            f"{counted(len(failures), 'document')} in {counted(failing_files, 'input')} "
            f"{'does' if len(failures) == 1 else 'do'} not stem back under it (first: {first}: {mismatch.describe()}): "
            f"restore {'it' if failing_files == 1 else 'those'} with {pipeline_flags(name)}")


def counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def also_possible(found: Detection, model: ForwardPipeline, inputs: tuple[str, ...]) -> str | None:
    """For input read as the model's own: the restorable pipeline of the likeliest other stemmer, where detection
    gives it ALSO_POSSIBLE_SHARE or more (a paragraph of Snowball's stems has few tells of either); else None."""
    stemmers = {stemmer: share for stemmer, share in found.stemmer_shares().items() if stemmer != model.stemmer}
    if not stemmers or max(stemmers.values()) < ALSO_POSSIBLE_SHARE:
        return None
    stemmer = max(stemmers, key=stemmers.get)
    return dataclasses.replace(found, stemmer=stemmer).restorable_as(model, inputs)


def restore_files(inputs: list[str], out: str | None, options: RestoreOptions,
                  engine: RestoreEngine | None = None) -> int:
    """`destem restore`: plan, restore by `engine` (default: `LocalEngine()`) with a progress bar over
    stems, print the summary."""
    from tqdm import tqdm

    jobs = plan_jobs(inputs, out, options.jsonl, options.explain, options.html)
    with (tqdm(total=0, unit=" stems", unit_scale=True, file=sys.stderr, disable=None) as progress,
          BatchRestore(options, engine, progress) as batch):
        status = batch.run(jobs)
    if batch.totals.stats.documents or batch.totals.skipped or not batch.totals.failed:
        print(batch.totals.summary(), file=sys.stderr)
    return status
