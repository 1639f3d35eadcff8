"""Pretrained mmpose models through our estimators give what mmpose's own inference path gives.

Weights are seeded random (no download): the registry's configs are built, their weights perturbed
so that predictions differ across keypoints and flip test changes them, saved as an mmengine
checkpoint and loaded through ``load_pretrained``. Tolerances (asserted; measured in brackets,
details in notes/mmpose_inference.md):
- same input crops, ``TopdownAdapter`` + mmpose's map back vs ``TopdownPoseEstimator.test_step``:
  <= 1e-4 px [<= 2.9e-5 px: mmpose rounds the mapped keypoints to float32], scores <= 1e-6 [0];
- end to end from the image, ``PoseEstimator(TopdownAdapter)`` vs mmpose's transforms
  (``GetBBoxCenterScale``, ``TopdownAffine``, ``PackPoseInputs``) + ``test_step``: <= 1e-3 px
  where our crop is pixel-identical to mmpose's [<= 8.1e-5 px: our float64 inverse affine vs
  mmpose's float32 map back], scores <= 1e-5 [<= 5.7e-7]. ``robustpose.models.crop`` builds its
  warp matrix from other points and in float64, mmpose from float32 boxes: for 2 of the 4 boxes
  of the test image a few hundred crop pixels differ by up to 5 grey levels, which moves
  continuous outputs (RLE) by up to 3.4e-3 px and can flip an argmax between near-equal bins of a
  random-weight heatmap (1 keypoint of 68, flip test on). There >= 90% of keypoints within 1e-2 px.
- bottom-up, ``BottomupEstimator`` vs ``mmpose.apis.inference_bottomup`` with the config file's
  test pipeline: <= 1e-4 px [identical].
"""
from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from robustpose.data.images import read_image
from robustpose.models import catalogue
from robustpose.models import crop as C
from robustpose.models import mmpose_inference as MI
from robustpose.models.checkpoint import load_pretrained
from robustpose.models.estimator import PoseEstimator
from robustpose.models.net import PoseNet, checkpoint_payload
from robustpose.models.pretrained import PretrainedModel, build_estimator, missing_requirements, pretrained_model
from robustpose.models.registry import model_spec

CPU = torch.device("cpu")
# One model per head type. The heatmap model is the registry's ResNet-50 as it is; SimCC and RLE
# keep their registry head, codec and test_cfg on a slim ResNet-18 (``_slim``): what is compared
# (head predict, flip test, decoding, crop geometry) does not depend on the backbone, and three
# ResNet-50s cost ~40 s more on 2 cores.
TOPDOWN = ["simplebaseline_res50_256x192", "simcc_res50_256x192", "rle_res50_256x192"]
SLIM = {"simcc_res50_256x192", "rle_res50_256x192"}
COCO_IMAGE = 196141  # 4 people; crops of boxes 2, 3 are pixel-identical to mmpose's, of 0, 1 not
BOTTOMUP_IMAGE = 40083  # 500x333
TINY_AE_SIZE = 256  # bottom-up test input (the entry's is 512: 9 s per HRNet-W32 forward on 2 cores)


# ------------------------------------------------------------------------------------------
# Fixtures: random-weight checkpoints loaded through load_pretrained
def _perturb(state: dict, seed: int) -> dict:
    """Move every float tensor off its init so outputs are not near-constant: weights + N(0, 0.02),
    BatchNorm running statistics random (eval-mode BN would otherwise be the identity)."""
    g = torch.Generator().manual_seed(seed)
    for key, value in state.items():
        if not value.dtype.is_floating_point:
            continue
        if key.endswith("running_var"):
            value.copy_(0.5 + torch.rand(value.shape, generator=g))
        elif key.endswith("running_mean"):
            value.copy_(0.1 * torch.randn(value.shape, generator=g))
        else:
            value.add_(0.02 * torch.randn(value.shape, generator=g))
    return state


