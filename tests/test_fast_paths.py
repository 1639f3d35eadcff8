"""The training and evaluation speed-ups compute what they replace: the vectorised heatmap
encoder and DarkPose decoder against mmpose's per-instance codec (bit for bit), the flip folded
into the crop's warp against cropping a mirrored copy, and the precision switch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from robustpose.data.coco_format import Instance
from robustpose.models import crop as C
from robustpose.models import model_spec
from robustpose.models.net import PoseNet, decode_unbiased_heatmaps, modulate_heatmaps
from robustpose.seeding import rng_for
from robustpose.train import precision as P
from robustpose.train.topdown import TrainConfig, augmented_sample, flip_keypoints, train_topdown


@pytest.fixture(scope="module")
def nets() -> dict[str, PoseNet]:
    return {name: PoseNet(model_spec(name, input_size=(64, 64), base_channels=8), init_seed=0)
            for name in ("simplebaseline_r18", "simcc_r18", "deeppose_r18")}


def _keypoints(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints inside, at the edge of and outside a 64x64 input, a third unlabelled."""
    kp = (rng.random((n, 17, 2)) * 190 - 63).astype(np.float32)
    return kp, (rng.random((n, 17)) > 0.3).astype(np.float32)


@pytest.mark.parametrize("name", ["simplebaseline_r18", "simcc_r18", "deeppose_r18"])
def test_batch_encoding_equals_the_codec_instance_by_instance(nets, name):
    net = nets[name]
    kp, vis = _keypoints(np.random.default_rng(1), 40)
    batch = net.encode_batch(kp, vis)
    for key, value in batch.items():
        one_by_one = np.stack([net.encode(k, v)[key] for k, v in zip(kp, vis)])
        assert value.dtype == one_by_one.dtype and np.array_equal(value, one_by_one), key
    if name == "simplebaseline_r18":   # some keypoints fell off the heatmap: weight 0, as mmpose
        assert ((vis > 0) & (batch["weights"] == 0)).any()


def test_batch_decoding_equals_mmpose_darkpose_decoding(nets):
    net = nets["simplebaseline_r18"]
    rng = np.random.default_rng(2)
    heatmaps = [net(torch.randn(6, 3, 64, 64)).detach().numpy(),           # what a network gives
                (rng.random((9, 17, 16, 16)) ** 8).astype(np.float32)]      # sharp, random peaks
    heatmaps[1][0, 0] = 0.0                                                # no maximum: -1, score 0
    heatmaps[1][1, 1, 0, 0] = 3.0                                          # a peak on the border
    for hm in heatmaps:
        pts, scores = decode_unbiased_heatmaps(hm, net.codec.blur_kernel_size, net.codec.scale_factor)
        with np.errstate(invalid="ignore"):
            ref = [net.codec.decode(h) for h in hm]
        assert np.array_equal(pts, np.concatenate([r[0] for r in ref]))
        assert np.array_equal(scores, np.concatenate([r[1] for r in ref]))


def test_one_blur_call_equals_mmpose_gaussian_blur_per_map():
    from mmpose.codecs.utils import gaussian_blur

    maps = (np.random.default_rng(3).random((30, 20, 14)) ** 4).astype(np.float32)
    assert np.array_equal(modulate_heatmaps(maps, 11), gaussian_blur(maps.copy(), 11))


def test_the_flip_folded_into_the_warp_equals_cropping_a_mirrored_copy():
    rng = np.random.default_rng(4)
    # smooth content: OpenCV samples on a 1/32-pixel grid, so the two ways of computing the same
    # source point may land one grid step apart, which on noise would be a large grey-level step
    yy, xx = np.mgrid[0:90, 0:70]
    image = np.stack([120 + 100 * np.sin(xx / 9.0), 128 + 90 * np.cos(yy / 7.0), 2.5 * xx + yy], -1)
    image = np.clip(image, 0, 255).astype(np.uint8)
    kps = np.concatenate([rng.uniform(15, 55, (17, 2)), np.full((17, 1), 2.0)], axis=1)
    inst = Instance(1, 1, np.array([10.0, 10, 45, 70]), kps, 3000.0)
    cfg = TrainConfig(flip_prob=1.0, rotation_deg=0, scale_range=0.0)
    crop, xy, _ = augmented_sample(image, inst, rng_for(0, "flip"), cfg, (64, 48), "coco")
    mirrored = np.ascontiguousarray(image[:, ::-1])
    bbox = inst.bbox.copy()
    bbox[0] = image.shape[1] - bbox[0] - bbox[2]
    center, size = C.box_to_center_scale(bbox, aspect=48 / 64)
    m = C.warp_matrix(center, size, 0.0, (64, 48))
    expected = C.crop(mirrored, m, (64, 48))
    # the same bilinear samples up to the last bit of the source coordinate: at most 1 grey level
    assert np.abs(crop.astype(int) - expected.astype(int)).max() <= 1
    assert np.mean(crop != expected) < 0.05
    np.testing.assert_allclose(xy, C.apply_affine(flip_keypoints(kps, 70, "coco")[:, :2], m))


def test_precision_auto_follows_the_cpu(monkeypatch):
    monkeypatch.setattr(P, "native_bfloat16", lambda: True)
    assert P.resolve_precision("auto") == "bfloat16"
    monkeypatch.setattr(P, "native_bfloat16", lambda: False)
    assert P.resolve_precision("auto") == "float32"
    assert P.resolve_precision("bfloat16") == "bfloat16"
    with pytest.raises(ValueError, match="train.precision"):
        TrainConfig(precision="fp16")


def test_bfloat16_training_changes_the_weights_but_not_their_dtype(nets):
    """Autocast changes the arithmetic only: weights stay float32, and float32 and bfloat16 runs
    of the same seed differ (so the checkpoint records which one it was)."""
    from robustpose.data.synthetic import SyntheticConfig
    from robustpose.train.synthetic_trainset import synthetic_trainset

    data = synthetic_trainset(SyntheticConfig(image_height=96, image_width=96), 0, "t", 4)
    spec = model_spec("simplebaseline_r18", input_size=(64, 64), base_channels=8, deconv_channels=(8, 8, 8))
    runs = {p: train_topdown(PoseNet(spec, init_seed=0), data, TrainConfig(steps=3, batch_size=4, warmup_steps=1,
                                                                          precision=p))
            for p in ("float32", "bfloat16")}
    weights = {p: net.head.final_layer.weight for p, net in runs.items()}
    assert all(w.dtype == torch.float32 for w in weights.values())
    assert not torch.equal(weights["float32"], weights["bfloat16"])
