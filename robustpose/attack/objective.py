"""What an attack optimises: a top-down network's own training loss on grey-level crops.

``PoseObjective`` wraps an embedded ``PoseNet`` or a pretrained mmpose model (``TopdownAdapter``)
so that every head is attacked the same way:
- the input is the crop after the affine warp, float (N, 3, H, W) in grey levels 0..255, before
  the mean/std normalisation (Shah et al. attack single-person crops; float keeps eps = 0.25);
- targets come from the model's own codec (heatmaps, SimCC distributions, normalised
  coordinates), built from the ground truth (untargeted) or a target pose (targeted);
- the loss is the head's own loss module (KeypointMSELoss, KLDiscretLoss, smooth L1, RLELoss),
  evaluated per sample so that ``loss_fn(x)`` has shape (N,) as the attacks require.

A head with no such loss (bottom-up models, integral regression) is refused with one line.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
from torch import nn

from robustpose.attack.gradient import LossFn
from robustpose.models.net import PoseNet, encode_targets, head_loss, normalise_grey

log = logging.getLogger(__name__)

# mmpose head classes -> the loss/target kind they train with
HEAD_KINDS = {"HeatmapHead": "heatmap", "ViPNASHead": "heatmap", "SimCCHead": "simcc", "RTMCCHead": "simcc",
              "RegressionHead": "regression", "RLEHead": "rle"}


def _parts(net: nn.Module) -> tuple[str, Any, nn.Module]:
    """(head kind, codec, loss module) of an embedded or pretrained top-down network."""
    if isinstance(net, PoseNet):
        return net.spec.head, net.codec, net.head.loss_module
    head = getattr(getattr(net, "estimator", None), "head", None)
    name = type(head).__name__
    if name not in HEAD_KINDS:
        model = getattr(getattr(net, "model", None), "name", type(net).__name__)
        raise ValueError(f"model {model!r}: head {name} has no differentiable pose loss to attack "
                         f"(supported: {', '.join(sorted(HEAD_KINDS))})")
    return HEAD_KINDS[name], head.decoder, head.loss_module


def _tensors(out: Any) -> list[torch.Tensor]:
    return [t for t in (out if isinstance(out, (tuple, list)) else (out,)) if isinstance(t, torch.Tensor)]


def fused_for_gradients(module: nn.Module, input_hw: tuple[int, int], device: torch.device) -> nn.Module:
    """``module`` with every BatchNorm folded into the convolution before it (torch.fx), for
    the attacks' gradients: the same function up to float round-off, 15-30 % faster a step on
    a CPU. Checked on a probe batch; a module fx cannot trace, or whose fused outputs differ,
    is returned as it is (predictions never use the fused copy: eps = 0 stays exact)."""
    from torch.fx.experimental.optimization import fuse

    try:
        fused = fuse(module.eval())
        probe = torch.randn(2, 3, *input_hw, generator=torch.Generator().manual_seed(0)).to(device)
        probe = probe.contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            ref, got = _tensors(module(probe)), _tensors(fused(probe))
        if not ref or len(ref) != len(got) or not all(
                a.shape == b.shape and float((a - b).abs().max()) <= 1e-3 * float(a.abs().max()) + 1e-5
                for a, b in zip(ref, got)):
            raise ValueError("fused outputs differ")
    except Exception as err:   # noqa: BLE001 - any tracing failure means: attack the unfused network
        log.info("attacks use the unfused %s (%s: %s)", type(module).__name__, type(err).__name__, str(err)[:120])
        return module
    for p in fused.parameters():
        p.requires_grad_(False)
    return fused


class PoseObjective:
    """A top-down network as an attack sees it: grey-level crops in, per-sample pose loss out."""

    def __init__(self, net: nn.Module, device: torch.device | str = "cpu") -> None:
        self.kind, self.codec, self.loss_module = _parts(net)
        self.net = net.to(device).eval()
        self.device = torch.device(device)
        # attacks need d loss / d input only: no weight gradients (a third less backward work)
        for p in self.net.parameters():
            p.requires_grad_(False)
        if isinstance(self.net, PoseNet):
            self._features = fused_for_gradients(self.net, self.input_hw, self.device)
        else:   # mmpose estimators trace only in parts, if at all: fuse the backbone where fx can
            est = self.net.estimator
            backbone = getattr(est, "backbone", None)
            self._features = None if backbone is None else fused_for_gradients(backbone, self.input_hw, self.device)

    @property
    def input_hw(self) -> tuple[int, int]:
        return tuple(self.net.input_hw)

    @property
    def num_keypoints(self) -> int:
        return int(self.net.num_keypoints)

    def output(self, x_grey: torch.Tensor) -> Any:
        """The head's raw output for grey-level crops (what its loss takes)."""
        x = normalise_grey(x_grey)
        if isinstance(self.net, PoseNet):
            return self._features(x)
        est = self.net.estimator
        if self._features is None:
            return est.head.forward(est.extract_feat(x))
        feats = self._features(x)
        return est.head.forward(est.neck(feats) if est.with_neck else feats)

    def targets(self, keypoints: np.ndarray, visible: np.ndarray) -> dict[str, torch.Tensor]:
        """Codec targets for keypoints (N,K,2) in crop pixels with visibility (N,K), on the device."""
        encoded = [encode_targets(self.kind, self.codec, k, v) for k, v in zip(keypoints, visible)]
        return {key: torch.from_numpy(np.stack([e[key] for e in encoded])).to(self.device) for key in encoded[0]}

    def per_sample_loss(self, output: Any, targets: dict[str, torch.Tensor]) -> torch.Tensor:
        """(N,) losses: the head's loss module on each sample alone (its own reduction), so the
        value of sample i is what training would compute for a batch of that sample."""
        n = len(targets["weights"])

        def sample(o: Any, i: int) -> Any:
            return tuple(t[i:i + 1] for t in o) if isinstance(o, (tuple, list)) else o[i:i + 1]

        return torch.stack([head_loss(self.kind, self.loss_module, sample(output, i),
                                      {k: v[i:i + 1] for k, v in targets.items()}) for i in range(n)])

    def loss_fn(self, targets: dict[str, torch.Tensor]) -> LossFn:
        """The closure the attacks take: ``x -> per-sample loss against targets``."""
        def loss(x: torch.Tensor) -> torch.Tensor:
            return self.per_sample_loss(self.output(x), targets)
        return loss

    def batch_loss_fn(self, keypoints: np.ndarray, visible: np.ndarray):
        """The universal attack's closure: ``(x_batch, indices) -> losses`` against the targets
        of those dataset indices (encoded once, here)."""
        all_targets = self.targets(keypoints, visible)

        def loss(x: torch.Tensor, idx: np.ndarray) -> torch.Tensor:
            index = torch.as_tensor(idx, device=self.device)
            return self.per_sample_loss(self.output(x), {k: v[index] for k, v in all_targets.items()})
        return loss

    @torch.no_grad()
    def predict(self, x_grey: torch.Tensor, flip_test: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (N,K,2) in crop pixels and scores (N,K), exactly as evaluation decodes them."""
        return self.net.predict_crops(normalise_grey(x_grey), flip_test)


__all__ = ["HEAD_KINDS", "PoseObjective"]
