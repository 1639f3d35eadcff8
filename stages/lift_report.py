"""Stage `lift_report` (and `lift_video_report@<model>`): lift results JSON -> tables and figures.

Usage: python stages/lift_report.py --results results/lift/results.json \
           --tables-dir reports/lift/tables --figures-dir reports/lift/figures

Kept apart from `lift` so that restyling a table or a figure redraws it from the JSON in seconds
instead of retraining every lifter.
"""
from __future__ import annotations

import argparse
import logging

import _common as C

from robustpose._io import read_json
from robustpose.report.lift import write_lift_reports


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="3D lifting tables and figures")
    parser.add_argument("--results", required=True, help="results JSON of the lift stage")
    parser.add_argument("--tables-dir", required=True, help="dir for lift_*.md/.csv/.tex")
    parser.add_argument("--figures-dir", required=True, help="dir for lift_*.png")
    args = parser.parse_args(argv)
    C.setup_logging()
    paths = write_lift_reports(read_json(args.results), args.tables_dir, args.figures_dir)
    logging.info("lift_report: %d tables/figures from %s under %s and %s", len(paths), args.results,
                 args.tables_dir, args.figures_dir)


if __name__ == "__main__":
    C.run(main)
