"""Stage `prepare@<dataset>`: make a dataset available in the data contract (COCO keypoint format).

Embedded default: synthesize the train and val splits (``synthetic``: people in COCO's layout;
``synthetic_animals``: quadrupeds in AP-10K's). Real datasets (coco, ochuman, mpii,
ap10k): download and verify the registered files into ``--raw`` (the only network access of the
pipeline; mirrors via ``<dataset>.urls`` in params or ``ROBUSTPOSE_MIRROR_<DATASET>``), unpack
them, and convert the val split. Usage:
    python stages/prepare.py --dataset synthetic --out data/prepared/synthetic
    python stages/prepare.py --dataset coco --out data/prepared/coco --raw data/raw
"""
from __future__ import annotations

import argparse
import logging
import time

import _common as C

from robustpose.data.download import fetch
from robustpose.data.prepare_real import PREPARERS, prepare_dataset
from robustpose.data import synthetic, synthetic_animals

# Embedded generators: params section -> (config class, writer); each section adds n_train/n_val.
GENERATORS = {
    "synthetic": (synthetic.SyntheticConfig, synthetic.write_split),
    "synthetic_animals": (synthetic_animals.AnimalConfig, synthetic_animals.write_split),
}
DATASETS = [*GENERATORS, *PREPARERS]
GENERATOR_SCHEMAS = {
    "synthetic": {"n_train": int, "n_val": int, "image_height": int, "image_width": int,
                  "min_people": int, "max_people": int},
    "synthetic_animals": {"n_train": int, "n_val": int, "image_height": int, "image_width": int,
                          "min_animals": int, "max_animals": int},
}
REAL_SCHEMA = {"max_images": int,   # 0 = every val image; N = the first N image ids (a quick check)
               "urls": dict,        # {file name: URL} mirrors for single files ({} = the registry)
               "sha256": dict}      # {file name: sha256} of what a mirror serves, if not the published file


def check_params(params: dict, dataset: str) -> dict:
    """The dataset's section, validated (a generator's settings through its config class)."""
    C.check_choice("datasets[]", dataset, DATASETS)
    if dataset not in GENERATORS:
        sec = C.section(params, dataset, REAL_SCHEMA)
        if sec["max_images"] < 0:
            raise C.ParamsError(f"params.yaml: {dataset}.max_images must be >= 0, got {sec['max_images']}")
        return sec
    C.seed(params)   # a generator's draws derive from it
    sec = C.section(params, dataset, GENERATOR_SCHEMAS[dataset])
    generator_config(dataset, sec)
    return sec


def generator_config(name: str, sec: dict):
    """The generator's config from its section (``n_train``/``n_val`` are split sizes, not config)."""
    config_class, _ = GENERATORS[name]
    try:
        return config_class(**{k: v for k, v in sec.items() if k not in ("n_train", "n_val")})
    except ValueError as err:
        raise C.ParamsError(f"params.yaml: {name}: {err}") from None


def prepare_real(name: str, sec: dict, raw: str, out: str) -> None:
    """Download (verified, resumable) and convert the val split of a real dataset."""
    files = fetch(name, raw, overrides={str(k): str(v) for k, v in sec["urls"].items()},
                  checksums={str(k): str(v) for k, v in sec["sha256"].items()})
    logging.info("%s: %d files verified in %s/%s", name, len(files), raw, name)
    path = prepare_dataset(name, f"{raw}/{name}", out, sec["max_images"] or None)
    logging.info("wrote %s", path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="prepare one dataset")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--out", required=True, help="output dir: <out>/<split>/{annotations.json,images/}")
    parser.add_argument("--raw", default="data/raw", help="downloads and unpacked archives (real datasets)")
    args = parser.parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    sec = check_params(params, args.dataset)
    t0 = time.time()
    if args.dataset not in GENERATORS:
        prepare_real(args.dataset, sec, args.raw, args.out)
        logging.info("prepare@%s done in %.1f s", args.dataset, time.time() - t0)
        return
    generate(args.dataset, sec, C.seed(params), args.out)
    logging.info("prepare@%s done in %.1f s", args.dataset, time.time() - t0)


def generate(name: str, sec: dict, seed: int, out: str) -> None:
    """Synthesize the train and val splits of an embedded dataset into ``out/<split>``."""
    _, write_split = GENERATORS[name]
    cfg = generator_config(name, sec)
    for split, n in (("train", sec["n_train"]), ("val", sec["n_val"])):
        # every core renders (0): an image draws only from its own index's generator
        path = write_split(f"{out}/{split}", cfg, seed, split, n, workers=0)
        logging.info("wrote %d %s images -> %s", n, split, path)


if __name__ == "__main__":
    C.run(main)
