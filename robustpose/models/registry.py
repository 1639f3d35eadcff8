"""Model registry: a name maps to a builder of an mmpose top-down config.

Each entry is a few lines over one general builder (``_topdown_config``): the embedded default
uses small variants of the papers' architectures (SimpleBaseline = ResNet + deconvolution heatmap
head; SimCC = ResNet + 1-D coordinate classification head; DeepPose / RLE = ResNet + global
pooling + a linear layer that regresses the coordinates) so they train on a CPU in minutes.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Callable

from robustpose._registry import Registry

HEADS = ("heatmap", "simcc", "regression", "rle")
# Keypoint layouts our networks learn (robustpose.data.keypoints): both have 17 keypoints.
LAYOUTS = ("coco", "ap10k")
# Heads whose output is the coordinates themselves (normalised by the input size).
REGRESSION_HEADS = ("regression", "rle")


@dataclass(frozen=True)
class ModelSpec:
    """Architecture hyper-parameters of a top-down model (everything a checkpoint needs to rebuild)."""
    name: str
    head: str                                   # heatmap | simcc | regression (DeepPose) | rle
    depth: int = 18                             # ResNet depth: 18, 34, 50, 101, 152
    base_channels: int = 32                     # ResNet width (64 = the standard ResNet)
    input_size: tuple[int, int] = (128, 96)     # model input (height, width), pixels
    deconv_channels: tuple[int, ...] = (128, 64, 64)  # one x2 deconv per entry (() = none; unused by regression)
    sigma: float = 2.0                          # Gaussian label sigma: heatmap px / SimCC bins
    simcc_split_ratio: float = 2.0              # simcc: bins per input pixel
    num_keypoints: int = 17
    keypoint_layout: str = "coco"               # what the keypoints mean: coco (people) | ap10k (animals)

    def __post_init__(self) -> None:
        if self.head not in HEADS:
            raise ValueError(f"model {self.name!r}: head must be one of {HEADS}, got {self.head!r}")
        if self.depth not in (18, 34, 50, 101, 152):
            raise ValueError(f"model {self.name!r}: depth must be 18/34/50/101/152, got {self.depth}")
        if self.keypoint_layout not in LAYOUTS:
            raise ValueError(f"model {self.name!r}: keypoint_layout must be one of {LAYOUTS}, "
                             f"got {self.keypoint_layout!r}")
        h, w = self.input_size
        if h % 32 or w % 32:
            raise ValueError(f"model {self.name!r}: input_size {self.input_size} must be multiples of 32")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_size"] = list(self.input_size)
        d["deconv_channels"] = list(self.deconv_channels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelSpec":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"model {d.get('name')!r}: unknown key(s) {unknown}; allowed: {sorted(known)}")
        d = dict(d)
        for key in ("input_size", "deconv_channels"):
            if key in d:
                d[key] = tuple(int(v) for v in d[key])
        return cls(**d)


_REGISTRY: Registry[Callable[[], ModelSpec]] = Registry("model")


def register_model(fn: Callable[[], ModelSpec]) -> Callable[[], ModelSpec]:
    """Register ``fn`` under its own name; a duplicate name is an error (KeyError)."""
    return _REGISTRY.add(fn)


def list_models(pattern: str = "*") -> list[str]:
    """Registered names matching the shell-style ``pattern``, in registration order."""
    return _REGISTRY.names(pattern)


def model_spec(name: str, **overrides: Any) -> ModelSpec:
    """The spec of a registered model with ``overrides`` (e.g. from params) applied.

    Raises:
        KeyError: unknown name (the message lists the valid ones).
        ValueError: an override that is not a spec field.
    """
    base = _REGISTRY.get(name)().to_dict()
    known = set(base)
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"model {name!r}: unknown parameter(s) {unknown}; allowed: {sorted(known - {'name', 'head'})}")
    base.update(overrides)
    return ModelSpec.from_dict(base)


@register_model
def simplebaseline_r18() -> ModelSpec:
    """SimpleBaseline (Xiao et al. 2018) with a half-width ResNet-18: heatmap regression."""
    return ModelSpec(name="simplebaseline_r18", head="heatmap", depth=18, base_channels=32)


@register_model
def simcc_r18() -> ModelSpec:
    """SimCC (Li et al. 2022) with a half-width ResNet-18: per-axis coordinate classification."""
    return ModelSpec(name="simcc_r18", head="simcc", depth=18, base_channels=32, sigma=2.5)



@register_model
def deeppose_r18() -> ModelSpec:
    """DeepPose (Toshev & Szegedy 2014) on the half-width ResNet-18: global pooling and a linear
    layer regress the 17 coordinates directly (smooth-L1 loss), the regression model Shah et al.
    attack and PoseBench's direct-regression family."""
    return ModelSpec(name="deeppose_r18", head="regression", depth=18, base_channels=32, deconv_channels=())


