"""Corrupting a whole dataset: deterministic, parallel, streaming, resumable.

Each (image, severity) is an independent task whose generator is derived from
``(seed, dataset, file_name, corruption, severity)``, so the output does not depend on the
number of workers or the order of completion. Finished files are written atomically and
skipped on a re-run, so an interrupted stage resumes where it stopped; a ``job.json`` stamp
(the job's settings and the digest of the source files) makes sure a re-run only trusts files
written by the *same* job, and clears the directory otherwise. Tasks are submitted in a bounded
window, so memory does not grow with the dataset.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections import deque
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, ClassVar, Iterable, Iterator

import numpy as np
from tqdm import tqdm

from robustpose import corrupt
from robustpose.corrupt import imagenet_c
from robustpose._io import file_digest, pixel_digest, read_json, write_bytes_atomic, write_json_atomic
from robustpose.data.coco_format import image_context, instances_by_image, load_annotations
from robustpose.data.images import decode_image, encode_image, read_image
from robustpose.seeding import legacy_seed, rng_for
from robustpose.workers import opencv_single_threaded, resolve_workers, worker_pool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorruptJob:
    """Everything a worker needs for one corruption of one dataset (picklable).

    The encoding fields come from params.yaml's ``corrupt:`` section (``format``,
    ``jpeg_quality``, ``on_bad_image``: the source); their defaults are its values, and
    tests/test_param_defaults.py fails when they drift apart.
    """
    src_images: str
    out_dir: str
    dataset: str
    corruption: str
    seed: int
    fmt: str = "png"
    jpeg_quality: int = 75
    on_bad_image: str = "error"   # error: stop with a one-line error | skip: record it in the manifest
    # How ``_one`` corrupts: "robustpose" = ``corrupt.apply`` with the per-image generator. A class
    # constant, not a field, so the stage's job stamps (and params defaults) stay as they were.
    recipe: ClassVar[str] = "robustpose"

    def __post_init__(self) -> None:
        if self.on_bad_image not in ("error", "skip"):
            raise ValueError(f"on_bad_image must be 'error' or 'skip', got {self.on_bad_image!r}")


def reference_names() -> list[str]:
    """The corruptions with a reference recipe (``corrupt.apply_reference``): ImageNet-C's 19."""
    return [*corrupt.names("imagenet_c"), *corrupt.names("imagenet_c_extra")]


@dataclass(frozen=True)
class ReferenceJob(CorruptJob):
    """A ``CorruptJob`` with the original COCO-C recipe (``corrupt.apply_reference``: numpy's
    global state seeded with 1 before every image, then ``imagecorruptions``) instead of
    ``corrupt.apply``. Its output does not depend on ``seed``, except for impulse noise and glass
    blur, which that recipe leaves unseeded (fresh OS entropy each call): they get the library's
    own seed argument, drawn from the per-image generator, so every output is reproducible."""
    recipe: ClassVar[str] = "reference"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.corruption not in reference_names():
            raise ValueError(f"{self.corruption!r} has no reference recipe; only the ImageNet-C "
                             f"corruptions do: {', '.join(reference_names())}")


def output_name(file_name: str, fmt: str) -> str:
    """Corrupted files keep their name; the suffix follows the encoding."""
    stem = os.path.splitext(file_name)[0]
    return f"{stem}.{'jpg' if fmt == 'jpeg' else 'png'}"


# imagecorruptions seeds these two from fresh OS entropy unless it is given a seed
_REFERENCE_UNSEEDED = ("impulse_noise", "glass_blur")


def _apply_reference(job: CorruptJob, image: np.ndarray, file_name: str, severity: int,
                     rng: np.random.Generator) -> np.ndarray:
    """``ReferenceJob``'s recipe for one image (numpy's global state is restored afterwards)."""
    height, width = image.shape[:2]
    if min(height, width) < 32:
        raise ValueError(f"{file_name}: {width}x{height} pixels; the reference recipe "
                         f"(imagecorruptions) needs at least 32x32")
    state = np.random.get_state()
    try:
        if job.corruption in _REFERENCE_UNSEEDED:
            return imagenet_c.library(image, job.corruption, severity, legacy_seed(rng))
        return corrupt.apply_reference(image, job.corruption, severity)
    finally:
        np.random.set_state(state)


