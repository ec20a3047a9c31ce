"""Engines plug into batch restoring from outside batch.py: a run reads the inputs and writes the outputs,
and hands only the restoring to its engine, which it enters and leaves around the run."""
from __future__ import annotations

from destem.restore.batch import BatchRestore, RestoreEngine, RestoreOptions, plan_jobs, restore_files
from destem.restore.restorer import Restoration, RestoreStats


class Shouting(RestoreEngine):
    """An engine that needs no model: each document comes back upper-cased, one stem a stem."""

    def __init__(self):
        self.entered = self.left = 0

    def __enter__(self):
        self.entered += 1
        return self

    def __exit__(self, *exc_info):
        self.left += 1

    def restore_jobs(self, jobs, options, progress=None):
        for job in jobs:
            documents = job[1]
            yield job, (Restoration(d.upper(), True, RestoreStats(documents=1, stems=len(d.split())))
                        for d in documents)


def test_a_run_writes_what_its_engine_restores_and_stops_the_engine(default_model_dir, tmp_path, capsys):
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("comet discov .\n\nhalley .\n", encoding="utf-8")
    (source / "b.txt").write_text("trotski die next day .\n", encoding="utf-8")
    engine = Shouting()
    options = RestoreOptions(model_dir=str(default_model_dir))
    assert restore_files([str(source)], str(tmp_path / "out"), options, engine) == 0
    assert (tmp_path / "out" / "a.txt").read_text() == "COMET DISCOV .\n\nHALLEY .\n"
    assert (tmp_path / "out" / "b.txt").read_text() == "TROTSKI DIE NEXT DAY .\n"
    assert (engine.entered, engine.left) == (1, 1)
    assert "destem: restored 4 documents, 10 stems" in capsys.readouterr().err

    with BatchRestore(options, engine) as run:  # the same engine serves another run; outputs that exist are skipped
        assert run.run(plan_jobs([str(source)], str(tmp_path / "out"))) == 0
    assert run.totals.skipped == 2 and (engine.entered, engine.left) == (2, 2)
