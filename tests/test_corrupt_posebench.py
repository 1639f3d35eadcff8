"""PoseBench family: membership/order, and the three corruptions ImageNet-C does not have."""
from __future__ import annotations

import numpy as np
import pytest

from robustpose import corrupt
from robustpose.corrupt.posebench import SEVERITY_TABLE

NEW = ("color_quantization", "darkness", "mask")
RANDOM = ("darkness", "mask")
BOX = (20.0, 10.0, 60.0, 50.0)          # xyxy, 40 x 40 pixels: sqrt(area) = 40


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """48x64 RGB with many colours (three gradients), a bright square and no pure-black pixel."""
    y, x = np.mgrid[0:48, 0:64]
    img = np.stack([x * 4, y * 5, (x + y) * 2], axis=2)
    img[10:30, 20:40] = 230
    return np.clip(img, 1, 255).astype(np.uint8)


def _context(boxes: list[tuple[float, ...]], keypoints: list[list[tuple[float, float, float]]] | None = None) -> dict:
    ctx = {"boxes": np.asarray(boxes, dtype=np.float64).reshape(-1, 4)}
    if keypoints is not None:
        ctx["keypoints"] = np.asarray(keypoints, dtype=np.float64)
    return ctx


@pytest.fixture(scope="module")
def person() -> dict:
    """One person in BOX with 5 visible joints and one unlabelled joint far outside the box."""
    joints = [(25, 15, 2), (55, 15, 2), (40, 30, 1), (25, 45, 2), (55, 45, 2), (2, 2, 0)]
    return _context([BOX], [joints])


def _run(image: np.ndarray, name: str, severity: int, seed: int, ctx: dict) -> np.ndarray:
    return corrupt.apply(image, name, severity, seed, ctx if name == "mask" else None)


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


# ------------------------------------------------------------------------------------ registry

def test_posebench_order_and_categories():
    expected = {
        "motion_blur": "blur_noise", "gaussian_noise": "blur_noise", "impulse_noise": "blur_noise",
        "pixelate": "compression_color", "jpeg_compression": "compression_color",
        "color_quantization": "compression_color",
        "brightness": "lighting", "darkness": "lighting", "contrast": "lighting",
        "mask": "masks",
    }
    assert corrupt.names("posebench") == list(expected)
    assert {n: corrupt.category_of(n, "posebench") for n in expected} == expected


def test_reused_corruptions_keep_their_imagenet_c_category_and_new_ones_are_posebench_only():
    assert corrupt.category_of("brightness") == "weather"
    assert corrupt.category_of("motion_blur") == "blur"
    assert corrupt.category_of("darkness") == "lighting"
    assert not set(NEW) & set(corrupt.names("imagenet_c"))
    with pytest.raises(KeyError, match="not part of family"):
        corrupt.category_of("mask", "imagenet_c")


def test_severity_table_has_five_values_per_constant():
    for name in NEW:
        for key, values in SEVERITY_TABLE[name].items():
            assert len(values) == 5, f"{name}.{key}"


# ------------------------------------------------------------------------------- all three new

@pytest.mark.parametrize("name", NEW)
def test_contract_and_same_seed_same_bytes(image, person, name):
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    a = _run(image, name, 3, 7, person)
    b = corrupt.apply(image, name, 3, np.random.default_rng(7), person if name == "mask" else None)
    assert a.shape == image.shape and a.dtype == np.uint8
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, image)
    np.testing.assert_array_equal(np.random.get_state()[1], state)   # global state not used


@pytest.mark.parametrize("name", RANDOM)
def test_different_seeds_differ(image, name):
    ctx = _context([BOX])       # no keypoints: square centres are drawn uniformly in the box
    assert not np.array_equal(_run(image, name, 3, 0, ctx), _run(image, name, 3, 1, ctx))


def test_color_quantization_ignores_the_seed(image):
    np.testing.assert_array_equal(corrupt.apply(image, "color_quantization", 2, 0),
                                  corrupt.apply(image, "color_quantization", 2, 99))


@pytest.mark.parametrize("name", NEW)
def test_damage_rises_with_severity(image, person, name):
    mad = [_mad(_run(image, name, s, 0, person), image) for s in corrupt.SEVERITIES]
    assert all(a < b for a, b in zip(mad, mad[1:])), mad


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("layout", ["gray", "rgba"])
def test_grayscale_and_rgba_through_apply(image, person, name, layout):
    if layout == "gray":
        src = image[:, :, 1].copy()
    else:
        alpha = np.arange(image.shape[0] * image.shape[1], dtype=np.uint8).reshape(image.shape[:2])
        src = np.concatenate([image, alpha[:, :, None]], axis=2)
    out = _run(src, name, 4, 0, person)
    assert out.shape == src.shape and out.dtype == np.uint8
    assert not np.array_equal(out, src)
    if layout == "rgba":
        np.testing.assert_array_equal(out[:, :, 3], src[:, :, 3])
    np.testing.assert_array_equal(out, _run(src, name, 4, 0, person))


# ---------------------------------------------------------------------------- colour quantization

