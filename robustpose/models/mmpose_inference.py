"""The registry's pretrained mmpose models behind the estimators that evaluation calls.

Evaluation sees two kinds of estimator:
- top-down, ``PoseEstimator``: our crop/normalise/map-back code around a network with
  ``predict_crops(x, flip_test) -> (pts, scores)`` in crop pixels. The network is either an
  embedded ``PoseNet`` or a ``TopdownAdapter`` over a loaded mmpose ``TopdownPoseEstimator``;
- bottom-up, ``BottomupEstimator``: whole images through mmpose's own test pipeline
  (``BottomupResize`` + ``PackPoseInputs``) and ``test_step``.

Where mmpose implements a step that changes the numbers (flip test per head type: heatmap flip
and shift, SimCC vector flip, RLE/DeepPose coordinate flip and shift; bottom-up resizing,
grouping and the map back to the image), we call mmpose's code rather than re-implementing it,
so that a published checkpoint scores here what it scores in mmpose. ``load_estimator`` is the
one entry point: a model name and a checkpoint path in, the right estimator out.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np
import torch

from robustpose._io import file_digest
from robustpose.data.keypoints import AP10K_FLIP_PAIRS, COCO_FLIP_PAIRS, flip_permutation, layout_for
from robustpose.data.mpii import MPII_FLIP_PAIRS
from robustpose.models._mmpose_compat import import_mmpose
from robustpose.models.catalogue import resolve
from robustpose.models.checkpoint import load_pretrained
from robustpose.models.estimator import PoseEstimator, check_amp, default_device
from robustpose.models.net import load_checkpoint, read_checkpoint
from robustpose.models.pretrained import (DATASET_KEYPOINTS, PretrainedModel, check_requirements,
                                          list_pretrained, pretrained_model)
from robustpose.models.registry import ModelSpec

# Keypoint layouts a model can predict: left/right pairs that a horizontal flip swaps.
LAYOUT_FLIP_PAIRS: dict[str, tuple[tuple[int, int], ...]] = {
    "coco": COCO_FLIP_PAIRS,
    "ap10k": AP10K_FLIP_PAIRS,
    "mpii": MPII_FLIP_PAIRS,
}

# PackPoseInputs meta keys of the bottom-up configs' test pipelines (AE and DEKR configs alike).
_BOTTOMUP_META_KEYS = ("id", "img_id", "img_path", "crowd_index", "ori_shape", "img_shape", "input_size",
                       "input_center", "input_scale", "flip", "flip_direction", "flip_indices",
                       "raw_ann_info", "skeleton_links")


def flip_indices(layout: str) -> list[int]:
    """mmpose's ``flip_indices`` for ``layout``: keypoint ``i`` of a mirrored image is keypoint
    ``flip_indices[i]`` of the original."""
    if layout not in LAYOUT_FLIP_PAIRS:
        raise ValueError(f"unknown keypoint layout {layout!r}; known: {', '.join(LAYOUT_FLIP_PAIRS)}")
    return flip_permutation(LAYOUT_FLIP_PAIRS[layout], DATASET_KEYPOINTS[layout])


def _to_float32(feats: Any) -> Any:
    """Features (a tensor, or tuples/lists of them) in float32: mmpose's decoders run OpenCV and
    numpy code that does not take float16, so under AMP only the backbone runs in half precision."""
    if isinstance(feats, torch.Tensor):
        return feats.float()
    return type(feats)(_to_float32(f) for f in feats)


# ---------------------------------------------------------------------------------------------
# Top-down
class TopdownAdapter(torch.nn.Module):
    """A loaded mmpose ``TopdownPoseEstimator`` with the interface ``PoseEstimator`` drives.

    ``predict_crops`` runs the estimator's backbone (and neck) on normalised crops, and its head's
    own ``predict`` with the estimator's ``test_cfg`` (``flip_test`` overridden per call), so flip
    test is exactly mmpose's for every head type. Keypoints come back in crop-input pixels; the
    map back to the image is ``PoseEstimator``'s.
    """

    def __init__(self, estimator: torch.nn.Module, model: PretrainedModel) -> None:
        super().__init__()
        if model.family == "bottomup":
            raise ValueError(f"pretrained model {model.name!r} is bottom-up; use BottomupEstimator")
        self.estimator = estimator
        self.model = model
        self.flip_indices = flip_indices(model.dataset)

    @property
    def input_hw(self) -> tuple[int, int]:
        """Model input (height, width) in pixels."""
        return self.model.input_size

    @property
    def num_keypoints(self) -> int:
        return DATASET_KEYPOINTS[self.model.dataset]

    def _data_samples(self, n: int) -> list:
        """What the heads read from a sample's metainfo: the flip pairing (flip test) and the
        input size (regression heads shift flipped coordinates by it)."""
        import_mmpose()
        from mmpose.structures import PoseDataSample

        meta = dict(flip_indices=self.flip_indices, input_size=self.model.input_wh)   # mmpose: (w, h)
        return [PoseDataSample(metainfo=meta) for _ in range(n)]

    @torch.no_grad()
    def predict_crops(self, x: torch.Tensor, flip_test: bool) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (N,K,2) in crop pixels and their scores (N,K), both float64.

        Args:
            x: normalised crops (N,3,H,W) (``PoseNet.normalise``: ImageNet RGB statistics, what
                mmpose's ``PoseDataPreprocessor`` makes of a BGR image with ``bgr_to_rgb``).
            flip_test: average with the mirrored crop, as the head's ``predict`` does it.
        """
        est = self.estimator
        # The same feature extraction as TopdownPoseEstimator.predict, for either flip setting.
        feats = est.extract_feat(x)
        if flip_test:
            feats = [feats, est.extract_feat(x.flip(-1))]
        test_cfg = dict(est.test_cfg, flip_test=flip_test)
        with torch.autocast(x.device.type, enabled=False):
            preds = est.head.predict(_to_float32(feats), self._data_samples(len(x)), test_cfg=test_cfg)
        if isinstance(preds, tuple):  # (instances, heatmaps) when test_cfg asks for heatmaps
            preds = preds[0]
        pts = np.stack([np.asarray(p.keypoints)[0, :, :2] for p in preds]).astype(np.float64)
        scores = np.stack([np.asarray(p.keypoint_scores)[0] for p in preds]).astype(np.float64)
        return pts, scores


