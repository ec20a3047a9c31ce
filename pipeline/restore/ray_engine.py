"""Restoring on Ray: `destem restore --engine ray`, and `RestoreText`, the building block for users'
own Ray Data pipelines.

`--engine ray` restores exactly the groups of documents that one process restores (`document_groups`),
so every output byte is the same. This process (the driver) reads the inputs and cuts them into those
groups; Ray Data takes the groups as one dataset, one block per group, and a pool of actors restores
them, each actor loading the model once. With `preserve_order` the restored documents come back in
input order, and the driver writes each output file atomically, in order, as one process does. The
inputs are read here rather than by Ray Data's file readers so that the actors need only the model,
not the input paths, and so that the documents and their group boundaries are the one process's to
the byte (its decoding, line ends, JSONL checks and per-file errors); the price is that the driver holds
the text of one run's unfinished inputs at once.

`RayEngine` is a `batch.RestoreEngine`: the run (`batch.BatchRestore`) is the one process's, and only the
restoring is Ray's. Its own options (the cluster, the actors, their GPUs) are `RayOptions`; batch.py knows
nothing of Ray. Ray is imported inside functions: `import destem` works without it.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields

from ..model.locate import locate_model
from ..text.textio import InputError
from . import batch
from .batch import ReadJob, RestoreEngine, RestoreOptions, document_groups, restore_group, restorer_of
from .restorer import Restoration, RestoreStats

RAY_MISSING = 'ray is not installed; install the extra: pip install -e ".[ray]"'


@dataclass
class RayOptions:
    """`--engine ray`'s own options."""

    address: str | None = None  # the Ray cluster to join (--ray-address); None starts one on this machine
    actors: int | None = None  # restoring actors (--actors); None: one per node, or per gpus_per_actor GPUs
    gpus_per_actor: float = 0.0  # (--gpus-per-actor) 0: CPU actors


def import_ray():
    """The `ray` module with Ray Data, or the one-line error that says how to install it."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise InputError(RAY_MISSING) from None
    return ray


class RestoreText:
    """Restores a stemmed text column, as a callable class for `ray.data.Dataset.map_batches`: each
    actor of the pool loads the model once, in `__init__`, and restores batch after batch.

        dataset.map_batches(RestoreText, fn_constructor_kwargs={"model_dir": "/shared/models/default"},
                            compute=ray.data.ActorPoolStrategy(size=8), num_cpus=4, batch_size=256)

    Keyword arguments are `RestoreOptions` fields: `model_dir` (default: the shipped model; it must be
    at that path on every node), `device`, `text_key` (the input column, default "text"), `output_key`
    (the restored column, default "restored"), `markdown`, `constrained`, `batch_tokens`. The batch
    comes back with every column it had plus `output_key` and `roundtrip` (whether the restoration stems
    back to its input). A batch's documents are restored in groups of up to `group_stems` stems, as
    `destem restore` restores a file's; the model batches a group's documents together, so a document's
    text can differ in a rare tie between two batchings. In a Ray actor, torch uses as many threads as
    the CPUs Ray gave it (`num_cpus`); the class needs no Ray otherwise (a Spark `mapInPandas` function can
    make one per task and call it on `{"text": frame["text"].to_numpy()}`).
    """

    def __init__(self, group_stems: int = batch.GROUP_STEMS, **options):
        import sys

        import torch

        self.options = RestoreOptions(**options)
        self.group_stems = group_stems
        ray = sys.modules.get("ray")  # None outside Ray (Spark's mapInPandas, plain Python): torch's own threads
        if ray is not None and ray.is_initialized():
            cpus = ray.get_runtime_context().get_assigned_resources().get("CPU")
            if cpus:  # the actor's share of the node, not every core of it
                torch.set_num_threads(max(1, int(cpus)))
        self.restorers = {}  # by model, each loaded once: the options' now, others on demand
        restorer_of(self.options, self.restorers)

    def __call__(self, columns: dict) -> dict:
        import numpy as np

        o = self.options
        documents = [str(text) for text in columns[o.text_key]]
        restorations = [r for group in document_groups(documents, self.group_stems) for r in self.restore(group)]
        return {**columns, o.output_key: np.array([r.text for r in restorations], dtype=object),
                "roundtrip": np.array([r.roundtrip_ok for r in restorations], dtype=bool)}

    def restore(self, group: list[str], pipeline: str | None = None, model: str | None = None,
                second_pass_model: str | None = None) -> list[Restoration]:
        """One group of `document_groups`, as one process restores it; `pipeline`: the `pipeline_named` name
        that made it, if not the options' ("auto": the model's); `model`: the model, if not the options';
        `second_pass_model`: a second pass's (`two_pass`)."""
        o = dataclasses.replace(self.options, pipeline=pipeline or self.options.pipeline,
                                model_dir=model or self.options.model_dir,
                                second_pass_model=second_pass_model or self.options.second_pass_model)
        kwargs = o.restore_kwargs()
        return restore_group(restorer_of(o, self.restorers), group, self.group_stems, batch_tokens=o.batch_tokens,
                             markdown=o.markdown, constrained=o.constrained, pipeline=kwargs["pipeline"])


