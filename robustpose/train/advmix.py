"""AdvMix (Wang et al. 2021, sec. 3.2): adversarially learnt mixing of augmented crops + distillation.

Per step: draw a batch with the standard top-down augmentation (``topdown.augmented_sample``),
build each crop's ``k + 1`` proposals (the crop and ``k`` GridMask/AutoAugment versions of it,
``augment_pool``), let a U-Net generator turn the stacked proposals into per-pixel attention
logits, softmax them over the proposals and mix: ``x_mix = sum_i A_i * P_i`` (Eq. 5, Hadamard
product, weights sum to 1 at every pixel). Then two alternating Adam steps (sec. 3.2.3, Eq. 9-10):

* student (pose estimator) minimises ``(1 - alpha) * L_pose(S(x_mix), y) + alpha * L_kd`` on the
  detached mix, where ``L_pose`` is the model's own loss (``PoseNet.loss``) and ``L_kd`` the same
  loss with the frozen teacher's output as the target (Eq. 6-8);
* generator maximises ``L_pose(S(x_mix), y)`` of the just-updated student (gradient through the
  mix into the generator only; the student's weights and BatchNorm statistics stay untouched).

Choices and their sources:

* **Fine-tuning, not training from scratch.** "We simply reuse the existing publicly available
  well-trained checkpoints and retrain the models with AdvMix on clean data" (sec. 5.1): the
  caller passes a copy of the clean model as the student (``student_from_teacher``). Our budget
  is a few hundred steps, so the student runs the ``TrainConfig`` schedule (AdamW, warm-up +
  cosine, as ``topdown``) over those steps; the generator uses Adam (the paper's 1e-3, sec. 5.1;
  ``advmix.generator_lr: 1e-4`` by default, see the README) with the paper's two x0.1 decays
  placed at the same fractions of training (epochs 170 and 200 of 210).
* **Teacher** = the clean model, same architecture, frozen (eval mode, no gradients) (sec. 3.2.2).
* **alpha**: the value is lost in our copy of the paper ("not sensitive to alpha"); the authors'
  released training script uses ``--alpha 0.5`` with the convex form
  ``(1 - alpha) * L_pose + alpha * L_kd``, which we follow. ``alpha = 0`` is "AdvMix w/o KD"
  (Table 7) and needs no teacher.
* **Teacher input** (``kd_input``): ``"original"`` (default) feeds the teacher the un-augmented
  crop, so it supplies *clean* pose structure as the paper motivates ("transfer clean pose
  structure knowledge") and as the released code does (``model_teacher(inputs[0])``);
  ``"mixed"`` feeds it the same mixed image as the student.
* **KD loss for SimCC**: the head's own KLDiscretLoss with the teacher's logits as the labels;
  its ``label_softmax`` turns them into the teacher's softmax(beta * logits) distribution, so
  this is KL(teacher || student) over the x and y bins, at the pose loss's scale. Not MSE: MSE on
  logits penalises the per-row constant that softmax ignores, and MSE on the probabilities is
  ~1e-4 of the pose loss, which would make ``alpha`` meaningless. For heatmaps it is exactly the
  paper's MSE (KeypointMSELoss with the visibility weights).
* **Generator**: U-Net (appendix A): 6 stride-2 conv blocks and 6 transposed-conv blocks with
  skip connections, 5 when the input size does not divide by 2^6 (128x96 -> 5, as the appendix
  does for the 128x96 and 384x288 inputs). Pix2pix-style blocks (LeakyReLU / ReLU,
  InstanceNorm) as the released ``Unet_generator.py``, base width 16 (CPU-sized).

The ablation strategies (sec. 5.3, Table 6) run through the same loop, selected by name
(``STRATEGIES``): ``standard`` (the crop only: plain fine-tuning, the control for the same
budget), ``sequential`` (the k augmentations chained on one image), ``equal`` (weights
1/(k+1)), ``dirichlet`` (AugMix: Dirichlet weights over the k chains, Beta blend with the
original), ``advmix_image`` (one generator weight per proposal per image: the spatial mean of
the logits), ``advmix`` (per pixel), ``advmix_nokd`` (per pixel, ``alpha = 0``: Table 7),
and the single-family baselines ``autoaugment`` and ``gridmask`` (Table 5). Every random draw
comes from ``rng_for(seed, model, "advmix", step, ...)`` and the generator's initial weights from a seed derived the same way: a run is bit-reproducible
on one machine with a fixed thread count.
"""
from __future__ import annotations

