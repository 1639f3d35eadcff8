"""L-infinity gradient-sign attacks over a loss closure: FGSM, IGSM/BIM, PGD, universal.

Written once for every head: an attack only sees ``loss_fn(x) -> (N,)``, the per-sample loss of
the batch ``x`` (float (N, C, H, W) in [lower, upper]). Untargeted attacks ascend it; targeted
ones descend it (the loss is then measured against the target). Summing the per-sample losses
before the gradient keeps samples independent (each sample's loss depends on its own pixels
only, with the network in eval mode), so one backward pass attacks the whole batch.

Every result lies in the eps-ball of ``x`` and in the pixel range, ``x`` is never modified, and
the only randomness (PGD's start, the universal attack's batch order) comes from a caller's
``torch.Generator`` drawn on the CPU, so the same seed gives the same perturbation on any device.

The update and clipping follow Kurakin et al. (BIM) and Goodfellow et al. (FGSM) exactly as
torchattacks 3.5.1 writes them; tests check the two agree on a classifier.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

LossFn = Callable[[torch.Tensor], torch.Tensor]
# universal: loss of a mini-batch of the dataset, given the perturbed batch and its indices
BatchLossFn = Callable[[torch.Tensor, np.ndarray], torch.Tensor]


def _check(x: torch.Tensor, eps: float, lower: float, upper: float) -> None:
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    if not x.is_floating_point():
        raise ValueError(f"attacks need a float input, got {x.dtype} (sub-grey-level eps would be rounded away)")
    if lower >= upper:
        raise ValueError(f"pixel range [{lower}, {upper}] is empty")


def _grad_sign(loss_fn: LossFn, x: torch.Tensor, targeted: bool) -> torch.Tensor:
    """sign of d(sum loss)/dx, negated for targeted attacks (they descend the loss)."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():   # callers hold no_grad around their updates
        loss = loss_fn(x)
        if loss.ndim != 1 or loss.shape[0] != x.shape[0]:
            raise ValueError(f"loss_fn must return a per-sample loss of shape ({x.shape[0]},), "
                             f"got {tuple(loss.shape)}")
        (grad,) = torch.autograd.grad(loss.sum(), x)
    sign = grad.sign()
    return -sign if targeted else sign


def project(x_adv: torch.Tensor, x: torch.Tensor, eps: float, lower: float, upper: float) -> torch.Tensor:
    """``x_adv`` clipped to [x - eps, x + eps] and then to [lower, upper] (BIM's clip)."""
    return torch.clamp(torch.min(torch.max(x_adv, x - eps), x + eps), lower, upper)


def fgsm(loss_fn: LossFn, x: torch.Tensor, eps: float, *, targeted: bool = False,
         lower: float = 0.0, upper: float = 255.0) -> torch.Tensor:
    """Fast gradient sign method: one step of size ``eps`` along the loss gradient's sign.

    Untargeted: ``x + eps * sign(grad L(x, y))``; targeted: ``x - eps * sign(grad L(x, y_t))``;
    then clipped to the pixel range.
    """
    _check(x, eps, lower, upper)
    with torch.no_grad():
        step = eps * _grad_sign(loss_fn, x, targeted)
        return torch.clamp(x.detach() + step, lower, upper)


