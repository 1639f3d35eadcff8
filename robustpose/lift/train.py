"""Lifter inputs (27-frame windows of normalised 2D) and the training loop, readable in one sitting.

Inputs follow VideoPose3D: pixel coordinates are mapped to ``[-1, 1]`` across the image width
(``x / w * 2 - 1``, ``y / w * 2 - h / w``, keeping the aspect ratio), confidence is passed as is,
and the target is the camera-frame 3D pose relative to the pelvis, in metres. A window is the 27
frames centred on one frame; only frames with a full window are used (no edge padding).

Per step: draw a batch of windows, optionally add TAGN noise to their 2D, and take one Adam
step on the MPJPE loss; the learning rate warms up over 5 % of the steps, then decays
exponentially to ``lr * lr_final`` at the end.
Batches and TAGN noise have their own generators derived from ``(seed, "lift", lifter, ...)``
and do not depend on the variant, so baseline, TAGN and CA-Conv runs of one seed see the same
batches (paired comparisons); weights are initialised under a seeded ``torch.random.fork_rng``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from robustpose.lift.models import RECEPTIVE_FIELD, LifterSpec, build_lifter
from robustpose.lift.motion import LiftSequence
from robustpose.lift.tagn import TAGNConfig, add_tagn
from robustpose.seeding import derive_entropy, rng_for

log = logging.getLogger(__name__)
HALF = RECEPTIVE_FIELD // 2


def normalize_2d(keypoints_2d: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pixels ``(..., J, 3)`` -> VideoPose3D screen-normalised x, y; confidence unchanged."""
    out = np.asarray(keypoints_2d, np.float32).copy()
    out[..., 0] = out[..., 0] / width * 2 - 1
    out[..., 1] = out[..., 1] / width * 2 - height / width
    return out