def _random_checkpoint(model: PretrainedModel, path: Path, seed: int = 0) -> Path:
    """An mmengine-format checkpoint (``meta`` + ``state_dict``) of ``model`` with seeded weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        state = build_estimator(model).state_dict()
    torch.save({"meta": {"epoch": 1, "seed": seed}, "state_dict": _perturb(state, seed + 1)}, path)
    return path


def _no_sha(name: str) -> PretrainedModel:
    """The registry entry with its sha256 check off (our fake files cannot match it)."""
    return dataclasses.replace(pretrained_model(name), sha256_prefix=None)


def _slim(model: PretrainedModel) -> PretrainedModel:
    """``model`` on a ResNet-18 of base width 16 (128 output channels) instead of ResNet-50."""
    config = copy.deepcopy(model.config)
    config["backbone"] = dict(type="ResNet", depth=18, base_channels=16, stem_channels=16)
    config["head"]["in_channels"] = 128
    return dataclasses.replace(model, name=f"{model.name}_slim", config=config)


def _topdown_model(name: str) -> PretrainedModel:
    model = _no_sha(name)
    return _slim(model) if name in SLIM else model


def _tiny_ae() -> PretrainedModel:
    """``ae_hrnet_w32_512`` with a narrow, shallow HRNet and a 256 input: the same head, codec,
    test_cfg and test-pipeline arguments, a few seconds on a CPU."""
    base = pretrained_model("ae_hrnet_w32_512")
    config = copy.deepcopy(base.config)
    extra = config["backbone"]["extra"]
    extra["stage1"].update(num_blocks=(1,), num_channels=(16,))
    for n, stage in enumerate(("stage2", "stage3", "stage4"), start=2):
        extra[stage].update(num_modules=1, num_blocks=(1,) * n, num_channels=tuple(8 * 2 ** j for j in range(n)))
    config["head"]["in_channels"] = 8
    size = (TINY_AE_SIZE, TINY_AE_SIZE)
    codec = dict(base.codec, input_size=size, heatmap_size=(size[0] // 4, size[1] // 4))
    config["head"]["decoder"] = dict(codec, heatmap_size=size)  # restore_heatmap_size, as the entry
    return dataclasses.replace(base, name="tiny_ae", config=config, codec=codec, input_wh=size,
                               sha256_prefix=None, bottomup_resize=dict(base.bottomup_resize, input_size=size))


def _tiny_topdown() -> PretrainedModel:
    base = _no_sha("simplebaseline_res50_256x192")
    config = copy.deepcopy(base.config)
    config["backbone"] = dict(type="ResNet", depth=18, base_channels=8, stem_channels=8)
    config["head"].update(in_channels=64, deconv_out_channels=(8,), deconv_kernel_sizes=(4,))
    return dataclasses.replace(base, name="tiny_simplebaseline", config=config)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """``loaded(model) -> (checkpoint path, estimator)``, built once per model for the module."""
    cache: dict[str, tuple[Path, torch.nn.Module]] = {}

    def get(model: PretrainedModel):
        if model.name not in cache:
            path = _random_checkpoint(model, tmp_path_factory.mktemp(model.name) / "ckpt.pth")
            cache[model.name] = (path, load_pretrained(model, path))
        return cache[model.name]
    return get


@pytest.fixture(scope="module")
def mmpose_root() -> Path:
    spec = importlib.util.find_spec("mmpose")
    root = Path(next(iter(spec.submodule_search_locations))) / ".mim" if spec else None
    if root is None or not (root / "configs").is_dir():
        pytest.skip("the installed mmpose ships no configs (.mim/configs)")
    return root


def _coco_image(realdata: Path, image_id: int) -> tuple[np.ndarray, np.ndarray]:
    """RGB image and its ground-truth person boxes (xywh) from ../shared/realdata/coco."""
    ann = json.loads((realdata / "coco" / "test_coco.json").read_text())
    (info,) = [im for im in ann["images"] if im["id"] == image_id]
    boxes = [a["bbox"] for a in ann["annotations"]
             if a["image_id"] == image_id and a["num_keypoints"] > 0 and not a["iscrowd"]]
    return read_image(realdata / "coco" / info["file_name"]), np.asarray(boxes, dtype=np.float64)


# ------------------------------------------------------------------------------------------
# Keypoint layouts
@pytest.mark.parametrize("layout", ["coco", "ap10k", "mpii"])
def test_flip_indices_match_mmpose_dataset_metainfo(layout, mmpose_root):
    from mmpose.datasets.datasets.utils import parse_pose_metainfo

    meta = parse_pose_metainfo(dict(from_file=str(mmpose_root / "configs/_base_/datasets" / f"{layout}.py")))
    assert MI.flip_indices(layout) == list(meta["flip_indices"])
    assert len(MI.flip_indices(layout)) == meta["num_keypoints"]


@pytest.mark.parametrize("name, layout", [
    ("simplebaseline_r18", "coco"), ("hrnet_w32_256x192", "coco"), ("ae_hrnet_w32_512", "coco"),
    ("ap10k_hrnet_w32_256x256", "ap10k"), ("mpii_res50_256x256", "mpii"), ("mpii_hrnet_w32_256x256", "mpii"),
])
def test_keypoint_layout(name, layout):
    assert MI.keypoint_layout(name) == layout


def test_layout_mismatch_is_refused():
    MI.check_layout("hrnet_w32_256x192", "ochuman")  # COCO layout both: fine
    MI.check_layout("mpii_res50_256x256", "mpii")
    with pytest.raises(ValueError, match=r"'mpii_res50_256x256' predicts the mpii .* 'coco' .* coco layout"):
        MI.check_layout("mpii_res50_256x256", "coco")
    with pytest.raises(ValueError, match="'ap10k_res50_256x256' predicts the ap10k"):
        MI.check_layout("ap10k_res50_256x256", "synthetic")
    with pytest.raises(ValueError, match="no keypoint layout for dataset 'h36m'"):
        MI.check_layout("hrnet_w32_256x192", "h36m")
    with pytest.raises(ValueError, match="unknown model 'nope'.*simplebaseline_r18.*hrnet_w32_256x192"):
        MI.keypoint_layout("nope")


def test_adapter_reports_the_layout_of_its_model():
    adapter = MI.TopdownAdapter(torch.nn.Identity(), pretrained_model("mpii_hrnet_w32_256x256"))
    assert adapter.num_keypoints == 16 and adapter.input_hw == (256, 256)
    assert adapter.flip_indices[:6] == [5, 4, 3, 2, 1, 0] and adapter.flip_indices[6:10] == [6, 7, 8, 9]
    with pytest.raises(ValueError, match="bottom-up"):
        MI.TopdownAdapter(torch.nn.Identity(), pretrained_model("ae_hrnet_w32_512"))


# ------------------------------------------------------------------------------------------
# Top-down: TopdownAdapter / PoseEstimator vs mmpose's pipeline
def _mmpose_topdown(estimator, model: PretrainedModel, image: np.ndarray, boxes: np.ndarray, flip: bool):
    """mmpose's own top-down path: its val-pipeline transforms on the BGR image (as LoadImage
    gives it) with float32 xyxy boxes (as CocoDataset stores them), then ``test_step`` with the
    model's test_cfg. Returns the packed inputs and the predicted data samples."""
    from mmengine.dataset import pseudo_collate
    from mmpose.datasets.transforms import GetBBoxCenterScale, PackPoseInputs, TopdownAffine

    items = []
    for x, y, w, h in boxes:
        results = dict(img=np.ascontiguousarray(image[..., ::-1]), id=0, img_id=0,
                       bbox=np.array([[x, y, x + w, y + h]], dtype=np.float32),
                       bbox_score=np.ones(1, dtype=np.float32), flip_indices=MI.flip_indices(model.dataset))
        results = TopdownAffine(input_size=model.input_wh)(GetBBoxCenterScale()(results))
        items.append(PackPoseInputs()(results))
    saved = estimator.test_cfg
    estimator.test_cfg = dict(model.config["test_cfg"], flip_test=flip)
    try:
        with torch.no_grad():
            samples = estimator.test_step(pseudo_collate(items))
    finally:
        estimator.test_cfg = saved
    return items, samples


