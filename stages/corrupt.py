"""Stage `corrupt@<dataset>`: every corruption of params' list at every severity, each with a
manifest of digests, in `<out>/<corruption>/`.

One stage per dataset rather than per (dataset, corruption): DVC's per-stage cost (hashing deps,
a Python start with the corruption kernels) was paid 18 times per dataset for a few seconds of
work each. Each corruption still resumes file by file and keeps its own `job.json` stamp, so a
changed list only computes the corruptions that are new.

Usage: python stages/corrupt.py --dataset synthetic \
           --data data/prepared/synthetic/val --out data/corrupted/synthetic [--corruption fog ...]
"""
from __future__ import annotations

import argparse
import logging
import time

import _common as C

from robustpose import corrupt
from robustpose.corrupt.dataset import CorruptJob, corrupt_dataset, remove_stale_corruptions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="corrupt one dataset with every corruption of params.yaml")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--corruption", action="append",
                        help="only this corruption (repeatable; default: corrupt.corruptions of params.yaml)")
    parser.add_argument("--data", required=True, help="prepared split: annotations.json + images/")
    parser.add_argument("--out", required=True, help="one sub-folder per corruption is written here")
    args = parser.parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    sec = C.corrupt_section(params)
    names = args.corruption or sec["corruptions"]
    for name in names:
        C.check_choice("--corruption", name, corrupt.names())
    removed = remove_stale_corruptions(args.out, keep=[*sec["corruptions"], *names])
    if removed:
        logging.info("removed the outputs of corruptions no longer in params.yaml: %s", ", ".join(removed))
    t0 = time.time()
    for corruption in names:
        job = CorruptJob(src_images=f"{args.data}/images", out_dir=f"{args.out}/{corruption}", dataset=args.dataset,
                         corruption=corruption, seed=C.seed(params), fmt=sec["format"],
                         jpeg_quality=sec["jpeg_quality"], on_bad_image=sec["on_bad_image"])
        manifest = corrupt_dataset(job, f"{args.data}/annotations.json", sec["severities"], workers=sec["workers"])
        logging.info("corrupt@%s %s: %d images in %.1f s so far", args.dataset, corruption, len(manifest),
                     time.time() - t0)
    logging.info("corrupt@%s: done in %.1f s -> %s", args.dataset, time.time() - t0, args.out)


if __name__ == "__main__":
    C.run(main)