import copy
import logging
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from robustpose.models.net import Output, PoseNet
from robustpose.models.registry import ModelSpec
from robustpose.seeding import derive_entropy, rng_for
from robustpose.train import augment_pool as pool
from robustpose.train.precision import autocast, resolve_precision, to_float
from robustpose.train.topdown import TrainConfig, TrainSet, augmented_sample, lr_at

log = logging.getLogger(__name__)

KD_INPUTS = ("original", "mixed")
# keys of the `advmix:` params section that are MixConfig fields (the rest: the grid and the
# student's schedule, robustpose.train.config.advmix_train_config)
MIX_KEYS = ("k", "alpha", "kd_input", "generator_lr", "generator_width", "noise_channels", "attention_cell")
# The paper decays both learning rates x0.1 at epochs 170 and 200 of 210 (sec. 5.1); we decay the
# generator's at the same fractions of our step budget: (fraction of steps, factor from then on).
GENERATOR_LR_DECAY: tuple[tuple[float, float], ...] = ((170 / 210, 0.1), (200 / 210, 0.01))
MAX_UNET_DEPTH = 6   # appendix A: 6 down + 6 up blocks, fewer when the input size needs it


# --------------------------------------------------------------------------------------------
# Strategies: one table, one general loop


@dataclass(frozen=True)
class Strategy:
    """A mixing strategy: which images a sample contributes and how they are weighted.

    ``images``: ``original`` | ``sequential`` | ``autoaugment`` | ``gridmask`` (one image) or
    ``proposals`` (the original + k aligned augmentations). ``weights``: ``single`` (the one
    image), ``equal``, ``dirichlet``, ``generator_image`` or ``generator_pixel``. ``distils``:
    False for the rows whose definition has no teacher (plain fine-tuning, "AdvMix w/o KD",
    Table 7), so ``mix_config`` sets ``alpha = 0`` for them whatever ``advmix.alpha`` says.
    """
    name: str
    images: str
    weights: str
    distils: bool = True

    @property
    def uses_generator(self) -> bool:
        return self.weights.startswith("generator")

    @property
    def mixes(self) -> bool:
        return self.images == "proposals"


STRATEGIES: dict[str, Strategy] = {s.name: s for s in (
    Strategy("standard", "original", "single", distils=False),
    Strategy("sequential", "sequential", "single"),
    Strategy("autoaugment", "autoaugment", "single"),
    Strategy("gridmask", "gridmask", "single"),
    Strategy("equal", "proposals", "equal"),
    Strategy("dirichlet", "proposals", "dirichlet"),
    Strategy("advmix_image", "proposals", "generator_image"),
    Strategy("advmix", "proposals", "generator_pixel"),
    Strategy("advmix_nokd", "proposals", "generator_pixel", distils=False),
)}


