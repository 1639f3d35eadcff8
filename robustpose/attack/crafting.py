"""Adversarial crops for a dataset: the crop set, attack names, batched crafting, defences.

An attack acts on the top-down model input: the person crop after the affine warp, in grey
levels 0..255, before normalisation (``PoseObjective``). Crops are those of evaluation (GT
boxes, no rotation, ``crop_people``), so eps = 0 scores exactly what ``evaluate@`` scores.
Crafting runs ``batch_size`` crops at a time, one forward and one backward pass per step.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from robustpose.attack.gradient import fgsm, iterative
from robustpose.attack.objective import PoseObjective
from robustpose.data.coco_format import Instance
from robustpose.evaluate.predict import coco_result
from robustpose.models import crop as C
from robustpose.models.estimator import instance_score
from robustpose.models.net import to_grey
from robustpose.seeding import derive_entropy

METHODS = ("fgsm", "igsm", "pgd")
_NAME = re.compile(r"^(fgsm|igsm|pgd)-([ut])(?:-(\d+))?$")


@dataclass(frozen=True)
class AttackSpec:
    """An image-specific attack by name: ``fgsm-u``, ``fgsm-t``, ``igsm-u-10``, ``pgd-t-20``.

    ``u``/``t`` = untargeted / targeted; the number is the iteration count (FGSM has none).
    ``igsm`` is BIM (no random start), ``pgd`` the same from a uniform start in the eps-ball.
    """
    name: str
    method: str
    targeted: bool
    steps: int

    @classmethod
    def parse(cls, name: str) -> "AttackSpec":
        m = _NAME.match(str(name))
        if not m or (m.group(1) == "fgsm") != (m.group(3) is None) or m.group(3) == "0":
            raise ValueError(f"unknown attack {name!r}; valid: fgsm-u, fgsm-t, igsm-<u|t>-<steps>, "
                             f"pgd-<u|t>-<steps> (e.g. igsm-u-10, igsm-t-20)")
        method, kind, steps = m.group(1), m.group(2), m.group(3)
        return cls(name=name, method=method, targeted=kind == "t", steps=1 if steps is None else int(steps))


@dataclass
class CropSet:
    """Every evaluated person as a model input, with what is needed to score and target it."""
    crops: np.ndarray        # (N, H, W, 3) uint8
    inverses: np.ndarray     # (N, 2, 3) crop -> image affine
    image_ids: np.ndarray    # (N,)
    ann_ids: np.ndarray      # (N,)
    boxes: np.ndarray        # (N, 4) person boxes x, y, w, h (image pixels)
    keypoints: np.ndarray    # (N, K, 2) ground truth in crop pixels
    visible: np.ndarray      # (N, K) 0/1: labelled and inside the crop

    def __len__(self) -> int:
        return len(self.crops)

    def grey(self) -> torch.Tensor:
        """(N, 3, H, W) float32 grey levels (the attacks' ``x``)."""
        return to_grey(torch.from_numpy(self.crops))


def crop_set(images: Sequence[np.ndarray], instances: Sequence[Sequence[Instance]],
             input_hw: tuple[int, int]) -> CropSet:
    """The crop set of ``images`` with their people ``instances`` (GT boxes, evaluation's order)."""
    h, w = input_hw
    boxes = [np.asarray([i.bbox for i in insts], dtype=np.float64).reshape(-1, 4) for insts in instances]
    crops, inverses, owners = C.crop_people(images, boxes, input_hw)
    flat = [inst for insts in instances for inst in insts]
    if not flat:
        raise ValueError("no people to attack (no annotated instance with keypoints)")
    kps, vis = [], []
    for inst, inv in zip(flat, inverses):
        xy = C.apply_affine(inst.keypoints[:, :2], C.invert_affine(inv))
        inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
        kps.append(xy)
        vis.append(((inst.keypoints[:, 2] > 0) & inside).astype(np.float32))
    return CropSet(crops=np.stack(crops), inverses=np.stack(inverses),
                   image_ids=np.array([i.image_id for i in flat]), ann_ids=np.array([i.ann_id for i in flat]),
                   boxes=np.stack([i.bbox for i in flat]), keypoints=np.stack(kps), visible=np.stack(vis))


def _batch(targets: dict[str, torch.Tensor], s: int, e: int) -> dict[str, torch.Tensor]:
    return {k: v[s:e] for k, v in targets.items()}


def craft(objective: PoseObjective, spec: AttackSpec, x: torch.Tensor, eps: float, alpha: float,
          targets: dict[str, torch.Tensor], batch_size: int, seed_parts: tuple = (),
          start: tuple[int, torch.Tensor] | None = None) -> torch.Tensor:
    """Adversarial crops (N,3,H,W) float32 on the CPU for grey crops ``x``.

    ``targets``: the codec targets of every crop (ground truth for untargeted attacks, target
    poses for targeted ones). PGD's start in batch ``b`` is drawn from a generator seeded by
    ``(*seed_parts, b)``, so a rerun (or a resumed run) draws the same start.
    ``start = (done, x_done)``: an IGSM run continues from the result of ``done`` of its steps
    (the same batches, so the result equals a run from scratch bit for bit).
    """
    done, x_done = start if start is not None else (0, None)
    if done and (spec.method != "igsm" or not 0 < done <= spec.steps):
        raise ValueError(f"{spec.name}: only IGSM continues an earlier run, from fewer steps (got {done})")
    out = []
    for b, s in enumerate(range(0, len(x), batch_size)):
        xb = x[s:s + batch_size].to(objective.device)
        loss_fn = objective.loss_fn(_batch(targets, s, s + batch_size))
        if spec.method == "fgsm":
            adv = fgsm(loss_fn, xb, eps, targeted=spec.targeted)
        else:
            gen = None
            if spec.method == "pgd":
                gen = torch.Generator().manual_seed(derive_entropy(*seed_parts, b) % 2**63)
            adv = iterative(loss_fn, xb, eps, alpha, spec.steps - done, targeted=spec.targeted,
                            random_start=spec.method == "pgd", generator=gen,
                            start=None if x_done is None else x_done[s:s + batch_size])
        out.append(adv.cpu())
    return torch.cat(out)


def continuation_source(spec: AttackSpec, earlier: Sequence[str]) -> AttackSpec | None:
    """The longest IGSM run among ``earlier`` attack names that ``spec`` can continue from: the
    same method and direction with fewer steps (IGSM-U-100 continues IGSM-U-10). None for FGSM,
    PGD (its random start differs per run) and when there is none."""
    if spec.method != "igsm":
        return None
    best = None
    for name in earlier:
        try:
            other = AttackSpec.parse(name)
        except ValueError:
            continue
        if (other.method == "igsm" and other.targeted == spec.targeted and other.steps < spec.steps
                and (best is None or other.steps > best.steps)):
            best = other
    return best


def predict(objective: PoseObjective, x: torch.Tensor, batch_size: int,
            flip_test: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (N,K,2) in crop pixels and scores (N,K) for grey crops, batch by batch."""
    pts, scores = [], []
    for s in range(0, len(x), batch_size):
        p, c = objective.predict(x[s:s + batch_size].to(objective.device), flip_test)
        pts.append(p)
        scores.append(c)
    return np.concatenate(pts), np.concatenate(scores)


def to_image(crops: CropSet, pts: np.ndarray) -> np.ndarray:
    """(N,K,2) crop pixels -> image pixels, per crop."""
    return np.stack([C.apply_affine(p, inv) for p, inv in zip(pts, crops.inverses)])


def results(crops: CropSet, pts: np.ndarray, scores: np.ndarray) -> list[dict]:
    """COCO keypoint results, as evaluation writes them (GT boxes: box score 1)."""
    xy = to_image(crops, pts)
    out = []
    for i in range(len(crops)):
        kp = np.concatenate([xy[i], scores[i][:, None]], axis=1)
        out.append(coco_result(int(crops.image_ids[i]), kp, instance_score(kp), crops.boxes[i]))
    return out


def flip_perturbation(x: torch.Tensor, x_adv: torch.Tensor, lower: float = 0.0, upper: float = 255.0) -> torch.Tensor:
    """``x`` plus the horizontally mirrored perturbation (Shah et al.'s flip defence)."""
    return torch.clamp(x + (x_adv - x).flip(-1), lower, upper)


def gaussian_smooth(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Per-channel Gaussian blur of (N,C,H,W) with std ``sigma`` pixels (radius 3 sigma,
    reflected border): the input-smoothing defence."""
    if sigma <= 0:
        return x
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).to(x.device)
    c = x.shape[1]
    y = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    y = F.conv2d(y, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(y, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


__all__ = ["AttackSpec", "CropSet", "METHODS", "continuation_source", "craft", "crop_set", "flip_perturbation", "gaussian_smooth",
           "predict", "results", "to_image"]
