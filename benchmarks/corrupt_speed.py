"""Corruption speed: robustpose.corrupt against imagecorruptions, same images, same process.

Usage: python benchmarks/corrupt_speed.py [--images N] [--size 480x640] [--corruptions imagenet_c]

Single thread (numpy/BLAS, OpenCV and numba are pinned to one thread before they load), both
implementations warmed up first (numba compilation is reported separately, from a cold cache in
a subprocess), then every image x corruption x severity is timed for the library and for us,
interleaved, so machine-speed drift hits both alike. Images: the JPEGs of --image-dir (e.g. a few
COCO val2017 images) resized to --size, topped up with synthetic scenes of that size. Then
robustpose alone on params.yaml's whole corruption list (PoseBench's three included, mask on two
person boxes): the seconds per megapixel of one image's grid that ``robustpose.profiles`` turns
into the paper scale's CPU-hours (``CORRUPT_SECONDS_PER_MEGAPIXEL``). The last line is
``speedup: <library time / robustpose time>`` over the ImageNet-C grid.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import glob  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
cv2.setNumThreads(1)

from robustpose import corrupt  # noqa: E402
from robustpose.corrupt import imagenet_c  # noqa: E402
from robustpose.seeding import legacy_seed, rng_for  # noqa: E402

COMPILE_SNIPPET = """
import os, time
for v in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS"): os.environ[v] = "1"
import numpy as np
t0 = time.perf_counter()
from robustpose import corrupt
img = np.full((64, 80, 3), 128, np.uint8)
for name in corrupt.names("imagenet_c") + corrupt.names("imagenet_c_extra"):
    corrupt.apply(img, name, 5, 0)
print(time.perf_counter() - t0)
"""


def load_images(n: int, hw: tuple[int, int], image_dir: str | None) -> list[np.ndarray]:
    from PIL import Image

    h, w = hw
    files = sorted(glob.glob(os.path.join(image_dir, "*.jpg"))) if image_dir else []
    images = [np.asarray(Image.open(f).convert("RGB").resize((w, h), Image.BILINEAR)) for f in files[:n]]
    if len(images) < n:
        from robustpose.data.synthetic import SyntheticConfig, render_scene

        cfg = SyntheticConfig(image_height=h, image_width=w)
        images += [render_scene(rng_for(0, "bench", i), cfg)[0] for i in range(n - len(images))]
    return images


def cold_compile_seconds() -> float:
    """Import + first call of every corruption with an empty numba cache, in a fresh process."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", COMPILE_SNIPPET], env=env, check=True,
                             capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def params_grid_seconds(images: list[np.ndarray]) -> dict[str, float]:
    """Seconds per image of every corruption of params.yaml at every severity (robustpose, one thread)."""
    import yaml

    names = yaml.safe_load((ROOT / "params.yaml").read_text())["corrupt"]["corruptions"]
    h, w = images[0].shape[:2]
    boxes = np.array([[0.15 * w, 0.1 * h, 0.45 * w, 0.95 * h], [0.55 * w, 0.2 * h, 0.85 * w, 0.9 * h]])
    context = {"boxes": boxes, "keypoints": None}
    seconds = {n: 0.0 for n in names}
    for name in names:
        corrupt.apply(images[0], name, 3, 0, context)   # warm-up
        for i, img in enumerate(images):
            for sev in corrupt.SEVERITIES:
                t = time.perf_counter()
                corrupt.apply(img, name, sev, rng_for(0, "bench", i, name, sev), context)
                seconds[name] += (time.perf_counter() - t) / len(images)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--size", default="480x640", help="HxW")
    parser.add_argument("--image-dir", default=None, help="JPEG images to time (default: synthetic scenes only)")
    parser.add_argument("--corruptions", default="imagenet_c", help="a family (imagenet_c, imagenet_c_extra)")
    args = parser.parse_args()
    hw = tuple(int(v) for v in args.size.lower().split("x"))
    images = load_images(args.images, hw, args.image_dir)
    names = corrupt.names(args.corruptions)

    t0 = time.perf_counter()
    lib_first = imagenet_c.library(images[0], "glass_blur", 1, 0)   # numba-compiles the library's glass blur
    print(f"library glass_blur first call (numba compile): {time.perf_counter() - t0:.2f} s")
    print(f"robustpose cold import + numba compile: {cold_compile_seconds():.2f} s")
    for name in names:   # warm-up: lazily built tables, loaded frost images, cached kernels
        corrupt.apply(images[0], name, 3, 0)
        imagenet_c.library(images[0], name, 3, 0)
    del lib_first

    lib_t = {n: 0.0 for n in names}
    our_t = {n: 0.0 for n in names}
    for i, img in enumerate(images):
        for name in names:
            for sev in corrupt.SEVERITIES:
                rng = rng_for(0, "bench", i, name, sev)
                t = time.perf_counter()
                imagenet_c.library(img, name, sev, legacy_seed(rng))
                lib_t[name] += time.perf_counter() - t
                t = time.perf_counter()
                corrupt.apply(img, name, sev, rng)
                our_t[name] += time.perf_counter() - t

    calls = len(images) * len(corrupt.SEVERITIES)
    print(f"{len(images)} images {hw[0]}x{hw[1]}, {len(names)} corruptions x 5 severities, one thread")
    print(f"{'corruption':20s} {'library ms':>11s} {'robustpose ms':>14s} {'ratio':>7s}")
    for name in names:
        print(f"{name:20s} {1000 * lib_t[name] / calls:11.1f} {1000 * our_t[name] / calls:14.1f} "
              f"{lib_t[name] / our_t[name]:7.1f}")
    total_lib, total_our = sum(lib_t.values()), sum(our_t.values())
    print(f"{'per image, whole grid':20s} {total_lib / len(images):10.2f}s {total_our / len(images):13.2f}s")
    grid = params_grid_seconds(images)
    from robustpose.profiles import CORRUPT_SECONDS_PER_MEGAPIXEL

    megapixels = hw[0] * hw[1] / 1e6
    print(f"robustpose, params.yaml's {len(grid)} corruptions x 5 severities: {sum(grid.values()):.2f} s per image, "
          f"{sum(grid.values()) / megapixels:.2f} s per megapixel "
          f"(robustpose.profiles.CORRUPT_SECONDS_PER_MEGAPIXEL = {CORRUPT_SECONDS_PER_MEGAPIXEL})")
    print(f"speedup: {total_lib / total_our:.2f}")


if __name__ == "__main__":
    main()
