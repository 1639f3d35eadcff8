"""Model registry, mmpose-backed networks, codecs, crop geometry, checkpoints, estimator."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from robustpose.models import crop as C
from robustpose.models import list_models, model_spec
from robustpose.models.estimator import PoseEstimator, instance_score
from robustpose.models.net import PoseNet, checkpoint_payload, load_checkpoint
from robustpose.models.registry import ModelSpec

TINY = {"input_size": (64, 64), "base_channels": 8, "deconv_channels": (16, 16, 16)}


@pytest.fixture(scope="module", params=["simplebaseline_r18", "simcc_r18"])
def net(request) -> PoseNet:
    torch.manual_seed(0)
    return PoseNet(model_spec(request.param, **TINY)).eval()


def test_registry_lists_and_rejects_unknown():
    assert {"simplebaseline_r18", "simcc_r18"} <= set(list_models())
    assert list_models("simcc*") == ["simcc_r18"]
    with pytest.raises(KeyError, match="unknown model 'hrnet_w99'.*simplebaseline_r18"):
        model_spec("hrnet_w99")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['widht'\]"):
        model_spec("simcc_r18", widht=3)


@pytest.mark.parametrize("kwargs,msg", [({"head": "dense"}, "head must be"), ({"depth": 19}, "depth"),
                                        ({"input_size": (100, 96)}, "multiples of 32")])
def test_spec_validation(kwargs, msg):
    base = {"name": "x", "head": "heatmap"}
    with pytest.raises(ValueError, match=msg):
        ModelSpec(**{**base, **kwargs})


def test_forward_shapes(net):
    out = net(torch.zeros(2, 3, 64, 64))
    if net.spec.head == "heatmap":
        assert out.shape == (2, 17, 16, 16)
    else:
        assert out[0].shape == (2, 17, 128) and out[1].shape == (2, 17, 128)


def test_encode_then_decode_recovers_keypoints(net):
    rng = np.random.default_rng(0)
    kps = rng.uniform(8, 56, size=(17, 2))
    target = net.encode(kps, np.ones(17))
    if net.spec.head == "heatmap":
        out = torch.from_numpy(target["heatmaps"])[None]
    else:  # SimCC decodes logits; the (normalised) Gaussian labels peak at the right bin
        out = (torch.from_numpy(target["x_labels"])[None], torch.from_numpy(target["y_labels"])[None])
    pts, scores = net.decode(out)
    assert pts.shape == (1, 17, 2) and scores.shape == (1, 17)
    np.testing.assert_allclose(pts[0], kps, atol=1.5)  # DARK sub-pixel decoding at 16x16 maps


def test_invisible_keypoints_get_zero_weight(net):
    vis = np.ones(17)
    vis[[3, 9]] = 0
    w = net.encode(np.full((17, 2), 30.0), vis)["weights"]
    assert w[3] == 0 and w[9] == 0 and w[0] == 1


def test_crop_roundtrip_and_aspect():
    center, size = C.box_to_center_scale(np.array([10, 20, 40, 100]), aspect=0.75)
    assert size[0] / size[1] == pytest.approx(0.75) and size[1] == pytest.approx(125)
    m = C.warp_matrix(center, size, 25.0, (128, 96))
    pts = np.array([[30.0, 70.0], [12.0, 25.0]])
    back = C.apply_affine(C.apply_affine(pts, m), C.invert_affine(m))
    np.testing.assert_allclose(back, pts, atol=1e-4)
    np.testing.assert_allclose(C.apply_affine(center[None], m), [[48, 64]], atol=1e-4)


def test_checkpoint_roundtrip_weights_only(net, tmp_path):
    path = tmp_path / "m.pt"
    buf = io.BytesIO()
    torch.save(checkpoint_payload(net, {"note": "x"}), buf)
    path.write_bytes(buf.getvalue())
    loaded = load_checkpoint(str(path))
    assert loaded.spec == net.spec
    x = torch.randn(1, 3, 64, 64)
    a, b = net(x), loaded(x)
    for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        torch.testing.assert_close(u, v)


def test_garbage_checkpoint_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "evil.pt"
    bad.write_bytes(b"\x80\x04not a checkpoint")
    with pytest.raises(ValueError, match="evil.pt: not a robustpose checkpoint"):
        load_checkpoint(str(bad))


def test_estimator_maps_back_to_image_coordinates(net):
    """A box and the same box shifted by (dx, dy) give predictions shifted by (dx, dy)."""
    rng = np.random.default_rng(1)
    img = np.zeros((200, 200, 3), np.uint8)
    patch = (rng.random((60, 60, 3)) * 255).astype(np.uint8)
    img[20:80, 30:90] = patch
    img[110:170, 100:160] = patch
    est = PoseEstimator(net, device=torch.device("cpu"), flip_test=False)
    (kps,) = est.predict([img], [np.array([[30, 20, 60, 60], [100, 110, 60, 60]], float)])
    assert kps.shape == (2, 17, 3)
    np.testing.assert_allclose(kps[1, :, :2] - kps[0, :, :2], np.tile([70, 90], (17, 1)), atol=1e-3)
    assert est.predict([img], [np.zeros((0, 4))])[0].shape == (0, 17, 3)


def test_flip_test_of_a_symmetric_input_is_consistent(net):
    out = net.forward_flip_test(torch.zeros(1, 3, 64, 64))
    assert (out.shape if torch.is_tensor(out) else out[0].shape)[1] == 17


def test_instance_score():
    kp = np.zeros((17, 3))
    kp[:4, 2] = [0.9, 0.7, 0.1, 0.5]
    assert instance_score(kp) == pytest.approx((0.9 + 0.7 + 0.5) / 3)
    assert instance_score(np.zeros((17, 3))) == 0.0
