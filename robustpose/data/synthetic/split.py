"""A split of the dataset: per-index seeding, COCO annotations, and the PNG and JSON files on disk.

Every random draw for image ``index`` comes from ``rng_for(seed, "synthetic", split, index)``:
the same seed gives byte-identical PNG and JSON files on a given machine.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from tqdm import tqdm

from robustpose._io import write_json_atomic
from robustpose.data.images import write_image
from robustpose.data.keypoints import COCO_KEYPOINTS, coco_category
from robustpose.data.synthetic.scene import SyntheticConfig, render_scene
from robustpose.seeding import rng_for


def synthesize_split(cfg: SyntheticConfig, seed: int, split: str,
                     n_images: int) -> Iterator[tuple[str, np.ndarray, list[dict]]]:
    """Yield ``(file_name, image, people)`` for index 0..n_images-1.

    Image ``index`` draws only from ``rng_for(seed, "synthetic", split, index)``, so any image
    can be regenerated alone and splits with different names never share images.
    ``file_name`` is ``f"{split}_{index:06d}.png"``.

    Raises:
        ValueError: negative ``n_images`` or an empty ``split``.
    """
    if isinstance(n_images, bool) or not isinstance(n_images, int) or n_images < 0:
        raise ValueError(f"n_images must be a non-negative int, got {n_images!r}")
    if not isinstance(split, str) or not split:
        raise ValueError(f"split must be a non-empty string such as 'train', got {split!r}")
    for index in range(n_images):
        image, people = render_scene(rng_for(seed, "synthetic", split, index), cfg)
        yield f"{split}_{index:06d}.png", image, people


def coco_annotations(cfg: SyntheticConfig,
                     items: Iterable[tuple[str, int, int, list[dict]]]) -> dict:
    """Build a COCO keypoint dict from ``(file_name, height, width, people)`` items.

    Image ids are 1..N in order, annotation ids 1..M; keypoints are a flat list of 51 numbers
    (x, y rounded to 2 decimals, v an int). The resolved config is stored under ``info``.

    Returns:
        ``{"info", "images", "annotations", "categories": [coco_category()]}``.
    """
    if not isinstance(cfg, SyntheticConfig):
        raise TypeError(f"cfg must be a SyntheticConfig, got {type(cfg).__name__}")
    images, annotations = [], []
    for image_id, (file_name, height, width, people) in enumerate(items, start=1):
        images.append({"id": image_id, "file_name": file_name, "height": int(height),
                       "width": int(width)})
        for person in people:
            kps = np.asarray(person["keypoints"], dtype=np.float64)
            if kps.shape != (len(COCO_KEYPOINTS), 3):
                raise ValueError(f"{file_name}: keypoints of shape {kps.shape}; expected (17, 3)")
            flat: list[float | int] = []
            for x, y, v in kps:
                flat += [round(float(x), 2), round(float(y), 2), int(v)]
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": 1,
                "keypoints": flat, "num_keypoints": int((kps[:, 2] > 0).sum()),
                "bbox": [round(float(b), 2) for b in person["bbox"]],
                "area": round(float(person["area"]), 2), "iscrowd": 0,
            })
    return {"info": {"description": "robustpose synthetic people", "config": asdict(cfg)},
            "images": images, "annotations": annotations, "categories": [coco_category()]}


def write_split(out_dir: str | Path, cfg: SyntheticConfig, seed: int, split: str,
                n_images: int) -> Path:
    """Generate a split and write ``out_dir/images/<file_name>`` (PNG) and
    ``out_dir/annotations.json``, each atomically; the annotations are written last.

    Returns:
        The path of ``annotations.json``.
    """
    out_dir = Path(out_dir)
    items = []
    for file_name, image, people in tqdm(synthesize_split(cfg, seed, split, n_images),
                                         total=n_images, desc=f"synthetic {split}", unit="img"):
        write_image(out_dir / "images" / file_name, image)
        items.append((file_name, image.shape[0], image.shape[1], people))
    ann_path = out_dir / "annotations.json"
    # Compact like COCO's own files: indented, one number per line, it is ~5x larger.
    write_json_atomic(ann_path, coco_annotations(cfg, items), indent=None)
    return ann_path
