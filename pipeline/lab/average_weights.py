"""Average the weights of fine-tuned copies of one model (a "model soup", Wortsman et al. 2022).

Continuing the default model on fresh windows lowered its validation loss but not its BLEU; the
average of the weights before and after such a run beat both (see models/default/README.md). The
copies must share a starting point: averaging unrelated models gives noise.

    python -m destem.lab.average_weights OUT.safetensors A.safetensors B.safetensors [C.safetensors ...]

OUT holds the element-wise mean in bf16 (how models/default ships its weights).
"""
import sys

import torch
from safetensors.torch import load_file

from .weights_file import bad_paths, save_whole


def average(state_dicts: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The mean of each tensor. A tensor that fine-tuning grew by rows (the gap head, when it adds gap
    labels) is averaged over the rows all copies have; the added rows come from the copies that have
    them (the first such copy's, when several do)."""
    names = state_dicts[0].keys()
    for other in state_dicts[1:]:
        if other.keys() != names or any(other[n].shape[1:] != state_dicts[0][n].shape[1:] for n in names):
            raise ValueError("the weights do not have the same tensors and shapes: not copies of one model")
    out = {}
    for n in names:
        if state_dicts[0][n].dim() == 0:
            out[n] = (sum(sd[n].float() for sd in state_dicts) / len(state_dicts)).to(torch.bfloat16)
            continue
        rows = min(sd[n].shape[0] for sd in state_dicts)
        mean = sum(sd[n][:rows].float() for sd in state_dicts) / len(state_dicts)
        longest = max((sd[n] for sd in state_dicts), key=lambda t: t.shape[0])
        out[n] = (mean if longest.shape[0] == rows else torch.cat([mean, longest[rows:].float()])).to(torch.bfloat16)
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: python -m destem.lab.average_weights OUT.safetensors A.safetensors B.safetensors [...]",
              file=sys.stderr)
        return 2
    target, sources = argv[0], argv[1:]
    if bad_paths("average_weights", sources, target):
        return 2
    try:
        averaged = average([load_file(s) for s in sources])
    except ValueError as error:
        print(f"average_weights: {error}", file=sys.stderr)
        return 2
    save_whole(averaged, target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
