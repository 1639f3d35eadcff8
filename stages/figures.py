"""Stage `figures`: reports/results.csv -> reports/figures/*_<dataset>.png (Wang et al.'s on COCO-C's
15, PoseBench's mRR-vs-clean scatter and radar on its 10), and a preview grid of one image under
every evaluated corruption and severity (reports/figures/corruptions_<dataset>.png).

Usage: python stages/figures.py --results reports/results.csv --metrics results/metrics \
           --prepared data/prepared --corrupted data/corrupted --out-dir reports/figures
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # headless: never try a GUI backend
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from robustpose.corrupt.dataset import example_images  # noqa: E402
from robustpose.report import (  # noqa: E402
    dataset_metric,
    model_info,
    plot_ap_per_corruption,
    plot_ap_vs_severity,
    plot_corruption_grid,
    plot_rpc_vs_clean,
    read_results,
    save_figure,
)
from robustpose.report.posebench import has_posebench  # noqa: E402
from robustpose.report.posebench_figures import plot_mrr_vs_clean, plot_robustness_radar  # noqa: E402
from robustpose.report.results_table import CLEAN  # noqa: E402
from robustpose.report.tables import benchmark_rows  # noqa: E402

FIGURES = {
    "ap_per_corruption": plot_ap_per_corruption,
    "ap_vs_severity": plot_ap_vs_severity,
    "rpc_vs_clean": plot_rpc_vs_clean,
}
# PoseBench's figures, for datasets evaluated on its ten corruptions.
POSEBENCH_FIGURES = {
    "posebench_mrr_vs_clean": plot_mrr_vs_clean,
    "posebench_radar": plot_robustness_radar,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True, help="long-format results CSV")
    parser.add_argument("--metrics", type=Path, required=True,
                        help="dir of <model>/<dataset>.json (for each dataset's primary metric)")
    parser.add_argument("--prepared", type=Path, help="dir of <dataset>/val/ (clean images) for the preview grid")
    parser.add_argument("--corrupted", type=Path, help="dir of <dataset>/<corruption>/ for the preview grid")
    parser.add_argument("--out-dir", type=Path, required=True, help="dir for the PNG figures")
    args = parser.parse_args(argv)

    results = read_results(args.results)
    info = model_info(sorted(args.metrics.glob("*/*.json")))
    for dataset in sorted(set(results["dataset"])):
        metric = dataset_metric(info, dataset)
        wang = benchmark_rows(results, dataset)   # Wang et al.'s figures: COCO-C's 15 when all were run
        plots = {name: (plot, wang) for name, plot in FIGURES.items()}
        if has_posebench(results, dataset):
            plots.update({name: (plot, results) for name, plot in POSEBENCH_FIGURES.items()})
        for name, (plot, rows) in plots.items():
            path = args.out_dir / f"{name}_{dataset}.png"
            save_figure(plot(rows, dataset, metric), path)
            print(f"wrote {path}")
        if args.prepared is None or args.corrupted is None:
            continue
        rows = results[(results["dataset"] == dataset) & (results["corruption"] != CLEAN)]
        corruptions = list(dict.fromkeys(rows["corruption"]))
        severities = sorted(int(s) for s in set(rows["severity"]))
        name, clean, grid = example_images(args.prepared / dataset / "val", args.corrupted / dataset,
                                           corruptions, severities)
        path = args.out_dir / f"corruptions_{dataset}.png"
        save_figure(plot_corruption_grid(clean, grid, severities, f"{dataset}: {name}"), path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
