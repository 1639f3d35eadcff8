"""Keypoint layouts: names, skeletons, flip pairs and OKS sigmas per dataset.

OKS sigmas are the per-keypoint falloffs that pycocotools uses; each dataset publishes its own
(COCO in cocoapi ``cocoeval.py``, OCHuman reuses COCO's, AP-10K publishes animal sigmas in its
mmpose dataset config). Keeping them in one table lets every evaluation pick them by dataset name.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

COCO_KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
# 1-based pairs, as stored in COCO's category "skeleton" field.
COCO_SKELETON: tuple[tuple[int, int], ...] = (
    (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8),
    (7, 9), (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7),
)
# 0-based (left, right) index pairs swapped by a horizontal flip.
COCO_FLIP_PAIRS: tuple[tuple[int, int], ...] = (
    (1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16),
)
# Source: cocoapi PythonAPI/pycocotools/cocoeval.py (Params.setKpParams).
COCO_SIGMAS = np.array(
    [.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]
) / 10.0

# Source: mmpose configs/_base_/datasets/ap10k.py (animal keypoints: eyes, nose, neck, tail root,
# shoulders/elbows/paws front and back legs).
AP10K_SIGMAS = np.array(
    [.025, .025, .026, .035, .035, .079, .072, .062, .079, .072, .062, .107, .087, .089, .107,
     .087, .089]
)

# 0-based (left, right) index pairs swapped by a horizontal flip: eyes, then shoulder/elbow/front
# paw and hip/knee/back paw (source: the ``swap`` fields of mmpose configs/_base_/datasets/ap10k.py).
AP10K_FLIP_PAIRS: tuple[tuple[int, int], ...] = (
    (0, 1), (5, 8), (6, 9), (7, 10), (11, 14), (12, 15), (13, 16),
)

# AP-10K's 17 animal keypoints in its order and its 1-based skeleton (source: the categories of
# the official annotations ap10k-*-split*.json, the same as mmpose configs/_base_/datasets/ap10k.py).
AP10K_KEYPOINTS: tuple[str, ...] = (
    "left_eye", "right_eye", "nose", "neck", "root_of_tail",
    "left_shoulder", "left_elbow", "left_front_paw",
    "right_shoulder", "right_elbow", "right_front_paw",
    "left_hip", "left_knee", "left_back_paw",
    "right_hip", "right_knee", "right_back_paw",
)
AP10K_SKELETON: tuple[tuple[int, int], ...] = (
    (1, 2), (1, 3), (2, 3), (3, 4), (4, 5), (4, 6), (6, 7), (7, 8), (4, 9), (9, 10), (10, 11),
    (5, 12), (12, 13), (13, 14), (5, 15), (15, 16), (16, 17),
)

DATASET_SIGMAS: dict[str, np.ndarray] = {
    "coco": COCO_SIGMAS,
    "ochuman": COCO_SIGMAS,
    "synthetic": COCO_SIGMAS,
    "ap10k": AP10K_SIGMAS,
    "synthetic_animals": AP10K_SIGMAS,   # the embedded animals are scored as AP-10K is
}

# Left/right pairs of the layouts our own (embedded) networks can predict; MPII's live in
# ``robustpose.data.mpii`` (only published checkpoints predict it).
LAYOUT_FLIP_PAIRS: dict[str, tuple[tuple[int, int], ...]] = {
    "coco": COCO_FLIP_PAIRS,
    "ap10k": AP10K_FLIP_PAIRS,
}


# Keypoint layout (order and meaning of the keypoints) of each dataset: a model predicts one
# layout, and evaluating it on a dataset of another layout would score the wrong joints.
# MPII's 16-joint layout (names, flip pairs) lives in ``robustpose.data.mpii``.
DATASET_LAYOUTS: dict[str, str] = {
    "coco": "coco",
    "ochuman": "coco",
    "synthetic": "coco",
    "ap10k": "ap10k",
    "synthetic_animals": "ap10k",
    "mpii": "mpii",
}


def flip_permutation(pairs: Sequence[tuple[int, int]], num_keypoints: int) -> list[int]:
    """Keypoint ``i`` of a mirrored image is keypoint ``perm[i]`` of the original.

    The one place a layout's (left, right) pairs become the swap every flip uses: training
    augmentation, the flip test of our networks and mmpose's ``flip_indices``.
    """
    perm = list(range(num_keypoints))
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return perm


def layout_flip_permutation(layout: str, num_keypoints: int) -> list[int]:
    """``flip_permutation`` of a layout our networks predict (``coco`` | ``ap10k``).

    Raises:
        ValueError: a layout without flip pairs here (the message lists the known ones).
    """
    if layout not in LAYOUT_FLIP_PAIRS:
        raise ValueError(f"no flip pairs for keypoint layout {layout!r}; known: {', '.join(LAYOUT_FLIP_PAIRS)}")
    return flip_permutation(LAYOUT_FLIP_PAIRS[layout], num_keypoints)


def layout_for(dataset: str) -> str:
    """Keypoint layout (``coco`` | ``ap10k`` | ``mpii``) of ``dataset``'s annotations."""
    if dataset not in DATASET_LAYOUTS:
        raise KeyError(f"no keypoint layout for dataset {dataset!r}; known: {sorted(DATASET_LAYOUTS)}")
    return DATASET_LAYOUTS[dataset]


def sigmas_for(dataset: str) -> np.ndarray:
    """OKS sigmas for ``dataset``; every COCO-17 human dataset shares COCO's."""
    if dataset not in DATASET_SIGMAS:
        raise KeyError(f"no OKS sigmas for dataset {dataset!r}; known: {sorted(DATASET_SIGMAS)}")
    return DATASET_SIGMAS[dataset]


def person_category(keypoints: Sequence[str], skeleton: Sequence[tuple[int, int]]) -> dict:
    """A COCO-format 'person' category with keypoint names and a 1-based skeleton."""
    return {
        "id": 1,
        "name": "person",
        "supercategory": "person",
        "keypoints": list(keypoints),
        "skeleton": [list(p) for p in skeleton],
    }


def coco_category() -> dict:
    """The COCO 'person' category with keypoint names and 1-based skeleton."""
    return person_category(COCO_KEYPOINTS, COCO_SKELETON)


def animal_category(category_id: int, name: str, supercategory: str) -> dict:
    """An AP-10K category: one species (``name``, e.g. "dog") in its family (``supercategory``,
    e.g. "Canidae"), with AP-10K's keypoint names and 1-based skeleton, as its annotations list
    them."""
    return {
        "id": int(category_id),
        "name": name,
        "supercategory": supercategory,
        "keypoints": list(AP10K_KEYPOINTS),
        "skeleton": [list(p) for p in AP10K_SKELETON],
    }
