"""Registry of the papers' pretrained mmpose models (paper scale).

One entry per published checkpoint of the papers' 2D benchmarks that mmpose 1.x has a config
for. An entry is a few lines over one builder per family; the builders rebuild the *model*
part of the mmpose config (``backbone``/``neck``/``head``/``test_cfg``) and its codec, and are
checked key-for-key against the config files mmpose ships
(``tests/test_pretrained.py``). ``init_cfg`` (ImageNet / MAE / AIC backbone initialisation)
is left out on purpose: the published checkpoint replaces every weight, and honouring it
would download a second file at build time.

URLs and published numbers are transcribed from the mmpose model-zoo metafiles at commit
759b39c; ``None`` where a value is not published. The MPII entries came later: theirs are
read from the metafiles mmpose 1.3.2 ships (``tests/test_pretrained.py`` checks them against
those files). Not registered:
- ``simplebaseline_res101_384x288``: mmpose's metafile links it to the 256x192 weights
  (065d3625); the 0.x file is registered instead as ``simplebaseline_res101_384x288_0x_fallback``.
- HigherHRNet (Wang et al.'s bottom-up rows): no mmpose 1.x config exists (0.x only).
- 3D lifters (VideoPose3D, MotionBERT): not 2D estimators; they belong to ``robustpose.lift``.
"""
from __future__ import annotations

import copy
import importlib.util
import re
from dataclasses import dataclass
from typing import Any, Callable

from robustpose._registry import Registry

MODEL_FAMILIES = ("topdown_heatmap", "topdown_simcc", "topdown_regression", "bottomup")
# Dataset a checkpoint was trained on = its keypoint layout (robustpose.data.keypoints.DATASET_LAYOUTS)
# and the size of its keypoint output.
DATASET_KEYPOINTS = {"coco": 17, "ap10k": 17, "mpii": 16}

# download.openmmlab.com file name = <name>-<sha256[:8]>_<YYYYMMDD>.pth (mmpose
# tools/misc/publish_model.py); DEKR files swap the separators: <name>_<sha256[:8]>-<YYYYMMDD>.pth.
_SHA_IN_NAME = re.compile(r"[-_]([0-9a-f]{8})[-_]\d{8}\.pth$")

# What each optional requirement is for, and how to check it is installed.
_REQUIREMENTS = {
    "mmpretrain": ("the ViT backbone (type 'mmpretrain.VisionTransformer')", "mmpretrain"),
    "mmcv-full": ("compiled mmcv ops (mmdet's CSPNeXt import chain, DEKR's DeformConv2d); "
                  "mmcv-lite lacks them", "mmcv._ext"),
}

_STATUS = ("url_verified: URL and AP read from the mmpose metafile/model-zoo page @759b39c "
           "; sha256 prefix parsed from the file name, file not yet hashed")
_STATUS_0X = ("UNVERIFIED: mmpose 0.x-era file; loading it into the 1.x config relies on mmpose's "
              "key-rename state-dict hooks and has not been tried")

_WANG = "wang2023 (When Human Pose Estimation Meets Robustness)"
_POSEBENCH = "posebench (model list unpublished: family/analysis only)"


@dataclass(frozen=True)
class PretrainedModel:
    """A published mmpose checkpoint with the config that rebuilds it.

    ``config`` is an mmpose 1.x model config dict (``TopdownPoseEstimator`` or
    ``BottomupPoseEstimator``); ``codec`` the keypoint codec (also set as the head's decoder);
    ``input_wh`` is the input (width, height), mmpose's order, passed to its codecs and heads as is
    (``input_size`` is the (height, width) the rest of this project uses); ``dataset`` (one of ``DATASET_KEYPOINTS``)
    the training set, which fixes the keypoint layout; ``published_ap`` the model zoo's clean AP
    on ``dataset`` val (COCO: detector boxes, human AP 56.4; AP-10K: GT boxes) as a fraction;
    ``published_pckh`` the same for MPII models (PCKh@0.5 mean on MPII val, the metafile's
    ``Mean``), as MPII is not scored with AP;
    ``requires`` lists what the local recipe (DESIGN.md) does not install but the model needs;
    ``config_file`` is the mmpose config it mirrors, relative to the mmpose repository root;
    ``bottomup_resize`` (bottom-up models only) the arguments of the ``BottomupResize`` transform
    of that config's test pipeline, which fixes how an image is resized to the model input.
    """
    name: str
    family: str
    config: dict[str, Any]
    codec: dict[str, Any]
    input_wh: tuple[int, int]
    dataset: str
    checkpoint_url: str
    sha256_prefix: str | None
    published_ap: float | None
    status: str
    paper: str
    config_file: str | None = None
    requires: tuple[str, ...] = ()
    published_pckh: float | None = None
    bottomup_resize: dict[str, Any] | None = None

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) in pixels, the order of ``ModelSpec.input_size`` and every ``meta``."""
        w, h = self.input_wh
        return h, w

    def __post_init__(self) -> None:
        if self.family not in MODEL_FAMILIES:
            raise ValueError(f"pretrained model {self.name!r}: family must be one of {MODEL_FAMILIES}, "
                             f"got {self.family!r}")
        if self.dataset not in DATASET_KEYPOINTS:
            raise ValueError(f"pretrained model {self.name!r}: dataset must be one of "
                             f"{tuple(DATASET_KEYPOINTS)}, got {self.dataset!r}")
        if (self.family == "bottomup") != (self.bottomup_resize is not None):
            raise ValueError(f"pretrained model {self.name!r}: bottomup_resize must be given for a "
                             f"bottom-up model and only for one (family {self.family!r})")
        if not self.checkpoint_url.startswith("https://"):
            raise ValueError(f"pretrained model {self.name!r}: checkpoint_url must be https, "
                             f"got {self.checkpoint_url!r}")
        if self.sha256_prefix is not None and not re.fullmatch(r"[0-9a-f]{8}", self.sha256_prefix):
            raise ValueError(f"pretrained model {self.name!r}: sha256_prefix must be 8 lowercase hex "
                             f"characters or None, got {self.sha256_prefix!r}")
        unknown = sorted(set(self.requires) - set(_REQUIREMENTS))
        if unknown:
            raise ValueError(f"pretrained model {self.name!r}: unknown requirement(s) {unknown}; "
                             f"known: {sorted(_REQUIREMENTS)}")


def sha256_prefix_from_url(url: str) -> str | None:
    """The 8 hex characters mmpose's publish script put in the file name, or None."""
    m = _SHA_IN_NAME.search(url.rsplit("/", 1)[-1])
    return m.group(1) if m else None


