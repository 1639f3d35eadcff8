"""Image filters of the corruptions that must give the same bits on every x86-64 CPU.

``cv2.filter2D`` and ``cv2.GaussianBlur`` on float images pick FMA / AVX kernels (and, for
large kernels, a DFT) by CPU, and defocus blur truncates their output to uint8, so a last-bit
difference flipped pixels between machines: on the embedded val split, 32 of 400 defocused
images differed with SIMD dispatch lowered. These filters do the same correlation with fixed-order
float64 multiply-adds (``robustpose.portable``), at 1 grey level of OpenCV's result; this module
only adds OpenCV's kernel-size conventions.
"""
from __future__ import annotations

import numpy as np

from robustpose import portable as pm

correlate = pm.correlate           # cv2.filter2D(image, -1, kernel), reflected border
gaussian_kernel = pm.gaussian_taps  # cv2.getGaussianKernel(size, sigma), sigma > 0


def gaussian_blur(image: np.ndarray, size: int, sigma: float) -> np.ndarray:
    """``cv2.GaussianBlur(image, (size, size), sigma)``: separable, reflected border, float64."""
    k = gaussian_kernel(size, sigma)
    return correlate(correlate(image, k[None, :]), k[:, None])


__all__ = ["correlate", "gaussian_blur", "gaussian_kernel"]
