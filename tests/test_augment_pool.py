"""AdvMix's augmentation pool: exclusions, no benchmark corruption, PIL-exact pixel ops,
keypoints that follow geometric ops, aligned and reproducible proposals."""
from __future__ import annotations

import ast
import dataclasses
import inspect

import numpy as np
import pytest
from PIL import Image, ImageOps

from robustpose._registry import Registry
from robustpose.seeding import rng_for
from robustpose.train import augment_pool as pool

H, W, K = 64, 48, 17


def _sample(seed: int = 0) -> pool.Sample:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    xy = np.column_stack([rng.uniform(2, W - 3, K), rng.uniform(2, H - 3, K)])
    return image, xy, np.ones(K, np.float32)


def test_policy_drops_exactly_the_excluded_and_geometric_operations():
    ops = lambda subs: {op for sub in subs for op, _, _ in sub}  # noqa: E731
    assert len(pool.IMAGENET_POLICY) == 25
    assert ops(pool.policy(False)) == {"solarize", "autocontrast", "equalize", "invert"}
    assert ops(pool.policy(True)) == {"solarize", "autocontrast", "equalize", "invert", "rotate", "shear_x"}
    # posterize+posterize and twice color+contrast become empty and go: 22 remain; without
    # geometry posterize+rotate and twice rotate+color go too: 19
    assert len(pool.policy(True)) == 22 and len(pool.policy(False)) == 19
    assert set(pool.EXCLUDED_OPS) == {"contrast", "brightness", "color", "sharpness", "posterize"}
    assert not set(pool.EXCLUDED_OPS) & set(pool.OPS)
    with pytest.raises(KeyError, match="excluded"):
        pool.apply_op(_sample(), "posterize", 5, rng_for(0))


def test_pool_never_calls_a_benchmark_corruption(monkeypatch):
    """Every registered corruption (and the public apply functions) raises; the pool must not care."""
    import robustpose.corrupt as corrupt
    from robustpose.corrupt import imagenet_c, posebench, registry

    def forbidden(*args, **kwargs):
        raise AssertionError("the augmentation pool called a benchmark corruption")

    forbidding = Registry(registry._REGISTRY.kind)
    for name, entry in registry._REGISTRY.items():
        forbidding.register(name, dataclasses.replace(entry, fn=forbidden))
        for module in (imagenet_c, posebench):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, forbidden)
    monkeypatch.setattr(registry, "_REGISTRY", forbidding)
    monkeypatch.setattr(corrupt, "apply", forbidden)
    monkeypatch.setattr(corrupt, "apply_reference", forbidden)
    with pytest.raises(AssertionError):   # the patch is live
        corrupt.apply(_sample()[0], "fog", 1, 0)

    calls = 0
    for i in range(150):
        sample = _sample(i)
        calls += len(pool.proposals(sample, rng_for(0, "p", i), k=3))
        pool.sequential(sample, rng_for(0, "s", i), k=3, geometric=True)
        for family in pool.AUGMENTATIONS.values():
            family(sample, rng_for(0, "f", i), True)
    assert calls == 600
    # and statically: the pool module imports nothing from robustpose.corrupt
    tree = ast.parse(inspect.getsource(pool))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m and "corrupt" in m]


@pytest.mark.parametrize("op, pil", [
    ("equalize", ImageOps.equalize),
    ("autocontrast", ImageOps.autocontrast),
    ("invert", ImageOps.invert),
])
def test_pixel_ops_equal_pil(op, pil):
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
              rng.integers(40, 90, (H, W, 3), dtype=np.uint8),             # narrow range: real stretch
              np.clip(rng.normal(100, 8, (H, W, 3)), 0, 255).astype(np.uint8),
              np.full((H, W, 3), 77, np.uint8)]                            # flat: identity
    for image in images:
        ours = pool.apply_op((image, np.zeros((K, 2)), np.ones(K)), op, 0, rng_for(0))[0]
        np.testing.assert_array_equal(ours, np.asarray(pil(Image.fromarray(image))))


@pytest.mark.parametrize("level", [0, 4, 9])
def test_solarize_equals_pil(level):
    image = np.random.default_rng(level).integers(0, 256, (H, W, 3), dtype=np.uint8)
    threshold = pool.magnitude("solarize", level)
    ours = pool.apply_op((image, np.zeros((K, 2)), np.ones(K)), "solarize", level, rng_for(0))[0]
    np.testing.assert_array_equal(ours, np.asarray(ImageOps.solarize(Image.fromarray(image), threshold)))


def _dot_sample(xy: np.ndarray) -> pool.Sample:
    image = np.zeros((H, W, 3), np.uint8)
    for x, y in np.round(xy).astype(int):
        image[y - 2:y + 3, x - 2:x + 3] = 255
    return image, xy, np.ones(len(xy), np.float32)


