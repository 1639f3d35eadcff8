"""A split of the animals dataset: per-index seeding, COCO annotations in AP-10K's layout, and
the PNG and JSON files on disk (through the generators' shared ``robustpose.data.coco_split``).

Every random draw for image ``index`` comes from ``rng_for(seed, "synthetic_animals", split,
index)``: the same seed gives byte-identical PNG and JSON files on any x86-64 machine.
"""
from __future__ import annotations

from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from robustpose.data.coco_split import Item, check_split_args, coco_keypoint_dict, map_indices, write_samples
from robustpose.data.keypoints import AP10K_KEYPOINTS
from robustpose.data.synthetic_animals.scene import AnimalConfig, render_scene
from robustpose.data.synthetic_animals.species import species_categories
from robustpose.seeding import rng_for

DATASET = "synthetic_animals"


def synthesize_split(cfg: AnimalConfig, seed: int, split: str, n_images: int,
                     workers: int = 1) -> Iterator[tuple[str, np.ndarray, list[dict]]]:
    """Yield ``(file_name, image, animals)`` for index 0..n_images-1.

    Image ``index`` draws only from ``rng_for(seed, "synthetic_animals", split, index)``, so any
    image can be regenerated alone and splits with different names never share images.
    ``file_name`` is ``f"{split}_{index:06d}.png"``.

    ``workers``: processes that render (0 = one per core); the images do not depend on it.

    Raises:
        ValueError: negative ``n_images`` or an empty ``split``.
    """
    check_split_args(split, n_images)
    yield from map_indices(partial(_render, cfg, seed, split), n_images, workers)


def _render(cfg: AnimalConfig, seed: int, split: str, index: int) -> tuple[str, np.ndarray, list[dict]]:
    image, animals = render_scene(rng_for(seed, DATASET, split, index), cfg)
    return f"{split}_{index:06d}.png", image, animals


def coco_annotations(cfg: AnimalConfig, items: Iterable[Item]) -> dict:
    """Build a COCO keypoint dict from ``(file_name, height, width, animals)`` items.

    Image ids are 1..N in order, annotation ids 1..M; keypoints are a flat list of 51 numbers
    (x, y rounded to 2 decimals, v an int) in AP-10K's order, ``category_id`` the species'.
    ``categories`` lists every species preset as AP-10K does (id, name, family as
    ``supercategory``, AP-10K's keypoint names and skeleton), so there are always several and
    scoring pools them (``useCats=0``) as it does for AP-10K. The resolved config is stored
    under ``info``.
    """
    if not isinstance(cfg, AnimalConfig):
        raise TypeError(f"cfg must be an AnimalConfig, got {type(cfg).__name__}")
    return coco_keypoint_dict(items, len(AP10K_KEYPOINTS), species_categories(),
                              {"description": "robustpose synthetic animals",
                               "config": asdict(cfg)})


def write_split(out_dir: str | Path, cfg: AnimalConfig, seed: int, split: str,
                n_images: int, workers: int = 1) -> Path:
    """Generate a split and write ``out_dir/images/<file_name>`` (PNG) and
    ``out_dir/annotations.json``, each atomically; the annotations are written last.

    Returns:
        The path of ``annotations.json``.
    """
    return write_samples(out_dir, synthesize_split(cfg, seed, split, n_images, workers), n_images,
                         f"synthetic_animals {split}", lambda items: coco_annotations(cfg, items))