STAT_NAMES = [f.name for f in fields(RestoreStats)]


def group_row(documents: list[str], pipeline: str = "", model: str | None = None,
              second_pass_model: str | None = None) -> dict:
    """A row of `RayEngine.restored_rows`: one group of documents, with the pipeline that made them and
    the models that restore them ("": the run's options')."""
    return {"documents": documents, "pipeline": pipeline, "model": model or "",
            "second_pass_model": second_pass_model or ""}


class RestoreGroups(RestoreText):
    """The actors of `--engine ray`: each row in is one group of documents (`documents`); out come its
    documents, a row each, with the text, the round trip and the stats that the summary adds up."""

    def __call__(self, columns: dict) -> dict:
        import numpy as np

        restorations = [r for group, pipeline, model, second in zip(columns["documents"], columns["pipeline"],
                                                                    columns["model"], columns["second_pass_model"])
                        for r in self.restore([str(d) for d in group], str(pipeline), str(model) or None,
                                              str(second) or None)]
        out = {"text": np.array([r.text for r in restorations], dtype=object),
               "roundtrip": np.array([r.roundtrip_ok for r in restorations], dtype=bool)}
        for name in STAT_NAMES:
            out[name] = np.array([getattr(r.stats, name) for r in restorations], dtype=np.int64)
        return out


