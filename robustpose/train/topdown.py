"""Standard top-down training on clean images, readable in one sitting.

Per step: draw a batch of person instances, crop each with a random scale / rotation / flip
(the mmpose top-down recipe), encode targets with the model's codec, and take one AdamW step.
The learning rate warms up linearly and decays with a cosine. Every random draw comes from a
generator derived from (seed, model name, step), so a run is reproducible on one machine.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from robustpose.data.coco_format import Instance
from robustpose.data.keypoints import layout_flip_permutation
from robustpose.models import crop as C
from robustpose.models.net import PoseNet
from robustpose.train.augment_pool import autoaugment
from robustpose.train.precision import autocast, resolve_precision, to_float
from robustpose.seeding import rng_for

log = logging.getLogger(__name__)

# Photometric training augmentation (PoseBench's augmentation factor): none, or the AutoAugment
# policy AdvMix's pool uses, with every operation the benchmarks corrupt with left out.
PHOTOMETRIC = ("none", "autoaugment")


@dataclass(frozen=True)
class TrainConfig:
    """One training run's schedule and augmentation.

    params.yaml is the source of every value: the stages build this from ``train:``,
    ``model.<name>`` and ``seed`` (``robustpose.train.config``). The defaults are the ``train:``
    values, for tests and benchmarks; tests/test_param_defaults.py fails when they drift apart.
    Checkpoints store ``vars()`` of it, so renaming or reordering fields changes their bytes.
    """
    steps: int = 1000              # optimizer steps
    batch_size: int = 32
    lr: float = 3e-3               # peak AdamW learning rate
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    scale_range: float = 0.2       # box scale drawn from [1 - s, 1 + s]
    rotation_deg: float = 20.0     # rotation drawn from N(0, r/2) clipped to [-r, r], with prob 0.6
    flip_prob: float = 0.5
    photometric: str = "none"      # none | autoaugment (AdvMix's benchmark-free AutoAugment policy on each crop)
    precision: str = "auto"        # auto | float32 | bfloat16 (robustpose.train.precision)
    seed: int = 0
    threads: int = 2               # torch CPU threads (fixed for reproducibility)

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "warmup_steps", "threads"):
            if int(getattr(self, name)) < (0 if name == "warmup_steps" else 1):
                raise ValueError(f"train.{name} must be positive, got {getattr(self, name)}")
        if not 0 < self.lr < 1:
            raise ValueError(f"train.lr must be in (0, 1), got {self.lr}")
        resolve_precision(self.precision)   # raises on an unknown name
        if self.photometric not in PHOTOMETRIC:
            raise ValueError(f"train.photometric must be one of {PHOTOMETRIC}, got {self.photometric!r}")


@dataclass
class TrainSet:
    """Images in memory (small datasets) and the instances worth training on."""
    images: list[np.ndarray]
    instances: list[tuple[int, Instance]]   # (index into images, instance)


def flip_keypoints(kps: np.ndarray, width: float, layout: str) -> np.ndarray:
    """Mirror (K,3) keypoints horizontally in an image of ``width`` and swap left/right
    (the pairs of ``layout``: a person's wrists, an animal's paws)."""
    out = kps[layout_flip_permutation(layout, len(kps))]
    out[:, 0] = width - 1 - out[:, 0]
    return out


def augmented_sample(image: np.ndarray, inst: Instance, rng: np.random.Generator, cfg: TrainConfig,
                     input_hw: tuple[int, int], layout: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One augmented crop (H,W,3) uint8 with keypoints (K,2) in crop pixels and visibility (K,);
    ``layout`` names the keypoints a flip swaps."""
    h, w = input_hw
    kps = inst.keypoints.copy()
    bbox = inst.bbox.copy()
    # a flip is folded into the crop's warp (no mirrored copy of the whole image is made)
    mirror = np.eye(3)
    if rng.random() < cfg.flip_prob:
        width = image.shape[1]
        kps = flip_keypoints(kps, width, layout)
        bbox[0] = width - bbox[0] - bbox[2]
        mirror = np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    center, size = C.box_to_center_scale(bbox, aspect=w / h)
    size = size * (1.0 + rng.uniform(-cfg.scale_range, cfg.scale_range))
    rot = float(np.clip(rng.normal(0, cfg.rotation_deg / 2), -cfg.rotation_deg, cfg.rotation_deg)) \
        if rng.random() < 0.6 else 0.0
    m = C.warp_matrix(center, size, rot, (h, w))
    crop_img = C.crop(image, m @ mirror, (h, w))
    xy = C.apply_affine(kps[:, :2], m)
    visible = (kps[:, 2] > 0) & (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    if cfg.photometric == "autoaugment":   # drawn only then: the default's random stream is unchanged
        return autoaugment((crop_img, xy, visible.astype(np.float32)), rng)
    return crop_img, xy, visible.astype(np.float32)


def make_batch(net: PoseNet, data: TrainSet, idx: np.ndarray, rng: np.random.Generator,
               cfg: TrainConfig) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    samples = [augmented_sample(data.images[img_i], inst, rng, cfg, tuple(net.spec.input_size),
                                net.spec.keypoint_layout)
               for img_i, inst in (data.instances[i] for i in idx)]
    crops, xys, viss = zip(*samples)
    x = PoseNet.normalise(torch.from_numpy(np.stack(crops)))
    y = {k: torch.from_numpy(v) for k, v in net.encode_batch(np.stack(xys), np.stack(viss)).items()}
    return x, y


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * progress))


