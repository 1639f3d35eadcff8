"""Image corruptions: registry, seeded application and dataset-level generation.

Public API: ``names``, ``apply``, ``apply_reference``, ``category_of``, ``benchmark_family``, ``benchmark_sets``, ``benchmark_category``,
``check_names``.
"""
from __future__ import annotations

import numpy as np

from robustpose.corrupt import imagenet_c as _imagenet_c  # registers the ImageNet-C entries
from robustpose.corrupt import posebench as _posebench  # registers PoseBench's corruptions
from robustpose.corrupt.registry import (SEVERITIES, benchmark_category, benchmark_family, benchmark_sets, category_of,
                                         check_names, get, names)

__all__ = ["names", "apply", "apply_reference", "category_of", "benchmark_family", "benchmark_sets",
           "benchmark_category", "check_names", "SEVERITIES"]


def _as_rgb(image: np.ndarray) -> tuple[np.ndarray, str]:
    """RGB view of a grayscale, RGB or RGBA uint8 image, and which kind it was."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise TypeError(f"expected a uint8 numpy image, got {getattr(image, 'dtype', type(image))}")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2), "gray"
    if image.ndim == 3 and image.shape[2] == 3:
        return image, "rgb"
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3]), "rgba"
    if image.ndim == 3 and image.shape[2] == 1:
        return np.repeat(image, 3, axis=2), "gray1"
    raise ValueError(f"expected an HxW, HxWx1, HxWx3 or HxWx4 image, got shape {image.shape}")


def _restore(out: np.ndarray, original: np.ndarray, kind: str) -> np.ndarray:
    """Back to the input's layout: grey = rounded channel mean; RGBA keeps its alpha untouched."""
    if kind == "rgb":
        return out
    if kind in ("gray", "gray1"):
        grey = np.round(out.astype(np.float32).mean(axis=2)).astype(np.uint8)
        return grey if kind == "gray" else grey[:, :, None]
    return np.concatenate([out, original[:, :, 3:4]], axis=2)


def _check_severity(severity: int) -> int:
    if int(severity) != severity or severity not in SEVERITIES:
        raise ValueError(f"severity must be an integer in 1..5, got {severity!r}")
    return int(severity)


def apply(image: np.ndarray, name: str, severity: int, seed: int | np.random.Generator,
          context: dict | None = None) -> np.ndarray:
    """Corrupt ``image`` with ``name`` at ``severity``; output depends only on the arguments.

    Args:
        image: uint8 HxW, HxWx3 or HxWx4 (alpha passes through unchanged).
        name: a registered corruption (see ``names()``).
        severity: 1..5.
        seed: an int or a ``numpy.random.Generator``; every random draw comes from it.
        context: ``{"boxes": (N,4) xyxy, "keypoints": (N,K,3)}`` for person-aware corruptions.
    """
    entry = get(name)
    severity = _check_severity(severity)
    rgb, kind = _as_rgb(image)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = entry.fn(rgb, severity, rng, context)
    out = np.asarray(out)
    if out.shape != rgb.shape:
        raise AssertionError(f"{name} changed the shape {rgb.shape} -> {out.shape}")
    return _restore(np.clip(out, 0, 255).astype(np.uint8), image, kind)


def apply_reference(image: np.ndarray, name: str, severity: int) -> np.ndarray:
    """The original COCO-C recipe: ``np.random.seed(1)`` then ``imagecorruptions.corrupt``."""
    if name not in _imagenet_c.IMAGENET_C and name not in _imagenet_c.IMAGENET_C_EXTRA:
        raise KeyError(f"{name!r} has no reference implementation; it is not an ImageNet-C corruption")
    severity = _check_severity(severity)
    rgb, kind = _as_rgb(image)
    return _restore(_imagenet_c.reference(rgb, name, severity), image, kind)
