"""Where the tagger runs, and in which precision: one decision for restoring and training alike."""
from __future__ import annotations

import torch

from ..text.textio import InputError

PRECISIONS = ("auto", "bf16", "fp32")


def pick_device(device: str = "auto") -> torch.device:
    """The torch device for "auto" (CUDA if present), "cpu" or "cuda" (refused when absent)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available")
    return torch.device(device)


def native_bf16(device: torch.device) -> bool:
    """Whether the hardware runs bf16 natively: a GPU, or a CPU with AVX-512 BF16 or AMX that torch's
    kernels use. Elsewhere (AVX2 CPUs, or AVX-512 forced off with ATEN_CPU_CAPABILITY) bf16 is emulated,
    many times slower than fp32."""
    if device.type == "cuda":
        return True
    return (torch.backends.cpu.get_cpu_capability() in ("AVX512", "AMX")
            and any(getattr(torch.cpu, probe, lambda: False)()  # private probes: absent means no
                    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")))


def use_bf16(device: torch.device, precision: str = "auto") -> bool:
    """Whether to run under bf16 autocast: `precision` "bf16" or "fp32" as asked, "auto" where native."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: choose from {', '.join(PRECISIONS)}")
    return precision == "bf16" or (precision == "auto" and native_bf16(device))