def test_color_quantization_colour_count_falls_and_respects_the_bound(image):
    counts = []
    for severity in corrupt.SEVERITIES:
        out = corrupt.apply(image, "color_quantization", severity, 0)
        counts.append(len(np.unique(out.reshape(-1, 3), axis=0)))
        levels = SEVERITY_TABLE["color_quantization"]["levels"][severity - 1]
        assert counts[-1] <= levels ** 3
        assert all(len(np.unique(out[:, :, c])) <= levels for c in range(3))
    assert all(a > b for a, b in zip(counts, counts[1:])), counts


def test_color_quantization_reconstructs_at_bin_centres():
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    for severity in corrupt.SEVERITIES:
        levels = SEVERITY_TABLE["color_quantization"]["levels"][severity - 1]
        out = corrupt.apply(ramp, "color_quantization", severity, 0)
        error = np.abs(out.astype(np.int16) - ramp.astype(np.int16)).max()
        assert error <= 128 / levels + 0.5, (severity, error)   # half a bin: centres, not edges


# ------------------------------------------------------------------------------------- darkness

def test_darkness_gets_darker_with_severity(image):
    means = [corrupt.apply(image, "darkness", s, 0).mean() for s in corrupt.SEVERITIES]
    assert image.mean() > means[0]
    assert all(a > b for a, b in zip(means, means[1:])), means


def test_darkness_is_noisy_not_just_scaled():
    flat = np.full((32, 32, 3), 128, dtype=np.uint8)
    out = corrupt.apply(flat, "darkness", 3, 0)
    assert out.std() > 1.0, "sensor noise missing: a flat grey stayed flat"


# ------------------------------------------------------------------------------------------ mask

def _half_side(severity: int) -> int:
    side = SEVERITY_TABLE["mask"]["side"][severity - 1] * 40.0
    return int(np.ceil(side / 2.0)) + 1


@pytest.mark.parametrize("severity", [1, 5])
def test_mask_changes_only_to_black_near_the_box(image, person, severity):
    out = corrupt.apply(image, "mask", severity, 0, context=person)
    changed = np.any(out != image, axis=2)
    assert changed.any()
    assert np.all(out[changed] == 0)
    ys, xs = np.nonzero(changed)
    h = _half_side(severity)
    assert xs.min() >= BOX[0] - h and xs.max() < BOX[2] + h
    assert ys.min() >= BOX[1] - h and ys.max() < BOX[3] + h
    assert not changed[:6, :6].any(), "the unlabelled (v=0) joint at (2, 2) was masked"


def test_mask_prefers_visible_joints(image):
    ctx = _context([BOX], [[(25, 15, 2), (2, 2, 0)]])
    out = corrupt.apply(image, "mask", 1, 0, context=ctx)   # one square, one visible joint
    assert np.all(out[15, 25] == 0)


def test_mask_fraction_grows_with_severity(image, person):
    fractions = [float(np.all(corrupt.apply(image, "mask", s, 0, context=person) == 0, axis=2).mean())
                 for s in corrupt.SEVERITIES]
    assert all(a < b for a, b in zip(fractions, fractions[1:])), fractions


def test_mask_squares_are_clipped_to_the_image(image):
    ctx = _context([(0.0, 0.0, 30.0, 30.0)], [[(0, 0, 2), (63, 47, 0)]])
    out = corrupt.apply(image, "mask", 1, 0, context=ctx)
    assert np.all(out[0, 0] == 0) and out.shape == image.shape


def test_mask_skips_zero_area_boxes(image, person):
    with_empty = _context([BOX, (5.0, 5.0, 5.0, 30.0)], [person["keypoints"][0], np.zeros((6, 3)) + [5, 5, 2]])
    np.testing.assert_array_equal(corrupt.apply(image, "mask", 3, 0, context=with_empty),
                                  corrupt.apply(image, "mask", 3, 0, context=person))
    only_empty = _context([(5.0, 5.0, 5.0, 30.0)])
    np.testing.assert_array_equal(corrupt.apply(image, "mask", 3, 0, context=only_empty), image)


@pytest.mark.parametrize("ctx", [None, {"keypoints": np.zeros((0, 0, 3))}])
def test_mask_without_annotations_is_a_clear_error(image, ctx):
    with pytest.raises(ValueError, match="mask corruption needs context with person boxes"):
        corrupt.apply(image, "mask", 3, seed=0, context=ctx)


def test_mask_of_an_image_without_people_is_the_image(image):
    empty = {"boxes": np.zeros((0, 4)), "keypoints": np.zeros((0, 17, 3))}
    np.testing.assert_array_equal(corrupt.apply(image, "mask", 5, seed=0, context=empty), image)


def test_mask_via_public_apply_with_keyword_context(image, person):
    out = corrupt.apply(image, "mask", 3, seed=0, context=person)
    assert out.shape == image.shape and (out == 0).all(axis=2).any()


def test_a_corruption_set_is_grouped_by_the_benchmark_it_belongs_to():
    posebench = corrupt.names("posebench")
    assert corrupt.benchmark_family(posebench) == "posebench"
    assert corrupt.benchmark_family(["brightness", "fog"]) == "imagenet_c"
    assert corrupt.benchmark_family(["brightness", "darkness"]) == "posebench"
    assert corrupt.benchmark_family(["fog", "darkness"]) is None
    assert corrupt.category_of("fog", corrupt.benchmark_family(["fog", "brightness"])) == "weather"
