"""Averaging fine-tuned copies of one model's weights (pipeline/lab/average_weights.py)."""
from __future__ import annotations

import os

import pytest
import torch
from safetensors.torch import load_file, save_file

from destem.lab.average_weights import average, main


def weights(scale: float) -> dict[str, torch.Tensor]:
    return {"matrix": torch.tensor([[1.0, -2.0], [0.5, 4.0]]) * scale, "bias": torch.tensor([3.0]) * scale}


@pytest.mark.parametrize("scales, expected", [
    ([1.0, 3.0], 2.0),
    ([1.0, 2.0, 6.0], 3.0),
    ([1.0, 1.0], 1.0),
    ([-1.0, 1.0], 0.0),
])
def test_average_is_the_element_wise_mean_in_bf16(scales, expected):
    averaged = average([weights(s) for s in scales])
    for name, tensor in weights(expected).items():
        assert averaged[name].dtype == torch.bfloat16
        torch.testing.assert_close(averaged[name].float(), tensor)


def test_bf16_and_float32_copies_average_together():
    one = {k: v.to(torch.bfloat16) for k, v in weights(1.0).items()}
    torch.testing.assert_close(average([one, weights(3.0)])["matrix"].float(), weights(2.0)["matrix"])


@pytest.mark.parametrize("other", [
    {"matrix": torch.zeros(2, 2)},  # a tensor missing
    {"matrix": torch.zeros(2, 3), "bias": torch.zeros(1)},  # another shape
])
def test_weights_of_different_models_are_refused(other):
    with pytest.raises(ValueError, match="not copies of one model"):
        average([weights(1.0), other])


def test_command_line_writes_the_average(tmp_path):
    a, b, out = (str(tmp_path / n) for n in ("a.safetensors", "b.safetensors", "out.safetensors"))
    save_file(weights(1.0), a)
    save_file(weights(5.0), b)
    assert main([out, a, b]) == 0
    torch.testing.assert_close(load_file(out)["bias"].float(), torch.tensor([9.0]))
    assert sorted(os.listdir(tmp_path)) == ["a.safetensors", "b.safetensors", "out.safetensors"]  # no temp left


@pytest.mark.parametrize("args, message", [
    (["out.safetensors", "a.safetensors"], "usage"),
    (["out.safetensors", "a.safetensors", "missing.safetensors"], "no such file"),
    (["a.safetensors", "a.safetensors", "b.safetensors"], "overwrite"),
    (["out.safetensors", "a.safetensors", "other.safetensors"], "not copies of one model"),
])
def test_command_line_refuses_bad_arguments_with_one_line(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    save_file(weights(1.0), "a.safetensors")
    save_file(weights(2.0), "b.safetensors")
    save_file({"other": torch.zeros(1)}, "other.safetensors")
    assert main(args) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not os.path.exists("out.safetensors")


def test_a_head_grown_by_fine_tuning_is_averaged_over_the_shared_rows():
    base = {"gap_head.weight": torch.ones(3, 2), "gap_head.bias": torch.zeros(3)}
    grown = {"gap_head.weight": torch.cat([3 * torch.ones(3, 2), 5 * torch.ones(2, 2)]),
             "gap_head.bias": torch.tensor([2.0, 2.0, 2.0, -4.0, -4.0])}
    mean = average([grown, base])
    assert mean["gap_head.weight"].tolist() == [[2.0, 2.0]] * 3 + [[5.0, 5.0]] * 2  # the added rows as trained
    assert mean["gap_head.bias"].tolist() == [1.0, 1.0, 1.0, -4.0, -4.0]
    assert average([base, grown])["gap_head.weight"].shape == (5, 2)  # whichever comes first