# ---------------------------------------------------------------------------------------------
# Registry
_REGISTRY: Registry[Callable[[], PretrainedModel]] = Registry("pretrained model")


def register_pretrained(fn: Callable[[], PretrainedModel]) -> Callable[[], PretrainedModel]:
    """Register ``fn`` under its own name; a duplicate name is an error (KeyError)."""
    return _REGISTRY.add(fn)


def list_pretrained(pattern: str = "*", family: str | None = None) -> list[str]:
    """Registered names matching the shell-style ``pattern``, optionally of one ``family``."""
    if family is not None and family not in MODEL_FAMILIES:
        raise ValueError(f"unknown family {family!r}; valid families: {', '.join(MODEL_FAMILIES)}")
    names = _REGISTRY.names(pattern)
    if family is not None:
        names = [n for n in names if _REGISTRY.get(n)().family == family]
    return names


def pretrained_model(name: str) -> PretrainedModel:
    """The registered entry ``name`` (a fresh object: mutating its dicts changes nothing here).

    Raises:
        KeyError: unknown name (the message lists the valid ones).
    """
    model = _REGISTRY.get(name)()
    if model.name != name:
        raise AssertionError(f"registry entry {name!r} builds a model named {model.name!r}")
    return model


def missing_requirements(model: PretrainedModel) -> list[str]:
    """The entries of ``model.requires`` that are not importable here."""
    missing = []
    for req in model.requires:
        module = _REQUIREMENTS[req][1]
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:  # the parent package of a submodule is absent
            found = False
        if not found:
            missing.append(req)
    return missing


def check_requirements(model: PretrainedModel) -> None:
    """Fail early, before a checkpoint is read, when ``model`` cannot be built here.

    Raises:
        ImportError: the model needs a package that is not installed (``model.requires``).
    """
    missing = missing_requirements(model)
    if missing:
        why = "; ".join(f"{r}: {_REQUIREMENTS[r][0]}" for r in missing)
        raise ImportError(f"pretrained model {model.name!r} needs {', '.join(missing)} which is not "
                          f"installed ({why}); see DESIGN.md, mmpose recipe")


def build_estimator(model: PretrainedModel):
    """Build the (randomly initialised) mmpose estimator for ``model`` (a ``torch.nn.Module``).

    Raises:
        ImportError: the model needs a package that is not installed (``model.requires``).
    """
    check_requirements(model)
    from robustpose.models._mmpose_compat import import_mmpose

    import_mmpose()
    from mmengine.registry import DefaultScope
    from mmpose.models import build_pose_estimator

    # The estimator builds its data_preprocessor through mmengine's registry, which resolves
    # unscoped names in the default scope: make that mmpose for this build only. Deep copy:
    # mmengine's builders pop keys from the dicts they are given.
    with DefaultScope.overwrite_default_scope("mmpose"):
        return build_pose_estimator(copy.deepcopy(model.config))


# ---------------------------------------------------------------------------------------------
# Config builders: each mirrors the model part of one mmpose config family.
_DATA_PREPROCESSOR = dict(type="PoseDataPreprocessor", mean=[123.675, 116.28, 103.53],
                          std=[58.395, 57.12, 57.375], bgr_to_rgb=True)  # ImageNet RGB statistics
_HEATMAP_TEST_CFG = dict(flip_test=True, flip_mode="heatmap", shift_heatmap=True)


def _resnet(depth: int) -> dict[str, Any]:
    return dict(type="ResNet", depth=depth)


def _hrnet(width: int, multiscale_output: bool = False) -> dict[str, Any]:
    """HRNet-W``width``: 4 stages, branch widths width * (1, 2, 4, 8) (Sun et al. 2019)."""
    w = (width, 2 * width, 4 * width, 8 * width)
    extra = dict(
        stage1=dict(num_modules=1, num_branches=1, block="BOTTLENECK", num_blocks=(4,), num_channels=(64,)),
        stage2=dict(num_modules=1, num_branches=2, block="BASIC", num_blocks=(4,) * 2, num_channels=w[:2]),
        stage3=dict(num_modules=4, num_branches=3, block="BASIC", num_blocks=(4,) * 3, num_channels=w[:3]),
        stage4=dict(num_modules=3, num_branches=4, block="BASIC", num_blocks=(4,) * 4, num_channels=w))
    if multiscale_output:
        extra["stage4"]["multiscale_output"] = True
    return dict(type="HRNet", in_channels=3, extra=extra)


def _topdown(backbone: dict, head: dict, test_cfg: dict, neck: dict | None = None) -> dict[str, Any]:
    cfg = dict(type="TopdownPoseEstimator", data_preprocessor=dict(_DATA_PREPROCESSOR), backbone=backbone)
    if neck is not None:
        cfg["neck"] = neck
    cfg.update(head=head, test_cfg=test_cfg)
    return cfg


