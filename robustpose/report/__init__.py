"""Paper tables (markdown/CSV/LaTeX) and figures from the long results table."""
from robustpose.report.figures import (
    plot_ap_per_corruption,
    plot_ap_vs_severity,
    plot_corruption_grid,
    plot_rpc_vs_clean,
    save_figure,
)
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