@dataclass(frozen=True)
class MixConfig:
    """AdvMix / mixing-baseline settings (the ``TrainConfig`` holds the student's schedule).

    params.yaml's ``advmix:`` section is the source of the ``MIX_KEYS`` fields (the stage builds
    this with ``mix_config_from_params``); their defaults are its values, for tests and
    benchmarks, and tests/test_param_defaults.py fails when they drift apart. The other fields
    are not in params.yaml: their defaults are the only value.

    Raises:
        ValueError: an unknown strategy or teacher input, a value out of range, or geometric
            pool operations with a strategy that cannot use them; the message names the key.
    """
    strategy: str = "advmix"        # a key of STRATEGIES
    k: int = 3                      # augmented proposals per sample (paper: 3)
    alpha: float = 0.5              # KD weight in (1 - a) * L_pose + a * L_kd; 0 = w/o KD
    kd_input: str = "original"      # teacher sees the clean crop (paper/released code) | "mixed"
    generator_lr: float = 1e-4      # Adam; the paper's 1e-3 (sec. 5.1) collapses the attention in 200 steps
    generator_width: int = 16       # U-Net channels of the first block (x2 per block, max x8)
    generator_depth: int = 0        # down/up blocks; 0 = the deepest <= 6 the input size allows
    noise_channels: int = 0         # N(0,1) channels appended to the generator input (0 = none)
    attention_cell: int = 8         # attention logits averaged over cells of this many pixels, then
                                    # bilinearly upsampled (1 = per pixel, as the paper's generator)
    geometric: bool = False         # AutoAugment rotate/shear too (single-image strategies only)
    dirichlet_alpha: float = 1.0    # AugMix's Dirichlet concentration over the k chains
    beta_alpha: float = 1.0         # AugMix's Beta(a, a) blend of the chains with the original

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"advmix.strategy {self.strategy!r} is unknown; valid: {', '.join(STRATEGIES)}")
        if self.kd_input not in KD_INPUTS:
            raise ValueError(f"advmix.kd_input {self.kd_input!r} is unknown; valid: {', '.join(KD_INPUTS)}")
        if isinstance(self.k, bool) or int(self.k) != self.k or self.k < 1:
            raise ValueError(f"advmix.k must be an integer >= 1, got {self.k!r}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"advmix.alpha must be in [0, 1] (convex KD weight), got {self.alpha}")
        if not 0.0 < self.generator_lr < 1.0:
            raise ValueError(f"advmix.generator_lr must be in (0, 1), got {self.generator_lr}")
        for key, low in (("generator_width", 1), ("generator_depth", 0), ("noise_channels", 0),
                         ("attention_cell", 1)):
            value = getattr(self, key)
            if isinstance(value, bool) or int(value) != value or value < low:
                raise ValueError(f"advmix.{key} must be an integer >= {low}, got {value!r}")
        for key in ("dirichlet_alpha", "beta_alpha"):
            if not getattr(self, key) > 0:
                raise ValueError(f"advmix.{key} must be > 0, got {getattr(self, key)}")
        strategy = STRATEGIES[self.strategy]
        if self.geometric and strategy.mixes:
            raise ValueError(f"advmix.geometric: true cannot be used with strategy {self.strategy!r}: "
                             "pixel mixing needs proposals aligned with the original (one label set); "
                             "use it with sequential/autoaugment or set geometric: false")
        if self.geometric and self.alpha > 0 and self.kd_input == "original" and strategy.name != "standard":
            raise ValueError("advmix.geometric: true with kd_input: original would distil from a crop "
                             "whose keypoints moved; set kd_input: mixed or alpha: 0")


def mix_config(strategy: str, **settings: Any) -> MixConfig:
    """The ``MixConfig`` of one ablation row: ``settings`` (the ``advmix:`` params) with
    ``alpha = 0`` for strategies that do not distil, so one ``advmix.alpha`` serves a whole grid
    that also holds ``standard`` and ``advmix_nokd``.

    Raises:
        ValueError: as ``MixConfig``, for an unknown strategy or a bad setting.
    """
    if strategy in STRATEGIES and not STRATEGIES[strategy].distils:   # unknown names: MixConfig says so
        settings = {**settings, "alpha": 0.0}
    return MixConfig(strategy=strategy, **settings)


def mix_config_from_params(params: dict[str, Any], strategy: str) -> MixConfig:
    """The ``MixConfig`` `advmix@<model>+<strategy>-s<seed>` runs: ``mix_config`` of the
    ``MIX_KEYS`` of the parsed params' ``advmix`` section (validated by the stage).

    Raises:
        ValueError: as ``MixConfig``, for an unknown strategy or a bad setting.
    """
    return mix_config(strategy, **{k: params["advmix"][k] for k in MIX_KEYS})


def strategy_images(strategy: str, sample: pool.Sample, rng: np.random.Generator,
                    mix: MixConfig) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The images one sample contributes under ``strategy`` and the labels of their mix.

    Returns:
        ``(images, xy, vis)``: a list of P crops (P = k + 1 for mixing strategies, index 0 the
        original; P = 1 otherwise), keypoints (K, 2) and visibility (K,) of the mixed image.
    """
    kind = STRATEGIES[strategy].images
    if kind == "original":
        image, xy, vis = pool.check_sample(sample)
        return [image], xy, vis
    if kind == "sequential":
        image, xy, vis = pool.sequential(sample, rng, mix.k, mix.geometric)
        return [image], xy, vis
    if kind in pool.AUGMENTATIONS:
        image, xy, vis = pool.AUGMENTATIONS[kind](sample, rng, mix.geometric)
        return [image], xy, vis
    props = pool.proposals(sample, rng, mix.k, geometric=False)
    return [p[0] for p in props], props[0][1], props[0][2]


def mixing_weights(strategy: str, shape: tuple[int, ...], rng: np.random.Generator,
                   logits: torch.Tensor | None = None, mix: MixConfig | None = None) -> torch.Tensor:
    """Mixing weights (N, P, h, w) that sum to 1 over P at every pixel; h = w = 1 when one weight
    covers the whole image.

    Args:
        shape: the proposals' shape (N, P, 3, H, W).
        rng: draws of the random strategies (dirichlet).
        logits: generator output (N, P, H, W) for the generator strategies.

    Raises:
        ValueError: a generator strategy without logits.
    """
    mix = mix or MixConfig(strategy=strategy)
    n, p = shape[:2]
    kind = STRATEGIES[strategy].weights
    if kind == "single" or kind == "equal":
        return torch.full((n, p, 1, 1), 1.0 / p)
    if kind == "dirichlet":
        # AugMix (Hendrycks et al. 2020, Alg. 1): chains weighted w ~ Dir(a), blended with the
        # original by m ~ Beta(b, b): x = (1 - m) x_orig + m sum_i w_i x_i.
        rows = []
        for _ in range(n):
            w = rng.dirichlet([mix.dirichlet_alpha] * (p - 1))
            m = rng.beta(mix.beta_alpha, mix.beta_alpha)
            rows.append(np.concatenate([[1.0 - m], m * w]))
        return torch.from_numpy(np.asarray(rows, dtype=np.float32)).view(n, p, 1, 1)
    if logits is None:
        raise ValueError(f"strategy {strategy!r} needs the generator's logits")
    if kind == "generator_image":
        return F.softmax(logits.mean(dim=(2, 3), keepdim=True), dim=1)
    return F.softmax(logits, dim=1)


def mix_images(proposals: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Eq. 5: ``sum_i weights_i * proposals_i`` (Hadamard product per pixel).

    Args:
        proposals: (N, P, C, H, W).
        weights: (N, P, H, W) or (N, P, 1, 1), summing to 1 over P.

    Returns:
        (N, C, H, W). With weights that sum to 1, mixing normalised images equals normalising
        the mixed image (normalisation is affine per channel), so either space gives the same.
    """
    return (proposals * weights.unsqueeze(2)).sum(dim=1)


def attention_stats(weights: torch.Tensor) -> dict[str, float]:
    """Non-degeneracy of mixing weights (N, P, h, w): pixel means of the largest weight (1/P =
    uniform, 1 = one proposal per pixel) and of the entropy in nats (ln P = uniform), and the
    fraction of pixels whose largest weight is proposal i (``attn_argmax_i``, 0 = original; ties
    shared equally).

    Image-level weights (h = w = 1) give the same numbers as broadcasting them to every pixel,
    since every image has the same number of pixels.
    """
    w = weights.detach().float()
    p = w.shape[1]
    stats = {"attn_max": float(w.max(dim=1).values.mean()),
             "attn_entropy": float(-(w * w.clamp_min(1e-12).log()).sum(dim=1).mean())}
    # a tie (equal weights) splits the pixel among the tied proposals rather than crediting index 0
    is_max = (w == w.max(dim=1, keepdim=True).values).float()
    frac = (is_max / is_max.sum(dim=1, keepdim=True)).mean(dim=(0, 2, 3))
    stats.update({f"attn_argmax_{i}": float(frac[i]) for i in range(p)})
    return stats


# --------------------------------------------------------------------------------------------
# Generator


def unet_depth(input_hw: tuple[int, int], max_depth: int = MAX_UNET_DEPTH) -> int:
    """The most stride-2 blocks (<= ``max_depth``) after which H and W are still whole numbers,
    so down- and up-sampled features have equal sizes at every skip (appendix A).

    Raises:
        ValueError: H or W is odd (not even one block fits).
    """
    h, w = (int(v) for v in input_hw)
    depth = 0
    while depth < max_depth and h % 2 ** (depth + 1) == 0 and w % 2 ** (depth + 1) == 0:
        depth += 1
    if depth == 0:
        raise ValueError(f"input size {input_hw} must be even in both dimensions for the U-Net generator")
    return depth


class UNetGenerator(nn.Module):
    """U-Net: proposals stacked on channels (N, 3P [+ noise], H, W) -> attention logits (N, P, H, W).

    Encoder block i: [LeakyReLU(0.2)] -> 4x4 conv stride 2 -> [InstanceNorm] (first block: conv
    only; innermost: no norm, as its map can be 1x1). Decoder block: ReLU -> 4x4 transposed conv
    stride 2 -> InstanceNorm (outermost: no norm, raw logits), its input concatenated with the
    encoder feature of the same size. Channels: width * min(2^i, 8).
    """

    def __init__(self, num_proposals: int, depth: int, width: int = 16, noise_channels: int = 0) -> None:
        super().__init__()
        if num_proposals < 2 or depth < 1 or width < 1 or noise_channels < 0:
            raise ValueError(f"UNetGenerator needs num_proposals >= 2, depth >= 1, width >= 1, "
                             f"noise_channels >= 0; got {num_proposals}, {depth}, {width}, {noise_channels}")
        self.num_proposals, self.depth, self.width, self.noise_channels = num_proposals, depth, width, noise_channels
        chans = [width * min(2 ** i, 8) for i in range(depth)]
        self.down = nn.ModuleList()
        for i in range(depth):
            c_in = 3 * num_proposals + noise_channels if i == 0 else chans[i - 1]
            layers: list[nn.Module] = [] if i == 0 else [nn.LeakyReLU(0.2)]
            layers.append(nn.Conv2d(c_in, chans[i], 4, stride=2, padding=1))
            if 0 < i < depth - 1:
                layers.append(nn.InstanceNorm2d(chans[i]))
            self.down.append(nn.Sequential(*layers))
        self.up = nn.ModuleList()
        for i in reversed(range(depth)):
            c_in = chans[i] if i == depth - 1 else 2 * chans[i]
            c_out = chans[i - 1] if i > 0 else num_proposals
            layers = [nn.ReLU(), nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)]
            if i > 0:
                layers.append(nn.InstanceNorm2d(c_out))
            self.up.append(nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
        x = skips.pop()
        for j, block in enumerate(self.up):
            if j > 0:
                x = torch.cat([x, skips.pop()], dim=1)
            x = block(x)
        return x


def build_generator(input_hw: tuple[int, int], mix: MixConfig, seed: int) -> UNetGenerator:
    """The generator for ``mix`` with initial weights a function of ``seed`` alone (the caller's
    torch random state is untouched)."""
    depth = mix.generator_depth or unet_depth(input_hw)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return UNetGenerator(mix.k + 1, depth, mix.generator_width, mix.noise_channels)


def generator_input(proposals: torch.Tensor, rng: np.random.Generator, noise_channels: int) -> torch.Tensor:
    """(N, P, 3, H, W) proposals -> (N, 3P + noise_channels, H, W) generator input."""
    n, p, c, h, w = proposals.shape
    x = proposals.reshape(n, p * c, h, w)
    if noise_channels:
        noise = rng.standard_normal((n, noise_channels, h, w), dtype=np.float32)
        x = torch.cat([x, torch.from_numpy(noise)], dim=1)
    return x


def smooth_logits(logits: torch.Tensor, cell: int) -> torch.Tensor:
    """Attention logits (N, P, H, W) averaged over ``cell`` x ``cell`` blocks and bilinearly
    upsampled back to (H, W); ``cell == 1`` returns them unchanged.

    Why: a per-pixel generator that maximises the student's loss learns to alternate proposals
    from one pixel to the next (the transposed convolutions' checkerboard, Odena et al. 2016). The
    mix is then a high-frequency texture that works as an adversarial noise pattern, so the student
    learns noise robustness at the expense of clean accuracy and of the smooth corruptions (blur,
    fog, brightness): what we measured on the embedded default with ``cell = 1``. Predicting the
    weights on a coarse grid keeps the attention a spatial map of *regions*, as in the paper's
    figures, while the pixels inside a region still come from the proposals at full resolution.
    Blocks at the borders are partial when H or W does not divide by ``cell`` (``ceil_mode``).
    """
    if cell == 1:
        return logits
    h, w = logits.shape[-2:]
    coarse = F.avg_pool2d(logits, cell, stride=cell, ceil_mode=True)
    return F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)


