"""Image decoding and encoding at the file boundary.

Images are RGB uint8 HxWx3 everywhere inside the library. Decoding errors become one-line
errors that name the file, so a bad image in a 5000-image dataset is found at once.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from robustpose._io import write_bytes_atomic


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decode ``path`` to RGB uint8 (H, W, 3).

    Raises:
        ValueError: the file is missing, empty, truncated or not an image (message names it).
    """
    try:
        with Image.open(path) as im:
            im.load()
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except FileNotFoundError:
        raise ValueError(f"{path}: image file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"{path}: unreadable image ({err})") from None


def decode_image(data: bytes) -> np.ndarray:
    """Decode encoded image bytes to RGB uint8."""
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def encode_image(image: np.ndarray, fmt: str = "png", quality: int = 75) -> bytes:
    """Encode RGB uint8 to PNG or JPEG bytes.

    JPEG goes through PIL because the reference COCO-C was written with PIL's JPEG encoder
    (default quality 75); PNG is lossless so digests of decoded pixels are stable.
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected uint8 HxWx3, got {image.dtype} {image.shape}")
    buf = io.BytesIO()
    im = Image.fromarray(image)
    if fmt == "png":
        im.save(buf, format="PNG", compress_level=6)
    elif fmt in ("jpeg", "jpg"):
        im.save(buf, format="JPEG", quality=int(quality))
    else:
        raise ValueError(f"unknown image format {fmt!r}; expected 'png' or 'jpeg'")
    return buf.getvalue()


def write_image(path: str | os.PathLike, image: np.ndarray, fmt: str | None = None,
                quality: int = 75) -> None:
    """Encode and write atomically; the format follows the suffix unless given."""
    if fmt is None:
        fmt = "jpeg" if Path(path).suffix.lower() in (".jpg", ".jpeg") else "png"
    write_bytes_atomic(path, encode_image(image, fmt, quality))
