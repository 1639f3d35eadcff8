"""Gradient-sign attacks: agreement with torchattacks 3.5.1, eps-ball / pixel-range properties,
seeded determinism (also across processes) and argument errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from robustpose.attack.gradient import apply_perturbation, fgsm, iterative, project, universal

ROOT = Path(__file__).resolve().parents[1]
torch.set_num_threads(1)


# --------------------------------------------------------------------------- torchattacks
@pytest.fixture(scope="module")
def classifier():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 32), nn.ReLU(), nn.Linear(32, 10)).eval()
    g = torch.Generator().manual_seed(1)
    # 16 = a power of two: torchattacks' batch-mean cross-entropy divides the gradient exactly
    x = torch.rand(16, 3, 8, 8, generator=g)
    labels = torch.randint(0, 10, (16,), generator=g)
    target_labels = (labels + 1 + torch.randint(0, 9, (16,), generator=g)) % 10
    assert not torch.any(target_labels == labels)
    return model, x, labels, target_labels


def _ce(model, labels):
    return lambda x: F.cross_entropy(model(x), labels, reduction="none")


def _assert_same(ours, theirs):
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)
    # the update and clipping are the same float operations: bit-identical in practice
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize("eps", [2 / 255, 8 / 255, 16 / 255])
def test_fgsm_matches_torchattacks(classifier, eps):
    torchattacks = pytest.importorskip("torchattacks")
    model, x, labels, _ = classifier
    x0 = x.clone()
    ours = fgsm(_ce(model, labels), x, eps, lower=0.0, upper=1.0)
    theirs = torchattacks.FGSM(model, eps=eps)(x, labels)
    assert torch.equal(x, x0)
    assert not torch.equal(ours, x)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("eps", [2 / 255, 8 / 255, 16 / 255])
def test_targeted_fgsm_matches_torchattacks(classifier, eps):
    torchattacks = pytest.importorskip("torchattacks")
    model, x, _, target_labels = classifier
    ours = fgsm(_ce(model, target_labels), x, eps, targeted=True, lower=0.0, upper=1.0)
    atk = torchattacks.FGSM(model, eps=eps)
    atk.set_mode_targeted_by_label(quiet=True)
    theirs = atk(x, target_labels)
    _assert_same(ours, theirs)
    # targeted really descends: not the untargeted result
    assert not torch.equal(ours, fgsm(_ce(model, target_labels), x, eps, lower=0.0, upper=1.0))


@pytest.mark.parametrize("eps,alpha,steps", [(2 / 255, 0.5 / 255, 5), (8 / 255, 2 / 255, 10),
                                             (8 / 255, 1 / 255, 5), (16 / 255, 4 / 255, 10)])
def test_bim_matches_torchattacks(classifier, eps, alpha, steps):
    torchattacks = pytest.importorskip("torchattacks")
    model, x, labels, _ = classifier
    ours = iterative(_ce(model, labels), x, eps, alpha, steps, random_start=False, lower=0.0, upper=1.0)
    theirs = torchattacks.BIM(model, eps=eps, alpha=alpha, steps=steps)(x, labels)
    _assert_same(ours, theirs)
    assert (ours - x).abs().max() > alpha   # several steps were taken


@pytest.mark.parametrize("eps,alpha,steps", [(2 / 255, 0.5 / 255, 5), (8 / 255, 2 / 255, 10)])
def test_targeted_bim_matches_torchattacks(classifier, eps, alpha, steps):
    torchattacks = pytest.importorskip("torchattacks")
    model, x, _, target_labels = classifier
    ours = iterative(_ce(model, target_labels), x, eps, alpha, steps, targeted=True, lower=0.0, upper=1.0)
    atk = torchattacks.BIM(model, eps=eps, alpha=alpha, steps=steps)
    atk.set_mode_targeted_by_label(quiet=True)
    theirs = atk(x, target_labels)
    _assert_same(ours, theirs)
    # and the targeted attack does what it says: more samples predicted as the target
    with torch.no_grad():
        assert (model(ours).argmax(1) == target_labels).sum() >= (model(x).argmax(1) == target_labels).sum()
        assert F.cross_entropy(model(ours), target_labels) < F.cross_entropy(model(x), target_labels)


def test_project_clips_to_ball_then_range():
    x = torch.tensor([0.0, 100.0, 250.0, 255.0])
    adv = torch.tensor([-20.0, 120.0, 270.0, 240.0])
    assert torch.equal(project(adv, x, 8.0, 0.0, 255.0), torch.tensor([0.0, 108.0, 255.0, 247.0]))


# --------------------------------------------------------------------------- properties
def _tiny_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5)).eval()


MODEL = _tiny_model()
TARGETS = torch.randn(64, 5, generator=torch.Generator().manual_seed(3))


def _loss_fn(x: torch.Tensor) -> torch.Tensor:
    return (MODEL(x / 255.0) - TARGETS[: len(x)]).pow(2).sum(1)


def _batch_loss_fn(xb: torch.Tensor, idx: np.ndarray) -> torch.Tensor:
    return (MODEL(xb / 255.0) - TARGETS[torch.as_tensor(idx)]).pow(2).sum(1)


def _images(seed: int, n: int = 4) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, 6, 6, generator=g) * 255
    # some pixels on the range's ends, where the pixel clip binds
    x[:, 0, 0, 0] = 0.0
    x[:, 1, 0, 0] = 255.0
    return x


def _in_ball_and_range(x_adv: torch.Tensor, x: torch.Tensor, eps: float) -> None:
    assert x_adv.dtype == x.dtype and x_adv.shape == x.shape
    assert torch.all(x_adv >= x - eps) and torch.all(x_adv <= x + eps)
    assert torch.all(x_adv >= 0) and torch.all(x_adv <= 255)


EPS = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0, 4.0, 32.0]),
                st.floats(min_value=0.0, max_value=32.0, allow_nan=False, allow_infinity=False))
FRAC = st.floats(min_value=0.0, max_value=1.0)
SEED = st.integers(min_value=0, max_value=2**31 - 1)
PROP = settings(max_examples=25, deadline=None)


@PROP
@given(eps=EPS, seed=SEED, targeted=st.booleans())
def test_fgsm_properties(eps, seed, targeted):
    x = _images(seed)
    x0 = x.clone()
    out = fgsm(_loss_fn, x, eps, targeted=targeted)
    assert torch.equal(x, x0)
    _in_ball_and_range(out, x, eps)
    if eps == 0:
        assert torch.equal(out, x)
    assert torch.equal(out, fgsm(_loss_fn, x, eps, targeted=targeted))


@PROP
@given(eps=EPS, frac=FRAC, steps=st.integers(0, 4), seed=SEED, random_start=st.booleans(),
       targeted=st.booleans())
def test_iterative_properties(eps, frac, steps, seed, random_start, targeted):
    x = _images(seed)
    x0 = x.clone()
    alpha = frac * eps

    def run(s):
        gen = torch.Generator().manual_seed(s) if random_start else None
        return iterative(_loss_fn, x, eps, alpha, steps, targeted=targeted, random_start=random_start,
                         generator=gen)

    out = run(seed)
    assert torch.equal(x, x0)
    _in_ball_and_range(out, x, eps)
    if eps == 0:
        assert torch.equal(out, x)
    assert torch.equal(out, run(seed))


@PROP
@given(eps=st.floats(min_value=0.25, max_value=32.0), frac=st.floats(0.0, 0.25), steps=st.integers(0, 2),
       seed=SEED)
def test_pgd_seeds_differ(eps, frac, steps, seed):
    x = _images(seed)
    a = iterative(_loss_fn, x, eps, frac * eps, steps, random_start=True,
                  generator=torch.Generator().manual_seed(seed))
    b = iterative(_loss_fn, x, eps, frac * eps, steps, random_start=True,
                  generator=torch.Generator().manual_seed(seed + 1))
    assert not torch.equal(a, b)
    _in_ball_and_range(a, x, eps)
    _in_ball_and_range(b, x, eps)


@PROP
@given(eps=EPS, steps=st.integers(0, 6), batch_size=st.integers(1, 5), seed=SEED,
       step_size=st.one_of(st.none(), st.floats(0.0, 8.0)), targeted=st.booleans())
def test_universal_properties(eps, steps, batch_size, seed, step_size, targeted):
    x = _images(seed, n=6)
    x0 = x.clone()

    def run(s):
        return universal(_batch_loss_fn, x, eps, steps, batch_size=batch_size, step_size=step_size,
                         targeted=targeted, generator=torch.Generator().manual_seed(s))

    u = run(seed)
    assert torch.equal(x, x0)
    assert u.shape == x.shape[1:] and u.dtype == torch.float32
    assert torch.all(u.abs() <= eps)
    adv = apply_perturbation(x, u)
    assert torch.all(adv >= 0) and torch.all(adv <= 255)
    assert torch.all(adv >= x - eps) and torch.all(adv <= x + eps)
    if eps == 0:
        assert torch.equal(u, torch.zeros_like(u))
        assert torch.equal(adv, x)
    assert torch.equal(u, run(seed))


def test_universal_accepts_uint8_dataset_and_moves():
    x = _images(0, n=6)
    xu8 = x.round().to(torch.uint8)
    u = universal(_batch_loss_fn, xu8, 4.0, 20, batch_size=4, generator=torch.Generator().manual_seed(0))
    assert torch.all(u.abs() <= 4.0) and u.abs().max() > 0
    # the same as attacking the float copy of the dataset
    u_f = universal(_batch_loss_fn, xu8.float(), 4.0, 20, batch_size=4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(u, u_f)


def test_universal_walks_permutations_of_the_dataset():
    """Every sample is visited once per epoch, from the caller's generator."""
    seen = []

    def loss(xb, idx):
        seen.append(np.asarray(idx).copy())
        return _batch_loss_fn(xb, idx)

    universal(loss, _images(0, n=6), 2.0, 6, batch_size=4, generator=torch.Generator().manual_seed(0))
    flat = np.concatenate(seen)
    assert len(flat) == 24 and all(len(s) == 4 for s in seen)
    for epoch in range(4):
        assert sorted(flat[6 * epoch: 6 * epoch + 6]) == list(range(6))


