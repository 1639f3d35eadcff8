"""AdvMix's augmentation pool: GridMask and AutoAugment on top-down crops, keypoints kept in step.

Wang et al. 2021 ("When Human Pose Estimation Meets Robustness", sec. 3.2.1) build each
training sample's ``k`` augmented proposals with Grid-Mask (Chen 2020) and AutoAugment's ImageNet
policy (Cubuk et al. 2019), "manually exclud[ing] some operations, such as contrast, color,
brightness, and sharpness sub-policies (as they appear in the benchmark)". Everything here works
on one *sample*: a crop (H, W, 3) uint8, its keypoints (K, 2) in crop pixels and their
visibility (K,) in {0, 1}; every random draw comes from the ``numpy.random.Generator`` passed in.

Exclusions (``EXCLUDED_OPS``): the paper's rule is "nothing that appears in the benchmark". It
names contrast, color, brightness and sharpness (COCO-C has contrast and brightness, ImageNet-C's
extra ``saturate`` is AutoAugment's color). We also drop **posterize**: our benchmark includes
PoseBench, whose colour quantization is the same operation (uniform per-channel quantization), so
the rule excludes it here even though the released AdvMix code (written before PoseBench) kept
it. An excluded operation is removed from its sub-policy and the other half is kept; a
sub-policy left empty is removed (``policy``). Solarize, equalize, autocontrast and invert match
no corruption (autocontrast *stretches* the range, the contrast corruption shrinks it).

Geometry: AutoAugment's rotate/shear/translate move the keypoints with the pixels (one 2x3
matrix for both) and a keypoint that leaves the crop becomes invisible, as in
``topdown.augmented_sample``. They are off by default (``geometric=False``): AdvMix mixes the
proposals pixel by pixel under ONE set of labels, so every proposal must stay aligned with the
original (a rotated proposal would blend in ghost limbs with no label). The released AdvMix code
commented out every rotate/shear sub-policy for the same reason. Strategies that output one
image (sequential, single AutoAugment) may turn them on.

GridMask drops a regular lattice of squares; keypoints under a square keep their label (an
occluded joint is still where it is, as COCO labels it v=1, and predicting it is exactly the
skill an occlusion benchmark scores). The released code zeroed those joints instead.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

import cv2
import numpy as np

Sample = tuple[np.ndarray, np.ndarray, np.ndarray]   # crop (H,W,3) uint8, xy (K,2) px, vis (K,)
Op = Callable[[Sample, float, np.random.Generator], Sample]
SubPolicy = tuple[tuple[str, float, int], ...]          # ((operation, probability, level 0..9), ...)

LEVELS = 10   # AutoAugment quantises every magnitude into 10 levels (0..9)

# AutoAugment's magnitude ranges, level 0 -> level 9 (Cubuk et al. 2019, Table 6 / released code).
MAGNITUDE_RANGES: dict[str, tuple[float, float]] = {
    "shear_x": (0.0, 0.3),              # shear factor
    "shear_y": (0.0, 0.3),
    "translate_x": (0.0, 150 / 331),    # fraction of the crop width (150 px of 331 in the paper)
    "translate_y": (0.0, 150 / 331),
    "rotate": (0.0, 30.0),              # degrees
    "solarize": (256.0, 0.0),           # threshold: pixels >= it are inverted
}

# The ImageNet policy as published (Cubuk et al. 2019, Appendix, 25 sub-policies), operation names
# in snake_case. Kept verbatim so the filtering below is visible and testable.
IMAGENET_POLICY: tuple[SubPolicy, ...] = (
    (("posterize", 0.4, 8), ("rotate", 0.6, 9)),
    (("solarize", 0.6, 5), ("autocontrast", 0.6, 5)),
    (("equalize", 0.8, 8), ("equalize", 0.6, 3)),
    (("posterize", 0.6, 7), ("posterize", 0.6, 6)),
    (("equalize", 0.4, 7), ("solarize", 0.2, 4)),
    (("equalize", 0.4, 4), ("rotate", 0.8, 8)),
    (("solarize", 0.6, 3), ("equalize", 0.6, 7)),
    (("posterize", 0.8, 5), ("equalize", 1.0, 2)),
    (("rotate", 0.2, 3), ("solarize", 0.6, 8)),
    (("equalize", 0.6, 8), ("posterize", 0.4, 6)),
    (("rotate", 0.8, 8), ("color", 0.4, 0)),
    (("rotate", 0.4, 9), ("equalize", 0.6, 2)),
    (("equalize", 0.0, 7), ("equalize", 0.8, 8)),
    (("invert", 0.6, 4), ("equalize", 1.0, 8)),
    (("color", 0.6, 4), ("contrast", 1.0, 8)),
    (("rotate", 0.8, 8), ("color", 1.0, 2)),
    (("color", 0.8, 8), ("solarize", 0.8, 7)),
    (("sharpness", 0.4, 7), ("invert", 0.6, 8)),
    (("shear_x", 0.6, 5), ("equalize", 1.0, 9)),
    (("color", 0.4, 0), ("equalize", 0.6, 3)),
    (("equalize", 0.4, 7), ("solarize", 0.2, 4)),
    (("solarize", 0.6, 5), ("autocontrast", 0.6, 5)),
    (("invert", 0.6, 4), ("equalize", 1.0, 8)),
    (("color", 0.6, 4), ("contrast", 1.0, 8)),
    (("equalize", 0.8, 8), ("equalize", 0.6, 3)),
)

# Operations of the policy that are never applied, and why (the module docstring has the rule).
EXCLUDED_OPS: dict[str, str] = {
    "contrast": "COCO-C/PoseBench 'contrast' (excluded by the paper, sec. 3.2.1)",
    "brightness": "COCO-C/PoseBench 'brightness' (excluded by the paper)",
    "color": "saturation: ImageNet-C extra 'saturate' (excluded by the paper)",
    "sharpness": "sharpen/blur axis of the blur corruptions (excluded by the paper)",
    "posterize": "PoseBench 'color_quantization' is the same operation (our benchmark includes PoseBench)",
}

GEOMETRIC_OPS = frozenset({"rotate", "shear_x", "shear_y", "translate_x", "translate_y"})

FILL = (128, 128, 128)   # colour of pixels a geometric op brings in (AutoAugment's fillcolor)

# GridMask settings of the released AdvMix code (Chen 2020's grid, no grid rotation).
GRIDMASK = {
    "prob": 0.7,        # chance the mask is applied at all
    "ratio": 0.5,       # kept stripe width l = ratio * d: drops (d-l)^2/d^2 = 25% of the pixels
    "d_min": 2,         # grid period d ~ U[d_min, min(H, W)) pixels
    # Dropped pixels take the ImageNet mean colour: the released code zeroed *normalised*
    # tensors, i.e. painted the mean; it is also not PoseBench's black-square mask corruption.
    "fill": (124, 116, 104),
}


# --------------------------------------------------------------------------------------------
# Contract checks


def check_sample(sample: Sample) -> Sample:
    """Validate a (crop, xy, vis) triple and return it with float64 xy / float32 vis.

    Raises:
        TypeError: the crop is not a uint8 array.
        ValueError: wrong shapes (crop (H,W,3), xy (K,2), vis (K,)).
    """
    image, xy, vis = sample
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise TypeError(f"crop must be a uint8 numpy array, got {getattr(image, 'dtype', type(image))}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"crop must be (H, W, 3), got shape {image.shape}")
    xy = np.asarray(xy, dtype=np.float64)
    vis = np.asarray(vis, dtype=np.float32)
    if xy.ndim != 2 or xy.shape[1] != 2 or vis.shape != (xy.shape[0],):
        raise ValueError(f"keypoints must be (K, 2) with visibility (K,), got {xy.shape} and {vis.shape}")
    return image, xy, vis


def magnitude(op: str, level: int) -> float:
    """AutoAugment's magnitude of ``op`` at ``level`` (0..9), linear between the range ends."""
    lo, hi = MAGNITUDE_RANGES[op]
    return lo + (hi - lo) * level / (LEVELS - 1)


