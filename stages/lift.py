"""Stage `lift`: train and evaluate 2D-to-3D lifters x {baseline, TAGN, CA-Conv, both} x seeds,
clean and under every keypoint-sequence corruption and severity (Human3.6M-C style).

Usage: python stages/lift.py --results results/lift/results.json --metrics results/lift/metrics.json [--data DIR]

``lift.dataset: synthetic`` (default) synthesises the motion data from ``seed``; ``h36m`` and
``humaneva`` read mmpose-layout annotation files from ``--data`` (see robustpose.lift.h36m).
The video path (image corruptions on rendered or recorded frames, a 2D detector in the loop) is
`lift_video@<model>`, stages/lift_video.py, which runs this script's ``main`` with its own
inputs; this one imports none of the 2D model or image code, so a change there retrains no
lifter. Tables and figures are drawn from the results JSON by `lift_report`.
"""
from __future__ import annotations

import argparse
import logging
import time
from typing import Any, Callable

import _common as C

from robustpose._io import write_json_atomic
from robustpose.lift.benchmark import BenchmarkConfig, headline_metrics, run_benchmark
from robustpose.lift.h36m import PAPER_DATASETS
from robustpose.lift.setup import benchmark_config, data_summary, load_sequences, motion_config

LIFT_SCHEMA = {"dataset": str, "detections": str, "train_subjects": int, "test_subjects": int, "cameras": int,
               "frames": int, "lifters": list, "variants": list, "seeds": list, "corruptions": list,
               "severities": list, "tcn_width": int, "transformer_width": int, "steps": int, "batch_size": int,
               "lr": float, "lr_final": float, "tagn_sigma": float, "tagn_rho": float, "tagn_prob": float,
               "eval_stride": int, "threads": int, "device": str, "workers": int}
# Keys of the video path (stages/lift_video.py): required there, optional and unused here.
VIDEO_SCHEMA = {"video_corruptions": list, "video_detector": str, "video_cameras": int,
                "video_person_px": (int, float), "video_flip_test": bool}
DVC_ONLY_SCHEMA = {"video_checkpoints": dict}   # read by dvc.yaml (lift_video@ foreach), never here

# (validated section, seed, parsed arguments, train, test, config) -> results JSON
Runner = Callable[[dict, int, argparse.Namespace, list, list, BenchmarkConfig], dict]


def parser(description: str = "3D lifting robustness benchmark") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--results", required=True, help="full results JSON")
    p.add_argument("--metrics", required=True, help="headline metrics JSON (dvc metrics)")
    p.add_argument("--data", default=None, help="paper scale: dir of the annotation (and detection) files")
    return p


def lift_section(params: dict[str, Any], video: bool) -> dict[str, Any]:
    """The validated ``lift`` section: the video keys are required for the video path only."""
    raw = params.get("lift") if isinstance(params.get("lift"), dict) else {}
    optional = {k: t for k, t in {**VIDEO_SCHEMA, **DVC_ONLY_SCHEMA}.items() if k in raw}
    schema = {**LIFT_SCHEMA, **(VIDEO_SCHEMA if video else {}), **optional}
    sec = C.section(params, "lift", schema)
    C.check_choice("lift.dataset", sec["dataset"], ["synthetic", *PAPER_DATASETS])
    return sec


def check_params(params: dict[str, Any], video: bool = False) -> tuple:
    """The ``lift`` section and the benchmark and motion configs built from it, validated."""
    sec = lift_section(params, video)
    try:
        return sec, benchmark_config(sec, C.seed(params)), motion_config(sec)
    except ValueError as err:
        raise C.ParamsError(f"params.yaml: {err}") from None


def main(argv: list[str] | None = None, *, arguments: argparse.ArgumentParser | None = None,
         runner: Runner | None = None, overrides: Callable[[argparse.Namespace], dict] | None = None) -> None:
    """Keypoint benchmark by default; stages/lift_video.py passes its own arguments, section
    overrides and runner (the video benchmark)."""
    args = (arguments or parser()).parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    if overrides and isinstance(params.get("lift"), dict):
        params["lift"] = {**params["lift"], **overrides(args)}
    sec, cfg, motion = check_params(params, video=runner is not None)
    seed = C.seed(params)
    if sec["dataset"] != "synthetic" and not args.data:
        raise C.ParamsError(f"params.yaml: lift.dataset = {sec['dataset']} needs --data <annotation dir>")
    t0 = time.time()
    train, test, source = load_sequences(sec, seed, args.data, motion)
    logging.info("lift: %s, %d train / %d test sequences", source, len(train), len(test))
    results = runner(sec, seed, args, train, test, cfg) if runner else run_benchmark(train, test, cfg)
    results["data"] = {**data_summary(train, test, source), **results.get("data", {})}
    write_json_atomic(args.results, results)
    write_json_atomic(args.metrics, headline_metrics(results))
    logging.info("lift done in %.1f s -> %s, %s", time.time() - t0, args.results, args.metrics)


if __name__ == "__main__":
    C.run(main)