def test_attacks_raise_the_loss():
    x = _images(5)
    clean = _loss_fn(x)
    assert torch.all(_loss_fn(iterative(_loss_fn, x, 8.0, 2.0, 5)) > clean)
    assert torch.all(_loss_fn(iterative(_loss_fn, x, 8.0, 2.0, 5, targeted=True)) < clean)


# --------------------------------------------------------------------------- cross-process determinism
SCRIPT = r"""
import hashlib, importlib.util, sys
import torch
from torch import nn
spec = importlib.util.spec_from_file_location("_gradient", sys.argv[1])
G = importlib.util.module_from_spec(spec); spec.loader.exec_module(G)
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.Tanh(),
                      nn.Flatten(), nn.Linear(8 * 16 * 16, 7)).eval()
x = torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 255
y = torch.randn(8, 7, generator=torch.Generator().manual_seed(2))
loss = lambda v: (model(v / 255) - y).pow(2).sum(1)
bloss = lambda v, idx: (model(v / 255) - y[torch.as_tensor(idx)]).pow(2).sum(1)
pgd = G.iterative(loss, x, 8.0, 2.0, 5, random_start=True, generator=torch.Generator().manual_seed(7))
u = G.universal(bloss, x, 8.0, 10, batch_size=3, step_size=1.0, generator=torch.Generator().manual_seed(7))
for t in (pgd, u):
    print(hashlib.sha256(t.contiguous().numpy().tobytes()).hexdigest())
"""