@pytest.mark.parametrize("op", sorted(pool.GEOMETRIC_OPS))
def test_geometric_ops_move_keypoints_with_the_pixels(op):
    """A bright dot drawn at each keypoint stays under the transformed keypoint; keypoints that
    leave the crop become invisible, the others keep their visibility."""
    xy = np.array([[W / 2, H / 2], [4.0, 4.0], [W - 5.0, H - 5.0], [W - 5.0, 6.0], [8.0, H - 8.0]])
    left = 0
    for level in (3, 9):
        for seed in range(4):
            image, moved, vis = pool.apply_op(_dot_sample(xy), op, level, rng_for(0, op, level, seed))
            inside = (moved[:, 0] >= 0) & (moved[:, 0] < W) & (moved[:, 1] >= 0) & (moved[:, 1] < H)
            np.testing.assert_array_equal(vis, inside.astype(np.float32))
            left += int((~inside).sum())
            for (x, y), v in zip(np.round(moved).astype(int), vis):
                if v and 0 <= x < W and 0 <= y < H:
                    assert image[y, x].min() > 200, (op, level, seed, x, y)
            assert not np.array_equal(moved, xy)
    # the corner keypoints do leave the crop at level 9 for every op but the centre-preserving ones
    if op.startswith("translate"):
        assert left > 0


def test_geometric_fill_is_grey_and_pixel_ops_keep_keypoints():
    image, xy, vis = _sample()
    out, _, _ = pool.apply_op((image, xy, vis), "translate_x", 9, rng_for(1))
    assert (out == 128).all(axis=2).any(axis=0).sum() >= 20    # ~43 columns brought in, grey
    for op in ("equalize", "autocontrast", "invert", "solarize"):
        _, xy2, vis2 = pool.apply_op((image, xy, vis), op, 5, rng_for(0))
        np.testing.assert_array_equal(xy2, xy)
        np.testing.assert_array_equal(vis2, vis)


def test_proposals_are_aligned_reproducible_and_leave_the_input_alone():
    sample = _sample(5)
    before = [a.copy() for a in sample]
    props = pool.proposals(sample, rng_for(0, "x"), k=3)
    again = pool.proposals(sample, rng_for(0, "x"), k=3)
    assert len(props) == 4
    np.testing.assert_array_equal(props[0][0], sample[0])
    for (img, xy, vis), (img2, _, _) in zip(props, again):
        assert img.shape == (H, W, 3) and img.dtype == np.uint8
        np.testing.assert_array_equal(img, img2)
        np.testing.assert_array_equal(xy, sample[1])
        np.testing.assert_array_equal(vis, sample[2])
    for a, b in zip(sample, before):
        np.testing.assert_array_equal(a, b)
    # across draws the augmented proposals differ from the original most of the time
    changed = sum(not np.array_equal(p[0], sample[0])
                  for i in range(20) for p in pool.proposals(sample, rng_for(1, i), k=3)[1:])
    assert changed >= 40
    assert [pool.proposal_family(i) for i in (1, 2, 3)] == ["autoaugment", "gridmask", "autoaugment"]


def test_gridmask_drops_a_lattice_of_squares_with_the_mean_colour():
    applied, fractions = 0, []
    for i in range(200):
        image = np.full((H, W, 3), 255, np.uint8)
        out, _, _ = pool.gridmask((image, np.zeros((K, 2)), np.ones(K)), rng_for(2, i))
        dropped = (out != 255).any(axis=2)
        if dropped.any():
            applied += 1
            fractions.append(dropped.mean())
            assert (out[dropped] == pool.GRIDMASK["fill"]).all()
    assert 0.6 < applied / 200 < 0.8                     # prob 0.7
    # squares of side d - round(d/2), period d: 1/9 (d = 3) to 1/4 of an infinite plane; a crop
    # as small as a few periods can hold more (whole squares, partial bands)
    assert 0.09 < min(fractions) and max(fractions) < 0.5 and 0.15 < np.mean(fractions) < 0.3


def test_sequential_moves_keypoints_only_with_geometric_ops():
    sample = _sample(7)
    for i in range(30):
        _, xy, vis = pool.sequential(sample, rng_for(3, i), k=3, geometric=False)
        np.testing.assert_array_equal(xy, sample[1])
    moved = 0
    for i in range(30):
        _, xy, vis = pool.sequential(sample, rng_for(3, i), k=3, geometric=True)
        moved += not np.array_equal(xy, sample[1])
        assert (vis <= sample[2]).all()
    assert moved >= 5


def test_bad_samples_are_rejected():
    image, xy, vis = _sample()
    with pytest.raises(TypeError, match="uint8"):
        pool.proposals((image.astype(np.float32), xy, vis), rng_for(0))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        pool.proposals((image[..., 0], xy, vis), rng_for(0))
    with pytest.raises(ValueError, match="keypoints"):
        pool.proposals((image, xy[:, :1], vis), rng_for(0))
    with pytest.raises(ValueError, match="k"):
        pool.proposals((image, xy, vis), rng_for(0), k=0)