def _heatmap_entry(name: str, *, backbone: dict, in_channels: int, size: tuple[int, int], sigma: int,
                   url: str, ap: float | None, paper: str, config_file: str, dataset: str = "coco",
                   status: str = _STATUS, deconv: dict | None = None, codec_type: str = "MSRAHeatmap",
                   shift_heatmap: bool = True, requires: tuple[str, ...] = (),
                   pckh: float | None = None) -> PretrainedModel:
    """Top-down heatmap model: backbone + (deconv) heatmap head, heatmaps at 1/4 input size."""
    w, h = size
    codec = dict(type=codec_type, input_size=size, heatmap_size=(w // 4, h // 4), sigma=sigma)
    head = dict(type="HeatmapHead", in_channels=in_channels, out_channels=DATASET_KEYPOINTS[dataset],
                **(deconv or {}), loss=dict(type="KeypointMSELoss", use_target_weight=True),
                decoder=dict(codec))
    test_cfg = dict(_HEATMAP_TEST_CFG, shift_heatmap=shift_heatmap)
    return PretrainedModel(name=name, family="topdown_heatmap", config=_topdown(backbone, head, test_cfg),
                           codec=codec, input_wh=size, dataset=dataset, checkpoint_url=url,
                           sha256_prefix=sha256_prefix_from_url(url), published_ap=ap, status=status,
                           paper=paper, config_file=config_file, requires=requires, published_pckh=pckh)


def _simplebaseline(name: str, depth: int, size: tuple[int, int], sigma: int, **kw: Any) -> PretrainedModel:
    """SimpleBaseline (Xiao et al. 2018): ResNet + HeatmapHead's default 3 x (256, k4) deconvs."""
    return _heatmap_entry(name, backbone=_resnet(depth), in_channels=2048, size=size, sigma=sigma, **kw)


def _hrnet_topdown(name: str, width: int, size: tuple[int, int], sigma: int, **kw: Any) -> PretrainedModel:
    """HRNet (Sun et al. 2019): highest-resolution branch (1/4) -> 1x1 conv, no deconvolution."""
    return _heatmap_entry(name, backbone=_hrnet(width), in_channels=width, size=size, sigma=sigma,
                          deconv=dict(deconv_out_channels=None), **kw)


# ViTPose (Xu et al. 2022) "classic decoder": MAE-pretrained ViT + 2 deconvs, UDP codec.
# Per size: mmpretrain arch, stochastic-depth rate of the config, embedding width.
_VITPOSE = {
    "small": (dict(embed_dims=384, num_layers=12, num_heads=12, feedforward_channels=384 * 4), 0.1, 384),
    "base": ("base", 0.3, 768),
    "large": ("large", 0.5, 1024),
    "huge": ("huge", 0.55, 1280),
}


def _vitpose(name: str, size_name: str, **kw: Any) -> PretrainedModel:
    arch, drop_path, dims = _VITPOSE[size_name]
    backbone = dict(type="mmpretrain.VisionTransformer", arch=copy.deepcopy(arch), img_size=(256, 192),
                    patch_size=16, qkv_bias=True, drop_path_rate=drop_path, with_cls_token=False,
                    out_type="featmap", patch_cfg=dict(padding=2))
    return _heatmap_entry(name, backbone=backbone, in_channels=dims, size=(192, 256), sigma=2,
                          codec_type="UDPHeatmap", shift_heatmap=False,
                          deconv=dict(deconv_out_channels=(256, 256), deconv_kernel_sizes=(4, 4)),
                          requires=("mmpretrain",), **kw)


# RTMPose (Jiang et al. 2023): CSPNeXt (from mmdet) + RTMCC head (GAU + SimCC).
# Per size: CSPNeXt deepen_factor, widen_factor and the backbone's output channels.
_RTMPOSE = {"t": (0.167, 0.375, 384), "s": (0.33, 0.5, 512), "m": (0.67, 0.75, 768), "l": (1.0, 1.0, 1024)}


def _rtmpose(name: str, size_name: str, *, url: str, ap: float, paper: str, config_file: str,
             status: str = _STATUS) -> PretrainedModel:
    deepen, widen, channels = _RTMPOSE[size_name]
    size = (192, 256)
    codec = dict(type="SimCCLabel", input_size=size, sigma=(4.9, 5.66), simcc_split_ratio=2.0,
                 normalize=False, use_dark=False)
    backbone = dict(_scope_="mmdet", type="CSPNeXt", arch="P5", expand_ratio=0.5, deepen_factor=deepen,
                    widen_factor=widen, out_indices=(4,), channel_attention=True,
                    norm_cfg=dict(type="SyncBN"), act_cfg=dict(type="SiLU"))
    head = dict(type="RTMCCHead", in_channels=channels, out_channels=17, input_size=size,
                in_featuremap_size=(size[0] // 32, size[1] // 32), simcc_split_ratio=2.0,
                final_layer_kernel_size=7,
                gau_cfg=dict(hidden_dims=256, s=128, expansion_factor=2, dropout_rate=0.0, drop_path=0.0,
                             act_fn="SiLU", use_rel_bias=False, pos_enc=False),
                loss=dict(type="KLDiscretLoss", use_target_weight=True, beta=10.0, label_softmax=True),
                decoder=dict(codec))
    return PretrainedModel(name=name, family="topdown_simcc",
                           config=_topdown(backbone, head, dict(flip_test=True)), codec=codec,
                           input_wh=size, dataset="coco", checkpoint_url=url,
                           sha256_prefix=sha256_prefix_from_url(url), published_ap=ap, status=status,
                           paper=paper, config_file=config_file, requires=("mmcv-full",))


def _simcc_res50(name: str, size: tuple[int, int], *, url: str, ap: float, paper: str,
                 config_file: str) -> PretrainedModel:
    """SimCC (Li et al. 2022) on ResNet-50 features, no deconvolution."""
    w, h = size
    codec = dict(type="SimCCLabel", input_size=size, sigma=6.0, simcc_split_ratio=2.0)
    head = dict(type="SimCCHead", in_channels=2048, out_channels=17, input_size=size,
                in_featuremap_size=(w // 32, h // 32), simcc_split_ratio=2.0,
                loss=dict(type="KLDiscretLoss", use_target_weight=True), decoder=dict(codec))
    return PretrainedModel(name=name, family="topdown_simcc",
                           config=_topdown(_resnet(50), head, dict(flip_test=True)), codec=codec,
                           input_wh=size, dataset="coco", checkpoint_url=url,
                           sha256_prefix=sha256_prefix_from_url(url), published_ap=ap, status=_STATUS,
                           paper=paper, config_file=config_file)


def _regression_res50(name: str, head_type: str, *, url: str, ap: float, paper: str,
                      config_file: str) -> PretrainedModel:
    """ResNet-50 + global average pooling + fully connected coordinates: DeepPose (Toshev &
    Szegedy 2014, SmoothL1) or RLE (Li et al. 2021, residual log-likelihood)."""
    size = (192, 256)
    codec = dict(type="RegressionLabel", input_size=size)
    loss = dict(RLEHead=dict(type="RLELoss", use_target_weight=True),
                RegressionHead=dict(type="SmoothL1Loss", use_target_weight=True))[head_type]
    head = dict(type=head_type, in_channels=2048, num_joints=17, loss=loss, decoder=dict(codec))
    config = _topdown(_resnet(50), head, dict(flip_test=True, shift_coords=True),
                      neck=dict(type="GlobalAveragePooling"))
    return PretrainedModel(name=name, family="topdown_regression", config=config, codec=codec,
                           input_wh=size, dataset="coco", checkpoint_url=url,
                           sha256_prefix=sha256_prefix_from_url(url), published_ap=ap, status=_STATUS,
                           paper=paper, config_file=config_file)


def _bottomup(backbone: dict, head: dict, test_cfg: dict, neck: dict | None = None) -> dict[str, Any]:
    cfg = dict(type="BottomupPoseEstimator", data_preprocessor=dict(_DATA_PREPROCESSOR), backbone=backbone)
    if neck is not None:
        cfg["neck"] = neck
    cfg.update(head=head, test_cfg=test_cfg)
    return cfg


# COCO keypoint order in which associative-embedding grouping adds joints (mmpose config).
_AE_DECODE_ORDER = (0, 1, 2, 3, 4, 5, 6, 11, 12, 7, 8, 9, 10, 13, 14, 15, 16)


def _ae_hrnet_w32(name: str, *, url: str, ap: float, paper: str, config_file: str,
                  status: str) -> PretrainedModel:
    """Associative embedding (Newell et al. 2017) on HRNet-W32, 512x512, single scale."""
    size = (512, 512)
    codec = dict(type="AssociativeEmbedding", input_size=size, heatmap_size=(128, 128), sigma=2,
                 decode_topk=30, decode_center_shift=0.5, decode_keypoint_order=list(_AE_DECODE_ORDER),
                 decode_max_instances=30)
    head = dict(type="AssociativeEmbeddingHead", in_channels=32, num_keypoints=17, tag_dim=1,
                tag_per_keypoint=True, deconv_out_channels=None,
                keypoint_loss=dict(type="KeypointMSELoss", use_target_weight=True),
                tag_loss=dict(type="AssociativeEmbeddingLoss", loss_weight=0.001),
                # heatmaps are resized to the input size before grouping (restore_heatmap_size)
                decoder=dict(codec, heatmap_size=size))
    test_cfg = dict(multiscale_test=False, flip_test=True, shift_heatmap=False, restore_heatmap_size=True,
                    align_corners=False)
    return PretrainedModel(name=name, family="bottomup", config=_bottomup(_hrnet(32), head, test_cfg),
                           codec=codec, input_wh=size, dataset="coco", checkpoint_url=url,
                           sha256_prefix=sha256_prefix_from_url(url), published_ap=ap, status=status,
                           paper=paper, config_file=config_file,
                           bottomup_resize=dict(input_size=size, size_factor=64, resize_mode="expand"))


def _dekr(name: str, width: int, side: int, *, url: str, ap: float, paper: str,
          config_file: str) -> PretrainedModel:
    """DEKR (Geng et al. 2021) on HRNet: all 4 branches concatenated, SPR codec, rescoring net."""
    size = (side, side)
    codec = dict(type="SPR", input_size=size, heatmap_size=(side // 4, side // 4), sigma=(4, 2),
                 minimal_diagonal_length=32 ** 0.5, generate_keypoint_heatmaps=True, decode_max_instances=30)
    head = dict(type="DEKRHead", in_channels=15 * width, num_keypoints=17)
    if width != 32:
        head["num_heatmap_filters"] = width
    head.update(heatmap_loss=dict(type="KeypointMSELoss", use_target_weight=True),
                displacement_loss=dict(type="SoftWeightSmoothL1Loss", use_target_weight=True,
                                       supervise_empty=False, beta=1 / 9, loss_weight=0.002),
                decoder=dict(codec),
                # the rescoring net's weights are expected in the checkpoint (its init_cfg is dropped)
                rescore_cfg=dict(in_channels=74, norm_indexes=(5, 6)))
    test_cfg = dict(multiscale_test=False, flip_test=True, nms_dist_thr=0.05, shift_heatmap=True,
                    align_corners=False)
    config = _bottomup(_hrnet(width, multiscale_output=True), head, test_cfg,
                       neck=dict(type="FeatureMapProcessor", concat=True))
    return PretrainedModel(name=name, family="bottomup", config=config, codec=codec, input_wh=size,
                           dataset="coco", checkpoint_url=url, sha256_prefix=sha256_prefix_from_url(url),
                           published_ap=ap, status=_STATUS, paper=paper, config_file=config_file,
                           requires=("mmcv-full",),
                           bottomup_resize=dict(input_size=size, size_factor=32, resize_mode="expand"))


# ---------------------------------------------------------------------------------------------
# Entries. URL / AP transcribed from the mmpose metafiles (published = model-zoo .md value).
_V1_TD = "https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/topdown_heatmap/coco/"
_CFG_TD = "configs/body_2d_keypoint/topdown_heatmap/coco/"
_S256, _S384 = (192, 256), (288, 384)  # (w, h); MSRA heatmap sigma 2 and 3 respectively


@register_pretrained
def simplebaseline_res50_256x192() -> PretrainedModel:
    return _simplebaseline(
        "simplebaseline_res50_256x192", 50, _S256, 2, ap=0.718, paper=f"{_WANG}: Tables 1, 2 (COCO-C)",
        url=_V1_TD + "td-hm_res50_8xb64-210e_coco-256x192-04af38ce_20220923.pth",
        config_file=_CFG_TD + "td-hm_res50_8xb64-210e_coco-256x192.py")


@register_pretrained
def simplebaseline_res50_384x288() -> PretrainedModel:
    return _simplebaseline(
        "simplebaseline_res50_384x288", 50, _S384, 3, ap=0.731, paper=f"{_WANG}: Table 1 (COCO-C)",
        url=_V1_TD + "td-hm_res50_8xb64-210e_coco-384x288-7b8db90e_20220923.pth",
        config_file=_CFG_TD + "td-hm_res50_8xb64-210e_coco-384x288.py")


@register_pretrained
def simplebaseline_res101_256x192() -> PretrainedModel:
    return _simplebaseline(
        "simplebaseline_res101_256x192", 101, _S256, 2, ap=0.728, paper=f"{_WANG}: Tables 1, 2 (COCO-C)",
        url=_V1_TD + "td-hm_res101_8xb64-210e_coco-256x192-065d3625_20220926.pth",
        config_file=_CFG_TD + "td-hm_res101_8xb64-210e_coco-256x192.py")


@register_pretrained
def simplebaseline_res101_384x288_0x_fallback() -> PretrainedModel:
    """The 1.x entry links the 256x192 weights (mmpose bug): this is the 0.x 384x288 file."""
    return _simplebaseline(
        "simplebaseline_res101_384x288_0x_fallback", 101, _S384, 3, ap=0.748,
        paper=f"{_WANG}: Table 1 (COCO-C)", status=_STATUS_0X + "; AP from the 0.x model-zoo page",
        url="https://download.openmmlab.com/mmpose/top_down/resnet/res101_coco_384x288-8c71bdc9_20200709.pth",
        config_file=_CFG_TD + "td-hm_res101_8xb32-210e_coco-384x288.py")


@register_pretrained
def simplebaseline_res152_256x192() -> PretrainedModel:
    return _simplebaseline(
        "simplebaseline_res152_256x192", 152, _S256, 2, ap=0.736, paper=f"{_WANG}: Table 2 (COCO-C)",
        url=_V1_TD + "td-hm_res152_8xb32-210e_coco-256x192-0345f330_20220928.pth",
        config_file=_CFG_TD + "td-hm_res152_8xb32-210e_coco-256x192.py")


@register_pretrained
def simplebaseline_res152_384x288() -> PretrainedModel:
    return _simplebaseline(
        "simplebaseline_res152_384x288", 152, _S384, 3, ap=0.75,
        paper=f"{_POSEBENCH}: input-resolution analysis",
        url=_V1_TD + "td-hm_res152_8xb32-210e_coco-384x288-7fbb906f_20220927.pth",
        config_file=_CFG_TD + "td-hm_res152_8xb32-210e_coco-384x288.py")


@register_pretrained
def hrnet_w32_256x192() -> PretrainedModel:
    return _hrnet_topdown(
        "hrnet_w32_256x192", 32, _S256, 2, ap=0.749,
        paper=f"{_WANG}: Tables 1, 2, 8 and the mixing ablation (COCO-C)",
        status=_STATUS + "; AP 0.749 on the .md page, 0.746 in the .yml",
        url=_V1_TD + "td-hm_hrnet-w32_8xb64-210e_coco-256x192-81c58e40_20220909.pth",
        config_file=_CFG_TD + "td-hm_hrnet-w32_8xb64-210e_coco-256x192.py")


@register_pretrained
def hrnet_w32_384x288() -> PretrainedModel:
    return _hrnet_topdown(
        "hrnet_w32_384x288", 32, _S384, 3, ap=0.761, paper=f"{_WANG}: Tables 1, 8 (COCO-C)",
        status=_STATUS + "; AP 0.761 on the .md page, 0.760 in the .yml",
        url=_V1_TD + "td-hm_hrnet-w32_8xb64-210e_coco-384x288-ca5956af_20220909.pth",
        config_file=_CFG_TD + "td-hm_hrnet-w32_8xb64-210e_coco-384x288.py")


@register_pretrained
def hrnet_w48_256x192() -> PretrainedModel:
    return _hrnet_topdown(
        "hrnet_w48_256x192", 48, _S256, 2, ap=0.756, paper=f"{_WANG}: Tables 1, 2 (COCO-C)",
        url=_V1_TD + "td-hm_hrnet-w48_8xb32-210e_coco-256x192-0e67c616_20220913.pth",
        config_file=_CFG_TD + "td-hm_hrnet-w48_8xb32-210e_coco-256x192.py")


@register_pretrained
def hrnet_w48_384x288() -> PretrainedModel:
    return _hrnet_topdown(
        "hrnet_w48_384x288", 48, _S384, 3, ap=0.767, paper=f"{_WANG}: Table 1 (COCO-C)",
        url=_V1_TD + "td-hm_hrnet-w48_8xb32-210e_coco-384x288-c161b7de_20220915.pth",
        config_file=_CFG_TD + "td-hm_hrnet-w48_8xb32-210e_coco-384x288.py")


_VIT_PAPER = f"{_POSEBENCH}: ViT backbones, backbone capacity"


@register_pretrained
def vitpose_s_256x192() -> PretrainedModel:
    return _vitpose("vitpose_s_256x192", "small", ap=0.739, paper=_VIT_PAPER,
                    url=_V1_TD + "td-hm_ViTPose-small_8xb64-210e_coco-256x192-62d7a712_20230314.pth",
                    config_file=_CFG_TD + "td-hm_ViTPose-small_8xb64-210e_coco-256x192.py")


@register_pretrained
def vitpose_b_256x192() -> PretrainedModel:
    return _vitpose("vitpose_b_256x192", "base", ap=0.757, paper=_VIT_PAPER,
                    url=_V1_TD + "td-hm_ViTPose-base_8xb64-210e_coco-256x192-216eae50_20230314.pth",
                    config_file=_CFG_TD + "td-hm_ViTPose-base_8xb64-210e_coco-256x192.py")


@register_pretrained
def vitpose_l_256x192() -> PretrainedModel:
    return _vitpose("vitpose_l_256x192", "large", ap=0.782, paper=_VIT_PAPER,
                    url=_V1_TD + "td-hm_ViTPose-large_8xb64-210e_coco-256x192-53609f55_20230314.pth",
                    config_file=_CFG_TD + "td-hm_ViTPose-large_8xb64-210e_coco-256x192.py")


@register_pretrained
def vitpose_h_256x192() -> PretrainedModel:
    return _vitpose("vitpose_h_256x192", "huge", ap=0.788, paper=_VIT_PAPER,
                    url=_V1_TD + "td-hm_ViTPose-huge_8xb64-210e_coco-256x192-e32adcd4_20230314.pth",
                    config_file=_CFG_TD + "td-hm_ViTPose-huge_8xb64-210e_coco-256x192.py")


_RTM = "https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/"
_CFG_RTM = "configs/body_2d_keypoint/rtmpose/"
_RTM_PAPER = f"{_POSEBENCH}: pre-training datasets, classification-based heads"
# The coco configs leave bbox_file commented out (GT boxes); the published AP used detections.
_RTM_COCO_STATUS = _STATUS + "; published AP used detector boxes (config default: GT boxes)"
# body7 checkpoints: 7 training sets; AP is COCO val (the .yml labels it "Body8").
_RTM_BODY7_STATUS = _STATUS + "; AP is on COCO val (the .yml labels the dataset Body8)"


@register_pretrained
def rtmpose_t_coco_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_t_coco_256x192", "t", ap=0.682, paper=_RTM_PAPER, status=_RTM_COCO_STATUS,
                    url=_RTM + "rtmpose-tiny_simcc-coco_pt-aic-coco_420e-256x192-e613ba3f_20230127.pth",
                    config_file=_CFG_RTM + "coco/rtmpose-t_8xb256-420e_coco-256x192.py")


@register_pretrained
def rtmpose_s_coco_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_s_coco_256x192", "s", ap=0.716, paper=_RTM_PAPER, status=_RTM_COCO_STATUS,
                    url=_RTM + "rtmpose-s_simcc-coco_pt-aic-coco_420e-256x192-8edcf0d7_20230127.pth",
                    config_file=_CFG_RTM + "coco/rtmpose-s_8xb256-420e_coco-256x192.py")


@register_pretrained
def rtmpose_m_coco_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_m_coco_256x192", "m", ap=0.746, paper=_RTM_PAPER, status=_RTM_COCO_STATUS,
                    url=_RTM + "rtmpose-m_simcc-coco_pt-aic-coco_420e-256x192-d8dd5ca4_20230127.pth",
                    config_file=_CFG_RTM + "coco/rtmpose-m_8xb256-420e_coco-256x192.py")


@register_pretrained
def rtmpose_l_coco_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_l_coco_256x192", "l", ap=0.758, paper=_RTM_PAPER, status=_RTM_COCO_STATUS,
                    url=_RTM + "rtmpose-l_simcc-coco_pt-aic-coco_420e-256x192-1352a4d2_20230127.pth",
                    config_file=_CFG_RTM + "coco/rtmpose-l_8xb256-420e_coco-256x192.py")


@register_pretrained
def rtmpose_t_aic_coco_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_t_aic_coco_256x192", "t", ap=0.685, paper=_RTM_PAPER,
                    url=_RTM + "rtmpose-tiny_simcc-aic-coco_pt-aic-coco_420e-256x192-cfc8f33d_20230126.pth",
                    config_file=_CFG_RTM + "coco/rtmpose-t_8xb256-420e_aic-coco-256x192.py")