# a manifest value of an unreadable source under on_bad_image="error" (never written to disk)
UNREADABLE = "unreadable: "


def _one(job: CorruptJob, file_name: str, severity: int, context: dict) -> tuple[str, str]:
    """Corrupt one image at one severity; returns (manifest key, pixel digest)."""
    relative = output_name(file_name, job.fmt)   # keeps a sub-folder of the file name
    out_path = Path(job.out_dir) / str(severity) / relative
    key = f"{severity}/{Path(relative).as_posix()}"
    if out_path.exists():  # atomic writes: an existing file is complete, unless damaged since
        try:
            return key, pixel_digest(read_image(out_path))
        except ValueError as err:
            log.warning("%s; an output of an earlier run, damaged since: writing it again", err)
            out_path.unlink()
    try:
        image = read_image(Path(job.src_images) / file_name)
    except ValueError as err:
        # under "error" the other images are still done (and kept for the rerun), so that one
        # message can name every unreadable source at once
        if job.on_bad_image == "error":
            return key, f"{UNREADABLE}{err}"
        log.warning("skipped %s", err)
        return key, f"skipped: {err}"
    rng = rng_for(job.seed, job.dataset, file_name, job.corruption, severity)
    if job.recipe == "reference":
        out = _apply_reference(job, image, file_name, severity, rng)
    else:
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


def bounded_map(pool: Executor, fn: Callable, items: Iterable, window: int) -> Iterator:
    """``pool.map`` that keeps at most ``window`` tasks in flight (``Executor.map`` submits them
    all at once), yielding results in input order."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def annotations_digest(source: str | os.PathLike | dict) -> str:
    """sha256 of an annotation file's bytes, or of an in-memory annotation dict's canonical JSON."""
    if isinstance(source, dict):
        canonical = json.dumps(source, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode()).hexdigest()
    return file_digest(source)


def source_digest(annotation_source: str | os.PathLike | dict, images_dir: str | os.PathLike,
                  annotations: dict) -> str:
    """sha256 over the annotations (file or dict) and every source image file (names and bytes)."""
    h = hashlib.sha256(annotations_digest(annotation_source).encode())
    for name in sorted(im["file_name"] for im in annotations["images"]):
        path = Path(images_dir) / name
        h.update(f"{name}:{file_digest(path) if path.exists() else 'missing'}".encode())
    return h.hexdigest()


def code_digest() -> str:
    """sha256 of the corruption code (this package and the portable maths it uses): a stage that
    DVC reruns because that code changed must not resume from files the old code wrote."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted([*here.glob("*.py"), here.parent / "portable.py"]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _claim_output_dir(job: CorruptJob, stamp: dict) -> None:
    """Keep finished files only if they were made by this very job; otherwise start afresh."""
    out = Path(job.out_dir)
    stamp_file = out / "job.json"
    if out.exists() and (not stamp_file.exists() or read_json(stamp_file) != stamp):
        if any(out.iterdir()):
            log.info("%s holds outputs of other settings or sources; clearing it", out)
        shutil.rmtree(out)
    if not stamp_file.exists():
        write_json_atomic(stamp_file, stamp)
    for stale in out.glob("*/**/.*.tmp"):   # half-written files of a killed run (any sub-folder)
        stale.unlink()


def remove_stale_corruptions(out_root: str | os.PathLike, keep: Iterable[str]) -> list[str]:
    """Delete the sub-folders of ``out_root`` that a corruption job wrote (they hold a
    ``job.json``) for a corruption not in ``keep``; returns their names.

    Why: a dataset's corruptions share one persisted DVC output, so a corruption dropped from
    params.yaml would otherwise stay in it and in its hash. Folders without a stamp are not ours
    and are left alone."""
    root = Path(out_root)
    if not root.is_dir():
        return []
    stale = sorted(d.name for d in root.iterdir()
                   if d.is_dir() and d.name not in set(keep) and (d / "job.json").exists())
    for name in stale:
        shutil.rmtree(root / name)
    return stale


