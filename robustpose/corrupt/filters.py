"""Image filters of the corruptions that must give the same bits on every x86-64 CPU.

``cv2.filter2D`` and ``cv2.GaussianBlur`` on float images pick FMA / AVX kernels (and, for
large kernels, a DFT) by CPU, and defocus blur truncates their output to uint8, so a last-bit
difference flipped pixels between machines: on the embedded val split, 32 of 400 defocused
images differed with SIMD dispatch lowered. These filters do the same correlation with fixed-order
float64 multiply-adds (``robustpose.portable``), at 1 grey level of OpenCV's result.
"""
from __future__ import annotations

import numpy as np

from robustpose import portable as pm


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    """OpenCV's ``getGaussianKernel(size, sigma)`` (sigma > 0): normalised, float64."""
    if size % 2 != 1 or sigma <= 0:
        raise ValueError(f"gaussian_kernel: odd size and sigma > 0 needed, got {size}, {sigma}")
    t = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    k = np.asarray(pm.exp(-(t * t) / (2.0 * sigma * sigma)))
    return k / np.add.reduce(k)


def correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``cv2.filter2D(image, -1, kernel)`` for an (H, W[, C]) image and an odd 2-D kernel:
    correlation, anchor at the centre, reflected border (dcb|abcd|cba); float64 result."""
    kh, kw = kernel.shape
    if kh % 2 != 1 or kw % 2 != 1:
        raise ValueError(f"correlate: the kernel must have odd sides, got {kernel.shape}")
    img = np.asarray(image, np.float64)
    ry, rx = kh // 2, kw // 2
    pad = [(ry, ry), (rx, rx)] + [(0, 0)] * (img.ndim - 2)
    padded = np.pad(img, pad, mode="reflect")
    h, w = img.shape[:2]
    out = np.zeros(img.shape, np.float64)
    for i in range(kh):
        for j in range(kw):
            weight = float(kernel[i, j])
            if weight != 0.0:
                out += weight * padded[i:i + h, j:j + w]
    return out


def gaussian_blur(image: np.ndarray, size: int, sigma: float) -> np.ndarray:
    """``cv2.GaussianBlur(image, (size, size), sigma)``: separable, reflected border, float64."""
    k = gaussian_kernel(size, sigma)
    return correlate(correlate(image, k[None, :]), k[:, None])


__all__ = ["correlate", "gaussian_blur", "gaussian_kernel"]
