"""``PoseNet``: an mmpose top-down model with the codec that trains and decodes it.

We use mmpose for what it is good at (backbones, heads, losses, codecs) but not its runner or
data pipeline: our training loop and evaluation feed tensors directly, which keeps them
readable and deterministic. ``forward`` takes normalised crops (N,3,H,W) and returns the head's
raw output; ``decode`` turns that into keypoints in input-crop pixels.
"""
from __future__ import annotations

import pickle
import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

from robustpose.data.keypoints import layout_flip_permutation
from robustpose.models._mmpose_compat import import_mmpose
from robustpose.models.registry import REGRESSION_HEADS, ModelSpec, codec_config, mmpose_config
from robustpose.models.unpickle import refusal

# ImageNet statistics (RGB, 0..255), as in mmpose's PoseDataPreprocessor.
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)

Output = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


def to_grey(images_uint8: torch.Tensor) -> torch.Tensor:
    """(N,H,W,3) uint8 -> (N,3,H,W) float32 grey levels 0..255 (a channels-last view)."""
    return images_uint8.permute(0, 3, 1, 2).float()


def normalise_grey(x: torch.Tensor) -> torch.Tensor:
    """Float crops (N,3,H,W) in grey levels -> the network input (ImageNet mean/std).

    The result is channels-last in memory, as ``to_grey``'s view of an (N,H,W,3) batch is: an
    attacked float batch then runs the very kernels the clean evaluation ran, so eps = 0
    reproduces the clean predictions bit for bit.
    """
    out = (x - MEAN.to(x.device)) / STD.to(x.device)
    return out.contiguous(memory_format=torch.channels_last)


def head_loss(kind: str, loss_module: nn.Module, output: Output, targets: dict[str, torch.Tensor]) -> torch.Tensor:
    """A head's own training loss on ``targets`` (as ``encode_targets`` writes them), for the
    embedded heads and the pretrained mmpose heads of the same kinds alike."""
    if kind == "regression":
        return loss_module(output, targets["labels"], targets["weights"].unsqueeze(-1))
    if kind == "rle":
        return loss_module(output[..., :2], output[..., 2:], targets["labels"], targets["weights"].unsqueeze(-1))
    if kind == "heatmap":
        return loss_module(output, targets["heatmaps"], targets["weights"])
    if kind == "simcc":
        return loss_module(output, (targets["x_labels"], targets["y_labels"]), targets["weights"])
    raise ValueError(f"no loss for head kind {kind!r}")


def encode_targets(kind: str, codec: Any, keypoints: np.ndarray, visible: np.ndarray) -> dict[str, np.ndarray]:
    """Targets for one instance from the model's own codec: keypoints (K,2) in input pixels,
    visible (K,) 0/1."""
    enc = codec.encode(keypoints[None].astype(np.float32), visible[None].astype(np.float32))
    weights = enc["keypoint_weights"][0].astype(np.float32)
    if kind in REGRESSION_HEADS:
        return {"labels": enc["keypoint_labels"][0].astype(np.float32), "weights": weights}
    if kind == "heatmap":
        return {"heatmaps": enc["heatmaps"].astype(np.float32), "weights": weights}
    return {"x_labels": enc["keypoint_x_labels"][0].astype(np.float32),
            "y_labels": enc["keypoint_y_labels"][0].astype(np.float32), "weights": weights}