@register_model
def simplebaseline_r18_animal() -> ModelSpec:
    """SimpleBaseline (half-width ResNet-18) for quadrupeds: AP-10K's 17 keypoints, a square input
    as mmpose's AP-10K configs (animals are about as wide as they are tall). PoseBench's animal
    model, trained on the embedded synthetic animals."""
    return ModelSpec(name="simplebaseline_r18_animal", head="heatmap", depth=18, base_channels=32,
                     input_size=(128, 128), keypoint_layout="ap10k")


@register_model
def rle_r18() -> ModelSpec:
    """RLE (Li et al. 2021) on the half-width ResNet-18: regression with a learned residual
    log-likelihood (a normalising flow over the error); predicts a sigma per coordinate, which
    gives the keypoint confidences that plain DeepPose lacks."""
    return ModelSpec(name="rle_r18", head="rle", depth=18, base_channels=32, deconv_channels=())


@register_model
def simplebaseline_r50() -> ModelSpec:
    """SimpleBaseline ResNet-50 256x192: the papers' architecture (paper scale)."""
    return ModelSpec(name="simplebaseline_r50", head="heatmap", depth=50, base_channels=64,
                     input_size=(256, 192), deconv_channels=(256, 256, 256), sigma=2.0)


def mmpose_config(spec: ModelSpec) -> dict[str, Any]:
    """The mmpose 1.x ``TopdownPoseEstimator`` config dict for ``spec``."""
    h, w = spec.input_size
    backbone = dict(type="ResNet", depth=spec.depth, base_channels=spec.base_channels,
                    stem_channels=spec.base_channels)
    expansion = 1 if spec.depth < 50 else 4
    feat_channels = spec.base_channels * 8 * expansion
    if spec.head in REGRESSION_HEADS:
        # mmpose's DeepPose / RLE configs: backbone -> GlobalAveragePooling -> linear head
        loss = (dict(type="SmoothL1Loss", use_target_weight=True) if spec.head == "regression"
                else dict(type="RLELoss", use_target_weight=True))
        head = dict(type="RegressionHead" if spec.head == "regression" else "RLEHead",
                    in_channels=feat_channels, num_joints=spec.num_keypoints, loss=loss)
        return dict(type="TopdownPoseEstimator", backbone=backbone, neck=dict(type="GlobalAveragePooling"),
                    head=head)
    if spec.head == "heatmap":
        n = len(spec.deconv_channels)
        head = dict(type="HeatmapHead", in_channels=feat_channels, out_channels=spec.num_keypoints,
                    deconv_out_channels=spec.deconv_channels, deconv_kernel_sizes=(4,) * n,
                    loss=dict(type="KeypointMSELoss", use_target_weight=True))
    else:
        # With deconvolutions this is SimCC on SimpleBaseline features ("SimBa" in the SimCC
        # paper): per-keypoint maps are flattened into 1-D x/y classifiers.
        n = len(spec.deconv_channels)
        head = dict(type="SimCCHead", in_channels=feat_channels, out_channels=spec.num_keypoints,
                    input_size=(w, h), in_featuremap_size=(w // 32, h // 32),
                    simcc_split_ratio=spec.simcc_split_ratio,
                    deconv_out_channels=spec.deconv_channels or None,
                    deconv_kernel_sizes=(4,) * n or None, deconv_num_groups=(1,) * n or None,
                    # RTMPose's recipe (sharpened softmax, unnormalised Gaussian labels): it
                    # converges in far fewer steps than the original SimCC loss settings.
                    loss=dict(type="KLDiscretLoss", use_target_weight=True, beta=10.0,
                              label_softmax=True))
    return dict(type="TopdownPoseEstimator", backbone=backbone, head=head)


def codec_config(spec: ModelSpec) -> dict[str, Any]:
    """The mmpose codec that turns keypoints into training targets and outputs into keypoints."""
    h, w = spec.input_size
    if spec.head in REGRESSION_HEADS:
        return dict(type="RegressionLabel", input_size=(w, h))
    if spec.head == "heatmap":
        stride = 32 // (2 ** len(spec.deconv_channels))
        # unbiased=True: DARK sub-pixel decoding (Zhang et al. 2020); matters at low resolution.
        return dict(type="MSRAHeatmap", input_size=(w, h), heatmap_size=(w // stride, h // stride),
                    sigma=spec.sigma, unbiased=True)
    return dict(type="SimCCLabel", input_size=(w, h), sigma=spec.sigma,
                simcc_split_ratio=spec.simcc_split_ratio, normalize=False)


__all__ = ["ModelSpec", "register_model", "list_models", "model_spec", "mmpose_config",
           "codec_config", "HEADS", "REGRESSION_HEADS"]
