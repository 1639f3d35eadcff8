"""Elementary functions and image filters whose results are the same bits on every x86-64 CPU.

Why: numpy, OpenCV and OpenBLAS pick their kernels by instruction set at run time. Their
``sin``/``exp``/``pow`` (SVML on AVX-512, FMA3 polynomials on AVX2), float ``cv2.resize`` and
``cv2.GaussianBlur`` (FMA), and BLAS ``@`` (FMA kernels, other summation orders) differ in the
last bit between CPUs, and a last-bit difference sometimes flips a rounded pixel: a synthetic
split generated on an AVX-512 machine did not match one generated on an AVX2 machine, so every
data hash in ``dvc.lock`` changed.

Everything here is built from IEEE-754 basic operations only (``+ - * /``, ``sqrt``, ``rint``,
``floor``, ``ldexp``, ``frexp``), which are correctly rounded on every CPU, evaluated in float64
in a fixed order (numpy never fuses a multiply and an add across ufunc calls). Accuracy is a few
ulp, far beyond what a generator needs; determinism is the point. The data generators use these
functions on every path that decides a pixel or a coordinate.
"""
from __future__ import annotations

import math

import numpy as np

ArrayLike = float | np.ndarray

# Cody-Waite splits (fdlibm): the high parts have few enough bits that k * HI is exact.
_PIO2_HI = 1.57079632673412561417e+00
_PIO2_LO = 6.07710050650619224932e-11
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# Taylor coefficients, highest power first; truncation error < 1e-16 relative on the reduced ranges
_SIN = [(-1.0) ** i / math.factorial(2 * i + 1) for i in range(7, 0, -1)]    # r^15 .. r^3 (over r * z)
_COS = [(-1.0) ** i / math.factorial(2 * i) for i in range(8, 0, -1)]        # r^16 .. r^2 (over z)
_EXP = [1.0 / math.factorial(i) for i in range(13, -1, -1)]                    # r^13 .. r^0
_LOG = [1.0 / (2 * i + 1) for i in range(11, -1, -1)]                          # s^23 .. s^1 (over s)
_ATAN = [(-1.0) ** i / (2 * i + 1) for i in range(8, -1, -1)]                  # t^17 .. t^1 (over t)


def _horner(z, coeffs: list[float]):
    """sum c_i z^i, highest power first; works on Python floats and arrays alike."""
    if isinstance(z, np.ndarray):
        acc = np.full_like(z, coeffs[0])
        for c in coeffs[1:]:
            acc *= z
            acc += c
        return acc
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = acc * z + c
    return acc


def _is_scalar(*xs) -> bool:
    return all(isinstance(x, (int, float)) or (isinstance(x, np.generic) and np.ndim(x) == 0) for x in xs)


def _sincos_scalar(x: float) -> tuple[float, float]:
    """Pure-Python float path (the same IEEE operations as the array path, without numpy's
    per-call cost: the painters call sin/cos thousands of times an image on scalars)."""
    x = float(x)
    k = float(round(x * (2.0 / math.pi)))           # round half even, as np.rint
    r = (x - k * _PIO2_HI) - k * _PIO2_LO
    z = r * r
    s = r + r * z * _horner(z, _SIN)
    c = 1.0 + z * _horner(z, _COS)
    q = int(k) % 4
    return ((s, c), (c, -s), (-s, -c), (-c, s))[q]


def _sincos(x) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, np.float64)
    k = np.rint(x * (2.0 / math.pi))
    r = (x - k * _PIO2_HI) - k * _PIO2_LO          # |r| <= pi/4 (+ rounding)
    z = r * r
    s = r + r * z * _horner(z, _SIN)
    c = 1.0 + z * _horner(z, _COS)
    q = np.mod(k, 4.0)
    sin = np.select([q == 0, q == 1, q == 2], [s, c, -s], -c)
    cos = np.select([q == 0, q == 1, q == 2], [c, -s, -c], s)
    return sin, cos


def sin(x: ArrayLike) -> ArrayLike:
    """sin in float64 (arguments up to ~1e5 in magnitude keep full accuracy)."""
    return _sincos_scalar(x)[0] if _is_scalar(x) else _sincos(x)[0]


def cos(x: ArrayLike) -> ArrayLike:
    return _sincos_scalar(x)[1] if _is_scalar(x) else _sincos(x)[1]


