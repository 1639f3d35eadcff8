"""PoseObjective: per-sample head losses on grey-level crops, independent gradients, the clean
predictions at eps = 0, attack directions, and refusal of heads with no pose loss."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from robustpose.attack.gradient import fgsm, iterative
from robustpose.attack.objective import HEAD_KINDS, PoseObjective
from robustpose.models import model_spec
from robustpose.models.net import PoseNet, normalise_grey, to_grey

torch.set_num_threads(1)

MODELS = ["simplebaseline_r18", "simcc_r18", "deeppose_r18", "rle_r18"]
H = W = 64
N, K = 4, 17


def _calibrate_bn(net: PoseNet, seed: int = 0) -> PoseNet:
    """Set BatchNorm running statistics from one batch of random crops (no training).

    With fresh running stats (mean 0, var 1) and mmpose's N(0, 0.001) deconv/final init, the
    heatmap and SimCC outputs are ~1e-12 and the loss does not move in float32; calibrated
    statistics give an O(1e-3) output whose loss responds to the input.
    """
    bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.momentum = 1.0
    net.train()
    with torch.no_grad():
        net(normalise_grey(torch.rand(8, 3, H, W, generator=torch.Generator().manual_seed(seed)) * 255))
    for m in bns:
        m.momentum = 0.1
    return net.eval()


@pytest.fixture(scope="module", params=MODELS)
def objective(request) -> PoseObjective:
    net = _calibrate_bn(PoseNet(model_spec(request.param, input_size=[H, W]), init_seed=0))
    return PoseObjective(net)


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.uniform(10, 245, (N, 3, H, W)).astype(np.float32))
    gt = rng.uniform(4, W - 4, (N, K, 2))
    vis = (rng.random((N, K)) > 0.2).astype(np.float32)
    vis[:, 0] = 1
    target = rng.uniform(4, W - 4, (N, K, 2))
    return x, gt, vis, target


def test_wrapping_freezes_the_weights_and_evals(objective):
    assert all(not p.requires_grad for p in objective.net.parameters())
    assert not objective.net.training
    assert objective.input_hw == (H, W) and objective.num_keypoints == K
    assert objective.kind == objective.net.spec.head


def test_targets_are_the_nets_own_encoding(objective):
    _, gt, vis, _ = _problem(1)
    targets = objective.targets(gt, vis)
    for i in range(N):
        own = objective.net.encode(gt[i], vis[i])
        assert set(own) == set(targets)
        for key, value in own.items():
            assert targets[key].dtype == torch.float32
            np.testing.assert_array_equal(targets[key][i].numpy(), value)


def test_per_sample_loss_is_the_training_loss_of_each_sample_alone(objective):
    x, gt, vis, _ = _problem(2)
    net = objective.net
    targets = objective.targets(gt, vis)
    with torch.no_grad():
        losses = objective.per_sample_loss(objective.output(x), targets)
        assert losses.shape == (N,)
        for i in range(N):
            own = net.encode(gt[i], vis[i])
            alone = net.loss(net(normalise_grey(x[i:i + 1])), {k: torch.from_numpy(v)[None] for k, v in own.items()})
            torch.testing.assert_close(losses[i], alone, rtol=1e-5, atol=0)
        # the samples' losses are their own: not all equal, and loss_fn is the same computation
        assert len(set(losses.tolist())) == N
        torch.testing.assert_close(objective.loss_fn(targets)(x), losses, rtol=0, atol=0)


def test_batch_loss_fn_scores_against_the_indexed_targets(objective):
    x, gt, vis, _ = _problem(3)
    bl = objective.batch_loss_fn(gt, vis)
    idx = np.array([2, 0])
    with torch.no_grad():
        got = bl(x[idx], idx)
        want = objective.loss_fn(objective.targets(gt[idx], vis[idx]))(x[idx])
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_gradients_of_one_sample_do_not_touch_the_others(objective):
    x, gt, vis, _ = _problem(4)
    x = x.requires_grad_(True)
    loss = objective.loss_fn(objective.targets(gt, vis))(x)
    (grad,) = torch.autograd.grad(loss[0], x)
    assert torch.all(grad[1:] == 0)
    assert grad[0].abs().sum() > 0


def _uint8_crops(seed: int = 5) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.integers(0, 256, (N, H, W, 3), dtype=np.uint8))


@pytest.mark.parametrize("flip_test", [False, True])
def test_eps_zero_reproduces_the_clean_predictions(objective, flip_test):
    crops = _uint8_crops()
    clean_pts, clean_scores = objective.net.predict_crops(PoseNet.normalise(crops), flip_test)
    grey = to_grey(crops)
    _, gt, vis, _ = _problem(5)
    loss_fn = objective.loss_fn(objective.targets(gt, vis))
    for x in (grey, grey.contiguous(), fgsm(loss_fn, grey, 0.0),
              iterative(loss_fn, grey, 0.0, 0.0, 2, random_start=True, generator=torch.Generator().manual_seed(0))):
        pts, scores = objective.predict(x, flip_test)
        assert pts.shape == (N, K, 2) and scores.shape == (N, K)
        assert np.array_equal(pts, clean_pts), "eps = 0 changed the keypoints"
        assert np.array_equal(scores, clean_scores), "eps = 0 changed the scores"


def test_fgsm_directions_on_every_head(objective):
    """An untargeted step raises the ground-truth loss, a targeted one lowers the target's."""
    x, gt, vis, target = _problem(6)
    loss_gt = objective.loss_fn(objective.targets(gt, vis))
    loss_t = objective.loss_fn(objective.targets(target, np.ones((N, K), np.float32)))
    with torch.no_grad():
        clean_gt, clean_t = loss_gt(x), loss_t(x)
        up = loss_gt(fgsm(loss_gt, x, 4.0))
        down = loss_t(fgsm(loss_t, x, 4.0, targeted=True))
    assert up.mean() > clean_gt.mean() and torch.all(up > clean_gt)
    assert down.mean() < clean_t.mean() and torch.all(down < clean_t)


