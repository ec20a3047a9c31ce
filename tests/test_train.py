"""`destem train`: corpus forms, fine-tuning from a model folder, checkpoints and resume,
two-process data parallelism, and bad corpora refused with one line."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from destem.cli import main
from destem.model.features import load_features
from destem.model.tagger import Tagger
from destem.restore.lexicon import LEXICON_FILE, Lexicon
from destem.restore.restorer import Restorer
from destem.text.check import check_documents
from destem.text.documents import read_documents
from destem.text.forward import stem_text
from destem.text.textio import InputError
from destem.training import train as training
from destem.training.config import load_config, with_budget
from destem.training.corpus_input import corpus_files

ROOT = Path(__file__).resolve().parent.parent
MINI_CORPUS = ROOT / "tests" / "data" / "mini_corpus.txt"

# a small domain the toy model has not seen; "quokkas" and "marsupials" are in no fixture article
DOMAIN_ARTICLES = {
    "Quokka": "The quokka is a small wallaby found on Rottnest Island and Bald Island. Quokkas are marsupials "
              "that rest in burrows during the day and feed at night.\nQuokkas eat grasses, leaves and stems. "
              "They can survive for long periods without water, because they get water from the plants they eat.",
    "Quokka habitat": "Quokkas live in dense scrub near swamps. The marsupials shelter under shrubs in the heat "
                      "of the day.\nOn the mainland, quokkas are rare, because foxes and cats hunt them. On the "
                      "islands they are common, and visitors photograph them near the burrows.",
    "Quokka behaviour": "Quokkas are social marsupials. Groups of quokkas share feeding areas, and the males "
                        "defend shelters in the hottest weeks of the summer.\nA female quokka carries a single "
                        "joey in her pouch for about six months. The joeys of quokkas leave the pouch in spring.",
    "Quokka conservation": "The quokka is listed as vulnerable. Fires and clearing destroy the scrub that "
                           "quokkas need, and the marsupials recover slowly after a fire.\nRangers count the "
                           "quokkas on the islands every year, and they fence burrows on the mainland.",
}


def write_corpus(path: Path, articles: dict[str, str]) -> Path:
    path.write_text("".join(f"# {title}\n{text}\n" for title, text in articles.items()), encoding="utf-8")
    return path


def train_cli(*argv) -> int:
    return main(["train", "--device", "cpu", "--num-proc", "1", *map(str, argv)])


@pytest.fixture(scope="module")
def toy_config(tmp_path_factory) -> Path:
    """The toy config at the fixture pairs' window size, logging every step."""
    path = tmp_path_factory.mktemp("config") / "toy.json"
    path.write_text(json.dumps({"base": "toy", "max_stems": 48, "log_every_steps": 1}))
    return path


@pytest.fixture(scope="module")
def prepared_run(mini_pairs, toy_config, tmp_path_factory) -> Path:
    """A run folder prepared from the fixture pairs, copied by each test that trains from scratch."""
    out = tmp_path_factory.mktemp("prepared") / "run"
    training.prepare_run(str(out), str(mini_pairs), load_config(str(toy_config)))
    return out


@pytest.fixture(scope="module")
def finetuned(toy_model_dir, tmp_path_factory) -> Path:
    """The toy model fine-tuned for a few steps on the domain articles (three train, one held out)."""
    folder = tmp_path_factory.mktemp("finetune")
    corpus = write_corpus(folder / "quokkas.txt", DOMAIN_ARTICLES)
    config = folder / "finetune.json"  # a gentler rate than training from scratch: three windows overfit fast
    config.write_text(json.dumps({"base": "toy", "learning_rate": 1e-3, "warmup_steps": 2, "log_every_steps": 4}))
    out = folder / "model"
    assert train_cli("--corpus", corpus, "--init", toy_model_dir, "--out", out, "--config", config,
                     "--max-steps", 12) == 0
    return out


# ---------------------------------------------------------------- fine-tuning

MINI_PARAGRAPHS = [line for doc in read_documents(str(ROOT / "tests" / "data" / "mini_corpus.txt"))
                   for line in doc.text.split("\n") if line.strip() and not line.startswith("#")]


