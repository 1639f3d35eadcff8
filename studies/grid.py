"""Run one of PoseBench's robustness-factor grids as DVC experiments and write its table.

    make grid-resolution                           # = python studies/grid.py run resolution
    python studies/grid.py list                    # the grids and their points
    python studies/grid.py table resolution        # rebuild the table from the recorded runs

Each point of the grid (configs/grids.yaml) is one `dvc exp run --temp -n grid-<grid>-<point>
-S key=value ... <target>`: DVC's queue executor run in the foreground, in a temporary copy of the
repository (the workspace and its outputs are left as they are; data and unchanged stages come
from the DVC cache, so run `make repro` first). Not `--queue` + `--run-all`: on this machine the
queue's celery worker once shut down "due to empty queue" just as a task was handed to it,
leaving the task "Running" forever and `--run-all` waiting on it. The point's metrics file is
read from the experiment's git ref and recorded, with the run's wall time, in
reports/grids/<grid>/runs.json after each point: a killed grid resumes at the first point not
recorded for the current commit. Then reports/grids/<grid>/table.{md,csv,tex} and conclusion.md
are written from the recorded runs.
"""
from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from robustpose import grids  # noqa: E402
from robustpose._io import write_text_atomic  # noqa: E402
from robustpose.other_cpu import cpu_name  # noqa: E402
from robustpose.report.tables import write_table  # noqa: E402

GRIDS = ROOT / "configs" / "grids.yaml"
OUT = ROOT / "reports" / "grids"
# Tracked inputs of every experiment: uncommitted changes to them would go into the queued
# experiment but not into the commit the table names.
INPUTS = ("robustpose", "stages", "dvc.yaml", "params.yaml", "configs/grids.yaml")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def _dvc(*args: str) -> None:
    """Run a dvc command from this venv, its output shown; stop with one line if it fails."""
    cmd = [str(Path(sys.executable).parent / "dvc"), *args]
    logging.info("$ %s", " ".join(cmd))
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        raise SystemExit(f"error: `{' '.join(['dvc', *args])}` failed; fix it and rerun (finished points are kept)")


def _find_ref(name: str, baseline: str) -> str | None:
    refs = _git("for-each-ref", "--format=%(refname)", f"refs/exps/{baseline[:2]}/{baseline[2:]}/").split()
    return next((r for r in refs if r.rsplit("/", 1)[-1] == name), None)


def _exp_ref(name: str, baseline: str) -> str:
    """The git ref DVC stored experiment ``name`` of ``baseline`` under."""
    ref = _find_ref(name, baseline)
    if ref is None:
        raise SystemExit(f"error: experiment {name} of {baseline[:7]} has no git ref after its run "
                         f"(`dvc exp show` lists what exists)")
    return ref


def _runs_path(grid: grids.Grid) -> Path:
    return OUT / grid.name / "runs.json"


def _load_runs(grid: grids.Grid) -> dict:
    path = _runs_path(grid)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise SystemExit(f"error: {path.relative_to(ROOT)}: not JSON ({err.msg}); delete it to rerun the grid")


def _warn_uncommitted() -> None:
    dirty = _git("status", "--porcelain", "--", *INPUTS)
    if dirty:
        logging.warning("uncommitted changes to the pipeline's inputs go into the experiments but not into "
                        "the commit the table names:\n%s", dirty)


def run_point(grid: grids.Grid, point: grids.Point, baseline: str) -> dict:
    """Run one point as an experiment; return its record (overrides, target, wall time, metrics)."""
    name = grid.exp_name(point)
    if _find_ref(name, baseline):   # run before but not recorded (killed in between): run it again
        _dvc("exp", "remove", name)
    t0 = time.time()
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    _dvc("exp", "run", "--temp", "-n", name, *grids.set_arguments(point.overrides, params), point.target)
    seconds = time.time() - t0
    ref = _exp_ref(name, baseline)
    try:
        metrics = json.loads(_git("show", f"{ref}:{point.metrics}"))
    except subprocess.CalledProcessError:
        raise SystemExit(f"error: experiment {name} wrote no {point.metrics} (is the grid's metrics path "
                         f"the target's output?)") from None
    return {"experiment": name, "ref": ref, "baseline": baseline, "overrides": point.overrides,
            "target": point.target, "seconds": round(seconds, 1), "cpu": cpu_name(),
            "metrics": {k: metrics[k] for k in ("clean", "summary", "meta") if k in metrics}}


def run(grid: grids.Grid) -> None:
    """Every point not yet recorded for the current commit, then the table."""
    _warn_uncommitted()
    baseline = _git("rev-parse", "HEAD")
    runs = _load_runs(grid)
    for i, point in enumerate(grid.points, start=1):
        if runs.get(point.name, {}).get("baseline") == baseline:
            logging.info("grid %s: %s already recorded for %s, skipped", grid.name, point.name, baseline[:7])
            continue
        logging.info("grid %s: point %d/%d %s (%s)", grid.name, i, len(grid.points), point.name,
                     " ".join(grids.set_arguments(point.overrides)) or "defaults")
        runs[point.name] = run_point(grid, point, baseline)
        write_text_atomic(_runs_path(grid), json.dumps(runs, indent=1, sort_keys=True) + "\n")
    table(grid)


def table(grid: grids.Grid) -> None:
    """reports/grids/<grid>/table.{md,csv,tex} and conclusion.md from the recorded runs."""
    runs = _load_runs(grid)
    if not runs:
        raise SystemExit(f"error: grid {grid.name}: no recorded runs in {_runs_path(grid).relative_to(ROOT)}; "
                         f"run `make grid-{grid.name}`")
    frame = grids.grid_table(grid, runs)
    paths = write_table(frame, OUT / grid.name / "table")
    write_text_atomic(OUT / grid.name / "conclusion.md", grids.conclusion(grid, frame))
    logging.info("grid %s: %d points -> %s, conclusion.md", grid.name, len(frame),
                 ", ".join(str(p.relative_to(ROOT)) for p in paths))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the grids and their points")
    for command in ("run", "table"):
        sub.add_parser(command).add_argument("grid")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        defined = grids.load_grids(GRIDS)
        if args.command == "list":
            for grid in defined.values():
                print(f"{grid.name}: {grid.question}")
                for point in grid.points:
                    print(f"  {point.name:24s} {' '.join(grids.set_arguments(point.overrides)) or '(default)'}")
            return
        grid = grids.pick(defined, args.grid)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    run(grid) if args.command == "run" else table(grid)


if __name__ == "__main__":
    main()