@register_pretrained
def rtmpose_s_aic_coco_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_s_aic_coco_256x192", "s", ap=0.722, paper=_RTM_PAPER,
                    url=_RTM + "rtmpose-s_simcc-aic-coco_pt-aic-coco_420e-256x192-fcb2599b_20230126.pth",
                    config_file=_CFG_RTM + "coco/rtmpose-s_8xb256-420e_aic-coco-256x192.py")


@register_pretrained
def rtmpose_m_aic_coco_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_m_aic_coco_256x192", "m", ap=0.758, paper=_RTM_PAPER,
                    url=_RTM + "rtmpose-m_simcc-aic-coco_pt-aic-coco_420e-256x192-63eb25f7_20230126.pth",
                    config_file=_CFG_RTM + "coco/rtmpose-m_8xb256-420e_aic-coco-256x192.py")


@register_pretrained
def rtmpose_l_aic_coco_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_l_aic_coco_256x192", "l", ap=0.765, paper=_RTM_PAPER,
                    url=_RTM + "rtmpose-l_simcc-aic-coco_pt-aic-coco_420e-256x192-f016ffe0_20230126.pth",
                    config_file=_CFG_RTM + "coco/rtmpose-l_8xb256-420e_aic-coco-256x192.py")


@register_pretrained
def rtmpose_t_body7_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_t_body7_256x192", "t", ap=0.659, paper=_RTM_PAPER, status=_RTM_BODY7_STATUS,
                    url=_RTM + "rtmpose-t_simcc-body7_pt-body7_420e-256x192-026a1439_20230504.pth",
                    config_file=_CFG_RTM + "body8/rtmpose-t_8xb256-420e_body8-256x192.py")


