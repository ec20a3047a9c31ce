"""A non-encyclopedic domain corpus for fine-tuning experiments: prose from the docstrings of
Python's standard library (technical documentation; PSF licence), in destem's corpus format.

    python -m destem.lab.python_docs_corpus OUT_DIR

writes OUT_DIR/train.txt and OUT_DIR/test.txt: one article per module or submodule (`# email.message`), a docstring
paragraph a line; modules are split by a hash of their name (about 1 in 5 held out), so no
module is in both, and no test paragraph occurs in the training file. Only paragraphs that read as
prose are kept (at least 6 words, ending in a period, mostly letters, no code or doctest lines).
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import pkgutil
import re
import sys
import sysconfig
import warnings

SKIP = re.compile(r"(>>>|\.\.\.\s|::|=\s|\(\)|\w\(|[{}\[\]<>|`*_#]|^\s*[-*:]|\bhttps?:)")


def prose_paragraphs(doc: str):
    for block in re.split(r"\n\s*\n", inspect.cleandoc(doc)):
        if any(line.startswith((" ", "\t")) for line in block.splitlines()):
            continue  # indented: code, tables or argument lists
        text = " ".join(block.split())
        letters = sum(ch.isalpha() for ch in text)
        if (len(text.split()) >= 6 and text.endswith(".") and text[:1].isupper()
                and letters >= 0.75 * len(text) and not SKIP.search(text)):
            yield text


def module_docs(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = importlib.import_module(name)
    seen = set()
    objects = [module] + [obj for _, obj in inspect.getmembers(module) if getattr(obj, "__module__", None) == name]
    for obj in objects:
        members = [obj] + ([m for _, m in inspect.getmembers(obj) if inspect.isfunction(m)]
                           if inspect.isclass(obj) else [])
        for member in members:
            for paragraph in prose_paragraphs(inspect.getdoc(member) or ""):
                if paragraph not in seen:
                    seen.add(paragraph)
                    yield paragraph


def main(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    stdlib = sysconfig.get_paths()["stdlib"]
    names = sorted(m.name for m in pkgutil.walk_packages([stdlib], onerror=lambda name: None)
                   if not any(part.startswith("_") or part in ("test", "tests") for part in m.name.split("."))
                   and not m.name.startswith("encodings.")  # generated codec tables, one docstring repeated
                   and not m.name.startswith(("test", "idlelib", "tkinter", "turtle", "antigravity", "this",
                                              "lib2to3")))
    articles = {"train": [], "test": []}
    for name in names:
        try:
            paragraphs = list(module_docs(name))
        except Exception:  # modules that cannot be imported here (platform-specific ones)
            continue
        if len(paragraphs) >= 3:
            split = "test" if hashlib.sha1(name.encode()).digest()[0] < 52 else "train"
            articles[split].append((name, paragraphs))
    # inherited and shared docstrings repeat across modules: the test set keeps none seen in training
    seen_in_train = {p for _, paragraphs in articles["train"] for p in paragraphs}
    articles["test"] = [(name, [p for p in paragraphs if p not in seen_in_train])
                        for name, paragraphs in articles["test"]]
    for split, items in articles.items():
        with open(os.path.join(out_dir, f"{split}.txt"), "w", encoding="utf-8") as f:
            for name, paragraphs in items:
                if paragraphs:
                    f.write(f"# {name}\n" + "\n".join(paragraphs) + "\n\n")


if __name__ == "__main__":
    main(sys.argv[1])
