"""With no model asked for, restore takes each input to the installed model trained on its register
(`stem_profile.npz`): encyclopedia prose to the default, dialogue and the like to the general model."""
from __future__ import annotations

import json
import os
import re

import pytest
from conftest import DEFAULT_MODEL, MINI_CORPUS, ROOT

from destem.cli import main
from destem.model.stem_profile import StemProfiles
from destem.restore.restorer import Restorer
from destem.text.forward import DEFAULT_PIPELINE

PROSE = [line for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
DIALOGUE = [  # written for this test
    '"Where are you going?" she asked. "Home," he said. "I don\'t know what else to do."',
    '"You can\'t leave now," she said, and took his hand. "Not tonight. Stay with me."',
    '"Why not?" he asked her. "I told you I would come back, and I did, didn\'t I?"',
    '"I know," she said quietly. "But you never stay. You always go."',
    '"Tell me what happened," said his mother, "and don\'t lie to me this time."',
    '"Nothing happened!" he cried. "I swear it. I only wanted to see her again."',
    '"Did you see her?" "No. She wasn\'t there, and nobody would tell me where she went."',
    '"Then why are you crying?" she asked, and he could not answer her.',
    '"Come here, my dear," said the old woman. "Sit by the fire and tell me everything."',
    '"I can\'t," said the girl. "He made me promise. I won\'t break my word, will I?"',
    '"Go to bed," her father said. "We\'ll talk tomorrow, when you\'re not so tired."',
    '"Are you angry with me?" "No, my love, I\'m not angry. I\'m only afraid for you."',
]


def stems(lines: list[str]) -> list[str]:
    return [DEFAULT_PIPELINE.stem_text(line) for line in lines]


def stem_files(folder, pipeline=DEFAULT_PIPELINE):
    """The dialogue and 12 lines of prose stemmed by `pipeline`, as files in `folder`."""
    dialogue, prose = folder / "dialogue.stem.txt", folder / "prose.stem.txt"
    dialogue.write_text("\n".join(pipeline.stem_text(line) for line in DIALOGUE) + "\n", encoding="utf-8")
    prose.write_text("\n".join(pipeline.stem_text(line) for line in PROSE[:12]) + "\n", encoding="utf-8")
    return dialogue, prose


def restored_with_no_flags(files, out, capsys) -> str:
    """`destem restore FILES -o OUT`'s stderr."""
    assert main(["restore", *map(str, files), "-o", str(out)]) == 0
    return capsys.readouterr().err


def toy_profiles() -> tuple[StemProfiles, StemProfiles]:
    """The default's (encyclopedia prose) and the general model's (that, and dialogue); the last four
    lines of each kept out."""
    wiki = StemProfiles.from_texts({"wikipedia": stems(PROSE[:-4])})
    return wiki, wiki.merged(StemProfiles.from_texts({"dialogue": stems(DIALOGUE[:-4])}))


def test_profiles_read_back_as_saved(tmp_path):
    _, profiles = toy_profiles()
    profiles.save(str(tmp_path))
    again = StemProfiles.read(str(tmp_path))
    assert again.registers == profiles.registers
    assert again.bits_per_stem(stems(DIALOGUE)) == profiles.bits_per_stem(stems(DIALOGUE))
    assert StemProfiles.read(str(tmp_path / "elsewhere")) is None


def test_the_nearest_register_is_the_one_whose_text_the_input_is_like():
    _, profiles = toy_profiles()
    register, bits = profiles.nearest(stems(DIALOGUE[-4:]))
    assert register == "dialogue" and bits["dialogue"] < bits["wikipedia"]
    assert profiles.nearest(stems(PROSE[-4:]))[0] == "wikipedia"
    assert profiles.nearest(["", " "]) == (None, {})


def test_the_shipped_profiles_tell_encyclopedia_prose_from_dialogue():
    default = StemProfiles.read(str(DEFAULT_MODEL))
    general = StemProfiles.read(str(ROOT / "models" / "general"))
    assert set(default.registers) == {"wikipedia"}
    assert set(general.registers) >= {"wikipedia", "fiction", "forum", "speeches", "science", "howto"}
    every = general.merged(default)
    assert every.nearest(stems(PROSE))[0] == "wikipedia"  # the mini corpus: Wikipedia paragraphs
    assert every.nearest(stems(DIALOGUE))[0] == "fiction"


def test_the_lead_of_the_run_models_register_is_how_much_better_it_reads_the_input():
    from destem.model.stem_profile import ModelRegisters

    wiki, both = toy_profiles()
    registers = ModelRegisters(wiki, both)
    prose, dialogue = registers.own_register_lead(stems(PROSE[-4:])), registers.own_register_lead(stems(DIALOGUE[-4:]))
    assert prose > 0 > dialogue
    bits = both.bits_per_stem(stems(PROSE[-4:]))
    assert prose == pytest.approx(bits["dialogue"] - bits["wikipedia"])
    assert registers.own_register_lead(["", " "]) is None


@pytest.fixture
def installed_with_profiles(toy_model_dir, mixed_model_dir, tmp_path, monkeypatch) -> tuple[str, str]:
    """The toy model installed as the default and the mixed one as the general model, each with toy
    profiles (copies of their folders); no model asked for."""
    from destem.model import locate

    folders = {}
    for name, source, profiles in zip(("default", "general"), (toy_model_dir, mixed_model_dir), toy_profiles()):
        folders[name] = str(tmp_path / name)
        os.makedirs(folders[name])
        for file in os.listdir(source):
            if os.path.isfile(os.path.join(source, file)):
                os.symlink(os.path.join(source, file), os.path.join(folders[name], file))
        profiles.save(folders[name])
    monkeypatch.setattr(locate, "installed_model", folders.get)
    monkeypatch.delenv("DESTEM_MODEL", raising=False)
    return folders["default"], folders["general"]


def test_with_no_model_asked_for_each_input_goes_to_the_model_trained_on_its_register(installed_with_profiles,
                                                                                   tmp_path, capsys):
    default, general = installed_with_profiles
    dialogue, prose = stem_files(tmp_path)
    out = tmp_path / "out"
    err = restored_with_no_flags([dialogue, prose], out, capsys)
    assert re.search(r"dialogue\.stem\.txt: reads as dialogue \([\d.]+ bits a stem, against [\d.]+ for the "
                     r"default's wikipedia\): restored with the installed model 'general', trained on such text "
                     r"\(--model default keeps the default\)", err), err
    assert "prose.stem.txt" not in err
    for source, folder in ((dialogue, general), (prose, default)):
        restored = Restorer.from_pretrained(folder, device="cpu").restore_documents(
            source.read_text(encoding="utf-8").splitlines())
        assert (out / source.name).read_text(encoding="utf-8").splitlines() == [r.text for r in restored]
    assert main(["restore", "--model", "default", str(dialogue), "-o", str(tmp_path / "asked.txt")]) == 0
    assert "reads as" not in capsys.readouterr().err  # a model asked for is the model used


def test_detect_names_the_register_that_takes_an_input_to_the_general_model(installed_with_profiles, tmp_path,
                                                                            capsys):
    dialogue, prose = stem_files(tmp_path)
    assert main(["detect", str(dialogue), str(prose)]) == 0
    said = capsys.readouterr().out
    assert re.search(r"\n  register: reads as dialogue \([\d.]+ bits a stem, against [\d.]+ for the default's "
                     r"wikipedia\): restore takes it to the installed model 'general'\n", said), said
    assert said.count("register:") == 1  # the encyclopedia prose: the default's register
    assert main(["detect", "--json", str(dialogue), str(prose)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (records[0]["register"], records[0]["register_model"]) == ("dialogue", "general")
    assert "register" not in records[1]


def test_punctuation_free_prose_of_the_defaults_register_is_re_read_by_the_default_in_a_second_pass(
        installed_with_profiles, tmp_path, capsys):
    from destem.restore.two_pass import TwoPassRestorer
    from destem.text.forward import PIPELINES

    default, general = installed_with_profiles
    isalpha = PIPELINES["isalpha"]
    dialogue, prose = stem_files(tmp_path, isalpha)
    out = tmp_path / "out"
    err = restored_with_no_flags([prose, dialogue], out, capsys)
    assert re.search(r"prose\.stem\.txt: reads as the default model's register \([\d.]+ bits a stem ahead of the "
                     r"general model's\): the model 'general' restores it, and the model 'default' re-reads that "
                     r"restoration with the punctuation it wrote \(a second pass\)", err), err
    assert "dialogue.stem.txt: reads as the default" not in err  # the general model's register: one pass
    first, second = (Restorer.from_pretrained(folder, device="cpu") for folder in (general, default))
    for source, restorer in ((prose, TwoPassRestorer(first, second)), (dialogue, first)):
        expected = restorer.restore_documents(source.read_text(encoding="utf-8").splitlines(), pipeline=isalpha)
        assert (out / source.name).read_text(encoding="utf-8").splitlines() == [r.text for r in expected]
    one_pass = first.restore_documents(prose.read_text(encoding="utf-8").splitlines(), pipeline=isalpha)
    assert [r.text for r in one_pass] != (out / prose.name).read_text(encoding="utf-8").splitlines()
    # detect says so
    assert main(["detect", str(prose), str(dialogue)]) == 0
    said = capsys.readouterr().out
    assert re.search(r"prose\.stem\.txt: .*; not the default model's; restore takes it to the installed model "
                     r"'general' \(--pipeline isalpha\), and as it reads as the default's register \([\d.]+ bits a "
                     r"stem ahead\), the model 'default' re-reads that restoration \(a second pass\);", said), said
    assert said.count("a second pass") == 1
    assert main(["detect", "--json", str(prose), str(dialogue)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[0]["second_pass_model"] == "default" and records[0]["register_lead"] >= 0.1
    assert "second_pass_model" not in records[1] and records[1]["register_lead"] < 0  # dialogue: the general's
    # --explain writes the same text, explained by the input's stems
    assert main(["restore", str(prose), "--explain", "-o", str(tmp_path / "explained.jsonl")]) == 0
    records = [json.loads(line) for line in (tmp_path / "explained.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in records] == (out / prose.name).read_text(encoding="utf-8").splitlines()
    assert [" ".join(s["stem"] for s in r["stems"]) for r in records] == prose.read_text().splitlines()