def batch_for_step(net: PoseNet, data: TrainSet, cfg: TrainConfig, step: int
                   ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Step ``step``'s batch: which instances and every augmentation draw come from a generator
    of (seed, model, step) alone, so any step's batch can be remade on its own."""
    rng = rng_for(cfg.seed, net.spec.name, "step", step)
    idx = rng.integers(0, len(data.instances), size=cfg.batch_size)
    return make_batch(net, data, idx, rng, cfg)


def train_topdown(net: PoseNet, data: TrainSet, cfg: TrainConfig,
                  on_log: Callable[[int, dict[str, float]], None] | None = None,
                  log_every: int = 50) -> PoseNet:
    """Train ``net`` in place on ``data`` and return it (in eval mode).

    The forward pass runs in ``cfg.precision`` (resolved per CPU); the loss is read back only
    when logged. Batches are made inline: a thread preparing the next one while this one trains
    was measured slower on 2 cores, where it takes a core from the convolutions
    (benchmarks/README.md).

    Args:
        on_log: called every ``log_every`` steps with (step, {"loss", "lr", "samples_per_s"}),
            e.g. to feed dvclive.
    """
    if not data.instances:
        raise ValueError("no training instances with labelled keypoints")
    torch.manual_seed(rng_for(cfg.seed, net.spec.name, "train").integers(2**31))
    torch.set_num_threads(cfg.threads)
    precision = resolve_precision(cfg.precision)
    log.info("training %s: %d steps of %d in %s", net.spec.name, cfg.steps, cfg.batch_size, precision)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)
    net.train()
    t0, running = time.time(), []
    from tqdm import tqdm
    for step in tqdm(range(cfg.steps), desc=f"train {net.spec.name}", mininterval=5):
        x, y = batch_for_step(net, data, cfg, step)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        with autocast(precision):
            output = net(x)
        loss = net.loss(to_float(output), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if on_log:
            running.append(loss.detach())
        if on_log and ((step + 1) % log_every == 0 or step + 1 == cfg.steps):
            elapsed = time.time() - t0
            on_log(step + 1, {"loss": float(torch.stack(running).mean()), "lr": lr_at(step, cfg),
                              "samples_per_s": (step + 1) * cfg.batch_size / max(elapsed, 1e-9)})
            running = []
    net.eval()
    return net


def build_trainset(images: Sequence[np.ndarray], instances_per_image: Sequence[Sequence[Instance]],
                   min_visible: int = 3) -> TrainSet:
    """Instances with at least ``min_visible`` labelled keypoints (too few give no signal)."""
    pairs = [(i, inst) for i, insts in enumerate(instances_per_image) for inst in insts
             if int((inst.keypoints[:, 2] > 0).sum()) >= min_visible]
    return TrainSet(images=list(images), instances=pairs)
