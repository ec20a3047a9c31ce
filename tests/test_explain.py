"""Confidence per choice (`restore --explain`, `--mark-below`, `--html`, `calibrate --confidence`):
the local scores agree with whole-path scores, the calibration maths has golden values, the
explanations describe exactly the text plain restore writes, and the page holds every word
(checked in headless Chromium where it is installed)."""
from __future__ import annotations

import html.parser
import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_restore_cli import restore as run
from test_restore_cli import write_lines

from destem.cli import main
from destem.restore.confidence import (
    HeadCalibration,
    expected_calibration_error,
    fit_head,
    local_scores,
    reliability_table,
)
from destem.restore.joint_decode import StemOptions
from destem.restore.ngram import BOS, NgramLM
from destem.restore.restorer import Restorer
from destem.text.detok import detokenize
from destem.text.forward import stem_text

MINI_CORPUS = Path(__file__).parent / "data" / "mini_corpus.txt"
PARAGRAPHS = [line.strip() for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
STEMS = [stem_text(p) for p in PARAGRAPHS[:6]]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


# ---------------------------------------------------------------- the maths

@pytest.mark.parametrize("calibration, scores, expected", [
    (HeadCalibration(), [0.0, 0.0], [0.5, 0.5]),
    (HeadCalibration(), [0.0, -math.log(3)], [0.75, 0.25]),
    (HeadCalibration(temperature=2.0), [0.0, -2 * math.log(3)], [0.75, 0.25]),  # T flattens: 3^(2/2)
    (HeadCalibration(other=0.0), [0.0], [0.5]),  # "none of these" as likely as the one option
    (HeadCalibration(other=math.log(0.5)), [0.0, 0.0], [0.4, 0.4]),
    (HeadCalibration(), [5.0, -np.inf], [1.0, 0.0]),  # padding takes no mass
])
def test_head_probabilities(calibration, scores, expected):
    assert calibration.probabilities(np.array([scores]))[0] == pytest.approx(expected)


@pytest.mark.parametrize("confidences, correct, ece", [
    ([0.95, 0.95, 0.95, 0.95], [1, 1, 1, 0], 0.20),  # one bin: |0.75 - 0.95|
    ([0.25, 0.25, 0.75, 0.75], [0, 1, 1, 0], 0.25),  # two bins, each |0.5 - p|
    ([0.3, 0.3, 0.3, 0.9], [0, 1, 0, 1], 0.75 * (1 / 3 - 0.3) + 0.25 * 0.1),
    ([1.0, 0.0], [1, 0], 0.0),  # 1.0 falls in the last bin, 0.0 in the first
])
def test_expected_calibration_error_golden_values(confidences, correct, ece):
    assert expected_calibration_error(np.array(confidences), np.array(correct, dtype=bool)) == pytest.approx(ece)


def test_reliability_table_counts_every_prediction_once():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 1000)
    table = reliability_table(p, rng.uniform(0, 1, 1000) < p)
    assert [row["low"] for row in table] == pytest.approx([k / 10 for k in range(10)])
    assert sum(row["count"] for row in table) == 1000
    assert all(row["low"] <= row["confidence"] < row["high"] for row in table if row["count"])


def test_fit_head_recovers_the_temperature_that_made_the_data():
    rng = np.random.default_rng(1)
    scores = rng.normal(0, 3, (20_000, 4))
    true = HeadCalibration(temperature=2.0).probabilities(scores)
    chosen = scores.argmax(1)
    correct = rng.uniform(size=len(scores)) < true[np.arange(len(scores)), chosen]
    fitted, _ = fit_head(scores, chosen, correct)
    assert 1.7 < fitted.temperature < 2.4
    p = fitted.probabilities(scores)[np.arange(len(scores)), chosen]
    raw = HeadCalibration().probabilities(scores)[np.arange(len(scores)), chosen]
    assert expected_calibration_error(p, correct) < 0.02 < expected_calibration_error(raw, correct)


