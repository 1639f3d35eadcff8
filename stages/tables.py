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
from robustpose.report.posebench import (  # noqa: E402
    findings_markdown,
    has_posebench,
    humans_vs_animals_table,
    posebench_table,
)
from robustpose.report.tables import benchmark_rows  # noqa: E402
from robustpose.data.keypoints import layout_for  # noqa: E402
from robustpose._io import write_text_atomic  # noqa: E402
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


def write_posebench_summaries(results, info, metrics: dict[str, str], tables_dir: Path) -> None:
    """The humans-vs-animals table and PoseBench's findings, over every dataset with its ten
    corruptions (datasets annotated in AP-10K's layout are the animals)."""
    datasets = [d for d in sorted(metrics) if has_posebench(results, d)]
    if not datasets:
        return
    animals = tuple(d for d in datasets if layout_for(d) == "ap10k")
    metric = metrics[datasets[0]]
    if animals and len(animals) < len(datasets):
        paths = write_table(humans_vs_animals_table(results, datasets, metric), tables_dir / "humans_vs_animals")
        print(f"wrote {', '.join(str(p) for p in paths)}")
    path = tables_dir / "posebench_findings.md"
    write_text_atomic(path, findings_markdown(results, info, metric, animals))
    print(f"wrote {path}")


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
        wang = benchmark_rows(results, dataset)   # Wang et al.'s tables: COCO-C's 15 when all were run
        tables = {"table1": robustness_table(wang, info, dataset, metric),
                  "categories": category_table(wang, dataset, metric)}
        if has_finetuned(wang):   # advmix@ fine-tuned models
            tables.update(advmix=standard_vs_advmix_table(wang, dataset, metric),
                          ablation=ablation_table(wang, dataset, metric),
                          advmix_corruptions=per_corruption_table(wang, dataset, metric))
        if has_posebench(results, dataset):
            tables["posebench"] = posebench_table(results, info, dataset, metric)
        for name, table in tables.items():
            paths = write_table(table, args.tables_dir / f"{name}_{dataset}")
            print(f"wrote {', '.join(str(p) for p in paths)}")
    write_posebench_summaries(results, info, metrics, args.tables_dir)
    write_json_atomic(args.metrics_out, summary_metrics(results, metrics))
    print(f"wrote {args.metrics_out}")


if __name__ == "__main__":
    main()