def iterative(loss_fn: LossFn, x: torch.Tensor, eps: float, alpha: float, steps: int, *,
              targeted: bool = False, random_start: bool = False,
              generator: torch.Generator | None = None, start: torch.Tensor | None = None,
              lower: float = 0.0, upper: float = 255.0) -> torch.Tensor:
    """Iterative gradient sign: ``steps`` sign steps of size ``alpha``, each projected back to
    the eps-ball and the pixel range.

    ``random_start=False`` is Shah et al.'s IGSM (= BIM, Kurakin et al. 2017); ``True`` is PGD
    (Madry et al. 2018): the first iterate is drawn uniformly in the eps-ball from
    ``generator`` (on the CPU, so the draw is the same on any device).

    ``start``: continue from an earlier iterate of the same attack instead of ``x`` (IGSM-100
    from IGSM-10's result: the first 10 steps are the same computation, so ``steps=90`` from
    there gives IGSM-100 bit for bit and saves a tenth of its cost). It must lie in the eps-ball.
    """
    _check(x, eps, lower, upper)
    if alpha < 0 or steps < 0:
        raise ValueError(f"alpha and steps must be >= 0, got alpha={alpha}, steps={steps}")
    x = x.detach()
    if start is not None and random_start:
        raise ValueError("start and random_start exclude each other (a continued run has already started)")
    if start is not None and (start.shape != x.shape or bool(((start - x).abs() > eps + 1e-3).any())):
        raise ValueError(f"start must have x's shape {tuple(x.shape)} and lie within eps = {eps} of x")
    x_adv = x.clone() if start is None else start.detach().to(device=x.device, dtype=x.dtype).clone()
    if random_start:
        if generator is None:
            raise ValueError("random_start needs a torch.Generator (no global RNG)")
        noise = torch.rand(x.shape, generator=generator, dtype=torch.float32, device="cpu")
        x_adv = project(x + (noise * 2 - 1).to(device=x.device, dtype=x.dtype) * eps, x, eps, lower, upper)
    for _ in range(steps):
        with torch.no_grad():
            x_adv = project(x_adv + alpha * _grad_sign(loss_fn, x_adv, targeted), x, eps, lower, upper)
    return x_adv


def universal(loss_fn: BatchLossFn, x: torch.Tensor, eps: float, steps: int, *, batch_size: int = 16,
              step_size: float | None = None, targeted: bool = False,
              generator: torch.Generator | None = None,
              lower: float = 0.0, upper: float = 255.0) -> torch.Tensor:
    """One perturbation ``u`` (C, H, W) that raises the loss over the whole dataset ``x``.

    Shah et al.'s adaptation of Metzen et al.: over mini-batches of ``batch_size`` samples,
    ``u <- u + delta * sign(grad_u sum_i L(f(clip(x_i + u)), y_i))`` with ``delta = eps / 200``
    by default, projected to ``||u||_inf <= eps`` after every step. Mini-batches walk through
    a fresh permutation of the dataset each epoch, drawn from ``generator`` (seeded by the caller).

    Args:
        loss_fn: ``loss_fn(x_batch, indices) -> (B,)``: the per-sample loss of the perturbed
            batch, ``indices`` (into ``x``) saying whose targets to score against.
        x: the dataset, (M, C, H, W) of any dtype (kept as given; each batch becomes float32).
        steps: number of mini-batch updates.
    """
    _check(x[:1].float(), eps, lower, upper)
    if steps < 0 or batch_size < 1:
        raise ValueError(f"steps must be >= 0 and batch_size >= 1, got {steps}, {batch_size}")
    if generator is None:
        raise ValueError("universal needs a torch.Generator (no global RNG)")
    delta = eps / 200.0 if step_size is None else step_size
    device = x.device
    u = torch.zeros(x.shape[1:], dtype=torch.float32, device=device)
    order = torch.empty(0, dtype=torch.long)
    for _ in range(steps):
        if len(order) < batch_size:   # a new epoch: a fresh permutation (the tail of the last one first)
            order = torch.cat([order, torch.randperm(len(x), generator=generator)])
        idx, order = order[:batch_size], order[batch_size:]
        batch = x[idx.to(device)].float()

        def batch_loss(v: torch.Tensor, batch: torch.Tensor = batch, idx: torch.Tensor = idx) -> torch.Tensor:
            return loss_fn(torch.clamp(batch + v, lower, upper), idx.numpy()).sum().reshape(1)

        with torch.no_grad():
            u = torch.clamp(u + delta * _grad_sign(batch_loss, u[None], targeted)[0], -eps, eps)
    return u


def apply_perturbation(x: torch.Tensor, u: torch.Tensor, lower: float = 0.0, upper: float = 255.0) -> torch.Tensor:
    """``x + u`` (u broadcast over the batch) clipped to the pixel range."""
    return torch.clamp(x + u, lower, upper)


__all__ = ["LossFn", "BatchLossFn", "apply_perturbation", "fgsm", "iterative", "project", "universal"]
