"""`destem stem`: one stemmed line per input line, JSONL records, and clear one-line input errors."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pytest

from destem.cli import main

ODD_LINES = [
    "Hello\tworld.",  # a tab
    "",
    "The\u00a0cat sat. 😀 done",  # NBSP and an emoji
    "",
    "   ",
    "He didn't take an \"active part\" in politics, i.e. armed robbery.",
    "the of and",  # only stopwords: an empty output line
    "Лев Троцкий\u2028родился.\x0cEnd\x85here\x1cnow",  # Unicode line separators inside one line
    "## Early life",
    "Last line without a newline",
]
ODD_EXPECTED = [
    "hello world .",
    "",
    "cat sat . 😀 done",
    "",
    "",
    "n't take `` activ part '' polit , i.e . arm robberi .",
    "",
    "лев троцкий родился . end",
    "# # earli life",
    "last line without newlin",
]


def run_stem(argv, capsys, monkeypatch=None, stdin: bytes | None = None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = main(["stem", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_keeps_line_count_and_order(tmp_path, capsys, newline):
    path = tmp_path / "odd.txt"
    path.write_bytes(newline.join(ODD_LINES).encode("utf-8"))
    code, out, err = run_stem([str(path)], capsys)
    assert (code, err) == (0, "")
    assert out == "".join(line + "\n" for line in ODD_EXPECTED)
    assert out.count("\n") == len(ODD_LINES)


# (input bytes, output) tables: line ends, trailing newline, empty files
LINE_CASES = [
    (b"", ""),
    (b"\n", "\n"),
    (b"\n\n\n", "\n\n\n"),
    (b"The cat.", "cat .\n"),
    (b"The cat.\n", "cat .\n"),
    (b"The cat.\n\n", "cat .\n\n"),
    (b"A dog.\r\nThe cat.\r\n", "dog .\ncat .\n"),
    (b"\xef\xbb\xbfThe cat.\n", "cat .\n"),  # a UTF-8 byte order mark is not part of the first word
    (b"one\rtwo\n", "one two\n"),  # a lone CR is whitespace inside a line
]


@pytest.mark.parametrize("data, expected", LINE_CASES, ids=[repr(d)[:30] for d, _ in LINE_CASES])
def test_line_table(tmp_path, capsys, data, expected):
    path = tmp_path / "in.txt"
    path.write_bytes(data)
    assert run_stem([str(path)], capsys) == (0, expected, "")


def test_several_files_and_stdin_in_order(tmp_path, capsys, monkeypatch):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("Trotsky died the next day; the news spread.\n\n", encoding="utf-8")
    b.write_text("## Early life\n", encoding="utf-8")
    code, out, err = run_stem([str(a), "-", str(b)], capsys, monkeypatch, stdin=b"The cats ran.\n")
    assert (code, err) == (0, "")
    assert out == "trotski die next day ; news spread .\n\ncat ran .\n# # earli life\n"


def test_stdin_dash(capsys, monkeypatch):
    data = "\n".join(ODD_LINES[:3]).encode("utf-8")
    assert run_stem(["-"], capsys, monkeypatch, stdin=data) == (0, "hello world .\n\ncat sat . 😀 done\n", "")


def test_jsonl_keeps_ids_fields_and_order(tmp_path, capsys):
    records = [
        {"id": 3, "text": "The cats ran.", "meta": {"a": [1, 2]}, "z": None},
        {"text": "", "id": "b"},  # empty text stays empty; field order kept
        {"id": 1, "lang": "ru", "text": "Лев Троцкий."},
        {"id": "d", "text": 'He said "x".', "note": "keeps \"quotes\" and ünïcode"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n", encoding="utf-8")
    code, out, err = run_stem(["--jsonl", str(path)], capsys)
    assert (code, err) == (0, "")
    lines = out.split("\n")
    assert lines[-1] == "" and len(lines) == len(records) + 1
    got = [json.loads(line) for line in lines[:-1]]
    assert [list(r) for r in got] == [list(r) for r in records]  # every field, in its order
    assert [r["id"] for r in got] == [3, "b", 1, "d"]
    assert [r["text"] for r in got] == ["cat ran .", "", "лев троцкий .", "said `` x '' ."]
    assert [{k: v for k, v in r.items() if k != "text"} for r in got] == \
        [{k: v for k, v in r.items() if k != "text"} for r in records]
    assert "ünïcode" in out  # written as UTF-8, not \u escapes


def test_jsonl_other_text_key(capsys, monkeypatch):
    stdin = b'{"id": 1, "body": "The cats ran.", "text": "left alone"}\n'
    code, out, _ = run_stem(["--jsonl", "--text-key", "body", "-"], capsys, monkeypatch, stdin=stdin)
    assert code == 0 and json.loads(out) == {"id": 1, "body": "cat ran .", "text": "left alone"}


@pytest.mark.parametrize("content, message", [
    ('{"id": 1}\n', "-:1: expected an object with a string field 'text'"),
    ('{"id": 1, "text": 5}\n', "-:1: expected an object with a string field 'text'"),
    ('["The cat."]\n', "-:1: expected an object"),
    ('{"id": 1, "text": "ok"}\nnot json\n', "-:2: not JSON"),
])
def test_jsonl_bad_records(capsys, monkeypatch, content, message):
    code, out, err = run_stem(["--jsonl", "-"], capsys, monkeypatch, stdin=content.encode())
    assert code == 2
    assert err.startswith("destem: error: ") and message in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_non_utf8_file_is_one_clear_error(tmp_path, capsys):
    path = tmp_path / "latin1.txt"
    path.write_bytes("The café is open.\nNext line.\n".encode("latin-1"))
    code, out, err = run_stem([str(path)], capsys)
    assert code == 2 and out == ""
    assert err == f"destem: error: {path}: not UTF-8 (bad byte at offset 7); pass --errors replace to go on anyway\n"


def test_non_utf8_with_errors_replace_goes_on(tmp_path, capsys):
    path = tmp_path / "latin1.txt"
    path.write_bytes("The café is open.\nNext line.\n".encode("latin-1"))
    assert run_stem(["--errors", "replace", str(path)], capsys) == (0, "caf\ufffd open .\nnext line .\n", "")


def test_byte_order_mark_keeps_error_offsets(tmp_path, capsys):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfab\xff")
    code, _, err = run_stem([str(path)], capsys)
    assert code == 2 and "bad byte at offset 5" in err


@pytest.mark.parametrize("data", [b"\x00\x01\x02binary\x00", b"text first\n" * 100 + b"\x00"],
                         ids=["nul-bytes", "nul-late"])
def test_binary_file_is_refused(tmp_path, capsys, data):
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    code, out, err = run_stem([str(path)], capsys)
    assert (code, out) == (2, "")
    assert err == f"destem: error: {path}: looks binary (NUL bytes), not text\n"


def test_missing_file(tmp_path, capsys):
    missing = tmp_path / "no-such-file.txt"
    code, out, err = run_stem([str(missing)], capsys)
    assert (code, out) == (2, "")
    assert err == f"destem: error: {missing}: no such file\n"


def test_folder_is_refused(tmp_path, capsys):
    code, _, err = run_stem([str(tmp_path)], capsys)
    assert code == 2 and str(tmp_path) in err and "folder" in err and err.count("\n") == 1


def test_stem_needs_a_file(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["stem"])
    assert exit_info.value.code == 2 and "FILE" in capsys.readouterr().err


# ---- the installed console script, in a real process ----

def destem_command() -> list[str]:
    exe = shutil.which("destem")
    assert exe, "the `destem` console script is not on PATH: run `pip install -e .` first"
    return [exe]


def test_console_script_stems_stdin_and_files(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes("The\u00a0cat sat.\n\n\t😀 ok\n".encode("utf-8"))
    result = subprocess.run(destem_command() + ["stem", "-", str(path)], capture_output=True, timeout=120,
                            input=b"Trotsky died the next day; the news spread.\n## Early life\n")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode("utf-8") == (
        "trotski die next day ; news spread .\n# # earli life\ncat sat .\n\n😀 ok\n"
    )


def test_console_script_errors_without_traceback(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\n\xff\xfe\n")
    result = subprocess.run(destem_command() + ["stem", str(bad)], capture_output=True, timeout=120)
    err = result.stderr.decode()
    assert result.returncode == 2
    assert err.startswith("destem: error: ") and str(bad) in err and err.count("\n") == 1
    assert "Traceback" not in err and result.stdout == b""


def test_jsonl_with_byte_order_mark(tmp_path, capsys):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": 7, "text": "The cats ran."}\n')
    assert run_stem(["--jsonl", str(path)], capsys) == (0, '{"id": 7, "text": "cat ran ."}\n', "")
