"""The corruption registry: one decorator maps a name to a function with one contract.

Contract (every entry): ``fn(image, severity, rng, context) -> image`` where ``image`` is uint8
(H, W, 3) RGB, ``severity`` an int in 1..5, ``rng`` a ``numpy.random.Generator`` that must be the
only source of randomness, and ``context`` an optional dict with ``boxes`` (N,4 xyxy) and
``keypoints`` (N,K,3) for corruptions that depend on where the people are. The output has the
input's shape and dtype.

A corruption can belong to several benchmarks ("families") with a different category in each:
PoseBench reuses ImageNet-C's motion blur, noises, pixelate, JPEG, brightness and contrast but
groups them as blur/noise, compression/colour loss, lighting and masks. One implementation,
one name, several memberships: results stay comparable across the benchmarks.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from robustpose._registry import Registry

CorruptionFn = Callable[[np.ndarray, int, np.random.Generator, Optional[dict]], np.ndarray]

BENCHMARK_FAMILIES = ("imagenet_c", "imagenet_c_extra", "posebench")
SEVERITIES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Corruption:
    name: str
    fn: CorruptionFn
    categories: dict[str, str] = field(default_factory=dict)   # family -> category, primary first

    @property
    def family(self) -> str:
        return next(iter(self.categories))

    @property
    def category(self) -> str:
        return self.categories[self.family]


_REGISTRY: Registry[Corruption] = Registry("corruption")
_MEMBERS: dict[str, list[str]] = {f: [] for f in BENCHMARK_FAMILIES}   # family -> names in benchmark order


def _check_family(family: str) -> None:
    if family not in BENCHMARK_FAMILIES:
        raise ValueError(f"unknown corruption family {family!r}; expected one of {BENCHMARK_FAMILIES}")


def register(family: str, category: str, name: str | None = None) -> Callable[[CorruptionFn], CorruptionFn]:
    """Register ``fn`` under its function name (or ``name``); a duplicate name is an error."""
    _check_family(family)

    def deco(fn: CorruptionFn) -> CorruptionFn:
        key = name or fn.__name__
        _REGISTRY.register(key, Corruption(key, fn, {family: category}))
        _MEMBERS[family].append(key)
        return fn

    return deco


def add_member(family: str, category: str, name: str) -> None:
    """Make the registered corruption ``name`` also part of ``family`` (in ``category``)."""
    _check_family(family)
    entry = get(name)
    if family in entry.categories:
        raise KeyError(f"corruption {name!r} is already in family {family!r}")
    entry.categories[family] = category
    _MEMBERS[family].append(name)


def names(family: str | None = None, pattern: str = "*") -> list[str]:
    """Registered names, optionally one family's (in that benchmark's order) and a wildcard."""
    if family is None:
        return _REGISTRY.names(pattern)
    _check_family(family)
    return [n for n in _MEMBERS[family] if fnmatch.fnmatchcase(n, pattern)]


def get(name: str) -> Corruption:
    """The registry entry for ``name``; an unknown name lists the valid ones."""
    return _REGISTRY.get(name)


def check_names(requested: list[str]) -> None:
    """Raise one error naming every unknown corruption in ``requested``."""
    _REGISTRY.check_names(requested)


def category_of(name: str, family: str | None = None) -> str:
    """``name``'s category in ``family`` (default: the family it was first registered in)."""
    entry = get(name)
    if family is None:
        return entry.category
    if family not in entry.categories:
        raise KeyError(f"corruption {name!r} is not part of family {family!r} "
                       f"(it is in {sorted(entry.categories)})")
    return entry.categories[family]


def benchmark_sets(requested: list[str]) -> dict[str, list[str]]:
    """The corruption sets a model's robustness is averaged over: ``{benchmark: members}``.

    Every benchmark evaluated in full gets its own set, in ``BENCHMARK_FAMILIES`` order, so an
    evaluation of 18 corruptions yields Wang et al.'s COCO-C mean over its 15 and PoseBench's over
    its 10 (seven are shared), never one mean over all 18 that neither paper defines. When no
    benchmark is complete (a quick subset), the whole requested set is one set, named after the
    family that holds it (``"custom"`` when none does).
    """
    requested = list(requested)
    complete = {f: names(f) for f in BENCHMARK_FAMILIES if set(names(f)) <= set(requested)}
    return complete or {benchmark_family(requested) or "custom": requested}


def benchmark_category(name: str, benchmark: str) -> str:
    """``name``'s category in ``benchmark`` (a family, or ``"custom"``: its primary category)."""
    return category_of(name, benchmark if benchmark in BENCHMARK_FAMILIES else None)


def benchmark_family(requested: list[str]) -> str | None:
    """The first family (in ``BENCHMARK_FAMILIES`` order) that holds every one of ``requested``: the
    benchmark a corruption set belongs to, whose categories its tables should use."""
    for family in BENCHMARK_FAMILIES:
        if all(family in get(n).categories for n in requested):
            return family
    return None
