"""Data parallelism under `torchrun --nproc_per_node N`: one process per device, each training on
every N-th batch of the same batch list, with gradients averaged by DistributedDataParallel.

Without torchrun (no WORLD_SIZE) every helper is a no-op, so the training loop reads the same.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main() -> bool:
    """Whether this process logs, validates and saves (rank 0, or the only process)."""
    return rank() == 0


def setup(device_name: str = "auto") -> torch.device:
    """This process's device; under torchrun it also joins the process group (once): NCCL between
    GPUs, one per process by LOCAL_RANK, and gloo between CPU processes."""
    from ..model.device import pick_device

    device = pick_device(device_name)
    if world_size() == 1:
        return device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    if world_size() == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def shard(batches: list) -> list:
    """This process's share: every N-th batch, as many on every process (the few left over are
    skipped this epoch), so that all processes take their steps together."""
    n = world_size()
    return batches[rank()::n][: len(batches) // n]


def sum_over_processes(values: list[float], device: torch.device) -> list[float]:
    if world_size() == 1:
        return values
    total = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return total.tolist()


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def finish() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
