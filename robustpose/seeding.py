"""Seeds derived from names, so every random draw is reproducible and independent.

A draw for one (params seed, dataset, image, corruption, severity) must not depend on what was
drawn before it, on the worker that runs it, or on Python's per-process hash salt. We hash the
parts with sha256 (stable across processes) into entropy for ``numpy.random.SeedSequence``.
"""
from __future__ import annotations

import hashlib

import numpy as np


def derive_entropy(*parts: object) -> int:
    """A 128-bit integer from the string forms of ``parts`` (order-sensitive, process-stable)."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8"))
    return int.from_bytes(h.digest()[:16], "little")


def seed_sequence(*parts: object) -> np.random.SeedSequence:
    return np.random.SeedSequence(derive_entropy(*parts))


def rng_for(*parts: object) -> np.random.Generator:
    """A PCG64 generator seeded from ``parts``, e.g. ``rng_for(seed, "coco", "001.jpg", "fog", 3)``."""
    return np.random.Generator(np.random.PCG64(seed_sequence(*parts)))


def legacy_seed(rng: np.random.Generator) -> int:
    """A 32-bit seed for code that only accepts ``np.random.seed`` / ``RandomState``."""
    return int(rng.integers(0, 2**32 - 1, dtype=np.uint64))