def _keypoints(samples) -> np.ndarray:
    """(N,K,3) x, y, score from mmpose's top-down data samples (one instance each)."""
    return np.stack([np.c_[s.pred_instances.keypoints[0], s.pred_instances.keypoint_scores[0]]
                     for s in samples]).astype(np.float64)


def _compare_topdown(estimator, model: PretrainedModel, image: np.ndarray, boxes: np.ndarray,
                     flip: bool) -> np.ndarray:
    """Assert ours == mmpose's for one flip setting (tolerances: module docstring); return ours."""
    from mmengine.dataset import pseudo_collate

    items, samples = _mmpose_topdown(estimator, model, image, boxes, flip)
    theirs = _keypoints(samples)
    adapter = MI.TopdownAdapter(estimator, model)

    # 1. Same crops in: mmpose's preprocessed batch equals our normalisation of its crops, and
    #    the adapter's crop-pixel keypoints, mapped back with mmpose's formula, equal mmpose's.
    x = estimator.data_preprocessor(pseudo_collate(items), False)["inputs"]
    crops_rgb = torch.stack([it["inputs"].flip(0).permute(1, 2, 0) for it in items])
    assert torch.allclose(PoseNet.normalise(crops_rgb), x, atol=1e-5)
    pts, scores = adapter.predict_crops(x, flip)
    meta = [it["data_samples"].metainfo for it in items]
    mapped = np.stack([pts[i].astype(np.float32) / m["input_size"] * m["input_scale"] + m["input_center"]
                       - 0.5 * m["input_scale"] for i, m in enumerate(meta)])
    assert np.abs(mapped - theirs[..., :2]).max() <= 1e-4
    assert np.abs(scores - theirs[..., 2]).max() <= 1e-6
    assert (pts.std(axis=1) > 3).all(), f"random weights gave near-constant keypoints: {pts.std(axis=1)} px"
    assert (scores.std(axis=1) > 1e-3).all()

    # 2. End to end from the image through PoseEstimator (our crop and map back).
    (ours,) = PoseEstimator(adapter, device=CPU, flip_test=flip).predict([image], [boxes])
    assert ours.shape == theirs.shape == (len(boxes), 17, 3)
    h, w = adapter.input_hw
    identical = 0
    for i, box in enumerate(boxes):
        center, size = C.box_to_center_scale(box, aspect=w / h)
        our_crop = C.crop(image, C.warp_matrix(center, size, 0.0, (h, w)), (h, w)).astype(int)
        grey = np.abs(our_crop - crops_rgb[i].numpy())
        err = np.abs(ours[i, :, :2] - theirs[i, :, :2]).max(axis=1)
        if grey.max() == 0:
            identical += 1
            assert err.max() <= 1e-3, f"box {i}: same crop, keypoints differ by {err.max():.2g} px"
            assert np.abs(ours[i, :, 2] - theirs[i, :, 2]).max() <= 1e-5
        else:  # crop.py's float64 warp vs mmpose's float32 one: a few grey levels on few pixels
            assert grey.max() <= 8 and (grey > 0).mean() <= 0.02, f"box {i}: crops differ more than rounding"
            assert (err <= 1e-2).mean() >= 0.9, f"box {i}: {np.round(err, 3)}"
    assert identical >= 1 and identical < len(boxes)  # both branches ran
    return ours


