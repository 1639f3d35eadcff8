"""The configs the train and advmix stages build from params.yaml (robustpose.train.config,
advmix.mix_config_from_params): which section wins, and the exact field dicts the default
params put in the checkpoints (``{"train": vars(TrainConfig), "advmix": asdict(MixConfig)}``),
written out literally so that a change to a field's name, order, type or value fails here
before it changes a checkpoint's bytes."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from robustpose.train.advmix import mix_config_from_params
from robustpose.train.config import (TRAIN_KEYS, advmix_train_config, model_overrides, train_config,
                                     training_settings)

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())

# What the stages produced for the embedded default before the builders moved into the library
# (photometric added with the augmentation grid).
TRAIN_SIMPLEBASELINE = {"steps": 1500, "batch_size": 32, "lr": 0.003, "weight_decay": 0.0001, "warmup_steps": 100,
                        "scale_range": 0.2, "rotation_deg": 20, "flip_prob": 0.5, "photometric": "none", "precision": "auto", "seed": 0, "threads": 2}
ADVMIX_TRAIN_S0 = {"steps": 200, "batch_size": 32, "lr": 0.001, "weight_decay": 0.0001, "warmup_steps": 20,
                   "scale_range": 0.2, "rotation_deg": 20, "flip_prob": 0.5, "photometric": "none", "precision": "auto", "seed": 1701110787,
                   "threads": 2}
MIX_ADVMIX = {"strategy": "advmix", "k": 3, "alpha": 0.5, "kd_input": "original", "generator_lr": 0.0001,
              "generator_width": 16, "generator_depth": 0, "noise_channels": 0, "attention_cell": 8,
              "geometric": False, "dirichlet_alpha": 1.0, "beta_alpha": 1.0}


def _same(got: dict, expected: dict) -> None:
    """Equal keys in the same order, equal values of the same types (20 and 20.0 pickle apart)."""
    assert list(got.items()) == list(expected.items())
    assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]


def test_the_train_stage_config_of_the_default_params():
    _same(dict(vars(train_config(PARAMS, "simplebaseline_r18"))), TRAIN_SIMPLEBASELINE)
    assert model_overrides(PARAMS, "simplebaseline_r18") == {"input_size": [128, 96], "base_channels": 32}


def test_the_advmix_stage_configs_of_the_default_params():
    _same(dict(vars(advmix_train_config(PARAMS, "simplebaseline_r18", 0))), ADVMIX_TRAIN_S0)
    _same(asdict(mix_config_from_params(PARAMS, "advmix")), MIX_ADVMIX)


def test_model_sections_split_into_architecture_and_training_keys():
    params = {"seed": 3, "train": {**PARAMS["train"], "steps": 10, "lr": 0.01},
              "model": {"m": {"input_size": [64, 48], "steps": 20}}}
    assert model_overrides(params, "m") == {"input_size": [64, 48]}
    assert training_settings(params, "m") == {**params["train"], "steps": 20}   # the model's value wins
    cfg = train_config(params, "m")
    assert (cfg.steps, cfg.lr, cfg.seed) == (20, 0.01, 3)
    no_section = {k: v for k, v in params.items() if k != "model"}
    for absent in ({**params, "model": {}}, {**params, "model": None}, no_section):
        assert model_overrides(absent, "m") == {} and train_config(absent, "m").steps == 10


def test_advmix_takes_its_schedule_over_the_models_and_a_seed_per_repeat():
    params = {**PARAMS, "model": {"m": {"steps": 999, "batch_size": 8}}}
    a, b = advmix_train_config(params, "m", 0), advmix_train_config(params, "m", 1)
    assert (a.steps, a.lr, a.warmup_steps) == (PARAMS["advmix"]["steps"], PARAMS["advmix"]["lr"],
                                               PARAMS["advmix"]["warmup_steps"])
    assert a.batch_size == 8                       # the clean model's batch and augmentation
    assert a.seed != b.seed and a.seed != PARAMS["seed"]


def test_rows_without_a_teacher_get_alpha_zero_from_params():
    assert mix_config_from_params(PARAMS, "standard").alpha == 0.0
    with pytest.raises(ValueError, match="advmix.strategy 'cutmix' is unknown"):
        mix_config_from_params(PARAMS, "cutmix")


def test_every_train_key_of_params_is_a_training_key():
    """The split of ``model.<name>`` relies on TRAIN_KEYS being exactly the ``train:`` keys."""
    assert sorted(PARAMS["train"]) == sorted(TRAIN_KEYS)


def test_out_of_range_values_name_the_key():
    with pytest.raises(ValueError, match="train.steps must be positive, got -5"):
        train_config({**PARAMS, "model": {"m": {"steps": -5}}}, "m")