@pytest.mark.parametrize("order", [3, 4])
def test_local_scores_rank_alternatives_as_whole_paths_do(order):
    """Changing one position's choice changes a whole path's score by exactly its local score's change."""
    text = ["the cat sat on the mat", "a cat sat on a mat", "the dog sat on the cat", "cat and dog"]
    lm = NgramLM.build(lambda: (line.split() for line in text), min_word_count=1, min_ngram_count=1, order=order)
    gap_labels = [[], ["the"], ["a"], ["on", "the"]]
    gap_words = [lm.word_ids(g) for g in gap_labels]
    ids = lm.word_ids
    window = [StemOptions([1, 0, 2], [-0.2, -1.5, -2.0], ids(["cat", "cats"]), [-0.1, -2.5]),
              StemOptions([0, 1], [-0.3, -1.4], ids(["sat", "sit"]), [-0.2, -1.9]),
              StemOptions([3, 0, 1], [-0.5, -1.0, -2.2], ids(["mat"]), [0.0]),
              StemOptions([0, 2], [-0.1, -2.6], [-1], [0.0])]
    choice = [(0, 0), (0, 0), (0, 0), (0, 0)]
    weight, bonus = 0.7, 1.5

    def whole(path):
        tokens, prior = [], 0.0
        for p, (g, w) in zip(window, path):
            prior += p.gap_log_probs[g] + p.word_log_probs[w]
            tokens += gap_words[p.gap_ids[g]] + ([p.word_ids[w]] if p.word_ids[w] >= 0 else [])
        context, lm_score = [BOS] * 3, 0.0
        for token in tokens:
            lm_score += lm.log_probs(*(np.array([c]) for c in context[-3:]), np.array([token]))[0]
            context.append(token)
        return prior + weight * (lm_score + bonus * len(tokens))

    [scores] = local_scores(lm, gap_words, [window], [choice], weight, bonus)
    for i, position in enumerate(scores):
        for kind, local, count in (("gap", position.gap_scores, len(window[i].gap_ids)),
                                   ("word", position.word_scores, len(window[i].word_ids))):
            assert len(local) == count
            paths = [choice[:i] + [((k, choice[i][1]) if kind == "gap" else (choice[i][0], k))] + choice[i + 1:]
                     for k in range(count)]
            assert np.allclose(local - local[0], [whole(p) - whole(paths[0]) for p in paths])
    without_lm = local_scores(None, gap_words, [window], [choice], weight, bonus)[0][2]
    assert without_lm.gap_scores == pytest.approx([-0.5, -1.0, -2.2])


# ---------------------------------------------------------------- Restorer.explain

@pytest.fixture(scope="module", params=["tagger", "tagger+lm"])
def restorer(request, toy_model_dir):
    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    if request.param == "tagger+lm":
        restorer.model.config.lm_weight, restorer.model.config.lm_word_bonus = 0.3, 1.0
    return restorer


def test_explain_describes_the_text_plain_restore_writes(restorer):
    documents = [STEMS[0], "", STEMS[1] + " " + STEMS[2], STEMS[3]]
    explained = restorer.explain(documents)
    assert [e["text"] for e in explained] == restorer.restore(documents)
    for document, record in zip(documents, explained):
        stems = record["stems"]
        assert [s["stem"] for s in stems] == document.split()
        for s in stems:
            for p_key, alternatives_key, written in (("p_gap", "gap_alternatives", s["gap"]),
                                                     ("p_word", "word_alternatives", s["word"].lower())):
                alternatives = dict(s[alternatives_key])
                assert 0.0 <= s[p_key] <= 1.0 and sum(alternatives.values()) <= 1.0 + 1e-3
                assert alternatives[written] == s[p_key]  # the written choice is among the alternatives
                assert list(alternatives.values()) == sorted(alternatives.values(), reverse=True)
        assert stem_text(record["text"]) == document