def exp(x: ArrayLike) -> ArrayLike:
    """exp in float64; under/overflow saturate to 0 / inf as usual."""
    if _is_scalar(x):
        a = min(max(float(x), -745.0), 709.7)
        k = round(a * (1.0 / math.log(2.0)))
        r = (a - k * _LN2_HI) - k * _LN2_LO
        return math.ldexp(_horner(r, _EXP), k)
    a = np.clip(np.asarray(x, np.float64), -745.0, 709.7)
    k = np.rint(a * (1.0 / math.log(2.0)))
    r = (a - k * _LN2_HI) - k * _LN2_LO             # |r| <= ln2 / 2
    return np.ldexp(_horner(r, _EXP), k.astype(np.int64))


def log(x: ArrayLike) -> ArrayLike:
    """Natural log for x >= 0 (log 0 = -inf; negative x gives nan)."""
    if _is_scalar(x):
        v = float(x)
        if v <= 0:
            return -math.inf if v == 0 else math.nan
        m, e = math.frexp(v)
        if m < math.sqrt(0.5):
            m, e = m * 2.0, e - 1
        s = (m - 1.0) / (m + 1.0)
        return e * _LN2_HI + (e * _LN2_LO + 2.0 * s * _horner(s * s, _LOG))
    a = np.asarray(x, np.float64)
    safe = np.where(a > 0, a, 1.0)
    m, e = np.frexp(safe)                           # safe = m * 2**e, m in [0.5, 1)
    low = m < math.sqrt(0.5)
    m = np.where(low, m * 2.0, m)
    e = (e - low).astype(np.float64)
    s = (m - 1.0) / (m + 1.0)                       # |s| <= 0.1716
    out = e * _LN2_HI + (e * _LN2_LO + 2.0 * s * _horner(s * s, _LOG))
    return np.where(a > 0, out, np.where(a == 0, -np.inf, np.nan))


def power(x: ArrayLike, y: float) -> ArrayLike:
    """x ** y for x >= 0 (0 ** y = 0 for y > 0): exp(y log x)."""
    if _is_scalar(x):
        return exp(y * log(x)) if x > 0 else 0.0
    a = np.asarray(x, np.float64)
    pos = a > 0
    return np.where(pos, exp(y * log(np.where(pos, a, 1.0))), 0.0)


def _atan_unit(t):
    """atan for |t| <= 1: three half-angle steps (|t| <= tan(pi/32)), then the series."""
    sqrt = math.sqrt if not isinstance(t, np.ndarray) else np.sqrt
    for _ in range(3):
        t = t / (1.0 + sqrt(1.0 + t * t))
    return 8.0 * t * _horner(t * t, _ATAN)


def atan2(y: ArrayLike, x: ArrayLike) -> ArrayLike:
    """atan2 in float64, the usual quadrants (atan2(0, 0) = 0)."""
    if _is_scalar(y, x):
        yy, xx = float(y), float(x)
        ay, ax = abs(yy), abs(xx)
        big, small = max(ay, ax), min(ay, ax)
        a = _atan_unit(small / big) if big > 0 else 0.0
        a = math.pi / 2 - a if ay > ax else a
        a = math.pi - a if xx < 0 else a
        return -a if yy < 0 else a
    yy, xx = np.asarray(y, np.float64), np.asarray(x, np.float64)
    ay, ax = np.abs(yy), np.abs(xx)
    big, small = np.maximum(ay, ax), np.minimum(ay, ax)
    a = _atan_unit(np.where(big > 0, small / np.where(big > 0, big, 1.0), 0.0))
    a = np.where(ay > ax, math.pi / 2 - a, a)
    a = np.where(xx < 0, math.pi - a, a)
    return np.where(yy < 0, -a, a)


def hypot(x: ArrayLike, y: ArrayLike) -> ArrayLike:
    """sqrt(x^2 + y^2) (no libm ``hypot``: its variants differ by CPU)."""
    if _is_scalar(x, y):
        return math.sqrt(float(x) * float(x) + float(y) * float(y))
    return np.sqrt(np.asarray(x, np.float64) ** 2 + np.asarray(y, np.float64) ** 2)


