"""The Human3.6M 17-joint skeleton: joint order, names, parents and left/right pairs.

The order is the one mmpose's ``Human36mDataset`` and VideoPose3D use (pelvis first, so a
root-relative pose has joint 0 at the origin), so the synthetic data, the paper-scale loaders and
the lifters share one layout and a model trained on one can be evaluated on the other.
"""
from __future__ import annotations

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "pelvis",          # 0, the root
    "right_hip",       # 1
    "right_knee",      # 2
    "right_foot",      # 3
    "left_hip",        # 4
    "left_knee",       # 5
    "left_foot",       # 6
    "spine",           # 7
    "thorax",          # 8
    "neck_base",       # 9
    "head",            # 10
    "left_shoulder",   # 11
    "left_elbow",      # 12
    "left_wrist",      # 13
    "right_shoulder",  # 14
    "right_elbow",     # 15
    "right_wrist",     # 16
)
NUM_JOINTS = len(JOINT_NAMES)
ROOT = 0

# parent of each joint (-1 for the root); bones are (parent, child)
PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
BONES: tuple[tuple[int, int], ...] = tuple((p, c) for c, p in enumerate(PARENTS) if p >= 0)

# (left, right) joint pairs: swapped by a horizontal flip or a detector's left/right confusion
FLIP_PAIRS: tuple[tuple[int, int], ...] = ((4, 1), (5, 2), (6, 3), (11, 14), (12, 15), (13, 16))
LEFT_JOINTS: tuple[int, ...] = tuple(left for left, _ in FLIP_PAIRS)
RIGHT_JOINTS: tuple[int, ...] = tuple(right for _, right in FLIP_PAIRS)


def flip_permutation() -> np.ndarray:
    """Index array ``perm`` such that ``pose[perm]`` swaps every left joint with its right one."""
    perm = np.arange(NUM_JOINTS)
    for left, right in FLIP_PAIRS:
        perm[left], perm[right] = right, left
    return perm


def bone_lengths(pose3d: np.ndarray) -> np.ndarray:
    """Length of each bone in ``BONES`` order for poses ``(..., 17, 3)`` -> ``(..., 16)``."""
    parents = np.array([p for p, _ in BONES])
    children = np.array([c for _, c in BONES])
    return np.linalg.norm(pose3d[..., children, :] - pose3d[..., parents, :], axis=-1)


# HumanEva-I, the 15-joint layout VideoPose3D uses (``data_3d_humaneva15``): pelvis first too.
HUMANEVA_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "thorax", "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow",
    "right_wrist", "left_hip", "left_knee", "left_ankle", "right_hip", "right_knee", "right_ankle", "head",
)
HUMANEVA_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 3, 1, 5, 6, 0, 8, 9, 0, 11, 12, 1)
HUMANEVA_FLIP_PAIRS: tuple[tuple[int, int], ...] = ((2, 5), (3, 6), (4, 7), (8, 11), (9, 12), (10, 13))


def skeleton_for(num_joints: int) -> tuple[tuple[str, ...], tuple[int, ...], tuple[tuple[int, int], ...]]:
    """``(names, parents, flip_pairs)`` of the layout with ``num_joints`` joints (17 or 15).

    Raises:
        ValueError: no known layout has that many joints.
    """
    if num_joints == NUM_JOINTS:
        return JOINT_NAMES, PARENTS, FLIP_PAIRS
    if num_joints == len(HUMANEVA_JOINT_NAMES):
        return HUMANEVA_JOINT_NAMES, HUMANEVA_PARENTS, HUMANEVA_FLIP_PAIRS
    raise ValueError(f"no skeleton with {num_joints} joints; known: Human3.6M (17), HumanEva-I (15)")