# --------------------------------------------------------------------------------------------
# Pixel operations (keypoints untouched). Lookup tables follow PIL's ImageOps exactly, so a
# test can compare with PIL (what AutoAugment's reference implementations call).


def _apply_luts(image: np.ndarray, luts: np.ndarray) -> np.ndarray:
    """Per-channel lookup: ``luts`` (3, 256) uint8."""
    return np.stack([luts[c][image[..., c]] for c in range(3)], axis=-1)


def _autocontrast_lut(hist: np.ndarray) -> np.ndarray:
    nonzero = np.flatnonzero(hist)
    lo, hi = nonzero[0], nonzero[-1]
    if hi <= lo:
        return np.arange(256, dtype=np.uint8)
    scale = 255.0 / (hi - lo)
    lut = (np.arange(256) * scale - lo * scale).astype(np.int64)   # int(): truncation, as PIL
    return np.clip(lut, 0, 255).astype(np.uint8)


def _equalize_lut(hist: np.ndarray) -> np.ndarray:
    used = hist[hist > 0]
    if len(used) <= 1:
        return np.arange(256, dtype=np.uint8)
    step = (int(used.sum()) - int(used[-1])) // 255
    if step == 0:
        return np.arange(256, dtype=np.uint8)
    before = np.concatenate([[0], np.cumsum(hist)[:-1]])       # pixels below each level
    return np.clip((step // 2 + before) // step, 0, 255).astype(np.uint8)


def _histograms(image: np.ndarray) -> list[np.ndarray]:
    return [np.bincount(image[..., c].ravel(), minlength=256) for c in range(3)]


def autocontrast(sample: Sample, mag: float, rng: np.random.Generator) -> Sample:
    """Stretch each channel so its darkest value becomes 0 and its brightest 255."""
    image, xy, vis = sample
    return _apply_luts(image, np.stack([_autocontrast_lut(h) for h in _histograms(image)])), xy, vis


def equalize(sample: Sample, mag: float, rng: np.random.Generator) -> Sample:
    """Histogram equalisation per channel (PIL's algorithm)."""
    image, xy, vis = sample
    return _apply_luts(image, np.stack([_equalize_lut(h) for h in _histograms(image)])), xy, vis


def invert(sample: Sample, mag: float, rng: np.random.Generator) -> Sample:
    image, xy, vis = sample
    return 255 - image, xy, vis


def solarize(sample: Sample, mag: float, rng: np.random.Generator) -> Sample:
    """Invert every pixel value >= ``mag`` (threshold 256 = identity)."""
    image, xy, vis = sample
    return np.where(image >= mag, 255 - image, image).astype(np.uint8), xy, vis


# --------------------------------------------------------------------------------------------
# Geometric operations: one 2x3 matrix moves pixels and keypoints alike.


def _signed(mag: float, rng: np.random.Generator) -> float:
    """AutoAugment negates a geometric magnitude with probability 1/2."""
    return mag if rng.random() < 0.5 else -mag


def _centre(image: np.ndarray) -> tuple[float, float]:
    """Crop centre in pixel-centre coordinates (pixel (col, row) is the point x=col, y=row)."""
    h, w = image.shape[:2]
    return (w - 1) / 2.0, (h - 1) / 2.0


def warp_sample(sample: Sample, matrix: np.ndarray) -> Sample:
    """Apply a 2x3 affine ``matrix`` (crop -> crop pixels) to the crop and its keypoints.

    Pixels brought in from outside take ``FILL``; a keypoint that lands outside the crop is
    made invisible (same bounds as ``topdown.augmented_sample``).
    """
    image, xy, vis = sample
    h, w = image.shape[:2]
    out = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=FILL)
    moved = xy @ matrix[:, :2].T + matrix[:, 2]
    inside = (moved[:, 0] >= 0) & (moved[:, 0] < w) & (moved[:, 1] >= 0) & (moved[:, 1] < h)
    return out, moved, (vis * inside).astype(np.float32)


def rotate(sample: Sample, mag: float, rng: np.random.Generator) -> Sample:
    """Rotate by +-``mag`` degrees about the crop centre (where the top-down crop put the person)."""
    return warp_sample(sample, cv2.getRotationMatrix2D(_centre(sample[0]), _signed(mag, rng), 1.0))


def shear_x(sample: Sample, mag: float, rng: np.random.Generator) -> Sample:
    """x += s * (y - cy): sheared about the centre row (PIL shears about row 0, which at our
    crop heights would push the feet ~40 px sideways and out of a 96 px crop)."""
    s = _signed(mag, rng)
    cy = _centre(sample[0])[1]
    return warp_sample(sample, np.array([[1.0, s, -s * cy], [0.0, 1.0, 0.0]]))


def shear_y(sample: Sample, mag: float, rng: np.random.Generator) -> Sample:
    """y += s * (x - cx), about the centre column."""
    s = _signed(mag, rng)
    cx = _centre(sample[0])[0]
    return warp_sample(sample, np.array([[1.0, 0.0, 0.0], [s, 1.0, -s * cx]]))


def translate_x(sample: Sample, mag: float, rng: np.random.Generator) -> Sample:
    """Shift by +-``mag`` x crop width."""
    t = _signed(mag, rng) * sample[0].shape[1]
    return warp_sample(sample, np.array([[1.0, 0.0, t], [0.0, 1.0, 0.0]]))


def translate_y(sample: Sample, mag: float, rng: np.random.Generator) -> Sample:
    """Shift by +-``mag`` x crop height."""
    t = _signed(mag, rng) * sample[0].shape[0]
    return warp_sample(sample, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, t]]))


