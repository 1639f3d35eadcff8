"""The fast corruptions against imagecorruptions, and their determinism.

Equivalence: given the same random draws, every ImageNet-C corruption (15 + 4) at every severity
gives exactly the library's bytes (motion blur: within one grey level in under 1 % of values, as
the library's own output depends on the CPU's exp). Our functions draw through the numpy API, so a legacy
``RandomState(s)`` reproduces the draws the library makes after ``np.random.seed(s)``; impulse
noise draws from ``default_rng(seed)`` in both; glass blur seeds numba's generator in both.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustpose import corrupt
from robustpose._io import pixel_digest
from robustpose.corrupt import imagenet_c
from robustpose.corrupt.registry import get

IMAGENET = corrupt.names("imagenet_c") + corrupt.names("imagenet_c_extra")
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "coco"


def _structured(h: int, w: int) -> np.ndarray:
    """Gradients, a saturated block and a grey block: edges, clipping and hue-less pixels."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // w, y * 255 // h, (x * y) % 256], axis=2).astype(np.uint8)
    img[h // 4:h // 2, w // 4:w // 2] = (255, 250, 10)
    img[h // 2:3 * h // 4, w // 2:3 * w // 4] = 128
    return img


def _matching_draws(name: str, seed: int):
    """(rng for our function, seed for ``imagenet_c.library``) that make the same draws."""
    if name == "impulse_noise":
        return np.random.default_rng(seed), seed
    if name == "glass_blur":
        return np.random.default_rng(seed), imagenet_c.numba_seed(np.random.default_rng(seed))
    return np.random.RandomState(seed), seed


def _images() -> list[np.ndarray]:
    images = [_structured(97, 131)]   # odd sizes: zoom/crop rounding and edge handling
    files = sorted(REALDATA.glob("*.jpg"))
    if files:
        from PIL import Image

        images.append(np.asarray(Image.open(files[0]).convert("RGB").resize((160, 120))))
    return images


@pytest.mark.parametrize("name", IMAGENET)
def test_every_severity_equals_the_library_given_the_same_draws(name):
    for image in _images():
        for severity in corrupt.SEVERITIES:
            rng, lib_seed = _matching_draws(name, 100 + severity)
            ours = np.uint8(np.clip(get(name).fn(image, severity, rng, None), 0, 255))
            expected = imagenet_c.library(image, name, severity, lib_seed)
            diff = np.abs(ours.astype(int) - expected)
            # motion blur's kernel uses portable exp/sin/cos: the library's numpy exp differs
            # between CPUs (AVX-512 vs SSE) in the last bit, so it can only be matched to a rounding step
            worst, share = (1, 0.01) if name == "motion_blur" else (0, 0.0)
            assert diff.max() <= worst and np.mean(diff > 0) <= share, (
                f"{name} severity {severity} {image.shape}: {np.mean(diff > 0):.2%} of values differ, "
                f"by up to {diff.max()}")


@pytest.mark.slow
@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata/coco is not available")
@pytest.mark.parametrize("name", ["zoom_blur", "elastic_transform", "glass_blur", "snow", "fog", "brightness"])
def test_full_size_real_image_equals_the_library(name):
    from PIL import Image

    image = np.asarray(Image.open(sorted(REALDATA.glob("*.jpg"))[1]).convert("RGB"))
    for severity in (1, 5):
        rng, lib_seed = _matching_draws(name, severity)
        ours = np.uint8(np.clip(get(name).fn(image, severity, rng, None), 0, 255))
        np.testing.assert_array_equal(ours, imagenet_c.library(image, name, severity, lib_seed))


def test_apply_is_the_registered_function_truncated_to_uint8():
    image = _structured(64, 80)
    for name in ("fog", "zoom_blur", "brightness"):
        expected = np.uint8(np.clip(get(name).fn(image, 4, np.random.default_rng(9), None), 0, 255))
        np.testing.assert_array_equal(corrupt.apply(image, name, 4, 9), expected)


# -------------------------------------------------------------------------------- determinism
CONTEXT = {"boxes": np.array([[4.0, 6.0, 30.0, 40.0]]), "keypoints": np.array([[[10.0, 12.0, 2.0], [20.0, 30.0, 1.0]]])}


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(corrupt.names()), severity=st.integers(1, 5), seed=st.integers(0, 2**63 - 1),
       h=st.integers(32, 56), w=st.integers(32, 56), pixels=st.integers(0, 2**32 - 1))
def test_same_arguments_same_bytes_whatever_ran_before(name, severity, seed, h, w, pixels):
    image = np.random.default_rng(pixels).integers(0, 256, (h, w, 3), dtype=np.uint8)
    first = corrupt.apply(image, name, severity, seed, CONTEXT)
    # disturb every piece of hidden state a corruption could lean on, then repeat
    np.random.seed(seed % 2**32)
    corrupt.apply(image[::-1].copy(), "glass_blur", 5, seed + 1)
    corrupt.apply(image, "frost", 1 + severity % 5, seed + 2)
    np.testing.assert_array_equal(corrupt.apply(image, name, severity, seed, CONTEXT), first)


def test_every_corruption_gives_the_same_digest_in_a_fresh_process():
    image = _structured(48, 64)
    names = corrupt.names()
    here = [pixel_digest(corrupt.apply(image, n, s, 7, CONTEXT)) for n in names for s in (2, 5)]
    code = ("import numpy as np, sys; sys.path.insert(0, 'tests');"
            "from test_corrupt_equivalence import _structured, CONTEXT;"
            "from robustpose import corrupt; from robustpose._io import pixel_digest;"
            "img = _structured(48, 64);"
            "print([pixel_digest(corrupt.apply(img, n, s, 7, CONTEXT)) for n in reversed(corrupt.names()) "
            "for s in (5, 2)])")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
                         env={**os.environ, "PYTHONPATH": str(root)})
    there = eval(out.stdout.strip().splitlines()[-1])   # noqa: S307 - our own subprocess's list of hex strings
    # the subprocess ran in reverse order: order must not matter either
    assert list(reversed(there)) == here
