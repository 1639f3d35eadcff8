"""Numba kernels behind the fast ImageNet-C corruptions.

Each kernel replaces a whole-array numpy/scipy/scikit-image pass of the reference
implementation with one loop over pixels, doing the *same floating-point operations in the same
order*, so the results are bit-identical to the reference (tests/test_corrupt_equivalence.py):

- ``gaussian_filter``: scipy.ndimage's separable correlation (symmetric-kernel summation order,
  outermost taps first) for the boundary modes ``nearest`` and ``reflect``;
- ``zoom_crop``: scipy.ndimage.zoom(order=1, grid_mode=False) of a centre crop (2x2 taps, the
  same weight products and summation order);
- ``map_linear_reflect``: scipy.ndimage.map_coordinates(order=1, mode="reflect") for a per-pixel
  displacement field (elastic transform);
- ``shift_sum``: ImageNet-C's motion blur (weighted sum of edge-clamped shifted copies);
- ``hsv_adjust``: scikit-image's rgb2hsv -> edit V or S -> hsv2rgb, per pixel;
- ``glass_shuffle``: ImageNet-C's local pixel "swap" (which, because it assigns through views,
  is really a copy ``x[h, w] = x[h', w']``), driven by numba's seeded generator exactly like the
  reference.

All kernels are single-threaded (``parallel`` off) so a process pool of N workers uses N cores,
and ``cache=True`` so worker processes load compiled code instead of recompiling it.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

NEAREST, REFLECT = 0, 1   # boundary modes, as scipy.ndimage names them


def gaussian_weights(sigma: float, truncate: float) -> np.ndarray:
    """Half of scipy's normalised Gaussian kernel: weights for offsets 0..radius."""
    radius = int(truncate * float(sigma) + 0.5)
    x = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 / (sigma * sigma) * x ** 2)
    phi = phi / phi.sum()
    return np.ascontiguousarray(phi[radius:])


@njit(cache=True, inline="always")
def _edge(i: int, n: int, mode: int) -> int:
    """Index ``i`` mapped into [0, n) by the boundary mode (reflect = half-sample symmetric)."""
    if mode == NEAREST:
        return min(max(i, 0), n - 1)
    period = 2 * n
    i = i % period
    return i if i < n else period - 1 - i


@njit(cache=True)
def _edge_index(n: int, r: int, mode: int) -> np.ndarray:
    """Source index of each position of a line of ``n`` padded by ``r`` on both sides."""
    idx = np.empty(n + 2 * r, np.int64)
    for p in range(n + 2 * r):
        idx[p] = _edge(p - r, n, mode)
    return idx


@njit(cache=True)
def _correlate_rows(x: np.ndarray, w: np.ndarray, mode: int) -> np.ndarray:
    """Symmetric 1-D correlation along axis 0 of an (H, W, C) float64 array.

    Per element: ``x[i]*w[0]``, then ``+= (x[i-t] + x[i+t]) * w[t]`` for t = r..1 (scipy's order);
    the taps are the outer loop so the inner one runs over a contiguous row.
    """
    h, wd, c = x.shape
    r = w.shape[0] - 1
    src = _edge_index(h, r, mode)
    flat = x.reshape(h, wd * c)
    out = np.empty((h, wd * c), np.float64)
    for i in range(h):
        row = out[i]
        centre = flat[i]
        for q in range(wd * c):
            row[q] = centre[q] * w[0]
        for t in range(r, 0, -1):
            up, down = flat[src[i + r - t]], flat[src[i + r + t]]
            wt = w[t]
            for q in range(wd * c):
                row[q] += (up[q] + down[q]) * wt
    return out.reshape(h, wd, c)


