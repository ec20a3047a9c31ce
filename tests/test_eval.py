"""`destem eval` and `destem bench` end to end on the fixture corpus with the toy model: the files,
the report, sacrebleu's CLI agreeing with the harness, suites, and one-line errors for bad input."""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from destem.cli import main
from destem.evaluation.evaluate import REPO_ROOT, load_suite
from destem.text.documents import read_documents
from destem.text.forward import stem_text
from destem.text.textio import InputError

MINI_CORPUS = Path(__file__).parent / "data" / "mini_corpus.txt"
SYSTEMS = ["identity", "lexicon", "model"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def toy_eval(toy_model_dir, tmp_path_factory) -> tuple[Path, str]:
    """One `destem eval` run of every system on the fixture corpus: (report folder, stdout)."""
    out = tmp_path_factory.mktemp("eval") / "report"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["eval", "--prose", str(MINI_CORPUS), "--model", str(toy_model_dir), "--out", str(out)]) == 0
    return out, stdout.getvalue()


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def test_eval_writes_aligned_texts_per_system(toy_eval):
    out, _ = toy_eval
    documents = list(read_documents(str(MINI_CORPUS)))
    for system in SYSTEMS:
        for level, count in (("", len(documents)), ("windows", None)):
            folder = out / system / level
            sources, hypotheses, references = (read_lines(folder / f"{n}.txt")
                                               for n in ("sources", "hypotheses", "references"))
            assert len(sources) == len(hypotheses) == len(references) == (count or len(sources)) > 0
            # each reference stems to its source: a perfect system scores 100
            assert [stem_text(r) for r in references] == sources
    assert read_lines(out / "identity" / "hypotheses.txt") == read_lines(out / "identity" / "sources.txt")
    assert read_lines(out / "model" / "references.txt") == [" ".join(d.text.split()) for d in documents]


