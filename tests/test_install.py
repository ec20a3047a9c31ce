"""What `pip install .` ships: the `destem` package without the lab and without a top-level `pipeline`,
restoring from any folder; and `--precision fp32` gives the same bytes whatever the CPU's vector unit."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "examples" / "trotsky.stem.txt"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The checkout's wheel, built here (the environment's setuptools, no download) and unpacked into a
    folder that stands in for site-packages."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(work), str(ROOT)], check=True, capture_output=True, timeout=300)
    [wheel] = work.glob("destem-*.whl")
    site = work / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def run_outside(site: Path, cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Python in `cwd` (outside the checkout) with the unpacked wheel first on its path."""
    environment = dict(os.environ, PYTHONPATH=str(site), **(env or {}))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=600)


def test_the_wheel_holds_the_product_only(installed):
    packages = {p.name for p in installed.iterdir() if p.is_dir() and not p.name.endswith(".dist-info")}
    assert packages == {"destem"}
    assert (installed / "destem" / "model" / "tagger.py").exists()
    assert not (installed / "destem" / "lab").exists()
    assert not list(installed.rglob("smollm2*")) and not list(installed.rglob("*seq2seq*"))


def test_installed_it_restores_from_another_folder_without_the_lab(installed, toy_model_dir, tmp_path):
    stems = tmp_path / "in.stem.txt"
    stems.write_text("comet discov 1852 .\n", encoding="utf-8")
    done = run_outside(installed, tmp_path, "-X", "importtime", "-m", "destem.cli", "restore", "--model",
                       str(toy_model_dir), "--device", "cpu", str(stems), "-o", str(tmp_path / "out.txt"))
    assert done.returncode == 0, done.stderr
    assert "round-trip failures: 0" in done.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    destem_modules = [m for m in imported if m.split(".")[0] == "destem"]
    assert "destem.restore.restorer" in destem_modules
    assert not [m for m in destem_modules if m.startswith("destem.lab")]
    where = run_outside(installed, tmp_path, "-c", "import destem; print(destem.__file__)")
    assert where.stdout.strip() == str(installed / "destem" / "__init__.py")
    assert "No module named 'pipeline'" in run_outside(installed, tmp_path, "-c", "import pipeline").stderr


def test_fp32_gives_the_same_bytes_with_avx2_as_with_avx512(installed, default_model_dir, tmp_path):
    """ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA make torch run the kernels of an AVX2-only CPU."""
    stems = " ".join(EXAMPLE.read_text(encoding="utf-8").split()[:1500])
    (tmp_path / "in.txt").write_text(stems + "\n", encoding="utf-8")
    outputs = {}
    for name, env in (("native", {}), ("avx2", {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"})):
        done = run_outside(installed, tmp_path, "-m", "destem.cli", "restore", "--model", str(default_model_dir),
                           "--device", "cpu", "--precision", "fp32", "in.txt", "-o", f"{name}.txt", env=env)
        assert done.returncode == 0, done.stderr
        assert done.stderr.rstrip().endswith("precision: fp32")
        outputs[name] = (tmp_path / f"{name}.txt").read_bytes()
    assert outputs["native"] == outputs["avx2"]
