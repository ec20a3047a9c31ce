"""`destem restore`: files, stdin, folders and JSONL; order and count kept; atomic, resumable
outputs; bad input refused with one line; a random-weight model still round-trips; worker
processes write what one process writes."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import torch

from destem.cli import main
from destem.model.tagger import Tagger, TaggerConfig
from destem.restore import batch
from destem.restore.batch import looks_stemmed, restore_stream
from destem.restore.lexicon import LEXICON_FILE
from destem.restore.restorer import Restorer
from destem.text.check import check_documents
from destem.text.forward import stem_text
from destem.text.textio import format_document, split_documents

MINI_CORPUS = Path(__file__).parent / "data" / "mini_corpus.txt"
PARAGRAPHS = [line.strip() for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
STEMS = [stem_text(p) for p in PARAGRAPHS[:8]]


@pytest.fixture(scope="module")
def random_model_dir(toy_model_dir, tmp_path_factory):
    """The toy model's shape, tokenizer and lexicon with random weights: a deliberately bad model."""
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("random") / "model"
    Tagger.initialized(TaggerConfig.from_folder(str(toy_model_dir))).save_pretrained(str(out))
    for name in ("spiece.model", LEXICON_FILE):
        shutil.copy(toy_model_dir / name, out / name)
    return out


