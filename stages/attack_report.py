"""Stage `attack_report`: results/attack/<label>/<ds>.json (+ transfer, corruption metrics) -> tables, figures, metrics.

Usage: python stages/attack_report.py --attack results/attack --transfer results/attack_transfer \
           --metrics results/metrics --tables-dir reports/attack/tables \
           --figures-dir reports/attack/figures --metrics-out reports/attack/metrics.json
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # headless: never try a GUI backend
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from robustpose._io import read_json, write_json_atomic  # noqa: E402
from robustpose.report.attack_findings import findings_table  # noqa: E402
from robustpose.report.attack_figures import plot_figure2, plot_transfer, save_figure  # noqa: E402
from robustpose.report.attack_tables import (  # noqa: E402
    cross_robustness_table,
    defence_table,
    grid_table,
    headline_metrics,
    image_transfer_table,
    load_attack_results,
    load_corruption_metrics,
    per_joint_table,
    universal_transfer_table,
)
from robustpose.report.tables import write_table  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attack", type=Path, required=True, help="dir of <label>/<dataset>.json attack results")
    parser.add_argument("--transfer", type=Path, required=True,
                        help="dir of <dataset>.json transfer matrices (a missing file skips those outputs)")
    parser.add_argument("--metrics", type=Path, required=True,
                        help="dir of <label>/<dataset>.json corruption metrics (missing labels: empty cells)")
    parser.add_argument("--tables-dir", type=Path, required=True, help="dir for the *_<dataset>.md/.csv/.tex tables")
    parser.add_argument("--figures-dir", type=Path, required=True, help="dir for figure2_/transfer_<dataset>.png")
    parser.add_argument("--metrics-out", type=Path, required=True, help="summary JSON for dvc metrics")
    args = parser.parse_args(argv)

    attacks = load_attack_results(args.attack)
    if not attacks:
        parser.error(f"no attack results under {args.attack}/<label>/<dataset>.json")
    corruption = load_corruption_metrics(args.metrics)
    transfers = {}
    for dataset, results in attacks.items():
        tables = {"attacks": grid_table(results), "per_joint": per_joint_table(results),
                  "cross_robustness": cross_robustness_table(results, corruption.get(dataset, {})),
                  "defences": defence_table(results)}
        figures = {"figure2": plot_figure2(results)}
        transfer_path = args.transfer / f"{dataset}.json"
        if transfer_path.is_file():
            transfers[dataset] = transfer = read_json(transfer_path)
            tables["universal_transfer"] = universal_transfer_table(transfer)
            tables["image_transfer"] = image_transfer_table(transfer)
            figures["transfer"] = plot_transfer(transfer)
        else:
            print(f"no {transfer_path}: skipped universal_transfer_{dataset}, image_transfer_{dataset}, "
                  f"transfer_{dataset}.png")
        tables["findings"] = findings_table(results, transfers.get(dataset))
        for name, table in tables.items():
            paths = write_table(table, args.tables_dir / f"{name}_{dataset}")
            print(f"wrote {', '.join(str(p) for p in paths)}")
        for name, fig in figures.items():
            path = args.figures_dir / f"{name}_{dataset}.png"
            save_figure(fig, path)
            print(f"wrote {path}")
    write_json_atomic(args.metrics_out, headline_metrics(attacks, transfers))
    print(f"wrote {args.metrics_out}")


if __name__ == "__main__":
    main()
