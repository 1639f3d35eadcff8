"""Top-down inference throughput of the registered models, as ratios within one run.

Reports crops/s for each model and batch size, and the cost of flip testing relative to a
single pass (the reference in the same process), so numbers from different machines compare
as ratios. Usage: python benchmarks/inference_speed.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from robustpose.models import model_spec  # noqa: E402
from robustpose.models.estimator import PoseEstimator  # noqa: E402
from robustpose.models.net import PoseNet  # noqa: E402


def crops_per_second(est: PoseEstimator, images: list[np.ndarray], boxes: list[np.ndarray], repeats: int) -> float:
    est.predict(images[:2], boxes[:2])  # warm-up (allocator, oneDNN kernels)
    t0 = time.perf_counter()
    for _ in range(repeats):
        est.predict(images, boxes)
    return repeats * sum(len(b) for b in boxes) / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["simplebaseline_r18", "simcc_r18"])
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    images = [(rng.random((192, 192, 3)) * 255).astype(np.uint8) for _ in range(32)]
    boxes = [np.array([[20.0, 10, 80, 160], [100, 30, 60, 120]]) for _ in images]
    print(f"{'model':22s} {'batch':>5s} {'crops/s':>9s} {'flip cost':>10s}")
    for name in args.models:
        net = PoseNet(model_spec(name))
        for batch in (16, 64):
            single = crops_per_second(PoseEstimator(net, torch.device("cpu"), batch, flip_test=False),
                                      images, boxes, args.repeats)
            flip = crops_per_second(PoseEstimator(net, torch.device("cpu"), batch, flip_test=True),
                                    images, boxes, args.repeats)
            print(f"{name:22s} {batch:5d} {single:9.1f} {single / flip:9.2f}x")


if __name__ == "__main__":
    main()