@njit(cache=True)
def _correlate_cols(x: np.ndarray, w: np.ndarray, mode: int) -> np.ndarray:
    """Symmetric 1-D correlation along axis 1 of an (H, W, C) float64 array (same order as rows):
    each row is padded once, then every tap is a shifted contiguous slice of it."""
    h, wd, c = x.shape
    r = w.shape[0] - 1
    src = _edge_index(wd, r, mode)
    out = np.empty((h, wd * c), np.float64)
    padded = np.empty((wd + 2 * r) * c, np.float64)
    for i in range(h):
        for p in range(wd + 2 * r):
            for k in range(c):
                padded[p * c + k] = x[i, src[p], k]
        row = out[i]
        base = r * c
        for q in range(wd * c):
            row[q] = padded[base + q] * w[0]
        for t in range(r, 0, -1):
            lo, hi = base - t * c, base + t * c
            wt = w[t]
            for q in range(wd * c):
                row[q] += (padded[lo + q] + padded[hi + q]) * wt
    return out.reshape(h, wd, c)


def gaussian_filter(x: np.ndarray, sigma: tuple[float, float], mode: int, truncate: float = 4.0) -> np.ndarray:
    """scipy.ndimage.gaussian_filter over the two spatial axes of (H, W) or (H, W, C) floats.

    As scipy: axis 0 first, then axis 1 (an axis with sigma <= 1e-15 is skipped), each pass
    computed in float64 and stored in the input's dtype (float32 stays float32 in between).
    """
    dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    a = np.ascontiguousarray(x, dtype=np.float64)
    flat = a.ndim == 2
    if flat:
        a = a[:, :, None]
    if sigma[0] > 1e-15:
        a = _correlate_rows(a, gaussian_weights(sigma[0], truncate), mode)
        if dtype == np.float32:   # scipy stores the first pass in the input's dtype
            a = a.astype(np.float32).astype(np.float64)
    if sigma[1] > 1e-15:
        a = _correlate_cols(a, gaussian_weights(sigma[1], truncate), mode)
    a = a.astype(dtype, copy=False)
    return a[:, :, 0] if flat else a


