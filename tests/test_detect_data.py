"""detect's fitted rates, its table of stems and the other libraries' stopword lists are data files that the recipes
in data/recipes/ write and the wheel ships: the shipped files are exactly what the recipes' writers write, keyed by
stable ids."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from destem.text import detect
from destem.text.detect import DETECT_STEMMERS, LIST_STEMS_FILE, RATES_FILE, FittedRates, read_rates
from destem.text.forward import STEMMERS, STOPWORD_LISTS
from destem.text.stoplists import LIST_NAMES, OTHER_LISTS, shipped_lists, stopword_list

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_rates_are_what_the_recipe_writes(tmp_path):
    fitted = read_rates()
    fitted.write(str(tmp_path / "rates.json"))  # what data/recipes/detect_rates.py ends with
    assert (tmp_path / "rates.json").read_bytes() == Path(RATES_FILE).read_bytes()
    assert FittedRates.from_json(fitted.to_json()) == fitted


def test_the_rates_are_keyed_by_ids_and_cover_every_pair_and_tell():
    document = json.loads(Path(RATES_FILE).read_text(encoding="utf-8"))
    assert list(document["pairs"]) == list(DETECT_STEMMERS) == [*STEMMERS, "wordnet-lemmas"]
    for lists in document["pairs"].values():
        assert list(lists) == list(LIST_NAMES) == [*STOPWORD_LISTS, "gensim", "smart", "sklearn", "spacy"]
        for pair in lists.values():
            assert list(pair["tells"]) == [detect.TELL_IDS[name] for name in detect.TELLS]
            assert all(key.isascii() and " " not in key for key in pair["contraction_stems"]["own_tokens"])
            assert list(pair["variants"]) == ["alpha", "alpha3"]
            assert all(list(tells) == list(pair["tells"]) for tells in pair["variants"].values())
    assert list(detect.RATES) == [(s, w) for s in DETECT_STEMMERS for w in LIST_NAMES]  # the pairs' order: ties
    assert list(document["listed_words"]) == list(detect.VARIANTS)
    assert all(list(stems) == list(DETECT_STEMMERS) for stems in document["listed_stems_of_other_words"].values())


def test_the_stopword_lists_are_the_libraries_with_their_source_and_licence():
    lists = shipped_lists()
    assert list(lists) == list(OTHER_LISTS)
    assert {name: len(v["words"]) for name, v in lists.items()} == {"gensim": 337, "smart": 570, "sklearn": 318,
                                                                      "spacy": 326}
    assert all(v["source"] and v["licence"] and v["words"] == sorted(set(v["words"])) for v in lists.values())
    assert [lists[name]["licence"] for name in ("gensim", "sklearn", "spacy")] == ["LGPL-2.1", "BSD-3-Clause", "MIT"]
    assert {"the", "would", "also"} <= stopword_list("smart") and "'s" in stopword_list("spacy")


@pytest.mark.parametrize("name, module, attribute", [
    ("gensim", "gensim.parsing.preprocessing", "STOPWORDS"),
    ("sklearn", "sklearn.feature_extraction.text", "ENGLISH_STOP_WORDS"),
    ("spacy", "spacy.lang.en.stop_words", "STOP_WORDS")])
def test_a_shipped_list_is_the_installed_librarys(name, module, attribute):
    library = pytest.importorskip(module)
    assert stopword_list(name) == frozenset(getattr(library, attribute)), \
        "the library's list changed: run data/recipes/stopword_lists.py"


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
