"""Stage `advmix@<model>-<strategy>-<seed>`: robust fine-tuning of a clean model (AdvMix or a baseline).

Usage: python stages/advmix.py --model simplebaseline_r18 --strategy advmix --seed 0 \
           --teacher models/simplebaseline_r18.pt --data data/prepared/synthetic/train \
           --out models/advmix/simplebaseline_r18-advmix-s0.pt --live results/advmix/simplebaseline_r18-advmix-s0

The student starts from the clean checkpoint (which is also the frozen teacher) and is trained for
``advmix.steps`` with the strategy's images; ``standard`` is the same fine-tuning with neither
mixing nor distillation, the control that separates AdvMix from "more training".
"""
from __future__ import annotations

import io
import logging
import time
from dataclasses import asdict

import _common as C
import torch

from robustpose._io import write_bytes_atomic, write_json_atomic
from robustpose.models.net import checkpoint_payload, load_checkpoint
from robustpose.train.advmix import (STRATEGIES, generator_payload, mix_config_from_params, mixing_examples,
                                     student_from_teacher, train_advmix)
from robustpose.train.config import advmix_train_config
from robustpose.train.data import load_trainset
from robustpose.train.precision import resolve_precision

SCHEMA = {"models": list, "dataset": str, "strategies": list, "seeds": list, "steps": int, "lr": float, "warmup_steps": int,
          "k": int, "alpha": float, "kd_input": str, "generator_lr": float, "generator_width": int,
          "noise_channels": int, "attention_cell": int}


def check_params(params: dict, model: str, strategy: str, seed: int) -> tuple:
    """The student's schedule and the mixing settings of one fine-tuning run, validated (also
    run by the params_check stage for every run before any stage starts)."""
    C.section(params, "advmix", SCHEMA)   # validated here, read by the config builders
    C.check_choice("advmix.strategies[]", strategy, list(STRATEGIES))
    C.section(params, "train", C.TRAIN_SCHEMA)
    C.model_section(params, model)
    C.seed(params)
    try:
        return advmix_train_config(params, model, seed), mix_config_from_params(params, strategy)
    except (ValueError, TypeError) as err:
        raise C.ParamsError(f"params.yaml: {err}") from None


def main(argv: list[str] | None = None) -> None:
    parser = C.stage_parser("robust fine-tuning (AdvMix and baselines)",
                            ("--model", "--strategy", "--teacher", "--data", "--out", "--live"))
    parser.add_argument("--seed", type=int, required=True, help="fine-tuning seed (one of advmix.seeds)")
    args = parser.parse_args(argv)
    C.setup_logging()
    cfg, mix = check_params(C.load_params(), args.model, args.strategy, args.seed)

    teacher = load_checkpoint(args.teacher)
    if teacher.spec.name != args.model:
        raise ValueError(f"{args.teacher}: holds model {teacher.spec.name!r}, not {args.model!r}")
    data = load_trainset(args.data)
    logging.info("advmix %s: %s fine-tuning for %d steps (alpha %.2f) on %d instances from %s", args.model,
                 args.strategy, cfg.steps, mix.alpha, len(data.instances), args.data)

    from dvclive import Live
    t0 = time.time()
    with Live(dir=args.live, dvcyaml=None, save_dvc_exp=False, report=None) as live:
        student, generator, stats = train_advmix(student_from_teacher(teacher), teacher if mix.alpha > 0 else None,
                                                 data, cfg, mix, on_log=C.live_logger(live))
        live.summary = {"train_seconds": round(time.time() - t0, 1), "steps": cfg.steps,
                        **{k: v for k, v in stats["final"].items() if k.startswith("attn_")}}
    examples = mixing_examples(student.spec, generator, data, cfg, mix, step=cfg.steps - 1)
    from robustpose.report.figures import plot_mixing_examples, save_figure   # seaborn: ~4 s, only here
    save_figure(plot_mixing_examples(examples, f"{args.model}: {args.strategy}"), f"{args.live}/mixing.png")
    write_json_atomic(f"{args.live}/history.json", stats)
    buf = io.BytesIO()
    extra = {"train": dict(vars(cfg)), "precision": resolve_precision(cfg.precision), "advmix": asdict(mix),
             "teacher": args.teacher}
    payload = checkpoint_payload(student, extra)
    if generator is not None:
        payload["generator"] = generator_payload(generator)
    torch.save(payload, buf)
    write_bytes_atomic(args.out, buf.getvalue())
    logging.info("advmix@%s-%s-s%d done in %.1f s -> %s", args.model, args.strategy, args.seed,
                 time.time() - t0, args.out)


if __name__ == "__main__":
    C.run(main)