@register_pretrained
def rtmpose_s_body7_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_s_body7_256x192", "s", ap=0.697, paper=_RTM_PAPER, status=_RTM_BODY7_STATUS,
                    url=_RTM + "rtmpose-s_simcc-body7_pt-body7_420e-256x192-acd4a1ef_20230504.pth",
                    config_file=_CFG_RTM + "body8/rtmpose-s_8xb256-420e_body8-256x192.py")


@register_pretrained
def rtmpose_m_body7_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_m_body7_256x192", "m", ap=0.749, paper=_RTM_PAPER, status=_RTM_BODY7_STATUS,
                    url=_RTM + "rtmpose-m_simcc-body7_pt-body7_420e-256x192-e48f03d0_20230504.pth",
                    config_file=_CFG_RTM + "body8/rtmpose-m_8xb256-420e_body8-256x192.py")


@register_pretrained
def rtmpose_l_body7_256x192() -> PretrainedModel:
    return _rtmpose("rtmpose_l_body7_256x192", "l", ap=0.767, paper=_RTM_PAPER, status=_RTM_BODY7_STATUS,
                    url=_RTM + "rtmpose-l_simcc-body7_pt-body7_420e-256x192-4dba18fc_20230504.pth",
                    config_file=_CFG_RTM + "body8/rtmpose-l_8xb256-420e_body8-256x192.py")


