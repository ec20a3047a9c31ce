"""detect's fitted rates and its table of stems are data files that the recipes in data/recipes/ write and the
wheel ships: the shipped files are exactly what the recipes' writers write, keyed by stable ids."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from destem.text import detect
from destem.text.detect import LIST_STEMS_FILE, RATES_FILE, FittedRates, read_rates
from destem.text.forward import STEMMERS, STOPWORD_LISTS

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_rates_are_what_the_recipe_writes(tmp_path):
    fitted = read_rates()
    fitted.write(str(tmp_path / "rates.json"))  # what data/recipes/detect_rates.py ends with
    assert (tmp_path / "rates.json").read_bytes() == Path(RATES_FILE).read_bytes()
    assert FittedRates.from_json(fitted.to_json()) == fitted


def test_the_rates_are_keyed_by_ids_and_cover_every_pair_and_tell():
    document = json.loads(Path(RATES_FILE).read_text(encoding="utf-8"))
    assert list(document["pairs"]) == list(STEMMERS)
    for lists in document["pairs"].values():
        assert list(lists) == list(STOPWORD_LISTS)
        for pair in lists.values():
            assert list(pair["tells"]) == [detect.TELL_IDS[name] for name in detect.TELLS]
            assert all(key.isascii() and " " not in key for key in pair["contraction_stems"]["own_tokens"])
    assert list(detect.RATES) == [(s, w) for s in STEMMERS for w in STOPWORD_LISTS]  # the pairs' order: ties


def test_the_shipped_stem_table_is_what_the_recipe_writes(tmp_path):
    out = tmp_path / "list_stems.json"
    subprocess.run([sys.executable, str(ROOT / "data" / "recipes" / "list_stems.py"), "--out", str(out)], check=True,
                   capture_output=True)
    written, shipped = (json.loads(p.read_text(encoding="utf-8")) for p in (out, Path(LIST_STEMS_FILE)))
    assert {**written, "nltk": None} == {**shipped, "nltk": None}  # the same stems, whichever 3.9 NLTK wrote them


def test_the_wheel_ships_the_data_files():
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["setuptools"]["package-data"]["destem.text"]
    assert sorted(shipped) == sorted(p.name for p in (ROOT / "pipeline" / "text").glob("*.json"))
