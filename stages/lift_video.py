"""Stage `lift_video@<model>`: Human3.6M-C's video path. The test videos (rendered synthetic
frames, or Human3.6M frames at paper scale) are corrupted frame by frame with image corruptions
(``lift.video_corruptions`` x ``lift.severities``, seeded per frame like the corrupt stage), a 2D
detector predicts each frame, and the lifters of stages/lift.py lift its keypoints.

Usage: python stages/lift_video.py --detector-model simplebaseline_r18 --detector models/simplebaseline_r18.pt \
           --results results/lift_video/simplebaseline_r18/results.json \
           --metrics results/lift_video/simplebaseline_r18/metrics.json [--data DIR --frames DIR]
"""
from __future__ import annotations

import argparse
import os

import _common as C
import lift

from robustpose._io import file_digest
from robustpose.lift.benchmark import BenchmarkConfig
from robustpose.lift.video import H36mFrames, SyntheticFrames, VideoConfig, run_video_benchmark


def arguments() -> argparse.ArgumentParser:
    p = lift.parser("3D lifting robustness on corrupted video")
    p.add_argument("--detector", default=None, help="the 2D detector's checkpoint")
    p.add_argument("--detector-model", default=None, help="overrides lift.video_detector (lift_video@<model>)")
    p.add_argument("--frames", default=None, help="paper scale: dir of the extracted Human3.6M frames")
    return p


def run_video(sec: dict, seed: int, args: argparse.Namespace, train: list, test: list, cfg: BenchmarkConfig) -> dict:
    """The frame source and detector settings, then the benchmark."""
    if not args.detector:
        raise C.ParamsError("params.yaml: the video path needs --detector <checkpoint>")
    if not os.path.isfile(args.detector):
        raise FileNotFoundError(f"{args.detector}: detector checkpoint not found")
    try:
        video = VideoConfig(corruptions=tuple(sec["video_corruptions"]), severities=tuple(sec["severities"]),
                            detector=sec["video_detector"], checkpoint=args.detector, dataset=sec["dataset"],
                            seed=seed, cameras=sec["video_cameras"], flip_test=sec["video_flip_test"],
                            threads=sec["threads"], device=sec["device"], workers=sec["workers"])
        if sec["dataset"] == "synthetic":
            source = SyntheticFrames(seed=seed, person_px=float(sec["video_person_px"]))
        elif sec["dataset"] == "h36m":
            if not args.frames:
                raise C.ParamsError("params.yaml: the video path with lift.dataset = h36m needs --frames <dir>")
            source = H36mFrames(annotation=os.path.join(args.data, "h36m_test.npz"), images=args.frames)
        else:
            raise C.ParamsError(f"params.yaml: the video path supports lift.dataset synthetic or h36m, "
                                f"not {sec['dataset']!r} (no video frames)")
    except ValueError as err:
        raise C.ParamsError(f"params.yaml: {err}") from None
    results = run_video_benchmark(train, test, cfg, video, source)
    results["data"] = {"detector": {"model": sec["video_detector"], "sha256": file_digest(args.detector)}}
    return results


def main(argv: list[str] | None = None) -> None:
    lift.main(argv, arguments=arguments(), runner=run_video,
              overrides=lambda a: {"video_detector": a.detector_model} if a.detector_model else {})


if __name__ == "__main__":
    C.run(main)
