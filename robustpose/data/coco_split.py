"""The files of a generated split: a COCO keypoint dict from rendered items, and the PNGs and
``annotations.json`` on disk.

Shared by the embedded generators so that every synthetic dataset lands in the same data
contract with the same rounding, id scheme and atomic writes (one image at a time, then the
annotations last, so their presence means the split is complete). It reproduces
``robustpose.data.synthetic.split``'s bytes exactly for the same content (tests check it), so the
people generator could move onto it without changing a data hash.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np
from tqdm import tqdm

from robustpose._io import write_json_atomic
from robustpose.data.images import write_image
from robustpose.workers import map_jobs, opencv_single_threaded, resolve_workers

T = TypeVar("T")

Item = tuple[str, int, int, list[dict]]          # file name, height, width, annotated objects
Sample = tuple[str, np.ndarray, list[dict]]      # file name, image, annotated objects


def check_split_args(split: str, n_images: int) -> None:
    """The arguments every ``synthesize_split`` takes.

    Raises:
        ValueError: negative ``n_images`` or an empty ``split``.
    """
    if isinstance(n_images, bool) or not isinstance(n_images, int) or n_images < 0:
        raise ValueError(f"n_images must be a non-negative int, got {n_images!r}")
    if not isinstance(split, str) or not split:
        raise ValueError(f"split must be a non-empty string such as 'train', got {split!r}")


def map_indices(render: Callable[[int], T], n_images: int, workers: int = 1) -> Iterator[T]:
    """``render(0), ..., render(n_images - 1)`` in index order, on ``workers`` forked processes
    (0 = one per core; 1 = in this process).

    Why this is safe: every generated image draws only from its own index's generator, so the
    images do not depend on which process renders them or in what order (tests compare the bytes
    of 1 and 2 workers). ``render`` must be picklable (a module-level function or a partial of one).
    """
    workers = resolve_workers(workers)
    if workers <= 1:
        yield from map(render, range(n_images))
        return
    with opencv_single_threaded():
        yield from map_jobs(render, range(n_images), workers, spawn=False)


def coco_keypoint_dict(items: Iterable[Item], num_keypoints: int, categories: Sequence[dict],
                       info: dict, default_category_id: int = 1) -> dict:
    """A COCO keypoint dict from ``(file_name, height, width, objects)`` items.

    Image ids are 1..N in order, annotation ids 1..M; keypoints are a flat list of
    ``3 * num_keypoints`` numbers (x, y rounded to 2 decimals, v an int); bbox and area are
    rounded to 2 decimals. An object's ``category_id`` is its own when it has one, else
    ``default_category_id``.

    Raises:
        ValueError: an object whose keypoints are not ``(num_keypoints, 3)``; names the file.
    """
    images, annotations = [], []
    for image_id, (file_name, height, width, objects) in enumerate(items, start=1):
        images.append({"id": image_id, "file_name": file_name, "height": int(height),
                       "width": int(width)})
        for obj in objects:
            kps = np.asarray(obj["keypoints"], dtype=np.float64)
            if kps.shape != (num_keypoints, 3):
                raise ValueError(f"{file_name}: keypoints of shape {kps.shape}; expected "
                                 f"({num_keypoints}, 3)")
            flat: list[float | int] = []
            for x, y, v in kps:
                flat += [round(float(x), 2), round(float(y), 2), int(v)]
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id,
                "category_id": int(obj.get("category_id", default_category_id)),
                "keypoints": flat, "num_keypoints": int((kps[:, 2] > 0).sum()),
                "bbox": [round(float(b), 2) for b in obj["bbox"]],
                "area": round(float(obj["area"]), 2), "iscrowd": 0,
            })
    return {"info": info, "images": images, "annotations": annotations,
            "categories": [dict(c) for c in categories]}


def write_samples(out_dir: str | Path, samples: Iterator[Sample], n_images: int, desc: str,
                  annotate: Callable[[list[Item]], dict]) -> Path:
    """Write each sample's PNG to ``out_dir/images/<file_name>`` as it comes, then
    ``out_dir/annotations.json`` = ``annotate(items)``, each atomically; annotations last.

    Args:
        samples: ``(file_name, image, objects)`` from a generator's ``synthesize_split``.
        n_images: how many ``samples`` yields (the progress bar's total).
        desc: the progress bar's label.
        annotate: builds the COCO dict from the ``(file_name, height, width, objects)`` items.

    Returns:
        The path of ``annotations.json``.
    """
    out_dir = Path(out_dir)
    items: list[Item] = []
    for file_name, image, objects in tqdm(samples, total=n_images, desc=desc, unit="img"):
        write_image(out_dir / "images" / file_name, image)
        items.append((file_name, image.shape[0], image.shape[1], objects))
    ann_path = out_dir / "annotations.json"
    # Compact like COCO's own files: indented, one number per line, it is ~5x larger.
    write_json_atomic(ann_path, annotate(items), indent=None)
    return ann_path
