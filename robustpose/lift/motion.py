"""Synthetic 3D human motion on the Human3.6M skeleton, filmed by calibrated cameras.

The embedded default cannot ship Human3.6M (licence-restricted), so it synthesises what a lifter
sees there: 50 fps sequences of a 17-joint body doing five actions (walking, running, reaching,
sitting, turning), with per-subject bone lengths, per-sequence speeds and camera placements,
projected to pixels by pinhole cameras like Human3.6M's (1000 px wide, focal ~1150 px), plus
2D-detector-like noise and a per-joint confidence that drops where the noise is large.

Motion model (deliberately simple, but with the structure lifting needs): joint angles are smooth
functions of a gait phase or of an action progress curve; forward kinematics in a body frame
(forward f, left l, up u, heading yaw) turns angles into positions; the root height keeps the
lower foot on the ground, so sitting lowers the pelvis and running bounces. World frame: z up,
metres. Camera frame: OpenCV (x right, y down, z forward), metres, as Human3.6M's camera-space
("mono") 3D poses that mmpose stores in ``S``.

Every random draw comes from ``rng_for(seed, "lift", ...)`` (see ``make_dataset``), so the same
config gives bit-identical sequences.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from robustpose import portable as pm
from robustpose.lift.skeleton import NUM_JOINTS
from robustpose.seeding import rng_for

ACTIONS: tuple[str, ...] = ("walking", "running", "reaching", "sitting", "turning")
FPS = 50.0

# Bone lengths of a 1.75 m adult (metres), close to Human3.6M subject means.
_BASE_BONES = {
    "hip": 0.13, "thigh": 0.45, "shin": 0.44, "spine": 0.23, "chest": 0.25, "neck": 0.11,
    "head": 0.12, "shoulder": 0.15, "upper_arm": 0.28, "forearm": 0.25,
}
# 2D detector noise std per joint as a fraction of the person's pixel height: extremities are
# harder for a detector (CPN's error on wrists/ankles is ~2x the torso's on Human3.6M).
_NOISE_FRAC = np.array([0.006, 0.008, 0.010, 0.013, 0.008, 0.010, 0.013, 0.007, 0.007, 0.008, 0.009,
                        0.008, 0.011, 0.015, 0.008, 0.011, 0.015])
_CONF_MEAN = np.array([0.95, 0.93, 0.90, 0.86, 0.93, 0.90, 0.86, 0.94, 0.95, 0.94, 0.93,
                       0.93, 0.89, 0.84, 0.93, 0.89, 0.84])


@dataclass(frozen=True)
class Camera:
    """A pinhole camera without distortion: ``R`` world->camera rotation, ``t`` its translation.

    ``x_cam = R @ x_world + t``; pixel ``u = fx * x / z + cx``. ``width``/``height`` in pixels.
    """
    R: np.ndarray
    t: np.ndarray
    focal: tuple[float, float]
    center: tuple[float, float]
    width: int
    height: int

    def to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """World points ``(..., 3)`` -> camera-frame points ``(..., 3)`` in metres."""
        return pm.matmul(points_world, self.R.T) + self.t

    def project(self, points_cam: np.ndarray) -> np.ndarray:
        """Camera-frame points ``(..., 3)`` -> pixels ``(..., 2)``."""
        z = np.maximum(points_cam[..., 2:3], 1e-6)
        xy = points_cam[..., :2] / z
        return xy * np.asarray(self.focal) + np.asarray(self.center)


@dataclass
class LiftSequence:
    """One filmed sequence, the unit that corruptions and windows are cut from.

    Attributes:
        keypoints_2d: ``(T, J, 3)`` pixel x, y and detector confidence in [0, 1].
        pose_3d: ``(T, J, 3)`` camera-frame joint positions in metres (absolute, not root-relative).
        image_width, image_height: pixels, for screen normalisation.
        subject, action, camera: identifiers (the split is by subject).
    """
    keypoints_2d: np.ndarray
    pose_3d: np.ndarray
    image_width: int
    image_height: int
    subject: str
    action: str
    camera: str
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.keypoints_2d.ndim != 3 or self.keypoints_2d.shape[2] != 3:
            raise ValueError(f"keypoints_2d must be (T, J, 3), got {self.keypoints_2d.shape}")
        if self.pose_3d.shape != self.keypoints_2d.shape:
            raise ValueError(f"pose_3d {self.pose_3d.shape} and keypoints_2d {self.keypoints_2d.shape} differ")

    @property
    def num_frames(self) -> int:
        return int(self.keypoints_2d.shape[0])


@dataclass(frozen=True)
class MotionConfig:
    """Size of the synthetic dataset; the defaults give 74k training windows in about a second.

    Many subjects and camera placements cost nothing in training time (a run draws a fixed
    number of batches) but close most of the gap between training and held-out subjects.

    params.yaml's ``lift:`` section is the source (through ``robustpose.lift.setup``); the
    defaults are its values, and tests/test_param_defaults.py fails when they drift apart.
    """
    train_subjects: int = 20       # subjects in the training split
    test_subjects: int = 2         # held-out subjects (subject-wise split, as Human3.6M S9/S11)
    cameras: int = 6               # camera placements per (subject, action)
    frames: int = 150              # frames per sequence (3 s at 50 fps)

    def __post_init__(self) -> None:
        for name in ("train_subjects", "test_subjects", "cameras"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"lift.{name} must be >= 1, got {getattr(self, name)}")
        if self.frames < 27:
            raise ValueError(f"lift.frames must be >= 27 (one receptive field), got {self.frames}")


# ---------------------------------------------------------------------------------------------
# bodies and actions


def subject_bones(rng: np.random.Generator) -> dict[str, float]:
    """Bone lengths of one subject: a global height factor times small per-bone variation."""
    height = rng.uniform(0.85, 1.15)
    return {name: length * height * rng.uniform(0.94, 1.06) for name, length in _BASE_BONES.items()}


def _smooth_pulse(t: np.ndarray, start: float, period: float) -> np.ndarray:
    """0 -> 1 -> 0 raised-cosine over ``[start, start + period]`` seconds, 0 elsewhere."""
    x = np.clip((t - start) / period, 0.0, 1.0)
    return 0.5 - 0.5 * pm.cos(2 * np.pi * x)


def _smoothstep(t: np.ndarray, start: float, duration: float) -> np.ndarray:
    x = np.clip((t - start) / duration, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def action_angles(action: str, t: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Joint angles (radians) and root motion over time ``t`` (seconds) for one action.

    Long because it is a table: one block of angle curves per action, easier to compare side by
    side than split across functions.

    Leg angles: ``hip_*`` flexion (forward +) from vertical, ``abd_*`` outward abduction,
    ``knee_*`` flexion (shin swings back). Arms likewise with ``sho_*``, ``sabd_*``, ``elb_*``.
    ``lean`` tilts the trunk forward, ``yaw`` is the heading, ``speed`` forward m/s, ``bounce``
    extra pelvis height (m).
    """
    n = len(t)
    zeros = np.zeros(n)
    speed_factor = rng.uniform(0.8, 1.25)
    phase0 = rng.uniform(0, 2 * np.pi)
    yaw0 = rng.uniform(-np.pi, np.pi)
    a = {k: zeros.copy() for k in ("hip_r", "hip_l", "abd_r", "abd_l", "knee_r", "knee_l", "sho_r", "sho_l",
                                   "sabd_r", "sabd_l", "elb_r", "elb_l", "lean", "bounce", "speed")}
    a["yaw"] = np.full(n, yaw0)
    a["sabd_r"] += 0.12
    a["sabd_l"] += 0.12
    a["abd_r"] += 0.04
    a["abd_l"] += 0.04
    if action in ("walking", "running", "turning"):
        run = action == "running"
        freq = (rng.uniform(1.3, 1.6) if run else rng.uniform(0.8, 1.0)) * speed_factor
        ph = 2 * np.pi * freq * t + phase0
        amp = {"walking": 0.42, "running": 0.75, "turning": 0.2}[action] * rng.uniform(0.85, 1.15)
        a["hip_r"], a["hip_l"] = amp * pm.sin(ph), amp * pm.sin(ph + np.pi)
        # the knee flexes during swing (hip moving forward): peak ~0.65 rad walking, ~1.6 running
        k_amp = 1.5 if run else 0.6
        a["knee_r"] = 0.1 + k_amp * np.maximum(0, pm.sin(ph + np.pi / 2)) ** 2
        a["knee_l"] = 0.1 + k_amp * np.maximum(0, pm.sin(ph + 3 * np.pi / 2)) ** 2
        arm = 0.55 if run else 0.35
        a["sho_r"], a["sho_l"] = arm * pm.sin(ph + np.pi), arm * pm.sin(ph)
        a["elb_r"] = a["elb_l"] = np.full(n, 1.5 if run else 0.3) + 0.1 * pm.sin(2 * ph)
        a["lean"] += 0.2 if run else 0.05
        a["bounce"] = (0.06 * np.abs(pm.sin(ph))) if run else zeros
        stride = (1.6 if run else 0.75) * amp / (0.75 if run else 0.42)
        a["speed"] = np.full(n, stride * freq)
        if action == "turning":
            turn = rng.choice([-1.0, 1.0]) * rng.uniform(np.pi / 2, np.pi)
            a["yaw"] = yaw0 + turn * _smoothstep(t, rng.uniform(0.2, 0.8), rng.uniform(1.2, 2.0))
            a["speed"] *= 0.3
        else:
            a["yaw"] = yaw0 + 0.1 * pm.sin(2 * np.pi * t / rng.uniform(3, 6) + phase0)
    elif action == "reaching":
        side = rng.choice(["r", "l"])
        other = "l" if side == "r" else "r"
        period = rng.uniform(1.5, 2.5) / speed_factor
        s = _smooth_pulse(t, rng.uniform(0.0, 0.5), period)
        height = rng.uniform(1.2, 2.2)
        a[f"sho_{side}"] = 0.1 + height * s
        a[f"sabd_{side}"] = 0.12 + rng.uniform(-0.1, 0.4) * s
        a[f"elb_{side}"] = 0.5 * (1 - s) + 0.05
        a[f"sho_{other}"] = 0.1 * pm.sin(2 * np.pi * t / 2.5 + phase0)
        a[f"elb_{other}"] = np.full(n, 0.3)
        a["lean"] = 0.05 + rng.uniform(0.1, 0.35) * s
        a["knee_r"] = a["knee_l"] = 0.05 + 0.15 * s
        a["hip_r"] = a["hip_l"] = 0.05 + 0.1 * s
    elif action == "sitting":
        # stand -> sit -> stand, hold in between; sitting: thighs horizontal, shins vertical
        down, hold = rng.uniform(0.6, 1.0) / speed_factor, rng.uniform(0.3, 0.8)
        start = rng.uniform(0.0, 0.4)
        s = _smoothstep(t, start, down) - _smoothstep(t, start + down + hold, down)
        a["hip_r"] = a["hip_l"] = 1.5 * s
        a["knee_r"] = a["knee_l"] = 1.5 * s + 0.03
        a["lean"] = 0.35 * s * (1 - s) * 4 * 0.6 + 0.15 * s   # lean forward most mid-transition
        a["sho_r"] = a["sho_l"] = 0.35 * s
        a["elb_r"] = a["elb_l"] = 0.2 + 0.9 * s
        a["abd_r"] = a["abd_l"] = 0.04 + 0.1 * s
    else:
        raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
    return a


