"""PoseBench's factor grids: the committed definitions are runnable, overrides reach DVC in its
syntax, and the table and conclusion are computed from the runs' metrics."""
from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from robustpose import grids

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
DEFINED = grids.load_grids(ROOT / "configs" / "grids.yaml")
DVC_STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def test_the_five_factors_of_posebench_are_defined():
    assert list(DEFINED) == ["resolution", "capacity", "augmentation", "postprocessing", "pretraining"]
    for grid in DEFINED.values():
        assert sum(not p.overrides for p in grid.points) == 1, f"{grid.name}: exactly one default point"


@pytest.mark.parametrize("grid", DEFINED.values(), ids=list(DEFINED))
def test_every_point_targets_a_stage_and_reads_a_git_tracked_file_it_declares(grid):
    """The runner reads each point's per-condition metrics from the experiment's git commit: the
    file must be an output of the target stage that lives in git (``cache: false``)."""
    for point in grid.points:
        stage = point.target.partition("@")[0]
        assert stage in DVC_STAGES, f"{grid.name}/{point.name}: no stage {stage!r} in dvc.yaml"
        body = DVC_STAGES[stage].get("do", DVC_STAGES[stage])
        declared = [next(iter(m)) for m in body.get("metrics", []) + body.get("outs", [])
                    if isinstance(m, dict) and next(iter(m.values())).get("cache") is False]
        patterns = [re.escape(d).replace(r"\$", "$") for d in declared]
        patterns = [re.sub(r"\$\\\{[^}]*\\\}", "[^/]+", p) for p in patterns]
        assert any(re.fullmatch(p, point.metrics) for p in patterns), (point.metrics, declared)


def test_overrides_use_dvc_syntax_and_add_keys_params_lack():
    args = grids.set_arguments({"model.simplebaseline_r18.input_size": [96, 64],
                                "model.simplebaseline_r18.depth": 34,
                                "evaluate.flip_test": True, "train.photometric": "autoaugment"}, PARAMS)
    assert args == ["-S", "model.simplebaseline_r18.input_size=[96,64]", "-S", "+model.simplebaseline_r18.depth=34",
                    "-S", "evaluate.flip_test=true", "-S", "train.photometric=autoaugment"]
    with pytest.raises(ValueError, match="cannot pass"):
        grids.override_value({"a": 1})


@pytest.mark.parametrize("grid", DEFINED.values(), ids=list(DEFINED))
def test_every_override_is_a_params_key_or_a_registry_field(grid):
    """A typo in a grid would otherwise add a key nothing reads (DVC's +key)."""
    from robustpose.models.registry import ModelSpec
    from dataclasses import fields
    spec_keys = {f.name for f in fields(ModelSpec)}
    for point in grid.points:
        for key in point.overrides:
            if not grids._has_key(PARAMS, key):
                section, _, field = key.rpartition(".")
                assert section.startswith("model.") and field in spec_keys, f"{grid.name}/{point.name}: {key}"


def _metrics(ap: float, mpc: float, mrr: float) -> dict:
    cats = {c: {"mRR": mrr} for c in ("blur_noise", "compression_color", "lighting", "masks")}
    return {"clean": {"AP": ap, "AR": ap + 0.05},
            "summary": {"benchmarks": {"imagenet_c": {"mPC": mpc, "rPC": mpc / ap},
                                       "posebench": {"mRR": mrr, "per_category": cats}}}}


def test_table_and_conclusion_follow_the_numbers():
    grid = DEFINED["resolution"]
    runs = {"96x64": {"metrics": _metrics(0.40, 0.30, 0.70), "seconds": 120},
            "128x96": {"metrics": _metrics(0.58, 0.37, 0.69), "seconds": 400},
            "192x128": {"metrics": _metrics(0.62, 0.38, 0.66), "seconds": 900}}
    table = grids.grid_table(grid, runs)
    assert list(table["Point"]) == ["96x64", "128x96", "192x128"]
    row = table.set_index("Point").loc["96x64"]
    assert (row["AP"], row["mPC"], row["rPC"], row["mRR"], row["Masks RR"]) == (40.0, 30.0, 75.0, 70.0, 70.0)
    assert row["Overrides"] == "model.simplebaseline_r18.input_size=[96,64]"
    text = grids.conclusion(grid, table)
    assert "Best clean AP: 192x128 (62.0)" in text and "best rPC: 96x64 (75.0)" in text
    assert "does not follow clean accuracy" in text and "24 min for 3 experiments" in text
    runs["192x128"]["metrics"] = _metrics(0.62, 0.50, 0.66)    # now also the most robust
    assert "is also the most robust" in grids.conclusion(grid, grids.grid_table(grid, runs))


def test_a_missing_metric_is_nan_not_zero_and_the_conclusion_says_n_a():
    table = grids.grid_table(DEFINED["postprocessing"], {"flip-off": {"metrics": {"clean": {"AP": 0.5}}, "seconds": 60}})
    assert table.loc[0, "AP"] == 50.0 and math.isnan(table.loc[0, "mPC"])
    zero = {"clean": {"AP": 0.0}, "summary": {"benchmarks": {"imagenet_c": {"mPC": 0.0, "rPC": None}}}}
    both = grids.grid_table(DEFINED["postprocessing"], {p: {"metrics": zero, "seconds": 30} for p in ("flip-off", "flip-on")})
    text = grids.conclusion(DEFINED["postprocessing"], both)
    assert "best rPC: n/a" in text and "undefined (clean AP 0)" in text


@pytest.mark.parametrize("data, message", [
    ({"g": {"points": {"a": {}, "b": {}}}}, "needs a question"),
    ({"g": {"question": "q?", "points": {"a": {}}}}, "at least two points"),
    ({"g": {"question": "q?", "target": "t", "metrics": "m", "points": {"a": {}, "b c": {}}}}, "use letters"),
    ({"g": {"question": "q?", "points": {"a": {"set": {}, "target": "t", "metrics": "m", "x": 1},
                                         "b": {"set": {}, "target": "t", "metrics": "m"}}}}, "unknown key"),
    ({"g": {"question": "q?", "points": {"a": {}, "b": {}}}}, "needs a target stage"),
])
def test_malformed_grids_are_refused_with_the_grid_and_point(data, message):
    with pytest.raises(ValueError, match=message):
        grids.parse_grids(data, "grids.yaml")


def test_an_unknown_grid_is_one_line_naming_the_valid_ones():
    done = subprocess.run([sys.executable, "studies/grid.py", "run", "nosuch"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0
    assert done.stderr.strip() == ("error: unknown grid 'nosuch'; valid: resolution, capacity, augmentation, "
                                   "postprocessing, pretraining")


def test_make_has_a_target_per_grid():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^grid-%: ", makefile, re.M) and "studies/grid.py run $*" in makefile