# Every operation the pool can apply; the excluded ones have no implementation at all.
OPS: dict[str, Op] = {
    "autocontrast": autocontrast, "equalize": equalize, "invert": invert, "solarize": solarize,
    "rotate": rotate, "shear_x": shear_x, "shear_y": shear_y,
    "translate_x": translate_x, "translate_y": translate_y,
}


@lru_cache(maxsize=2)
def policy(geometric: bool = False) -> tuple[SubPolicy, ...]:
    """The ImageNet policy with ``EXCLUDED_OPS`` (and, unless ``geometric``, the geometric ops)
    removed from each sub-policy; sub-policies left empty are dropped."""
    dropped = set(EXCLUDED_OPS) | (set() if geometric else set(GEOMETRIC_OPS))
    kept = (tuple(step for step in sub if step[0] not in dropped) for sub in IMAGENET_POLICY)
    return tuple(sub for sub in kept if sub)


def apply_op(sample: Sample, op: str, level: int, rng: np.random.Generator) -> Sample:
    """Apply one pool operation at AutoAugment ``level`` 0..9.

    Raises:
        KeyError: ``op`` is excluded or unknown (the message lists the available ones).
    """
    if op not in OPS:
        why = f" (excluded: {EXCLUDED_OPS[op]})" if op in EXCLUDED_OPS else ""
        raise KeyError(f"unknown pool operation {op!r}{why}; available: {', '.join(OPS)}")
    mag = magnitude(op, level) if op in MAGNITUDE_RANGES else 0.0
    return OPS[op](sample, mag, rng)


