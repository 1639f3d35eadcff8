"""The corruption registry: one decorator maps a name to a function with one contract.

Contract (every entry): ``fn(image, severity, rng, context) -> image`` where ``image`` is uint8
(H, W, 3) RGB, ``severity`` an int in 1..5, ``rng`` a ``numpy.random.Generator`` that must be the
only source of randomness, and ``context`` an optional dict with ``boxes`` (N,4 xyxy) and
``keypoints`` (N,K,3) for corruptions that depend on where the people are. The output has the
input's shape and dtype.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

CorruptionFn = Callable[[np.ndarray, int, np.random.Generator, Optional[dict]], np.ndarray]

FAMILIES = ("imagenet_c", "imagenet_c_extra", "posebench")
SEVERITIES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Corruption:
    name: str
    family: str
    category: str
    fn: CorruptionFn


_REGISTRY: dict[str, Corruption] = {}


def register(family: str, category: str, name: str | None = None) -> Callable[[CorruptionFn], CorruptionFn]:
    """Register ``fn`` under its function name (or ``name``); a duplicate name is an error."""
    if family not in FAMILIES:
        raise ValueError(f"unknown corruption family {family!r}; expected one of {FAMILIES}")

    def deco(fn: CorruptionFn) -> CorruptionFn:
        key = name or fn.__name__
        if key in _REGISTRY:
            raise KeyError(f"corruption {key!r} is already registered")
        _REGISTRY[key] = Corruption(key, family, category, fn)
        return fn

    return deco


def names(family: str | None = None, pattern: str = "*") -> list[str]:
    """Registered names in registration order, optionally filtered by family and wildcard."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown corruption family {family!r}; expected one of {FAMILIES}")
    return [c.name for c in _REGISTRY.values()
            if (family is None or c.family == family) and fnmatch.fnmatchcase(c.name, pattern)]


def get(name: str) -> Corruption:
    """The registry entry for ``name``; an unknown name lists the valid ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown corruption {name!r}; valid names: {', '.join(_REGISTRY)}") from None


def check_names(requested: list[str]) -> None:
    """Raise one error naming every unknown corruption in ``requested``."""
    unknown = [n for n in requested if n not in _REGISTRY]
    if unknown:
        raise ValueError(f"unknown corruption(s) {unknown}; valid names: {', '.join(_REGISTRY)}")


def category_of(name: str) -> str:
    return get(name).category
