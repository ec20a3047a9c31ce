"""Which model folder a command loads: --model (a folder or an installed model's name), then
$DESTEM_MODEL, then the installed default model package."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from destem.model.locate import MODEL_ENV, installed_model, locate_model
from destem.text.textio import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def model_package(tmp_path, monkeypatch):
    """An installed model package `destem_model_tiny` (a folder on sys.path with an __init__.py)."""
    folder = tmp_path / "site" / "destem_model_tiny"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "config.json").write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delenv(MODEL_ENV, raising=False)
    return folder


def test_the_default_is_the_installed_model_package(monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert Path(locate_model()).resolve() == ROOT / "models" / "default"  # pip install -e ./models/default
    assert "destem_model_default" not in sys.modules  # found, not imported


def test_a_folder_or_a_name_given_wins(model_package, tmp_path, monkeypatch):
    monkeypatch.setenv(MODEL_ENV, str(tmp_path))
    assert locate_model(str(model_package)) == str(model_package)
    assert Path(locate_model("tiny")) == model_package
    assert installed_model("tiny") == str(model_package)


def test_the_environment_variable_comes_before_the_default(model_package, monkeypatch):
    monkeypatch.setenv(MODEL_ENV, "tiny")
    assert Path(locate_model()) == model_package
    monkeypatch.setenv(MODEL_ENV, "absent")
    with pytest.raises(InputError, match=r"\$DESTEM_MODEL absent: no model folder at absent, and no installed model"):
        locate_model()


def test_a_missing_folder_or_name_is_one_clear_error(model_package, tmp_path, monkeypatch):
    with pytest.raises(InputError, match=f"^no model folder at {tmp_path}/none$"):
        locate_model(str(tmp_path / "none"))
    with pytest.raises(InputError, match="package destem_model_news"):
        locate_model("news")
    monkeypatch.setattr("destem.model.locate.installed_model", lambda name: None)  # nothing installed
    with pytest.raises(InputError, match=r"pip install \./models/default"):
        locate_model()
