"""Stage `params_check`: every section of params.yaml validated before any other stage runs.

DVC removes a stage's outputs just before running it, so a stage that finds a bad value only
after that (`train.steps: ten`) would already have deleted `models/<model>.pt`. This stage runs
first (every other stage depends on its output) and checks, with the stages' own validators,
every section each stage of the current params would read. Its output never changes, so a params
edit reruns only the stages whose own params changed.

Usage: python stages/check_params.py --out results/params_check.txt
"""
from __future__ import annotations

import argparse
import logging

import _common as C

OK = "params.yaml: every section the pipeline reads is valid\n"


def check_all(params: dict) -> list[str]:
    """Validate what every stage of ``params`` will read; returns what was checked."""
    import advmix
    import evaluate
    import fetch_model
    import lift
    import prepare
    import train

    C.seed(params)
    checked = ["seed"]
    for dataset in params.get("datasets") or []:
        prepare.check_params(params, dataset)
        checked.append(dataset)
    C.corrupt_section(params)
    evaluate.check_params(params)
    checked += ["corrupt", "evaluate"]
    warm = (params.get("warmstart") or {}).get("models") or []
    for model in [*(params.get("models") or {}), *warm]:
        train.check_params(params, model)
        checked.append(f"model.{model}")
    adv = params.get("advmix") or {}
    for model in adv.get("models") or []:
        for strategy in adv.get("strategies") or []:
            for seed in adv.get("seeds") or []:
                advmix.check_params(params, model, strategy, seed)
    checked.append("advmix")
    lift.check_params(params)
    C.attack_grid(params)
    fetch_model.check_params(params)
    return checked + ["lift", "attack", "checkpoints"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    C.setup_logging()
    checked = check_all(C.load_params())
    from robustpose._io import write_text_atomic

    write_text_atomic(args.out, OK)
    logging.info("params.yaml valid (%s) -> %s", ", ".join(checked), args.out)


if __name__ == "__main__":
    C.run(main)
