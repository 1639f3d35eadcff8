"""Glue shared by the stage scripts: import path, logging, params loading and validation.

The library never reads params.yaml; each stage loads its own section here, validates it
(unknown key, wrong type, unknown name -> one-line error naming the key and the choices) and
passes plain values to the library.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402


class ParamsError(SystemExit):
    """A params problem: exits with a one-line message instead of a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(f"params error: {message}")


def run(main: Callable[[], None]) -> None:
    """Run a stage's ``main``; bad input ends it with one line naming the file and the problem.

    The library raises ValueError/KeyError/FileNotFoundError with messages that already name the
    file; a traceback would bury that line, so we print it alone and exit non-zero.
    """
    try:
        main()
    except (ValueError, KeyError, OSError, ImportError) as err:   # OSError: missing files, failed downloads;
        # ImportError: a model that needs an optional package (the message says which)
        sys.exit(f"error: {error_line(err)}")


def error_line(err: BaseException) -> str:
    """The one line a stage prints for ``err``: the library's message, or for an OS error
    (disk full, permission, missing file) its reason and the file it concerns."""
    if isinstance(err, OSError) and err.strerror:
        return f"{err.filename}: {err.strerror}" if err.filename else err.strerror
    message = str(err.args[0]) if err.args else repr(err)
    return message.splitlines()[0] if message.strip() else repr(err)


LABEL_HELP = "name in the results (default --model), e.g. simplebaseline_r18+advmix-s0"


def stage_parser(description: str, required: tuple[str, ...], *, label: bool = False) -> argparse.ArgumentParser:
    """The argument parser of a stage: every flag in ``required`` is a required string (dvc.yaml
    passes them all), plus ``--label`` for stages that run a fine-tuned copy under its own name."""
    parser = argparse.ArgumentParser(description=description)
    for flag in required:
        parser.add_argument(flag, required=True)
    if label:
        parser.add_argument("--label", help=LABEL_HELP)
    return parser


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    try:
        with open(path, "r", encoding="utf-8") as fh:
            params = yaml.safe_load(fh)
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found (run from the repository root)") from None
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: invalid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(params, dict):
        raise ParamsError(f"{path}: expected a mapping at the top level")
    check_top_level(params, path)
    return params


# Every top-level key a params file may have: a misspelt section (`evalute:`) must not run the
# stages with the old settings. Dataset sections are named after the datasets (tests check that
# this list covers robustpose.data.keypoints.DATASET_LAYOUTS).
TOP_LEVEL_KEYS = ("seed", "datasets", "corrupt", "models", "evaluations", "model", "warmstart", "pretrained",
                  "checkpoints", "pretrained_evaluations", "train", "advmix", "lift", "evaluate", "attack")
DATASET_SECTIONS = ("synthetic", "synthetic_animals", "coco", "ochuman", "mpii", "ap10k", "crowdpose")


def check_top_level(params: dict[str, Any], path: str | Path = "params.yaml") -> None:
    """Unknown top-level keys stop with the closest known name and the full list."""
    import difflib

    allowed = [*TOP_LEVEL_KEYS, *DATASET_SECTIONS]
    unknown = [k for k in params if k not in allowed]
    if unknown:
        hints = [f"{k!r} (did you mean {close[0]!r}?)" if (close := difflib.get_close_matches(str(k), allowed, 1))
                 else repr(k) for k in unknown]
        raise ParamsError(f"{path}: unknown top-level key(s) {', '.join(hints)}; allowed: {sorted(allowed)}")


def model_section(params: dict[str, Any], model: str) -> dict[str, Any]:
    """``model.<name>``: its keys are the registry spec's fields (architecture) and the training
    keys of ``train:`` (per-model schedule), the latter type-checked like ``train:`` itself."""
    from dataclasses import fields

    from robustpose.models.registry import ModelSpec

    models = params.get("model") or {}
    if model not in models:
        # DVC tracks model.<name> as the stage's params and, without it, stops with "Parameters
        # 'model.<name>' are missing": say what to add instead
        raise ParamsError(f"params.yaml: no section model.{model}; every trained model needs one (DVC tracks "
                          f"it as the stage's params): add `{model}: {{}}` under `model:` for the defaults")
    sec = models[model] or {}
    if not isinstance(sec, dict):
        raise ParamsError(f"params.yaml: model.{model} should be a mapping of overrides")
    arch = [f.name for f in fields(ModelSpec) if f.name != "name"]
    allowed = sorted([*arch, *TRAIN_SCHEMA])
    for key, value in sec.items():
        if key not in allowed:
            raise ParamsError(f"params.yaml: unknown key model.{model}.{key}; allowed: {allowed} "
                              f"(architecture: {sorted(arch)}; training: {sorted(TRAIN_SCHEMA)})")
        typ = TRAIN_SCHEMA.get(key)
        if typ and (not isinstance(value, typ) or isinstance(value, bool)):
            raise ParamsError(f"params.yaml: model.{model}.{key} = {value!r} should be of type "
                              f"{' or '.join(t.__name__ for t in _as_tuple(typ))} (as train.{key})")
    return sec


