"""PoseBench corruptions (Ma et al. 2024): 10 corruptions in 4 categories, 5 severities each.

Seven of the ten are ImageNet-C corruptions that are already registered; they are only added to
the ``posebench`` family (with PoseBench's category) so that one name means one implementation
in every benchmark and scores stay comparable. The three that ImageNet-C lacks are defined here:
``color_quantization``, ``darkness`` (low light) and ``mask`` (black squares over the people).

Every severity constant of the three new corruptions lives in ``SEVERITY_TABLE`` below, so a
recalibration is a one-place edit and the docstring numbers can be checked against one table.

Calibration (mean PSNR in dB against the clean image over 4 COCO val2017 images, seed 0; ImageNet-C rows measured the same way for reference)::

    severity               1      2      3      4      5
    brightness (IN-C)    21.62  16.50  13.99  12.36  11.23
    contrast   (IN-C)    16.03  14.69  13.53  12.50  12.03
    pixelate   (IN-C)    25.65  24.79  22.73  22.11  21.51
    jpeg       (IN-C)    26.73  25.90  25.42  24.39  23.41
    color_quantization   28.54  25.96  23.78  21.66  17.19
    darkness             20.37  15.18  12.35  10.48   9.15
      mean grey level    127.0  108.5   92.7   79.2   67.7   (clean: 148.8)
      noise std (grey)    5.25   5.42   5.60   5.80   6.00   (output minus noise-free output)

The darkness PSNR matches ImageNet-C brightness's 21.6..11.2 dB range with half-stop exposure
steps; PSNR of a darkened image saturates quickly (a full 1-EV step per severity gives 15.3 ..
5.9 dB), so darker settings would leave that range. Colour quantization cannot go below two
levels per channel (one is a flat image), so its range reaches from the JPEG/pixelate range
(its PoseBench category) into the brightness/contrast range.

``mask`` is spatial, not photometric, so it is measured by the fraction of each person box that
ends up black (mean over the 12 people with labelled keypoints in the same images, seed 0)::

    mask, box fraction   0.048  0.096  0.167  0.304  0.373
"""
from __future__ import annotations

import numpy as np

from robustpose.corrupt import imagenet_c as _imagenet_c  # noqa: F401  (the reused entries must exist)
from robustpose.corrupt.registry import add_member, register

FAMILY = "posebench"

# All severity constants of the corruptions defined here; index i is severity i + 1.
SEVERITY_TABLE: dict[str, dict[str, tuple[float, ...]]] = {
    "color_quantization": {
        # Levels per channel after uniform quantization; an output has at most levels**3 colours.
        "levels": (8, 6, 4, 3, 2),
    },
    "darkness": {
        # Factor on linear-light intensity: half-stop steps, -0.5 EV (dim) to -2.5 EV (very dark).
        "exposure": (0.707, 0.5, 0.354, 0.25, 0.177),
        # Photo-electrons a white pixel collects at full exposure (a small phone-camera pixel's
        # full well); shot noise is Poisson in the electrons actually collected, exposure * this.
        "full_well": (1000.0,) * 5,
        # Read noise (electrons RMS, Gaussian), signal-independent; dominates the darkest pixels.
        "read_noise": (3.0,) * 5,
    },
    "mask": {
        # Black squares per person.
        "count": (1, 2, 3, 4, 5),
        # Square side as a fraction of sqrt(person box area).
        "side": (0.2, 0.22, 0.25, 0.28, 0.3),
    },
}

_GAMMA = 2.2   # sRGB is close to a pure 2.2 power law; accurate enough for a simulated exposure


def _param(corruption: str, key: str, severity: int) -> float:
    """``SEVERITY_TABLE[corruption][key]`` at ``severity`` (1..5)."""
    return SEVERITY_TABLE[corruption][key][severity - 1]


# Registration order is PoseBench's column order (``names("posebench")``): the reused ImageNet-C
# entries join the family right before the new corruption that follows them in the paper.

# --------------------------------------------------------------------------- blur / noise
add_member(FAMILY, "blur_noise", "motion_blur")
add_member(FAMILY, "blur_noise", "gaussian_noise")
add_member(FAMILY, "blur_noise", "impulse_noise")

# --------------------------------------------------------------------------- compression / colour
add_member(FAMILY, "compression_color", "pixelate")
add_member(FAMILY, "compression_color", "jpeg_compression")


def _quantize_channels(image: np.ndarray, levels: int) -> np.ndarray:
    """Uniform per-channel quantization to ``levels`` bins, reconstructed at the bin centres.

    Bin centres (not the bin edges 0 and 255) minimise the squared error and keep the mean
    brightness, so the corruption removes colour resolution without also shifting exposure.
    """
    width = 256.0 / levels
    bins = np.floor(image.astype(np.float32) / width)
    return np.round((bins + 0.5) * width - 0.5).astype(np.uint8)


@register(FAMILY, "compression_color")
def color_quantization(image: np.ndarray, severity: int, rng: np.random.Generator,
                       context: dict | None = None) -> np.ndarray:
    """Reduce the number of colours by uniform per-channel quantization (no dithering).

    Uniform quantization rather than an image-adaptive palette (median cut): the damage then
    depends only on the severity, not on the image's colour distribution, and the colour count
    has a hard bound (levels**3) that a test can check. Dithering is off because it would add
    a noise pattern, and noise is a different PoseBench category. Deterministic: ``rng`` unused.
    """
    return _quantize_channels(image, int(_param("color_quantization", "levels", severity)))


