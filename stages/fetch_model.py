"""Stage `fetch@<model>`: download one published mmpose checkpoint of the paper profile.

Usage: python stages/fetch_model.py --model hrnet_w32_256x192 --out models/hrnet_w32_256x192.pth

Mirrors: ``checkpoints.urls.<model>`` in params (a full URL), or ``ROBUSTPOSE_MIRROR_CHECKPOINTS``
(a base URL); ``checkpoints.sha256.<model>`` pins what a mirror serves when it is not the
published file. Without either, the sha256 prefix in the published file name is checked.
"""
from __future__ import annotations

import argparse
import logging
import time

import _common as C

from robustpose.models.fetch import fetch_checkpoint
from robustpose.models.pretrained import list_pretrained, pretrained_model

SCHEMA = {"urls": dict, "sha256": dict}


def check_params(params: dict) -> dict:
    """The ``checkpoints`` section (mirrors), validated."""
    sec = C.section(params, "checkpoints", SCHEMA)
    for key in ("urls", "sha256"):
        unknown = sorted(set(sec[key]) - set(list_pretrained()))
        if unknown:
            raise C.ParamsError(f"params.yaml: checkpoints.{key} names unknown model(s) {unknown}")
    return sec


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="download one pretrained checkpoint")
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True, help="checkpoint path")
    args = parser.parse_args(argv)
    C.setup_logging()
    C.check_choice("pretrained[]", args.model, list_pretrained())
    sec = check_params(C.load_params())
    model = pretrained_model(args.model)
    t0 = time.time()
    path = fetch_checkpoint(model, args.out, url=sec["urls"].get(args.model), sha256=sec["sha256"].get(args.model))
    ap = f"published AP {model.published_ap:.3f} on {model.dataset}" if model.published_ap else "no published AP"
    logging.info("fetch@%s: %s (%s) in %.1f s -> %s", args.model, model.family, ap, time.time() - t0, path)


if __name__ == "__main__":
    C.run(main)
