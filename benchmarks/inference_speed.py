"""Top-down inference throughput of the registered models, as ratios within one run.

Reports crops/s for each model and batch size, and the cost of flip testing relative to a
single pass (the reference in the same process), so numbers from different machines compare
as ratios. Then the evaluate stage's overhead: the per-crop cost of one condition as the stage
runs it (read the PNGs, crop every person box, forward at the stage's batch size, decode to
keypoints, map back to the image, OKS-score with pycocotools) over the bare forward pass of the
same crops at the same batch size. The last line is ``evaluate overhead: <ratio>x``.

Usage: python benchmarks/inference_speed.py [--repeats 3] [--split data/prepared/synthetic/val]
(the split is the embedded default's, made by ``dvc repro prepare@synthetic``).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from robustpose._io import read_json  # noqa: E402
from robustpose.evaluate.coco_metrics import load_coco  # noqa: E402
from robustpose.evaluate.predict import gt_person_boxes, predict_images  # noqa: E402
from robustpose.evaluate.scoring import scorer_for  # noqa: E402
from robustpose.models import crop as C  # noqa: E402
from robustpose.models import model_spec  # noqa: E402
from robustpose.models.estimator import PoseEstimator  # noqa: E402
from robustpose.models.net import PoseNet  # noqa: E402


def crops_per_second(est: PoseEstimator, images: list[np.ndarray], boxes: list[np.ndarray], repeats: int) -> float:
    est.predict(images[:2], boxes[:2])  # warm-up (allocator, oneDNN kernels)
    t0 = time.perf_counter()
    for _ in range(repeats):
        est.predict(images, boxes)
    return repeats * sum(len(b) for b in boxes) / (time.perf_counter() - t0)


def evaluate_overhead(net: PoseNet, split: Path, batch: int, repeats: int) -> tuple[float, float, int]:
    """(seconds of one condition as evaluate runs it, seconds of the bare forward of its crops,
    number of crops), each the best of ``repeats``."""
    from robustpose.data.images import read_image

    annotations = read_json(split / "annotations.json")
    images = sorted(annotations["images"], key=lambda im: im["id"])
    boxes = gt_person_boxes(annotations)
    scorer = scorer_for("synthetic", annotations)
    gt = load_coco(annotations)
    est = PoseEstimator(net, torch.device("cpu"), batch, flip_test=False)
    crops, _, _ = C.crop_people([read_image(split / "images" / im["file_name"]) for im in images],
                                [boxes.get(im["id"], np.zeros((0, 4))) for im in images], tuple(net.input_hw))
    x = PoseNet.normalise(torch.from_numpy(np.stack(crops)))

    def bare() -> None:
        with torch.no_grad():
            for s in range(0, len(x), batch):
                net(x[s:s + batch])

    def stage() -> None:
        preds = predict_images(est, images, lambda im: split / "images" / im["file_name"], boxes)
        scorer.score(gt, preds)

    timings = {}
    for name, fn in (("bare", bare), ("stage", stage)):
        fn()   # warm-up
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - t0)
        timings[name] = min(runs)
    return timings["stage"], timings["bare"], len(crops)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["simplebaseline_r18", "simcc_r18"])
    parser.add_argument("--split", type=Path, default=Path("data/prepared/synthetic/val"))
    parser.add_argument("--batch", type=int, default=64, help="the evaluate stage's batch size")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    images = [(rng.random((192, 192, 3)) * 255).astype(np.uint8) for _ in range(32)]
    boxes = [np.array([[20.0, 10, 80, 160], [100, 30, 60, 120]]) for _ in images]
    print(f"{'model':22s} {'batch':>5s} {'crops/s':>9s} {'flip cost':>10s}")
    for name in args.models:
        net = PoseNet(model_spec(name))
        for batch in (16, 64):
            single = crops_per_second(PoseEstimator(net, torch.device("cpu"), batch, flip_test=False),
                                      images, boxes, args.repeats)
            flip = crops_per_second(PoseEstimator(net, torch.device("cpu"), batch, flip_test=True),
                                    images, boxes, args.repeats)
            print(f"{name:22s} {batch:5d} {single:9.1f} {single / flip:9.2f}x")
    if not (args.split / "annotations.json").exists():
        sys.exit(f"{args.split}: no prepared split; run `dvc repro prepare@synthetic` first")
    ratios = []
    for name in args.models:
        net = PoseNet(model_spec(name, input_size=(128, 96), base_channels=32)).eval()
        stage, bare, n = evaluate_overhead(net, args.split, args.batch, args.repeats)
        ratios.append(stage / bare)
        print(f"{name}: one condition, {n} crops: stage {1000 * stage / n:.2f} ms/crop, "
              f"bare forward {1000 * bare / n:.2f} ms/crop")
    print(f"evaluate overhead: {max(ratios):.2f}x")


if __name__ == "__main__":
    main()