_V1_SIMCC = "https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/simcc/coco/"
_CFG_SIMCC = "configs/body_2d_keypoint/simcc/coco/"


@register_pretrained
def simcc_res50_256x192() -> PretrainedModel:
    return _simcc_res50("simcc_res50_256x192", _S256, ap=0.721,
                        paper=f"{_POSEBENCH}: classification-based heads",
                        url=_V1_SIMCC + "simcc_res50_8xb64-210e_coco-256x192-8e0f5b59_20220919.pth",
                        config_file=_CFG_SIMCC + "simcc_res50_8xb64-210e_coco-256x192.py")


@register_pretrained
def simcc_res50_384x288() -> PretrainedModel:
    return _simcc_res50("simcc_res50_384x288", _S384, ap=0.735,
                        paper=f"{_POSEBENCH}: input resolution (an extra model, not in the paper's tables)",
                        url=_V1_SIMCC + "simcc_res50_8xb32-140e_coco-384x288-45c3ba34_20220913.pth",
                        config_file=_CFG_SIMCC + "simcc_res50_8xb32-140e_coco-384x288.py")


_V1_REG = "https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/topdown_regression/coco/"
_CFG_REG = "configs/body_2d_keypoint/topdown_regression/coco/"
_REG_PAPER = f"{_POSEBENCH}: heatmap vs regression under mask"


