"""Top-down crop geometry: person box -> fixed-size model input and back.

A box is widened to the model's aspect ratio and padded (x1.25, as mmpose/HRNet do) so limbs
near the box edge stay inside the crop; one affine matrix maps image -> input pixels and its
inverse maps predicted keypoints back.
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np


def box_to_center_scale(bbox_xywh: np.ndarray, aspect: float, padding: float = 1.25) -> tuple[np.ndarray, np.ndarray]:
    """Center (2,) and size (2,) [w, h] of the padded box with width/height = ``aspect``."""
    x, y, w, h = (float(v) for v in bbox_xywh)
    center = np.array([x + w / 2.0, y + h / 2.0])
    if w > aspect * h:
        h = w / aspect
    else:
        w = h * aspect
    return center, np.array([w, h]) * padding


def warp_matrix(center: np.ndarray, size: np.ndarray, rotation_deg: float,
                output_hw: tuple[int, int]) -> np.ndarray:
    """2x3 affine matrix taking the rotated box (center, size) to an ``output_hw`` image."""
    out_h, out_w = output_hw
    theta = np.deg2rad(rotation_deg)
    cs, sn = np.cos(theta), np.sin(theta)

    def rot(v: np.ndarray) -> np.ndarray:
        return np.array([v[0] * cs - v[1] * sn, v[0] * sn + v[1] * cs])

    src = np.stack([center, center + rot(np.array([0.0, -size[1] / 2])),
                    center + rot(np.array([size[0] / 2, 0.0]))]).astype(np.float32)
    dst = np.array([[out_w / 2, out_h / 2], [out_w / 2, 0], [out_w, out_h / 2]], dtype=np.float32)
    return cv2.getAffineTransform(src, dst)


def apply_affine(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Transform (..., 2) points by a 2x3 affine matrix."""
    return points @ matrix[:, :2].T + matrix[:, 2]


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(matrix)


def crop(image: np.ndarray, matrix: np.ndarray, output_hw: tuple[int, int]) -> np.ndarray:
    """Warp ``image`` into the model input (bilinear, zero border)."""
    return cv2.warpAffine(image, matrix, (output_hw[1], output_hw[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))


def crop_people(images: Sequence[np.ndarray], boxes: Sequence[np.ndarray], input_hw: tuple[int, int]
                ) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
    """Every person box of every image as a model input: crops (H,W,3), the inverse affine of
    each (input -> image pixels) and the index of the image it came from, in image then box order.

    The one crop geometry of evaluation (no rotation, box padded to the input's aspect), shared
    by the estimator and the attacks so that both see the same pixels.
    """
    h, w = input_hw
    crops, inverses, owners = [], [], []
    for i, (image, bxs) in enumerate(zip(images, boxes)):
        for box in np.asarray(bxs, dtype=np.float64).reshape(-1, 4):
            center, size = box_to_center_scale(box, aspect=w / h)
            m = warp_matrix(center, size, 0.0, (h, w))
            crops.append(crop(image, m, (h, w)))
            inverses.append(invert_affine(m))
            owners.append(i)
    return crops, inverses, owners
