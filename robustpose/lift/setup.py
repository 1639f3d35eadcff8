"""From a validated ``lift`` params section to what the lift stages run: configs and data.

Both stages (`lift` on keypoint sequences, `lift_video@` on rendered or recorded videos) and
the tests build their benchmark the same way through these functions, so a knob means the
same thing everywhere. The library does not read params.yaml: the stage validates the section
and passes it here as a plain dict.
"""
from __future__ import annotations

from typing import Any

from robustpose.lift.benchmark import BenchmarkConfig
from robustpose.lift.h36m import load_split
from robustpose.lift.motion import LiftSequence, MotionConfig, make_dataset
from robustpose.lift.tagn import TAGNConfig


def benchmark_config(sec: dict[str, Any], seed: int) -> BenchmarkConfig:
    """The benchmark grid and training settings; raises ValueError on an invalid value."""
    cfg = BenchmarkConfig(
        lifters=tuple(sec["lifters"]), variants=tuple(sec["variants"]), seeds=tuple(sec["seeds"]),
        corruptions=tuple(sec["corruptions"]), severities=tuple(sec["severities"]), data_seed=seed,
        tcn_width=sec["tcn_width"], transformer_width=sec["transformer_width"], steps=sec["steps"],
        batch_size=sec["batch_size"], lr=sec["lr"], lr_final=sec["lr_final"],
        tagn=TAGNConfig(sigma_max=sec["tagn_sigma"], rho=sec["tagn_rho"], prob=sec["tagn_prob"]),
        eval_stride=sec["eval_stride"], threads=sec["threads"], device=sec["device"], workers=sec["workers"])
    cfg.train_config(0)   # validates steps, batch size, learning rates, threads, device
    return cfg


def motion_config(sec: dict[str, Any]) -> MotionConfig:
    """The synthetic motion's size (subjects, cameras, frames)."""
    return MotionConfig(train_subjects=sec["train_subjects"], test_subjects=sec["test_subjects"],
                        cameras=sec["cameras"], frames=sec["frames"])


def load_sequences(sec: dict[str, Any], seed: int, data_dir: str | None, motion: MotionConfig
                   ) -> tuple[list[LiftSequence], list[LiftSequence], str]:
    """(train, test, a one-line description of the source): synthetic motion of size ``motion``
    from ``seed``, or the Human3.6M / HumanEva-I annotation files under ``data_dir``."""
    if sec["dataset"] == "synthetic":
        train, test = make_dataset(seed, motion)
        return train, test, f"synthetic motion (seed {seed})"
    if not data_dir:
        raise ValueError(f"lift.dataset = {sec['dataset']} needs --data <annotation dir>")
    train = load_split(sec["dataset"], data_dir, "train", sec["detections"])
    test = load_split(sec["dataset"], data_dir, "test", sec["detections"])
    return train, test, f"{sec['dataset']} from {data_dir} (2D: {sec['detections'] or 'ground truth'})"


def data_summary(train: list[LiftSequence], test: list[LiftSequence], source: str) -> dict[str, Any]:
    """The ``data`` block of a lift results JSON."""
    return {"source": source, "train_sequences": len(train), "test_sequences": len(test),
            "train_subjects": sorted({s.subject for s in train}),
            "test_subjects": sorted({s.subject for s in test})}
