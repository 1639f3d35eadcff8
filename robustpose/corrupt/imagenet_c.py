"""ImageNet-C corruptions (the 15 of COCO-C/MPII-C/OCHuman-C and the 4 extra) via imagecorruptions.

The library (the maintained fork ``imagecorruptions-imaug``) draws from numpy's global state,
and impulse noise / glass blur draw from their own generators unless given ``seed=``. We derive
one 32-bit seed from the caller's generator, seed the global state with it for the duration of
the call (then restore it), and pass the same seed to the two functions that take one, so the
output depends only on ``rng``.
"""
from __future__ import annotations

import numpy as np

from robustpose.corrupt.registry import register
from robustpose.seeding import legacy_seed

# Wang et al. / Hendrycks & Dietterich categories, in the paper's column order.
IMAGENET_C = {
    "gaussian_noise": "noise", "shot_noise": "noise", "impulse_noise": "noise",
    "defocus_blur": "blur", "glass_blur": "blur", "motion_blur": "blur", "zoom_blur": "blur",
    "snow": "weather", "frost": "weather", "fog": "weather", "brightness": "weather",
    "contrast": "digital", "elastic_transform": "digital", "pixelate": "digital",
    "jpeg_compression": "digital",
}
IMAGENET_C_EXTRA = {
    "speckle_noise": "noise", "gaussian_blur": "blur", "spatter": "weather", "saturate": "digital",
}
_TAKES_SEED = {"impulse_noise", "glass_blur"}


def _library_call(image: np.ndarray, name: str, severity: int, seed: int | None) -> np.ndarray:
    """Call imagecorruptions with numpy's global state seeded by ``seed`` and then restored."""
    import imagecorruptions  # heavy (numba); imported on first use

    state = np.random.get_state()
    try:
        kwargs = {}
        if seed is not None:
            np.random.seed(seed)
            if name in _TAKES_SEED:
                kwargs["seed"] = seed
        return imagecorruptions.corrupt(image, severity=severity, corruption_name=name, **kwargs)
    finally:
        np.random.set_state(state)


def reference(image: np.ndarray, name: str, severity: int) -> np.ndarray:
    """The original COCO-C recipe: ``np.random.seed(1)`` then ``imagecorruptions.corrupt``.

    Global state is seeded (not restored-around) exactly as the reference scripts did; impulse
    noise and glass blur get no explicit seed there, so they are not reproducible in that recipe.
    """
    import imagecorruptions

    np.random.seed(1)
    return imagecorruptions.corrupt(image, severity=severity, corruption_name=name)


def _make(name: str):
    def fn(image: np.ndarray, severity: int, rng: np.random.Generator, context: dict | None = None) -> np.ndarray:
        return _library_call(image, name, severity, legacy_seed(rng))

    fn.__name__ = name
    fn.__doc__ = f"ImageNet-C {name} (imagecorruptions algorithm and constants), seeded from rng."
    return fn


for _name, _cat in IMAGENET_C.items():
    register("imagenet_c", _cat)(_make(_name))
for _name, _cat in IMAGENET_C_EXTRA.items():
    register("imagenet_c_extra", _cat)(_make(_name))
