"""Stage `attack@<label>-<dataset>`: adversarial attacks on one model -> results/attack/<label>/<dataset>.json.

Usage: python stages/attack.py --model simplebaseline_r18 --label simplebaseline_r18 --dataset synthetic \
           --checkpoint models/simplebaseline_r18.pt --data data/prepared/synthetic/val \
           --universal-data data/prepared/synthetic/train --work results/attack/simplebaseline_r18/synthetic \
           --out results/attack/simplebaseline_r18/synthetic.json
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import _common as C
import torch

from robustpose import attack as A
from robustpose._io import file_digest, write_json_atomic
from robustpose.data.coco_format import load_annotations
from robustpose.evaluate.scoring import scorer_for
from robustpose.models.mmpose_inference import check_layout, describe_model, load_topdown


def _universals(args, grid, objective, settings, annotations: dict, digest: str, on_bad_image: str) -> dict:
    """eps -> the universal perturbation fitted on ``--universal-data`` (the train split, or at
    paper scale the val images that are not attacked)."""
    universals: dict = {}
    if not grid.universal_eps:
        return universals
    uni_ann = load_annotations(f"{args.universal_data}/annotations.json")
    if Path(args.universal_data).resolve() == Path(args.data).resolve():
        uni_ann = A.other_images(uni_ann, annotations)   # paper scale: no train split, fit on the rest
        if not uni_ann["annotations"]:
            raise C.ParamsError(f"{args.universal_data}: no validation image is left for the universal "
                                f"perturbation after the {len(annotations['images'])} attacked ones; "
                                "lower attack.max_images or set attack.universal_eps: []")
    uni = A.load_crops(args.universal_data, uni_ann, objective.input_hw, max_crops=grid.universal_max_crops,
                       on_bad_image=on_bad_image)
    for eps in grid.universal_eps:
        t1 = time.time()
        universals[eps] = A.universal_perturbation(objective, uni, eps, settings, args.work, digest)
        logging.info("universal perturbation, eps %g, over %d crops of %s: %.1f s", eps, len(uni),
                     args.universal_data, time.time() - t1)
    return universals


def main(argv: list[str] | None = None) -> None:
    parser = C.stage_parser("attack one model on one dataset",
                            ("--model", "--dataset", "--checkpoint", "--data", "--universal-data", "--work", "--out"),
                            label=True)
    args = parser.parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    label = args.label or args.model
    grid = C.attack_grid(params, label)
    torch.set_num_threads(grid.threads)
    check_layout(args.model, args.dataset)
    annotations = A.first_images(load_annotations(f"{args.data}/annotations.json"), grid.max_images)
    scorer = scorer_for(args.dataset, annotations)
    pinned = C.pinned_sha256(params, args.model)
    objective = A.PoseObjective(load_topdown(args.model, args.checkpoint, sha256=pinned),
                                device=C.torch_device(grid.device))
    settings = grid.settings(C.seed(params), args.dataset)
    on_bad_image = C.on_bad_image(params)
    skipped: list[str] = []
    crops = A.load_crops(args.data, annotations, objective.input_hw, on_bad_image=on_bad_image, skipped=skipped)
    logging.info("attack %s (%s head) on %s: %d crops of %d images, %d conditions, on %s", label, objective.kind,
                 args.dataset, len(crops), len(annotations["images"]), len(grid.conditions), objective.device)
    t0 = time.time()
    digest = file_digest(args.checkpoint)
    universals = _universals(args, grid, objective, settings, annotations, digest, on_bad_image)
    targets = A.targets_for(objective, crops, annotations, scorer, settings.seed, args.dataset,
                            settings.batch_size, settings.flip_test) if grid.targeted else None
    run = A.AttackRun(objective, crops, annotations, scorer, targets, settings, args.work, digest,
                      universals=universals, save_adversarial=grid.transfer,
                      reuse=A.reused_adversarials(grid.conditions))

    def report(cond: A.Condition, rec: dict) -> None:
        rel = "n/a" if rec["relative"] is None else f"{rec['relative']:.1f}"
        target = f"  target {rec['target_metric'][scorer.primary]:.4f}" if "target_metric" in rec else ""
        logging.info("%-24s %s %.4f  relative %s%s", cond.key, scorer.primary, rec["metric"][scorer.primary],
                     rel, target)

    results = A.run_attacks(run, grid.conditions, on_condition=report)
    results["summary"] = A.summary(results, scorer.primary, grid.headline)
    results["meta"] = {"model": label, "architecture": args.model, "dataset": args.dataset,
                       **describe_model(args.model, args.checkpoint), "metric": scorer.primary,
                       "family": objective.kind, "checkpoint_sha256": digest, "crops": len(crops),
                       "images": len(annotations["images"]), "skipped_images": skipped, "boxes": "gt",
                       "universal_data": args.universal_data,
                       "attack": grid.describe()}
    write_json_atomic(args.out, results)
    logging.info("attack@%s-%s: %d conditions in %.1f s -> %s", label, args.dataset, len(grid.conditions),
                 time.time() - t0, args.out)

if __name__ == "__main__":
    C.run(main)
