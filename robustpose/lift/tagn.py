"""TAGN: Temporal Additive Gaussian Noise on the 2D inputs of a lifter during training.

Hoang et al. (2024) augment the 2D input sequences of a pose lifter with additive Gaussian noise
that is coherent over time, so that the lifter learns to expect detector errors that persist for
several frames (what occlusion, blur and noise do to a detector) rather than only independent
per-frame jitter. The paper text available to us does not give the process, so we use the
simplest process with those properties and document it here:

Noise model, per training window ``b`` (T frames, J joints, 2 coordinates):

    a_b        ~ U(0, sigma_max) * s_b            amplitude, drawn once per window
    e_t        = rho * e_{t-1} + sqrt(1 - rho^2) * z_t,   z_t ~ N(0, I),   e_0 ~ N(0, I)
    x'_{t,j}   = x_{t,j} + a_b * e_{t,j}          for the x, y channels; confidence unchanged

``e`` is a stationary AR(1) (Ornstein-Uhlenbeck sampled at the frame rate): unit variance and
autocorrelation ``rho^k`` at lag ``k`` frames, independent across joints and coordinates.
``s_b`` is the person's height in the window in input units (median over frames of the keypoint
box height), so the amplitude is relative to the body, like the 2D errors it stands for. A
fraction ``prob`` of windows is augmented; the rest stay clean so clean accuracy is kept.

Defaults (params.yaml ``lift.tagn_*``; none chosen on the corrupted test sets): ``sigma_max = 0.03``
(up to 3 % of the body height: the largest of 0.03 / 0.05 / 0.08 that raises the clean
validation error by at most 3 %, notes/lift.md), ``rho = 0.8`` (correlation time -1/ln(rho) =
4.5 frames = 90 ms at 50 fps, a priori), ``prob = 0.5`` (a priori). TAGN stays a generic noise
model: it knows nothing of the benchmark's corruptions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TAGNConfig:
    """TAGN's settings. params.yaml is the source (``lift.tagn_sigma``, ``tagn_rho``, ``tagn_prob``,
    through ``robustpose.lift.setup``); the defaults are its values, for tests, and
    tests/test_param_defaults.py fails when they drift apart."""
    sigma_max: float = 0.03   # largest noise std, fraction of the person's 2D height
    rho: float = 0.8          # lag-1 autocorrelation of the noise over frames, in [0, 1)
    prob: float = 0.5         # fraction of training windows that get noise

    def __post_init__(self) -> None:
        if not 0 < self.sigma_max <= 1:
            raise ValueError(f"lift.tagn_sigma must be in (0, 1], got {self.sigma_max}")
        if not 0 <= self.rho < 1:
            raise ValueError(f"lift.tagn_rho must be in [0, 1), got {self.rho}")
        if not 0 < self.prob <= 1:
            raise ValueError(f"lift.tagn_prob must be in (0, 1], got {self.prob}")


def ar1_filter(T: int, rho: float) -> np.ndarray:
    """Lower-triangular ``L`` ``(T, T)`` with ``e = L z`` the AR(1) above for white ``z``.

    ``e_t = rho^t z_0 + sqrt(1 - rho^2) sum_{1<=s<=t} rho^(t-s) z_s``: the recursion unrolled, so
    a whole batch is one matmul instead of a Python loop over frames.
    """
    lag = np.arange(T)[:, None] - np.arange(T)[None, :]
    L = np.where(lag >= 0, rho ** np.maximum(lag, 0), 0.0) * np.sqrt(1.0 - rho * rho)
    L[:, 0] = rho ** np.arange(T)
    return L


def ar1_noise(shape: tuple[int, ...], rho: float, rng: np.random.Generator) -> np.ndarray:
    """Stationary unit-variance AR(1) noise along axis 1 of ``shape`` (batch, time, ...), float32."""
    z = rng.standard_normal(shape, dtype=np.float32)
    L = ar1_filter(shape[1], rho).astype(np.float32)
    return (L @ z.reshape(shape[0], shape[1], -1)).reshape(shape)


def add_tagn(batch: np.ndarray, config: TAGNConfig, rng: np.random.Generator) -> np.ndarray:
    """A TAGN-augmented copy of ``batch`` ``(B, T, J, 3)`` (x, y in any unit, then confidence).

    Returns:
        ``(B, T, J, 3)`` float32: x, y plus noise as documented above; confidence untouched.
    """
    if batch.ndim != 4 or batch.shape[-1] != 3:
        raise ValueError(f"expected a (B, T, J, 3) batch, got shape {batch.shape}")
    B, T, J, _ = batch.shape
    out = batch.astype(np.float32, copy=True)
    scale = np.median(np.ptp(batch[..., 1], axis=2), axis=1)                 # (B,) body height
    amplitude = rng.uniform(0.0, config.sigma_max, size=B) * scale
    amplitude *= rng.random(B) < config.prob
    noise = ar1_noise((B, T, J, 2), config.rho, rng)
    out[..., :2] += amplitude.astype(np.float32)[:, None, None, None] * noise
    return out
