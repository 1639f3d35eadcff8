"""PoseBench's robustness-factor grids: their definitions, DVC overrides, and the table they make.

A grid (``configs/grids.yaml``) is a question ("does a larger input make a model more robust?")
and a few points, each a set of params overrides plus the stage whose metrics file answers it.
``studies/grid.py`` runs every point as one ``dvc exp run`` and hands the metrics files here;
this module turns them into the grid's table and a one-paragraph conclusion computed from the
numbers (so the README can quote it without copying a number by hand).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

EXP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")   # what `dvc exp run -n` and git refs accept
# The table's metric columns: (column, path into a metrics file), percentages of AP.
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AP", ("clean", "AP")),
    ("AR", ("clean", "AR")),
    ("mPC", ("summary", "benchmarks", "imagenet_c", "mPC")),
    ("rPC", ("summary", "benchmarks", "imagenet_c", "rPC")),
    ("mRR", ("summary", "benchmarks", "posebench", "mRR")),
    ("Blur & Noise RR", ("summary", "benchmarks", "posebench", "per_category", "blur_noise", "mRR")),
    ("Compression & Colour RR", ("summary", "benchmarks", "posebench", "per_category", "compression_color", "mRR")),
    ("Lighting RR", ("summary", "benchmarks", "posebench", "per_category", "lighting", "mRR")),
    ("Masks RR", ("summary", "benchmarks", "posebench", "per_category", "masks", "mRR")),
)


@dataclass(frozen=True)
class Point:
    """One experiment of a grid: the overrides, the stage to run, and its metrics file."""
    name: str
    overrides: dict[str, Any]
    target: str
    metrics: str


@dataclass(frozen=True)
class Grid:
    name: str
    question: str
    points: tuple[Point, ...]

    def exp_name(self, point: Point) -> str:
        """The DVC experiment name of ``point`` (unique per grid and point)."""
        return f"grid-{self.name}-{point.name}"


def _point(grid: str, name: str, spec: Any, default_target: Any, default_metrics: Any, source: str) -> Point:
    if not isinstance(spec, dict):
        raise ValueError(f"{source}: grid {grid!r} point {name!r} must be a mapping, got {spec!r}")
    long_form = "set" in spec
    extra = sorted(set(spec) - {"set", "target", "metrics"}) if long_form else []
    if extra:
        raise ValueError(f"{source}: grid {grid!r} point {name!r}: unknown key(s) {extra}; allowed: set, target, metrics")
    overrides = spec["set"] if long_form else spec
    target = spec.get("target", default_target) if long_form else default_target
    metrics = spec.get("metrics", default_metrics) if long_form else default_metrics
    if not isinstance(overrides, dict) or not all(isinstance(k, str) for k in overrides):
        raise ValueError(f"{source}: grid {grid!r} point {name!r}: overrides must map params keys to values")
    if not isinstance(target, str) or not isinstance(metrics, str):
        raise ValueError(f"{source}: grid {grid!r} point {name!r} needs a target stage and a metrics file")
    if not EXP_NAME.match(f"grid-{grid}-{name}"):
        raise ValueError(f"{source}: grid {grid!r} point {name!r}: use letters, digits, '-', '_' and '.' in names")
    return Point(str(name), dict(overrides), target, metrics)


def parse_grids(data: Any, source: str = "grids") -> dict[str, Grid]:
    """Validate the parsed grids file: every grid has a question and at least two points.

    Raises:
        ValueError: a malformed grid or point (the message names the file, grid and point).
    """
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{source}: expected a mapping of grid names to grids")
    grids = {}
    for name, body in data.items():
        if not isinstance(body, dict) or not isinstance(body.get("question"), str):
            raise ValueError(f"{source}: grid {name!r} needs a question and points")
        points = body.get("points")
        if not isinstance(points, dict) or len(points) < 2:
            raise ValueError(f"{source}: grid {name!r} needs at least two points")
        grids[str(name)] = Grid(str(name), body["question"], tuple(
            _point(name, p, spec, body.get("target"), body.get("metrics"), source) for p, spec in points.items()))
    return grids


def load_grids(path: str | Path) -> dict[str, Grid]:
    """The grids of ``path`` (``configs/grids.yaml``), validated (``parse_grids``)."""
    return parse_grids(yaml.safe_load(Path(path).read_text()), str(path))


def pick(grids: dict[str, Grid], name: str) -> Grid:
    """``grids[name]``, or a one-line error naming the valid grids."""
    if name not in grids:
        raise ValueError(f"unknown grid {name!r}; valid: {', '.join(grids)}")
    return grids[name]


def override_value(value: Any) -> str:
    """A params value in the syntax of ``dvc exp run -S key=value`` (Hydra's override grammar)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(override_value(v) for v in value) + "]"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise ValueError(f"cannot pass {value!r} as a -S override (use numbers, strings, booleans or lists)")


def _has_key(params: dict[str, Any], dotted: str) -> bool:
    node: Any = params
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def set_arguments(overrides: dict[str, Any], params: dict[str, Any] | None = None) -> list[str]:
    """``["-S", "key=value", ...]`` for ``dvc exp run``; a key that ``params`` lacks (a registry
    default such as ``model.<name>.depth``) is added with Hydra's ``+key=value``."""
    args: list[str] = []
    for key, value in overrides.items():
        plus = "+" if params is not None and not _has_key(params, key) else ""
        args += ["-S", f"{plus}{key}={override_value(value)}"]
    return args


def _dig(metrics: dict, path: tuple[str, ...]) -> float:
    node: Any = metrics
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return math.nan
        node = node[key]
    return math.nan if node is None else float(node)


def grid_table(grid: Grid, results: dict[str, dict]) -> pd.DataFrame:
    """One row per point, in the grid's order: its overrides, clean AP/AR, COCO-C mPC/rPC,
    PoseBench mRR and per-category RR (percent, one decimal), and the experiment's wall time.

    ``results[point]`` is ``{"metrics": <metrics file>, "seconds": <wall time of its run>}``.
    """
    rows = []
    for point in grid.points:
        if point.name not in results:
            continue
        res = results[point.name]
        row: dict[str, Any] = {"Point": point.name,
                               "Overrides": ", ".join(f"{k}={override_value(v)}" for k, v in point.overrides.items())
                               or "(default)"}
        for column, path in COLUMNS:
            value = _dig(res["metrics"], path)
            row[column] = round(100 * value, 1) if not math.isnan(value) else math.nan
        row["Minutes"] = round(res["seconds"] / 60, 1)
        rows.append(row)
    return pd.DataFrame(rows)


def conclusion(grid: Grid, table: pd.DataFrame) -> str:
    """The grid's answer in two sentences, computed from ``table``: which point is best on clean
    AP and on each robustness measure, and whether the robust ranking follows the clean one."""
    if len(table) < 2:
        return f"**{grid.name}** ({grid.question}): fewer than two points have run.\n"
    by = table.set_index("Point")

    def best(col: str) -> str:   # undefined measures (rPC of a model at 0 AP) are left out
        values = by[col].dropna()
        return f"{values.idxmax()} ({values.max():.1f})" if len(values) else "n/a"

    def spread(col: str) -> str:
        values = by[col].dropna()
        return f"{values.max() - values.min():.1f}" if len(values) else "n/a"

    if by["AP"].notna().any() and by["rPC"].notna().any():
        same = by["AP"].idxmax() == by["rPC"].dropna().idxmax()
        verdict = ("the point with the best clean AP is also the most robust relative to clean" if same else
                   "relative robustness (rPC) does not follow clean accuracy")
    else:
        verdict = "relative robustness is undefined (clean AP 0)"
    minutes = table["Minutes"].sum()
    return (f"**{grid.name}** ({grid.question}) Best clean AP: {best('AP')}; best mPC: {best('mPC')}; "
            f"best rPC: {best('rPC')}; best PoseBench mRR: {best('mRR')}. Spread across points: "
            f"AP {spread('AP')}, mPC {spread('mPC')}, rPC {spread('rPC')}, mRR {spread('mRR')} "
            f"points; {verdict}. Measured cost: {minutes:.0f} min for {len(table)} experiments on this "
            f"machine.\n")