@register_pretrained
def rle_res50_256x192() -> PretrainedModel:
    return _regression_res50("rle_res50_256x192", "RLEHead", ap=0.706, paper=_REG_PAPER,
                             url=_V1_REG + "td-reg_res50_rle-8xb64-210e_coco-256x192-d37efd64_20220913.pth",
                             config_file=_CFG_REG + "td-reg_res50_rle-8xb64-210e_coco-256x192.py")


@register_pretrained
def rle_res50_pretrained_256x192() -> PretrainedModel:
    """RLE initialised from the heatmap-trained SimpleBaseline backbone (extra: not in the paper's tables)."""
    return _regression_res50(
        "rle_res50_pretrained_256x192", "RLEHead", ap=0.719, paper=_REG_PAPER + " (extra)",
        url=_V1_REG + "td-reg_res50_rle-pretrained-8xb64-210e_coco-256x192-2cb494ee_20220913.pth",
        config_file=_CFG_REG + "td-reg_res50_rle-pretrained-8xb64-210e_coco-256x192.py")


@register_pretrained
def deeppose_res50_256x192() -> PretrainedModel:
    return _regression_res50("deeppose_res50_256x192", "RegressionHead", ap=0.541, paper=_REG_PAPER,
                             url=_V1_REG + "td-reg_res50_8xb64-210e_coco-256x192-72ef04f3_20220913.pth",
                             config_file=_CFG_REG + "td-reg_res50_8xb64-210e_coco-256x192.py")


_BU_PAPER = f"{_POSEBENCH}: bottom-up models"


@register_pretrained
def ae_hrnet_w32_512() -> PretrainedModel:
    return _ae_hrnet_w32(
        "ae_hrnet_w32_512", ap=0.656, paper=_BU_PAPER,
        status=_STATUS + "; 0.x-era file reused by the 1.x metafile: loading relies on mmpose's "
        "key-rename state-dict hooks (not tried)",
        url="https://download.openmmlab.com/mmpose/bottom_up/hrnet_w32_coco_512x512-bcb8c247_20200816.pth",
        config_file="configs/body_2d_keypoint/associative_embedding/coco/ae_hrnet-w32_8xb24-300e_coco-512x512.py")


_V1_DEKR = "https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/dekr/coco/"
_CFG_DEKR = "configs/body_2d_keypoint/dekr/coco/"


@register_pretrained
def dekr_hrnet_w32_512() -> PretrainedModel:
    return _dekr("dekr_hrnet_w32_512", 32, 512, ap=0.686, paper=_BU_PAPER,
                 url=_V1_DEKR + "dekr_hrnet-w32_8xb10-140e_coco-512x512_ac7c17bf-20221228.pth",
                 config_file=_CFG_DEKR + "dekr_hrnet-w32_8xb10-140e_coco-512x512.py")


