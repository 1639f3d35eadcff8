"""ImageNet-C corruptions (the 15 of COCO-C/MPII-C/OCHuman-C and the 4 extra), re-implemented.

Same algorithms and constants as ``imagecorruptions`` (Hendrycks & Dietterich; the maintained
fork ``imagecorruptions-imaug`` 1.1.5 that installs here), but:

- **every random draw comes from the caller's ``rng``** (a ``numpy.random.Generator``; a legacy
  ``RandomState`` works too and then reproduces the library's draws under ``np.random.seed``);
  glass blur seeds numba's generator from ``rng``, impulse noise draws from ``rng`` itself;
- **fast**: the slow whole-array passes (scipy zoom, gaussian_filter, map_coordinates,
  scikit-image HSV, the shifted-copy motion blur) are numba loops in ``_kernels`` that do the
  same float operations in the same order, and per-pixel maps of a uint8 image are lookup tables.

Equivalence with the library, given the same random draws (``tests/test_corrupt_equivalence.py``
checks every corruption x severity): **bit-identical** output for all 19, including scipy's
quirks (a zoomed layer's last row is 0 when rounding puts it a hair past the edge; a float32
image is stored as float32 between the two Gaussian passes; the glass-blur "swap" is a copy).
So ``apply`` needs no tolerance, only a different source of draws.

Where the fork differs from the 1.1.2 release that built COCO-C (both are reproduced by
``apply_reference``, which calls the installed library): frost picks among 6 frost images
(1.1.2: 5 of them, ``randint(5)``), fog's plasma fractal is float32 (1.1.2: float64), glass blur
is numba-compiled with its own generator (1.1.2: numpy's global state), and impulse noise
uses scikit-image's ``rng`` argument (1.1.2: ``seed``).

The output of each function is a float or uint8 array; like the library, the caller truncates
it to uint8 (``np.uint8(x)``, not rounding), which ``robustpose.corrupt.apply`` does.
"""
from __future__ import annotations

import functools
import importlib.resources
import math
from io import BytesIO

import cv2
import numpy as np
from PIL import Image

from robustpose import portable as pm
from robustpose.corrupt import _kernels as K
from robustpose.corrupt import filters as F
from robustpose.corrupt.registry import register

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
_TAKES_SEED = {"impulse_noise", "glass_blur"}   # library functions with their own seed argument

_UNIT = np.arange(256) / 255.                   # uint8 -> float64 in [0, 1], as ``x / 255.``


def _unit(x: np.ndarray) -> np.ndarray:
    """``x / 255.`` (float64) by table lookup: the same values, without a division per pixel."""
    return _UNIT[x]


def _to_byte(values: np.ndarray) -> np.ndarray:
    """The library's final ``np.uint8(np.clip(v, 0, 1) * 255)`` for a float table or image."""
    return np.uint8(np.clip(values, 0, 1) * 255)


def _randint(rng, low: int, high: int) -> int:
    """One integer in [low, high) from a Generator or a legacy RandomState."""
    return int(rng.integers(low, high) if hasattr(rng, "integers") else rng.randint(low, high))


def numba_seed(rng) -> int:
    """A seed for numba's generator (glass blur), drawn from ``rng``."""
    return _randint(rng, 0, 2**31 - 1)