def unbiased_gaussian_heatmaps(heatmap_wh: tuple[int, int], keypoints: np.ndarray, visible: np.ndarray,
                               sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """mmpose's unbiased (DarkPose) Gaussian targets of a whole batch at once, the same numbers.

    ``MSRAHeatmap.encode`` takes one instance and loops over its keypoints in Python, which was a
    third of the training loop's batch preparation; this is the same float32 arithmetic in the
    same order, broadcast over (N, K). ``keypoints`` (N,K,2) float32 in heatmap pixels, ``visible``
    (N,K). Returns heatmaps (N,K,H,W) float32 and weights (N,K) float32 (0 for a labelled keypoint
    whose 3-sigma square misses the heatmap, as mmpose)."""
    w, h = heatmap_wh
    radius = sigma * 3
    kx, ky = keypoints[..., 0], keypoints[..., 1]
    outside = (kx - radius >= w) | (ky - radius >= h) | (kx + radius + 1 < 0) | (ky + radius + 1 < 0)
    labelled = visible >= 0.5
    weights = np.where(labelled & outside, 0, visible).astype(np.float32)
    x = np.arange(0, w, 1, dtype=np.float32)
    y = np.arange(0, h, 1, dtype=np.float32)[:, None]
    gaussian = np.exp(-((x - kx[..., None, None]) ** 2 + (y - ky[..., None, None]) ** 2) / (2 * sigma ** 2))
    heatmaps = np.where((labelled & ~outside)[..., None, None], gaussian, np.float32(0))
    return heatmaps.astype(np.float32), weights


def modulate_heatmaps(maps: np.ndarray, kernel: int) -> np.ndarray:
    """mmpose's ``gaussian_blur`` (DarkPose's modulation) of (M,H,W) float32 maps in one OpenCV call.

    mmpose pads each map with ``kernel // 2`` zeros, blurs it and rescales it to its old maximum.
    The kept pixels of a padded map only ever read that map's own padding, so the padded maps
    stacked into one tall image blur to the same numbers, without M calls."""
    import cv2

    m, h, w = maps.shape
    b = (kernel - 1) // 2
    padded = np.zeros((m, h + 2 * b, w + 2 * b), dtype=np.float32)
    padded[:, b:-b, b:-b] = maps
    blurred = cv2.GaussianBlur(padded.reshape(m * (h + 2 * b), w + 2 * b), (kernel, kernel), 0)
    out = blurred.reshape(m, h + 2 * b, w + 2 * b)[:, b:-b, b:-b].copy()
    with np.errstate(invalid="ignore", divide="ignore"):   # an all-zero map: NaN, as in mmpose
        out *= (maps.reshape(m, -1).max(1) / out.reshape(m, -1).max(1))[:, None, None]
    return out


def decode_unbiased_heatmaps(heatmaps: np.ndarray, blur_kernel_size: int, scale_factor: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray]:
    """mmpose's ``MSRAHeatmap(unbiased=True).decode`` of a whole batch (N,K,H,W) at once.

    The codec decodes one instance per call and refines each keypoint (DarkPose's Taylor step)
    in a Python loop: at the embedded scale that was a third of the evaluate stage's time beside
    the forward pass. Here the maximum, the modulation (mmpose's own ``gaussian_blur`` over all
    N*K maps) and the Newton step (gathered derivatives, batched 2x2 inverses) run vectorised on
    the same float32 values. Returns keypoints (N,K,2) in input pixels and scores (N,K).
    """
    from mmpose.codecs.utils import get_heatmap_maximum

    n, k, h, w = heatmaps.shape
    locs, scores = get_heatmap_maximum(heatmaps)
    maps = modulate_heatmaps(heatmaps.reshape(n * k, h, w), blur_kernel_size)
    np.maximum(maps, 1e-10, maps)
    np.log(maps, maps)
    pts = locs.reshape(n * k, 2).copy()
    x, y = pts[:, 0].astype(int), pts[:, 1].astype(int)
    inside = np.flatnonzero((1 < x) & (x < w - 2) & (1 < y) & (y < h - 2))
    m, x, y = inside, x[inside], y[inside]

    def at(dy: int, dx: int) -> np.ndarray:
        return maps[m, y + dy, x + dx]

    dx = 0.5 * (at(0, 1) - at(0, -1))
    dy = 0.5 * (at(1, 0) - at(-1, 0))
    dxx = 0.25 * (at(0, 2) - 2 * at(0, 0) + at(0, -2))
    dxy = 0.25 * (at(1, 1) - at(-1, 1) - at(1, -1) + at(-1, -1))
    dyy = 0.25 * (at(2, 0) - 2 * at(0, 0) + at(-2, 0))
    ok = dxx * dyy - dxy ** 2 != 0   # mmpose leaves a keypoint with a singular Hessian as it is
    hessian = np.stack([np.stack([dxx, dxy], -1), np.stack([dxy, dyy], -1)], -2)[ok]
    derivative = np.stack([dx, dy], -1)[ok][..., None]
    pts[m[ok]] += (-np.linalg.inv(hessian) @ derivative)[..., 0]
    return pts.reshape(n, k, 2) * scale_factor, scores


def _quiet_mmengine() -> None:
    """mmengine logs every parameter's init at INFO; keep stage logs readable."""
    import logging

    from mmengine.logging import MMLogger

    MMLogger.get_current_instance().setLevel(logging.WARNING)


class PoseNet(nn.Module):
    def __init__(self, spec: ModelSpec, init_seed: int | None = None) -> None:
        """Build the network; ``init_seed`` makes the initial weights a function of it alone
        (the global torch RNG is forked, so the caller's random state is untouched)."""
        super().__init__()
        import_mmpose()
        from mmpose.models import build_pose_estimator
        from mmpose.registry import KEYPOINT_CODECS

        self.spec = spec
        with torch.random.fork_rng(devices=[]):
            if init_seed is not None:
                torch.manual_seed(init_seed)
            estimator = build_pose_estimator(mmpose_config(spec))
            _quiet_mmengine()
            estimator.init_weights()  # mmpose's own init (e.g. N(0, 0.001) for the final layer)
        self.backbone = estimator.backbone
        self.neck = estimator.neck if estimator.with_neck else None   # regression: global pooling
        self.head = estimator.head
        self.codec = KEYPOINT_CODECS.build(codec_config(spec))

    @property
    def input_hw(self) -> tuple[int, int]:
        """Model input (height, width) in pixels (what ``PoseEstimator`` crops to)."""
        return tuple(self.spec.input_size)

    @property
    def num_keypoints(self) -> int:
        return self.spec.num_keypoints

    @staticmethod
    def normalise(images_uint8: torch.Tensor) -> torch.Tensor:
        """(N,H,W,3) uint8 -> (N,3,H,W) float normalised."""
        return normalise_grey(to_grey(images_uint8))

    def forward(self, x: torch.Tensor) -> Output:
        feats = self.backbone(x)
        return self.head.forward(self.neck(feats) if self.neck is not None else feats)

    @property
    def flip_indices(self) -> list[int]:
        """Keypoint ``i`` of a mirrored crop is keypoint ``flip_indices[i]`` of the original."""
        return layout_flip_permutation(self.spec.keypoint_layout, self.spec.num_keypoints)

    def forward_flip_test(self, x: torch.Tensor) -> Output:
        """Average of the outputs on ``x`` and on its mirror image (flipped back, left/right swapped).

        The standard test-time augmentation of the papers' top-down results; for heatmaps the
        flipped map is shifted one pixel, as in SimpleBaseline/HRNet, to undo the flip offset.
        """
        swap = self.flip_indices
        out, out_f = self(x), self(x.flip(3))
        if self.spec.head in REGRESSION_HEADS:
            # mmpose's flip_coordinates: x -> 1 - x - 1/width in normalised coordinates; RLE's
            # sigmas are averaged as probabilities (its head's predict) and mapped back to logits
            back = out_f[:, swap].clone()
            back[..., 0] = 1.0 - back[..., 0] - 1.0 / self.spec.input_size[1]
            if self.spec.head == "regression":
                return (out + back) / 2
            sigma = (out[..., 2:].sigmoid() + back[..., 2:].sigmoid()) / 2
            return torch.cat([(out[..., :2] + back[..., :2]) / 2, torch.logit(sigma, eps=1e-6)], dim=-1)
        if self.spec.head == "heatmap":
            back = out_f.flip(3)[:, swap]
            back[..., 1:] = back[..., :-1].clone()
            return (out + back) / 2
        fx, fy = out_f
        return ((out[0] + fx.flip(2)[:, swap]) / 2, (out[1] + fy[:, swap]) / 2)

    @torch.no_grad()
    def predict_crops(self, x: torch.Tensor, flip_test: bool) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (N,K,2) in crop pixels and confidences (N,K) for normalised crops (N,3,H,W):
        the interface ``PoseEstimator`` drives (``TopdownAdapter`` has the same for mmpose models)."""
        return self.decode(self.forward_flip_test(x) if flip_test else self(x))

    def loss(self, output: Output, targets: dict[str, torch.Tensor]) -> torch.Tensor:
        """The head's own loss (KeypointMSELoss for heatmaps, KLDiscretLoss for SimCC, smooth L1
        for DeepPose, RLELoss for RLE)."""
        return head_loss(self.spec.head, self.head.loss_module, output, targets)

    def encode(self, keypoints: np.ndarray, visible: np.ndarray) -> dict[str, np.ndarray]:
        """Training targets for one instance: keypoints (K,2) in input pixels, visible (K,) 0/1."""
        return encode_targets(self.spec.head, self.codec, keypoints, visible)

    def encode_batch(self, keypoints: np.ndarray, visible: np.ndarray) -> dict[str, np.ndarray]:
        """``encode`` of every instance of a batch, stacked: keypoints (N,K,2) in input pixels,
        visible (N,K). Unbiased heatmaps (every embedded heatmap model) are made in one
        vectorised pass (``unbiased_gaussian_heatmaps``); other codecs instance by instance."""
        codec = self.codec
        if self.spec.head == "heatmap" and type(codec).__name__ == "MSRAHeatmap" and codec.unbiased:
            heatmaps, weights = unbiased_gaussian_heatmaps(
                tuple(codec.heatmap_size), keypoints.astype(np.float32) / codec.scale_factor,
                visible.astype(np.float32), codec.sigma)
            return {"heatmaps": heatmaps, "weights": weights}
        targets = [self.encode(k, v) for k, v in zip(keypoints, visible)]
        return {key: np.stack([t[key] for t in targets]) for key in targets[0]}

    @torch.no_grad()
    def decode(self, output: Output) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (N,K,2) in input-crop pixels and confidences (N,K)."""
        if self.spec.head in REGRESSION_HEADS:
            coords = output.float()
            if self.spec.head == "rle":   # as RLEHead.predict: sigmas through a sigmoid, score = 1 - sigma
                coords = torch.cat([coords[..., :2], coords[..., 2:].sigmoid()], dim=-1)
            pts, scores = self.codec.decode(coords.cpu().numpy())
            return pts.astype(np.float64), scores.astype(np.float64)
        if self.spec.head == "heatmap":
            heatmaps = output.float().cpu().numpy()
            if type(self.codec).__name__ == "MSRAHeatmap" and self.codec.unbiased:
                pts, scores = decode_unbiased_heatmaps(heatmaps, self.codec.blur_kernel_size, self.codec.scale_factor)
                return pts.astype(np.float64), scores.astype(np.float64)
            pts, scores = zip(*(self.codec.decode(h) for h in heatmaps))
            return np.concatenate(pts).astype(np.float64), np.concatenate(scores).astype(np.float64)
        x, y = (o.float().cpu().numpy() for o in output)
        pts, scores = self.codec.decode(x, y)
        return pts.astype(np.float64), scores.astype(np.float64)


