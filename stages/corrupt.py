"""Stage `corrupt@<dataset>-<corruption>`: every severity of one corruption, plus a manifest of digests.

Usage: python stages/corrupt.py --dataset synthetic --corruption fog \
           --data data/prepared/synthetic/val --out data/corrupted/synthetic/fog
"""
from __future__ import annotations

import argparse
import logging
import time

import _common as C

from robustpose import corrupt
from robustpose.corrupt.dataset import CorruptJob, corrupt_dataset


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="corrupt one dataset with one corruption")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--corruption", required=True)
    parser.add_argument("--data", required=True, help="prepared split: annotations.json + images/")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    sec = C.corrupt_section(params)
    C.check_choice("--corruption", args.corruption, corrupt.names())
    job = CorruptJob(src_images=f"{args.data}/images", out_dir=args.out, dataset=args.dataset,
                     corruption=args.corruption, seed=C.seed(params), fmt=sec["format"],
                     jpeg_quality=sec["jpeg_quality"], on_bad_image=sec["on_bad_image"])
    t0 = time.time()
    manifest = corrupt_dataset(job, f"{args.data}/annotations.json", sec["severities"], workers=sec["workers"])
    logging.info("corrupt@%s-%s: %d images in %.1f s -> %s", args.dataset, args.corruption,
                 len(manifest), time.time() - t0, args.out)


if __name__ == "__main__":
    C.run(main)