@register_pretrained
def dekr_hrnet_w48_640() -> PretrainedModel:
    return _dekr("dekr_hrnet_w48_640", 48, 640, ap=0.714, paper=_BU_PAPER + " (extra: not in the paper's tables)",
                 url=_V1_DEKR + "dekr_hrnet-w48_8xb10-140e_coco-640x640_74796c32-20230124.pth",
                 config_file=_CFG_DEKR + "dekr_hrnet-w48_8xb10-140e_coco-640x640.py")


_ANIMAL = "https://download.openmmlab.com/mmpose/animal/"
_CFG_AP10K = "configs/animal_2d_keypoint/topdown_heatmap/ap10k/"
_AP10K_PAPER = f"{_POSEBENCH}: AP10K-C"
# AP-10K val split1, ground-truth boxes; 0.x-era files linked from the 1.x metafile.
_AP10K_STATUS = _STATUS + ("; AP on AP-10K val split1 with GT boxes; 0.x-era file: loading relies on "
                           "mmpose's key-rename state-dict hooks (not tried)")
_S256SQ = (256, 256)


@register_pretrained
def ap10k_hrnet_w32_256x256() -> PretrainedModel:
    return _hrnet_topdown("ap10k_hrnet_w32_256x256", 32, _S256SQ, 2, ap=0.722, paper=_AP10K_PAPER,
                          dataset="ap10k", status=_AP10K_STATUS,
                          url=_ANIMAL + "hrnet/hrnet_w32_ap10k_256x256-18aac840_20211029.pth",
                          config_file=_CFG_AP10K + "td-hm_hrnet-w32_8xb64-210e_ap10k-256x256.py")


@register_pretrained
def ap10k_hrnet_w48_256x256() -> PretrainedModel:
    return _hrnet_topdown("ap10k_hrnet_w48_256x256", 48, _S256SQ, 2, ap=0.728,
                          paper=_AP10K_PAPER + " (extra: not in the paper's tables)", dataset="ap10k", status=_AP10K_STATUS,
                          url=_ANIMAL + "hrnet/hrnet_w48_ap10k_256x256-d95ab412_20211029.pth",
                          config_file=_CFG_AP10K + "td-hm_hrnet-w48_8xb64-210e_ap10k-256x256.py")


@register_pretrained
def ap10k_res50_256x256() -> PretrainedModel:
    return _simplebaseline("ap10k_res50_256x256", 50, _S256SQ, 2, ap=0.68, paper=_AP10K_PAPER,
                           dataset="ap10k", status=_AP10K_STATUS,
                           url=_ANIMAL + "resnet/res50_ap10k_256x256-35760eb8_20211029.pth",
                           config_file=_CFG_AP10K + "td-hm_res50_8xb64-210e_ap10k-256x256.py")


@register_pretrained
def ap10k_res101_256x256() -> PretrainedModel:
    return _simplebaseline("ap10k_res101_256x256", 101, _S256SQ, 2, ap=0.681,
                           paper=_AP10K_PAPER + " (extra: not in the paper's tables)", dataset="ap10k",
                           status=_AP10K_STATUS,
                           url=_ANIMAL + "resnet/res101_ap10k_256x256-9edfafb9_20211029.pth",
                           config_file=_CFG_AP10K + "td-hm_res101_8xb64-210e_ap10k-256x256.py")


_MPII_TD = "https://download.openmmlab.com/mmpose/top_down/"
_CFG_MPII = "configs/body_2d_keypoint/topdown_heatmap/mpii/"
_MPII_PAPER = f"{_WANG}: Table 1 (MPII-C)"
# Added later: URL and PCKh read from the mmpose 1.x metafiles
# (configs/body_2d_keypoint/topdown_heatmap/mpii/{resnet,hrnet}_mpii.yml, as shipped in mmpose 1.3.2's
# .mim and on the model-zoo pages resnet_mpii.md / hrnet_mpii.md @47cd9ae).
_MPII_STATUS = ("url_verified: URL and PCKh read from the mmpose 1.x metafile {yml} (mmpose 1.3.2 .mim) "
                "and model-zoo page {md} @47cd9ae; published PCKh@0.5 mean {pckh} (Mean@0.1 {pckh01}) "
                "on MPII val, GT boxes; sha256 prefix parsed from the file name, file not yet hashed; "
                "0.x-era file: loading relies on mmpose's key-rename state-dict hooks (not tried)")


@register_pretrained
def mpii_res50_256x256() -> PretrainedModel:
    return _simplebaseline(
        "mpii_res50_256x256", 50, _S256SQ, 2, ap=None, pckh=0.882, dataset="mpii", paper=_MPII_PAPER,
        status=_MPII_STATUS.format(yml="resnet_mpii.yml", md="resnet_mpii.md", pckh=0.882, pckh01=0.286),
        url=_MPII_TD + "resnet/res50_mpii_256x256-418ffc88_20200812.pth",
        config_file=_CFG_MPII + "td-hm_res50_8xb64-210e_mpii-256x256.py")


@register_pretrained
def mpii_hrnet_w32_256x256() -> PretrainedModel:
    return _hrnet_topdown(
        "mpii_hrnet_w32_256x256", 32, _S256SQ, 2, ap=None, pckh=0.9, dataset="mpii", paper=_MPII_PAPER,
        status=_MPII_STATUS.format(yml="hrnet_mpii.yml", md="hrnet_mpii.md", pckh=0.9, pckh01=0.334),
        url=_MPII_TD + "hrnet/hrnet_w32_mpii_256x256-6c4f923f_20200812.pth",
        config_file=_CFG_MPII + "td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py")


__all__ = ["PretrainedModel", "MODEL_FAMILIES", "DATASET_KEYPOINTS", "register_pretrained", "list_pretrained",
           "pretrained_model", "build_estimator", "check_requirements", "missing_requirements",
           "sha256_prefix_from_url"]
