"""Corrupting a whole dataset: deterministic, parallel, streaming, resumable.

Each (image, severity) is an independent task whose generator is derived from
``(seed, dataset, file_name, corruption, severity)``, so the output does not depend on the
number of workers or the order of completion. Finished files are written atomically and
skipped on a re-run, so an interrupted stage resumes where it stopped.
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tqdm import tqdm

from robustpose import corrupt
from robustpose._io import pixel_digest, write_bytes_atomic, write_json_atomic
from robustpose.data.coco_format import image_context, instances_by_image, load_annotations
from robustpose.data.images import decode_image, encode_image, read_image
from robustpose.seeding import rng_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorruptJob:
    """Everything a worker needs for one corruption of one dataset (picklable)."""
    src_images: str
    out_dir: str
    dataset: str
    corruption: str
    seed: int
    fmt: str = "png"
    jpeg_quality: int = 75


def output_name(file_name: str, fmt: str) -> str:
    """Corrupted files keep their name; the suffix follows the encoding."""
    stem = os.path.splitext(file_name)[0]
    return f"{stem}.{'jpg' if fmt == 'jpeg' else 'png'}"


def _one(job: CorruptJob, file_name: str, severity: int, context: dict) -> tuple[str, str]:
    """Corrupt one image at one severity; returns (manifest key, pixel digest)."""
    out_path = Path(job.out_dir) / str(severity) / output_name(file_name, job.fmt)
    key = f"{severity}/{out_path.name}"
    if out_path.exists():  # atomic writes: an existing file is complete
        return key, pixel_digest(read_image(out_path))
    image = read_image(Path(job.src_images) / file_name)
    rng = rng_for(job.seed, job.dataset, file_name, job.corruption, severity)
    out = corrupt.apply(image, job.corruption, severity, rng, context)
    data = encode_image(out, job.fmt, job.jpeg_quality)
    if job.fmt != "png":  # the digest is of what a reader will decode, not of the array we had
        out = decode_image(data)
    write_bytes_atomic(out_path, data)
    return key, pixel_digest(out)


def _worker(args: tuple) -> tuple[str, str]:
    return _one(*args)


def _tasks(job: CorruptJob, annotations: dict, severities: list[int]) -> Iterator[tuple]:
    by_image = instances_by_image(annotations, min_keypoints=0)
    for im in sorted(annotations["images"], key=lambda im: im["file_name"]):
        ctx = image_context(by_image[im["id"]])
        for sev in severities:
            yield (job, im["file_name"], sev, ctx)


def corrupt_dataset(job: CorruptJob, annotation_file: str | os.PathLike, severities: list[int],
                    workers: int = 1) -> dict[str, str]:
    """Write ``out_dir/<severity>/<file>`` for every image and severity, then ``manifest.json``.

    Returns:
        The manifest ``{"<severity>/<file name>": sha256 of decoded pixels}``.
    """
    corrupt.check_names([job.corruption])
    annotations = load_annotations(annotation_file)
    total = len(annotations["images"]) * len(severities)
    manifest: dict[str, str] = {}
    desc = f"{job.dataset}/{job.corruption}"
    tasks = _tasks(job, annotations, severities)
    if workers <= 1:
        for key, digest in tqdm(map(_worker, tasks), total=total, desc=desc, mininterval=2):
            manifest[key] = digest
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for key, digest in tqdm(pool.map(_worker, tasks, chunksize=8), total=total, desc=desc,
                                    mininterval=2):
                manifest[key] = digest
    write_json_atomic(Path(job.out_dir) / "manifest.json", dict(sorted(manifest.items())))
    log.info("corrupted %d images of %s with %s -> %s", total, job.dataset, job.corruption, job.out_dir)
    return manifest