@njit(cache=True)
def _taps(n_out: int, n_in: int, offset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weights of scipy's order-1 zoom along one axis (grid_mode=False)."""
    zoom = (n_in - 1) / (n_out - 1) if n_out > 1 else 1.0
    i0 = np.empty(n_out, np.int64)
    w0 = np.empty(n_out, np.float64)
    w1 = np.empty(n_out, np.float64)
    for o in range(n_out):
        cc = o * zoom
        s = math.floor(cc)
        t = cc - s
        i0[o] = offset + min(int(s), n_in - 1)
        if cc > n_in - 1:
            # rounding put the last sample a hair past the edge: scipy's mode='constant' then
            # returns cval (0) for the whole output row/column instead of interpolating
            w0[o] = 0.0
            w1[o] = 0.0
        else:
            w0[o] = 1.0 - t
            w1[o] = 1.0 - w0[o]   # scipy: the last weight is 1 - (sum of the others)
    return i0, w0, w1


@njit(cache=True, inline="always")
def _bilinear(v00, v01, v10, v11, wy0: float, wy1: float, wx0: float, wx1: float) -> float:
    """scipy's order-1 sum: each tap's value times its weights one axis at a time, taps in
    row-major order."""
    return (((np.float64(v00) * wy0) * wx0 + (np.float64(v01) * wy0) * wx1)
            + (np.float64(v10) * wy1) * wx0) + (np.float64(v11) * wy1) * wx1


@njit(cache=True)
def _zoom_into(x: np.ndarray, top: int, left: int, crop_h: int, crop_w: int, out_h: int, out_w: int,
               out: np.ndarray, add: bool) -> None:
    """Write (or, with ``add``, add in float32 as the reference does) the first ``out.shape[:2]``
    pixels of ``zoom(x[top:top+crop_h, left:left+crop_w], order=1)`` sized (out_h, out_w)."""
    rows, cols, c = out.shape
    ys, wy0, wy1 = _taps(out_h, crop_h, top)
    xs, wx0, wx1 = _taps(out_w, crop_w, left)
    last_y, last_x = top + crop_h - 1, left + crop_w - 1
    for i in range(rows):
        y0 = ys[i]
        y1 = min(y0 + 1, last_y)
        for j in range(cols):
            x0 = xs[j]
            x1 = min(x0 + 1, last_x)
            for k in range(c):
                v = _bilinear(x[y0, x0, k], x[y0, x1, k], x[y1, x0, k], x[y1, x1, k],
                              wy0[i], wy1[i], wx0[j], wx1[j])
                if add:
                    out[i, j, k] += np.float32(v)
                else:
                    out[i, j, k] = v


@njit(cache=True)
def zoom_crop(x: np.ndarray, top: int, left: int, crop_h: int, crop_w: int, out_h: int, out_w: int,
              rows: int, cols: int) -> np.ndarray:
    """The first ``rows x cols`` pixels of ``zoom(x[top:top+crop_h, left:left+crop_w], order=1)``
    resized to (out_h, out_w), as float64 (H, W, C)."""
    out = np.empty((rows, cols, x.shape[2]), np.float64)
    _zoom_into(x, top, left, crop_h, crop_w, out_h, out_w, out, False)
    return out


@njit(cache=True)
def zoom_sum(x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Sum (in float32, in order) of float32 zoom layers of ``x`` (H, W, C float32), each cropped
    back to (H, W); ``params`` rows are (top, left, crop_h, crop_w, out_h, out_w)."""
    out = np.zeros(x.shape, np.float32)
    for p in range(params.shape[0]):
        top, left, ch, cw, oh, ow = params[p]
        _zoom_into(x, top, left, ch, cw, oh, ow, out, True)
    return out


@njit(cache=True)
def map_linear_reflect(img: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """``map_coordinates(img, (i + dy, j + dx, k), order=1, mode="reflect")`` for (H, W, C)
    float32 ``img`` and (H, W) float32 displacements; float32 out."""
    h, w, c = img.shape
    out = np.empty_like(img)
    for i in range(h):
        for j in range(w):
            cy = _reflect_coord(i + np.float64(dy[i, j]), h)
            cx = _reflect_coord(j + np.float64(dx[i, j]), w)
            fy, fx = math.floor(cy), math.floor(cx)
            wy0, wx0 = 1.0 - (cy - fy), 1.0 - (cx - fx)
            wy1, wx1 = 1.0 - wy0, 1.0 - wx0
            y0, x0 = _edge(int(fy), h, REFLECT), _edge(int(fx), w, REFLECT)
            y1, x1 = _edge(int(fy) + 1, h, REFLECT), _edge(int(fx) + 1, w, REFLECT)
            for k in range(c):
                out[i, j, k] = np.float32(_bilinear(img[y0, x0, k], img[y0, x1, k], img[y1, x0, k],
                                                    img[y1, x1, k], wy0, wy1, wx0, wx1))
    return out


@njit(cache=True, inline="always")
def _reflect_coord(cc: float, n: int) -> float:
    """scipy's continuous 'reflect' mapping of a coordinate into [0, n - 1] (well, [-0.5, n-0.5])."""
    if n == 1:
        return 0.0
    period = 2.0 * n
    if cc < 0:
        if cc < -period:
            cc = period * int(-cc / period) + cc
        cc = cc + period if cc < -n else -cc - 1
    if cc > n - 1:
        if cc >= period:
            cc -= period * int(cc / period)
        if cc >= n:
            cc = period - cc - 1
    return cc


@njit(cache=True)
def shift_sum(x: np.ndarray, kernel: np.ndarray, dys: np.ndarray, dxs: np.ndarray) -> np.ndarray:
    """sum_t kernel[t] * (x shifted by (dys[t], dxs[t]) with edge clamping), float64.

    Per element the terms are added in tap order starting from 0.0, as the reference's loop of
    whole-image additions; here one output row stays in cache while all taps are added to it.
    """
    h, w, c = x.shape
    out = np.empty((h, w, c), np.float64)
    n = kernel.shape[0]
    for i in range(h):
        row = out[i]
        for j in range(w):
            for k in range(c):
                row[j, k] = 0.0
        flat = row.reshape(w * c)
        for t in range(n):
            src = x[min(max(i - dys[t], 0), h - 1)].reshape(w * c)
            kt = kernel[t]
            dx = dxs[t]
            lo, hi = max(dx, 0), min(w + dx, w)   # output columns whose source is inside the row
            for j in range(0, lo):                # clamped to column 0
                for k in range(c):
                    flat[j * c + k] = flat[j * c + k] + kt * np.float64(src[k])
            for q in range(lo * c, hi * c):       # contiguous, vectorisable
                flat[q] = flat[q] + kt * np.float64(src[q - dx * c])
            for j in range(hi, w):                # clamped to the last column
                for k in range(c):
                    flat[j * c + k] = flat[j * c + k] + kt * np.float64(src[(w - 1) * c + k])
    return out


@njit(cache=True)
def hsv_adjust(rgb: np.ndarray, channel: int, scale: float, add: float) -> np.ndarray:
    """rgb2hsv, then HSV[channel] = clip(HSV[channel] * scale + add, 0, 1), then hsv2rgb.

    Float64 (H, W, 3) in [0, 1]; the formulas and their order follow scikit-image exactly
    (ties between maxima resolve to the last of R, G, B; grey pixels get hue and saturation 0).
    """
    h, w, _ = rgb.shape
    out = np.empty_like(rgb)
    for i in range(h):
        for j in range(w):
            r, g, b = rgb[i, j, 0], rgb[i, j, 1], rgb[i, j, 2]
            v = max(r, g, b)
            delta = v - min(r, g, b)
            if delta == 0.0:
                hue, s = 0.0, 0.0
            else:
                s = delta / v
                if b == v:
                    hue = 4.0 + (r - g) / delta
                elif g == v:
                    hue = 2.0 + (b - r) / delta
                else:
                    hue = (g - b) / delta
                hue = (hue / 6.0) % 1.0
            if channel == 1:
                s = min(max(s * scale + add, 0.0), 1.0)
            else:
                v = min(max(v * scale + add, 0.0), 1.0)
            hi = math.floor(hue * 6)
            f = hue * 6 - hi
            p = v * (1 - s)
            q = v * (1 - f * s)
            t = v * (1 - (1 - f) * s)
            sector = int(hi) % 6
            if sector == 0:
                out[i, j, 0], out[i, j, 1], out[i, j, 2] = v, t, p
            elif sector == 1:
                out[i, j, 0], out[i, j, 1], out[i, j, 2] = q, v, p
            elif sector == 2:
                out[i, j, 0], out[i, j, 1], out[i, j, 2] = p, v, t
            elif sector == 3:
                out[i, j, 0], out[i, j, 1], out[i, j, 2] = p, q, v
            elif sector == 4:
                out[i, j, 0], out[i, j, 1], out[i, j, 2] = t, p, v
            else:
                out[i, j, 0], out[i, j, 1], out[i, j, 2] = v, p, q
    return out


@njit(cache=True)
def glass_shuffle(x: np.ndarray, max_delta: int, iterations: int, seed: int) -> np.ndarray:
    """ImageNet-C's local pixel shuffle, in place on (H, W, C) uint8, from numba's generator.

    Draw order and pixel order are the reference's; the reference's tuple "swap" of two views
    copies ``x[h', w']`` into ``x[h, w]`` and leaves ``x[h', w']`` as it was, so that is what
    happens here too.
    """
    np.random.seed(seed)
    h, w, c = x.shape
    for _ in range(iterations):
        for i in range(h - max_delta, max_delta, -1):
            for j in range(w - max_delta, max_delta, -1):
                # two scalar draws: the same stream as the reference's randint(size=(2,)) (tested),
                # without allocating an array per pixel
                dx = np.random.randint(-max_delta, max_delta)
                dy = np.random.randint(-max_delta, max_delta)
                ip, jp = i + dy, j + dx
                for k in range(c):
                    x[i, j, k] = x[ip, jp, k]
    return x
