"""Pack a model folder's weights as int8 so that a warm start travels to the lent GPU machine.

The machine takes at most 64 MiB of files per call; the default model's bf16 weights are 43 MB,
which would leave too little room for training windows. Per-row int8 (absmax scale) halves them; the
unpacked weights start the fine-tuning run, which repairs the rounding (on the default model the
round trip moved validation loss 1.3853 -> 1.3855 and the 200-window BLEU 48.35 -> 48.21).
Used by data/recipes/default/pack-for-gpu.sh and data/recipes/default/continue-on-gpu.sh:

    python -m destem.lab.int8_weights pack models/default/model.safetensors .gpu/init-int8.safetensors
    python -m destem.lab.int8_weights unpack .gpu/init-int8.safetensors OUT/model.safetensors
"""
import sys

import torch
from safetensors.torch import load_file

from .weights_file import bad_paths, save_whole

SCALE = ".int8_scale"  # suffix of each quantized matrix's per-row scales


def pack(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    packed = {}
    for name, tensor in weights.items():
        if tensor.ndim == 2 and tensor.numel() >= 65_536:  # matrices; norms and biases stay as they are
            values = tensor.float()
            scale = values.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127
            packed[name] = torch.round(values / scale).to(torch.int8)
            packed[name + SCALE] = scale
        else:
            packed[name] = tensor
    return packed


def unpack(packed: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    weights = {}
    for name, tensor in packed.items():
        if name.endswith(SCALE):
            continue
        scale = packed.get(name + SCALE)
        weights[name] = tensor if scale is None else (tensor.float() * scale).to(torch.bfloat16)
    return weights


def main(argv: list[str]) -> int:
    commands = {"pack": pack, "unpack": unpack}
    if len(argv) != 3 or argv[0] not in commands:
        print("usage: python -m destem.lab.int8_weights pack|unpack SOURCE.safetensors TARGET.safetensors",
              file=sys.stderr)
        return 2
    command, source, target = argv
    if bad_paths("int8_weights", [source], target):
        return 2
    save_whole(commands[command](load_file(source)), target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
