"""AdvMix training overhead: seconds per step of ``standard`` vs ``advmix``, same model, same process.

Usage: python benchmarks/advmix_speed.py [--model simplebaseline_r18] [--batch 32] [--steps 6]
           [--warmup 2] [--rounds 2] [--threads 1]

The model is the embedded default (128x96 input, half-width ResNet-18; ``--base-channels``),
trained on in-memory synthetic scenes. Both strategies run with params.yaml's ``advmix:``
settings, built as the stage builds them (``mix_config_from_params``). ``standard`` runs the
AdvMix loop with the crop only and no distillation (plain fine-tuning); ``advmix`` is the
pipeline's AdvMix (k = 3 proposals, U-Net generator with attention on 8x8-pixel cells, KD from
a teacher with alpha = 0.5): pool augmentation, generator forward, student step, teacher forward
and generator step. Each step is timed through ``on_log`` (every
step); the first ``--warmup`` steps of each run are dropped and the strategies alternate over
``--rounds`` so drift in machine speed hits both alike. The last line is
``advmix overhead: <advmix s/step / standard s/step>``.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
cv2.setNumThreads(1)

from robustpose.data.synthetic import SyntheticConfig  # noqa: E402
from robustpose.models import model_spec  # noqa: E402
from robustpose.models.net import PoseNet  # noqa: E402
from robustpose.train.advmix import MixConfig, mix_config_from_params, student_from_teacher, train_advmix  # noqa: E402
from robustpose.train.synthetic_trainset import synthetic_trainset  # noqa: E402
from robustpose.train.topdown import TrainConfig, TrainSet  # noqa: E402

STRATEGIES = ("standard", "advmix")


def seconds_per_step(teacher: PoseNet, data: TrainSet, cfg: TrainConfig, mix: MixConfig, warmup: int) -> list[float]:
    stamps = [time.perf_counter()]
    train_advmix(student_from_teacher(teacher), teacher, data, cfg, mix,
                 on_log=lambda step, values: stamps.append(time.perf_counter()), log_every=1)
    return list(np.diff(stamps)[warmup:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="simplebaseline_r18")
    parser.add_argument("--base-channels", type=int, default=32)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=6, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()

    spec = model_spec(args.model, input_size=(128, 96), base_channels=args.base_channels)
    teacher = PoseNet(spec, init_seed=0).eval()
    data = synthetic_trainset(SyntheticConfig(image_height=192, image_width=192), 0, "bench-advmix", 24)
    cfg = TrainConfig(steps=args.warmup + args.steps, batch_size=args.batch, warmup_steps=1,
                      lr=1e-3, seed=0, threads=args.threads)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    mixes = {name: mix_config_from_params(params, name) for name in STRATEGIES}
    times: dict[str, list[float]] = {name: [] for name in STRATEGIES}
    for _ in range(args.rounds):
        for name, mix in mixes.items():
            times[name] += seconds_per_step(teacher, data, cfg, mix, args.warmup)

    print(f"{spec.name} {spec.input_size[0]}x{spec.input_size[1]} base_channels {spec.base_channels}, "
          f"batch {args.batch}, {args.threads} thread(s), {args.rounds} x {args.steps} timed steps each")
    print(f"{'strategy':10s} {'median s/step':>14s} {'min s/step':>11s}")
    for name, t in times.items():
        print(f"{name:10s} {np.median(t):14.3f} {np.min(t):11.3f}")
    print(f"advmix overhead: {np.median(times['advmix']) / np.median(times['standard']):.2f}")


if __name__ == "__main__":
    main()
