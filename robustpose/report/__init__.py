"""Paper tables (markdown/CSV/LaTeX) and figures from the long results table."""
from typing import Any

from robustpose.report.results_table import (
    collect_results,
    dataset_metric,
    metrics_to_rows,
    model_info,
    read_results,
    write_results,
)
from robustpose.report.tables import (
    category_table,
    robustness_table,
    severity_table,
    summary_metrics,
    write_table,
)

# The plotting functions load seaborn and matplotlib (about 4 s on 2 cores): loaded on first use,
# so the stages that only write tables, the headline or the page do not pay for them.
_FIGURES = ("plot_ap_per_corruption", "plot_ap_vs_severity", "plot_corruption_grid", "plot_rpc_vs_clean",
            "save_figure")


def __getattr__(name: str) -> Any:
    if name in _FIGURES:
        from robustpose.report import figures

        return getattr(figures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "category_table",
    "collect_results",
    "dataset_metric",
    "metrics_to_rows",
    "model_info",
    "plot_ap_per_corruption",
    "plot_ap_vs_severity",
    "plot_corruption_grid",
    "plot_rpc_vs_clean",
    "read_results",
    "robustness_table",
    "save_figure",
    "severity_table",
    "summary_metrics",
    "write_results",
    "write_table",
]
