"""Sharded evaluation under ``torchrun``: each rank predicts a deterministic shard, all merge.

Run a stage unchanged with ``torchrun --nproc_per_node N stages/evaluate.py ...`` (gloo on CPU,
nccl on GPU). Images are dealt round-robin by their position in the sorted image list, so the
shards never depend on timing; after prediction every rank receives every shard's results and
restores the single-process order, so metrics are *identical* to a one-process run (pycocotools
sees the same list). Only rank 0 writes files. Without torchrun (no ``WORLD_SIZE``) this is a
world of one and nothing is initialised.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, items: Sequence[Any]) -> list[Any]:
        """This rank's items: positions rank, rank + size, ... (round-robin)."""
        return list(items[self.rank::self.size])

    def gather(self, part: list[Any]) -> list[list[Any]]:
        """Every rank's ``part``, indexed by rank (a plain ``[part]`` in a world of one)."""
        if self.size == 1:
            return [part]
        import torch.distributed as dist

        parts: list[Any] = [None] * self.size
        dist.all_gather_object(parts, part)
        return parts

    def barrier(self) -> None:
        if self.size > 1:
            import torch.distributed as dist

            dist.barrier()


def unshard(parts: list[list[Any]]) -> list[Any]:
    """Inverse of round-robin ``World.shard`` over per-item lists: the one-process order."""
    merged: list[Any] = []
    for i in range(max((len(p) for p in parts), default=0)):
        for p in parts:
            if i < len(p):
                merged.append(p[i])
    return merged


def init_world() -> World:
    """Join the process group torchrun describes in the environment, or a world of one."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend=backend)
    return World(rank=dist.get_rank(), size=dist.get_world_size())


def close_world(world: World) -> None:
    if world.size > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
