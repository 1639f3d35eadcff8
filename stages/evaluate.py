"""Stage `evaluate@<model>-<dataset>`: clean + every corruption x severity -> metrics JSON.

Usage: python stages/evaluate.py --model simcc_r18 --dataset synthetic --checkpoint models/simcc_r18.pt \
           --data data/prepared/synthetic/val --corrupted data/corrupted/synthetic \
           --predictions results/predictions/simcc_r18/synthetic --out results/metrics/simcc_r18/synthetic.json
"""
from __future__ import annotations

import argparse
import logging
import time

import _common as C

from robustpose import corrupt
from robustpose._io import file_digest, write_json_atomic
from robustpose.data.coco_format import load_annotations
from robustpose.data.keypoints import sigmas_for
from robustpose.evaluate.benchmark import evaluate_model, summarise
from robustpose.evaluate.distributed import close_world, init_world
from robustpose.evaluate.predict import person_boxes
from robustpose.models.estimator import PoseEstimator
from robustpose.models.net import load_checkpoint

SCHEMA = {"boxes": str, "batch_size": int, "flip_test": bool}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="evaluate one model on one dataset")
    for flag in ("--model", "--dataset", "--checkpoint", "--data", "--corrupted", "--predictions", "--out"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    sec = C.section(params, "evaluate", SCHEMA)
    csec = C.corrupt_section(params)
    C.check_choice("evaluate.boxes", sec["boxes"], ["gt", "detector"])

    annotation_file = f"{args.data}/annotations.json"
    annotations = load_annotations(annotation_file)
    net = load_checkpoint(args.checkpoint)
    estimator = PoseEstimator(net, batch_size=sec["batch_size"], flip_test=sec["flip_test"])
    logging.info("evaluate %s on %s (%d images, %d corruptions x %d severities) on %s", args.model,
                 args.dataset, len(annotations["images"]), len(csec["corruptions"]),
                 len(csec["severities"]), estimator.device)
    t0 = time.time()
    boxes, box_scores = person_boxes(sec["boxes"], annotations, args.data)
    world = init_world()   # torchrun: each rank predicts a shard; metrics identical to one process
    metrics = evaluate_model(
        estimator, annotation_file, f"{args.data}/images", args.corrupted, csec["corruptions"],
        csec["severities"], args.predictions, file_digest(args.checkpoint), boxes, box_scores,
        sigmas=sigmas_for(args.dataset),
        clean_digests={im["file_name"]: file_digest(f"{args.data}/images/{im['file_name']}")
                       for im in annotations["images"]},
        on_condition=lambda cond, m: world.is_main and logging.info("%-24s AP %.4f", cond.key, m["AP"]),
        world=world)
    if not world.is_main:
        close_world(world)
        return
    metrics["summary"] = summarise(metrics, "AP")
    metrics["meta"] = {"model": args.model, "dataset": args.dataset, "input_size": list(net.spec.input_size),
                       "head": net.spec.head, "metric": "AP", "boxes": sec["boxes"], "flip_test": sec["flip_test"],
                       "categories": {c: corrupt.category_of(c, corrupt.benchmark_family(csec["corruptions"]))
                                      for c in csec["corruptions"]}}
    write_json_atomic(args.out, metrics)
    s = metrics["summary"]
    logging.info("evaluate@%s-%s: AP %.4f mPC %.4f rPC %.4f in %.1f s -> %s", args.model, args.dataset,
                 metrics["clean"]["AP"], s.get("mPC", float("nan")), s.get("rPC", float("nan")),
                 time.time() - t0, args.out)
    close_world(world)


if __name__ == "__main__":
    C.run(main)