def corrupt_dataset(job: CorruptJob, annotations: str | os.PathLike | dict, severities: list[int],
                    workers: int = 1) -> dict[str, str]:
    """Write ``out_dir/<severity>/<file>`` for every image and severity, then ``manifest.json``.

    Args:
        annotations: a COCO keypoint file (validated by ``load_annotations``), or such a dict
            already in memory (used as is; the job stamp then holds the digest of its canonical JSON).
        workers: processes (0 = one per CPU core); the output does not depend on it.

    Returns:
        The manifest ``{"<severity>/<file name>": sha256 of decoded pixels}``; an unreadable
        source image skipped under ``on_bad_image="skip"`` has ``"skipped: <reason>"`` instead.
    """
    corrupt.check_names([job.corruption])
    data = annotations if isinstance(annotations, dict) else load_annotations(annotations)
    settings = {k: v for k, v in asdict(job).items() if k not in ("src_images", "out_dir")}
    if job.recipe != CorruptJob.recipe:   # the default recipe stays out: existing stamps still match
        settings["recipe"] = job.recipe
    stamp = {"job": settings, "severities": sorted(severities),
             "source": source_digest(annotations, job.src_images, data), "code": code_digest()}
    _claim_output_dir(job, stamp)
    workers = resolve_workers(workers)
    total = len(data["images"]) * len(severities)
    manifest: dict[str, str] = {}
    desc = f"{job.dataset}/{job.corruption}"
    tasks = _tasks(job, data, severities)
    with ExitStack() as stack:
        if workers <= 1:
            results: Iterable = map(_worker, tasks)
        else:
            stack.enter_context(opencv_single_threaded())
            pool = worker_pool(workers, spawn=False)   # workers exit if this process is killed
            stack.callback(pool.shutdown, cancel_futures=True)
            results = bounded_map(pool, _worker, tasks, window=8 * workers)
        for key, digest in tqdm(results, total=total, desc=desc, mininterval=2):
            manifest[key] = digest
    unreadable = sorted({v[len(UNREADABLE):] for v in manifest.values() if v.startswith(UNREADABLE)})
    if unreadable:   # no manifest: the stage has not finished
        raise ValueError(f"{job.src_images}: {len(unreadable)} unreadable source image(s): {'; '.join(unreadable)} "
                         "(corrupt.on_bad_image: skip records them and scores their people as missed)")
    write_json_atomic(Path(job.out_dir) / "manifest.json", dict(sorted(manifest.items())))
    skipped = sum(v.startswith("skipped") for v in manifest.values())
    log.info("corrupted %d images of %s with %s -> %s%s", total - skipped, job.dataset, job.corruption,
             job.out_dir, f" ({skipped} unreadable, skipped)" if skipped else "")
    return manifest


def corrupted_image_index(manifest: dict[str, str], severity: int) -> dict[str, str]:
    """Map original file stems to the corrupted file names of one severity (suffix may differ)."""
    out = {}
    prefix = f"{severity}/"
    for key in manifest:
        if key.startswith(prefix):
            name = key[len(prefix):]
            out[Path(name).stem] = name
    return out


def example_images(val_dir: str | os.PathLike, corrupted_dir: str | os.PathLike, corruptions: list[str],
                   severities: list[int]) -> tuple[str, np.ndarray, dict[str, list[np.ndarray]]]:
    """The first readable image (by file name) of a prepared split, clean and as the corrupt stage
    wrote it for every corruption and severity: (file name, clean image, {corruption: [per severity]})."""
    annotations = load_annotations(Path(val_dir) / "annotations.json")
    manifests = {c: read_json(Path(corrupted_dir) / c / "manifest.json") for c in corruptions}
    skipped = {Path(k.split("/", 1)[1]).stem for m in manifests.values() for k, v in m.items()
               if v.startswith("skipped")}   # unreadable sources (on_bad_image: skip): not shown
    readable = sorted(im["file_name"] for im in annotations["images"] if Path(im["file_name"]).stem not in skipped)
    if not readable:
        raise ValueError(f"{Path(val_dir) / 'annotations.json'}: every image was skipped as unreadable")
    name = readable[0]
    clean = read_image(Path(val_dir) / "images" / name)
    stem = Path(name).stem
    rows: dict[str, list[np.ndarray]] = {}
    for corruption in corruptions:
        folder = Path(corrupted_dir) / corruption
        manifest = manifests[corruption]
        rows[corruption] = []
        for sev in severities:
            index = corrupted_image_index(manifest, sev)
            if stem not in index:
                raise ValueError(f"{folder / 'manifest.json'}: no severity {sev} image for {name}")
            rows[corruption].append(read_image(folder / str(sev) / index[stem]))
    return name, clean, rows