def start_ray(address: str | None) -> tuple[object, bool]:
    """(the `ray` module, whether this call started or joined Ray): this process's Ray if it has one
    already (a program that calls us from inside its own Ray work), else the cluster at `address`, else
    a new Ray cluster on this machine with all its cores. Ray's own logging stays off the terminal,
    which has the progress bar and the summary."""
    import torch

    ray = import_ray()
    started = not ray.is_initialized()
    if started:
        quiet = {"log_to_driver": False, "configure_logging": True, "logging_level": logging.ERROR}
        try:
            if address:
                ray.init(address=address, **quiet)
            else:  # as many CPUs as one process has torch threads (physical cores, or OMP_NUM_THREADS): the
                # default pool, one actor with all of them, then computes as one process does, to the bit
                ray.init(address="local", num_cpus=torch.get_num_threads(), include_dashboard=False, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise InputError(f"--ray-address {address}: {e}" if address else f"cannot start Ray: {e}") from None
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # rows come back in input order, as the files are written
    context.enable_progress_bars = False  # destem's bar counts stems
    return ray, started


def actor_resources(ray, options: RayOptions) -> tuple[int, float, float]:
    """(actors, CPUs each, GPUs each) for the pool; refuses a pool the cluster cannot hold, which Ray
    would wait for forever."""
    cluster = ray.cluster_resources()
    if options.gpus_per_actor:
        gpus = cluster.get("GPU", 0)
        actors = options.actors or int(gpus // options.gpus_per_actor)
        if actors < 1 or actors * options.gpus_per_actor > gpus:
            raise InputError(f"--gpus-per-actor {options.gpus_per_actor:g}: the Ray cluster has {gpus:g} GPUs, "
                             f"too few for {max(actors, 1)} actors")
        return actors, 1, options.gpus_per_actor  # one CPU for the stemmer and the LM beside the GPU
    node_cpus = [node["Resources"].get("CPU", 0) for node in ray.nodes() if node["Alive"]]
    cpus = cluster.get("CPU", 0)
    actors = options.actors or sum(c >= 1 for c in node_cpus)
    if actors > cpus:
        raise InputError(f"--actors {actors}: the Ray cluster has only {cpus:g} CPUs")
    return actors, max(1, min(cpus // actors, max(node_cpus))), 0


class RayEngine(RestoreEngine):
    """`destem restore --engine ray`: the restoring done by a pool of Ray actors. Ray starts only if
    some output is missing; on the way out a Ray this run started is shut down (a cluster it joined is
    only left)."""

    def __init__(self, ray_options: RayOptions | None = None):
        self.ray_options = ray_options if ray_options is not None else RayOptions()
        self._ray = None  # the ray module, once this run has started or joined Ray

    def __exit__(self, *exc_info) -> None:
        if self._ray is not None:
            self._ray.shutdown()  # a local cluster stops; from a cluster, this process only disconnects
            self._ray = None

    def restore_jobs(self, jobs: Iterable[ReadJob], options: RestoreOptions,
                     progress=None) -> Iterator[tuple[ReadJob, Iterator[Restoration]]]:
        jobs = list(jobs)  # all read first: the dataset is made of every job's groups
        groups = [group_row(group, job.pipeline, job.model, job.second_pass_model) for job, documents, _ in jobs
                  for group in document_groups(documents, batch.GROUP_STEMS)]
        rows = self.restored_rows(groups, options) if groups else iter(())
        for job in jobs:
            yield job, (self._restoration(next(rows), progress) for _ in job[1])

    def restored_rows(self, groups: list[dict], options: RestoreOptions) -> Iterator[dict]:
        """One row per document of `groups`, in order, restored by the actor pool; Ray is started
        now, before any output is opened."""
        r = self.ray_options
        if not r.address:  # a cluster's nodes may have the model where we do not
            locate_model(options.model_dir)
        ray, started = start_ray(r.address)
        if started:
            self._ray = ray
        actors, cpus, gpus = actor_resources(ray, r)
        with warnings.catch_warnings():
            # Ray 2.60 deprecates passing actor options such as max_restarts here, and names no other way yet
            warnings.simplefilter("ignore", DeprecationWarning)
            dataset = ray.data.from_items(groups, override_num_blocks=len(groups)).map_batches(
                RestoreGroups, batch_size=1, compute=ray.data.ActorPoolStrategy(size=min(actors, len(groups))),
                num_cpus=cpus, num_gpus=gpus or None,
                fn_constructor_kwargs={"group_stems": batch.GROUP_STEMS, **asdict(options)},
                # an actor that dies fails the run, which a rerun finishes (finished outputs are kept); Ray's
                # default, restarting it forever, also prints a warning on every run
                max_restarts=0, max_task_retries=0)
        return self._rows(ray, dataset)

    @staticmethod
    def _rows(ray, dataset) -> Iterator[dict]:
        try:
            yield from dataset.iter_rows()
        except ray.exceptions.RayError as e:
            raise InputError(ray_failure(e, ray.exceptions.OutOfMemoryError)) from None

    @staticmethod
    def _restoration(row: dict, progress=None) -> Restoration:
        if progress is not None:
            progress.update(row["stems"])
        return Restoration(row["text"], bool(row["roundtrip"]), RestoreStats(*(int(row[n]) for n in STAT_NAMES)))


def ray_failure(error: Exception, out_of_memory: type) -> str:
    """One line for a failed Ray run. Ray's out-of-memory error is a page of advice after one sentence that
    matters (how much memory); any other actor error comes wrapped in Ray's traceback: its last line."""
    text = str(error)
    memory = re.search(r"was ([\d.]+ ?GB used / [\d.]+ ?GB limit)", text)
    if isinstance(error, out_of_memory) or memory:
        return (f"Ray's workers ran out of memory{f' ({memory.group(1)})' if memory else ''}: each actor holds a "
                "copy of the model; restore with fewer --actors or on nodes with more memory (finished outputs "
                "are kept)")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return f"a Ray actor failed: {lines[-1] if lines else type(error).__name__}"
