"""How much do the trained results move with the training seed and with the CPU's kernels?

Training is bit-identical on one CPU type only, so every trained number of the embedded default
(clean AP, mPC, the AdvMix deltas) is one sample. This study retrains and re-evaluates the default
models outside the DVC graph, on the committed data and corruptions, once per variant:

    python studies/spread.py run --seed 1                  # another training seed
    python studies/spread.py run --seed 0 --kernels lowered  # this CPU made to compute like an older one
    python studies/spread.py collect                         # the committed `dvc repro` run (seed 0)
    python studies/spread.py table                           # reports/spread/table.md (+ .csv)

(`make spread` runs all of it: about 90 minutes on 2 cores.) A variant runs the exact commands of
`dvc.lock`'s train@, evaluate@, advmix@ and evaluate_advmix@ stages in `work/spread/<variant>/`,
a scratch workspace whose params.yaml differs from ours only in `seed` (which, once data and
corruptions exist, drives initial weights, batches, augmentation and the AdvMix draws; the data
are linked from this workspace, never regenerated). A killed run resumes at the first command whose
outputs are missing. Each variant's summary lands in `reports/spread/<variant>.json`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from robustpose import other_cpu, spread  # noqa: E402
from robustpose._io import write_text_atomic  # noqa: E402

STAGE_ORDER = ("train", "evaluate", "advmix", "evaluate_advmix")
LINKED = ("stages", "robustpose", "data")
OUT_DIR = ROOT / "reports" / "spread"
TABLE = ROOT / "reports" / "spread" / "table"


def lock_commands(lock: dict, models: list[str] | None = None) -> list[tuple[str, str, list[str]]]:
    """(stage name, command, output paths) of the training and evaluation stages, in run order;
    with ``models``, only the stages of those models (and their fine-tuning)."""
    stages = lock["stages"]
    order = {kind: i for i, kind in enumerate(STAGE_ORDER)}
    picked = [(name, entry) for name, entry in stages.items() if name.split("@")[0] in order
              and (not models or any(name.split("@")[1].startswith(f"{m}-") or name.split("@")[1] == m
                                     for m in models))]
    picked.sort(key=lambda item: order[item[0].split("@")[0]])
    return [(name, " ".join(entry["cmd"].split()), [o["path"] for o in entry.get("outs", [])])
            for name, entry in picked]


def variant_name(seed: int, kernels: str) -> str:
    return f"seed{seed}" + ("" if kernels == "default" else f"-{kernels}")


def _scratch(work: Path, seed: int) -> None:
    """The variant's workspace: our code and data linked, params.yaml with its own seed."""
    work.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = work / name
        if not link.exists():
            link.symlink_to(ROOT / name, target_is_directory=True)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["seed"] = seed
    write_text_atomic(work / "params.yaml", yaml.safe_dump(params, sort_keys=False))


def _env(kernels: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if kernels == "lowered":
        env.update(other_cpu.LOWERED)
    return env


def _md5(path: Path) -> str:
    """md5, the digest dvc.lock records for outputs, so a checkpoint can be compared with it."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "md5").hexdigest()


def check_data_current(lock: dict) -> None:
    """Stop unless this workspace's prepared and corrupted data are the ones dvc.lock records: a
    variant must differ from the committed run in its seed only, not in its data."""
    stages = [n for n in lock["stages"] if n.split("@")[0] in ("prepare", "corrupt")]
    out = subprocess.run([str(Path(sys.executable).parent / "dvc"), "status", "--json", *stages], cwd=ROOT,
                         capture_output=True, text=True)
    stale = sorted(json.loads(out.stdout or "{}")) if out.returncode == 0 else ["(dvc status failed)"]
    if stale:
        raise SystemExit(f"error: dvc.lock: the workspace's data differ from the lock in {stale[:3]}; "
                         f"run `dvc checkout` (or `dvc repro`) first")


def run_variant(seed: int, kernels: str, work_root: Path, models: list[str] | None = None) -> Path:
    """Run every training/evaluation command of dvc.lock for one variant (or those of ``models``);
    write its summary."""
    name = variant_name(seed, kernels)
    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())
    check_data_current(lock)
    work = work_root / name
    _scratch(work, seed)
    commands = lock_commands(lock, models)
    env = _env(kernels)
    seconds: dict[str, float] = {}
    for stage, cmd, outs in tqdm(commands, desc=f"spread {name}", unit="stage"):
        if all((work / out).exists() for out in outs):
            logging.info("%s: %s already done, skipped", name, stage)
            continue
        logging.info("%s: %s  (%s)", name, stage, cmd)
        t0 = time.time()
        done = subprocess.run(cmd, shell=True, cwd=work, env=env)
        if done.returncode != 0:
            raise SystemExit(f"error: {name}: {stage} failed (exit {done.returncode}); rerun to resume")
        seconds[stage] = round(time.time() - t0, 1)
    return _write_summary(name, seed, kernels, work, lock, seconds, source=f"work/spread/{name}")


def _write_summary(name: str, seed: int, kernels: str, work: Path, lock: dict,
                   seconds: dict[str, float], source: str) -> Path:
    metrics = {}
    for path in sorted((work / "results" / "metrics").glob("*/*.json")):
        metrics[f"{path.parent.name}/{path.stem}"] = json.loads(path.read_text())
    checkpoints = {}
    for stage, _, outs in lock_commands(lock):
        for out in outs:
            if out.endswith(".pt") and (work / out).exists():
                checkpoints[out] = _md5(work / out)
    summary = {
        "variant": name, "seed": seed, "kernels": kernels,
        "env": other_cpu.LOWERED if kernels == "lowered" else {},
        "cpu": other_cpu.cpu_name(), "source": source,
        "scores": spread.scores_from_metrics(metrics),
        "checkpoint_md5": checkpoints,
        "stage_seconds": seconds,
    }
    out = OUT_DIR / f"{name}.json"
    write_text_atomic(out, json.dumps(summary, indent=1, sort_keys=True) + "\n")
    logging.info("%s -> %s", name, out.relative_to(ROOT))
    return out


def collect() -> Path:
    """The committed `dvc repro` run is the seed-0, default-kernel variant: summarise it."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())
    check_data_current(lock)
    return _write_summary(variant_name(params["seed"], "default"), params["seed"], "default",
                          ROOT, lock, {}, source="dvc repro (this workspace, dvc.lock)")


def table() -> None:
    runs = [json.loads(p.read_text()) for p in sorted(OUT_DIR.glob("seed*.json"))]
    if not runs:
        raise SystemExit(f"error: {OUT_DIR.relative_to(ROOT)}: no variant summaries (run `make spread`)")
    frame = spread.spread_table(runs)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(TABLE.with_suffix(".csv"), frame.to_csv(index=False))
    write_text_atomic(TABLE.with_suffix(".md"), spread.render_markdown(runs))
    logging.info("spread of %d runs -> %s.{md,csv}", len(runs), TABLE.relative_to(ROOT))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="retrain and evaluate one variant")
    run.add_argument("--seed", type=int, required=True)
    run.add_argument("--kernels", choices=["default", "lowered"], default="default")
    run.add_argument("--work", default=str(ROOT / "work" / "spread"))
    run.add_argument("--models", nargs="+", default=None,
                     help="only these models' stages (and their fine-tuning); default: all")
    sub.add_parser("collect", help="summarise the committed dvc repro run")
    sub.add_parser("table", help="write reports/spread/table.{md,csv}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.command == "run":
        run_variant(args.seed, args.kernels, Path(args.work), args.models)
    elif args.command == "collect":
        collect()
    else:
        table()


if __name__ == "__main__":
    main()
