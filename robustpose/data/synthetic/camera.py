"""The camera's photometry: what turns a painted (float, channel-first) image into a photo."""
from __future__ import annotations

import numpy as np

from robustpose import portable as pm


def photograph(rng: np.random.Generator, painted: np.ndarray) -> np.ndarray:
    """Photometric variation of a real camera: exposure, contrast, gamma, haze and lens softness.

    Real training photos vary in all of these, so a model trained on COCO is not destroyed by
    a mild change of contrast or by a slightly soft image; without this step a model trained on
    perfectly crisp, fully saturated renders collapses under fog/contrast/defocus long before
    motion and zoom blur, the opposite of what the papers observe on real data. The ranges are
    mild (well inside severity 1 of the ImageNet-C corruptions). No sensor noise on purpose:
    clean images stay noise-free so that the noise corruptions are a real shift, and PNG
    encoding of noisy pixels costs ~2x more time and space.

    Args:
        painted: float (3, H, W) in 0..255, as the painters draw it.
    Returns:
        uint8 (H, W, 3), C-contiguous.
    """
    img = painted.transpose(1, 2, 0)
    mean = img.mean(axis=(0, 1), keepdims=True)
    img = (img - mean) * rng.uniform(0.6, 1.1) + mean + rng.uniform(-25.0, 25.0)  # contrast, exposure
    if rng.random() < 0.3:                                                       # haze / veiling glare
        veil = rng.uniform(150.0, 235.0)
        img = img + (veil - img) * rng.uniform(0.1, 0.35)
    img = 255.0 * pm.power(np.clip(img, 0, 255) / 255.0, rng.uniform(0.8, 1.25))  # gamma
    if rng.random() < 0.4:                                                       # lens softness
        sigma = rng.uniform(0.3, 1.0)
        img = pm.gaussian_blur(img, sigma)
    return np.ascontiguousarray(np.clip(np.rint(img), 0, 255).astype(np.uint8))
