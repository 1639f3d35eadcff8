"""2D-to-3D lifting robustness: synthetic motion, keypoint-sequence corruptions, lifters, TAGN, CA-Conv.

Public API: ``make_dataset`` (synthetic Human3.6M-style sequences), ``load_split`` (Human3.6M /
HumanEva-I annotation files), ``corruption_names`` / ``corrupt`` (the sequence corruptions),
``build_lifter``, ``train_lifter``, ``add_tagn``, ``run_benchmark``.
"""
from robustpose.lift.benchmark import VARIANTS, BenchmarkConfig, run_benchmark
from robustpose.lift.corruptions import apply as corrupt
from robustpose.lift.corruptions import names as corruption_names
from robustpose.lift.h36m import load_split
from robustpose.lift.models import LIFTERS, CAConv1d, LifterSpec, build_lifter
from robustpose.lift.motion import LiftSequence, MotionConfig, make_dataset
from robustpose.lift.tagn import TAGNConfig, add_tagn
from robustpose.lift.train import LiftTrainConfig, train_lifter

__all__ = [
    "BenchmarkConfig", "CAConv1d", "LIFTERS", "LiftSequence", "LiftTrainConfig", "LifterSpec", "MotionConfig",
    "TAGNConfig", "VARIANTS", "add_tagn", "build_lifter", "corrupt", "corruption_names", "load_split",
    "make_dataset", "run_benchmark", "train_lifter",
]