def test_explained_words_are_the_texts_words_in_order(restorer):
    [restoration] = restorer.restore_documents([STEMS[4]], explain=True)
    explanation = restoration.explanation
    written = [t for t, o in zip(explanation.tokens, explanation.owners) if o is not None]
    assert detokenize(explanation.tokens) == restoration.text  # the tokens are the text's
    assert [s.word for s in explanation.stems] == [t for t, o in zip(explanation.tokens, explanation.owners)
                                                   if o and o[0] == "word"]
    gaps = [t.lower() for t, o in zip(explanation.tokens, explanation.owners) if o and o[0] == "gap"]
    assert gaps == [w for s in explanation.stems for w in s.gap.split()] + explanation.tail_gap.split()
    assert len(written) == len(gaps) + len(explanation.stems)


def test_a_long_document_explained_in_pieces_keeps_every_stem(toy_model_dir):
    restorer = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    stems = " ".join(STEMS).split()
    whole = restorer.restore_long_document(stems, 50, explain=True)
    assert [s.stem for s in whole.explanation.stems] == stems
    assert {o[1] for o in whole.explanation.owners if o and o[0] == "word"} == set(range(len(stems)))


@pytest.mark.parametrize("threshold", [1.0, 0.6])
def test_mark_below_marks_exactly_the_uncertain_choices(restorer, threshold):
    [restoration] = restorer.restore_documents([STEMS[0]], explain=True)
    explanation = restoration.explanation
    marked = detokenize(explanation.marked_tokens(threshold))
    unsure_words = [s for s in explanation.stems if s.p_word < threshold and len(s.word_alternatives) > 1]
    assert marked.count("[") - restoration.text.count("[") >= len(unsure_words)
    for s in unsure_words:
        runner_up = next(w for w, _ in s.word_alternatives if w != s.word.lower())
        assert f"[{s.word}|{runner_up}]" in marked
    assert detokenize(explanation.marked_tokens(1e-9)) == restoration.text  # nothing is that unsure


# ---------------------------------------------------------------- the command line

def test_explain_writes_one_record_per_document_in_order(toy_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.txt", [STEMS[0], "", STEMS[1]])
    code, plain, _ = run(capsys, source, "--model", toy_model_dir)
    code_explain, out, _ = run(capsys, source, "--model", toy_model_dir, "--explain")
    assert code == code_explain == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in records] == plain.splitlines()
    assert records[1]["stems"] == [] and records[1]["text"] == ""
    assert all(r["roundtrip"] for r in records)


def test_explain_with_jsonl_adds_its_fields_beside_the_users(toy_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.jsonl", [json.dumps({"id": i, "stems": s}) for i, s in enumerate(STEMS[:3])])
    code, out, _ = run(capsys, source, "--model", toy_model_dir, "--jsonl", "--text-key", "stems", "--explain")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["id"] for r in records] == [0, 1, 2]
    assert all({"stems", "restored", "tail_gap", "p_tail_gap", "roundtrip"} <= set(r) for r in records)
    assert [s["stem"] for s in records[2]["stems"]] == STEMS[2].split()