def norm(a: np.ndarray, axis: int | None = None, keepdims: bool = False) -> np.ndarray | float:
    """Euclidean norm, squares summed in a fixed order (``np.linalg.norm`` of a vector is a BLAS
    dot product, whose kernel and summation order depend on the CPU)."""
    a = np.asarray(a, np.float64)
    if axis is None:
        return float(np.sqrt(np.add.reduce((a * a).ravel())))
    return np.sqrt(np.add.reduce(a * a, axis=axis, keepdims=keepdims))


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a small inner dimension (2-4: points times a rotation), summed in a fixed
    order with elementwise operations instead of BLAS."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape[-1] != b.shape[0] or b.ndim != 2:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not chain")
    out = a[..., 0, None] * b[0]
    for k in range(1, b.shape[0]):
        out = out + a[..., k, None] * b[k]
    return out


# ------------------------------------------------------------------------------ image filters
def gaussian_taps(size: int, sigma: float) -> np.ndarray:
    """``size`` normalised 1-D Gaussian taps (odd size, sigma > 0), as OpenCV's getGaussianKernel."""
    if size % 2 != 1 or sigma <= 0:
        raise ValueError(f"gaussian_taps: odd size and sigma > 0 needed, got {size}, {sigma}")
    t = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    k = np.asarray(exp(-(t * t) / (2.0 * sigma * sigma)))
    return k / np.add.reduce(k)


def gaussian_kernel(sigma: float) -> np.ndarray:
    """Normalised 1-D Gaussian taps, radius ceil(3 sigma) (at least 1)."""
    return gaussian_taps(2 * max(1, math.ceil(3.0 * sigma)) + 1, sigma)


def correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``cv2.filter2D(image, -1, kernel)`` for an (H, W[, C]) image and an odd 2-D kernel:
    correlation, anchor at the centre, reflected border (dcb|abcd|cba), taps summed in a fixed
    order in float64 (zero taps skipped)."""
    kh, kw = kernel.shape
    if kh % 2 != 1 or kw % 2 != 1:
        raise ValueError(f"correlate: the kernel must have odd sides, got {kernel.shape}")
    img = np.asarray(image, np.float64)
    ry, rx = kh // 2, kw // 2
    padded = np.pad(img, [(ry, ry), (rx, rx)] + [(0, 0)] * (img.ndim - 2), mode="reflect")
    h, w = img.shape[:2]
    out = np.zeros(img.shape, np.float64)
    for i in range(kh):
        for j in range(kw):
            weight = float(kernel[i, j])
            if weight != 0.0:
                out += weight * padded[i:i + h, j:j + w]
    return out


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of an (H, W[, C]) image (rows, then columns), reflected border,
    float64 result."""
    if sigma <= 0:
        return np.asarray(img, np.float64)
    taps = gaussian_kernel(sigma)
    return correlate(correlate(img, taps[:, None]), taps[None, :])


def _cubic_weights(f: np.ndarray, a: float = -0.75) -> list[np.ndarray]:
    """Keys cubic convolution weights for taps at offsets -1, 0, 1, 2 (a = -0.75, as OpenCV)."""
    def near(d):   # |d| <= 1
        return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0

    def far(d):    # 1 < |d| < 2
        return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a
    return [far(f + 1.0), near(f), near(1.0 - f), far(2.0 - f)]


def _resize_axis(img: np.ndarray, size: int, axis: int, cubic: bool) -> np.ndarray:
    n = img.shape[axis]
    src = (np.arange(size, dtype=np.float64) + 0.5) * (n / size) - 0.5   # pixel-centre alignment
    i0 = np.floor(src)
    f = src - i0
    i0 = i0.astype(np.int64)
    shape = [1] * img.ndim
    shape[axis] = size
    if cubic:
        offsets, weights = (-1, 0, 1, 2), _cubic_weights(f)
    else:
        offsets, weights = (0, 1), [1.0 - f, f]
    out = np.zeros(img.shape[:axis] + (size,) + img.shape[axis + 1:], np.float64)
    for off, w in zip(offsets, weights):
        idx = np.clip(i0 + off, 0, n - 1)          # replicated border
        out += w.reshape(shape) * np.take(img, idx, axis=axis)
    return out


def resize(img: np.ndarray, height: int, width: int, cubic: bool = False) -> np.ndarray:
    """Resize an (H, W[, C]) float image to (height, width), separable bilinear or bicubic
    (pixel centres aligned as ``cv2.resize`` does), float64 result."""
    img = np.asarray(img, np.float64)
    return _resize_axis(_resize_axis(img, height, 0, cubic), width, 1, cubic)


__all__ = ["atan2", "correlate", "cos", "exp", "gaussian_blur", "gaussian_kernel", "gaussian_taps", "hypot", "log", "matmul", "norm", "power",
           "resize", "sin"]