# ---------------------------------------------------------------------------------------------
# Bottom-up
class BottomupEstimator:
    """``predict(images) -> (keypoints, instance scores)`` for a loaded mmpose
    ``BottomupPoseEstimator`` (associative embedding; DEKR once full mmcv is installed).

    Each image goes through the config's test pipeline (``BottomupResize`` with the registry
    entry's ``bottomup_resize`` arguments, then ``PackPoseInputs``) and the estimator's
    ``test_step``, which normalises, runs flip test, groups keypoints into people and maps them
    back to the original image. One image per forward pass: images differ in size.

    It takes over ``estimator``: its ``test_cfg`` gets this ``flip_test`` and, where needed, its
    ``extract_feat`` a wrapper (see ``_wrap_extract_feat``); give each BottomupEstimator its own.
    """

    def __init__(self, estimator: torch.nn.Module, model: PretrainedModel, device: torch.device | None = None,
                 flip_test: bool = True, amp: bool = False) -> None:
        if model.family != "bottomup":
            raise ValueError(f"pretrained model {model.name!r} is {model.family}, not bottom-up; "
                             "use PoseEstimator(TopdownAdapter(...))")
        self.device = torch.device(device) if device is not None else default_device()
        check_amp(amp, self.device)
        self.model = model
        self.flip_test = flip_test
        self.num_keypoints = DATASET_KEYPOINTS[model.dataset]
        self.estimator = estimator.to(self.device).eval()
        # test_step reads flip_test from the estimator's own test_cfg (a fresh dict: ours alone).
        self.estimator.test_cfg = dict(estimator.test_cfg, flip_test=flip_test)
        # mmpose 1.3.2's AssociativeEmbeddingHead.predict asserts, without flip test, that the
        # features are a *list* of tensors, but HRNet returns a tuple (with flip test they are a
        # list of two tuples, which passes): hand it a list, the same tensors.
        as_list = not flip_test and model.config["head"]["type"] == "AssociativeEmbeddingHead"
        _wrap_extract_feat(self.estimator, amp=amp, as_list=as_list)
        self._meta = dict(flip_indices=flip_indices(model.dataset), id=0, img_id=0)

    def _pack(self, image_rgb: np.ndarray) -> dict:
        """The config's test pipeline on one image (after LoadImage: BGR, shapes recorded)."""
        import_mmpose()
        from mmpose.datasets.transforms import BottomupResize, PackPoseInputs

        bgr = np.ascontiguousarray(image_rgb[..., ::-1])  # mmpose loads BGR; its preprocessor swaps back
        results = dict(self._meta, img=bgr, img_shape=bgr.shape[:2], ori_shape=bgr.shape[:2])
        results = BottomupResize(**self.model.bottomup_resize)(results)
        return PackPoseInputs(meta_keys=_BOTTOMUP_META_KEYS)(results)

    @torch.no_grad()
    def predict(self, images: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """People found in each image.

        Args:
            images: RGB uint8 (H,W,3) arrays.

        Returns:
            Per image: keypoints (n,K,3) of x, y (original-image pixels, mmpose's map back) and
            keypoint score; and the n instance scores mmpose ranks them by (``bbox_scores``: for
            associative embedding the mean keypoint score of the group, which is what its config
            scores COCO results with, ``score_mode='bbox'``).
        """
        from mmengine.dataset import pseudo_collate

        keypoints, scores = [], []
        for image in images:
            (sample,) = self.estimator.test_step(pseudo_collate([self._pack(image)]))
            pred = sample.pred_instances
            kp = np.asarray(pred.keypoints, dtype=np.float64).reshape(-1, self.num_keypoints, 2)
            conf = np.asarray(pred.keypoint_scores, dtype=np.float64).reshape(-1, self.num_keypoints)
            keypoints.append(np.concatenate([kp, conf[..., None]], axis=-1))
            scores.append(np.asarray(pred.bbox_scores, dtype=np.float64).reshape(-1))
        return keypoints, scores


def _wrap_extract_feat(estimator: torch.nn.Module, amp: bool, as_list: bool) -> None:
    """Adjust ``estimator.extract_feat`` (on this instance only), leaving mmpose's ``predict``
    otherwise untouched.

    ``amp``: run the backbone and neck under float16 autocast and hand float32 features on (the
    heads' decoders use OpenCV and numpy, which need full precision; they are a small share of
    the compute). ``as_list``: return the features as a list instead of a tuple.
    """
    estimator.__dict__.pop("extract_feat", None)  # undo an earlier BottomupEstimator's wrapper
    if not (amp or as_list):
        return
    extract = estimator.extract_feat  # the class's method, bound

    def extract_feat(inputs: torch.Tensor) -> Any:
        with torch.autocast("cuda", dtype=torch.float16, enabled=amp):
            feats = extract(inputs)
        if amp:
            feats = _to_float32(feats)
        return list(feats) if as_list else feats

    estimator.extract_feat = extract_feat


# ---------------------------------------------------------------------------------------------
# Entry points
def _layout(model_name: str, entry: ModelSpec | PretrainedModel) -> str:
    """``keypoint_layout`` of the catalogue entry ``entry`` (resolved from ``model_name``)."""
    if isinstance(entry, PretrainedModel):
        return entry.dataset
    layout = entry.keypoint_layout
    if entry.num_keypoints != DATASET_KEYPOINTS[layout]:
        raise ValueError(f"model {model_name!r}: {entry.num_keypoints} keypoints, but the {layout} "
                         f"layout has {DATASET_KEYPOINTS[layout]}")
    return layout


def keypoint_layout(model_name: str) -> str:
    """The keypoint layout (``coco`` | ``ap10k`` | ``mpii``) that ``model_name`` predicts.

    An embedded model predicts its spec's layout (COCO's 17 for the synthetic people, AP-10K's for
    the synthetic animals); a pretrained model predicts the layout of the dataset it was trained on.

    Raises:
        ValueError: unknown model name (the message lists the valid ones).
    """
    return _layout(model_name, resolve(model_name))


def check_layout(model_name: str, dataset: str) -> None:
    """Refuse to evaluate ``model_name`` on ``dataset`` when their keypoint layouts differ
    (an MPII model on COCO would be scored on the wrong joints).

    Raises:
        ValueError: different layouts, or an unknown model / dataset.
    """
    try:
        data_layout = layout_for(dataset)
    except KeyError as err:
        raise ValueError(err.args[0]) from None
    model_layout = keypoint_layout(model_name)
    if model_layout != data_layout:
        raise ValueError(f"model {model_name!r} predicts the {model_layout} keypoint layout but dataset "
                         f"{dataset!r} is annotated in the {data_layout} layout; evaluate it on a "
                         f"{model_layout} dataset or pick a {data_layout} model")


def describe_model(model_name: str, checkpoint: str) -> dict[str, Any]:
    """What a metrics file records about the model (``meta``): ``input_size`` [height, width] px,
    ``head`` (heatmap | simcc | regression | bottomup) and ``keypoint_layout``; pretrained models
    also their ``checkpoint_url``. An embedded model's size is read from its checkpoint, as
    params may override the registry's.

    Raises:
        ValueError: unknown model name, or an embedded checkpoint without a readable spec.
    """
    model = resolve(model_name)
    layout = _layout(model_name, model)
    if isinstance(model, ModelSpec):
        _, spec = read_checkpoint(checkpoint)
        return {"input_size": list(spec.input_size), "head": spec.head, "keypoint_layout": layout}
    return {"input_size": list(model.input_size), "head": model.family.removeprefix("topdown_"), "keypoint_layout": layout,
            "checkpoint_url": model.checkpoint_url}


def load_estimator(model_name: str, checkpoint: str, *, batch_size: int = 64, flip_test: bool = True,
                   device: torch.device | str | None = None, amp: bool = False,
                   sha256: str | None = None) -> PoseEstimator | BottomupEstimator:
    """The estimator evaluation runs for ``model_name`` with the weights in ``checkpoint``.

    Args:
        model_name: an embedded model (``robustpose.models.list_models()``: a robustpose
            checkpoint) or a pretrained one (``list_pretrained()``: an mmengine checkpoint,
            checked against the registry's sha256 prefix).
        checkpoint: path of the weights file.
        batch_size: crops per forward pass (top-down; bottom-up runs one image at a time).
        flip_test: average with the mirrored input (the papers' test setting).
        device: CUDA when available, else CPU, unless given.
        amp: float16 autocast for the backbone (CUDA only).
        sha256: the digest a user pinned for a mirrored checkpoint (params ``checkpoints.sha256``);
            it replaces the registry's file-name prefix as what the file is checked against.

    Returns:
        ``PoseEstimator`` (top-down: embedded ``PoseNet`` or ``TopdownAdapter``), or
        ``BottomupEstimator`` for the bottom-up family.

    Raises:
        ValueError: unknown name (lists the valid ones); a checkpoint that does not fit; amp on CPU.
        ImportError: the model needs a package that is not installed (DEKR: full mmcv), raised
            before the checkpoint is read.
    """
    device = torch.device(device) if device is not None else default_device()
    net = load_network(model_name, checkpoint, sha256=sha256)
    if isinstance(net, tuple):   # bottom-up: (mmpose estimator, registry entry)
        return BottomupEstimator(net[0], net[1], device=device, flip_test=flip_test, amp=amp)
    return PoseEstimator(net, device=device, batch_size=batch_size, flip_test=flip_test, amp=amp)


def load_network(model_name: str, checkpoint: str, *, sha256: str | None = None
                 ) -> torch.nn.Module | tuple[torch.nn.Module, PretrainedModel]:
    """The network behind ``load_estimator``: a ``PoseNet`` or ``TopdownAdapter`` (top-down,
    what attacks differentiate), or ``(estimator, model)`` for a bottom-up model.

    Raises: as ``load_estimator``.
    """
    model = resolve(model_name)
    if isinstance(model, ModelSpec):
        net = load_checkpoint(checkpoint)
        if net.spec.name != model_name:
            raise ValueError(f"{checkpoint}: holds model {net.spec.name!r}, not {model_name!r}")
        return net
    if sha256:
        got = file_digest(checkpoint)
        if got != sha256.lower():
            raise ValueError(f"{checkpoint}: sha256 {got} is not the pinned {sha256.lower()}")
        model = dataclasses.replace(model, sha256_prefix=None)   # verified in full just now
    check_requirements(model)
    estimator = load_pretrained(model, checkpoint)
    if model.family == "bottomup":
        return estimator, model
    return TopdownAdapter(estimator, model)


def load_topdown(model_name: str, checkpoint: str, *, sha256: str | None = None) -> torch.nn.Module:
    """A top-down network for attacks; a bottom-up model is refused with one line (its grouping
    step has no differentiable pose loss here)."""
    if model_name in list_pretrained() and pretrained_model(model_name).family == "bottomup":
        raise ValueError(f"model {model_name!r} is bottom-up: attacks need a top-down model with a "
                         "differentiable pose loss (heatmap, SimCC or regression head)")
    net = load_network(model_name, checkpoint, sha256=sha256)
    assert not isinstance(net, tuple)
    return net

__all__ = ["BottomupEstimator", "LAYOUT_FLIP_PAIRS", "TopdownAdapter", "check_layout", "describe_model",
           "flip_indices", "keypoint_layout", "load_estimator", "load_network", "load_topdown"]