def test_eval_report_json_md_and_charts(toy_eval, toy_model_dir):
    out, stdout = toy_eval
    report = json.loads((out / "report.json").read_text())
    assert list(report["systems"]) == SYSTEMS
    assert report["data"]["documents"] == 8 and report["data"]["windows"] > 8
    assert report["model"]["path"] == str(Path(toy_model_dir).resolve()) and report["model"]["id"].startswith("sha256:")
    assert report["model"]["decoding"] == {"empty_gap_bias": 0.0, "lm_weight": 0.0, "lm_word_bonus": 0.0, "lm": True}
    assert "decoding: empty_gap_bias=0.0, lm_weight=0.0" in (out / "report.md").read_text()
    assert report["machine"]["cpu_cores"] >= 1 and report["machine"]["devices"] == ["cpu"]
    capability = torch.backends.cpu.get_cpu_capability()  # the vector unit: a speed names it
    assert report["machine"]["cpu_capability"] == capability and f" ({capability}), " in (out / "report.md").read_text()
    assert report["versions"]["sacrebleu"] and report["versions"]["torch"]
    assert "tok:13a" in report["signatures"]["bleu"] and "case:mixed" in report["signatures"]["ter"]
    for system in SYSTEMS:
        result = report["systems"][system]
        assert set(result["documents"]["scores"]) <= set(report["signatures"])
        assert result["windows"]["scores"]["ter"] is not None and "ter" not in result["documents"]["scores"]
        assert len(result["document_bleu"]) == 8
        assert result["speed"]["stems_per_s"] > 0 and result["speed"]["peak_rss_mib"] > 0
    # the constrained model keeps the round trip on at least most documents; the stems never do
    assert report["systems"]["model"]["documents"]["scores"]["roundtrip_documents"] >= 75
    assert report["systems"]["identity"]["documents"]["scores"]["roundtrip_documents"] < 50
    # one table, a row per system, in the file and on the terminal
    table = [line for line in stdout.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(SYSTEMS) and table[0].split("|")[1].strip() == "system"
    assert "\n".join(table) in (out / "report.md").read_text()
    for chart in ("report.png", "bleu-per-document.png", "reliability.png"):
        assert (out / chart).read_bytes()[:8] == PNG_MAGIC


def test_eval_reports_the_models_calibration_error_on_the_windows(toy_eval):
    out, _ = toy_eval
    report = json.loads((out / "report.json").read_text())
    assert "confidence" not in report["systems"]["lexicon"]
    confidence = report["systems"]["model"]["confidence"]
    stems = sum(len(line.split()) for line in read_lines(out / "model" / "windows" / "sources.txt"))
    for head in ("gap", "word"):
        result = confidence[head]
        table = result["table"]
        assert result["bins"] == len(table) == 10 and 0 < result["count"] <= stems
        assert sum(row["count"] for row in table) == result["count"]
        assert result["ece"] == pytest.approx(sum(row["count"] / result["count"]
                                                  * abs(row["accuracy"] - row["confidence"])
                                                  for row in table if row["count"]))
    assert f"of p_gap {confidence['gap']['ece']:.3f}" in (out / "report.md").read_text()


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("level", ["", "windows"])
def test_harness_scores_equal_sacrebleu_cli_on_written_files(toy_eval, system, level):
    out, _ = toy_eval
    folder = out / system / level
    command = [sys.executable, "-m", "sacrebleu", str(folder / "references.txt"), "-i", str(folder / "hypotheses.txt"),
               "-m", "bleu", "chrf", "--chrf-word-order", "2", "-w", "4", "-f", "text"]
    lines = subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()
    # "BLEU|<signature> = 10.7909 ..." and "chrF2++|<signature> = 48.9190"
    cli = {line.split("|", 1)[0].strip(): line.split("|", 1)[1].split(" = ", 1) for line in lines}
    report = json.loads((out / "report.json").read_text())
    scores = report["systems"][system][level or "documents"]["scores"]
    for name, cli_name in (("bleu", "BLEU"), ("chrf++", "chrF2++")):
        signature, value = cli[cli_name]
        assert signature == report["signatures"][name]
        assert scores[name] == pytest.approx(float(value.split()[0]), abs=1e-4)


@pytest.mark.parametrize("limit, documents", [(1, 1), (600, 2), (10**9, 8)])
def test_limit_words_takes_whole_documents_in_order(tmp_path, limit, documents):
    words = [len(d.text.split()) for d in read_documents(str(MINI_CORPUS))]
    assert sum(words[:1]) < 600 <= sum(words[:2])  # the table's middle row is a real boundary
    out = tmp_path / "report"
    assert main(["eval", "--prose", str(MINI_CORPUS), "--systems", "identity", "--limit-words", str(limit),
                 "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["data"]["documents"] == documents
    assert report["data"]["words"] == sum(words[:documents])


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_eval_runs_the_model_in_the_precision_asked_and_says_so(toy_model_dir, tmp_path, precision):
    out = tmp_path / "report"
    assert main(["eval", "--prose", str(MINI_CORPUS), "--systems", "lexicon,model", "--model", str(toy_model_dir),
                 "--limit-words", "1", "--precision", precision, "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["options"]["precision"] == precision
    assert report["systems"]["model"]["speed"]["precision"] == precision
    assert "precision" not in report["systems"]["lexicon"]["speed"]
    assert f"ran on cpu, the model in {precision}." in (out / "report.md").read_text()


def test_public_suite_resolves_its_paths_from_the_repository():
    suite = load_suite("wikitext2-test")
    assert Path(suite.data[0]) == REPO_ROOT / "eval/suites/data/wikitext2-test-detok.txt.gz"
    assert Path(suite.data[0]).is_file()  # the benchmark ships in the repository
    assert Path(suite.out) == REPO_ROOT / "eval/results/wikitext2-test"
    assert suite.systems == SYSTEMS


def test_a_non_editable_install_reads_the_suites_of_the_checkout_it_runs_in(tmp_path, monkeypatch):
    from destem.evaluation import evaluate

    checkout = evaluate.REPO_ROOT
    monkeypatch.setattr(evaluate, "REPO_ROOT", tmp_path / "site-packages")  # the code's folder holds no suites
    monkeypatch.chdir(checkout / "eval")  # anywhere in the checkout
    suite = load_suite("wikitext2-test")
    assert Path(suite.data[0]) == checkout / "eval/suites/data/wikitext2-test-detok.txt.gz"
    assert Path(suite.out) == checkout / "eval/results/wikitext2-test"
    monkeypatch.chdir(tmp_path)  # outside a checkout: one line that says where suites are
    with pytest.raises(InputError, match=r"no suite 'wikitext2-test': suites are a destem checkout's eval/suites"):
        load_suite("wikitext2-test")


def test_suite_file_runs_from_another_directory(tmp_path, monkeypatch):
    suite = tmp_path / "mini.toml"
    suite.write_text('data = ["tests/data/mini_corpus.txt"]\nsystems = ["identity"]\nlimit_words = 1\n')
    monkeypatch.chdir(tmp_path)  # relative paths in the suite are the repository's, not the working directory's
    assert main(["eval", "--suite", str(suite), "--out", "report"]) == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["suite"] == "mini" and report["data"]["documents"] == 1


@pytest.mark.parametrize("argv, message", [
    (["eval", "--prose", "no/such/file.txt", "--systems", "identity", "--out", "{tmp}"], "no such file or folder"),
    (["eval", "--prose", str(MINI_CORPUS), "--model", "{tmp}/nothing", "--out", "{tmp}"], "no model folder"),
    (["eval", "--prose", str(MINI_CORPUS), "--systems", "identity,oracle", "--out", "{tmp}"], "unknown system oracle"),
    (["eval", "--prose", str(MINI_CORPUS), "--systems", "identity", "--limit-words", "0", "--out", "{tmp}"],
     "--limit-words"),
    (["eval", "--prose", str(MINI_CORPUS), "--systems", "identity"], "--out"),
    (["eval", "--suite", "no-such-suite", "--out", "{tmp}"], "no suite 'no-such-suite'"),
    (["bench", "--model", "{tmp}/nothing", "--text", str(MINI_CORPUS), "--sizes", "10", "--device", "cpu"],
     "no model folder"),
    (["bench", "--text", str(MINI_CORPUS), "--sizes", "ten", "--device", "cpu"], "--sizes ten"),
    (["bench", "--text", str(MINI_CORPUS), "--device", "tpu"], "--device tpu"),
])
def test_bad_input_gives_exit_code_2_and_one_line(tmp_path, capsys, argv, message):
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("destem: error: ") and message in err, err


def test_bench_table_and_json(toy_model_dir, tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--model", str(toy_model_dir), "--text", str(MINI_CORPUS), "--sizes", "300,1000",
                 "--batch-tokens", "512,4096", "--device", "cpu", "--startup-runs", "0", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert "startup" not in result
    runs = [(r["device"], r["batch_tokens"], r["stems"]) for r in result["runs"]]
    assert runs == [("cpu", b, s) for b in (512, 4096) for s in (300, 1000)]
    assert all(r["stems_per_s"] > 0 and r["peak_rss_mib"] > 0 and r["cpu_seconds"] > 0 for r in result["runs"])
    assert result["model"]["id"].startswith("sha256:") and result["machine"]["cpu"]
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 4 and "CPU seconds" in table[0]


def test_bench_startup_rows_time_fresh_processes(toy_model_dir, tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--model", str(toy_model_dir), "--text", str(MINI_CORPUS), "--sizes", "100",
                 "--batch-tokens", "4096", "--device", "cpu", "--startup-runs", "1", "--startup-stems", "300",
                 "--out", str(out)]) == 0
    startup = json.loads(out.read_text())["startup"]
    assert startup["runs"] == 1 and startup["file_stems"] == 300
    assert min(startup["import_floor_s"], startup["torch_import_s"], startup["one_line_restore_s"]) > 0
    assert startup["one_line_over_floor"] == pytest.approx(startup["one_line_restore_s"] / startup["import_floor_s"])
    assert startup["file_stems_per_s"] == pytest.approx(300 / startup["file_restore_s"])
    assert "one-line restore, whole command" in capsys.readouterr().out


@pytest.mark.parametrize("stems", [1, 300, 7000])  # 7000 is more than the corpus has: it repeats
def test_bench_inputs_have_exactly_the_size(stems):
    from destem.evaluation.bench import bench_documents

    documents = bench_documents([str(MINI_CORPUS)], stems)
    assert sum(len(d.split()) for d in documents) == stems
    first = stem_text(next(read_documents(str(MINI_CORPUS))).text).split()
    assert documents[0].split() == first[:stems]


def test_bench_runs_each_precision_asked(toy_model_dir, tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--model", str(toy_model_dir), "--text", str(MINI_CORPUS), "--sizes", "200",
                 "--batch-tokens", "4096", "--device", "cpu", "--precision", "fp32,bf16,int8", "--startup-runs", "0",
                 "--out", str(out)]) == 0
    assert [r["precision"] for r in json.loads(out.read_text())["runs"]] == ["fp32", "bf16", "int8"]
    capsys.readouterr()
    assert main(["bench", "--model", str(toy_model_dir), "--precision", "fp16", "--startup-runs", "0"]) == 2
    assert "--precision fp16: give a comma list of auto, bf16, fp32, int8" in capsys.readouterr().err
