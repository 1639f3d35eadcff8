"""Stage `evaluate@<model>-<dataset>`: clean + every corruption x severity -> metrics JSON.

Usage: python stages/evaluate.py --model simcc_r18 --dataset synthetic --checkpoint models/simcc_r18.pt \
           --data data/prepared/synthetic/val --corrupted data/corrupted/synthetic \
           --predictions results/predictions/simcc_r18/synthetic --out results/metrics/simcc_r18/synthetic.json
"""
from __future__ import annotations

import logging
import os
import time

import _common as C

from robustpose._io import file_digest, write_json_atomic
from robustpose.data.coco_format import load_annotations
from robustpose.evaluate.benchmark import evaluate_model, metrics_meta, summarise
from robustpose.evaluate.distributed import close_world, init_world
from robustpose.evaluate.predict import person_boxes
from robustpose.evaluate.scoring import scorer_for
from robustpose.models.mmpose_inference import check_layout, describe_model, load_estimator

SCHEMA = {"boxes": str, "batch_size": int, "flip_test": bool}


def check_params(params: dict) -> tuple[dict, dict]:
    """The ``evaluate`` and ``corrupt`` sections, validated."""
    sec = C.section(params, "evaluate", SCHEMA)
    C.check_choice("evaluate.boxes", sec["boxes"], ["gt", "detector", "auto"])
    return sec, C.corrupt_section(params)


def main(argv: list[str] | None = None) -> None:
    parser = C.stage_parser("evaluate one model on one dataset",
                            ("--model", "--dataset", "--checkpoint", "--data", "--corrupted", "--predictions", "--out"),
                            label=True)
    parser.add_argument("--strategy", default="clean",
                        help="fine-tuning strategy of the run (advmix@); 'clean' = the model as trained")
    parser.add_argument("--run-seed", type=int, default=None, help="fine-tuning seed of the run (advmix@)")
    args = parser.parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    sec, csec = check_params(params)
    boxes_mode = sec["boxes"]
    if boxes_mode == "auto":   # the papers: detector boxes where the dataset ships them (COCO), else GT
        boxes_mode = "detector" if os.path.exists(f"{args.data}/person_boxes.json") else "gt"

    annotation_file = f"{args.data}/annotations.json"
    annotations = load_annotations(annotation_file)
    check_layout(args.model, args.dataset)   # e.g. an AP-10K model on COCO: one-line error
    pinned = C.pinned_sha256(params, args.model)   # a mirror's file (fetch@)
    estimator = load_estimator(args.model, args.checkpoint, batch_size=sec["batch_size"], flip_test=sec["flip_test"],
                               sha256=pinned)
    scorer = scorer_for(args.dataset, annotations)
    logging.info("evaluate %s on %s (%d images, %d corruptions x %d severities) on %s", args.model,
                 args.dataset, len(annotations["images"]), len(csec["corruptions"]),
                 len(csec["severities"]), estimator.device)
    t0 = time.time()
    boxes, box_scores = person_boxes(boxes_mode, annotations, args.data)
    world = init_world()   # torchrun: each rank predicts a shard; metrics identical to one process
    metrics = evaluate_model(
        estimator, annotation_file, f"{args.data}/images", args.corrupted, csec["corruptions"],
        csec["severities"], args.predictions, file_digest(args.checkpoint), boxes, box_scores,
        scorer=scorer,
        clean_digests={im["file_name"]: file_digest(f"{args.data}/images/{im['file_name']}")
                       for im in annotations["images"]},
        on_condition=lambda cond, m: world.is_main and logging.info("%-24s %s %.4f", cond.key, scorer.primary,
                                                                     m[scorer.primary]),
        world=world)
    if not world.is_main:
        close_world(world)
        return
    metrics["summary"] = summarise(metrics, scorer.primary)
    metrics["meta"] = metrics_meta(
        args.label or args.model, args.dataset, describe_model(args.model, args.checkpoint), scorer.primary,
        boxes=boxes_mode, flip_test=sec["flip_test"], corruptions=csec["corruptions"],
        run={"base_model": args.model, "strategy": args.strategy, "seed": args.run_seed})
    write_json_atomic(args.out, metrics)
    s = metrics["summary"]
    # rPC is None (undefined) when the clean score is 0: log it as nan rather than fail to format
    rpc = s.get("rPC") if s.get("rPC") is not None else float("nan")
    logging.info("evaluate@%s-%s: %s %.4f mPC %.4f rPC %.4f in %.1f s -> %s", args.model, args.dataset,
                 scorer.primary, metrics["clean"][scorer.primary], s.get("mPC", float("nan")), rpc,
                 time.time() - t0, args.out)
    close_world(world)


if __name__ == "__main__":
    C.run(main)
