"""How the corrupt stage scales with worker processes: images/s on 1 worker and on N, same process.

Usage: python benchmarks/corrupt_workers.py [--images 8] [--size 480x640] [--workers 2]
           [--corruptions motion_blur,fog,snow,gaussian_noise,mask]

Writes ``--images`` synthetic scenes of ``--size`` (paper-scale images, so each task is real
work) and a COCO annotation dict, then runs ``corrupt_dataset`` (the stage's code, PNG output,
severities 1-5) for each corruption with 1 worker and with ``--workers``, alternating, into fresh
temporary folders (nothing resumes). Numba is warmed up first. The last line is
``corrupt scaling: <images/s on N workers / images/s on 1>x``; on 2 cores the target is 1.8x.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from robustpose import corrupt  # noqa: E402
from robustpose.corrupt.dataset import CorruptJob, corrupt_dataset  # noqa: E402
from robustpose.data.images import write_image  # noqa: E402
from robustpose.data.synthetic import SyntheticConfig, render_scene  # noqa: E402
from robustpose.seeding import rng_for  # noqa: E402

SEVERITIES = [1, 2, 3, 4, 5]


def write_source(folder: Path, n: int, hw: tuple[int, int]) -> dict:
    """``n`` synthetic scenes as PNGs in ``folder`` and their annotation dict (one box each, for
    the mask corruption)."""
    h, w = hw
    cfg = SyntheticConfig(image_height=h, image_width=w)
    images, annotations = [], []
    for i in range(n):
        write_image(folder / f"{i:04d}.png", render_scene(rng_for(0, "bench", i), cfg)[0])
        images.append({"id": i + 1, "file_name": f"{i:04d}.png", "height": h, "width": w})
        annotations.append({"id": i + 1, "image_id": i + 1, "category_id": 1, "iscrowd": 0, "area": h * w / 8.0,
                            "bbox": [w / 4, h / 8, w / 4, h / 2], "num_keypoints": 0, "keypoints": [0] * 51})
    return {"images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "person", "keypoints": [f"k{j}" for j in range(17)], "skeleton": []}]}


def images_per_s(src: Path, annotations: dict, corruptions: list[str], workers: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        for name in corruptions:
            corrupt_dataset(CorruptJob(str(src), f"{out}/{name}", "bench", name, 0), annotations, SEVERITIES, workers)
        seconds = time.perf_counter() - t0
    return len(annotations["images"]) * len(SEVERITIES) * len(corruptions) / seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--size", default="480x640", help="HxW")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--corruptions", default="motion_blur,fog,snow,gaussian_noise,mask")
    args = parser.parse_args(argv)
    hw = tuple(int(v) for v in args.size.split("x"))
    names = args.corruptions.split(",")
    corrupt.check_names(names)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "images"
        src.mkdir()
        annotations = write_source(src, args.images, hw)
        images_per_s(src, annotations, names, 1)   # numba compilation and caches out of the timing
        one, many = [], []
        for r in range(args.rounds):
            one.append(images_per_s(src, annotations, names, 1))
            many.append(images_per_s(src, annotations, names, args.workers))
            print(f"round {r + 1}: 1 worker {one[-1]:.2f} images/s, {args.workers} workers {many[-1]:.2f} images/s")
    print(f"corrupt scaling: {np.median(many) / np.median(one):.2f}x")


if __name__ == "__main__":
    main()