def forward_kinematics(angles: dict[str, np.ndarray], bones: dict[str, float], dt: float) -> np.ndarray:
    """World joint positions ``(T, 17, 3)`` (z up, metres) from action angles and bone lengths."""
    yaw = angles["yaw"]
    n = len(yaw)
    f = np.stack([pm.cos(yaw), pm.sin(yaw), np.zeros(n)], axis=1)           # forward
    l = np.stack([-pm.sin(yaw), pm.cos(yaw), np.zeros(n)], axis=1)          # left
    u = np.tile(np.array([0.0, 0.0, 1.0]), (n, 1))                          # up

    def limb(angle: np.ndarray, abd: np.ndarray, outward: np.ndarray) -> np.ndarray:
        # direction from vertical-down, rotated forward by `angle` and outward by `abd`
        d = (-u * (pm.cos(angle) * pm.cos(abd))[:, None] + f * pm.sin(angle)[:, None]
             + outward * (pm.cos(angle) * pm.sin(abd))[:, None])
        return d / pm.norm(d, axis=1, keepdims=True)

    lean = angles["lean"]
    trunk = u * pm.cos(lean)[:, None] + f * pm.sin(lean)[:, None]
    J = np.zeros((n, NUM_JOINTS, 3))
    # root at the origin for now; translation and height are added below
    J[:, 1] = -l * bones["hip"]
    J[:, 4] = l * bones["hip"]
    for hip, knee, foot, side, out in ((1, 2, 3, "r", -l), (4, 5, 6, "l", l)):
        thigh = limb(angles[f"hip_{side}"], angles[f"abd_{side}"], out)
        shin = limb(angles[f"hip_{side}"] - angles[f"knee_{side}"], angles[f"abd_{side}"], out)
        J[:, knee] = J[:, hip] + thigh * bones["thigh"]
        J[:, foot] = J[:, knee] + shin * bones["shin"]
    J[:, 7] = trunk * bones["spine"]
    J[:, 8] = J[:, 7] + trunk * bones["chest"]
    J[:, 9] = J[:, 8] + trunk * bones["neck"]
    J[:, 10] = J[:, 9] + (trunk + 0.25 * f) / pm.norm(trunk + 0.25 * f, axis=1, keepdims=True) * bones["head"]
    for sho, elb, wri, side, out in ((11, 12, 13, "l", l), (14, 15, 16, "r", -l)):
        J[:, sho] = J[:, 8] + out * bones["shoulder"] - trunk * 0.03
        upper = limb(angles[f"sho_{side}"], angles[f"sabd_{side}"], out)
        fore = limb(angles[f"sho_{side}"] + angles[f"elb_{side}"], angles[f"sabd_{side}"], out)
        J[:, elb] = J[:, sho] + upper * bones["upper_arm"]
        J[:, wri] = J[:, elb] + fore * bones["forearm"]
    # pelvis height: the lower foot touches the ground (ankle 8 cm above it), plus running bounce
    height = -np.minimum(J[:, 3, 2], J[:, 6, 2]) + 0.08 + angles["bounce"]
    travel = np.cumsum(f * (angles["speed"] * dt)[:, None], axis=0)
    root = travel + u * height[:, None]
    return J + root[:, None, :]