def section(params: dict[str, Any], key: str, schema: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """``params[key]`` checked against ``schema`` (every key required, no unknown keys)."""
    if key not in params or not isinstance(params[key], dict):
        raise ParamsError(f"params.yaml: missing section {key!r}")
    sec = params[key]
    unknown = sorted(set(sec) - set(schema))
    if unknown:
        raise ParamsError(f"params.yaml: unknown key(s) {[f'{key}.{u}' for u in unknown]}; allowed: {sorted(schema)}")
    for name, typ in schema.items():
        if name not in sec:
            raise ParamsError(f"params.yaml: missing key {key}.{name}")
        value = sec[name]
        if not isinstance(value, typ) or (isinstance(value, bool) and bool not in _as_tuple(typ)):
            raise ParamsError(f"params.yaml: {key}.{name} = {value!r} should be of type "
                              f"{' or '.join(t.__name__ for t in _as_tuple(typ))}")
    return sec


def _as_tuple(typ: type | tuple[type, ...]) -> tuple[type, ...]:
    return typ if isinstance(typ, tuple) else (typ,)


def check_choice(key: str, value: Any, choices: list[str]) -> None:
    if value not in choices:
        raise ParamsError(f"params.yaml: {key} = {value!r} is not one of {choices}")


def live_logger(live) -> Callable[[int, dict[str, float]], None]:
    """An ``on_log(step, values)`` callback that writes ``values`` to a dvclive ``Live`` at ``step``."""
    def on_log(step: int, values: dict[str, float]) -> None:
        live.step = step
        for key, value in values.items():
            live.log_metric(key, value)
        live.next_step()
    return on_log


def seed(params: dict[str, Any]) -> int:
    value = params.get("seed")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParamsError(f"params.yaml: seed = {value!r} should be an integer")
    return value


# `train:` (robustpose.train.topdown.TrainConfig): read by train@ and, for the base schedule, advmix@
TRAIN_SCHEMA = {"steps": int, "batch_size": int, "lr": float, "weight_decay": float, "warmup_steps": int,
                "scale_range": float, "rotation_deg": (int, float), "flip_prob": float, "photometric": str,
                "precision": str, "threads": int}


CORRUPT_SCHEMA = {"corruptions": list, "severities": list, "format": str, "jpeg_quality": int, "workers": int,
                  "on_bad_image": str}


def on_bad_image(params: dict[str, Any]) -> str:
    """``corrupt.on_bad_image`` alone, for stages that read images but not the corruption list
    (attack@): validating the list would make them import, and depend on, the corrupt package."""
    value = section(params, "corrupt", CORRUPT_SCHEMA)["on_bad_image"]
    check_choice("corrupt.on_bad_image", value, ["error", "skip"])
    return value


def corrupt_section(params: dict[str, Any]) -> dict[str, Any]:
    """The ``corrupt`` section, shared by the corrupt and evaluate stages, validated once here."""
    from robustpose import corrupt

    sec = section(params, "corrupt", CORRUPT_SCHEMA)
    try:
        corrupt.check_names(sec["corruptions"])
    except ValueError as err:
        raise ParamsError(f"params.yaml: corrupt.corruptions: {err}") from None
    if not sec["severities"] or any(isinstance(s, bool) or not isinstance(s, int) or s not in corrupt.SEVERITIES
                                    for s in sec["severities"]):
        raise ParamsError(f"params.yaml: corrupt.severities = {sec['severities']} must be a subset of 1..5")
    check_choice("corrupt.format", sec["format"], ["png", "jpeg"])
    check_choice("corrupt.on_bad_image", sec["on_bad_image"], ["error", "skip"])
    return sec


def attack_grid(params: dict[str, Any], label: str | None = None):
    """The ``attack`` section as a checked ``robustpose.attack.AttackGrid`` (one-line errors),
    for the run of model ``label`` (None: every entry of the grid)."""
    from robustpose.attack.grid import SCHEMA, AttackGrid

    sec = section(params, "attack", SCHEMA)
    check_choice("attack.device", sec["device"], ["cpu", "cuda", "auto"])
    try:
        return AttackGrid.from_section(sec, label)
    except ValueError as err:
        raise ParamsError(f"params.yaml: {err}") from None


def pinned_sha256(params: dict[str, Any], model: str) -> str | None:
    """The checkpoint digest ``checkpoints.sha256`` pins for ``model`` (a mirror's or a locally fitted
    file), else None: the loader then checks the registry's published prefix. Every stage that loads
    a checkpoint asks here, so they agree on which file is genuine."""
    return ((params.get("checkpoints") or {}).get("sha256") or {}).get(model)


def torch_device(name: str):
    """``cpu`` | ``cuda`` | ``auto`` (CUDA when present) as a torch device."""
    import torch

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ParamsError("params.yaml: device cuda requested but no CUDA device is available")
    return torch.device(name)
