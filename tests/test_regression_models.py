"""The regression heads (DeepPose and RLE): shapes, normalised labels, decoding, mmpose's flip
test, a short training run, and a checkpoint round trip."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from robustpose.data.synthetic import SyntheticConfig
from robustpose.models import model_spec
from robustpose.models.net import PoseNet, checkpoint_payload, load_checkpoint
from robustpose.seeding import rng_for
from robustpose.train.synthetic_trainset import synthetic_trainset
from robustpose.train.topdown import TrainConfig, make_batch, train_topdown

torch.set_num_threads(1)

# non-square (height 64, width 32) so that a width/height mix-up shows
HW = (64, 32)
K = 17


@pytest.fixture(scope="module", params=["deeppose_r18", "rle_r18"])
def net(request) -> PoseNet:
    return PoseNet(model_spec(request.param, input_size=list(HW)), init_seed=0).eval()


def test_forward_shapes(net):
    out = net(torch.randn(3, 3, *HW))
    assert torch.is_tensor(out)
    assert out.shape == (3, K, 2 if net.spec.head == "regression" else 4)
    assert net.spec.head in ("regression", "rle") and net.neck is not None


def test_labels_are_normalised_by_the_input_size(net):
    h, w = HW
    kps = np.tile([w / 2, h / 2], (K, 1))
    kps[1] = [w / 4, 3 * h / 4]
    kps[2] = [0.0, h]
    vis = np.ones(K)
    vis[5] = 0
    enc = net.encode(kps, vis)
    assert set(enc) == {"labels", "weights"}
    assert enc["labels"].shape == (K, 2) and enc["labels"].dtype == np.float32
    np.testing.assert_allclose(enc["labels"][0], [0.5, 0.5], rtol=0, atol=1e-7)
    np.testing.assert_allclose(enc["labels"][1], [0.25, 0.75], rtol=0, atol=1e-7)
    np.testing.assert_allclose(enc["labels"][2], [0.0, 1.0], rtol=0, atol=1e-7)
    assert enc["weights"][5] == 0 and enc["weights"][0] == 1


def test_decode_of_the_labels_gives_the_keypoints_back(net):
    h, w = HW
    rng = np.random.default_rng(0)
    kps = np.stack([rng.uniform(0, w, K), rng.uniform(0, h, K)], axis=1)
    labels = torch.from_numpy(net.encode(kps, np.ones(K))["labels"])[None]
    if net.spec.head == "rle":   # sigma logits of -20: sigma ~ 2e-9, confidence ~ 1
        out = torch.cat([labels, torch.full((1, K, 2), -20.0)], dim=-1)
    else:
        out = labels
    pts, scores = net.decode(out)
    assert pts.shape == (1, K, 2) and scores.shape == (1, K)
    np.testing.assert_allclose(pts[0], kps, rtol=0, atol=1e-4)
    np.testing.assert_allclose(scores, 1.0, rtol=0, atol=1e-6)


def test_rle_scores_are_one_minus_sigma():
    rle = PoseNet(model_spec("rle_r18", input_size=list(HW)), init_seed=0)
    rng = np.random.default_rng(1)
    coords = torch.from_numpy(rng.uniform(0, 1, (2, K, 2)).astype(np.float32))
    logit = torch.from_numpy(rng.normal(0, 2, (2, K, 1)).astype(np.float32))
    _, scores = rle.decode(torch.cat([coords, logit, logit], dim=-1))
    np.testing.assert_allclose(scores, (1 - torch.sigmoid(logit[..., 0])).numpy(), rtol=1e-6, atol=1e-7)
    # with two different sigmas: the mean of 1 - sigma over x and y (mmpose's RegressionLabel)
    logits2 = torch.from_numpy(rng.normal(0, 2, (2, K, 2)).astype(np.float32))
    _, scores2 = rle.decode(torch.cat([coords, logits2], dim=-1))
    np.testing.assert_allclose(scores2, (1 - torch.sigmoid(logits2)).mean(-1).numpy(), rtol=1e-6, atol=1e-7)
    assert not np.allclose(scores, scores2)


def _mmpose_flip(coords: torch.Tensor, net: PoseNet) -> torch.Tensor:
    from mmpose.models.utils.tta import flip_coordinates   # mmpose is importable once a PoseNet is built
    h, w = net.spec.input_size
    return flip_coordinates(coords.clone(), flip_indices=net.flip_indices, shift_coords=True, input_size=(w, h))


def test_flip_test_is_mmposes_flip_coordinates(net):
    x = torch.randn(2, 3, *HW, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        got = net.forward_flip_test(x)
        out, out_f = net(x), net(x.flip(3))
    back = _mmpose_flip(out_f, net)
    if net.spec.head == "regression":
        torch.testing.assert_close(got, (out + back) / 2, rtol=0, atol=1e-7)
    else:  # RLEHead.predict: coordinates averaged, sigmas averaged after the sigmoid
        torch.testing.assert_close(got[..., :2], (out[..., :2] + back[..., :2]) / 2, rtol=0, atol=1e-7)
        torch.testing.assert_close(got[..., 2:].sigmoid(), (out[..., 2:].sigmoid() + back[..., 2:].sigmoid()) / 2,
                                   rtol=0, atol=2e-6)
    # the flipped view matters: the flip test is not the plain output
    assert not torch.allclose(got, out)


def test_flip_indices_swap_left_and_right():
    net = PoseNet(model_spec("deeppose_r18", input_size=list(HW)), init_seed=0)
    idx = net.flip_indices
    assert sorted(idx) == list(range(K)) and idx[0] == 0
    assert idx[1] == 2 and idx[2] == 1 and idx[15] == 16 and idx[16] == 15
    assert all(idx[idx[i]] == i for i in range(K))


def test_short_training_lowers_the_deeppose_loss():
    data = synthetic_trainset(SyntheticConfig(image_height=96, image_width=96), 0, "t", 6)
    assert data.instances
    spec = model_spec("deeppose_r18", input_size=[64, 64])
    cfg = TrainConfig(steps=30, batch_size=8, threads=1, warmup_steps=5, seed=1)
    net = PoseNet(spec, init_seed=3)
    x, y = make_batch(net, data, np.arange(8) % len(data.instances), rng_for(1, "probe"), cfg)
    assert y["labels"].shape == (8, K, 2)
    with torch.no_grad():
        before = float(net.eval().loss(net(x), y))
    logs = []
    try:
        trained = train_topdown(net, data, cfg, on_log=lambda s, v: logs.append((s, v["loss"])), log_every=10)
    finally:
        torch.set_num_threads(1)
    assert [s for s, _ in logs] == [10, 20, 30]
    assert all(np.isfinite(v) for _, v in logs)
    assert logs[-1][1] < logs[0][1]
    assert not trained.training
    with torch.no_grad():
        assert float(trained.loss(trained(x), y)) < before


def test_rle_checkpoint_roundtrip(tmp_path):
    net = PoseNet(model_spec("rle_r18", input_size=list(HW)), init_seed=0)
    # move the BatchNorm running statistics away from their init so the buffers must round-trip
    net.train()
    with torch.no_grad():
        net(torch.randn(4, 3, *HW, generator=torch.Generator().manual_seed(0)) * 3 + 1)
    net.eval()
    buf = io.BytesIO()
    torch.save(checkpoint_payload(net, {"note": "rle"}), buf)
    path = tmp_path / "rle.pt"
    path.write_bytes(buf.getvalue())
    loaded = load_checkpoint(str(path))
    assert loaded.spec == net.spec and loaded.spec.head == "rle" and tuple(loaded.spec.input_size) == HW
    assert not loaded.training
    x = torch.randn(2, 3, *HW, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = net(x), loaded(x)
        assert torch.equal(a, b)
        y = {k: torch.from_numpy(v)[None].repeat(2, *([1] * v.ndim))
             for k, v in net.encode(np.full((K, 2), 16.0), np.ones(K)).items()}
        # the RLE loss's flow (part of the head) round-trips too
        assert torch.equal(net.loss(a, y), loaded.loss(b, y))
    for (ka, va), (kb, vb) in zip(net.state_dict().items(), loaded.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
    # and a freshly built net really differs (the comparison above is not vacuous)
    fresh = PoseNet(net.spec, init_seed=123).eval()
    with torch.no_grad():
        assert not torch.equal(fresh(x), a)