# --------------------------------------------------------------------------- lighting
add_member(FAMILY, "lighting", "brightness")


def _to_linear(image: np.ndarray) -> np.ndarray:
    """uint8 gamma-encoded values -> linear light in 0..1."""
    return (image.astype(np.float64) / 255.0) ** _GAMMA


def _to_uint8(linear: np.ndarray) -> np.ndarray:
    """Linear light (clipped to 0..1) -> gamma-encoded, quantized uint8."""
    encoded = np.clip(linear, 0.0, 1.0) ** (1.0 / _GAMMA)
    return np.round(encoded * 255.0).astype(np.uint8)


def _sensor_noise(electrons: np.ndarray, read_noise: float, rng: np.random.Generator) -> np.ndarray:
    """Poisson shot noise on the collected electrons plus Gaussian read noise."""
    shot = rng.poisson(electrons).astype(np.float64)
    return shot + rng.normal(0.0, read_noise, size=electrons.shape)


@register(FAMILY, "lighting")
def darkness(image: np.ndarray, severity: int, rng: np.random.Generator,
             context: dict | None = None) -> np.ndarray:
    """Under-exposed (low-light) camera image: less light, same sensor, so relatively more noise.

    The exposure is scaled in linear light (scaling gamma-encoded values would darken shadows
    and highlights wrongly); the noise is physical: Poisson in the photo-electrons the darker
    exposure still collects plus constant read noise, so the signal-to-noise ratio falls with
    the light, as in a real dark photograph. The result is re-encoded but not brightened again.
    """
    full_well = _param("darkness", "full_well", severity)
    electrons = _to_linear(image) * _param("darkness", "exposure", severity) * full_well
    noisy = _sensor_noise(electrons, _param("darkness", "read_noise", severity), rng)
    return _to_uint8(noisy / full_well)


add_member(FAMILY, "lighting", "contrast")


# --------------------------------------------------------------------------- masks

def _person_arrays(context: dict | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Boxes (N,4) xyxy and keypoints (N,K,3) or None from ``context``.

    No context is an error (the caller forgot the annotations); a context with zero people is
    not: an image with nobody in it has nobody to occlude, and stays as it is.
    """
    boxes = None if context is None else context.get("boxes")
    if boxes is None:
        raise ValueError("mask corruption needs context with person boxes "
                         "({'boxes': (N,4) xyxy, 'keypoints': (N,K,3)}), got none")
    if len(boxes) == 0:
        return np.zeros((0, 4)), None
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    keypoints = context.get("keypoints")
    if keypoints is None or np.size(keypoints) == 0:
        return boxes, None
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim != 3 or keypoints.shape[0] != len(boxes) or keypoints.shape[2] != 3:
        raise ValueError(f"mask corruption: keypoints of shape {keypoints.shape} do not match "
                         f"{len(boxes)} boxes; expected ({len(boxes)}, K, 3)")
    return boxes, keypoints


def _square_centres(box: np.ndarray, keypoints: np.ndarray | None, count: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``count`` centres (x, y): distinct visible keypoints first, then uniform in the box.

    Keypoint centres make the squares hide joints, which is what hurts a pose estimator; the
    uniform fallback still hides the person when too few joints are labelled visible.
    """
    visible = np.zeros((0, 2)) if keypoints is None else keypoints[keypoints[:, 2] > 0, :2]
    take = min(count, len(visible))
    chosen = visible[rng.choice(len(visible), size=take, replace=False)] if take else visible[:0]
    rest = count - take
    uniform = np.column_stack([rng.uniform(box[0], box[2], size=rest),
                               rng.uniform(box[1], box[3], size=rest)])
    return np.concatenate([chosen, uniform], axis=0)


def _black_square(image: np.ndarray, centre: np.ndarray, side: int) -> None:
    """Set a ``side``-pixel square around ``centre`` to 0, clipped to the image (in place)."""
    height, width = image.shape[:2]
    x0 = int(np.floor(centre[0] - side / 2.0))
    y0 = int(np.floor(centre[1] - side / 2.0))
    xa, xb = max(x0, 0), min(x0 + side, width)
    ya, yb = max(y0, 0), min(y0 + side, height)
    if xa < xb and ya < yb:
        image[ya:yb, xa:xb] = 0


@register(FAMILY, "masks")
def mask(image: np.ndarray, severity: int, rng: np.random.Generator,
         context: dict | None = None) -> np.ndarray:
    """Black squares over each annotated person (occlusion), preferably centred on its joints.

    Square size scales with sqrt(box area) so near and far people lose the same share of their
    body; count and size grow with severity. People with zero-area boxes are skipped.

    Raises:
        ValueError: ``context`` is None or has no ``boxes`` entry.
    """
    boxes, keypoints = _person_arrays(context)
    count = int(_param("mask", "count", severity))
    fraction = _param("mask", "side", severity)
    out = image.copy()
    for i, box in enumerate(boxes):
        area = max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)
        if area <= 0:
            continue
        side = max(1, int(round(fraction * np.sqrt(area))))
        person_kps = None if keypoints is None else keypoints[i]
        for centre in _square_centres(box, person_kps, count, rng):
            _black_square(out, centre, side)
    return out