def corpus_of_shape(folder: Path, shape: str) -> Path:
    """The corpus shapes users have: one plain file of paragraphs, one paragraph, a folder of files."""
    if shape == "one file of paragraphs":
        path = folder / "docs.txt"
        path.write_text("\n".join(MINI_PARAGRAPHS) + "\n", encoding="utf-8")
    elif shape == "one paragraph":
        path = folder / "paragraph.txt"
        path.write_text(" ".join(DOMAIN_ARTICLES.values()).replace("\n", " ") + "\n", encoding="utf-8")
    else:
        path = folder / "docs"
        path.mkdir()
        for i, text in enumerate(DOMAIN_ARTICLES.values()):
            (path / f"{i}.txt").write_text(text + "\n", encoding="utf-8")
    return path


def test_fine_tuning_merges_the_corpus_into_the_base_lm_at_its_share(toy_model_dir, tmp_path):
    from destem.restore.ngram import UNK, NgramLM

    corpus = write_corpus(tmp_path / "quokkas.txt", DOMAIN_ARTICLES)
    out = {}
    for share in (0.0, 0.3):
        config = tmp_path / f"share-{share}.json"
        config.write_text(json.dumps({"base": "toy", "lm_corpus_share": share}))
        out[share] = tmp_path / f"run-{share}"
        assert train_cli("--corpus", corpus, "--init", toy_model_dir, "--out", out[share], "--config", config,
                         "--max-steps", 1) == 0
    base = NgramLM.read(str(toy_model_dir))
    assert (out[0.0] / "ngram.npz").read_bytes() == (toy_model_dir / "ngram.npz").read_bytes()  # kept as it is
    adapted = {share: json.loads((out[share] / training.PREPARED_FILE).read_text())["adapted"] for share in out}
    assert adapted[0.0]["word LM"] == "the base model's, as it is"
    assert adapted[0.3]["word LM"].startswith("the corpus merged in at share 0.3")
    assert adapted[0.3]["gap labels"] == "0 added" and adapted[0.3]["lexicon"].endswith("stems added")
    merged = NgramLM.read(str(out[0.3]))
    assert base.word_id("quokkas") == UNK and merged.word_id("quokkas") != UNK
    assert merged.vocab == base.vocab and merged.total > base.total


@pytest.mark.parametrize("shape, held_out", [
    ("one file of paragraphs", r"the last \d+ of the one document's \d+ windows"),
    ("one paragraph", r"the last 1 of the one document's \d+ windows"),
    ("a folder", r"documents \(the pairs' split\)|the last document"),
])
def test_any_corpus_shape_fine_tunes_and_round_trips(toy_model_dir, tmp_path, capsys, shape, held_out):
    corpus = corpus_of_shape(tmp_path, shape)
    out = tmp_path / "run"
    assert train_cli("--corpus", corpus, "--init", toy_model_dir, "--out", out, "--max-steps", 3) == 0
    prepared = json.loads((out / training.PREPARED_FILE).read_text())
    assert re.fullmatch(held_out, prepared["validation_held_out"]), prepared
    assert prepared["train_windows"] > 0 and prepared["validation_windows"] > 0
    if shape != "a folder":
        assert "one document in the corpus: validating on its last" in capsys.readouterr().err
    stems = [stem_text(p) for p in MINI_PARAGRAPHS[:5]]
    restored = Restorer.from_pretrained(str(out), device="cpu").restore(stems)
    assert check_documents(stems, restored).ok


