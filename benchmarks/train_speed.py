"""Training throughput of `train@simplebaseline_r18`: a plain reference loop vs ours, same process.

Usage: python benchmarks/train_speed.py [--model simplebaseline_r18] [--steps 30] [--warmup 5]
           [--rounds 2] [--precision auto]

Both loops train the embedded default's model (params.yaml's ``model.<name>``: 128x96 input,
half-width ResNet-18 + deconvolution head) at params.yaml's batch size and threads, on the same
in-memory synthetic training set, from the same initial weights:

* **reference**: the loop as it was before the speed work, and as one writes it first: make the
  batch (crop, warp, encode targets), float32 forward and backward, AdamW (for-loop), read the
  loss back every step;
* **ours**: ``robustpose.train.topdown.train_topdown`` (bfloat16 autocast where the CPU
  multiplies bfloat16 natively, foreach AdamW, the loss read back only when logged). Both draw
  their batches with ``topdown.batch_for_step`` (vectorised targets, the flip folded into the
  warp), so the ratio is the training loop's alone.

The loops alternate over ``--rounds`` so drift in machine speed hits both alike; the first
``--warmup`` steps of each run are not timed. The last line is
``train speed-up: <ours samples/s / reference samples/s>x``.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from robustpose.data.synthetic import SyntheticConfig  # noqa: E402
from robustpose.models import model_spec  # noqa: E402
from robustpose.models.net import PoseNet  # noqa: E402
from robustpose.train.config import model_overrides, train_config  # noqa: E402
from robustpose.train.precision import resolve_precision  # noqa: E402
from robustpose.train.synthetic_trainset import synthetic_trainset  # noqa: E402
from robustpose.train.topdown import TrainConfig, TrainSet, batch_for_step, lr_at, train_topdown  # noqa: E402


def reference_loop(net: PoseNet, data: TrainSet, cfg: TrainConfig, stamps: list[float]) -> None:
    """The plain loop: everything on the critical path, float32, a host read-back per step."""
    torch.set_num_threads(cfg.threads)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=False)
    net.train()
    for step in range(cfg.steps):
        x, y = batch_for_step(net, data, cfg, step)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        loss = net.loss(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()
        stamps.append(time.perf_counter())


def our_loop(net: PoseNet, data: TrainSet, cfg: TrainConfig, stamps: list[float]) -> None:
    train_topdown(net, data, cfg, on_log=lambda step, values: stamps.append(time.perf_counter()), log_every=1)


def samples_per_s(loop, spec, data: TrainSet, cfg: TrainConfig, warmup: int) -> float:
    net = PoseNet(spec, init_seed=0)
    stamps = [time.perf_counter()]
    loop(net, data, cfg, stamps)
    timed = np.diff(stamps)[warmup:]
    return cfg.batch_size * len(timed) / float(timed.sum())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="simplebaseline_r18")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--precision", default=None, help="override train.precision for our loop")
    parser.add_argument("--images", type=int, default=200, help="synthetic training images")
    args = parser.parse_args(argv)

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    spec = model_spec(args.model, **model_overrides(params, args.model))
    cfg = replace(train_config(params, args.model), steps=args.steps + args.warmup)
    ours_cfg = replace(cfg, precision=args.precision or cfg.precision)
    data = synthetic_trainset(SyntheticConfig(), 0, "train", args.images)
    print(f"{args.model}: input {list(spec.input_size)}, batch {cfg.batch_size}, threads {cfg.threads}, "
          f"ours in {resolve_precision(ours_cfg.precision)}")
    ref, ours = [], []
    for r in range(args.rounds):
        ref.append(samples_per_s(reference_loop, spec, data, cfg, args.warmup))
        ours.append(samples_per_s(our_loop, spec, data, ours_cfg, args.warmup))
        print(f"round {r + 1}: reference {ref[-1]:.1f} samples/s, ours {ours[-1]:.1f} samples/s")
    print(f"train speed-up: {np.median(ours) / np.median(ref):.2f}x")


if __name__ == "__main__":
    main()
