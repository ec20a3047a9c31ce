"""Reading users' input files safely: one clear error for missing, binary or non-UTF-8 input."""
from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from typing import Iterator


class InputError(Exception):
    """A problem with the user's input, reported as one line, without a traceback."""


def read_text(path: str, errors: str = "strict") -> str:
    """The whole text of `path` (`-` for stdin), checked to be UTF-8 text."""
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file")
        if os.path.isdir(path):
            raise InputError(f"{path}: is a folder (name the files, or use -o OUTDIR with restore)")
        with open(path, "rb") as f:
            data = f.read()
        name = path
    if b"\x00" in data[:65536]:
        raise InputError(f"{name}: looks binary (NUL bytes), not text")
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # a UTF-8 byte order mark is not text
    try:
        return data[bom:].decode("utf-8", errors=errors)
    except UnicodeDecodeError as e:
        raise InputError(
            f"{name}: not UTF-8 (bad byte at offset {e.start + bom}); pass --errors replace to go on anyway"
        ) from None


def split_lines(text: str) -> list[str]:
    """Lines without their line ends; a final newline does not add an empty line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def read_jsonl(path: str, text_key: str, errors: str = "strict") -> list[dict]:
    records = []
    for number, line in enumerate(split_lines(read_text(path, errors)), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{number}: not JSON ({e.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get(text_key), str):
            raise InputError(f"{path}:{number}: expected an object with a string field {text_key!r}")
        records.append(record)
    return records


def iter_input_lines(paths: list[str], errors: str = "strict") -> Iterator[str]:
    for path in paths:
        yield from split_lines(read_text(path, errors))


def format_document(text: str, first: bool, markdown: bool = False) -> str:
    """One restored document as `destem restore` writes it, so that `split_documents` reads it back:
    a line; with markdown, its paragraph lines (no blank ones) after a blank line unless it is first."""
    if not markdown:
        return text + "\n"
    block = "\n".join(line for line in text.split("\n") if line.strip())
    return ("" if first else "\n") + block + "\n"


def split_documents(text: str, markdown: bool = False) -> list[str]:
    """The documents of a restored file: one a line, or with markdown, blocks between blank lines."""
    if not markdown:
        return split_lines(text)
    text = text.replace("\r\n", "\n")
    if not text:
        return []
    return text.removesuffix("\n").split("\n\n")


@contextmanager
def atomic_path(target: str) -> Iterator[str]:
    """A temporary path beside `target` to write the whole file to; renamed onto `target` when the block
    ends, removed if it raises: a stopped write never leaves a half file under the real name."""
    folder, name = os.path.split(os.path.abspath(target))
    stem, dot, ext = name.rpartition(".")
    partial = os.path.join(folder, f".{stem}.partial.{ext}" if dot else f".{name}.partial")  # keeps the suffix
    try:
        yield partial
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
