"""3D pose errors: MPJPE and P-MPJPE (Procrustes-aligned), overall and per joint.

MPJPE (Protocol #1 of Human3.6M papers): the mean Euclidean distance between predicted and
ground-truth joints, both root-relative, in the poses' unit (we report mm). P-MPJPE (Protocol
#2): the same after aligning each predicted pose to its ground truth with the similarity
transform (rotation, uniform scale, translation) that minimises the squared error (Umeyama
1991 / the orthogonal Procrustes problem, reflections excluded), as VideoPose3D's ``p_mpjpe``.
"""
from __future__ import annotations

import numpy as np


def _check(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, target = np.asarray(pred, np.float64), np.asarray(target, np.float64)
    if pred.shape != target.shape or pred.ndim < 2 or pred.shape[-1] != 3:
        raise ValueError(f"pred {pred.shape} and target {target.shape} must both be (..., J, 3)")
    return pred, target


def per_joint_errors(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Euclidean error of every joint of every pose: ``(..., J, 3)`` -> ``(..., J)``."""
    pred, target = _check(pred, target)
    return np.linalg.norm(pred - target, axis=-1)


def mpjpe(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean per-joint position error over all poses and joints (unit of the inputs)."""
    return float(per_joint_errors(pred, target).mean())


def mpjpe_per_joint(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """MPJPE of each joint, averaged over poses: ``(N, J, 3)`` -> ``(J,)``."""
    return per_joint_errors(pred, target).reshape(-1, np.shape(pred)[-2]).mean(axis=0)


def procrustes_align(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Each pose of ``pred`` ``(N, J, 3)`` aligned to ``target`` by the best similarity transform.

    For centred point sets ``X`` (pred) and ``Y`` (target): ``U S V^T = svd(X^T Y)``,
    rotation ``R = U D V^T`` with ``D = diag(1, 1, sign det(U V^T))`` (no reflection), scale
    ``s = tr(S D) / |X|^2``, aligned ``s X R + mean(Y)``.
    """
    pred, target = _check(pred, target)
    shape = pred.shape
    X = pred.reshape(-1, shape[-2], 3)
    Y = target.reshape(-1, shape[-2], 3)
    mu_x, mu_y = X.mean(axis=1, keepdims=True), Y.mean(axis=1, keepdims=True)
    X0, Y0 = X - mu_x, Y - mu_y
    U, S, Vt = np.linalg.svd(np.einsum("nji,njk->nik", X0, Y0))
    sign = np.sign(np.linalg.det(U @ Vt))
    sign[sign == 0] = 1.0
    D = np.ones_like(S)
    D[:, -1] = sign
    R = U @ (D[:, :, None] * Vt)
    norm_x = (X0 ** 2).sum(axis=(1, 2))
    scale = (S * D).sum(axis=1) / np.where(norm_x > 0, norm_x, 1.0)
    aligned = scale[:, None, None] * (X0 @ R) + mu_y
    return aligned.reshape(shape)


def p_mpjpe(pred: np.ndarray, target: np.ndarray) -> float:
    """MPJPE after per-pose Procrustes alignment (rotation, scale, translation)."""
    return mpjpe(procrustes_align(pred, target), target)


def p_mpjpe_per_joint(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """P-MPJPE of each joint, averaged over poses: ``(N, J, 3)`` -> ``(J,)``."""
    return mpjpe_per_joint(procrustes_align(pred, target), target)


def pose_errors(pred: np.ndarray, target: np.ndarray, unit_scale: float = 1000.0) -> dict:
    """MPJPE, P-MPJPE and per-joint MPJPE of root-relative poses, scaled to mm (m -> mm default).

    Returns:
        ``{"mpjpe": float, "p_mpjpe": float, "per_joint": [float] * J}``.
    """
    pred, target = _check(pred, target)
    pred, target = pred * unit_scale, target * unit_scale
    per_joint = mpjpe_per_joint(pred, target)
    return {"mpjpe": float(per_joint.mean()), "p_mpjpe": p_mpjpe(pred, target),
            "per_joint": [float(v) for v in per_joint]}