def test_same_seed_same_bytes_across_processes(monkeypatch):
    path = str(ROOT / "robustpose" / "attack" / "gradient.py")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    digests = []
    for extra in ({}, {"OMP_NUM_THREADS": "1"}):
        run = subprocess.run([sys.executable, "-c", SCRIPT, path], env={**env, **extra}, capture_output=True,
                             text=True, timeout=120, cwd=str(ROOT))
        assert run.returncode == 0, run.stderr
        digests.append(run.stdout.split())
    # the same computation in this process, via the package import
    import contextlib
    import io
    import robustpose.attack.gradient as G
    buf = io.StringIO()
    monkeypatch.setattr(sys, "argv", ["-c", path])
    with contextlib.redirect_stdout(buf):
        exec(compile(SCRIPT.replace("G = importlib.util.module_from_spec(spec); spec.loader.exec_module(G)", ""),
                     "<script>", "exec"), {"G": G, "__name__": "__script__"})
    here = buf.getvalue().split()
    assert len(here) == 2 and all(len(d) == 64 for d in here)
    assert digests[0] == here and digests[1] == here
    assert here[0] != here[1]


# --------------------------------------------------------------------------- errors
def test_negative_eps_is_refused():
    x = _images(0)
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        fgsm(_loss_fn, x, -1.0)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        iterative(_loss_fn, x, -0.5, 0.1, 3)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        universal(_batch_loss_fn, x, -1.0, 3, generator=g)


