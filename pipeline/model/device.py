"""Where the tagger runs, and in which precision: one decision for restoring and training alike."""
from __future__ import annotations

import torch

from ..text.textio import InputError

PRECISIONS = ("auto", "bf16", "fp32", "int8")  # int8: restoring only (`use_int8`)


def pick_device(device: str = "auto") -> torch.device:
    """The torch device for "auto" (CUDA if present), "cpu" or "cuda" (refused when absent)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available")
    return torch.device(device)


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 runs faster than fp32 there: on a GPU, and on a CPU with AMX tiles that torch's
    kernels use. Without AMX it does not pay: on AVX2 CPUs (or AVX-512 forced off with
    ATEN_CPU_CAPABILITY) bf16 is emulated, many times slower; with AVX-512 BF16 alone the tagger's forward
    pass measured 1.5x slower than fp32, and a training step 2x (eval/results/train-step-rate/)."""
    if device.type == "cuda":
        return True
    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)  # a private probe: absent means no
    return torch.backends.cpu.get_cpu_capability() in ("AVX512", "AMX") and amx()


def use_bf16(device: torch.device, precision: str = "auto") -> bool:
    """Whether to run under bf16 autocast: `precision` "bf16" as asked, "auto" where native."""
    _check(precision)
    return precision == "bf16" or (precision == "auto" and native_bf16(device))


def use_int8(device: torch.device, precision: str = "auto") -> bool:
    """Whether to restore with the tagger's linear layers quantized to int8 (`tagger.int8_linears`):
    `precision` "int8" as asked (CPUs only), "auto" on an x86 CPU without native bf16. There it
    restores with about a fifth less CPU time than fp32 and the same scores (benchmark BLEU 54.52
    against 54.50 on an AVX2 CPU; eval/results/int8/). Training never runs in int8."""
    _check(precision)
    if precision == "int8" and device.type != "cpu":
        raise InputError("--precision int8 runs on the CPU only; on a GPU use auto or bf16")
    return precision == "int8" or (precision == "auto" and device.type == "cpu" and not native_bf16(device)
                                   and "fbgemm" in torch.backends.quantized.supported_engines)


# pieces per tagger batch when restoring, by device type: on a CPU a batch of 2,048 keeps the activations
# in cache (2-core AMD EPYC, AVX2: int8 and fp32 about 1.2x as fast as with 8,192; eval/results/cpu-batch/);
# a GPU wants larger ones
RESTORE_BATCH_TOKENS = {"cpu": 2048, "cuda": 8192}


def restore_batch_tokens(device: torch.device) -> int:
    return RESTORE_BATCH_TOKENS.get(device.type, RESTORE_BATCH_TOKENS["cuda"])


def restore_precision(device: torch.device, precision: str = "auto") -> str:
    """What the tagger restores in there: "bf16" (autocast), "int8" (linear layers) or "fp32"."""
    return "bf16" if use_bf16(device, precision) else "int8" if use_int8(device, precision) else "fp32"


def _check(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: choose from {', '.join(PRECISIONS)}")