def write_lines(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def restore(capsys, *argv):
    code = main(["restore", "--device", "cpu", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def summary_counts(err: str) -> dict[str, int]:
    line = [ln for ln in err.splitlines() if ln.startswith("destem: restored")][-1]
    numbers = lambda pattern: int(re.search(pattern, line).group(1).replace(",", ""))  # noqa: E731
    return {"documents": numbers(r"restored ([\d,]+) documents?"), "stems": numbers(r"([\d,]+) stems?"),
            "failures": numbers(r"round-trip failures: ([\d,]+)"), "lexicon": numbers(r"([\d,]+) lexicon forms?"),
            "repairs": numbers(r"([\d,]+) repairs?")}


def test_random_weight_model_output_stems_back_to_input(random_model_dir, tmp_path, capsys):
    documents = STEMS[:4] + [""] + STEMS[4:]
    source = write_lines(tmp_path / "in.txt", documents)
    code, out, err = restore(capsys, "--model", random_model_dir, source, "-o", tmp_path / "out.txt")
    assert code == 0 and out == ""
    restored = split_documents((tmp_path / "out.txt").read_text(encoding="utf-8"))
    assert len(restored) == len(documents) and restored[4] == ""
    assert check_documents(documents, restored).ok
    counts = summary_counts(err)
    assert counts["documents"] == len(documents)
    assert counts["stems"] == sum(len(d.split()) for d in documents)
    assert counts["failures"] == 0
    assert counts["lexicon"] > 0  # the constraints did overrule the random model
    assert "does not look stemmed" not in err
    assert main(["check", str(source), str(tmp_path / "out.txt")]) == 0


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_the_summary_names_the_precision_that_ran(toy_model_dir, tmp_path, capsys, precision):
    source = write_lines(tmp_path / "in.txt", STEMS[:3])
    code, _, err = restore(capsys, "--model", toy_model_dir, "--device", "cpu", "--precision", precision, source,
                           "-o", tmp_path / "out.txt")
    assert code == 0 and summary_counts(err)["failures"] == 0
    assert err.rstrip().endswith(f"precision: {precision}")


@pytest.mark.parametrize("argv", [["-"], []])  # no input: stdin
def test_stdin_to_stdout_keeps_one_line_per_document(toy_model_dir, monkeypatch, capsys, argv):
    documents = ["", STEMS[0], "", "", STEMS[1], ""]
    data = "".join(d + "\n" for d in documents).encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, out, _ = restore(capsys, "--model", toy_model_dir, *argv)
    assert code == 0
    restored = split_documents(out)
    assert [r == "" for r in restored] == [d == "" for d in documents]
    assert check_documents(documents, restored).ok


def test_markdown_documents_are_separated_by_a_blank_line(toy_model_dir, tmp_path, capsys):
    documents = ["", STEMS[0], "", STEMS[1], ""]
    source = write_lines(tmp_path / "in.txt", documents)
    code, _, _ = restore(capsys, "--model", toy_model_dir, "--markdown", source, "-o", tmp_path / "out.md")
    assert code == 0
    text = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert len(split_documents(text, markdown=True)) == len(documents)
    assert main(["check", "--markdown", str(source), str(tmp_path / "out.md")]) == 0
    capsys.readouterr()
    code, out, _ = restore(capsys, "--model", toy_model_dir, "--markdown", source, source)  # both to stdout
    assert code == 0
    assert check_documents(documents * 2, split_documents(out, markdown=True)).ok


ONE_LINE_DOCUMENTS = [["a", "", "b"], [""], ["", ""], []]


@pytest.mark.parametrize("documents, markdown", [(d, False) for d in ONE_LINE_DOCUMENTS]
                         + [(d, True) for d in ONE_LINE_DOCUMENTS
                            + [["p1\np2", "x", ""], ["Title\n\n\nHe said: \"yes.\"\n\n\"No,\" she said.\n"]]])
def test_written_documents_read_back_the_same(documents, markdown):
    text = "".join(format_document(d, i == 0, markdown) for i, d in enumerate(documents))
    blank_lines_dropped = [re.sub(r"\n+", "\n", d).strip("\n") for d in documents]
    assert split_documents(text, markdown) == blank_lines_dropped
    assert [stem_text(d) for d in blank_lines_dropped] == [stem_text(d) for d in documents]  # no stem changes


FOLDER = {"a.txt": STEMS[:2], "b.txt": [STEMS[2], "", STEMS[3]], "sub/c.txt": ["", STEMS[4]], "sub/notes.md": ["x"]}


def make_folder(root):
    for name, lines in FOLDER.items():
        write_lines(root / name, lines)
    return root


def outputs(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_folder_run_interrupted_then_rerun_equals_one_uninterrupted_run(toy_model_dir, tmp_path, capsys,
                                                                        monkeypatch):
    source = make_folder(tmp_path / "in")
    loads = []
    load = Restorer.from_pretrained
    monkeypatch.setattr(Restorer, "from_pretrained", lambda *a, **k: loads.append(a) or load(*a, **k))
    code, _, _ = restore(capsys, "--model", toy_model_dir, source, "-o", tmp_path / "whole")
    assert code == 0
    assert len(loads) == 1  # the model is loaded once per run
    reference = outputs(tmp_path / "whole")
    assert sorted(reference) == ["a.txt", "b.txt", "sub/c.txt"]  # mirrored; only .txt files

    # killed while writing the second file, after its first document
    real_stream, calls = batch.restore_stream, []

    def killed_in_second_file(*args, **kwargs):
        calls.append(1)
        for index, restoration in enumerate(real_stream(*args, **kwargs)):
            if len(calls) == 2 and index == 1:
                raise KeyboardInterrupt
            yield restoration

    monkeypatch.setattr(batch, "restore_stream", killed_in_second_file)
    out = tmp_path / "resumed"
    assert restore(capsys, "--model", toy_model_dir, source, "-o", out)[0] == 130
    assert outputs(out) == {"a.txt": reference["a.txt"]}  # no partial b.txt, no temporary file
    finished = (out / "a.txt").stat().st_mtime_ns
    monkeypatch.setattr(batch, "restore_stream", real_stream)
    write_lines(out / "sub" / ".c.txt.part", ["left by a kill -9"])

    code, _, err = restore(capsys, "--model", toy_model_dir, source, "-o", out)
    assert code == 0
    assert "skipped 1 finished output (" in err
    assert (out / "a.txt").stat().st_mtime_ns == finished
    assert outputs(out) == reference

    code, _, err = restore(capsys, "--model", toy_model_dir, "--force", source, "-o", out)
    assert code == 0 and "skipped" not in err
    assert summary_counts(err)["documents"] == 7
    assert outputs(out) == reference


@pytest.mark.parametrize("flags", [[], ["--markdown"]])
def test_a_rerun_keeps_a_foreign_output_and_redoes_a_stale_one(toy_model_dir, tmp_path, capsys, flags):
    source = make_folder(tmp_path / "in")
    out = tmp_path / "out"
    assert restore(capsys, "--model", toy_model_dir, *flags, source, "-o", out)[0] == 0
    finished = outputs(out)
    foreign = write_lines(out / "a.txt", ["notes of my own"])  # one document where the input has two
    write_lines(source / "b.txt", [STEMS[5], "", STEMS[6]])  # the input changed after its output was written
    stale = out / "b.txt"
    stale_time = stale.stat().st_mtime
    (source / "b.txt").touch()
    os.utime(stale, (stale_time - 10, stale_time - 10))

    code, _, err = restore(capsys, "--model", toy_model_dir, *flags, source, "-o", out)
    assert code == 2
    assert f"destem: error: {foreign} exists and holds 1 document, where {source / 'a.txt'} has 2: " in err
    assert foreign.read_text(encoding="utf-8") == "notes of my own\n"  # kept
    assert f"b.txt changed since {stale} was written: restored again" in err
    assert "skipped 1 finished output" in err and summary_counts(err)["documents"] == 3
    assert split_documents(stale.read_text(encoding="utf-8"), bool(flags))[0] != \
        split_documents(finished["b.txt"].decode(), bool(flags))[0]
    assert outputs(out)["sub/c.txt"] == finished["sub/c.txt"]


def test_several_files_go_into_an_output_folder(toy_model_dir, tmp_path, capsys):
    first = write_lines(tmp_path / "x" / "one.txt", STEMS[:1])
    second = write_lines(tmp_path / "two.txt", STEMS[1:3])
    code, _, _ = restore(capsys, "--model", toy_model_dir, first, second, "-o", tmp_path / "out")
    assert code == 0
    assert sorted(outputs(tmp_path / "out")) == ["one.txt", "two.txt"]
    assert len(split_documents((tmp_path / "out" / "two.txt").read_text(encoding="utf-8"))) == 2


def test_an_output_name_ending_in_a_slash_is_a_folder_made_for_one_input(toy_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "one.txt", STEMS[:1])
    code, _, _ = restore(capsys, "--model", toy_model_dir, source, "-o", f"{tmp_path / 'new'}/")
    assert code == 0
    assert sorted(outputs(tmp_path / "new")) == ["one.txt"]


def test_a_write_the_system_refuses_is_one_line_naming_the_output(toy_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "one.txt", STEMS[:1])
    (tmp_path / "file").write_text("")  # a file where the output's folder would be
    code, out, err = restore(capsys, "--model", toy_model_dir, source, "-o", tmp_path / "file" / "out.txt")
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith(f"destem: error: {tmp_path / 'file' / 'out.txt'}: cannot make its folder")


@pytest.mark.parametrize("text_key, output_key", [(None, None), ("stems", "english")])
def test_jsonl_keeps_ids_fields_and_order(toy_model_dir, tmp_path, capsys, text_key, output_key):
    key = text_key or "text"
    records = [{"id": "w-2", key: STEMS[0], "meta": {"source": "wiki", "rank": 2}},
               {"id": 7, key: "", "tags": ["empty"]},
               {"id": "w-1", key: STEMS[1], "score": 0.5, "note": None}]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    keys = ["--text-key", text_key, "--output-key", output_key] if text_key else []
    code, out, _ = restore(capsys, "--model", toy_model_dir, "--jsonl", *keys, source)
    assert code == 0
    written = [json.loads(line) for line in out.splitlines()]
    restored_key = output_key or "restored"
    assert [{k: v for k, v in w.items() if k not in (restored_key, "roundtrip")} for w in written] == records
    assert [w["roundtrip"] for w in written] == [True, True, True]
    assert written[1][restored_key] == ""
    assert check_documents([r[key] for r in records], [w[restored_key] for w in written]).ok


BAD_INPUTS = {
    "missing path": (lambda d: [d / "missing.txt"], "{d}/missing.txt: no such file or folder"),
    "not UTF-8": (lambda d: [bad_bytes(d / "latin1.txt", b"caf\xe9 .\n")],
                  "{d}/latin1.txt: not UTF-8 (bad byte at offset 3); pass --errors replace to go on anyway"),
    "binary": (lambda d: [bad_bytes(d / "model.bin", b"\x00\x01\x02stem\n")],
               "{d}/model.bin: looks binary (NUL bytes), not text"),
    "output is the input": (lambda d: [write_lines(d / "in.txt", ["comet ."]), "-o", d / "in.txt"],
                            "{d}/in.txt: the output would overwrite an input; choose another -o"),
    "output folder is the input folder": (lambda d: [make_folder(d / "in"), "-o", d / "in"],
                                          "{d}/in/a.txt: the output would overwrite an input"),
    "output folder inside the input folder": (lambda d: [make_folder(d / "in"), "-o", d / "in" / "out"],
                                              "-o {d}/in/out: is inside the input folder {d}/in"),
    "folder without -o": (lambda d: [make_folder(d / "in")], "{d}/in: is a folder; give -o OUTDIR"),
    "--html names a folder": (
        lambda d: [write_lines(d / "in.txt", ["comet ."]), "--html", (d / "pages").mkdir() or d / "pages"],
        "--html {d}/pages: is a folder; give the page a file name"),
    "two inputs, one output name": (
        lambda d: [write_lines(d / "x" / "a.txt", ["b ."]), write_lines(d / "a.txt", ["c ."]), "-o", d / "out"],
        "{d}/x/a.txt and {d}/a.txt would both be written to {d}/out/a.txt"),
}


def bad_bytes(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_gets_one_line_and_exit_code_2(tmp_path, capsys, case):
    make_argv, message = BAD_INPUTS[case]
    argv = make_argv(tmp_path)
    before = outputs(tmp_path)
    # no model folder: the input is refused before the model would be loaded
    code, out, err = restore(capsys, "--model", tmp_path / "no-model", *argv)
    assert code == 2
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith(f"destem: error: {message.format(d=tmp_path)}")
    assert outputs(tmp_path) == before  # nothing written


RAY_MISUSES = {  # name: (arguments, the one line)
    "stdin": (["--engine", "ray"], "--engine ray restores files and folders, not stdin"),
    "- among the inputs": (["--engine", "ray", "{d}/in.txt", "-"],
                           "--engine ray restores files and folders, not stdin"),
    "with --workers": (["--engine", "ray", "--workers", "2", "{d}/in.txt"],
                       "--engine ray and --workers do not combine; --actors N sets the number of restorers"),
    "ray options without --engine ray": (["--actors", "2", "{d}/in.txt"],
                                         "--ray-address, --actors and --gpus-per-actor go with --engine ray"),
}


@pytest.mark.parametrize("case", RAY_MISUSES)
def test_engine_ray_misuse_is_one_line(tmp_path, capsys, case):
    write_lines(tmp_path / "in.txt", ["comet ."])
    argv, message = RAY_MISUSES[case]
    code, out, err = restore(capsys, *[arg.format(d=tmp_path) for arg in argv], "-o", tmp_path / "out")
    assert (code, out, err) == (2, "", f"destem: error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_engine_ray_without_ray_installed_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as where it is not installed
    source = write_lines(tmp_path / "in.txt", ["comet ."])
    code, _, err = restore(capsys, "--engine", "ray", source, "-o", tmp_path / "out")
    assert (code, err) == (2, 'destem: error: ray is not installed; install the extra: pip install -e ".[ray]"\n')


@pytest.mark.parametrize("value", ["0", "-1", "nan", "one"])
def test_gpus_per_actor_must_be_above_zero(capsys, value):
    with pytest.raises(SystemExit) as exit_:
        main(["restore", "--engine", "ray", f"--gpus-per-actor={value}"])
    assert exit_.value.code == 2
    assert f"argument --gpus-per-actor: expected a number above 0, not '{value}'" in capsys.readouterr().err


@pytest.mark.parametrize("workers", [1, 2])  # with workers, the error comes from a worker process
def test_missing_model_is_one_line(tmp_path, capsys, workers):
    source = write_lines(tmp_path / "in.txt", ["comet ."])
    code, _, err = restore(capsys, "--model", tmp_path / "no-model", "--workers", workers, source)
    assert code == 2
    assert err.strip() == f"destem: error: no model folder at {tmp_path}/no-model"


def test_errors_replace_restores_a_non_utf8_file_anyway(toy_model_dir, tmp_path, capsys):
    source = bad_bytes(tmp_path / "latin1.txt", b"comet discov 1852 .\n\ncaf\xe9 nam .\n")
    assert restore(capsys, "--model", toy_model_dir, source)[0] == 2
    code, out, _ = restore(capsys, "--model", toy_model_dir, "--errors", "replace", source)
    assert code == 0
    restored = split_documents(out)
    assert check_documents(["comet discov 1852 .", "", "caf\ufffd nam ."], restored).ok


def test_one_bad_file_in_a_folder_does_not_stop_the_others(toy_model_dir, tmp_path, capsys):
    source = make_folder(tmp_path / "in")
    bad_bytes(source / "b.txt", b"caf\xe9 .\n")
    code, _, err = restore(capsys, "--model", toy_model_dir, source, "-o", tmp_path / "out")
    assert code == 2
    assert f"destem: error: {source}/b.txt: not UTF-8" in err
    assert sorted(outputs(tmp_path / "out")) == ["a.txt", "sub/c.txt"]
    assert "1 input failed" in err


def test_plain_english_is_restored_with_one_warning_per_file(toy_model_dir, tmp_path, capsys):
    first = write_lines(tmp_path / "one.txt", PARAGRAPHS[:2])
    second = write_lines(tmp_path / "two.txt", PARAGRAPHS[2:4])
    code, out, err = restore(capsys, "--model", toy_model_dir, first, second)
    assert code == 0
    assert len(split_documents(out)) == 4
    assert err.count("input does not look stemmed") == 2
    assert f"{first}: input does not look stemmed (found: not stemmed, no stopwords removed" in err


@pytest.mark.parametrize("documents, stemmed", [
    (STEMS, True),
    (PARAGRAPHS[:8], False),  # plain English: capitals and stopwords
    ([p.lower() for p in PARAGRAPHS[:8]], False),  # lowercased English: stopwords
    ([stem_text(p).upper() for p in PARAGRAPHS[:8]], False),  # capitals
    (["лев давидович троцкий ( russian : lev davidovich trotski ) bolshevik revolutionari ."], True),
    (["The comet."], True),  # too short to tell
])
def test_looks_stemmed(documents, stemmed):
    assert looks_stemmed(documents) is stemmed


def test_long_document_is_restored_in_bounded_pieces(toy_model_dir, monkeypatch):
    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    stems_per_call = []
    restore_documents = restorer.restore_documents

    def counting(documents, **options):
        stems_per_call.append(sum(len(d.split()) for d in documents))
        return restore_documents(documents, **options)

    monkeypatch.setattr(restorer, "restore_documents", counting)
    long_document = " ".join(STEMS)
    documents = [STEMS[5], long_document, "", STEMS[6], STEMS[7]]
    results = list(restore_stream(restorer, documents, group_stems=120))
    assert max(stems_per_call) <= 120
    assert len(stems_per_call) >= len(long_document.split()) // 120 + 1
    assert len(results) == len(documents) and results[2].text == ""
    assert results[1].stats.documents == 1 and results[1].stats.stems == len(long_document.split())
    assert check_documents(documents, [r.text for r in results]).ok


# ---------------------------------------------------------------- --workers

WORKER_INPUTS = {  # name: (make the input in a folder, restore flags)
    "file": (lambda d: write_lines(d / "in.txt", ["", STEMS[0], "", "", *STEMS[1:], ""]), []),
    "folder": (make_folder, []),
    "jsonl": (lambda d: write_lines(d / "in.jsonl", [json.dumps({"id": i, "text": stems})
                                                     for i, stems in enumerate([STEMS[0], "", *STEMS[1:]])]),
              ["--jsonl"]),
}


@pytest.mark.parametrize("case", WORKER_INPUTS)
def test_two_workers_write_byte_for_byte_what_one_process_writes(toy_model_dir, tmp_path, capsys, monkeypatch,
                                                                 case):
    make_input, flags = WORKER_INPUTS[case]
    source = make_input(tmp_path / "in")
    monkeypatch.setattr(batch, "GROUP_STEMS", 64)  # many groups, one document longer than a group: all workers busy
    written, counts = {}, {}
    for workers in (1, 2):
        out = tmp_path / f"out-{workers}"
        target = out if source.is_dir() else out / source.name
        code, _, err = restore(capsys, "--model", toy_model_dir, "--workers", workers, *flags, source, "-o", target)
        assert code == 0, err
        written[workers], counts[workers] = outputs(out), summary_counts(err)
        monkeypatch.setattr(Restorer, "from_pretrained",  # with workers, this process loads no model
                            lambda *args, **kwargs: pytest.fail("the main process loaded the model"))
    assert written[2] == written[1]
    assert counts[2] == counts[1]
    assert counts[1]["documents"] == sum(len(split_documents(text.decode())) for text in written[1].values())


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_workers_must_be_a_whole_number_of_at_least_one(capsys, value):
    with pytest.raises(SystemExit) as exit_:
        main(["restore", f"--workers={value}"])
    assert exit_.value.code == 2
    assert f"argument --workers: expected a whole number of at least 1, not '{value}'" in capsys.readouterr().err


def test_a_long_document_advances_the_progress_bar_piece_by_piece(toy_model_dir):
    from tqdm import tqdm

    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    long_document = " ".join(STEMS)
    seen = []

    class Recording(tqdm):  # a real bar (disabled: no terminal in tests) that records each step
        def update(self, n=1):
            seen.append(n)
            return super().update(n)

    with Recording(total=len(long_document.split()), disable=True) as progress:
        [result] = restore_stream(restorer, [long_document], group_stems=120, progress=progress)
    assert len(seen) >= len(long_document.split()) // 120 + 1 and max(seen) <= 120  # one step a piece
    assert sum(seen) == len(long_document.split()) == result.stats.stems


@pytest.mark.parametrize("strict, code", [(False, 0), (True, 1)])
def test_strict_exits_non_zero_and_failures_are_named(random_model_dir, tmp_path, capsys, strict, code):
    source = write_lines(tmp_path / "in.jsonl", [json.dumps({"id": i, "text": s}) for i, s in enumerate(STEMS[:3])])
    out = tmp_path / "out.jsonl"
    argv = ["--model", random_model_dir, "--jsonl", "--no-constraints", source, "-o", out] + (["--strict"] * strict)
    got, _, err = restore(capsys, *argv)
    written = [json.loads(line) for line in out.read_text().splitlines()]
    failures = summary_counts(err)["failures"]
    assert got == code and len(written) == 3 and failures > 0  # written all the same, in order
    assert [w["id"] for w in written] == [0, 1, 2]
    assert sum(not w["roundtrip"] for w in written) == failures
    assert check_documents(STEMS[:3], [w["restored"] for w in written]).documents_ok == 3 - failures
    named = [line for line in err.splitlines() if line.startswith(f"destem: warning: {source}: document ")]
    assert len(named) == failures and all("differs at stem" in line for line in named)
    assert "Traceback" not in err
