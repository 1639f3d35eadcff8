"""Adversarial attack throughput against clean inference of the same model, as ratios in one run.

For each embedded model family it times, on the same random grey-level crops and the same
number of threads: a clean forward pass (the reference: evaluation's network), one attack step
(the model's own pose loss, forward + backward to the input through the BatchNorm-folded copy
the attacks use, sign, projection), and a whole IGSM-U-10 attack. The
ratio *step cost in forwards* is what the attack stage's run time scales with; the target is
at most 3 forwards per step (a backward to the input costs about two forwards, and weight
gradients are switched off). Ratios, not seconds, compare across machines.

Usage: python benchmarks/attack_speed.py [--repeats 3] [--batch 32] [--threads 2]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from robustpose.attack import PoseObjective, fgsm, iterative  # noqa: E402
from robustpose.models import model_spec  # noqa: E402
from robustpose.models.net import PoseNet, normalise_grey  # noqa: E402


def per_second(fn: Callable[[], object], items: int, repeats: int) -> float:
    """Items per second of ``fn`` over ``repeats`` calls, after one warm-up call (oneDNN kernels)."""
    fn()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return repeats * items / (time.perf_counter() - t0)


def measure(name: str, batch: int, repeats: int) -> dict[str, float]:
    """crops/s of clean forward, one FGSM step and IGSM-U-10 for one model (random weights:
    speed does not depend on what the weights are)."""
    torch.manual_seed(0)
    objective = PoseObjective(PoseNet(model_spec(name)))
    h, w = objective.input_hw
    rng = np.random.default_rng(0)
    x = torch.from_numpy((rng.random((batch, 3, h, w)) * 255).astype(np.float32))
    keypoints = rng.random((batch, objective.num_keypoints, 2)) * np.array([w, h])
    visible = np.ones((batch, objective.num_keypoints), dtype=np.float32)
    loss_fn = objective.loss_fn(objective.targets(keypoints, visible))

    def forward() -> None:   # what evaluation runs: the unfused network on normalised crops
        with torch.no_grad():
            objective.net(normalise_grey(x))

    return {
        "forward": per_second(forward, batch, repeats),
        "step": per_second(lambda: fgsm(loss_fn, x, 8.0), batch, repeats),
        "igsm10": per_second(lambda: iterative(loss_fn, x, 8.0, 0.4, 10), batch, max(1, repeats // 3)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=["simplebaseline_r18", "simcc_r18", "deeppose_r18"])
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"batch {args.batch}, {args.threads} threads; step cost = forward crops/s / attack-step crops/s")
    print(f"{'model':22s} {'forward/s':>10s} {'step/s':>8s} {'IGSM-10/s':>10s} {'step cost':>10s}")
    for name in args.models:
        r = measure(name, args.batch, args.repeats)
        print(f"{name:22s} {r['forward']:10.1f} {r['step']:8.1f} {r['igsm10']:10.2f} "
              f"{r['forward'] / r['step']:9.2f}x")


if __name__ == "__main__":
    main()