@pytest.mark.parametrize("name", TOPDOWN)
def test_topdown_equals_mmpose_pipeline(name, loaded, realdata):
    model = _topdown_model(name)
    _, estimator = loaded(model)
    image, boxes = _coco_image(realdata, COCO_IMAGE)
    boxes = boxes[1:3]  # one crop that differs from mmpose's by rounding, one identical (2x faster than 4)
    on, off = (_compare_topdown(estimator, model, image, boxes, flip) for flip in (True, False))
    # flip test is not a no-op on these weights, so the flip comparison above means something
    assert np.abs(on[..., :2] - off[..., :2]).max() > 0.5
    assert np.abs(on[..., 2] - off[..., 2]).max() > 1e-3


# ------------------------------------------------------------------------------------------
# Bottom-up
def test_bottomup_equals_mmpose_inference_bottomup(loaded, realdata, mmpose_root):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpose.apis import inference_bottomup
    from mmpose.datasets.datasets.utils import parse_pose_metainfo

    model = _tiny_ae()
    _, estimator = loaded(model)
    image, _ = _coco_image(realdata, BOTTOMUP_IMAGE)
    keypoints, scores = MI.BottomupEstimator(estimator, model, device=CPU).predict([image])

    # mmpose's API: the config file's test pipeline (LoadImage, BottomupResize, PackPoseInputs),
    # only the input size changed as in the tiny variant; the COCO dataset metainfo.
    cfg = Config.fromfile(str(mmpose_root / pretrained_model("ae_hrnet_w32_512").config_file))
    pipeline = cfg.test_dataloader.dataset.pipeline
    assert pipeline[1].type == "BottomupResize"
    assert {k: v for k, v in pipeline[1].items() if k != "type"} == dict(
        pretrained_model("ae_hrnet_w32_512").bottomup_resize)
    pipeline[1].input_size = model.input_wh
    estimator.cfg = cfg
    estimator.dataset_meta = parse_pose_metainfo(dict(from_file=str(mmpose_root / "configs/_base_/datasets/coco.py")))
    with DefaultScope.overwrite_default_scope("mmpose"):
        (sample,) = inference_bottomup(estimator, np.ascontiguousarray(image[..., ::-1]))
    pred = sample.pred_instances

    assert keypoints[0].shape == (len(pred.keypoints), 17, 3) and len(pred.keypoints) > 1
    assert np.abs(keypoints[0][..., :2] - pred.keypoints).max() <= 1e-4
    assert np.abs(keypoints[0][..., 2] - pred.keypoint_scores).max() <= 1e-6
    assert np.abs(scores[0] - pred.bbox_scores).max() <= 1e-6
    assert keypoints[0][0, :, :2].std(axis=0).min() > 5  # not a degenerate group


