"""Stem-forced seq2seq (issue 3 bake-off formulation): the target builder, forced decoding's
rules, and a tiny T5 that overfits a few fixture windows in seconds."""
from __future__ import annotations

import dataclasses
import json

import pytest
import sacrebleu
import torch

from destem.lab import forced_seq2seq as fs
from destem.model.labels import IGNORE, capitalize_sentences
from destem.text.align import PARAGRAPH
from destem.text.detok import detokenize

TINY = fs.ForcedSeq2SeqConfig(
    d_model=64, encoder_layers=2, decoder_layers=2, num_heads=2, d_ff=128, dropout=0.0, vocab_size=600,
    batch_tokens=4096, learning_rate=5e-3, warmup_steps=20, max_steps=400, bf16=False, log_every_steps=10,
    max_new_tokens_per_stem=16)  # the tiny vocabulary spells words in many pieces


@pytest.fixture(scope="module")
def records(mini_pairs) -> list[dict]:
    """All verified training windows of the fixture pairs."""
    from datasets import load_from_disk

    return [r for r in load_from_disk(str(mini_pairs))["train"] if r["verified"] and r["source"]]


@pytest.fixture(scope="module")
def overfit_set(records) -> list[dict]:
    return sorted(records, key=lambda r: len(r["source"].split()))[:4]


