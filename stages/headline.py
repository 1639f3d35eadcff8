"""Stage `headline`: the few numbers `dvc metrics` shows, and the data `dvc plots` draws.

Reads what the report stages wrote and writes ``metrics/<model>/<dataset>.json``,
``metrics/lift/<lifter>/<variant>.json`` (see ``robustpose.report.headline``) and
``reports/plots/severity.csv`` (the training curves are plotted from each run's own log).
Inputs a profile does not make (no attacks, no lifting) are left out, with a log line.

Usage: python stages/headline.py --results reports/results.csv --metrics results/metrics \
           --attack reports/attack/metrics.json --lift results/lift/metrics.json \
           --out metrics --plots-dir reports/plots
"""
from __future__ import annotations

import argparse
import logging
import shutil
from pathlib import Path

import _common as C

from robustpose._io import read_json, write_json_atomic, write_text_atomic
from robustpose.report import dataset_metric, model_info, read_results
from robustpose.report.headline import headline_2d, headline_lift, severity_curves


def _optional_json(path: Path, what: str) -> dict:
    if path.exists():
        return read_json(path)
    logging.info("no %s at %s: left out of the headline", what, path)
    return {}


def _write_rows(out: Path, rows: dict[tuple[str, ...], dict]) -> None:
    for parts, values in rows.items():
        write_json_atomic(out.joinpath(*parts[:-1], f"{parts[-1]}.json"), values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True, help="reports/results.csv")
    parser.add_argument("--metrics", type=Path, required=True, help="dir of <model>/<dataset>.json")
    parser.add_argument("--attack", type=Path, required=True, help="attack summary JSON (may be absent)")
    parser.add_argument("--lift", type=Path, required=True, help="lifting summary JSON (may be absent)")
    parser.add_argument("--out", type=Path, required=True, help="headline metrics dir")
    parser.add_argument("--plots-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    C.setup_logging()

    df = read_results(args.results)
    info = model_info(sorted(args.metrics.glob("*/*.json")))
    metrics = {d: dataset_metric(info, d) for d in sorted(set(df["dataset"]))}
    rows = headline_2d(df, metrics, _optional_json(args.attack, "attack summary"))
    lift = headline_lift(_optional_json(args.lift, "lifting summary"))
    if args.out.exists():   # a model dropped from params must not leave its old row behind
        shutil.rmtree(args.out)
    _write_rows(args.out, rows)
    _write_rows(args.out / "lift", lift)
    logging.info("wrote %d headline rows (%d 2D, %d lifting) -> %s/", len(rows) + len(lift), len(rows),
                 len(lift), args.out)

    curves = severity_curves(df, metrics)
    path = args.plots_dir / "severity.csv"
    write_text_atomic(path, curves.to_csv(index=False))
    logging.info("wrote %s (%d rows)", path, len(curves))


if __name__ == "__main__":
    C.run(main)
