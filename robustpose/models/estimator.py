"""Top-down inference: images + person boxes -> keypoints in image coordinates."""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np
import torch

from robustpose.models import crop as C
from robustpose.models.net import PoseNet


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def check_amp(amp: bool, device: torch.device | str) -> None:
    """float16 autocast is a CUDA speed-up only; on a CPU it would change results for nothing."""
    if amp and torch.device(device).type != "cuda":
        raise ValueError(f"amp=True needs a CUDA device, got {device}; leave amp off on CPU")


class CropNet(Protocol):
    """What ``PoseEstimator`` needs of a network (a ``torch.nn.Module``, moved to the device and
    put in eval mode by it): ``PoseNet`` (embedded models) and ``mmpose_inference.TopdownAdapter``
    (pretrained mmpose models) both provide it."""

    input_hw: tuple[int, int]   # model input (height, width), pixels
    num_keypoints: int

    def predict_crops(self, x: torch.Tensor, flip_test: bool) -> tuple[np.ndarray, np.ndarray]:
        """Normalised crops (N,3,H,W) -> keypoints (N,K,2) in crop pixels, scores (N,K)."""


class PoseEstimator:
    """``predict(images, boxes) -> [(n_i, K, 3) x, y, score]`` for a top-down network.

    Crops of all boxes are batched across images (``batch_size`` at a time) so small images
    with few people still fill the model's batch. ``amp`` runs the network under float16
    autocast (CUDA only; off by default, as the papers' numbers are float32).
    """

    def __init__(self, net: CropNet, device: torch.device | None = None, batch_size: int = 64,
                 flip_test: bool = True, amp: bool = False) -> None:
        self.device = device or default_device()
        check_amp(amp, self.device)
        self.net = net.to(self.device).eval()
        self.batch_size = batch_size
        self.flip_test = flip_test
        self.amp = amp
        self.input_hw = tuple(net.input_hw)

    def _crops(self, images: Sequence[np.ndarray], boxes: Sequence[np.ndarray]):
        return C.crop_people(images, boxes, self.input_hw)

    @torch.no_grad()
    def predict(self, images: Sequence[np.ndarray], boxes: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Keypoints per image: array (n_boxes, K, 3) of x, y (image pixels) and confidence.

        Args:
            images: RGB uint8 (H,W,3) arrays.
            boxes: per image, (n,4) person boxes x, y, w, h.
        """
        crops, inverses, owners = self._crops(images, boxes)
        K = self.net.num_keypoints
        out = [np.zeros((0, K, 3)) for _ in images]
        if not crops:
            return out
        results = []
        for s in range(0, len(crops), self.batch_size):
            batch = torch.from_numpy(np.stack(crops[s:s + self.batch_size])).to(self.device)
            x = PoseNet.normalise(batch)
            with torch.autocast("cuda", dtype=torch.float16, enabled=self.amp):
                pts, scores = self.net.predict_crops(x, self.flip_test)
            for j in range(len(pts)):
                xy = C.apply_affine(pts[j], inverses[s + j])
                results.append(np.concatenate([xy, scores[j][:, None]], axis=1))
        per_image: dict[int, list[np.ndarray]] = {}
        for owner, kp in zip(owners, results):
            per_image.setdefault(owner, []).append(kp)
        for i, kps in per_image.items():
            out[i] = np.stack(kps)
        return out


def instance_score(keypoints: np.ndarray, threshold: float = 0.2) -> float:
    """Instance confidence as mmpose computes it: mean confidence of keypoints above ``threshold``."""
    conf = keypoints[:, 2]
    keep = conf > threshold
    return float(conf[keep].mean()) if keep.any() else 0.0
