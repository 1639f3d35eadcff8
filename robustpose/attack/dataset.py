"""The people an attack stage works on: a validation subset, its crops, the target poses.

I/O lives here (images are read from the prepared split); everything below it takes arrays.
"""
from __future__ import annotations

import copy
import logging
import os
from pathlib import Path

import numpy as np

from robustpose.attack import crafting as K
from robustpose.attack.objective import PoseObjective
from robustpose.attack.targets import TargetPoses, choose_targets, correct_radius
from robustpose.data.coco_format import instances_by_image
from robustpose.data.images import read_image
from robustpose.data.keypoints import sigmas_for
from robustpose.evaluate.scoring import Scorer

log = logging.getLogger(__name__)


def _with_images(annotations: dict, keep: set) -> dict:
    """A copy of ``annotations`` holding only the images whose id is in ``keep`` and their people."""
    out = copy.deepcopy(annotations)
    out["images"] = [im for im in out["images"] if im["id"] in keep]
    out["annotations"] = [a for a in out["annotations"] if a["image_id"] in keep]
    return out


def first_images(annotations: dict, max_images: int) -> dict:
    """The annotations of the first ``max_images`` images by id (all when 0), every person of
    each kept image included so that AP counts no unattacked person as missed."""
    if max_images <= 0 or max_images >= len(annotations["images"]):
        return annotations
    return _with_images(annotations, set(sorted(im["id"] for im in annotations["images"])[:max_images]))


def other_images(annotations: dict, exclude: dict) -> dict:
    """``annotations`` without the images of ``exclude``: where no train split is downloaded
    (paper scale), a universal perturbation is fitted on the validation images that are not
    attacked, so it is never scored on an image it was fitted to."""
    dropped = {im["id"] for im in exclude["images"]}
    return _with_images(annotations, {im["id"] for im in annotations["images"]} - dropped)


def load_crops(data_dir: str | os.PathLike, annotations: dict, input_hw: tuple[int, int],
               max_crops: int = 0, on_bad_image: str = "error", skipped: list[str] | None = None) -> K.CropSet:
    """The crop set of a prepared split (``<data_dir>/images/``), images in id order; at most
    ``max_crops`` people (0 = all), taken image by image.

    An unreadable image stops it (``on_bad_image="error"``: one error naming every such image,
    with their count) or is left out (``"skip"``, as ``corrupt.on_bad_image``): its people get no
    crop, so the attack scores count them as missed in every condition, clean included, as the
    evaluate stage does. The file names left out are appended to ``skipped`` when given.
    """
    if on_bad_image not in ("error", "skip"):
        raise ValueError(f"on_bad_image must be 'error' or 'skip', got {on_bad_image!r}")
    by_image = instances_by_image(annotations)
    images, instances, bad, count = [], [], [], 0
    for im in sorted(annotations["images"], key=lambda im: im["id"]):
        people = by_image[im["id"]]
        if not people:
            continue
        if max_crops and count + len(people) > max_crops:
            people = people[:max_crops - count]
        path = Path(data_dir) / "images" / im["file_name"]
        try:
            image = read_image(path)
        except ValueError as err:   # "<path>: <reason>", the reason often naming the path again
            bad.append((im["file_name"], str(err).split(": ", 1)[-1].replace(f" '{path}'", "")))
            continue
        images.append(image)
        instances.append(people)
        count += len(people)
        if max_crops and count >= max_crops:
            break
    listed = "; ".join(f"{name} ({reason})" for name, reason in bad)
    if bad and on_bad_image == "error":
        raise ValueError(f"{Path(data_dir) / 'images'}: {len(bad)} unreadable image(s): {listed} "
                         "(corrupt.on_bad_image: skip leaves them out and counts their people as missed)")
    if bad:
        log.warning("%s: left out %d unreadable image(s), their people count as missed: %s",
                    Path(data_dir) / "images", len(bad), listed)
        if skipped is not None:
            skipped.extend(name for name, _ in bad)
    return K.crop_set(images, instances, input_hw)


def targets_for(objective: PoseObjective, crops: K.CropSet, annotations: dict, scorer: Scorer,
                seed: int, dataset: str, batch_size: int, flip_test: bool) -> TargetPoses:
    """Target poses of every crop against the model's clean predictions (``targets`` module)."""
    pts, _ = K.predict(objective, crops.grey(), batch_size, flip_test)
    by_id = {int(a["id"]): a for a in annotations["annotations"]}
    sigmas = None if scorer.primary == "PCKh" else sigmas_for(dataset)
    radii = np.stack([correct_radius(by_id[int(a)], sigmas) for a in crops.ann_ids])
    return choose_targets(crops.keypoints, crops.visible, crops.inverses, K.to_image(crops, pts), radii,
                          crops.ann_ids, seed, dataset, objective.input_hw)


__all__ = ["first_images", "load_crops", "other_images", "targets_for"]