def generator_payload(generator: UNetGenerator) -> dict[str, Any]:
    """What a generator checkpoint holds (tensors and plain types: loads with weights_only=True)."""
    arch = {"num_proposals": generator.num_proposals, "depth": generator.depth,
            "width": generator.width, "noise_channels": generator.noise_channels}
    return {"arch": arch, "state_dict": generator.state_dict()}


def generator_from_payload(payload: dict[str, Any]) -> UNetGenerator:
    generator = UNetGenerator(**payload["arch"])
    generator.load_state_dict(payload["state_dict"])
    return generator.eval()


def generator_lr_at(step: int, steps: int, lr: float) -> float:
    """The paper's step decay (``GENERATOR_LR_DECAY``) scaled to ``steps``."""
    factor = 1.0
    for fraction, f in GENERATOR_LR_DECAY:
        if step >= fraction * steps:
            factor = f
    return lr * factor


# --------------------------------------------------------------------------------------------
# Batches


@dataclass
class StepBatch:
    """One step's samples as arrays (what the figure helper returns is built from this)."""
    originals: np.ndarray   # (N, H, W, 3) uint8: crops after the standard top-down augmentation
    images: np.ndarray      # (N, P, H, W, 3) uint8: the strategy's images (proposals, or P = 1)
    xy: np.ndarray          # (N, K, 2) keypoints of the mixed image, crop pixels
    vis: np.ndarray         # (N, K) 0/1


