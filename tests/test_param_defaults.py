"""One default per knob: every dataclass default a stage can fill from params.yaml equals the
params.yaml value, so a test or a benchmark that leaves a field out gets the pipeline's setting.

Where the library builds the config from params (``train_config``, ``mix_config_from_params``,
``AttackGrid.settings``, ``lift.setup``), the config is built as the stage builds it and each
defaulted field is compared. Where a stage builds it inline, the table below names the params
key of each defaulted field, and lists the fields that are not params at all, so a new default
needs a decision here. Per-model overrides (``model.<name>.steps``) are per-model: TrainConfig
is compared with the ``train:`` section alone."""
from __future__ import annotations

from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from robustpose.attack.benchmark import AttackSettings
from robustpose.attack.grid import AttackGrid
from robustpose.corrupt.dataset import CorruptJob
from robustpose.data.synthetic import SyntheticConfig
from robustpose.data.synthetic_animals import AnimalConfig
from robustpose.lift.benchmark import BenchmarkConfig
from robustpose.lift.motion import MotionConfig
from robustpose.lift.setup import benchmark_config, motion_config
from robustpose.lift.video import SyntheticFrames, VideoConfig
from robustpose.train.advmix import MixConfig, mix_config_from_params
from robustpose.train.config import train_config
from robustpose.train.topdown import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def _defaults(cls: type) -> dict[str, Any]:
    out = {}
    for f in fields(cls):
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.default_factory is not MISSING:
            out[f.name] = f.default_factory()
    return out


def _drift(cls: type, built: Any, skip: tuple[str, ...] = ()) -> dict[str, tuple[Any, Any]]:
    """{field: (default, what the stage builds from params.yaml)} where the two differ."""
    return {name: (default, getattr(built, name)) for name, default in _defaults(cls).items()
            if name not in skip and getattr(built, name) != default}


# config -> (the config the stage builds from params.yaml, fields that come from elsewhere)
BUILT = {
    TrainConfig: lambda: (train_config({**PARAMS, "model": {}}, "simplebaseline_r18"), ()),
    MixConfig: lambda: (mix_config_from_params(PARAMS, MixConfig().strategy), ()),
    AttackSettings: lambda: (AttackGrid.from_section(PARAMS["attack"]).settings(PARAMS["seed"], "any"),
                             ("dataset",)),   # the stage's --dataset
    BenchmarkConfig: lambda: (benchmark_config(PARAMS["lift"], PARAMS["seed"]), ()),
    MotionConfig: lambda: (motion_config(PARAMS["lift"]), ()),
}


@pytest.mark.parametrize("cls", list(BUILT), ids=lambda c: c.__name__)
def test_defaults_equal_the_config_built_from_params(cls):
    built, skip = BUILT[cls]()
    drift = _drift(cls, built, skip)
    assert not drift, f"{cls.__name__} defaults differ from params.yaml (default, params): {drift}"


# built inline by a stage: config -> ({field: params key path}, defaulted fields that are no params)
INLINE: dict[type, tuple[dict[str, tuple[str, ...]], set[str]]] = {
    # stages/corrupt.py
    CorruptJob: ({"fmt": ("corrupt", "format"), "jpeg_quality": ("corrupt", "jpeg_quality"),
                  "on_bad_image": ("corrupt", "on_bad_image")}, set()),
    # stages/prepare.py
    SyntheticConfig: ({k: ("synthetic", k) for k in ("image_height", "image_width", "min_people", "max_people")},
                      {"min_person_scale", "max_person_scale"}),
    AnimalConfig: ({k: ("synthetic_animals", k) for k in ("image_height", "image_width", "min_animals", "max_animals")},
                   {"min_animal_scale", "max_animal_scale"}),
    # stages/lift_video.py
    VideoConfig: ({"dataset": ("lift", "dataset"), "seed": ("seed",), "cameras": ("lift", "video_cameras"),
                   "flip_test": ("lift", "video_flip_test"), "threads": ("lift", "threads"),
                   "device": ("lift", "device"), "workers": ("lift", "workers")}, {"batch_size"}),
    SyntheticFrames: ({"person_px": ("lift", "video_person_px")}, set()),
}


def _param(path: tuple[str, ...]) -> Any:
    value: Any = PARAMS
    for key in path:
        value = value[key]
    return value


@pytest.mark.parametrize("cls", list(INLINE), ids=lambda c: c.__name__)
def test_defaults_of_inline_built_configs_equal_params(cls):
    keys, not_params = INLINE[cls]
    defaults = _defaults(cls)
    assert set(defaults) == set(keys) | not_params, "a defaulted field is neither mapped to a param nor listed"
    drift = {name: (defaults[name], _param(path)) for name, path in keys.items() if defaults[name] != _param(path)}
    assert not drift, f"{cls.__name__} defaults differ from params.yaml (default, params): {drift}"
