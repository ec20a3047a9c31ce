"""`textio.atomic_write`, the one way every stage writes a file whole: the target appears complete or not
at all, a failed block leaves the old target and no partial file, a rerun after a kill overwrites what the
killed run left, and numpy's savez writes exactly the target's name."""
from __future__ import annotations

import numpy as np
import pytest

from destem.restore.batch import plan_jobs
from destem.text.textio import InputError, atomic_write, partial_path


def test_the_target_appears_only_when_the_block_completes(tmp_path):
    target = tmp_path / "new" / "out.txt"  # its folder is made
    with atomic_write(str(target)) as f:
        f.write("café\n")
        assert not target.exists() and (tmp_path / "new" / ".out.txt.part").exists()
    assert target.read_bytes() == "café\n".encode()
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_a_failed_block_keeps_the_old_target_and_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_write(str(target), "wb") as f:
        f.write(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_a_rerun_overwrites_what_a_killed_run_left(tmp_path):
    target = tmp_path / "out.txt"
    (tmp_path / ".out.txt.part").write_text("left by a kill -9 and longer than the output")
    with atomic_write(str(target)) as f:
        f.write("whole\n")
    assert target.read_text() == "whole\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_numpy_writes_the_target_itself_through_the_open_file(tmp_path, save):
    target = tmp_path / "arrays.npz"
    with atomic_write(str(target), "wb") as f:
        save(f, a=np.arange(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arrays.npz"]
    with np.load(target) as data:
        assert data["a"].tolist() == [0, 1, 2]


def test_a_writer_that_opens_the_file_itself_gets_the_partial_path(tmp_path):
    target = tmp_path / "weights.bin"
    with atomic_write(str(target), "path") as partial:
        assert partial == partial_path(str(target)) == str(tmp_path / ".weights.bin.part")
        with open(partial, "wb") as f:
            f.write(b"w")
    assert target.read_bytes() == b"w"
    with pytest.raises(ValueError), atomic_write(str(target), "a"):
        pass


def test_restore_refuses_an_output_whose_partial_file_is_an_input(tmp_path):
    source = tmp_path / ".out.txt.part"
    source.write_text("trotski die next day .\n")
    with pytest.raises(InputError, match="would overwrite an input"):
        plan_jobs([str(source)], str(tmp_path / "out.txt"))