def test_integer_input_is_refused():
    xu8 = _images(0).to(torch.uint8)
    with pytest.raises(ValueError, match="float input"):
        fgsm(_loss_fn, xu8, 1.0)
    with pytest.raises(ValueError, match="float input"):
        iterative(_loss_fn, xu8, 1.0, 0.5, 2)


def test_random_start_and_universal_need_a_generator():
    x = _images(0)
    with pytest.raises(ValueError, match="Generator"):
        iterative(_loss_fn, x, 4.0, 1.0, 2, random_start=True)
    with pytest.raises(ValueError, match="Generator"):
        universal(_batch_loss_fn, x, 4.0, 2)


def test_scalar_loss_is_refused_with_the_shape():
    x = _images(0)
    with pytest.raises(ValueError, match=r"shape \(4,\).*got \(\)"):
        fgsm(lambda v: _loss_fn(v).sum(), x, 1.0)
    with pytest.raises(ValueError, match="shape"):
        iterative(lambda v: _loss_fn(v).mean(), x, 1.0, 0.5, 2)
    with pytest.raises(ValueError, match=r"got \(4, 1\)"):
        fgsm(lambda v: _loss_fn(v)[:, None], x, 1.0)


def test_bad_ranges_and_steps_are_refused():
    x = _images(0)
    with pytest.raises(ValueError, match="empty"):
        fgsm(_loss_fn, x, 1.0, lower=1.0, upper=1.0)
    with pytest.raises(ValueError, match="alpha and steps"):
        iterative(_loss_fn, x, 1.0, -0.1, 2)
    with pytest.raises(ValueError, match="batch_size"):
        universal(_batch_loss_fn, x, 1.0, 2, batch_size=0, generator=torch.Generator())


def test_sum_of_losses_keeps_samples_independent():
    """Attacking a batch gives each sample what attacking it alone gives."""
    x = _images(9)
    batch = iterative(_loss_fn, x, 4.0, 1.0, 3)
    for i in range(len(x)):
        alone = iterative(lambda v, i=i: (MODEL(v / 255.0) - TARGETS[i: i + 1]).pow(2).sum(1), x[i:i + 1], 4.0, 1.0, 3)
        torch.testing.assert_close(batch[i:i + 1], alone, atol=0, rtol=0)



@pytest.mark.parametrize("targeted", [False, True])
def test_a_continued_iterative_run_equals_one_from_scratch(targeted):
    """IGSM-25 = IGSM-10 continued for 15 steps, bit for bit (how IGSM-100 reuses IGSM-10)."""
    x = _images(5, n=6)
    x0 = x.clone()
    whole = iterative(_loss_fn, x, 8.0, 0.4, 25, targeted=targeted)
    first = iterative(_loss_fn, x, 8.0, 0.4, 10, targeted=targeted)
    assert torch.equal(iterative(_loss_fn, x, 8.0, 0.4, 15, targeted=targeted, start=first), whole)
    assert torch.equal(x, x0)
    assert not torch.equal(first, whole)


def test_a_start_outside_the_ball_or_with_a_random_start_is_refused():
    x = _images(6)
    with pytest.raises(ValueError, match="within eps"):
        iterative(_loss_fn, x, 1.0, 0.5, 3, start=x + 2.0)
    with pytest.raises(ValueError, match="exclude each other"):
        iterative(_loss_fn, x, 1.0, 0.5, 3, start=x, random_start=True, generator=torch.Generator())