@dataclass
class WindowSet:
    """All sequences concatenated, plus the frame index of every window centre.

    ``inputs`` ``(N, J, 3)`` normalised 2D, ``targets`` ``(N, J, 3)`` root-relative 3D (m),
    ``centres`` ``(W,)`` indices into them with 13 frames of the same sequence on each side.
    """
    inputs: np.ndarray
    targets: np.ndarray
    centres: np.ndarray

    def gather(self, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(B, 27, J, 3)`` input windows and ``(B, J, 3)`` centre-frame targets."""
        frames = centres[:, None] + np.arange(-HALF, HALF + 1)
        return self.inputs[frames], self.targets[centres]

    def __len__(self) -> int:
        return len(self.centres)


def make_windows(sequences: Sequence[LiftSequence], stride: int = 1,
                 keypoints: Sequence[np.ndarray] | None = None) -> WindowSet:
    """Windows centred every ``stride`` frames of every sequence long enough for one.

    Args:
        sequences: the split.
        stride: distance in frames between window centres.
        keypoints: optional replacement 2D ``(T, J, 3)`` per sequence (a corrupted copy).
    """
    inputs, targets, centres = [], [], []
    offset = 0
    for i, seq in enumerate(sequences):
        kp = seq.keypoints_2d if keypoints is None else keypoints[i]
        inputs.append(normalize_2d(kp, seq.image_width, seq.image_height))
        targets.append((seq.pose_3d - seq.pose_3d[:, :1]).astype(np.float32))
        T = seq.num_frames
        if T >= RECEPTIVE_FIELD:
            centres.append(offset + np.arange(HALF, T - HALF, stride))
        offset += T
    if not centres:
        raise ValueError(f"no sequence has the {RECEPTIVE_FIELD} frames a window needs")
    return WindowSet(np.concatenate(inputs), np.concatenate(targets), np.concatenate(centres))


@dataclass(frozen=True)
class LiftTrainConfig:
    steps: int = 1000         # Adam steps
    batch_size: int = 64      # windows per step (at a fixed CPU budget, more small steps win)
    lr: float = 6e-3          # peak learning rate
    lr_final: float = 0.1     # final lr as a fraction of lr (exponential decay)
    seed: int = 0             # model seed: init, batches, dropout, TAGN draws
    threads: int = 1          # torch CPU threads (fixed: results depend on it)
    device: str = "cpu"       # cpu | cuda | auto (cuda when available); bit-identical reruns on cpu only

    def __post_init__(self) -> None:
        if self.device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"lift.device must be cpu, cuda or auto, got {self.device!r}")
        for name in ("steps", "batch_size", "threads"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"lift.{name} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.lr < 1:
            raise ValueError(f"lift.lr must be in (0, 1), got {self.lr}")
        if not 0 < self.lr_final <= 1:
            raise ValueError(f"lift.lr_final must be in (0, 1], got {self.lr_final}")


def lr_factor(step: int, cfg: LiftTrainConfig) -> float:
    """Linear warm-up over the first 5 % of steps (attention layers diverge without it at this
    learning rate), then exponential decay to ``lr_final`` at the last step."""
    warmup = max(cfg.steps // 20, 1)
    return min(1.0, (step + 1) / warmup) * cfg.lr_final ** (step / max(cfg.steps - 1, 1))


def mpjpe_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean per-joint Euclidean distance (the metric itself, in the targets' unit)."""
    return torch.linalg.vector_norm(pred - target, dim=-1).mean()


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("lift.device = cuda but no CUDA device is available (use cpu or auto)")
    return torch.device(name)


def init_lifter(spec: LifterSpec, seed: int) -> torch.nn.Module:
    """A lifter whose initial weights depend only on ``(seed, lifter name)``.

    CA-Conv holds its weights in a conv of the plain conv's shape, created in the same order, so
    a lifter with and without CA-Conv start from the same weights for the same seed.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_entropy(seed, "lift", spec.name, "init") % 2**63)
        return build_lifter(spec)


def train_lifter(spec: LifterSpec, data: WindowSet, cfg: LiftTrainConfig,
                 tagn: TAGNConfig | None = None, desc: str = "") -> torch.nn.Module:
    """Train one lifter from scratch; returns it in eval mode.

    Args:
        spec: which lifter (and whether its first block is CA-Conv).
        data: training windows.
        cfg: optimisation settings and the model seed.
        tagn: TAGN noise settings, or None for clean training.
        desc: label for the progress bar.
    """
    from tqdm import tqdm

    torch.set_num_threads(cfg.threads)
    device = resolve_device(cfg.device)
    model = init_lifter(spec, cfg.seed).to(device)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, fused=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: lr_factor(step, cfg))
    batches = rng_for(cfg.seed, "lift", spec.name, "batches")
    noise_rng = rng_for(cfg.seed, "lift", spec.name, "tagn")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_entropy(cfg.seed, "lift", spec.name, "dropout") % 2**63)
        for step in tqdm(range(cfg.steps), desc=f"train {desc or spec.name}", mininterval=10, leave=False):
            idx = data.centres[batches.integers(0, len(data), size=cfg.batch_size)]
            x, y = data.gather(idx)
            if tagn is not None:
                x = add_tagn(x, tagn, noise_rng)
            loss = mpjpe_loss(model(torch.from_numpy(x).to(device)), torch.from_numpy(y).to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if step == 0 or step + 1 == cfg.steps:
                log.debug("%s step %d loss %.4f m", desc or spec.name, step, loss.item())
    return model.eval()


@torch.no_grad()
def predict(model: torch.nn.Module, data: WindowSet, batch_size: int = 2048) -> np.ndarray:
    """Root-relative 3D predictions ``(W, J, 3)`` for every window centre of ``data``."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(data), batch_size):
        x, _ = data.gather(data.centres[start:start + batch_size])
        out.append(model(torch.from_numpy(x).to(device)).cpu().numpy())
    return np.concatenate(out)