def _expected_image_xy(frac: np.ndarray, image_wh: tuple[int, int], input_size: int,
                       size_factor: int) -> np.ndarray:
    """Independent of mmpose: where a point at ``frac`` x (padded input width, height) lies in the
    original image. 'expand' resizing scales the short image side to ``input_size``, pads the
    result to a multiple of ``size_factor`` and centres the image in it."""
    w, h = image_wh
    ratio = input_size / min(w, h)
    padded = np.ceil(np.array([w, h]) * ratio / size_factor) * size_factor
    return (frac * padded - padded / 2) / ratio + np.array([w, h]) / 2


def test_bottomup_keypoints_are_in_original_image_coordinates(loaded, realdata, monkeypatch):
    """A keypoint the decoder puts at a known place of the model input comes back where the
    resize put that place of the original image, and scales with the image."""
    import cv2

    model = _tiny_ae()
    _, estimator = loaded(model)
    image, _ = _coco_image(realdata, BOTTOMUP_IMAGE)
    frac = np.linspace([0.1, 0.2], [0.9, 0.7], 17)  # (K,2) fractions of the padded input
    seen: list[tuple[int, int]] = []

    def fake_batch_decode(heatmaps, tags):
        h, w = heatmaps.shape[-2:]
        seen.append((w, h))
        n = len(heatmaps)
        return ([(frac * [w, h])[None].astype(np.float32)] * n, [np.ones((1, 17), np.float32)] * n,
                [np.ones(1, np.float32)] * n)

    bu = MI.BottomupEstimator(estimator, model, device=CPU)
    monkeypatch.setattr(bu.estimator.head.decoder, "batch_decode", fake_batch_decode)
    big = cv2.resize(image, (image.shape[1] * 2, image.shape[0] * 2), interpolation=cv2.INTER_LINEAR)
    (small_kp, big_kp), _ = bu.predict([image, big])
    wh = (image.shape[1], image.shape[0])
    expected = _expected_image_xy(frac, wh, TINY_AE_SIZE, model.bottomup_resize["size_factor"])
    assert seen[0] == (448, 256)  # 500x333 -> short side 256, long side 384.4 padded to 448
    assert np.abs(small_kp[0, :, :2] - expected).max() <= 1e-3
    assert np.abs(big_kp[0, :, :2] - 2 * small_kp[0, :, :2]).max() <= 1e-3


def test_bottomup_without_flip_test_runs(loaded, realdata):
    """mmpose 1.3.2's AE head asserts list features without flip test (HRNet gives a tuple)."""
    model = _tiny_ae()
    _, estimator = loaded(model)
    image, _ = _coco_image(realdata, BOTTOMUP_IMAGE)
    (off,), _ = MI.BottomupEstimator(estimator, model, device=CPU, flip_test=False).predict([image])
    (on,), _ = MI.BottomupEstimator(estimator, model, device=CPU, flip_test=True).predict([image])
    assert off.shape[1:] == (17, 3) and np.isfinite(off).all()
    assert not np.allclose(off[0], on[0])


def test_predict_images_with_a_bottomup_estimator(loaded, realdata):
    from robustpose.evaluate.predict import predict_images

    model = _tiny_ae()
    _, estimator = loaded(model)
    bu = MI.BottomupEstimator(estimator, model, device=CPU)
    image, _ = _coco_image(realdata, BOTTOMUP_IMAGE)
    (kps,), (inst,) = bu.predict([image])
    results = predict_images(bu, [{"id": BOTTOMUP_IMAGE, "file_name": "000000040083.jpg"}],
                             lambda im: realdata / "coco" / im["file_name"], boxes={})
    assert len(results) == len(kps) > 1
    assert [r["score"] for r in results] == [round(float(s), 5) for s in inst]
    assert results[0]["image_id"] == BOTTOMUP_IMAGE and results[0]["category_id"] == 1
    np.testing.assert_allclose(np.reshape(results[0]["keypoints"], (17, 3)), kps[0], atol=0.006)