def step_batch(spec: ModelSpec, data: TrainSet, cfg: TrainConfig, mix: MixConfig, step: int,
               count: int | None = None) -> StepBatch:
    """The samples of training ``step`` (the first ``count`` of them; default all).

    Instances and base crops come from ``rng_for(seed, model, "advmix", step)``, the pool's draws
    from ``(..., step, "pool")``: every strategy sees the same instances and base crops at a
    given step, so strategies are compared on paired batches.
    """
    if not data.instances:
        raise ValueError("no training instances with labelled keypoints")
    hw = tuple(spec.input_size)
    rng = rng_for(cfg.seed, spec.name, "advmix", step)
    idx = rng.integers(0, len(data.instances), size=cfg.batch_size)[:count]
    pool_rng = rng_for(cfg.seed, spec.name, "advmix", step, "pool")
    originals, images, xys, viss = [], [], [], []
    for i in idx:
        img_i, inst = data.instances[i]
        sample = augmented_sample(data.images[img_i], inst, rng, cfg, hw, spec.keypoint_layout)
        imgs, xy, vis = strategy_images(mix.strategy, sample, pool_rng, mix)
        originals.append(sample[0])
        images.append(np.stack(imgs))
        xys.append(xy)
        viss.append(vis)
    return StepBatch(np.stack(originals), np.stack(images), np.stack(xys), np.stack(viss).astype(np.float32))


