"""Stage `prepare@<dataset>`: make a dataset available in the data contract (COCO keypoint format).

Embedded default: synthesize the train and val splits. Usage:
    python stages/prepare.py --dataset synthetic --out data/prepared/synthetic
"""
from __future__ import annotations

import argparse
import logging
import time

import _common as C

from robustpose.data.synthetic import SyntheticConfig, write_split

DATASETS = ["synthetic"]
SYNTHETIC_SCHEMA = {"n_train": int, "n_val": int, "image_height": int, "image_width": int,
                    "min_people": int, "max_people": int}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="prepare one dataset")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--out", required=True, help="output dir: <out>/<split>/{annotations.json,images/}")
    args = parser.parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    C.check_choice("datasets[]", args.dataset, DATASETS)
    sec = C.section(params, args.dataset, SYNTHETIC_SCHEMA)
    try:
        cfg = SyntheticConfig(image_height=sec["image_height"], image_width=sec["image_width"],
                              min_people=sec["min_people"], max_people=sec["max_people"])
    except ValueError as err:
        raise C.ParamsError(f"params.yaml: {args.dataset}: {err}") from None
    t0 = time.time()
    for split, n in (("train", sec["n_train"]), ("val", sec["n_val"])):
        path = write_split(f"{args.out}/{split}", cfg, C.seed(params), split, n)
        logging.info("wrote %d %s images -> %s", n, split, path)
    logging.info("prepare@%s done in %.1f s", args.dataset, time.time() - t0)


if __name__ == "__main__":
    C.run(main)
