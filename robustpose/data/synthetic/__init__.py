"""Deterministic synthetic people with COCO-17 keypoints: the project's embedded default dataset.

Each image holds ``min_people``..``max_people`` (default 1-3) articulated 2D figures drawn over a
textured background: posed skeletons with per-person bone lengths, limb thickness, clothes, skin
and hair colours and a torso texture, painted as shaded capsules, polygons and ellipses. The same
painter draws the frames of the 3D lifting benchmark's video path (``robustpose.lift.video``).

Modules, one job each:
  ``body``        bone proportions, limb radii, the pose prior; posed skeletons in local units
  ``face``        where the face keypoints sit on the head, and when a turned head hides them
  ``appearance``  colours of skin, hair and clothes, the torso's pattern
  ``painter``     person layers: shaded capsules, ellipses, textured polygon; compositing
  ``figure``      one posed person painted part by part, with the left/right colour cue
  ``background``  gradient, noise, stripes/tiles and shapes behind the people
  ``camera``      photometry of a real camera (exposure, contrast, gamma, haze, softness)
  ``visibility``  COCO v flags: outside, occluded by people in front, face turned away
  ``scene``       ``SyntheticConfig`` and ``render_scene``: placement, order, occlusion, boxes
  ``split``       ``synthesize_split``, ``coco_annotations``, ``write_split``: seeding and files
  ``frames``      the video path: ``HeadPose``, ``video_style``, ``render_person``

Coordinates follow OpenCV everywhere: the centre of pixel (col, row) is the point (x=col, y=row),
so a visible keypoint lies in [0, W-1] x [0, H-1].
"""
from __future__ import annotations

from robustpose.data.synthetic.frames import HeadPose, render_person, video_style
from robustpose.data.synthetic.scene import SyntheticConfig, render_scene
from robustpose.data.synthetic.split import coco_annotations, synthesize_split, write_split

__all__ = ["HeadPose", "SyntheticConfig", "coco_annotations", "render_person", "render_scene",
           "synthesize_split", "video_style", "write_split"]
