"""Convert the extracted raw files of the real datasets into the project's data contract.

:func:`robustpose.data.download.fetch` leaves each dataset under ``<raw root>/<dataset>/`` laid out
as its archives unpack (plain files stay in ``downloads/``). The functions here turn one such
``raw_dir`` into ``<out_dir>/val/``:

- ``annotations.json``: COCO keypoint format, validated by
  :func:`robustpose.data.coco_format.load_annotations`;
- ``images/``: the referenced images, hard-linked from the raw tree (copied where a link is not
  possible, e.g. across file systems; never symlinked, so DVC caches real files);
- ``person_boxes.json``: COCO results-format detector boxes (COCO only: the HRNet AP_H 56.4 file).

Where each raw file comes from (the registry in :mod:`robustpose.data.sources`):

========  =====================================================================================
coco      ``val2017/*.jpg`` (val2017.zip), ``annotations/person_keypoints_val2017.json``
          (annotations_trainval2017.zip), ``downloads/COCO_val2017_detections_AP_H_56_person.json``
          (plain download; mmpose's ``person_detection_results/`` is accepted too)
ochuman   ``downloads/ochuman_coco_format_val_range_0.00_1.00.json`` (plain download, or
          mmpose's ``annotations/``), ``images/*.jpg`` (images.zip)
ap10k     ``ap-10k/annotations/ap10k-val-split1.json`` + ``ap-10k/data/*.jpg`` (ap-10k.zip; the
          README's renamed ``ap10k/`` and a flattened ``annotations/`` + ``data/`` work too)
mpii      ``mpii_val.json`` + ``mpii_gt_val.mat`` (mpii_annotations.tar, top level; mmpose's
          ``annotations/`` accepted), ``images/*.jpg`` (mpii_human_pose_v1.tar.gz)
========  =====================================================================================

Every function is deterministic (same raw files -> byte-identical outputs), writes each file
atomically and writes ``annotations.json`` last, so its presence means the directory is complete.
``max_images`` keeps the first N image ids in sorted order and only their annotations and
detections (a quick subset for smoke runs); without it every image of the split is kept,
including images without people, as COCO evaluation does.

A missing raw file raises :class:`FileNotFoundError` with one line naming the expected path and
the archive it comes from.
"""
from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from robustpose._io import read_json, write_json_atomic
from robustpose.data.coco_format import load_annotations
from robustpose.data.mpii import image_sizes_from_dir, load_headboxes_mat, load_mpii_json, mpii_to_coco

SPLIT = "val"
ANNOTATIONS_FILE = "annotations.json"
PERSON_BOXES_FILE = "person_boxes.json"
IMAGES_DIR = "images"

COCO_KEYPOINTS_JSON = "person_keypoints_val2017.json"
COCO_DETECTIONS_JSON = "COCO_val2017_detections_AP_H_56_person.json"
OCHUMAN_VAL_JSON = "ochuman_coco_format_val_range_0.00_1.00.json"
AP10K_VAL_JSON = "ap10k-val-split1.json"
MPII_VAL_JSON = "mpii_val.json"
MPII_GT_VAL_MAT = "mpii_gt_val.mat"

# MPII: mmpose's unpadded box around its shifted centre; robustpose.models.crop pads by 1.25.
MPII_PADDING = 1.0


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _find_file(raw_dir: Path, candidates: Sequence[str], dataset: str, archive: str) -> Path:
    """First existing ``raw_dir/<candidate>``; else a one-line FileNotFoundError naming the
    preferred path and the archive (or download) it comes from."""
    for rel in candidates:
        p = raw_dir / rel
        if p.is_file():
            return p
    also = f" (also looked for {', '.join(candidates[1:])})" if len(candidates) > 1 else ""
    raise FileNotFoundError(f"{dataset}: missing raw file {raw_dir / candidates[0]}{also}; "
                            f"it comes from {archive} (run the download step first)")


def _find_image(dirs: Sequence[Path], file_name: str, dataset: str, archive: str) -> Path:
    for d in dirs:
        p = d / file_name
        if p.is_file():
            return p
    raise FileNotFoundError(f"{dataset}: missing raw image {dirs[0] / file_name}; "
                            f"it comes from {archive} (run the download step first)")


def _check_max_images(max_images: int | None) -> None:
    if max_images is None:
        return
    if isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 1:
        raise ValueError(f"max_images must be a positive int or None, got {max_images!r}")


def _kept_image_ids(images: Iterable[dict], max_images: int | None) -> set[int]:
    ids = sorted(int(im["id"]) for im in images)
    return set(ids if max_images is None else ids[:max_images])


