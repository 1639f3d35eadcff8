"""MPJPE / P-MPJPE against independent computations (hand-worked cases, known transforms)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from robustpose.evaluate.mpjpe import (mpjpe, mpjpe_per_joint, p_mpjpe, p_mpjpe_per_joint, per_joint_errors,
                                       pose_errors, procrustes_align)


def _poses(n: int = 4, j: int = 17, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.3, size=(n, j, 3))


def test_mpjpe_hand_computation():
    target = np.zeros((1, 3, 3))
    pred = np.array([[[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 2.0]]])   # errors 5, 0, 3
    assert mpjpe(pred, target) == pytest.approx(8.0 / 3.0)
    np.testing.assert_allclose(per_joint_errors(pred, target), [[5.0, 0.0, 3.0]])
    np.testing.assert_allclose(mpjpe_per_joint(pred, target), [5.0, 0.0, 3.0])


def test_per_joint_mean_over_poses():
    target = np.zeros((2, 2, 3))
    pred = np.array([[[1.0, 0, 0], [0, 2.0, 0]], [[3.0, 0, 0], [0, 0, 0]]])
    np.testing.assert_allclose(mpjpe_per_joint(pred, target), [2.0, 1.0])
    assert mpjpe(pred, target) == pytest.approx(1.5)


def test_p_mpjpe_zero_for_similarity_transform_while_mpjpe_is_large():
    target = _poses()
    rot = Rotation.from_euler("xyz", [30, -50, 110], degrees=True).as_matrix()
    pred = 1.7 * target @ rot.T + np.array([0.5, -2.0, 3.0])
    # the MPJPE of the transformed copy, computed independently joint by joint
    hand = np.mean([np.sqrt(((pred[n, j] - target[n, j]) ** 2).sum()) for n in range(4) for j in range(17)])
    assert mpjpe(pred, target) == pytest.approx(hand)
    assert hand > 1.0
    assert p_mpjpe(pred, target) == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(procrustes_align(pred, target), target, atol=1e-9)
    np.testing.assert_allclose(p_mpjpe_per_joint(pred, target), 0.0, atol=1e-9)


def test_p_mpjpe_does_not_allow_reflections():
    """A mirrored pose is not a similarity transform: P-MPJPE must stay > 0."""
    target = _poses(n=1)
    mirrored = target * np.array([-1.0, 1.0, 1.0])
    assert p_mpjpe(mirrored, target) > 0.05


def test_p_mpjpe_matches_independent_optimum():
    """Against scipy's orthogonal Procrustes + the closed-form scale on one noisy pose."""
    from scipy.linalg import orthogonal_procrustes

    rng = np.random.default_rng(3)
    target = _poses(n=1, seed=1)[0]
    pred = 0.8 * target @ Rotation.from_euler("z", 40, degrees=True).as_matrix().T + rng.normal(0, 0.05, target.shape)
    X, Y = pred - pred.mean(0), target - target.mean(0)
    R, s = orthogonal_procrustes(X, Y)          # argmin |X R - Y|, s = sum of singular values
    scale = s / (X ** 2).sum()
    expected = np.linalg.norm(scale * X @ R + target.mean(0) - target, axis=1).mean()
    assert p_mpjpe(pred[None], target[None]) == pytest.approx(expected, rel=1e-9)
    assert p_mpjpe(pred[None], target[None]) < mpjpe(pred[None], target[None])


def test_pose_errors_reports_mm():
    target = np.zeros((2, 17, 3))
    pred = target.copy()
    pred[:, 5, 0] = 0.017              # 17 mm on one joint of 17
    out = pose_errors(pred, target)
    assert out["mpjpe"] == pytest.approx(1.0)
    assert out["per_joint"][5] == pytest.approx(17.0)
    assert len(out["per_joint"]) == 17


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="must both be"):
        mpjpe(np.zeros((2, 17, 3)), np.zeros((2, 16, 3)))
