"""What the small weight-file commands (`destem.lab.int8_weights`, `destem.lab.average_weights`) share:
refusing a missing input or an output that would overwrite one, and writing the output whole."""
import os
import sys

import torch
from safetensors.torch import save_file

from ..text.textio import atomic_write


def bad_paths(command: str, sources: list[str], target: str) -> bool:
    """True, after one line on stderr, when an input is missing or `target` is one of them."""
    for source in sources:
        if not os.path.isfile(source):
            print(f"{command}: {source}: no such file", file=sys.stderr)
            return True
        if os.path.abspath(source) == os.path.abspath(target):
            print(f"{command}: {target}: would overwrite an input", file=sys.stderr)
            return True
    return False


def save_whole(weights: dict[str, torch.Tensor], target: str) -> None:
    """Save to a temporary name, then rename into place: a stopped run leaves no half-written file."""
    with atomic_write(target, "path") as partial:
        save_file(weights, partial, metadata={"format": "pt"})