def batch_tensors(net: PoseNet, batch: StepBatch) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """Normalised originals (N,3,H,W), proposals (N,P,3,H,W) and the model's training targets."""
    n, p, h, w, _ = batch.images.shape
    props = PoseNet.normalise(torch.from_numpy(np.ascontiguousarray(batch.images.reshape(n * p, h, w, 3))))
    originals = PoseNet.normalise(torch.from_numpy(np.ascontiguousarray(batch.originals)))
    y = {k: torch.from_numpy(v) for k, v in net.encode_batch(batch.xy, batch.vis).items()}
    return originals, props.reshape(n, p, 3, h, w), y


def _mix(strategy: str, generator: UNetGenerator | None, props: torch.Tensor,
         rng: np.random.Generator, mix: MixConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(weights, mixed image) of one batch; the draws come from ``rng`` in a fixed order."""
    logits = None
    if generator is not None:
        logits = smooth_logits(generator(generator_input(props, rng, mix.noise_channels)), mix.attention_cell)
    weights = mixing_weights(strategy, tuple(props.shape), rng, logits, mix)
    return weights, mix_images(props, weights)


# --------------------------------------------------------------------------------------------
# Losses and the two alternating steps


def distillation_loss(net: PoseNet, student_out: Output, teacher_out: Output,
                      weights: torch.Tensor) -> torch.Tensor:
    """The model's own loss with the teacher's output as the target (Eq. 7 for heatmaps: MSE).

    Heatmaps: KeypointMSELoss(student, teacher heatmaps). SimCC: KLDiscretLoss with the teacher's
    logits as labels, which its ``label_softmax`` turns into the teacher's distribution (module
    docstring: why not MSE). ``weights`` (N, K): the keypoint weights of the pose loss.

    Raises:
        ValueError: a SimCC loss that does not softmax its labels (teacher logits would then be
            read as a distribution).
    """
    if net.spec.head == "heatmap":
        return net.loss(student_out, {"heatmaps": teacher_out, "weights": weights})
    loss_module = net.head.loss_module
    if not getattr(loss_module, "label_softmax", False) or loss_module.label_beta != loss_module.beta:
        raise ValueError("SimCC distillation needs KLDiscretLoss(label_softmax=True, label_beta=beta)")
    return net.loss(student_out, {"x_labels": teacher_out[0], "y_labels": teacher_out[1], "weights": weights})


def student_step(student: PoseNet, teacher: PoseNet | None, opt: torch.optim.Optimizer,
                 mixed: torch.Tensor, originals: torch.Tensor, targets: dict[str, torch.Tensor],
                 mix: MixConfig, lr: float, precision: str = "float32") -> dict[str, float]:
    """One AdamW step of the student on the (detached) mixed batch; returns its losses.
    ``precision`` (resolved): what the forward passes of student and teacher run in."""
    for group in opt.param_groups:
        group["lr"] = lr
    with autocast(precision):
        out = to_float(student(mixed))
    pose = student.loss(out, targets)
    values = {"pose_loss": pose.item()}
    loss = pose
    if mix.alpha > 0:
        with torch.no_grad(), autocast(precision):
            teacher_out = to_float(teacher(originals if mix.kd_input == "original" else mixed))
        kd = distillation_loss(student, out, teacher_out, targets["weights"])
        loss = (1.0 - mix.alpha) * pose + mix.alpha * kd
        values["kd_loss"] = kd.item()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    values["loss"] = loss.item()
    return values


@contextmanager
def _student_frozen(net: nn.Module) -> Iterator[None]:
    """No weight gradients and unchanged BatchNorm running statistics inside (the layers still
    normalise with batch statistics, as in the student's own step); everything restored after."""
    flags = [p.requires_grad for p in net.parameters()]
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    saved = [(m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone()) for m in norms]
    net.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(net.parameters(), flags):
            p.requires_grad_(flag)
        with torch.no_grad():
            for m, (mean, var, count) in zip(norms, saved):
                m.running_mean.copy_(mean)
                m.running_var.copy_(var)
                m.num_batches_tracked.copy_(count)


def generator_step(student: PoseNet, opt_g: torch.optim.Optimizer, mixed: torch.Tensor,
                   targets: dict[str, torch.Tensor], lr: float, precision: str = "float32") -> float:
    """One Adam step of the generator that *increases* the student's pose loss (Eq. 9).

    ``mixed`` must still carry the graph back to the generator. Returns the minimised objective,
    ``-L_pose`` (so the pose loss the generator reached is its negative).
    """
    for group in opt_g.param_groups:
        group["lr"] = lr
    with _student_frozen(student):
        with autocast(precision):
            out = to_float(student(mixed))
        loss_g = -student.loss(out, targets)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
    opt_g.step()
    return loss_g.item()


def student_from_teacher(teacher: PoseNet) -> PoseNet:
    """A trainable copy of the clean model: AdvMix fine-tunes it (sec. 5.1)."""
    student = copy.deepcopy(teacher)
    student.requires_grad_(True)
    return student.train()


# --------------------------------------------------------------------------------------------
# Training loop


def train_advmix(student: PoseNet, teacher: PoseNet | None, data: TrainSet, cfg: TrainConfig,
                 mix: MixConfig, on_log: Callable[[int, dict[str, float]], None] | None = None,
                 log_every: int = 50) -> tuple[PoseNet, UNetGenerator | None, dict[str, Any]]:
    """Fine-tune ``student`` in place with ``mix.strategy``; ``teacher`` stays unchanged.

    One loop on purpose (nanoGPT style): the student step, the generator's adversarial step and
    the logging share the batch and must stay in this order.

    Args:
        student: the model to train, normally ``student_from_teacher(clean model)``.
        teacher: the clean model for distillation, put in eval mode with gradients off (its
            weights never change); may be None when ``mix.alpha == 0``.
        cfg: the student's schedule (steps, batch, AdamW lr with warm-up + cosine, seed, threads).
        on_log: called every ``log_every`` steps with (step, means over those steps of
            ``loss``, ``pose_loss``, [``kd_loss``], [``generator_loss``], [``attn_*``], and
            ``lr``, [``generator_lr``], ``samples_per_s``).

    Returns:
        ``(student, generator, stats)``: both in eval mode (generator None for strategies without
        one); ``stats`` = ``{"strategy", "steps", "history": [{"step", ...}], "final": {...}}``.

    Raises:
        ValueError: no instances, KD without a teacher, or teacher/student of different specs.
    """
    if not data.instances:
        raise ValueError("no training instances with labelled keypoints")
    if mix.alpha > 0:
        if teacher is None:
            raise ValueError(f"advmix.alpha={mix.alpha} (knowledge distillation) needs a teacher: pass "
                             "the clean model, or set alpha: 0 (AdvMix w/o KD)")
        if teacher.spec != student.spec:
            raise ValueError(f"teacher {teacher.spec.name!r} and student {student.spec.name!r} must share "
                             "the architecture (the paper's KD uses the same network)")
    strategy, name = STRATEGIES[mix.strategy], student.spec.name
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(rng_for(cfg.seed, name, "advmix", "torch").integers(2**31))
    generator = None
    if strategy.uses_generator:
        seed = derive_entropy(cfg.seed, name, "advmix", "generator") % 2**63
        generator = build_generator(tuple(student.spec.input_size), mix, seed).train()
    opt = torch.optim.AdamW(student.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    opt_g = torch.optim.Adam(generator.parameters(), lr=mix.generator_lr) if generator else None
    if teacher is not None:
        teacher.eval().requires_grad_(False)
    student.train()
    history: list[dict[str, float]] = []
    running: dict[str, list[float]] = defaultdict(list)
    t0 = time.time()
    precision = resolve_precision(cfg.precision)
    log.info("%s %s: %d steps of %d in %s", mix.strategy, name, cfg.steps, cfg.batch_size, precision)
    from tqdm import tqdm
    for step in tqdm(range(cfg.steps), desc=f"{mix.strategy} {name}", mininterval=5):
        originals, props, targets = batch_tensors(student, step_batch(student.spec, data, cfg, mix, step))
        weights, mixed = _mix(mix.strategy, generator, props, rng_for(cfg.seed, name, "advmix", step, "mix"), mix)
        values = student_step(student, teacher, opt, mixed.detach(), originals, targets, mix, lr_at(step, cfg),
                              precision)
        if generator is not None:
            values["generator_loss"] = generator_step(student, opt_g, mixed, targets,
                                                      generator_lr_at(step, cfg.steps, mix.generator_lr), precision)
        if weights.shape[1] > 1:
            values.update(attention_stats(weights))
        for key, value in values.items():
            running[key].append(value)
        if (step + 1) % log_every == 0 or step + 1 == cfg.steps:
            record = {key: float(np.mean(v)) for key, v in running.items()}
            record["lr"] = lr_at(step, cfg)
            if generator is not None:
                record["generator_lr"] = generator_lr_at(step, cfg.steps, mix.generator_lr)
            record["samples_per_s"] = (step + 1) * cfg.batch_size / max(time.time() - t0, 1e-9)
            history.append({"step": step + 1, **record})
            if on_log:
                on_log(step + 1, record)
            running.clear()
    student.eval()
    if generator is not None:
        generator.eval()
    stats = {"strategy": mix.strategy, "steps": cfg.steps, "mix": asdict(mix),
             "history": history, "final": history[-1] if history else {}}
    return student, generator, stats


# --------------------------------------------------------------------------------------------
# Figure data


@torch.no_grad()
def mixing_examples(spec: ModelSpec, generator: UNetGenerator | None, data: TrainSet,
                    cfg: TrainConfig, mix: MixConfig, step: int = 0, count: int = 4) -> dict[str, np.ndarray]:
    """The first ``count`` training samples of ``step`` with their proposals, weights and mix.

    Returns:
        ``originals`` (n,H,W,3) uint8, ``proposals`` (n,P,H,W,3) uint8, ``attention`` (n,P,H,W)
        float32 (broadcast to every pixel for image-level strategies), ``mixed`` (n,H,W,3) uint8,
        ``keypoints`` (n,K,2) and ``visible`` (n,K).

    Raises:
        ValueError: a generator strategy without a generator.
    """
    if STRATEGIES[mix.strategy].uses_generator and generator is None:
        raise ValueError(f"strategy {mix.strategy!r} needs the trained generator")
    batch = step_batch(spec, data, cfg, mix, step, count)
    n, p, h, w, _ = batch.images.shape
    props = PoseNet.normalise(torch.from_numpy(np.ascontiguousarray(batch.images.reshape(n * p, h, w, 3))))
    if generator is not None:
        generator.eval()
    weights, _ = _mix(mix.strategy, generator, props.reshape(n, p, 3, h, w),
                      rng_for(cfg.seed, spec.name, "advmix", step, "mix"), mix)
    attention = weights.expand(n, p, h, w).numpy().astype(np.float32)
    mixed = (attention[..., None] * batch.images.astype(np.float32)).sum(axis=1)
    return {"originals": batch.originals, "proposals": batch.images, "attention": attention,
            "mixed": np.clip(np.rint(mixed), 0, 255).astype(np.uint8),
            "keypoints": batch.xy, "visible": batch.vis}


__all__ = ["MixConfig", "mix_config", "mix_config_from_params", "MIX_KEYS", "STRATEGIES", "Strategy",
           "UNetGenerator", "train_advmix", "student_from_teacher",
           "mixing_weights", "mix_images", "attention_stats", "mixing_examples", "unet_depth",
           "build_generator", "smooth_logits", "generator_payload", "generator_from_payload", "distillation_loss",
           "step_batch", "batch_tensors", "student_step", "generator_step", "generator_lr_at"]
