"""A synthetic training set built in memory, for tests and benchmarks that need a few images
without a prepared split on disk.

It is the set ``write_split`` followed by ``load_trainset`` gives (PNG is lossless and the
annotations are the same dict), without the files. It is a module of its own so that the train
stages, which read prepared splits, do not import the synthesiser: their dvc.yaml deps stay
as they are.
"""
from __future__ import annotations

from robustpose.data.synthetic import SyntheticConfig, coco_annotations, synthesize_split
from robustpose.train.data import trainset_from_annotations
from robustpose.train.topdown import TrainSet


def synthetic_trainset(cfg: SyntheticConfig, seed: int, split: str, n_images: int) -> TrainSet:
    """``n_images`` synthetic images of ``split`` (which, with ``seed``, picks the images) and
    their people as training instances."""
    items = list(synthesize_split(cfg, seed, split, n_images))
    annotations = coco_annotations(cfg, [(name, image.shape[0], image.shape[1], people)
                                         for name, image, people in items])
    return trainset_from_annotations(annotations, [image for _, image, _ in items])
