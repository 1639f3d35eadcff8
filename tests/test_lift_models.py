"""Lifters and CA-Conv: the interface, CA-Conv's two defining properties, training determinism."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from robustpose.lift.models import (LIFTERS, RECEPTIVE_FIELD, CAConv1d, LifterSpec, TCNLifter, TemporalConv1d,
                                    build_lifter)
from robustpose.lift.motion import MotionConfig, make_dataset
from robustpose.lift.tagn import TAGNConfig
from robustpose.lift.train import LiftTrainConfig, init_lifter, make_windows, predict, train_lifter

torch.set_num_threads(1)


def _input(batch: int = 4, frames: int = RECEPTIVE_FIELD, joints: int = 17, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, frames, joints, 3, generator=g)
    x[..., 2] = torch.rand(batch, frames, joints, generator=g) * 0.9 + 0.1
    return x


def _channels(x: torch.Tensor) -> torch.Tensor:
    """(B, T, J, 3) -> (B, 3J, T), the first block's input layout."""
    B, T, J, _ = x.shape
    return x.reshape(B, T, 3 * J).transpose(1, 2)


def _xy_channels(x: torch.Tensor) -> torch.Tensor:
    """(B, T, J, 3) -> (B, 2J, T), the coordinates a plain conv sees."""
    B, T, J, _ = x.shape
    return x[..., :2].reshape(B, T, 2 * J).transpose(1, 2)


@pytest.mark.parametrize("name", LIFTERS)
@pytest.mark.parametrize("ca_conv", [False, True])
def test_lifter_interface(name, ca_conv):
    model = build_lifter(LifterSpec(name, width=32, ca_conv=ca_conv)).eval()
    out = model(_input())
    assert out.shape == (4, 17, 3)
    assert torch.all(out[:, 0] == 0)                                  # root-relative
    with pytest.raises(ValueError, match="lifter input"):
        model(_input(frames=26))


def test_unknown_lifter():
    with pytest.raises(ValueError, match="valid"):
        build_lifter(LifterSpec("resnet"))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, stride=3), dict(kernel_size=3, stride=1, dilation=3),
                                    dict(kernel_size=5, stride=2, padding=2)])
def test_caconv_with_all_ones_confidence_equals_plain_conv(kwargs):
    ca = CAConv1d(17, 8, **kwargs)
    x = _input(frames=27)
    x[..., 2] = 1.0
    plain = F.conv1d(_xy_channels(x), ca.conv.weight, ca.conv.bias, stride=ca.conv.stride, dilation=ca.conv.dilation,
                     padding=ca.conv.padding)
    if kwargs.get("padding"):   # at the border CA-Conv ignores the padded (confidence-0) frames
        plain, got = plain[..., 2:-2], ca(_channels(x))[..., 2:-2]
    else:
        got = ca(_channels(x))
    torch.testing.assert_close(got, plain, rtol=1e-5, atol=1e-5)


def test_plain_temporal_conv_equals_conv1d_and_ignores_confidence():
    layer = TemporalConv1d(17, 8, 3, stride=3)
    x = _input()
    torch.testing.assert_close(layer(_channels(x)), layer.conv(_xy_channels(x)), rtol=1e-5, atol=1e-5)
    y = x.clone()
    y[..., 2] = 0.01
    torch.testing.assert_close(layer(_channels(y)), layer(_channels(x)))


def test_caconv_ignores_a_frame_with_zero_confidence():
    ca = CAConv1d(17, 8, 3, stride=1)
    x = _input(frames=27)
    x[:, 10, :, 2] = 0.0
    y = x.clone()
    y[:, 10, :, :2] += torch.randn_like(y[:, 10, :, :2]) * 100          # garbage coordinates
    torch.testing.assert_close(ca(_channels(x)), ca(_channels(y)))
    plain = TemporalConv1d(17, 8, 3, stride=1)
    plain.load_state_dict(ca.state_dict())
    assert not torch.allclose(plain(_channels(x)), plain(_channels(y)))   # the plain conv is fooled


