"""Stage `lift`: train and evaluate 2D-to-3D lifters x {baseline, TAGN, CA-Conv, both} x seeds,
clean and under every corruption and severity (Human3.6M-C style).

Usage: python stages/lift.py --results results/lift/results.json --metrics results/lift/metrics.json \
           --tables-dir reports/lift/tables --figures-dir reports/lift/figures [--data DIR] \
           [--detector models/simplebaseline_r18.pt] [--frames DIR]

``lift.dataset: synthetic`` (default) synthesises the motion data from ``seed``; ``h36m`` and
``humaneva`` read mmpose-layout annotation files from ``--data`` (see robustpose.lift.h36m).
``lift.inputs: keypoints`` (default) corrupts the test 2D sequences (``lift.corruptions``);
``video`` corrupts the test videos frame by frame (``lift.video_corruptions``, image corruptions)
and runs the ``--detector`` checkpoint on them (robustpose.lift.video): rendered frames of the
synthetic motion, or Human3.6M frames under ``--frames`` at paper scale.
"""
from __future__ import annotations

import argparse
import logging
import os
import time

import _common as C

from robustpose._io import file_digest, write_json_atomic
from robustpose.lift.benchmark import BenchmarkConfig, headline_metrics, run_benchmark
from robustpose.lift.h36m import PAPER_DATASETS, load_split
from robustpose.lift.motion import MotionConfig, make_dataset
from robustpose.lift.tagn import TAGNConfig
from robustpose.report.lift import write_lift_reports

LIFT_SCHEMA = {"dataset": str, "detections": str, "train_subjects": int, "test_subjects": int, "cameras": int,
               "frames": int, "lifters": list, "variants": list, "seeds": list, "corruptions": list,
               "severities": list, "tcn_width": int, "transformer_width": int, "steps": int, "batch_size": int,
               "lr": float, "lr_final": float, "tagn_sigma": float, "tagn_rho": float, "tagn_prob": float,
               "eval_stride": int, "threads": int, "device": str, "workers": int,
               "inputs": str, "video_corruptions": list, "video_detector": str, "video_cameras": int,
               "video_person_px": (int, float), "video_flip_test": bool, "video_checkpoints": dict}
