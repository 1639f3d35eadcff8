"""Training sets from COCO keypoint annotations: the prepared split on disk, or one in memory.

The train and advmix stages read a prepared split (``load_trainset``); tests and benchmarks
build theirs in memory (``robustpose.train.synthetic_trainset``). Both go through
``trainset_from_annotations``, so every caller keeps the same instances (non-crowd, at least
three labelled keypoints) in the same order.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from robustpose.data.coco_format import instances_by_image, load_annotations
from robustpose.data.images import read_image
from robustpose.train.topdown import TrainSet, build_trainset


def trainset_from_annotations(annotations: dict, images: Sequence[np.ndarray]) -> TrainSet:
    """The ``TrainSet`` of a COCO keypoint dict; ``images[i]`` is ``annotations["images"][i]``."""
    by_image = instances_by_image(annotations)
    return build_trainset(images, [by_image[im["id"]] for im in annotations["images"]])


def load_trainset(data_dir: str) -> TrainSet:
    """The split at ``data_dir`` (annotations.json + images/) in memory, as training needs it.

    Raises:
        ValueError: a malformed annotation file or an unreadable image (the message names it).
    """
    annotations = load_annotations(f"{data_dir}/annotations.json")
    return trainset_from_annotations(
        annotations, [read_image(f"{data_dir}/images/{im['file_name']}") for im in annotations["images"]])