def test_caconv_matches_an_independent_computation():
    """A low-confidence frame is pulled towards the confidence-weighted (Gaussian applicability)
    estimate of its neighbours, in proportion to its confidence deficit; scaling every
    confidence by one factor changes nothing (only relative confidence matters)."""
    ca = CAConv1d(1, 1, 3, stride=3, bias=False, sigma=2.0)
    with torch.no_grad():
        ca.conv.weight.zero_()
        ca.conv.weight[0, 0, 2] = 1.0                                   # picks x of the window's last frame
    xs, cs = np.array([0.0, 3.0, 6.0]), np.array([1.0, 0.8, 0.2])
    x = torch.tensor([[[[xs[t], 0.0, cs[t]]] for t in range(3)]], dtype=torch.float32)   # (1, 3, 1, 3)
    a = np.exp(-0.5 * ((2 - np.arange(3)) / 2.0) ** 2)
    m = (a * cs * xs).sum() / (a * cs).sum()
    r = cs[2] / cs.max()
    expected = r * xs[2] + (1 - r) * m
    got = ca(_channels(x)).item()
    assert got == pytest.approx(expected, rel=1e-5)
    assert abs(got - xs[2]) > 1.0                                       # the unreliable frame moved
    x[..., 2] *= 0.3
    assert ca(_channels(x)).item() == pytest.approx(got, rel=1e-5)
    x[..., 2] = 0.0
    assert ca(_channels(x)).item() == 0.0                               # nothing reliable: no signal


def test_caconv_is_a_drop_in_replacement():
    """Same state-dict keys/shapes and the same initial weights for the same seed."""
    plain = init_lifter(LifterSpec("tcn", width=32), seed=5)
    ca = init_lifter(LifterSpec("tcn", width=32, ca_conv=True), seed=5)
    sd_plain, sd_ca = plain.state_dict(), ca.state_dict()
    assert sd_plain.keys() == sd_ca.keys()
    for key in sd_plain:
        assert torch.equal(sd_plain[key], sd_ca[key]), key
    x = _input()
    x[..., 2] = 1.0
    torch.testing.assert_close(plain.eval()(x), ca.eval()(x), rtol=1e-4, atol=1e-5)


def test_tcn_receptive_field_is_27_frames():
    model = TCNLifter(width=16).eval()
    x = _input(batch=1).requires_grad_(True)
    model(x)[0, 5].sum().backward()
    touched = x.grad[0].abs().sum(dim=(1, 2)) > 0
    assert touched.all()                                                  # every one of the 27 frames matters


@pytest.fixture(scope="module")
def tiny_windows():
    train, test = make_dataset(0, MotionConfig(train_subjects=2, test_subjects=1, cameras=1, frames=60))
    return make_windows(train), make_windows(test, 4)


def _state_bytes(model: torch.nn.Module) -> bytes:
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getvalue()


@pytest.mark.parametrize("name", LIFTERS)
def test_training_is_bit_identical_and_lowers_the_error(name, tiny_windows):
    train, test = tiny_windows
    spec = LifterSpec(name, width=32, ca_conv=True)
    cfg = LiftTrainConfig(steps=40, batch_size=32, lr=3e-3, seed=1)
    a = train_lifter(spec, train, cfg, TAGNConfig())
    b = train_lifter(spec, train, cfg, TAGNConfig())
    assert _state_bytes(a) == _state_bytes(b)
    c = train_lifter(spec, train, LiftTrainConfig(steps=40, batch_size=32, lr=3e-3, seed=2), TAGNConfig())
    assert _state_bytes(a) != _state_bytes(c)
    untrained = init_lifter(spec, seed=1).eval()
    target = test.targets[test.centres]
    err = lambda m: np.linalg.norm(predict(m, test) - target, axis=-1).mean()   # noqa: E731
    assert err(a) < 0.8 * err(untrained)
    # the checkpoint round-trips through weights_only loading
    state = torch.load(io.BytesIO(_state_bytes(a)), weights_only=True)
    fresh = build_lifter(spec)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(predict(fresh, test), predict(a, test))