# --------------------------------------------------------------------------------------------
# The two augmentation families and the proposals built from them


def autoaugment(sample: Sample, rng: np.random.Generator, geometric: bool = False) -> Sample:
    """One sub-policy of the filtered ImageNet policy, drawn uniformly; each of its operations
    is applied with its own probability (AutoAugment's recipe)."""
    image, xy, vis = check_sample(sample)
    sample = (image.copy(), xy.copy(), vis.copy())   # never alias the caller's arrays
    subs = policy(geometric)
    for op, prob, level in subs[int(rng.integers(len(subs)))]:
        if rng.random() < prob:
            sample = apply_op(sample, op, level, rng)
    return sample


def gridmask_mask(hw: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """(H, W) bool, True where GridMask drops the pixel: squares of side d - l, period d.

    Draw order and ranges as the released AdvMix code: d ~ U[d_min, min(H, W)),
    l = clip(round(ratio * d), 1, d - 1), independent offsets in [0, d) per axis.
    """
    h, w = hw
    d = int(rng.integers(GRIDMASK["d_min"], max(GRIDMASK["d_min"] + 1, min(h, w))))
    keep = min(max(int(d * GRIDMASK["ratio"] + 0.5), 1), d - 1)
    off_y, off_x = int(rng.integers(d)), int(rng.integers(d))
    row_kept = ((np.arange(h) - off_y) % d) < keep
    col_kept = ((np.arange(w) - off_x) % d) < keep
    return ~row_kept[:, None] & ~col_kept[None, :]


def gridmask(sample: Sample, rng: np.random.Generator, geometric: bool = False) -> Sample:
    """GridMask (Chen 2020) with probability ``GRIDMASK['prob']``; keypoints and labels unchanged
    (``geometric`` is accepted for a uniform signature: GridMask moves nothing)."""
    image, xy, vis = check_sample(sample)
    if rng.random() >= GRIDMASK["prob"]:
        return image.copy(), xy, vis
    out = image.copy()
    out[gridmask_mask(image.shape[:2], rng)] = GRIDMASK["fill"]
    return out, xy, vis


AUGMENTATIONS: dict[str, Callable[..., Sample]] = {"autoaugment": autoaugment, "gridmask": gridmask}

# Proposal i (1..k) uses family PROPOSAL_FAMILIES[(i - 1) % 2]: every sample gets both families
# in fixed channels, as the released code's [original, autoaugment, gridmask] (k = 2), extended
# cyclically to the paper's k = 3. Fixed channels let the generator learn per-family attention.
PROPOSAL_FAMILIES: tuple[str, ...] = ("autoaugment", "gridmask")


def proposal_family(i: int) -> str:
    """Family of augmented proposal ``i`` (1-based; 0 is the original)."""
    if i < 1:
        raise ValueError(f"proposal index must be >= 1 (0 is the original), got {i}")
    return PROPOSAL_FAMILIES[(i - 1) % len(PROPOSAL_FAMILIES)]


def proposals(sample: Sample, rng: np.random.Generator, k: int = 3,
              geometric: bool = False) -> list[Sample]:
    """The original plus ``k`` independently augmented versions of it (AdvMix's k + 1 proposals).

    Returns:
        ``k + 1`` samples; index 0 is a copy of the input. With ``geometric=False`` (the default,
        required for pixel mixing) every proposal has the input's keypoints and visibility.

    Raises:
        ValueError: ``k < 1`` or a malformed sample.
    """
    if int(k) < 1:
        raise ValueError(f"k (augmented proposals per sample) must be >= 1, got {k}")
    image, xy, vis = check_sample(sample)
    out = [(image.copy(), xy.copy(), vis.copy())]
    for i in range(1, int(k) + 1):
        out.append(AUGMENTATIONS[proposal_family(i)]((image, xy, vis), rng, geometric))
    return out


def sequential(sample: Sample, rng: np.random.Generator, k: int = 3, geometric: bool = False) -> Sample:
    """SequentialMix (the paper's ablation, sec. 5.3): the ``k`` augmentations that would be
    proposals, applied one after another to a single image (keypoints follow each step)."""
    if int(k) < 1:
        raise ValueError(f"k (augmentations in the chain) must be >= 1, got {k}")
    sample = check_sample(sample)
    for i in range(1, int(k) + 1):
        sample = AUGMENTATIONS[proposal_family(i)](sample, rng, geometric)
    return sample


__all__ = ["Sample", "IMAGENET_POLICY", "EXCLUDED_OPS", "GEOMETRIC_OPS", "GRIDMASK", "OPS",
           "AUGMENTATIONS", "PROPOSAL_FAMILIES", "policy", "apply_op", "autoaugment", "gridmask",
           "gridmask_mask", "proposals", "sequential", "warp_sample", "check_sample", "magnitude"]
