"""int8 packing of a model's weights for the trip to a GPU machine (pipeline/lab/int8_weights.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file, save_file

from destem.lab.int8_weights import SCALE, pack, unpack


def sample_weights() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        "embeddings": torch.randn(512, 256, generator=generator).to(torch.bfloat16),
        "zero_rows": torch.zeros(256, 256, dtype=torch.bfloat16),
        "small_head": torch.randn(4, 384, generator=generator).to(torch.bfloat16),
        "bias": torch.randn(256, generator=generator).to(torch.bfloat16),
    }


@pytest.mark.parametrize("name, quantized", [("embeddings", True), ("zero_rows", True),
                                             ("small_head", False), ("bias", False)])
def test_pack_quantizes_only_large_matrices(name, quantized):
    packed = pack(sample_weights())
    assert (packed[name].dtype == torch.int8) is quantized
    assert (name + SCALE in packed) is quantized


def test_unpack_is_within_half_a_step_of_each_row():
    weights = sample_weights()
    restored = unpack(pack(weights))
    assert set(restored) == set(weights)
    for name, tensor in weights.items():
        assert restored[name].dtype == torch.bfloat16 and restored[name].shape == tensor.shape
    original = weights["embeddings"].float()
    step = original.abs().amax(dim=1, keepdim=True) / 127
    rounding = step / 2
    bf16_rounding = (original.abs() + rounding) * 2 ** -8  # the unpacked value is stored as bf16
    assert ((restored["embeddings"].float() - original).abs() <= rounding + bf16_rounding).all()
    assert torch.equal(restored["zero_rows"], weights["zero_rows"])
    assert torch.equal(restored["bias"], weights["bias"])


def test_command_line_round_trip_halves_the_file(tmp_path):
    source, packed, unpacked = tmp_path / "w.safetensors", tmp_path / "p.safetensors", tmp_path / "u.safetensors"
    save_file(sample_weights(), str(source))
    for command, a, b in (("pack", source, packed), ("unpack", packed, unpacked)):
        subprocess.run([sys.executable, "-m", "destem.lab.int8_weights", command, str(a), str(b)], check=True)
    assert packed.stat().st_size < 0.6 * source.stat().st_size
    assert torch.equal(load_file(str(unpacked))["embeddings"], unpack(pack(sample_weights()))["embeddings"])


@pytest.mark.parametrize("args, message", [
    ([], "usage:"),
    (["shrink", "a", "b"], "usage:"),
    (["pack", "missing.safetensors", "out.safetensors"], "no such file"),
    (["pack", "same.safetensors", "same.safetensors"], "would overwrite an input"),
])
def test_command_line_refuses_bad_arguments_without_a_traceback(tmp_path, args, message):
    save_file(sample_weights(), str(tmp_path / "same.safetensors"))
    result = subprocess.run([sys.executable, "-m", "destem.lab.int8_weights", *args], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "same.safetensors").stat().st_size > 0 and not (tmp_path / "out.safetensors").exists()