def make_camera(rng: np.random.Generator, target: np.ndarray, extent: float) -> Camera:
    """A Human3.6M-like camera looking at ``target`` (world, metres) from a random placement.

    Distance grows with the motion ``extent`` so the whole sequence stays in the frame.
    """
    azimuth = rng.uniform(-np.pi, np.pi)
    distance = rng.uniform(4.5, 6.0) + 0.9 * extent
    height = rng.uniform(0.9, 2.0)
    eye = target + np.array([distance * pm.cos(azimuth), distance * pm.sin(azimuth), 0.0])
    eye[2] = height
    look = target + np.array([0.0, 0.0, 0.9]) - eye
    z = look / pm.norm(look)                             # optical axis
    x = np.cross(z, np.array([0.0, 0.0, 1.0]))           # image right = forward x world-up
    x /= pm.norm(x)
    y = np.cross(z, x)                                   # image down
    R = np.stack([x, y, z])
    focal = float(rng.uniform(1100, 1200))
    center = (500.0 + rng.uniform(-10, 10), 500.0 + rng.uniform(-10, 10))
    return Camera(R=R, t=-pm.matmul(eye, R.T), focal=(focal, focal * rng.uniform(0.998, 1.002)), center=center,
                  width=1000, height=1000)


def detector_noise(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Detector-like 2D keypoints ``(T, 17, 3)`` from exact projections ``(T, 17, 2)``.

    Noise = a per-sequence per-joint offset (a detector's systematic bias on this person) plus
    frame-wise Gaussian jitter, both scaled by the person's pixel height and by the joint's
    difficulty (``_NOISE_FRAC``). The confidence falls with the size of the frame's error in
    units of the joint's noise std, around a per-joint mean, as a heatmap peak would.
    """
    T = pixels.shape[0]
    height = np.ptp(pixels[..., 1], axis=1, keepdims=True)[..., None]       # (T,1,1) px
    sigma = _NOISE_FRAC[None, :, None] * height                              # (T,17,1)
    bias = rng.normal(0, 0.5, size=(1, NUM_JOINTS, 2)) * sigma
    jitter = rng.normal(0, 1, size=(T, NUM_JOINTS, 2)) * sigma
    noisy = pixels + bias + jitter
    err = pm.norm(jitter, axis=-1) / sigma[..., 0]                    # in stds
    conf = _CONF_MEAN[None, :] - 0.06 * err + rng.normal(0, 0.03, size=(T, NUM_JOINTS))
    return np.concatenate([noisy, np.clip(conf, 0.05, 1.0)[..., None]], axis=-1)


def make_sequence(seed: int, subject: int, action: str, camera: int, frames: int,
                  bones: dict[str, float]) -> LiftSequence:
    """One sequence of ``subject`` doing ``action`` seen from camera placement ``camera``.

    The motion depends on (seed, subject, action) only, so every camera films the same motion
    (as Human3.6M's four cameras do); the camera and the detector noise depend on the camera too.
    """
    t = np.arange(frames) / FPS
    angles = action_angles(action, t, rng_for(seed, "lift", "motion", subject, action))
    world = forward_kinematics(angles, bones, 1.0 / FPS)
    root = world[:, 0]
    target = 0.5 * (root.min(axis=0) + root.max(axis=0))
    target[2] = 0.0
    extent = float(pm.norm(root[-1, :2] - root[0, :2]))
    cam_rng = rng_for(seed, "lift", "camera", subject, action, camera)
    cam = make_camera(cam_rng, target, extent)
    pose_cam = cam.to_camera(world)
    kp2d = detector_noise(cam.project(pose_cam), rng_for(seed, "lift", "detector", subject, action, camera))
    return LiftSequence(keypoints_2d=kp2d.astype(np.float32), pose_3d=pose_cam.astype(np.float32),
                        image_width=cam.width, image_height=cam.height, subject=f"syn{subject:02d}",
                        action=action, camera=f"cam{camera}")


def make_dataset(seed: int, config: MotionConfig = MotionConfig()) -> tuple[list[LiftSequence], list[LiftSequence]]:
    """The subject-wise train and test splits: ``(train_sequences, test_sequences)``.

    Subjects ``0 .. train_subjects-1`` train, the next ``test_subjects`` test; each does every
    action once and is filmed by ``cameras`` placements.
    """
    train: list[LiftSequence] = []
    test: list[LiftSequence] = []
    for subject in range(config.train_subjects + config.test_subjects):
        bones = subject_bones(rng_for(seed, "lift", "subject", subject))
        split = train if subject < config.train_subjects else test
        for action in ACTIONS:
            for camera in range(config.cameras):
                split.append(make_sequence(seed, subject, action, camera, config.frames, bones))
    return train, test