# ------------------------------------------------------------------------------------------
# load_estimator
def test_load_estimator_embedded_model(tmp_path):
    net = PoseNet(model_spec("simplebaseline_r18"), init_seed=0)
    path = tmp_path / "embedded.pt"
    torch.save(checkpoint_payload(net), path)
    est = MI.load_estimator("simplebaseline_r18", str(path), batch_size=7, flip_test=False, device="cpu")
    assert isinstance(est, PoseEstimator) and isinstance(est.net, PoseNet)
    assert (est.batch_size, est.flip_test, est.input_hw) == (7, False, (128, 96))
    for key, value in est.net.state_dict().items():
        assert torch.equal(value, net.state_dict()[key]), key
    with pytest.raises(ValueError, match=r"holds model 'simplebaseline_r18', not 'simcc_r18'"):
        MI.load_estimator("simcc_r18", str(path))


@pytest.mark.parametrize("name, expected", [
    ("simplebaseline_r18", {"input_size": [96, 64], "head": "heatmap", "keypoint_layout": "coco"}),
    ("rle_res50_256x192", {"input_size": [256, 192], "head": "regression", "keypoint_layout": "coco"}),
    ("mpii_hrnet_w32_256x256", {"input_size": [256, 256], "head": "heatmap", "keypoint_layout": "mpii"}),
    ("ae_hrnet_w32_512", {"input_size": [512, 512], "head": "bottomup", "keypoint_layout": "coco"}),
])
def test_describe_model(name, expected, tmp_path):
    """The metrics ``meta`` fields; an embedded model's input size comes from its checkpoint."""
    path = tmp_path / "embedded.pt"
    torch.save(checkpoint_payload(PoseNet(model_spec("simplebaseline_r18", input_size=(96, 64)))), path)
    described = MI.describe_model(name, str(path))
    assert {k: described[k] for k in expected} == expected
    if name in MI.list_pretrained():
        assert described["checkpoint_url"] == pretrained_model(name).checkpoint_url


def test_load_estimator_pretrained_models(tmp_path, loaded, monkeypatch):
    tiny_td, tiny_ae = _tiny_topdown(), _tiny_ae()
    td_path = _random_checkpoint(tiny_td, tmp_path / "td.pth")
    ae_path, _ = loaded(tiny_ae)
    # The registry's sha256 prefix refuses a file that is not the published one...
    with pytest.raises(ValueError, match="sha256"):
        MI.load_estimator("simplebaseline_res50_256x192", str(td_path))
    # ...so the dispatch is checked with the check off and tiny stand-ins for the entries.
    stand_ins = {"simplebaseline_res50_256x192": tiny_td, "ae_hrnet_w32_512": tiny_ae}
    monkeypatch.setattr(catalogue, "pretrained_model", lambda name: stand_ins[name])
    td = MI.load_estimator("simplebaseline_res50_256x192", str(td_path), batch_size=3, flip_test=False, device=CPU)
    assert isinstance(td, PoseEstimator) and isinstance(td.net, MI.TopdownAdapter)
    assert (td.batch_size, td.flip_test, td.input_hw, td.net.num_keypoints) == (3, False, (256, 192), 17)
    bu = MI.load_estimator("ae_hrnet_w32_512", str(ae_path), flip_test=True, device=CPU)
    assert isinstance(bu, MI.BottomupEstimator) and bu.flip_test and bu.estimator.test_cfg["flip_test"]


def test_load_estimator_errors(tmp_path):
    with pytest.raises(ValueError, match=r"unknown model 'hrnet_w99'.*simplebaseline_r18.*ae_hrnet_w32_512"):
        MI.load_estimator("hrnet_w99", str(tmp_path / "x.pth"))
    missing = missing_requirements(pretrained_model("dekr_hrnet_w32_512"))
    if missing:  # refused before the (absent) checkpoint is read
        with pytest.raises(ImportError, match=r"'dekr_hrnet_w32_512' needs mmcv-full"):
            MI.load_estimator("dekr_hrnet_w32_512", str(tmp_path / "absent.pth"))
    net = PoseNet(model_spec("simplebaseline_r18"), init_seed=0)
    with pytest.raises(ValueError, match="amp=True needs a CUDA device"):
        PoseEstimator(net, device=CPU, amp=True)
    with pytest.raises(ValueError, match="amp=True needs a CUDA device"):
        MI.BottomupEstimator(torch.nn.Identity(), pretrained_model("ae_hrnet_w32_512"), device=CPU, amp=True)