# ----------------------------------------------------------------------------------- noise
@register("imagenet_c", "noise")
def gaussian_noise(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [.08, .12, 0.18, 0.26, 0.38][severity - 1]
    return np.clip(_unit(x) + rng.normal(size=x.shape, scale=c), 0, 1) * 255


@register("imagenet_c", "noise")
def shot_noise(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [60, 25, 12, 5, 3][severity - 1]
    return np.clip(rng.poisson(_unit(x) * c) / float(c), 0, 1) * 255


@register("imagenet_c", "noise")
def impulse_noise(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    """Salt and pepper: scikit-image's ``random_noise(mode='s&p')`` draws, as a lookup for the
    untouched pixels (their value still goes through ``/255 * 255``, which is not always exact)."""
    c = [.03, .06, .09, 0.17, 0.27][severity - 1]
    flipped = rng.random(x.shape) <= c
    salted = rng.random(x.shape) <= 0.5
    out = _to_byte(_UNIT)[x]   # a 256-entry table, looked up per pixel
    out[flipped & salted] = 255
    out[flipped & ~salted] = 0
    return out


@register("imagenet_c_extra", "noise")
def speckle_noise(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [.15, .2, 0.35, 0.45, 0.6][severity - 1]
    u = _unit(x)
    return np.clip(u + u * rng.normal(size=x.shape, scale=c), 0, 1) * 255


# ------------------------------------------------------------------------------------ blur
def _disk(radius: float, alias_blur: float) -> np.ndarray:
    """ImageNet-C's defocus kernel: an anti-aliased, normalised disk (at least 17x17)."""
    half = 8 if radius <= 8 else radius
    ax = np.arange(-half, half + 1)
    xx, yy = np.meshgrid(ax, ax)
    disk = np.array((xx ** 2 + yy ** 2) <= radius ** 2, dtype=np.float32)
    disk /= np.sum(disk)
    return F.gaussian_blur(disk, 3 if radius <= 8 else 5, alias_blur).astype(np.float32)


@register("imagenet_c", "blur")
def defocus_blur(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [(3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)][severity - 1]
    u = _unit(x)
    kernel = _disk(c[0], c[1])
    # the library's per-channel cv2.filter2D, in fixed-order float64 (corrupt/filters.py: same bits
    # on every CPU; within 1 grey level of the library, whose result depends on the CPU)
    out = F.correlate(u, kernel)
    return np.clip(out, 0, 1) * 255


@register("imagenet_c", "blur")
def glass_blur(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    sigma, max_delta, iterations = [(0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2)][severity - 1]
    blurred = np.uint8(K.gaussian_filter(_unit(x), (sigma, sigma), K.NEAREST) * 255)
    shuffled = K.glass_shuffle(blurred, max_delta, iterations, numba_seed(rng))
    return np.clip(K.gaussian_filter(_unit(shuffled), (sigma, sigma), K.NEAREST), 0, 1) * 255


def _motion_kernel(radius: int, sigma: float, angle: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights and (dy, dx) pixel offsets of ImageNet-C's line kernel of ``2*radius+1`` taps."""
    width = radius * 2 + 1
    # portable exp/sin/cos: numpy's AVX-512 exp differs from its SSE one in the last bit (seen on
    # an AMD EPYC), which moved every motion-blurred pixel by a rounding step between CPUs
    k = pm.exp(-(np.arange(width) ** 2) / (2 * sigma ** 2)) / (np.sqrt(2 * np.pi) * sigma)
    k = k / np.sum(k)
    py, px = width * pm.sin(np.deg2rad(angle)), width * pm.cos(np.deg2rad(angle))
    hyp = math.hypot(py, px)
    dys = np.array([-math.ceil(((i * py) / hyp) - 0.5) for i in range(width)], dtype=np.int64)
    dxs = np.array([-math.ceil(((i * px) / hyp) - 0.5) for i in range(width)], dtype=np.int64)
    return k, dys, dxs


def _motion_blur(x: np.ndarray, radius: int, sigma: float, angle: float) -> np.ndarray:
    """Blur (H, W) or (H, W, C) along a line; taps that leave the image end the kernel early."""
    k, dys, dxs = _motion_kernel(radius, sigma, angle)
    inside = (np.abs(dys) < x.shape[0]) & (np.abs(dxs) < x.shape[1])
    n = int(np.argmin(inside)) if not inside.all() else len(k)
    x3 = x if x.ndim == 3 else x[:, :, None]
    out = K.shift_sum(np.ascontiguousarray(x3), k[:n], dys[:n], dxs[:n])
    return out if x.ndim == 3 else out[:, :, 0]


@register("imagenet_c", "blur")
def motion_blur(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    radius, sigma = [(10, 3), (15, 5), (15, 8), (15, 12), (20, 15)][severity - 1]
    return np.clip(_motion_blur(x, radius, sigma, rng.uniform(-45, 45)), 0, 255)


def _zoom_geometry(shape: tuple[int, int], zoom: float) -> tuple[int, int, int, int, int, int]:
    """(top, left, crop_h, crop_w, out_h, out_w) of ImageNet-C's centre-crop-then-zoom."""
    ch = int(np.ceil(shape[0] / float(zoom)))
    cw = int(np.ceil(shape[1] / float(zoom)))
    return ((shape[0] - ch) // 2, (shape[1] - cw) // 2, ch, cw,
            int(round(ch * zoom)), int(round(cw * zoom)))


@register("imagenet_c", "blur")
def zoom_blur(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    zooms = [np.arange(1, 1.11, 0.01), np.arange(1, 1.16, 0.01), np.arange(1, 1.21, 0.02),
             np.arange(1, 1.26, 0.02), np.arange(1, 1.31, 0.03)][severity - 1]
    u = _unit(x).astype(np.float32)
    params = np.array([_zoom_geometry(x.shape[:2], z) for z in zooms], dtype=np.int64)
    total = K.zoom_sum(u, params)
    return np.clip((u + total) / (len(zooms) + 1), 0, 1) * 255


@register("imagenet_c_extra", "blur")
def gaussian_blur(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [1, 2, 3, 4, 6][severity - 1]
    return np.clip(K.gaussian_filter(_unit(x), (c, c), K.NEAREST), 0, 1) * 255


# --------------------------------------------------------------------------------- weather
@register("imagenet_c", "weather")
def snow(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [(0.1, 0.3, 3, 0.5, 10, 4, 0.8), (0.2, 0.3, 2, 0.5, 12, 4, 0.7),
         (0.55, 0.3, 4, 0.9, 12, 8, 0.7), (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65),
         (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55)][severity - 1]
    h, w = x.shape[:2]
    img = np.array(x, dtype=np.float32) / 255.
    flakes = rng.normal(size=(h, w), loc=c[0], scale=c[1])
    top, left, ch, cw, oh, ow = _zoom_geometry((h, w), c[2])
    flakes = K.zoom_crop(flakes[:, :, None], top, left, ch, cw, oh, ow, oh, ow)[:, :, 0]
    flakes[flakes < c[3]] = 0
    flakes = np.clip(flakes, 0, 1)
    flakes = _motion_blur(flakes, c[4], c[5], rng.uniform(-135, -45))
    flakes = (np.round(flakes * 255).astype(np.uint8) / 255.)[:h, :w, None]
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).reshape(h, w, 1)
    img = c[6] * img + (1 - c[6]) * np.maximum(img, grey * 1.5 + 0.5)
    return np.clip(img + flakes + np.rot90(flakes, k=2), 0, 1) * 255


@functools.lru_cache(maxsize=6)
def _frost_image(index: int) -> np.ndarray:
    """One of the library's six frost photographs (BGR uint8), read once per process."""
    import imagecorruptions

    names = ["frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg", "frost6.jpg"]
    ref = importlib.resources.files(imagecorruptions) / "frost" / names[index]
    with importlib.resources.as_file(ref) as path:
        img = cv2.imread(str(path))
    if img is None:
        raise FileNotFoundError(f"{ref}: frost image missing from the imagecorruptions package")
    return img


@functools.lru_cache(maxsize=32)
def _frost_resized(index: int, h: int, w: int) -> np.ndarray:
    """The frost image scaled (x1.1 beyond the image size, bicubic) to cover an h x w image."""
    frost = _frost_image(index)
    fh, fw = frost.shape[:2]
    scale = 1.0
    if fh < h and fw >= w:
        scale = h / fh
    elif fh >= h and fw < w:
        scale = w / fw
    elif fh < h and fw < w:
        scale = max(h / fh, w / fw)
    scale *= 1.1
    size = (int(np.ceil(fw * scale)), int(np.ceil(fh * scale)))
    return cv2.resize(frost, dsize=size, interpolation=cv2.INTER_CUBIC)


@register("imagenet_c", "weather")
def frost(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [(1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75)][severity - 1]
    h, w = x.shape[:2]
    layer = _frost_resized(_randint(rng, 0, 6), h, w)
    y0 = _randint(rng, 0, layer.shape[0] - h)
    x0 = _randint(rng, 0, layer.shape[1] - w)
    return np.clip(c[0] * x + c[1] * layer[y0:y0 + h, x0:x0 + w][..., [2, 1, 0]], 0, 255)


def plasma_fractal(size: int, decay: float, rng) -> np.ndarray:
    """Diamond-square height map in [0, 1], float32, ``size`` a power of two (fog's texture)."""
    if size & (size - 1):
        raise ValueError(f"plasma_fractal size must be a power of two, got {size}")
    m = np.empty((size, size), dtype=np.float32)
    m[0, 0] = 0
    step, wibble = size, 100.0

    def noisy_mean(total: np.ndarray) -> np.ndarray:
        return total / 4 + wibble * rng.uniform(-wibble, wibble, total.shape)

    while step >= 2:
        half = step // 2
        corners = m[0:size:step, 0:size:step]
        squares = corners + np.roll(corners, shift=-1, axis=0)
        squares += np.roll(squares, shift=-1, axis=1)
        m[half:size:step, half:size:step] = noisy_mean(squares)
        centres = m[half:size:step, half:size:step]
        corners = m[0:size:step, 0:size:step]
        # (a + b) + (c + d): the reference's summation order, which float32 makes visible
        m[0:size:step, half:size:step] = noisy_mean(
            (centres + np.roll(centres, 1, axis=0)) + (corners + np.roll(corners, -1, axis=1)))
        m[half:size:step, 0:size:step] = noisy_mean(
            (centres + np.roll(centres, 1, axis=1)) + (corners + np.roll(corners, -1, axis=0)))
        step //= 2
        wibble /= decay
    m -= m.min()
    return m / m.max()


@register("imagenet_c", "weather")
def fog(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [(1.5, 2), (2., 2), (2.5, 1.7), (2.5, 1.5), (3., 1.4)][severity - 1]
    h, w = x.shape[:2]
    size = 1 << (int(max(x.shape)) - 1).bit_length()
    u = _unit(x)
    top = u.max()
    u = u + c[0] * plasma_fractal(size, c[1], rng)[:h, :w][..., None]
    return np.clip(u * top / (top + c[0]), 0, 1) * 255


@register("imagenet_c", "weather")
def brightness(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [.1, .2, .3, .4, .5][severity - 1]
    return np.clip(K.hsv_adjust(_unit(x), 2, 1.0, c), 0, 1) * 255


@register("imagenet_c_extra", "weather")
def spatter(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    """Water drops (severity 1-3) or mud (4-5) from a thresholded, blurred noise layer."""
    c = [(0.65, 0.3, 4, 0.69, 0.6, 0), (0.65, 0.3, 3, 0.68, 0.6, 0), (0.65, 0.3, 2, 0.68, 0.5, 0),
         (0.65, 0.3, 1, 0.65, 1.5, 1), (0.67, 0.4, 1, 0.65, 1.5, 1)][severity - 1]
    img = np.array(x, dtype=np.float32) / 255.
    liquid = rng.normal(size=x.shape[:2], loc=c[0], scale=c[1])
    liquid = K.gaussian_filter(liquid, (c[2], c[2]), K.NEAREST)
    liquid[liquid < c[3]] = 0
    if c[5] == 0:
        liquid = (liquid * 255).astype(np.uint8)
        dist = 255 - cv2.Canny(liquid, 50, 150)
        dist = cv2.distanceTransform(dist, cv2.DIST_L2, 5)
        _, dist = cv2.threshold(dist, 20, 20, cv2.THRESH_TRUNC)
        dist = cv2.blur(dist, (3, 3)).astype(np.uint8)
        dist = cv2.equalizeHist(dist)
        dist = cv2.filter2D(dist, cv2.CV_8U, np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]))
        dist = cv2.blur(dist, (3, 3)).astype(np.float32)
        m = cv2.cvtColor(liquid * dist, cv2.COLOR_GRAY2BGRA)
        m /= np.max(m, axis=(0, 1))
        m *= c[4]
        ones = np.ones_like(m[..., :1])
        colour = cv2.cvtColor(np.concatenate((175 / 255. * ones, 238 / 255. * ones, 238 / 255. * ones),
                                             axis=2), cv2.COLOR_BGR2BGRA)   # pale turquoise water
        img = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
        return cv2.cvtColor(np.clip(img + m * colour, 0, 1), cv2.COLOR_BGRA2BGR) * 255
    m = K.gaussian_filter(np.where(liquid > c[3], 1, 0).astype(np.float32), (c[4], c[4]), K.NEAREST)
    m[m < 0.8] = 0
    ones = np.ones_like(img[..., :1], dtype=np.float64)
    colour = np.concatenate((63 / 255. * ones, 42 / 255. * ones, 20 / 255. * ones), axis=2)  # mud
    colour *= m[..., None]
    img *= (1 - m[..., None])
    return np.clip(img + colour, 0, 1) * 255


# --------------------------------------------------------------------------------- digital
@register("imagenet_c", "digital")
def contrast(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [0.4, .3, .2, .1, .05][severity - 1]
    means = np.mean(_unit(x), axis=(0, 1))   # the library's exact reduction, then one table per channel
    out = np.empty_like(x)
    for d in range(x.shape[2]):
        out[:, :, d] = _to_byte((_UNIT - means[d]) * c + means[d])[x[:, :, d]]
    return out


@register("imagenet_c", "digital")
def elastic_transform(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    img = np.array(x, dtype=np.float32) / 255.
    h, w = x.shape[:2]
    sigma = (h * 0.01, w * 0.01)
    alpha = [250 * 0.05, 250 * 0.065, 250 * 0.085, 250 * 0.1, 250 * 0.12][severity - 1]
    max_d = h * 0.005
    dx = (K.gaussian_filter(rng.uniform(-max_d, max_d, size=(h, w)), sigma, K.REFLECT, truncate=3)
          * alpha).astype(np.float32)
    dy = (K.gaussian_filter(rng.uniform(-max_d, max_d, size=(h, w)), sigma, K.REFLECT, truncate=3)
          * alpha).astype(np.float32)
    return np.clip(K.map_linear_reflect(img, dy, dx), 0, 1) * 255


@register("imagenet_c", "digital")
def pixelate(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [0.6, 0.5, 0.4, 0.3, 0.25][severity - 1]
    h, w = x.shape[:2]
    small = Image.fromarray(x).resize((int(w * c), int(h * c)), Image.BOX)
    return np.asarray(small.resize((w, h), Image.NEAREST))


@register("imagenet_c", "digital")
def jpeg_compression(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    quality = [25, 18, 15, 10, 7][severity - 1]
    buf = BytesIO()
    Image.fromarray(x).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB"))


@register("imagenet_c_extra", "digital")
def saturate(x: np.ndarray, severity: int, rng, context=None) -> np.ndarray:
    c = [(0.3, 0), (0.1, 0), (2, 0), (5, 0.1), (20, 0.2)][severity - 1]
    return np.clip(K.hsv_adjust(_unit(x), 1, c[0], c[1]), 0, 1) * 255


# ------------------------------------------------------------------------- the library itself
def library(image: np.ndarray, name: str, severity: int, seed: int) -> np.ndarray:
    """``imagecorruptions`` with numpy's global state seeded by ``seed`` (then restored), and
    ``seed`` passed to the two functions that take one: the library's output for the draws that
    ``np.random.RandomState(seed)`` (or ``default_rng(seed)``, impulse noise) makes."""
    import imagecorruptions  # heavy (numba); imported on first use

    state = np.random.get_state()
    try:
        np.random.seed(seed)
        kwargs = {"seed": seed} if name in _TAKES_SEED else {}
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