def checkpoint_payload(net: PoseNet, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a checkpoint holds: tensors and plain types only, so it loads with weights_only=True."""
    return {"spec": net.spec.to_dict(), "state_dict": net.state_dict(), "meta": dict(extra or {})}


def _reason(err: BaseException) -> str:
    """One line of why torch refused or failed to read a file (its messages run to paragraphs)."""
    text = str(err)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if "WeightsUnpickler error" in text:
        after = text.split("WeightsUnpickler error:", 1)[1]
        first = next((ln.strip() for ln in after.splitlines() if ln.strip()), "")
        return f"the weights-only unpickler refused it: {first}"[:240]
    return f"{type(err).__name__}: {lines[0] if lines else ''}"[:240]


def read_checkpoint(path: str) -> tuple[dict, ModelSpec]:
    """(payload, spec) of a checkpoint written by ``checkpoint_payload``, loaded with
    ``weights_only=True`` (a checkpoint is data, never code). A truncated, corrupt or foreign
    file, or one whose pickle would run code, fails with one line naming it."""
    try:
        with warnings.catch_warnings():   # torch warns about a plain pickle's protocol before refusing it
            warnings.simplefilter("ignore", UserWarning)
            payload = torch.load(path, map_location="cpu", weights_only=True)
        spec = ModelSpec.from_dict(payload["spec"])
    except pickle.UnpicklingError as err:   # would run or build something: name it, in one line
        raise ValueError(refusal(path, err, f"{path}: not a robustpose checkpoint, refused: it holds more than "
                                            f"tensors and plain data ({_reason(err)})")) from None
    except (RuntimeError, KeyError, ValueError, TypeError, OSError, EOFError, AttributeError, IndexError) as err:
        raise ValueError(f"{path}: not a robustpose checkpoint ({_reason(err)})") from None
    return payload, spec


# Layers that never move between keypoint layouts: the last 1x1 (or linear) layer maps features to
# *these* keypoints, and a person's left wrist means nothing to an animal's left front paw.
OUTPUT_LAYERS = ("head.final_layer.", "head.fc.", "head.deconv_head.final_layer.")


def transfer_weights(net: PoseNet, source: dict[str, torch.Tensor]) -> list[str]:
    """Copy into ``net`` every tensor of ``source`` (a state dict) that it has under the same name
    and shape, except the output layers; returns the names copied.

    PoseBench's pre-training factor: a model starts from another's backbone and deconvolution
    layers (e.g. the animal model from the human one) instead of from scratch.

    Raises:
        ValueError: nothing matched (``source`` is not a model of this family).
    """
    own = net.state_dict()
    copied = [k for k, v in source.items() if k in own and own[k].shape == v.shape
              and not k.startswith(OUTPUT_LAYERS)]
    if not any(k.startswith("backbone.") for k in copied):
        raise ValueError(f"model {net.spec.name!r}: no backbone tensor of the initial weights matches "
                         f"(names or shapes differ); train it from scratch or pick a model of its family")
    net.load_state_dict({**own, **{k: source[k] for k in copied}})
    return copied


def load_checkpoint(path: str) -> PoseNet:
    """Rebuild a ``PoseNet`` from a checkpoint written by ``checkpoint_payload``.

    ``weights_only=True``: a checkpoint is data, never code. A corrupt or foreign file fails with
    an error that names it.
    """
    payload, spec = read_checkpoint(path)
    net = PoseNet(spec)
    net.load_state_dict(payload["state_dict"])
    net.eval()
    return net