def test_one_document_tail_is_contiguous_and_at_most_a_quarter(mini_pairs):
    from datasets import load_from_disk

    windows = load_from_disk(str(mini_pairs))["train"]
    one = windows.filter(lambda a: a == windows[0]["article"], input_columns="article")
    train, valid, _ = training.hold_out_validation(one, one.select([]), 0.01, "pairs")
    assert len(valid) == min(training.MIN_TAIL_WINDOWS, max(1, len(one) // 4))
    assert train["window"] == list(range(len(train))) and valid["window"] == list(range(len(train), len(one)))


def test_a_trainer_state_that_is_not_plain_data_is_refused(toy_model_dir, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(toy_model_dir, run)
    torch.save({"step": 1, "optimizer": {}, "payload": Path("anything")}, run / training.STATE_FILE)
    assert train_cli("--out", run, "--config", "toy", "--resume", "--max-steps", 2) == 2
    err = capsys.readouterr().err
    assert "is not loaded (unpickling it could run code)" in err and "Traceback" not in err


def test_fine_tuning_lowers_validation_loss(finetuned, toy_model_dir):
    valid = load_features(str(finetuned / "features" / "validation.npz.xz"))
    device = torch.device("cpu")
    before = training.validation_loss(Tagger.from_pretrained(toy_model_dir, dtype=torch.float32), valid, device, 2048)
    after = training.validation_loss(Tagger.from_pretrained(finetuned, dtype=torch.float32), valid, device, 2048)
    assert after["valid_loss"] < before["valid_loss"], (before, after)


def test_fine_tuning_keeps_the_base_tokenizer_and_extends_its_lexicon(finetuned, toy_model_dir):
    assert (finetuned / "spiece.model").read_bytes() == (toy_model_dir / "spiece.model").read_bytes()
    base = Lexicon.load(str(toy_model_dir / LEXICON_FILE))
    tuned = Lexicon.load(str(finetuned / LEXICON_FILE))
    assert "quokkas" not in base.candidates("quokka")
    assert "quokkas" in tuned.candidates("quokka") and "marsupials" in tuned.candidates("marsupi")
    assert all(form in tuned.variants(stem) for stem, forms in base.items() for form in forms)  # nothing lost


def test_a_word_only_the_new_corpus_has_is_restored(finetuned):
    [restored] = Restorer.from_pretrained(str(finetuned), device="cpu").restore([stem_text("Quokkas are marsupials.")])
    assert "marsupials" in restored, restored


def test_run_folder_is_a_model_folder_with_log_and_curve(finetuned, tmp_path, capsys):
    records = [json.loads(line) for line in open(finetuned / "log.jsonl")]
    validations = [r for r in records if "valid_loss" in r]
    assert validations[0]["step"] == 0 and validations[-1]["step"] == 12  # the base model's scores come first
    assert {"valid_bleu", "valid_content_acc"} <= set(validations[-1])
    assert [r["step"] for r in records if "loss" in r] == [4, 8, 12]
    assert (finetuned / "curve.png").stat().st_size > 0
    stems = tmp_path / "stems.txt"
    stems.write_text(stem_text("Quokkas live on the islands. Foxes hunt them on the mainland.") + "\n")
    assert main(["restore", "--model", str(finetuned), "--device", "cpu", str(stems),
                 "-o", str(tmp_path / "o.txt")]) == 0
    assert stem_text((tmp_path / "o.txt").read_text().strip()) == stems.read_text().strip()
    assert main(["eval", "--prose", str(MINI_CORPUS), "--model", str(finetuned), "--systems", "model",
                 "--limit-words", "150", "--device", "cpu", "--out", str(tmp_path / "report")]) == 0


# ---------------------------------------------------------------- corpus forms and the validation hold-out

def test_jsonl_and_saved_datasets_become_corpus_documents(tmp_path):
    from datasets import Dataset

    texts = list(DOMAIN_ARTICLES.values())
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text("".join(json.dumps({"id": i, "body": t}) + "\n" for i, t in enumerate(texts)))
    Dataset.from_dict({"body": texts}).save_to_disk(str(tmp_path / "saved"))
    plain = write_corpus(tmp_path / "plain.txt", DOMAIN_ARTICLES)
    files = corpus_files([str(jsonl), str(tmp_path / "saved"), str(plain)], str(tmp_path / "corpus"), "body")
    assert files[2] == str(plain) and all(f.startswith(str(tmp_path / "corpus")) for f in files[:2])
    for path in files:
        assert [d.text for d in read_documents(path)] == texts


def test_fallback_holds_out_the_last_whole_document(tmp_path, toy_model_dir, toy_config):
    from destem.text.pairs import PairConfig, build_pairs

    corpus = write_corpus(tmp_path / "quokkas.txt", DOMAIN_ARTICLES)
    pairs = tmp_path / "pairs"
    build_pairs([str(corpus)], str(pairs), PairConfig(max_stems=48, valid_fraction=0.0), num_proc=1)
    info = training.prepare_run(str(tmp_path / "run"), str(pairs), load_config(str(toy_config)), str(toy_model_dir))
    held_out = [json.loads(line)["target"] for line in open(tmp_path / "run" / "features" / "validation_slice.jsonl")]
    assert "".join(held_out) == DOMAIN_ARTICLES["Quokka conservation"]
    assert info["validation_windows"] == len(held_out)


@pytest.mark.parametrize("first, most", [(0, 0), (0, 3), (2, 0), (2, 3), (10**6, 0)])
def test_training_windows_are_a_contiguous_run_from_first_train_window(mini_pairs, toy_config, tmp_path, first, most):
    from datasets import load_from_disk

    config = dataclasses.replace(load_config(str(toy_config)), first_train_window=first, max_train_windows=most)
    sources = load_from_disk(str(mini_pairs))["train"]["source"]
    expected = sources[first:first + most if most else None]
    if not expected:
        with pytest.raises(InputError, match="no training windows from window"):
            training.prepare_run(str(tmp_path / "run"), str(mini_pairs), config)
        return
    info = training.prepare_run(str(tmp_path / "run"), str(mini_pairs), config)
    assert info["train_windows"] == len(expected)
    assert info["train_stems"] == sum(len(s.split()) for s in expected)


def test_a_step_budget_alone_ignores_the_clock():
    config = load_config("cpu")
    assert with_budget(config, max_steps=10).max_minutes == 0
    assert with_budget(config, max_minutes=5).max_steps == config.max_steps
    assert training.budget_progress(with_budget(config, max_steps=10), step=5, seconds=1e9) == 0.5


def test_a_cpu_budget_replaces_the_clock():
    config = with_budget(load_config("cpu"), max_cpu_minutes=2)
    assert (config.max_cpu_minutes, config.max_minutes) == (2, 0)
    # a busy machine: wall-clock time runs on, CPU time is what counts
    assert training.budget_progress(config, step=1, seconds=1e9, cpu_seconds=60) == 0.5
    assert training.eta_seconds(config, step=1, seconds=120, cpu_seconds=60, seconds_per_step=1.0) == 120


# ---------------------------------------------------------------- checkpoints and resume

def test_interrupted_and_resumed_run_matches_an_uninterrupted_one(prepared_run, toy_config, tmp_path, monkeypatch):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    for folder in (straight, resumed):
        shutil.copytree(prepared_run, folder)
    args = ["--config", toy_config, "--max-steps", 8, "--save-every-steps", 3]
    assert train_cli("--out", straight, *args) == 0

    save = training.maybe_save_checkpoint

    def save_then_die_at_step_5(model, optimizer, state, *rest, **options):
        saved = save(model, optimizer, state, *rest, **options)
        if state["step"] == 5:  # two steps after the checkpoint at step 3
            raise KeyboardInterrupt
        return saved

    monkeypatch.setattr(training, "maybe_save_checkpoint", save_then_die_at_step_5)
    assert train_cli("--out", resumed, *args) == 130
    assert torch.load(resumed / training.STATE_FILE, weights_only=True)["step"] == 3
    monkeypatch.undo()
    assert train_cli("--out", resumed, *args) == 2  # a checkpoint is there: continuing needs --resume
    assert train_cli("--out", resumed, *args, "--resume") == 0

    def losses(folder):
        return [(r["step"], r["loss"]) for r in map(json.loads, open(folder / "log.jsonl")) if "loss" in r]

    assert [s for s, _ in losses(resumed)] == list(range(1, 9))  # steps redone after the checkpoint, once each
    for (_, a), (_, b) in zip(losses(straight), losses(resumed)):
        assert a == pytest.approx(b, rel=1e-4)  # the same batches in the same order
    assert torch.load(resumed / training.STATE_FILE, weights_only=True)["step"] == 8
    Restorer.from_pretrained(str(resumed), device="cpu").restore([stem_text("The comet was discovered.")])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_signal_saves_the_last_step_and_resume_goes_on_from_it(prepared_run, toy_config, tmp_path, signum):
    run = tmp_path / "run"
    shutil.copytree(prepared_run, run)
    log = run / training.LOG_FILE
    # no budget but the steps, and no checkpoint but the one the signal makes (toy: every 60 minutes)
    command = [sys.executable, "-m", "destem.cli", "train", "--out", str(run), "--config", str(toy_config),
               "--max-steps", "1000000", "--device", "cpu"]
    with open(tmp_path / "stderr.txt", "w+") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"},
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 240
            while not (log.exists() and len(log.read_text().splitlines()) >= 3):  # a step a line
                assert process.poll() is None and time.monotonic() < deadline, "training did not get going"
                time.sleep(0.1)
            process.send_signal(signum)
            assert process.wait(timeout=120) == 130
        finally:
            process.kill()  # only if a check above failed with it running
        stderr.seek(0)
        err = stderr.read()
    message = re.search(rf"destem: interrupted at step (\d+): checkpoint saved in {re.escape(str(run))}; "
                        rf"continue with --resume\n", err)
    assert message and "Traceback" not in err, err
    step = int(message.group(1))
    assert step >= 3
    assert torch.load(run / training.STATE_FILE, weights_only=True)["step"] == step
    assert [json.loads(line)["step"] for line in open(log)] == list(range(1, step + 1))  # no step after it

    assert train_cli("--out", run, "--config", toy_config, "--max-steps", step + 4, "--resume") == 0
    assert torch.load(run / training.STATE_FILE, weights_only=True)["step"] == step + 4
    assert [r["step"] for r in map(json.loads, open(log)) if "loss" in r] == list(range(1, step + 5))
    Restorer.from_pretrained(str(run), device="cpu").restore([stem_text("The comet was discovered.")])


# ---------------------------------------------------------------- two processes

def test_two_process_data_parallel_training(tmp_path, toy_config):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "destem.cli", "train", "--corpus", str(MINI_CORPUS), "--out", str(out), "--config",
               str(toy_config), "--max-steps", "4", "--device", "cpu", "--num-proc", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout[result.stdout.index("{"):])  # printed once, by the first process
    assert summary["processes"] == 2 and summary["step"] == 4
    assert torch.load(out / training.STATE_FILE, weights_only=True)["step"] == 4
    Restorer.from_pretrained(str(out), device="cpu").restore([stem_text("The comet was discovered.")])


# ---------------------------------------------------------------- bad input

STEMMED = "\n\n".join(stem_text(p) for p in DOMAIN_ARTICLES.values())


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "no text in the corpus"),
    ("one.txt", b"The quokka is a small wallaby found on Rottnest Island.\n", "one document"),
    ("stems.txt", STEMMED.encode(), "looks stemmed"),
    ("latin1.txt", "Caf\u00e9 society.\n\nA second document.\n".encode("latin-1"), "not UTF-8"),
    ("missing.txt", None, "no such file"),
    ("docs.jsonl", b'{"body": "no text field"}\n', "expected an object with a string field 'text'"),
])
def test_bad_corpus_gives_one_line_and_exit_code_2(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert train_cli("--corpus", path, "--out", tmp_path / "run", "--config", "toy") == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert err.count("destem: error:") == 1


def test_unreachable_hub_dataset_gives_one_line(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    result = subprocess.run([sys.executable, "-m", "destem.cli", "train", "--hub-dataset", "nobody/no-such-set",
                             "--out", str(tmp_path / "run"), "--config", "toy"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "--hub-dataset nobody/no-such-set: could not load" in result.stderr and "Traceback" not in result.stderr


def test_training_caps_the_onednn_kernel_cache(toy_model_dir):
    # without the cap, a long CPU run grew by ~0.5 GB a minute (one cached kernel per batch shape)
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == str(training.ONEDNN_CACHE_CAPACITY)


@pytest.mark.parametrize("losses, warned", [
    ([2.531, 2.529, 2.559, 2.574], "from 2.529 at step 160 to 2.574 at step 480"),  # the general model on speeches
    ([2.60, 2.57, 2.55, 2.544], None),  # still falling
    ([2.60, 2.55, 2.56, 2.57], None),  # up, but by less than OVERFIT_RISE
    ([2.60], None),  # nothing to compare
])
def test_a_run_whose_validation_loss_rose_says_so(tmp_path, losses, warned):
    log = tmp_path / training.LOG_FILE
    records = [{"step": 160 * i, "valid_loss": loss} for i, loss in enumerate(losses)]
    records.insert(1, {"step": 10, "loss": 9.9})  # training records are not validation
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    warning = training.overfit_warning(str(log))
    assert (warning is None) if warned is None else (warned in warning and "overfitting" in warning)


@pytest.mark.parametrize("text, message", [
    ('{"precision": "int8"}', "precision 'int8': training runs in auto, bf16, fp32 (int8 is for restoring)"),
    ('{"learning_rate": 1e-4, "lr": 2}', "unknown config fields ['lr']"),
    ('{"base": "huge"}', "unknown base config 'huge'"),
    ('{"precision": ', "not JSON"),
])
def test_a_config_file_that_cannot_train_is_refused_with_its_reason(tmp_path, text, message):
    path = tmp_path / "my.json"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(message)):
        load_config(str(path))


def test_a_config_file_overrides_its_base(tmp_path):
    path = tmp_path / "my.json"
    path.write_text('{"base": "toy", "precision": "fp32", "learning_rate": 1e-4}')
    config = load_config(str(path))
    assert (config.precision, config.learning_rate) == ("fp32", 1e-4)
    assert config.hidden_size == load_config("toy").hidden_size != load_config("cpu").hidden_size
