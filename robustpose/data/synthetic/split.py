"""A split of the dataset: per-index seeding, COCO annotations, and the PNG and JSON files on disk
(through the generators' shared ``robustpose.data.coco_split``).

Every random draw for image ``index`` comes from ``rng_for(seed, "synthetic", split, index)``:
the same seed gives byte-identical PNG and JSON files on a given machine.
"""
from __future__ import annotations

from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from robustpose.data.coco_split import Item, check_split_args, coco_keypoint_dict, map_indices, write_samples
from robustpose.data.keypoints import COCO_KEYPOINTS, coco_category
from robustpose.data.synthetic.scene import SyntheticConfig, render_scene
from robustpose.seeding import rng_for


def synthesize_split(cfg: SyntheticConfig, seed: int, split: str, n_images: int,
                     workers: int = 1) -> Iterator[tuple[str, np.ndarray, list[dict]]]:
    """Yield ``(file_name, image, people)`` for index 0..n_images-1.

    Image ``index`` draws only from ``rng_for(seed, "synthetic", split, index)``, so any image
    can be regenerated alone and splits with different names never share images.
    ``file_name`` is ``f"{split}_{index:06d}.png"``.

    ``workers``: processes that render (0 = one per core); the images do not depend on it.

    Raises:
        ValueError: negative ``n_images`` or an empty ``split``.
    """
    check_split_args(split, n_images)
    yield from map_indices(partial(_render, cfg, seed, split), n_images, workers)


def _render(cfg: SyntheticConfig, seed: int, split: str, index: int) -> tuple[str, np.ndarray, list[dict]]:
    image, people = render_scene(rng_for(seed, "synthetic", split, index), cfg)
    return f"{split}_{index:06d}.png", image, people


def coco_annotations(cfg: SyntheticConfig, items: Iterable[Item]) -> dict:
    """Build a COCO keypoint dict from ``(file_name, height, width, people)`` items.

    Image ids are 1..N in order, annotation ids 1..M; keypoints are a flat list of 51 numbers
    (x, y rounded to 2 decimals, v an int). The resolved config is stored under ``info``.

    Returns:
        ``{"info", "images", "annotations", "categories": [coco_category()]}``.
    """
    if not isinstance(cfg, SyntheticConfig):
        raise TypeError(f"cfg must be a SyntheticConfig, got {type(cfg).__name__}")
    return coco_keypoint_dict(items, len(COCO_KEYPOINTS), [coco_category()],
                              {"description": "robustpose synthetic people", "config": asdict(cfg)})


def write_split(out_dir: str | Path, cfg: SyntheticConfig, seed: int, split: str,
                n_images: int, workers: int = 1) -> Path:
    """Generate a split and write ``out_dir/images/<file_name>`` (PNG) and
    ``out_dir/annotations.json``, each atomically; the annotations are written last.

    Returns:
        The path of ``annotations.json``.
    """
    return write_samples(out_dir, synthesize_split(cfg, seed, split, n_images, workers), n_images,
                         f"synthetic {split}", lambda items: coco_annotations(cfg, items))