def test_explain_into_a_folder_writes_jsonl_names(toy_model_dir, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    write_lines(folder / "a.txt", STEMS[:2])
    code, _, _ = run(capsys, folder, "-o", tmp_path / "out", "--model", toy_model_dir, "--explain")
    assert code == 0 and [p.name for p in (tmp_path / "out").iterdir()] == ["a.jsonl"]


def test_mark_below_and_explain_together_are_refused(toy_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.txt", STEMS[:1])
    code, out, err = run(capsys, source, "--model", toy_model_dir, "--explain", "--mark-below", "0.5")
    assert code == 2 and out == "" and err.strip() == ("destem: error: --mark-below marks the text output; "
                                                      "--explain records the plain text with its probabilities")


@pytest.mark.parametrize("value", ["0", "1.5", "half"])
def test_mark_below_must_be_a_probability(capsys, value):
    with pytest.raises(SystemExit) as exit_:
        main(["restore", f"--mark-below={value}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --mark-below: expected a probability above 0 and at most 1, not {value!r}" in err


def test_html_may_not_overwrite_an_input(toy_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.txt", STEMS[:1])
    code, _, err = run(capsys, source, "--model", toy_model_dir, "--html", source)
    assert code == 2 and "is an input or an output" in err
    assert source.read_text(encoding="utf-8") == STEMS[0] + "\n"


class PageText(html.parser.HTMLParser):
    """The words of a page's articles, its external references, and its title attributes."""

    def __init__(self):
        super().__init__()
        self.text, self.external, self.titles, self.depth = "", [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.depth += tag == "article"
        self.external += [v for k, v in attrs.items() if k in ("src", "href") and v]
        if attrs.get("title"):
            self.titles.append(attrs["title"])

    def handle_endtag(self, tag):
        self.depth -= tag == "article"

    def handle_data(self, data):
        if self.depth:
            self.text += data

    @property
    def words(self) -> list[str]:
        return self.text.split()


def restored_words(text: str) -> list[str]:
    return text.split()


def test_html_page_holds_every_restored_word_and_needs_no_network(toy_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.txt", STEMS[:3])
    page = tmp_path / "page.html"
    code, _, _ = run(capsys, source, "--model", toy_model_dir, "--markdown", "--html", page, "-o", tmp_path / "out.txt")
    assert code == 0
    parser = PageText()
    parser.feed(page.read_text(encoding="utf-8"))
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert parser.words == restored_words(text)
    assert parser.external == []  # no network, no CDN
    assert any(t.startswith(f"stem: {STEMS[0].split()[0]}") for t in parser.titles)


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium)")
def test_html_page_renders_every_word_in_headless_chromium(toy_model_dir, tmp_path, capsys):
    source = write_lines(tmp_path / "in.txt", STEMS[:3])
    page = tmp_path / "page.html"
    assert run(capsys, source, "--model", toy_model_dir, "--markdown", "--html", page,
               "-o", tmp_path / "out.txt")[0] == 0
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    parser = PageText()
    parser.feed(dom)
    assert parser.words == restored_words((tmp_path / "out.txt").read_text(encoding="utf-8"))
    shot = tmp_path / "page.png"
    subprocess.run(flags + ["--window-size=900,700", f"--screenshot={shot}", page.as_uri()], capture_output=True,
                   timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- calibrate --confidence

def test_calibrate_confidence_writes_a_fit_that_loads(toy_model_dir, mini_pairs, tmp_path, capsys):
    model = tmp_path / "model"
    shutil.copytree(toy_model_dir, model)
    code = main(["calibrate", "--model", str(model), "--confidence", "--pairs", str(mini_pairs), "--windows", "200",
                 "--device", "cpu", "--write"])
    out = capsys.readouterr().out
    assert code == 0 and "ECE before" in out
    stored = json.loads((model / "config.json").read_text())["confidence_calibration"]
    assert stored["gap"]["temperature"] > 0 and "held-out articles" in stored["fitted_on"]
    restorer = Restorer.from_pretrained(str(model), device="cpu")
    assert restorer.calibration.gap.temperature == stored["gap"]["temperature"]


def test_calibrate_confidence_without_original_text_is_one_line(toy_model_dir, capsys):
    assert main(["calibrate", "--model", str(toy_model_dir), "--confidence"]) == 2
    assert "needs windows with their original text" in capsys.readouterr().err


@pytest.mark.parametrize("flag", [["--explain"], ["--html", "page.html"], ["--mark-below", "0.5"]])
def test_confidence_outputs_are_refused_with_the_ray_engine(tmp_path, capsys, flag):
    source = write_lines(tmp_path / "in.txt", STEMS[:1])
    assert main(["restore", str(source), "-o", str(tmp_path / "out.txt"), "--engine", "ray", *flag]) == 2
    assert "leave out --engine ray" in capsys.readouterr().err and not (tmp_path / "out.txt").exists()
