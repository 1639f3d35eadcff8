"""The camera of one animal: orthographic projection of the animal's 3D frame to image pixels.

The animal turns about the vertical by ``yaw`` (0: facing image right, showing its right side;
180: facing left, showing its left side, as a real animal seen from the side does; in between:
foreshortened three-quarter views), the image rolls by ``roll`` (sloped ground), then ``scale``
pixels per animal unit and a shift put it in the image. Projecting is one fixed-order (N, 3) x
(3, 2) product (``portable.matmul``), so every keypoint is the same bits on every CPU.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from robustpose import portable as pm


@dataclass(frozen=True)
class View:
    """Projection of the animal frame (x to the head, y up, z to its right) to image pixels."""
    yaw: float                           # degrees
    roll: float                          # degrees, in the image plane
    scale: float                         # pixels per animal unit
    origin: tuple[float, float] = (0.0, 0.0)   # image position of the animal frame's origin

    def matrix(self) -> np.ndarray:
        """(3, 2): rows are the image (x, y) of the animal's unit x, y and z axes."""
        cy, sy = pm.cos(math.radians(self.yaw)), pm.sin(math.radians(self.yaw))
        cr, sr = pm.cos(math.radians(self.roll)), pm.sin(math.radians(self.roll))
        return np.array([[cr * cy, sr * cy], [sr, -cr], [cr * sy, sr * sy]]) * self.scale

    def project(self, points: np.ndarray) -> np.ndarray:
        """Points (N, 3) in the animal frame -> image pixels (N, 2)."""
        return np.asarray(self.origin) + pm.matmul(np.asarray(points, np.float64), self.matrix())

    def towards_camera(self) -> np.ndarray:
        """Unit vector (3,) in the animal frame pointing at the camera."""
        y = math.radians(self.yaw)
        return np.array([-pm.sin(y), 0.0, pm.cos(y)])

    def depth(self, points: np.ndarray) -> np.ndarray:
        """How far each point (N, 3) is towards the camera (animal units)."""
        return pm.matmul(np.asarray(points, np.float64), self.towards_camera()[:, None])[:, 0]

    def moved(self, scale: float, origin: tuple[float, float]) -> "View":
        """The same yaw and roll at another scale and position."""
        return View(self.yaw, self.roll, float(scale), (float(origin[0]), float(origin[1])))