@pytest.fixture(scope="module")
def trained(overfit_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("forced") / "model"
    torch.set_num_threads(1)
    summary = fs.train_forced_seq2seq(overfit_set, str(out), TINY, max_minutes=0, device="cpu")  # steps only
    return out, summary


@pytest.fixture(scope="module")
def sp(records, tmp_path_factory):
    return fs.train_tokenizer(records, str(tmp_path_factory.mktemp("spm")), 600)


def test_target_forces_each_stem_before_its_words_without_loss(records, sp):
    from destem.text.documents import Document
    from destem.text.pairs import PairConfig, document_windows

    # a document that ends in dropped words, so that its last window has a tail
    ending = list(document_windows(Document("t", "Trotsky lived in Mexico.\nIt was all he had, and more than that"),
                                   PairConfig()))
    assert ending[-1]["tail"] == "and more than that"
    with_paragraph = with_tail = 0
    for record in records + ending:
        stems = record["source"].split()
        encoder_ids, decoder_in, labels = fs.build_example(sp, record, TINY)
        stem_pieces = fs.encode_stems(sp, stems, TINY.max_stem_pieces)
        assert encoder_ids == [i for p in stem_pieces for i in p] + [fs.EOS]
        assert len(decoder_in) == len(labels) and decoder_in[0] == fs.BOS
        target = decoder_in[1:] + [labels[-1]]  # teacher forcing: the input is the target shifted right
        assert target[-1] == fs.EOS
        # cut the target at each ⟦: forced stem pieces + ⟧, then the free tokens of that stem
        opens = [i for i, t in enumerate(target) if t == fs.OPEN_ID]
        assert len(opens) == len(stems) and opens[0] == 0
        for k, (start, end) in enumerate(zip(opens, opens[1:] + [len(target) - 1])):
            assert labels[start] == fs.OPEN_ID  # the model decides when the next stem starts
            close = start + 1 + len(stem_pieces[k])
            assert target[start + 1:close] == stem_pieces[k] and target[close] == fs.CLOSE_ID
            assert labels[start + 1:close + 1] == [IGNORE] * (close - start)  # forced: no loss
            assert labels[close + 1:end] == target[close + 1:end]  # free: gap words, word (, tail)
            expected = record["gaps"][k].split() + [record["words"][k]]
            if k == len(stems) - 1:
                expected += record["tail"].split()
            assert fs._piece_words(sp, target[close + 1:end]) == expected
        assert labels.count(IGNORE) == sum(len(p) + 1 for p in stem_pieces)
        with_paragraph += PARAGRAPH in " ".join(record["gaps"])
        with_tail += bool(record["tail"])
    assert with_paragraph and with_tail  # the fixture exercises paragraph marks and tails
    # markers keep their meaning: a word that holds one is <unk>, a lone ¶ is the paragraph piece
    assert fs.encode_tokens(sp, ["a⟦b", PARAGRAPH, "x¶y", "c⟧"]) == [[fs.UNK], [fs.PARA_ID], [fs.UNK], [fs.UNK]]


def test_training_loss_falls_and_saves_a_model_folder(trained):
    out, summary = trained
    losses = [json.loads(line)["loss"] for line in open(out / fs.LOG_FILE)]
    assert losses[-1] < 0.2 * losses[0], losses
    assert summary["step"] == TINY.max_steps and summary["tokens"] > 0 and summary["final_train_loss"] == losses[-1]
    for name in ("config.json", "model.safetensors", fs.SPM_FILE, fs.CONFIG_FILE):
        assert (out / name).exists(), name


def test_restore_windows_one_output_per_input_in_order(trained, overfit_set):
    out, _ = trained
    loaded = fs.load_forced_seq2seq(str(out), "cpu")
    sources = [r["source"] for r in overfit_set]
    alone = [fs.restore_windows(loaded, [s], batch_size=1, bf16=False)[0] for s in sources]
    mixed = ["", sources[2], sources[0], "   ", sources[3], sources[1]]
    together = fs.restore_windows(str(out), mixed, batch_size=3, device="cpu", bf16=False)
    assert together == ["", alone[2], alone[0], "", alone[3], alone[1]]  # padding and sorting change nothing
    assert all(alone)
    assert fs.restore_windows(loaded, []) == []


def test_overfit_model_restores_its_training_windows(trained, overfit_set):
    out, _ = trained
    restored = fs.restore_windows(str(out), [r["source"] for r in overfit_set], device="cpu", bf16=False)
    references = [" ".join(r["target"].split()) for r in overfit_set]
    assert sacrebleu.corpus_chrf(restored, [references]).score > 60, restored
    # each window starts with its first words right: they follow the first forced stem
    for text, record in zip(restored, overfit_set):
        first = detokenize(capitalize_sentences(record["gaps"][0].split() + [record["words"][0]]))
        assert text.startswith(first), (text, first)


def _biased(model, token_id: int):
    """The model with `token_id`'s logit raised far above all others."""
    def hook(module, inputs, output):
        output = output.clone()
        output[..., token_id] += 1e4
        return output
    return model.lm_head.register_forward_hook(hook)


def test_forced_decoding_rules_hold_whatever_the_model_prefers(overfit_set, sp):
    config = dataclasses.replace(TINY, max_new_tokens_per_stem=4)
    model = fs.make_model(config, sp.get_piece_size()).eval()
    windows = [r["source"].split() for r in overfit_set] + [["trotski"]]
    with torch.inference_mode():
        for preferred in (None, fs.OPEN_ID, fs.EOS, fs.CLOSE_ID):
            handle = _biased(model, preferred) if preferred is not None else None
            segments = fs._decode_batch(model, sp, config, windows, torch.device("cpu"))
            if handle:
                handle.remove()
            for stems, window_segments in zip(windows, segments):
                assert len(window_segments) == len(stems)  # one run of free tokens per stem, in order
                limits = [config.max_new_tokens_per_stem] * (len(stems) - 1) + [2 * config.max_new_tokens_per_stem]
                for run, limit in zip(window_segments, limits):
                    assert len(run) <= limit
                    assert not {fs.OPEN_ID, fs.CLOSE_ID, fs.EOS, fs.PAD, fs.BOS} & set(run)
                if preferred == fs.OPEN_ID:  # ⟦ wherever allowed: no words until the last stem
                    assert all(run == [] for run in window_segments[:-1])
                    assert len(window_segments[-1]) == 2 * config.max_new_tokens_per_stem
                if preferred == fs.EOS:  # </s> as soon as allowed: right after the last forced stem
                    assert window_segments[-1] == []
