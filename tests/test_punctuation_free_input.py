"""Stemmed text without punctuation: the tutorial line (`word_tokenize`, keep `w.isalpha()`, stopwords,
Porter) and the letters-only recipe (lowercase, runs of a-z, words under 3 letters dropped, stopwords,
Porter). `destem stem --pipeline` makes them, pairs teach a model to restore them (punctuation in the
gaps), and restore detects them and checks the round trip under their own pipeline."""
from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
import torch
from nltk.stem.porter import PorterStemmer

from destem.cli import main
from destem.restore.constraints import is_allowed_form, kept_stopword_forms
from destem.restore.restorer import Restorer
from destem.restore.two_pass import TwoPassRestorer
from destem.text.align import align_document, restorable_in_gap
from destem.text.detect import detect_documents
from destem.text.documents import Document
from destem.text.forward import (
    DEFAULT_PIPELINE,
    PIPELINES,
    STOPWORDS,
    pipeline_flags,
    pipeline_named,
    restorable_input,
    tokenize,
)
from destem.text.pairs import PairConfig, build_pairs, document_windows, input_pipeline_of, parse_inputs
from destem.text.textio import InputError

ROOT = Path(__file__).resolve().parents[1]
MINI_CORPUS = ROOT / "tests" / "data" / "mini_corpus.txt"
PROSE = [line for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
ISALPHA, LETTERS = PIPELINES["isalpha"], PIPELINES["letters"]
PORTER = PorterStemmer()
from conftest import MIX


def isalpha_by_hand(text: str) -> str:
    return " ".join(PORTER.stem(w) for w in tokenize(text) if w.isalpha() and w.lower() not in STOPWORDS)


def letters_by_hand(text: str) -> str:
    words = re.sub("[^a-z]", " ", text.lower()).split()
    return " ".join(PORTER.stem(w) for w in words if len(w) >= 3 and w not in STOPWORDS)


@pytest.mark.parametrize(("name", "by_hand"), [("isalpha", isalpha_by_hand), ("letters", letters_by_hand)])
def test_stem_pipeline_is_the_recipe_people_use(name, by_hand, tmp_path, capsys):
    source = tmp_path / "prose.txt"
    source.write_text("\n".join(PROSE[:10]) + "\n", encoding="utf-8")
    assert main(["stem", "--pipeline", name, str(source)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [by_hand(p) for p in PROSE[:10]]
    assert not any(ch in line for line in lines for ch in ",.()0123456789")


@pytest.mark.parametrize(("keep", "name"), [("all", "destem"), ("isalpha", "isalpha"), ("letters-3", "letters")])
def test_alignment_gives_the_pipelines_stems_and_restorable_gaps(keep, name):
    for text in PROSE:
        aligned = align_document(text, keep)
        assert aligned.stems == PIPELINES[name].stem_text(text).split()
        if keep != "all":
            assert all(restorable_in_gap(t) for gap in [*aligned.gaps, aligned.tail] for t in gap)


def test_gaps_hold_punctuation_and_clitics_not_numbers():
    text = "In 1990, he cannot go! Trotsky's idea didn't work (well-known)."
    isalpha = align_document(text, "isalpha")
    assert isalpha.words == ["go", "Trotsky", "idea", "work"]
    assert isalpha.gaps == [["In", ",", "he", "can", "not"], ["!"], ["'s"], ["did", "n't"]]
    assert isalpha.tail == ["(", ")", "."]  # "well-known" is not alphabetic: dropped, and not put back
    letters = align_document(text, "letters-3")
    # the letters-only recipe reads "cannot" as one word and "well-known" as two; "go" is too short, and lost
    assert letters.words == ["cannot", "Trotsky", "idea", "work", "well", "known"]
    assert letters.gaps == [["In", ",", "he"], ["!"], ["'s"], ["did", "n't"], ["("], []]


def test_inputs_are_drawn_per_document_by_share():
    config = PairConfig(inputs=MIX)
    drawn = [input_pipeline_of(f"doc {i}", config) for i in range(3000)]
    assert {name: drawn.count(name) for name in ("destem", "isalpha", "letters")} == pytest.approx(
        {"destem": 1020, "isalpha": 990, "letters": 990}, abs=90)
    assert input_pipeline_of("doc 1", config) == input_pipeline_of("doc 1", config)
    with pytest.raises(ValueError, match="pairs are made by"):
        parse_inputs("destem:0.5,snowball:0.5")  # Snowball stems are read as Porter's: no pairs of their own
    with pytest.raises(ValueError, match="not a number"):
        parse_inputs("isalpha:half")


def test_windows_of_each_input_stem_back_under_it():
    config = PairConfig(max_stems=24, inputs=MIX)
    seen = set()
    for i, text in enumerate(PROSE[:30]):
        for record in document_windows(Document(f"paragraph {i}", text), config):
            seen.add(record["input"])
            if record["verified"]:
                assert PIPELINES[record["input"]].stem_text(record["target"]) == record["source"]
    assert seen == {"destem", "isalpha", "letters"}


def test_training_scores_each_validation_window_as_the_input_that_made_it():
    from destem.training.train import windows_by_input

    names = ["destem", "isalpha", "letters"]
    records = [{"target": p, "source": PIPELINES[name].stem_text(p)} for p in PROSE[:4] for name in names]
    records.append({"target": PROSE[4], "source": "stems of other text"})  # a window that does not verify
    group_of = {i: name for name, indices in windows_by_input(records, names).items() for i in indices}
    assert [group_of[i] for i in (0, 3, 6, 9, 12)] == ["destem"] * 5 and [group_of[i] for i in (1, 4, 7, 10)] == [
        "isalpha"] * 4
    # a letters-only window that drops no short word reads the same as the isalpha line: either may take it
    assert all(PIPELINES[group_of[i]].stem_text(records[i]["target"]) == records[i]["source"] for i in (2, 5, 8, 11))
    assert "letters" in {group_of[i] for i in (2, 5, 8, 11)}


@pytest.mark.parametrize("keep, ceiling", [
    ("all", "Comet Tempel was discovered in 1852, by the well-known astronomer. It is not bright."),
    ("isalpha", "Comet Tempel was discovered in, by the astronomer. It is not bright."),  # no number, no hyphen
    ("letters-3", "Comet Tempel was discovered in, by the well known astronomer. It is not bright."),
])
def test_the_ceiling_keeps_what_a_pipeline_leaves_restorable(keep, ceiling):
    from destem.lab.pipelines_bar import ceiling_text

    paragraph = "Comet Tempel was discovered in 1852, by the well-known astronomer. It is not bright."
    assert ceiling_text(paragraph, keep) == ceiling


def test_the_ceiling_of_a_label_set_puts_back_only_the_gaps_it_names():
    from destem.lab.pipelines_bar import ceiling_text

    paragraph = "Comet Tempel was discovered in 1852, by the well-known astronomer. It is not bright."
    labels = {"was", ". it is not", "."}  # lowercase, as the model's gap labels are
    assert ceiling_text(paragraph, "isalpha", labels) == "Comet Tempel was discovered astronomer. It is not bright."
    assert ceiling_text(paragraph, "isalpha", labels | {"in , by the"}) == ceiling_text(paragraph, "isalpha")


def test_forms_must_survive_the_inputs_filter():
    assert is_allowed_form("well-known", "well-known", DEFAULT_PIPELINE)
    assert not is_allowed_form("well-known", "well-known", ISALPHA)
    assert is_allowed_form("trotski", "Trotsky", ISALPHA) and is_allowed_form("trotski", "Trotsky", LETTERS)
    assert not is_allowed_form("caf", "café", LETTERS)  # "é" splits the letters-only recipe's word


def test_a_model_restores_only_the_inputs_it_was_trained_on(mixed_model_dir, toy_model_dir):
    assert Restorer.from_pretrained(str(mixed_model_dir), device="cpu").model.config.inputs == [
        "destem", "isalpha", "letters"]
    assert restorable_input(ISALPHA, DEFAULT_PIPELINE, ("destem", "isalpha"))
    assert not restorable_input(LETTERS, DEFAULT_PIPELINE, ("destem", "isalpha"))
    toy = Restorer.from_pretrained(str(toy_model_dir), device="cpu")
    with pytest.raises(ValueError, match="only alphabetic tokens"):
        toy.restore_documents(["trotski idea"], pipeline=ISALPHA)


@pytest.mark.parametrize("name", ["isalpha", "letters"])
def test_restorations_stem_back_under_the_inputs_pipeline(mixed_model_dir, name):
    restorer = Restorer.from_pretrained(str(mixed_model_dir), device="cpu", precision="fp32")
    stems = [PIPELINES[name].stem_text(p) for p in PROSE[:25]]
    restorations = restorer.restore_documents(stems, pipeline=PIPELINES[name])
    assert all(r.roundtrip_ok for r in restorations)
    assert [PIPELINES[name].stem_text(r.text) for r in restorations] == stems


def test_detect_names_the_pipeline_restore_handles():
    text = " ".join(PROSE)
    found = detect_documents([ISALPHA.stem_text(text)])
    assert found.dropped() == ["punctuation", "numbers"]
    assert found.restorable_as(DEFAULT_PIPELINE, ("destem", "isalpha", "letters")) == "isalpha"
    assert found.restorable_as(DEFAULT_PIPELINE) is None  # a model trained on destem's pipeline alone
    # that no 1-2-letter word is left takes 3,000 tokens or more to tell; fewer read as the isalpha line
    assert detect_documents([LETTERS.stem_text(text)]).short_words == "unknown"
    letters = detect_documents([LETTERS.stem_text(text)] * 2)
    assert letters.restorable_as(DEFAULT_PIPELINE, ("destem", "isalpha", "letters")) == "letters"


def test_a_few_lines_without_punctuation_or_digits_read_as_the_isalpha_line():
    """Under 1,000 tokens without a digit cannot show that numbers were dropped; read as kept, the input
    would go to the model as its own, which must then write no punctuation at all."""
    found = detect_documents([ISALPHA.stem_text(p) for p in PROSE[:8]])
    assert (found.punctuation, found.numbers) == ("dropped", "unknown")  # reported as it is seen
    assert found.restorable_as(DEFAULT_PIPELINE, ("destem", "isalpha", "letters")) == "isalpha"
    with_digits = detect_documents([ISALPHA.stem_text(p) + " 1852" for p in PROSE[:8]])
    assert with_digits.restorable_as(DEFAULT_PIPELINE, ("destem", "isalpha", "letters")) is None


def test_input_of_another_pipeline_decodes_with_its_own_settings(mixed_model_dir):
    restorer = Restorer.from_pretrained(str(mixed_model_dir), device="cpu")
    own, isalpha = [DEFAULT_PIPELINE.stem_text(p) for p in PROSE[:6]], [ISALPHA.stem_text(p) for p in PROSE[:6]]
    before_own, before = restorer.restore(own), restorer.restore(isalpha, pipeline=ISALPHA)
    words = {}
    for bias in (-50.0, 50.0):  # every gap filled, or none
        restorer.model.config.decoding_by_input = {"isalpha": {"empty_gap_bias": bias}}
        assert restorer.decoding(ISALPHA).empty_gap_bias == bias
        assert restorer.decoding(ISALPHA).lm_weight == restorer.model.config.lm_weight  # not given: the model's
        restored = restorer.restore(isalpha, pipeline=ISALPHA)
        assert [ISALPHA.stem_text(text) for text in restored] == isalpha
        words[bias] = sum(len(text.split()) for text in restored)
        assert restorer.restore(own) == before_own  # destem's own input keeps the model's settings
    assert words[-50.0] > sum(len(text.split()) for text in before) > words[50.0]


def test_input_with_its_punctuation_gets_none_in_the_gaps(mixed_model_dir):
    # a model trained on punctuation-free input too has gaps of punctuation (", the", "."); input that kept its
    # punctuation never dropped any, so none is written into it, even after a last stem with none
    restorer = Restorer.from_pretrained(str(mixed_model_dir), device="cpu", precision="fp32")
    punctuated = {i for i, gap in enumerate(restorer.gap_labels) if re.search(r"[^\w¶#]", "".join(gap))}
    assert set(restorer.punctuated_gaps.tolist()) == punctuated and punctuated
    windows = [DEFAULT_PIPELINE.stem_text(p).removesuffix(" .").split() for p in PROSE[:6]]
    gaps = {own: {g for p in restorer._tag_windows(windows, 4096, None, 0.0, own) for top in p.top_gaps for g in top}
            for own in (True, False)}
    assert gaps[False] & punctuated and not gaps[True] & punctuated
    restored = restorer.restore_documents([" ".join(w) for w in windows])
    assert all(r.roundtrip_ok and r.text[-1].isalnum() for r in restored)


def test_calibrate_tunes_and_writes_the_settings_of_one_input(mixed_model_dir, toy_model_dir, tmp_path, capsys):
    import json
    import shutil

    model = tmp_path / "model"
    shutil.copytree(mixed_model_dir, model)
    pairs = tmp_path / "pairs"
    build_pairs([str(MINI_CORPUS)], str(pairs), PairConfig(max_stems=48, valid_fraction=0.2, seed=1), num_proc=1)
    top_level = {k: v for k, v in json.loads((model / "config.json").read_text()).items() if k != "decoding_by_input"}
    assert main(["calibrate", "--model", str(model), "--pairs", str(pairs), "--windows", "6", "--input", "isalpha",
                 "--biases=-2,0", "--device", "cpu", "--write"]) == 0
    rows = [list(map(float, line.split())) for line in capsys.readouterr().out.splitlines()[1:3]]
    best = max(rows, key=lambda row: row[3])
    config = json.loads((model / "config.json").read_text())
    assert config["decoding_by_input"]["isalpha"]["empty_gap_bias"] == best[0] in (-2, 0)
    assert {k: v for k, v in config.items() if k != "decoding_by_input"} == top_level
    assert main(["calibrate", "--model", str(toy_model_dir), "--pairs", str(pairs), "--input", "isalpha"]) == 2
    assert "was not trained on isalpha input (its inputs: destem)" in capsys.readouterr().err


def test_restore_detects_isalpha_input_and_says_so(mixed_model_dir, tmp_path, capsys):
    source = tmp_path / "in.stem.txt"
    source.write_text("\n".join(ISALPHA.stem_text(p) for p in PROSE) + "\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    assert main(["restore", "--model", str(mixed_model_dir), str(source), "-o", str(out), "--strict"]) == 0
    err = capsys.readouterr().err
    assert "(--pipeline isalpha)" in err and "numbers were dropped" in err
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [ISALPHA.stem_text(line) for line in lines] == [ISALPHA.stem_text(p) for p in PROSE]


def test_fine_tuning_adds_the_gaps_the_base_model_lacks(toy_model_dir):
    from destem.model.tagger import Tagger
    from destem.training.train import NEW_GAP_BIAS, with_gap_labels

    model = Tagger.from_pretrained(str(toy_model_dir))
    old = list(model.config.gap_labels)
    base = old.index("the")
    hidden = torch.randn(3, model.config.hidden_size)
    before = model.gap_head(hidden)
    grown = with_gap_labels(model, [*old, ", the", ". ¶ the"])
    after = grown.gap_head(hidden)
    assert grown.config.gap_labels[-2:] == [", the", ". ¶ the"] and after.shape[-1] == len(old) + 2
    assert torch.equal(after[:, : len(old)], before)
    assert torch.allclose(after[:, len(old)], before[:, base] + NEW_GAP_BIAS)


# ---------------------------------------------------------------- stopword lists that keep some of NLTK's words

KEEPS_AND_NOT = pipeline_named("destem+and,not,was")


def test_a_list_that_keeps_stopwords_stems_them_and_names_them():
    assert KEEPS_AND_NOT.stem_text("The cat was not fed and slept.") == "cat wa not fed and slept ."
    assert "but and, not, was" in KEEPS_AND_NOT.describe()
    assert pipeline_flags("letters+and,not") == "--pipeline letters --kept-stopwords and,not"
    with pytest.raises(InputError, match="not stopwords"):
        pipeline_named("destem+cat")
    assert kept_stopword_forms(pipeline_named("destem+do,doing,does,was")) == {"do": "do", "doe": "does", "wa": "was"}


def test_kept_stopwords_come_back_as_themselves_and_stem_back(default_model_dir):
    restorer = Restorer.from_pretrained(str(default_model_dir), device="cpu", precision="fp32")
    stems = [KEEPS_AND_NOT.stem_text(p) for p in PROSE[:12]]
    restorations = restorer.restore_documents(stems, pipeline=KEEPS_AND_NOT)
    assert all(r.roundtrip_ok for r in restorations)
    assert [KEEPS_AND_NOT.stem_text(r.text) for r in restorations] == stems
    words = [w.strip(".,;:()\"'").lower() for r in restorations for w in r.text.split()]
    stem_words = [s for line in stems for s in line.split()]
    # each kept stopword's stem comes back as that word, as often as the input has it, never as "Andes" or "nots"
    for stem, word in (("and", "and"), ("not", "not"), ("wa", "was")):
        assert words.count(word) == stem_words.count(stem) > 0
    # the same input read as destem's own pipeline does not stem back under the list that made it
    plain = restorer.restore(stems)
    assert sum(KEEPS_AND_NOT.stem_text(t) != s for t, s in zip(plain, stems)) > 0


def test_restore_takes_kept_stopwords_from_the_command_line(default_model_dir, tmp_path, capsys):
    source = tmp_path / "in.stem.txt"
    source.write_text("\n".join(KEEPS_AND_NOT.stem_text(p) for p in PROSE[:5]) + "\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    assert main(["restore", str(source), "-o", str(out), "--pipeline", "destem", "--kept-stopwords", "and,not,was",
                 "--strict"]) == 0
    assert main(["check", str(source), str(out), "--pipeline", "destem", "--kept-stopwords", "and,not,was"]) == 0
    assert main(["restore", str(source), "-o", str(tmp_path / "x.txt"), "--kept-stopwords", "and"]) == 2
    assert "--kept-stopwords needs --pipeline NAME" in capsys.readouterr().err


# ---------------------------------------------------------------- a real pre-stemmed corpus: R8 (Reuters-21578)

R8_STEMS = ROOT / "eval" / "suites" / "data" / "r8" / "r8-test-150.stem.txt.gz"  # its README gives the licence
LETTERS_MODEL_INPUTS = ("destem", "isalpha", "letters")


def r8_documents(count: int) -> list[str]:
    with gzip.open(R8_STEMS, "rt", encoding="utf-8") as f:
        return f.read().splitlines()[:count]


def test_detect_reads_the_r8_distributions_pipeline():
    """Letters only, short words dropped, Martin's Porter, and a list (most of SMART's) that keeps some of
    NLTK's most frequent stopwords: named so, with the words it kept (eval/suites/data/r8/README.md)."""
    found = detect_documents(r8_documents(150))
    assert found.stemmer == "porter-martin" and found.dropped() == ["punctuation", "numbers", "short words"]
    assert found.stopwords == "unknown" and found.nearest_stopwords == "nltk-179"
    assert {"and", "for", "that", "not", "will", "had"} <= set(found.stopwords_kept)
    assert not {"the", "was", "own"} & set(found.stopwords_kept)  # "own" is left by "owned", "owner"
    name = found.restorable_as(DEFAULT_PIPELINE, LETTERS_MODEL_INPUTS)
    assert name.startswith("letters:porter-martin+") and pipeline_named(name).kept_stopwords == set(
        found.stopwords_kept)
    assert found.restorable_as(DEFAULT_PIPELINE) is None  # a model not trained on letters-only input


def test_restore_reads_r8_documents_without_flags(mixed_model_dir, tmp_path, capsys):
    documents = r8_documents(60)  # 5,900 tokens: enough to tell that short words were dropped
    source = tmp_path / "r8.stem.txt"
    source.write_text("\n".join(documents) + "\n", encoding="utf-8")
    out = tmp_path / "r8.txt"
    assert main(["restore", "--model", str(mixed_model_dir), str(source), "-o", str(out)]) in (0, 1)
    err = capsys.readouterr().err
    flags = re.search(r"\((--pipeline letters --stemmer porter-martin --kept-stopwords [a-z,]+)\)", err)
    assert flags, err
    pipeline = pipeline_named("letters:porter-martin+" + flags.group(1).rsplit(" ", 1)[1])
    restored = out.read_text(encoding="utf-8").splitlines()
    assert len(restored) == len(documents)
    stems_back = [pipeline.stem_text(line) for line in restored]
    # a toy model knows few of Reuters' words, so some documents do not stem back: the summary counts them
    failures = int(re.search(r"round-trip failures: (\d+)", err).group(1))
    assert failures == sum(s != d for s, d in zip(stems_back, documents)) < len(documents) // 2
    assert re.search(r"[.,]", " ".join(restored))  # punctuation comes back
    for line, stems in zip(restored, documents):  # the kept stopwords as themselves, never re-inflected
        words = re.findall(r"[a-z]+", line.lower())
        assert words.count("and") == stems.split().count("and") and "andes" not in words


def test_a_model_not_trained_on_the_input_names_the_installed_one_that_is(mixed_model_dir, toy_model_dir,
                                                                           tmp_path, capsys, monkeypatch):
    from destem.model import locate

    source = tmp_path / "in.stem.txt"
    source.write_text("\n".join(ISALPHA.stem_text(p) for p in PROSE) + "\n", encoding="utf-8")
    monkeypatch.setattr(locate, "installed_model", lambda name: str(mixed_model_dir) if name == "general" else None)
    assert main(["restore", "--model", str(toy_model_dir), str(source), "-o", str(tmp_path / "a.txt")]) in (0, 1)
    assert ("the installed model 'general' was trained on such input: with --model general it is restored as "
            "--pipeline isalpha") in capsys.readouterr().err
    assert main(["restore", "--model", str(mixed_model_dir), str(source), "-o", str(tmp_path / "b.txt")]) == 0
    assert "installed model" not in capsys.readouterr().err  # the model in use is that one


@pytest.fixture
def installed_default_and_general(mixed_model_dir, toy_model_dir, monkeypatch):
    """The toy model installed as the default and the mixed one as the general model; no model asked for."""
    from destem.model import locate

    monkeypatch.setattr(locate, "installed_model", {"default": str(toy_model_dir), "general": str(mixed_model_dir)}.get)
    monkeypatch.delenv("DESTEM_MODEL", raising=False)


@pytest.mark.parametrize("workers", [1, 2])
def test_with_no_model_asked_for_input_the_default_is_not_trained_on_goes_to_the_general_model(
        installed_default_and_general, mixed_model_dir, tmp_path, capsys, workers):
    isalpha, own = tmp_path / "isalpha.stem.txt", tmp_path / "own.stem.txt"
    isalpha.write_text("\n".join(ISALPHA.stem_text(p) for p in PROSE) + "\n", encoding="utf-8")
    own.write_text("\n".join(DEFAULT_PIPELINE.stem_text(p) for p in PROSE[:12]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["restore", "--workers", str(workers), str(isalpha), str(own), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert re.search(r"isalpha\.stem\.txt: input made with .*the default model is not trained on it: restored "
                     r"with the installed model 'general', which is, and round-trip checked as such "
                     r"\(--pipeline isalpha\)", err)
    assert "own.stem.txt" not in err  # the default's own input: the default, and nothing to say
    assert main(["detect", str(isalpha)]) == 0
    said = capsys.readouterr().out
    assert "restore takes it to the installed model 'general' (--pipeline isalpha)" in said
    assert "restoring: no punctuation in the input: punctuation and sentence breaks are the model's guesses" in said
    by_general = Restorer.from_pretrained(str(mixed_model_dir), device="cpu").restore_documents(
        isalpha.read_text(encoding="utf-8").splitlines(), pipeline=ISALPHA)
    assert (out / "isalpha.stem.txt").read_text(encoding="utf-8").splitlines() == [r.text for r in by_general]
    assert re.search(r"[.,]", (out / "isalpha.stem.txt").read_text(encoding="utf-8"))  # punctuation comes back
    assert len((out / "own.stem.txt").read_text(encoding="utf-8").splitlines()) == 12


def test_ray_actors_restore_each_group_with_its_own_model(mixed_model_dir, toy_model_dir):
    from destem.restore.ray_engine import RestoreGroups

    isalpha, own = [ISALPHA.stem_text(p) for p in PROSE[:3]], [DEFAULT_PIPELINE.stem_text(p) for p in PROSE[:3]]
    actor = RestoreGroups(model_dir=str(toy_model_dir), device="cpu")  # as --engine ray makes them, without Ray
    rows = actor({"documents": [isalpha, own, isalpha], "pipeline": ["isalpha", "destem", "isalpha"],
                  "model": [str(mixed_model_dir), "", str(mixed_model_dir)],
                  "second_pass_model": ["", "", str(toy_model_dir)]})  # the last: in two passes
    general, toy = (Restorer.from_pretrained(str(folder), device="cpu") for folder in (mixed_model_dir, toy_model_dir))
    by_general, by_toy = general.restore_documents(isalpha, pipeline=ISALPHA), toy.restore_documents(own)
    in_two_passes = TwoPassRestorer(general, toy).restore_documents(isalpha, pipeline=ISALPHA)
    assert list(rows["text"]) == [r.text for r in by_general + by_toy + in_two_passes]


def test_a_pipeline_named_for_a_model_not_trained_on_it_goes_to_the_general_model_or_is_one_line(
        installed_default_and_general, toy_model_dir, tmp_path, capsys):
    source = tmp_path / "in.stem.txt"
    source.write_text("\n".join(ISALPHA.stem_text(p) for p in PROSE[:6]) + "\n", encoding="utf-8")
    assert main(["restore", "--pipeline", "isalpha", str(source), "-o", str(tmp_path / "a.txt")]) == 0
    assert "the default model is not trained on --pipeline isalpha input: restored with the installed model " \
           "'general'" in capsys.readouterr().err
    assert re.search(r"[.,]", (tmp_path / "a.txt").read_text(encoding="utf-8"))
    assert main(["restore", "--model", str(toy_model_dir), "--pipeline", "isalpha", str(source), "-o",
                 str(tmp_path / "b.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("destem: error: --pipeline isalpha: the model was not trained on such input (its inputs: "
                          "destem); the 'general' model is: --model general") and err.count("\n") == 1
    assert not (tmp_path / "b.txt").exists()


def test_a_model_asked_for_is_the_model_used(installed_default_and_general, toy_model_dir, tmp_path, capsys):
    source = tmp_path / "in.stem.txt"
    source.write_text("\n".join(ISALPHA.stem_text(p) for p in PROSE) + "\n", encoding="utf-8")
    assert main(["restore", "--model", "default", str(source), "-o", str(tmp_path / "a.txt")]) in (0, 1)
    err = capsys.readouterr().err
    assert "restoring anyway" in err and "with --model general it is restored as --pipeline isalpha" in err


def test_a_model_not_trained_on_letters_only_input_still_honours_its_stemmer_and_kept_words(toy_model_dir, tmp_path,
                                                                                              capsys):
    documents = r8_documents(60)
    source = tmp_path / "r8.stem.txt"
    source.write_text("\n".join(documents) + "\n", encoding="utf-8")
    out = tmp_path / "r8.txt"
    assert main(["restore", "--model", str(toy_model_dir), str(source), "-o", str(out)]) in (0, 1)
    err = capsys.readouterr().err
    assert "restoring anyway as --pipeline destem --stemmer porter-martin --kept-stopwords and," in err
    assert "those words are restored as themselves" in err
    for line, stems in zip(out.read_text(encoding="utf-8").splitlines(), documents, strict=True):
        words = re.findall(r"[a-z]+", line.lower())
        assert words.count("and") == stems.split().count("and") and "andes" not in words


def test_a_long_document_is_restored_in_pieces_by_both_passes_and_stems_back(mixed_model_dir, toy_model_dir):
    from destem.restore.batch import restore_group

    general, toy = (Restorer.from_pretrained(str(folder), device="cpu") for folder in (mixed_model_dir, toy_model_dir))
    document = " ".join(ISALPHA.stem_text(p) for p in PROSE[:8])
    stems = document.split()
    [restored] = restore_group(TwoPassRestorer(general, toy), [document], group_stems=40, pipeline=ISALPHA)
    assert len(stems) > 40 and restored.stats.stems == len(stems)
    assert restored.roundtrip_ok and ISALPHA.stem_text(restored.text).split() == stems
    first = general.restore_long_document(stems, 40, pipeline=ISALPHA)
    assert restored.text != first.text  # the second pass's text, not the first's
