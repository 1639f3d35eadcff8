"""Stage `train@<model>`: train one top-down model on the clean training split (`warmstart@<model>`:
the same, starting from another trained model's backbone, ``--init``).

Usage: python stages/train.py --model simcc_r18 --dataset synthetic --data data/prepared/synthetic/train \
           --out models/simcc_r18.pt --live results/train/simcc_r18
"""
from __future__ import annotations

import argparse
import io
import logging
import time

import _common as C
import torch

from robustpose._io import file_digest, write_bytes_atomic
from robustpose.models import list_models, model_spec
from robustpose.models.mmpose_inference import check_layout
from robustpose.models.net import PoseNet, checkpoint_payload, read_checkpoint, transfer_weights
from robustpose.seeding import derive_entropy
from robustpose.train.config import model_overrides, train_config
from robustpose.train.data import load_trainset
from robustpose.train.precision import resolve_precision
from robustpose.train.topdown import train_topdown


def check_params(params: dict, model: str) -> tuple:
    """The model's spec and training config, every key they read validated (one-line errors);
    also what the params_check stage runs for every trained model before any stage starts."""
    C.check_choice("models[]", model, list_models())
    C.section(params, "train", C.TRAIN_SCHEMA)   # validated here, read by train_config
    C.model_section(params, model)
    C.seed(params)
    try:
        # model.<name> holds architecture overrides and, optionally, per-model training overrides
        return model_spec(model, **model_overrides(params, model)), train_config(params, model)
    except (ValueError, TypeError) as err:
        raise C.ParamsError(f"params.yaml: {err}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="train one model")
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", required=True, help="the training set's name (its keypoint layout)")
    parser.add_argument("--data", required=True, help="training split: annotations.json + images/")
    parser.add_argument("--out", required=True, help="checkpoint path")
    parser.add_argument("--live", required=True, help="dvclive directory")
    parser.add_argument("--init", default=None,
                        help="start from this checkpoint's backbone and deconvolution layers (warmstart@)")
    args = parser.parse_args(argv)
    C.setup_logging()
    params = C.load_params()
    spec, cfg = check_params(params, args.model)
    check_layout(args.model, args.dataset)   # e.g. the animal model on people: one-line error

    data = load_trainset(args.data)
    logging.info("train %s (%s head, input %s) on %d instances from %s", spec.name, spec.head,
                 spec.input_size, len(data.instances), args.data)

    net = PoseNet(spec, init_seed=derive_entropy(cfg.seed, spec.name, 'init') % 2**63)
    # which arithmetic trained it (train.precision: auto resolves per CPU); not a timing, so the
    # bytes stay a function of params and CPU type
    meta = {"train": dict(vars(cfg)), "precision": resolve_precision(cfg.precision)}
    if args.init:
        payload, _ = read_checkpoint(args.init)
        copied = transfer_weights(net, payload["state_dict"])
        meta["init"] = {"checkpoint": args.init, "sha256": file_digest(args.init), "tensors": len(copied)}
        logging.info("initialised %d of %d tensors from %s", len(copied), len(net.state_dict()), args.init)

    from dvclive import Live  # dvclive: curves for `dvc plots`; dvcyaml=None keeps dvc.yaml ours
    t0 = time.time()
    with Live(dir=args.live, dvcyaml=None, save_dvc_exp=False, report=None) as live:
        net = train_topdown(net, data, cfg, on_log=C.live_logger(live))
        live.summary = {"train_seconds": round(time.time() - t0, 1), "instances": len(data.instances)}
    buf = io.BytesIO()
    # no timings in the checkpoint: the same params must give the same bytes (DVC hashes them)
    torch.save(checkpoint_payload(net, meta), buf)
    write_bytes_atomic(args.out, buf.getvalue())
    logging.info("train@%s done in %.1f s -> %s", spec.name, time.time() - t0, args.out)


if __name__ == "__main__":
    C.run(main)
