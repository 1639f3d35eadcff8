"""Stage `attack_transfer@<dataset>`: every attacked model's perturbations scored on every other.

Usage: python stages/attack_transfer.py --dataset synthetic --data data/prepared/synthetic/val \
           --attack results/attack --out results/attack_transfer/synthetic.json
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import _common as C
import torch

from robustpose import attack as A
from robustpose._io import file_digest, read_json, write_json_atomic
from robustpose.attack.transfer import Member, transfer_matrices
from robustpose.data.coco_format import load_annotations
from robustpose.evaluate.scoring import scorer_for
from robustpose.models.mmpose_inference import load_topdown


def main(argv: list[str] | None = None) -> None:
    parser = C.stage_parser("transfer of adversarial perturbations between models",
                            ("--dataset", "--data", "--attack", "--out"))
    args = parser.parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    grid = C.attack_grid(params)
    torch.set_num_threads(grid.threads)
    runs = [r for r in grid.section["runs"].values() if r["dataset"] == args.dataset]
    if not runs:
        raise C.ParamsError(f"params.yaml: attack.runs has no run on dataset {args.dataset!r}")
    annotations = A.first_images(load_annotations(f"{args.data}/annotations.json"), grid.max_images)
    scorer = scorer_for(args.dataset, annotations)
    device = C.torch_device(grid.device)
    on_bad_image = C.on_bad_image(params)   # the crops attack@ made: unreadable images left out alike
    members = []
    for run in runs:
        label = run.get("label", run["model"])
        results_file = Path(args.attack) / label / f"{args.dataset}.json"
        results = read_json(results_file)
        if results["meta"]["checkpoint_sha256"] != file_digest(run["checkpoint"]):
            raise ValueError(f"{results_file}: made with another checkpoint than {run['checkpoint']}; rerun attack@")
        objective = A.PoseObjective(load_topdown(run["model"], run["checkpoint"],
                                                             sha256=C.pinned_sha256(params, run["model"])), device=device)
        members.append(Member(label=label, family=objective.kind, objective=objective,
                              crops=A.load_crops(args.data, annotations, objective.input_hw,
                                                 on_bad_image=on_bad_image),
                              clean=results["clean"]["metric"][scorer.primary],
                              work_dir=Path(args.attack) / label / args.dataset))
    t0 = time.time()
    image_condition = grid.transfer[0] if grid.transfer else ""
    out = transfer_matrices(members, annotations, scorer, image_condition,
                            grid.transfer_universal_eps if grid.universal_eps else 0.0,
                            grid.settings(C.seed(params), args.dataset).batch_size)
    out["meta"] = {"dataset": args.dataset, "metric": scorer.primary, "image_specific": image_condition,
                   "universal_eps": grid.transfer_universal_eps, "families": {m.label: m.family for m in members}}
    write_json_atomic(args.out, out)
    logging.info("attack_transfer@%s: %d models in %.1f s -> %s", args.dataset, len(members), time.time() - t0, args.out)


if __name__ == "__main__":
    C.run(main)