def _place_file(src: Path, dst: Path) -> None:
    """Make ``dst`` hold ``src``'s bytes: a hard link when possible, else a copy. Atomic: the
    link/copy is made under a temporary name and renamed over ``dst``."""
    if dst.exists() and not dst.is_symlink():
        if os.path.samefile(src, dst):
            return
        if dst.stat().st_size == src.stat().st_size and filecmp.cmp(src, dst, shallow=False):
            return
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    os.close(fd)
    os.unlink(tmp)
    try:
        try:
            os.link(src, tmp)           # follows a symlinked source: the link is to the real file
        except OSError:                 # other file system, no hard-link support, link limit
            shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def _place_images(sources: dict[str, Path], image_dir: Path) -> None:
    """Put exactly ``{file_name: source}`` into ``image_dir``; files of an earlier run that are
    no longer referenced (a different ``max_images``) are removed."""
    image_dir.mkdir(parents=True, exist_ok=True)
    for name in sorted(sources):
        _place_file(sources[name], image_dir / name)
    wanted = {str(Path(n)) for n in sources}
    for p in sorted(image_dir.rglob("*")):
        if (p.is_file() or p.is_symlink()) and str(p.relative_to(image_dir)) not in wanted:
            p.unlink()


def _filter_detections(dets: Any, path: Path, image_ids: set[int]) -> list[dict]:
    """Category-1 (person) detections of ``image_ids``, in file order (validated on the way)."""
    if not isinstance(dets, list):
        raise ValueError(f"{path}: a detection file must hold a list of results, got {type(dets).__name__}")
    out = []
    for i, d in enumerate(dets):
        if (not isinstance(d, dict) or "image_id" not in d or "score" not in d
                or not isinstance(d.get("bbox"), list) or len(d["bbox"]) != 4):
            raise ValueError(f"{path}: detection {i} is not a COCO result with image_id, bbox "
                             f"[x, y, w, h] and score: {str(d)[:120]}")
        if d.get("category_id", 1) == 1 and int(d["image_id"]) in image_ids:
            out.append(d)
    return out


def _write_split(out_dir: Path, data: dict, image_sources: dict[str, Path],
                 person_boxes: list[dict] | None) -> Path:
    """Write images, detections and (last) annotations of one split; returns the annotations path."""
    split = Path(out_dir) / SPLIT
    _place_images(image_sources, split / IMAGES_DIR)
    boxes_path = split / PERSON_BOXES_FILE
    if person_boxes is not None:
        write_json_atomic(boxes_path, person_boxes)
    elif boxes_path.exists():
        boxes_path.unlink()   # stale file of another source: evaluation must fall back to GT boxes
    ann_path = split / ANNOTATIONS_FILE
    # Validated under a temporary name first: a file that breaks the contract never lands.
    check = split / f".{ANNOTATIONS_FILE}.check.tmp"
    try:
        write_json_atomic(check, data)
        load_annotations(check)
        os.replace(check, ann_path)
    finally:
        if check.exists():
            check.unlink()
    return ann_path


def _prepare_coco_style(dataset: str, ann_path: Path, ann_archive: str, image_dirs: Sequence[Path],
                        image_archive: str, out_dir: Path, max_images: int | None,
                        det_path: Path | None = None) -> Path:
    """Shared body of the COCO-format datasets: restrict, link images, write."""
    _check_max_images(max_images)
    data = load_annotations(ann_path)  # one-line error naming the raw file if it is malformed
    keep = _kept_image_ids(data["images"], max_images)
    out = dict(data)
    out["images"] = [im for im in data["images"] if int(im["id"]) in keep]
    out["annotations"] = [a for a in data["annotations"] if int(a["image_id"]) in keep]
    sources = {im["file_name"]: _find_image(image_dirs, im["file_name"], dataset, image_archive)
               for im in out["images"]}
    boxes = None
    if det_path is not None:
        boxes = _filter_detections(read_json(det_path), det_path, keep)
    return _write_split(out_dir, out, sources, boxes)


# --------------------------------------------------------------------------------------------
# the datasets
# --------------------------------------------------------------------------------------------
def prepare_coco(raw_dir: Path, out_dir: Path, max_images: int | None = None) -> Path:
    """COCO val2017 keypoints + the HRNet person detections (AP_H 56.4) -> the data contract."""
    _check_max_images(max_images)
    raw_dir = Path(raw_dir)
    ann = _find_file(raw_dir, [f"annotations/{COCO_KEYPOINTS_JSON}"], "coco",
                     "annotations_trainval2017.zip")
    det = _find_file(raw_dir, [f"downloads/{COCO_DETECTIONS_JSON}",
                               f"person_detection_results/{COCO_DETECTIONS_JSON}",
                               COCO_DETECTIONS_JSON],
                     "coco", f"{COCO_DETECTIONS_JSON} (HRNet authors' detections, plain download)")
    return _prepare_coco_style("coco", ann, "annotations_trainval2017.zip", [raw_dir / "val2017"],
                               "val2017.zip", out_dir, max_images, det_path=det)


