"""The ``TrainConfig`` a stage trains with, from the parsed params: which section wins.

``model.<name>`` mixes two kinds of keys: the model's architecture (registry spec keys such as
``input_size``) and per-model training overrides (any ``train:`` key, e.g. ``steps``). The
train and advmix stages, the tests and the benchmarks split and merge them here, so a key
means the same thing everywhere. The functions take the parsed params dict; the stage reads
params.yaml and validates the sections (``train``, ``seed``, ``advmix``) before calling them.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any

from robustpose.seeding import derive_entropy
from robustpose.train.topdown import TrainConfig

# TrainConfig fields set from `train:` and `model.<name>`; the seed is the top-level `seed`
TRAIN_KEYS: tuple[str, ...] = tuple(f.name for f in fields(TrainConfig) if f.name != "seed")
# advmix's own student schedule, on top of the clean model's training settings
ADVMIX_SCHEDULE_KEYS: tuple[str, ...] = ("steps", "lr", "warmup_steps")


def _model_section(params: dict[str, Any], model: str) -> dict[str, Any]:
    return dict((params.get("model") or {}).get(model) or {})


def model_overrides(params: dict[str, Any], model: str) -> dict[str, Any]:
    """The architecture keys of ``model.<name>`` (for ``model_spec``); the training keys left out."""
    return {k: v for k, v in _model_section(params, model).items() if k not in TRAIN_KEYS}


def training_settings(params: dict[str, Any], model: str) -> dict[str, Any]:
    """``train:`` with the training keys of ``model.<name>`` on top (the per-model value wins)."""
    own = {k: v for k, v in _model_section(params, model).items() if k in TRAIN_KEYS}
    return {**params["train"], **own}


def train_config(params: dict[str, Any], model: str) -> TrainConfig:
    """What `train@<model>` trains with: ``training_settings`` and the top-level seed.

    Raises:
        ValueError: a value out of range (``TrainConfig``'s message names the key).
    """
    return TrainConfig(seed=params["seed"], **training_settings(params, model))


def advmix_train_config(params: dict[str, Any], model: str, run_seed: int) -> TrainConfig:
    """The student's schedule of `advmix@<model>+<strategy>-s<run_seed>`: the clean model's
    augmentation and batch settings (``training_settings``) with ``advmix.steps``, ``lr`` and
    ``warmup_steps``, and a seed derived from the top-level seed and ``run_seed``, so each
    fine-tuning repeat draws its own batches.

    Raises:
        ValueError: a value out of range (``TrainConfig``'s message names the key).
    """
    advmix = params["advmix"]
    return TrainConfig(**{**training_settings(params, model), **{k: advmix[k] for k in ADVMIX_SCHEDULE_KEYS},
                          "seed": derive_entropy(params["seed"], "advmix", run_seed) % 2**31})
