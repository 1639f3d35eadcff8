"""Stage `tables`: results/metrics/<model>/<ds>.json -> reports/results.csv, tables, metrics.json.

Usage: python stages/tables.py --metrics results/metrics --out-csv reports/results.csv \
           --tables-dir reports/tables --metrics-out reports/metrics.json
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from robustpose._io import write_json_atomic  # noqa: E402
from robustpose.report.advmix_tables import (  # noqa: E402
    ablation_table,
    has_finetuned,
    per_corruption_table,
    standard_vs_advmix_table,
)
from robustpose.report import (  # noqa: E402
    category_table,
    collect_results,
    dataset_metric,
    model_info,
    read_results,
    robustness_table,
    summary_metrics,
    write_results,
    write_table,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=Path, required=True, help="dir of <model>/<dataset>.json")
    parser.add_argument("--out-csv", type=Path, required=True, help="long-format results CSV")
    parser.add_argument("--tables-dir", type=Path, required=True, help="dir for table1_/categories_<ds>.*")
    parser.add_argument("--metrics-out", type=Path, required=True, help="summary JSON for dvc metrics")
    args = parser.parse_args(argv)

    files = sorted(args.metrics.glob("*/*.json"))
    if not files:
        parser.error(f"no metrics files under {args.metrics}/<model>/<dataset>.json")
    info = model_info(files)
    write_results(collect_results(files), args.out_csv)
    results = read_results(args.out_csv)   # the contract: every table is drawn from results.csv
    print(f"wrote {args.out_csv} ({len(results)} rows from {len(files)} files)")
    metrics = {}
    for dataset in sorted(set(results["dataset"])):
        metrics[dataset] = metric = dataset_metric(info, dataset)
        for name, table in (("table1", robustness_table(results, info, dataset, metric)),
                            ("categories", category_table(results, dataset, metric))):
            paths = write_table(table, args.tables_dir / f"{name}_{dataset}")
            print(f"wrote {', '.join(str(p) for p in paths)}")
        if has_finetuned(results[results["dataset"] == dataset]):   # advmix@ fine-tuned models
            for name, table in (("advmix", standard_vs_advmix_table(results, dataset, metric)),
                                ("ablation", ablation_table(results, dataset, metric)),
                                ("advmix_corruptions", per_corruption_table(results, dataset, metric))):
                paths = write_table(table, args.tables_dir / f"{name}_{dataset}")
                print(f"wrote {', '.join(str(p) for p in paths)}")
    write_json_atomic(args.metrics_out, summary_metrics(results, metrics))
    print(f"wrote {args.metrics_out}")


if __name__ == "__main__":
    main()
