"""`destem check`: the reference-free round-trip check of a stems file against a restoration."""
from __future__ import annotations

import pytest

from destem.cli import main
from destem.text.check import check_documents
from destem.text.forward import stem_text

PROSE = [
    "The comet was discovered in 1852. It is named after the goddess of the dawn.",
    "",
    "Hagbard designed a supercomputer called FUCKUP, which he used to calculate the chances of war.",
    "Europa is approximately the sixth largest asteroid by volume.",
]
STEMS = [stem_text(line) for line in PROSE]


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


@pytest.fixture
def stems_file(tmp_path):
    return write_lines(tmp_path / "doc.stem.txt", STEMS)


def run_check(capsys, *argv):
    code = main(["check", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("form", ["positional", "against"])
def test_original_prose_round_trips(tmp_path, capsys, stems_file, form):
    restored = write_lines(tmp_path / "restored.txt", PROSE)
    argv = [stems_file, restored] if form == "positional" else [restored, "--against", stems_file]
    code, out, _ = run_check(capsys, *argv)
    assert code == 0
    assert out.strip() == f"4/4 documents round-trip; {sum(len(s.split()) for s in STEMS)}/" \
                          f"{sum(len(s.split()) for s in STEMS)} stems match"


@pytest.mark.parametrize("changed, expected_stem, got_stem", [
    ("The comet was discovered in 1852. It is named after the goddess of the dusk.", "dawn", "dusk"),
    ("The comet was discovered in 1852. It is named after the goddess of the.", "dawn", "."),
    ("The comet was seen and discovered in 1852. It is named after the goddess of the dawn.", "discov", "seen"),
])
def test_mismatch_is_reported_with_position_and_context(tmp_path, capsys, stems_file, changed, expected_stem,
                                                        got_stem):
    restored = write_lines(tmp_path / "restored.txt", [changed] + PROSE[1:])
    code, out, _ = run_check(capsys, stems_file, restored)
    assert code == 1
    report_line, summary = out.strip().split("\n")
    expected = STEMS[0].split()
    position = expected.index(expected_stem)
    assert report_line.startswith(f"document 1: differs at stem {position + 1} of {len(expected)}:")
    assert f">>{expected_stem}<<" in report_line and f">>{got_stem}<<" in report_line
    assert summary.startswith("3/4 documents round-trip;")


def test_restoration_that_ends_early_is_marked_at_its_end(capsys, tmp_path, stems_file):
    restored = write_lines(tmp_path / "restored.txt", PROSE[:3] + ["Europa is approximately"])
    code, out, _ = run_check(capsys, stems_file, restored)
    assert code == 1
    assert "document 4: differs at stem 3 of 7:" in out
    assert ">><end><<" in out


@pytest.mark.parametrize("stems, restored, ok, stems_ok", [
    ("comet discov 1852 .", "The comet was discovered in 1852.", True, 4),
    ("comet discov 1852 .", "The comet was found in 1852.", False, 3),  # one stem replaced
    ("comet discov 1852 .", "The comet discovered.", False, 3),  # one stem dropped
    ("comet discov 1852 .", "The big comet was discovered in 1852.", False, 4),  # one stem added
    ("", "", True, 0),
    ("", "Extra words.", False, 0),
])
def test_check_documents_counts(stems, restored, ok, stems_ok):
    report = check_documents([stems], [restored])
    assert report.ok is ok
    assert (report.documents, report.documents_ok) == (1, int(ok))
    assert report.stems_ok == stems_ok
    assert len(report.mismatches) == int(not ok)


def test_different_document_counts_are_an_error_not_a_traceback(tmp_path, capsys, stems_file):
    restored = write_lines(tmp_path / "restored.txt", PROSE[:3])
    code, out, err = run_check(capsys, stems_file, restored)
    assert code == 2
    assert out == ""
    assert err.strip() == (f"destem: error: {stems_file} has 4 documents (lines) but {restored} has 3 (lines); "
                           "the files must hold the same documents in order")


@pytest.mark.parametrize("argv, message", [
    (["only-one.txt"], "check takes two files"),
    (["a.txt", "b.txt", "--against", "c.txt"], "takes one RESTORED file"),
    (["missing-stems.txt", "missing-restored.txt"], "missing-stems.txt: no such file"),
])
def test_bad_arguments(capsys, argv, message):
    code, _, err = run_check(capsys, *argv)
    assert code == 2
    assert err.startswith("destem: error:") and message in err


def test_markdown_restorations_are_read_as_blank_line_separated_blocks(tmp_path, capsys):
    stems = write_lines(tmp_path / "doc.stem.txt", [stem_text("Title line\nFirst paragraph."), "", "comet ."])
    restored = tmp_path / "restored.md"
    restored.write_text("Title line\nFirst paragraph.\n\n\n\nComet.\n", encoding="utf-8")
    code, out, _ = run_check(capsys, stems, str(restored), "--markdown")
    assert code == 0, out
    assert out.startswith("3/3 documents round-trip")


def test_auto_checks_input_of_another_pipeline_as_restore_reads_it(tmp_path, capsys):
    # the isalpha tutorial line's stems: re-stemmed by destem's own pipeline, the prose's punctuation comes back
    from pathlib import Path

    from destem.text.documents import read_documents
    from destem.text.forward import PIPELINES

    prose = [line for doc in read_documents(str(Path(__file__).parent / "data" / "mini_corpus.txt"))
             for line in doc.text.split("\n") if line.strip()][:12]
    stems = write_lines(tmp_path / "isalpha.txt", [PIPELINES["isalpha"].stem_text(p) for p in prose])
    restored = write_lines(tmp_path / "prose.txt", prose)
    code, out, err = run_check(capsys, stems, restored)
    assert code == 0 and out.startswith(f"{len(prose)}/{len(prose)} documents round-trip")
    assert err.startswith(f"destem: {stems}: input made with porter-nltk stems, nltk-179 stopwords removed, "
                          "punctuation dropped") and err.rstrip().endswith("(--pipeline isalpha)")
    code, out, _ = run_check(capsys, "--pipeline", "destem", stems, restored)
    assert code == 1 and out.splitlines()[-1].startswith(f"0/{len(prose)} documents round-trip")