def prepare_ochuman(raw_dir: Path, out_dir: Path, max_images: int | None = None) -> Path:
    """OCHuman val (COCO-format json) + images -> the data contract (GT boxes only)."""
    _check_max_images(max_images)
    raw_dir = Path(raw_dir)
    ann = _find_file(raw_dir, [f"downloads/{OCHUMAN_VAL_JSON}", f"annotations/{OCHUMAN_VAL_JSON}",
                               OCHUMAN_VAL_JSON], "ochuman", f"{OCHUMAN_VAL_JSON} (plain download)")
    return _prepare_coco_style("ochuman", ann, OCHUMAN_VAL_JSON, [raw_dir / "images", raw_dir],
                               "images.zip", out_dir, max_images)


def prepare_ap10k(raw_dir: Path, out_dir: Path, max_images: int | None = None) -> Path:
    """AP-10K val split 1 -> the data contract. All animal categories (each with the same 17
    keypoints) and every annotation's species ``category_id`` are kept as published; GT boxes."""
    _check_max_images(max_images)
    raw_dir = Path(raw_dir)
    tops = ["ap-10k", "ap10k", "."]
    ann = _find_file(raw_dir, [os.path.normpath(f"{t}/annotations/{AP10K_VAL_JSON}") for t in tops],
                     "ap10k", "ap-10k.zip")
    top = ann.parent.parent  # the images sit beside the annotations folder
    return _prepare_coco_style("ap10k", ann, "ap-10k.zip", [top / "data"], "ap-10k.zip",
                               out_dir, max_images)


def prepare_mpii(raw_dir: Path, out_dir: Path, max_images: int | None = None) -> Path:
    """MPII val (mmpose's mpii_val.json + mpii_gt_val.mat head boxes) -> COCO keypoint format.

    Boxes use ``padding=1.0, mmpose_center=True`` (mmpose's own box; our crop pads by 1.25);
    each annotation carries ``head_box`` for PCKh. Image ids are 1.. over the sorted file names
    and annotation ids ``entry index + 1`` also under ``max_images``, so a subset lines up with
    the full conversion.
    """
    _check_max_images(max_images)
    raw_dir = Path(raw_dir)
    archive = "mpii_annotations.tar"
    js = _find_file(raw_dir, [MPII_VAL_JSON, f"annotations/{MPII_VAL_JSON}"], "mpii", archive)
    mat = _find_file(raw_dir, [MPII_GT_VAL_MAT, f"annotations/{MPII_GT_VAL_MAT}"], "mpii", archive)
    entries = load_mpii_json(js)
    headboxes = load_headboxes_mat(mat)
    if headboxes.shape[0] != len(entries):
        raise ValueError(f"{mat}: {headboxes.shape[0]} head boxes for the {len(entries)} entries "
                         f"of {js}; both must come from the same {archive}")
    names = sorted({e["image"] for e in entries})
    kept_names = set(names if max_images is None else names[:max_images])
    idx = [i for i, e in enumerate(entries) if e["image"] in kept_names]
    image_dir = raw_dir / "images"
    sources = {n: _find_image([image_dir], n, "mpii", "mpii_human_pose_v1.tar.gz")
               for n in sorted(kept_names)}
    sizes = image_sizes_from_dir(image_dir, sorted(kept_names))
    data = mpii_to_coco([entries[i] for i in idx], sizes, headboxes[idx],
                        padding=MPII_PADDING, mmpose_center=True)
    # The kept names are the first ones in sorted order, so image ids already match the full
    # conversion; annotation ids and mpii_index go back to the full file's entry indices.
    for ann, i in zip(data["annotations"], idx):
        ann["id"], ann["mpii_index"] = i + 1, i
    return _write_split(out_dir, data, sources, None)


PREPARERS: dict[str, Callable[..., Path]] = {
    "coco": prepare_coco,
    "ochuman": prepare_ochuman,
    "ap10k": prepare_ap10k,
    "mpii": prepare_mpii,
}


def prepare_dataset(name: str, raw_dir: str | os.PathLike, out_dir: str | os.PathLike,
                    max_images: int | None = None) -> Path:
    """Run the preparer registered for ``name``; returns ``out_dir/val/annotations.json``.

    Raises:
        ValueError: unknown name (the message lists the valid ones) or a bad ``max_images``.
        FileNotFoundError: a raw file is missing (the message names it and its archive).
    """
    try:
        fn = PREPARERS[name]
    except KeyError:
        raise ValueError(f"no real-data preparer for {name!r}; valid: {', '.join(sorted(PREPARERS))}") from None
    _check_max_images(max_images)
    return fn(Path(raw_dir), Path(out_dir), max_images)


__all__ = ["PREPARERS", "prepare_dataset", "prepare_coco", "prepare_ochuman", "prepare_ap10k",
           "prepare_mpii"]
