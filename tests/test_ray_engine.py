"""`destem restore --engine ray` and `RestoreText` on a real local Ray cluster of 2 CPUs: the outputs
are the one process's, byte for byte, for a folder (in-process, many groups, two actors) and a JSONL
file (another process joining the cluster by its address, with the default pool: one actor with both
CPUs); a file that cannot be read is named and the others go on; finished outputs are skipped; the
map_batches building block restores a `text` column as one process restores a file."""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ray = pytest.importorskip("ray")

from destem.cli import main
from destem.restore import batch
from destem.restore.ray_engine import RestoreText, ray_failure
from destem.text.check import check_documents
from tests.test_restore_cli import STEMS, summary_counts, write_lines

ROOT = Path(__file__).resolve().parents[1]


CLUSTER_CPUS = 2


@pytest.fixture(scope="module")
def cluster():
    """One local Ray cluster for the module; the runs in this process use it, a subprocess joins it."""
    import logging

    context = ray.init(num_cpus=CLUSTER_CPUS, include_dashboard=False, log_to_driver=False, configure_logging=True,
                       logging_level=logging.ERROR)
    yield context.address_info["gcs_address"]
    ray.shutdown()


@contextlib.contextmanager
def torch_threads(count: int):
    """This process restores with `count` threads, as an actor with `count` CPUs does: bf16 arithmetic
    (AVX-512) can break a near-tie the other way with another thread count. Other tests change the
    count too, so the one-process references set theirs."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def restore(capsys, *argv) -> tuple[int, str]:
    code = main(["restore", "--device", "cpu", *map(str, argv)])
    return code, capsys.readouterr().err


def test_a_folder_on_ray_is_written_byte_for_byte_as_one_process_writes_it(cluster, default_model_dir, tmp_path,
                                                                          capsys, monkeypatch):
    source = tmp_path / "in"
    write_lines(source / "a.txt", [STEMS[0], "", STEMS[1], " ".join(STEMS[2:5])])  # a document longer than a group
    write_lines(source / "b.txt", STEMS[5:8])
    write_lines(source / "sub" / "c.txt", [""])
    (source / "bad.txt").write_bytes(b"caf\xe9 .\n")  # named on stderr; the others go on
    monkeypatch.setattr(batch, "GROUP_STEMS", 64)  # many groups for the two actors, one document in pieces
    assert len(STEMS[0].split()) + len(STEMS[1].split()) > 64 and len(" ".join(STEMS[2:5]).split()) > 64
    written, counts = {}, {}
    for engine in ("local", "ray"):
        out = tmp_path / f"out-{engine}"
        with torch_threads(CLUSTER_CPUS // 2):  # two actors: a CPU, so a thread, each
            code, err = restore(capsys, "--engine", engine, *(["--actors", 2] * (engine == "ray")), source, "-o", out)
        assert code == 2 and f"destem: error: {source / 'bad.txt'}: not UTF-8" in err, err
        assert "Traceback" not in err and "WARNING" not in err and " E " not in err
        written[engine], counts[engine] = outputs(out), summary_counts(err)
    assert sorted(written["ray"]) == ["a.txt", "b.txt", "sub/c.txt"]
    assert written["ray"] == written["local"]
    assert counts["ray"] == counts["local"] and counts["ray"]["documents"] == 8

    code, err = restore(capsys, "--engine", "ray", source, "-o", tmp_path / "out-ray")  # a rerun
    assert code == 2 and "skipped 3 finished outputs" in err and summary_counts(err)["documents"] == 0
    assert outputs(tmp_path / "out-ray") == written["local"]


JSONL_DOCUMENTS = [STEMS[0], "", *STEMS[1:4]]


@pytest.fixture(scope="module")
def jsonl_one_process(default_model_dir, tmp_path_factory) -> tuple[Path, Path, str]:
    """A JSONL input, what one process writes for it, and its stderr: the reference for two tests."""
    folder = tmp_path_factory.mktemp("jsonl")
    source = write_lines(folder / "in.jsonl", [json.dumps({"id": i, "text": stems, "tag": ["x", i]})
                                               for i, stems in enumerate(JSONL_DOCUMENTS)])
    err = io.StringIO()
    with contextlib.redirect_stderr(err), torch_threads(CLUSTER_CPUS):  # the default pool: one actor, every CPU
        code = main(["restore", "--device", "cpu", "--jsonl", str(source), "-o", str(folder / "local.jsonl")])
    assert code == 0, err.getvalue()
    return source, folder / "local.jsonl", err.getvalue()


def test_jsonl_on_the_cluster_address_is_written_byte_for_byte_as_one_process_writes_it(cluster, jsonl_one_process,
                                                                                       tmp_path):
    source, one_process, err = jsonl_one_process
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "destem.cli", "restore", "--device", "cpu", "--engine", "ray",
                          "--ray-address", cluster, "--jsonl", str(source), "-o", str(tmp_path / "ray.jsonl")],
                         capture_output=True, text=True, env=env, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == run.stderr.splitlines()[-1:]  # the summary alone: Ray's logging stays quiet
    assert summary_counts(run.stderr) == summary_counts(err)
    assert (tmp_path / "ray.jsonl").read_bytes() == one_process.read_bytes()
    assert [json.loads(line)["id"] for line in (tmp_path / "ray.jsonl").read_text().splitlines()] == [0, 1, 2, 3, 4]


def test_restore_text_restores_a_text_column_in_a_ray_data_pipeline(cluster, jsonl_one_process, default_model_dir):
    one_process = [json.loads(line)["restored"] for line in jsonl_one_process[1].read_text().splitlines()]
    dataset = ray.data.from_items([{"id": i, "text": d} for i, d in enumerate(JSONL_DOCUMENTS)], override_num_blocks=1)
    rows = dataset.map_batches(RestoreText, fn_constructor_kwargs={"model_dir": str(default_model_dir),
                                                                   "device": "cpu"},
                               compute=ray.data.ActorPoolStrategy(size=1), num_cpus=CLUSTER_CPUS,
                               batch_size=len(JSONL_DOCUMENTS)).take_all()
    assert [row["id"] for row in rows] == [0, 1, 2, 3, 4] and [row["text"] for row in rows] == JSONL_DOCUMENTS
    assert [row["restored"] for row in rows] == one_process  # one batch: the groups of a one-process run
    assert all(row["roundtrip"] for row in rows)
    assert check_documents(JSONL_DOCUMENTS, [row["restored"] for row in rows]).ok


def test_a_missing_model_is_one_line_before_ray_starts(tmp_path, capsys):
    source = write_lines(tmp_path / "in.txt", STEMS[:1])
    code, err = restore(capsys, "--engine", "ray", "--model", tmp_path / "no-model", source, "-o", tmp_path / "out")
    assert code == 2 and err.strip().splitlines()[-1] == f"destem: error: no model folder at {tmp_path / 'no-model'}"
    assert not (tmp_path / "out").exists()


def test_a_ray_failure_is_one_line_that_says_what_to_do():
    """Ray's out-of-memory error (a page: one sentence of numbers, a process table, advice) becomes one
    line with the memory and what to change; another actor error, its traceback's last line."""
    page = ("4 worker(s) were killed due to the node running low on memory. Memory on the node (IP: 192.0.2.2, "
            "ID: 9d87) was 22.37GB used / 23.54GB limit (0.950089)\nThe top 10 memory consumers are:\n"
            "PID\tMEM(GB)\tCOMMAND\n6826\t0.05\t/usr/bin/python dashboard.py\n"
            "Refer to the documentation on how to address the out of memory issue: https://docs.ray.io/...")
    line = ray_failure(ray.exceptions.OutOfMemoryError(page), ray.exceptions.OutOfMemoryError)
    assert "\n" not in line and "(22.37GB used / 23.54GB limit)" in line and "fewer --actors" in line
    wrapped = ray.exceptions.RayError("Traceback (most recent call last):\n  File \"x.py\"\nValueError: bad window\n")
    assert ray_failure(wrapped, ray.exceptions.OutOfMemoryError) == "a Ray actor failed: ValueError: bad window"
