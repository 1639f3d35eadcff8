"""One animal before it is placed in an image: species, jittered proportions, pose, skeleton,
coat and viewing direction."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from robustpose.data.synthetic_animals.coat import animal_colours, sample_marks
from robustpose.data.synthetic_animals.pose import sample_pose
from robustpose.data.synthetic_animals.projection import View
from robustpose.data.synthetic_animals.skeleton import Skeleton, pose_skeleton
from robustpose.data.synthetic_animals.species import SPECIES, Species, jitter_geometry

MAX_YAW = 35.0      # degrees away from a pure side view


class Animal(NamedTuple):
    """A posed, coloured animal and its view (``view.scale``/``origin`` are set by placement)."""
    species: Species
    geo: dict[str, float]
    pose: dict
    skeleton: Skeleton
    colours: dict[str, np.ndarray]
    marks: dict
    view: View


def _species_named(name: str) -> Species:
    for s in SPECIES:
        if s.name == name:
            return s
    raise ValueError(f"no species preset {name!r}; known: {', '.join(s.name for s in SPECIES)}")


def sample_view(rng: np.random.Generator) -> View:
    """Facing right or left with equal chance, up to ``MAX_YAW`` off the side view (mostly
    near it), the ground sloping by a few degrees; unit scale at the origin."""
    yaw = float(np.clip(rng.normal(0.0, 15.0), -MAX_YAW, MAX_YAW))
    if rng.uniform() < 0.5:
        yaw += 180.0
    return View(yaw, float(np.clip(rng.normal(0.0, 4.0), -10.0, 10.0)), 1.0)


def sample_animal(rng: np.random.Generator, bg_mean: np.ndarray, species: str | None = None,
                  pose: str | None = None, view: View | None = None,
                  pose_overrides: dict | None = None) -> Animal:
    """A random animal; ``species`` (a preset name), ``pose`` (a pose kind), ``view`` and
    ``pose_overrides`` (entries of ``pose.sample_pose``'s dict, e.g. ``head_yaw``) pin those
    choices (tests build scenes by hand with them).

    Raises:
        ValueError: an unknown species name.
    """
    sp = _species_named(species) if species is not None else SPECIES[int(rng.integers(len(SPECIES)))]
    geo = jitter_geometry(rng, sp)
    the_pose = sample_pose(rng, (pose,) if pose is not None else sp.poses, geo)
    the_pose.update(pose_overrides or {})
    ear = sp.ears[int(rng.integers(len(sp.ears)))]
    coat = sp.coats[int(rng.integers(len(sp.coats)))]
    colours = animal_colours(rng, sp, coat, bg_mean)
    marks = sample_marks(rng, coat, geo["body_len"], geo["body_depth"])
    the_view = view if view is not None else sample_view(rng)
    return Animal(sp, geo, the_pose, pose_skeleton(geo, the_pose, ear), colours, marks, the_view)