def test_first_order_change_on_the_heatmap_model():
    net = _calibrate_bn(PoseNet(model_spec("simplebaseline_r18", input_size=[H, W]), init_seed=0))
    obj = PoseObjective(net)
    x, gt, vis, target = _problem(7)
    tiny = 1e-2
    for kps, v, sign in ((gt, vis, 1.0), (target, np.ones((N, K), np.float32), -1.0)):
        loss_fn = obj.loss_fn(obj.targets(kps, v))
        xg = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss_fn(xg).sum(), xg)
        with torch.no_grad():
            base = loss_fn(x)
            moved = loss_fn(x + sign * tiny * grad.sign())
        if sign > 0:
            assert torch.all(moved > base)
        else:
            assert torch.all(moved < base)


# --------------------------------------------------------------------------- refusals / pretrained heads
class AssociativeEmbeddingHead(nn.Module):
    pass


class _Estimator(nn.Module):
    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.head = head


class _Adapter(nn.Module):
    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.estimator = _Estimator(head)
        self.lin = nn.Linear(2, 2)


def test_a_head_without_a_pose_loss_is_refused():
    with pytest.raises(ValueError, match="no differentiable pose loss") as err:
        PoseObjective(_Adapter(AssociativeEmbeddingHead()))
    assert "AssociativeEmbeddingHead" in str(err.value)
    with pytest.raises(ValueError, match="no differentiable pose loss"):
        PoseObjective(nn.Linear(2, 2))   # no estimator at all


@pytest.mark.parametrize("head_name", sorted(HEAD_KINDS))
def test_pretrained_heads_are_recognised_by_class_name(head_name):
    head_cls = type(head_name, (nn.Module,), {})
    head = head_cls()
    head.decoder = object()
    head.loss_module = nn.MSELoss()
    adapter = _Adapter(head)
    obj = PoseObjective(adapter)
    assert obj.kind == HEAD_KINDS[head_name]
    assert obj.codec is head.decoder and obj.loss_module is head.loss_module
    assert not any(p.requires_grad for p in adapter.parameters())
