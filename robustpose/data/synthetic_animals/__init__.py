"""Deterministic synthetic quadrupeds with AP-10K's 17 keypoints: the animal twin of
``robustpose.data.synthetic``.

Each image holds ``min_animals``..``max_animals`` (default 1-2) animals drawn over the people
generator's textured background and camera photometry: eleven species presets named after
AP-10K categories (dog, cat, horse, zebra, cow, giraffe, leopard, tiger, brown bear, deer, fox)
with jittered proportions, ear and tail shapes, coats (plain, stripes, spots, rosettes, giraffe
patches, blotches) and poses (standing, walking, sitting, lying, grazing; the head turned),
seen from the side facing left or right with some foreshortening. A turned head hides an eye
(v=1), an animal in front hides the keypoints under it (v=1), keypoints outside the image are
v=0 with x=y=0, as in COCO.

Modules, one job each:
  ``species``     the presets: proportions, ears, poses, coats, AP-10K category; jitter
  ``pose``        the pose prior: leg, neck, head and tail angles per pose kind
  ``head``        the head in 3D: snout, eyes, ears; which features a turned head hides
  ``skeleton``    a posed animal in 3D: the 17 keypoints, leg chains, trunk, neck, tail
  ``projection``  ``View``: yaw, roll, scale and position: the animal's frame -> image pixels
  ``coat``        fur colours, the trunk's pattern, belly and fur grain
  ``animal``      ``Animal`` and ``sample_animal``: one animal before placement
  ``figure``      painting one animal part by part, back to front
  ``visibility``  AP-10K v flags (the people generator's occlusion test)
  ``scene``       ``AnimalConfig`` and ``render_scene``: size, placement, order, annotations
  ``split``       ``synthesize_split``, ``coco_annotations``, ``write_split``: seeding and files

Coordinates follow OpenCV, as in the people generator: a visible keypoint lies in
[0, W-1] x [0, H-1].
"""
from __future__ import annotations

from robustpose.data.synthetic_animals.scene import AnimalConfig, render_scene
from robustpose.data.synthetic_animals.split import (coco_annotations, synthesize_split,
                                                     write_split)

__all__ = ["AnimalConfig", "coco_annotations", "render_scene", "synthesize_split", "write_split"]
