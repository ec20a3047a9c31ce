"""Reading users' input files safely (one clear error for missing, binary or non-UTF-8 input), and
writing any file whole (`atomic_write`)."""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Literal


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


def partial_path(target: str) -> str:
    """Where `atomic_write` writes `target` before it is complete: a hidden file beside it, `.NAME.part`. The
    name is fixed, so that a rerun after a kill overwrites what the killed run left; it ends in .part, so that
    no reader of NAME's kind of file (a folder's *.txt, *.npz) takes it for one."""
    folder, name = os.path.split(os.path.abspath(target))
    return os.path.join(folder, f".{name}.part")


@contextmanager
def atomic_write(target: str, mode: Literal["w", "wb", "path"] = "w") -> Iterator[IO | str]:
    """Write `target` whole or not at all: the block writes to `partial_path(target)`, in the target's own
    folder (made if missing), which replaces `target` in one `os.replace` when the block completes, and is
    removed when it raises. Yields the partial file open for writing: mode "w" as UTF-8 text with "\n" line
    ends, "wb" as bytes; or with "path" its path, for a writer that opens the file itself. (numpy's `savez`
    adds .npz to a path that does not end so: give it the open "wb" file.)"""
    if mode not in ("w", "wb", "path"):
        raise ValueError(f"atomic_write: mode {mode!r} is not 'w', 'wb' or 'path'")
    partial = partial_path(target)
    if os.path.isdir(target):
        raise InputError(f"{target}: is a folder; give a file name")
    try:
        os.makedirs(os.path.dirname(partial), exist_ok=True)
    except OSError as e:
        raise InputError(f"{target}: cannot make its folder ({e.strerror})") from None
    try:
        if mode == "path":
            yield partial
        else:
            try:
                f = open(partial, mode, **({"encoding": "utf-8", "newline": "\n"} if mode == "w" else {}))
            except OSError as e:  # named by the file asked for, not the hidden partial one
                raise InputError(f"{target}: cannot be written ({e.strerror})") from None
            with f:
                yield f
        os.replace(partial, target)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