# Keys of the video path: required with ``inputs: video``, optional otherwise (params files and
# fixtures written before it keep working; an absent ``inputs`` means keypoints).
VIDEO_KEYS = ("inputs", "video_corruptions", "video_detector", "video_cameras", "video_person_px", "video_flip_test")
DVC_ONLY_KEYS = ("video_checkpoints",)   # read by dvc.yaml (lift_video@ foreach), never required here


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="3D lifting robustness benchmark")
    parser.add_argument("--results", required=True, help="full results JSON")
    parser.add_argument("--metrics", required=True, help="headline metrics JSON (dvc metrics)")
    parser.add_argument("--tables-dir", required=True, help="dir for lift_*.md/.csv/.tex")
    parser.add_argument("--figures-dir", required=True, help="dir for lift_*.png")
    parser.add_argument("--data", default=None, help="paper scale: dir of the annotation (and detection) files")
    parser.add_argument("--detector", default=None, help="lift.inputs = video: the 2D detector's checkpoint")
    parser.add_argument("--frames", default=None, help="lift.inputs = video, paper scale: dir of the extracted frames")
    parser.add_argument("--inputs", choices=["keypoints", "video"], default=None,
                        help="overrides lift.inputs (dvc.yaml: `lift` passes keypoints, `lift_video@<model>` video)")
    parser.add_argument("--detector-model", default=None, help="overrides lift.video_detector (lift_video@<model>)")
    args = parser.parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    raw = params.get("lift") if isinstance(params.get("lift"), dict) else {}
    # one `lift:` section serves two DVC stages: the command line says which inputs this one uses
    overrides = {k: v for k, v in (("inputs", args.inputs), ("video_detector", args.detector_model)) if v}
    if overrides:
        raw = params["lift"] = {**raw, **overrides}
    video_mode = raw.get("inputs", "keypoints") == "video"
    schema = {k: t for k, t in LIFT_SCHEMA.items()
              if k in raw or (k not in DVC_ONLY_KEYS and (video_mode or k not in VIDEO_KEYS))}
    sec = C.section(params, "lift", schema)
    C.check_choice("lift.dataset", sec["dataset"], ["synthetic", *PAPER_DATASETS])
    C.check_choice("lift.inputs", sec.get("inputs", "keypoints"), ["keypoints", "video"])
    try:
        cfg = BenchmarkConfig(
            lifters=tuple(sec["lifters"]), variants=tuple(sec["variants"]), seeds=tuple(sec["seeds"]),
            corruptions=tuple(sec["corruptions"]), severities=tuple(sec["severities"]), data_seed=C.seed(params),
            tcn_width=sec["tcn_width"], transformer_width=sec["transformer_width"], steps=sec["steps"],
            batch_size=sec["batch_size"], lr=sec["lr"], lr_final=sec["lr_final"],
            tagn=TAGNConfig(sigma_max=sec["tagn_sigma"], rho=sec["tagn_rho"], prob=sec["tagn_prob"]),
            eval_stride=sec["eval_stride"], threads=sec["threads"], device=sec["device"], workers=sec["workers"])
        cfg.train_config(0)   # validates steps, batch size, learning rates, threads, device
        motion = MotionConfig(train_subjects=sec["train_subjects"], test_subjects=sec["test_subjects"],
                              cameras=sec["cameras"], frames=sec["frames"])
    except ValueError as err:
        raise C.ParamsError(f"params.yaml: {err}") from None

    t0 = time.time()
    if sec["dataset"] == "synthetic":
        train, test = make_dataset(C.seed(params), motion)
        source = f"synthetic motion (seed {C.seed(params)})"
    else:
        if not args.data:
            raise C.ParamsError(f"params.yaml: lift.dataset = {sec['dataset']} needs --data <annotation dir>")
        train = load_split(sec["dataset"], args.data, "train", sec["detections"])
        test = load_split(sec["dataset"], args.data, "test", sec["detections"])
        source = f"{sec['dataset']} from {args.data} (2D: {sec['detections'] or 'ground truth'})"
    logging.info("lift: %s, %d train / %d test sequences", source, len(train), len(test))

    if video_mode:
        results = _run_video(sec, params, args, train, test, cfg)
    else:
        results = run_benchmark(train, test, cfg)
    results["data"] = {"source": source, "train_sequences": len(train), "test_sequences": len(test),
                       "train_subjects": sorted({s.subject for s in train}),
                       "test_subjects": sorted({s.subject for s in test})}
    if video_mode:
        results["data"]["detector"] = {"model": sec["video_detector"], "sha256": file_digest(args.detector)}
    write_json_atomic(args.results, results)
    write_json_atomic(args.metrics, headline_metrics(results))
    paths = write_lift_reports(results, args.tables_dir, args.figures_dir)
    logging.info("lift done in %.1f s -> %s, %s, %d tables/figures under %s and %s", time.time() - t0,
                 args.results, args.metrics, len(paths), args.tables_dir, args.figures_dir)


def _run_video(sec: dict, params: dict, args: argparse.Namespace, train: list, test: list,
               cfg: BenchmarkConfig) -> dict:
    """``lift.inputs: video``: the frame source and detector settings, then the benchmark."""
    from robustpose.lift.video import H36mFrames, SyntheticFrames, VideoConfig, run_video_benchmark

    if not args.detector:
        raise C.ParamsError("params.yaml: lift.inputs = video needs --detector <checkpoint>")
    if not os.path.isfile(args.detector):
        raise FileNotFoundError(f"{args.detector}: detector checkpoint not found")
    try:
        video = VideoConfig(corruptions=tuple(sec["video_corruptions"]), severities=tuple(sec["severities"]),
                            detector=sec["video_detector"], checkpoint=args.detector, dataset=sec["dataset"],
                            seed=C.seed(params), cameras=sec["video_cameras"], flip_test=sec["video_flip_test"],
                            threads=sec["threads"], device=sec["device"], workers=sec["workers"])
        if sec["dataset"] == "synthetic":
            source = SyntheticFrames(seed=C.seed(params), person_px=float(sec["video_person_px"]))
        elif sec["dataset"] == "h36m":
            if not args.frames:
                raise C.ParamsError("params.yaml: lift.inputs = video with lift.dataset = h36m needs --frames <dir>")
            source = H36mFrames(annotation=os.path.join(args.data, "h36m_test.npz"), images=args.frames)
        else:
            raise C.ParamsError(f"params.yaml: lift.inputs = video supports lift.dataset synthetic or h36m, "
                                f"not {sec['dataset']!r} (no video frames)")
    except ValueError as err:
        raise C.ParamsError(f"params.yaml: {err}") from None
    return run_video_benchmark(train, test, cfg, video, source)


if __name__ == "__main__":
    C.run(main)
