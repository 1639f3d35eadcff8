"""Which arithmetic the training loops run in: bfloat16 autocast where the CPU has it natively.

Convolutions dominate a training step (about 75 % of it on 2 cores, see benchmarks/README.md).
On CPUs with native bfloat16 dot products (AVX512-BF16, AMX) oneDNN runs them in bfloat16 with
float32 accumulation at about 1.6x the float32 speed; elsewhere bfloat16 is emulated and 2-12x
*slower*. ``auto`` therefore picks per machine. The choice is a function of the CPU only, so the
promise stays what it was: the same params on the same CPU type give the same checkpoint bytes
(and the checkpoint records which precision trained it). Weights, optimizer state, losses and
the evaluation stay float32: autocast only changes the arithmetic of the matrix products.
"""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

PRECISIONS = ("auto", "float32", "bfloat16")


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX)."""
    capability = getattr(torch._C._cpu, "_get_cpu_capability", lambda: {})()
    return bool(capability.get("avx512_bf16") or capability.get("amx_bf16"))


def resolve_precision(precision: str) -> str:
    """``auto`` -> ``bfloat16`` on a CPU with native bfloat16, else ``float32``; others unchanged."""
    if precision not in PRECISIONS:
        raise ValueError(f"train.precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return precision


def autocast(precision: str) -> AbstractContextManager:
    """The context a forward pass runs in for a resolved ``precision``."""
    if precision == "bfloat16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return nullcontext()


def to_float(output: torch.Tensor | tuple[torch.Tensor, ...]) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """A head's output in float32 (losses are computed in float32 whatever the forward ran in)."""
    if isinstance(output, tuple):
        return tuple(o.float() for o in output)
    return output.float()
