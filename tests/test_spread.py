"""The seed / CPU-kernel spread study: statistics, within-variant AdvMix deltas, the conclusions'
verdicts, the scratch workspace it runs in, and the committed table equal to its inputs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import load_script
import yaml

from robustpose import spread

ROOT = Path(__file__).resolve().parents[1]


def _study():
    return load_script("studies/spread.py")


def _run(variant: str, seed: int, kernels: str, sb: float, ft: float, simcc: float = 0.15,
         deeppose: float = 0.08) -> dict:
    def s(ap: float, mpc: float) -> dict:
        return {"AP_clean": ap, "mPC": mpc, "rPC": mpc / ap, "mRR": mpc / ap}
    return {"variant": variant, "seed": seed, "kernels": kernels, "cpu": "test",
            "scores": {"simplebaseline_r18/synthetic": s(sb, 0.6 * sb),
                       "simplebaseline_r18+advmix-s0/synthetic": s(ft, 0.6 * sb + 0.01),
                       "simcc_r18/synthetic": s(simcc, 0.5 * simcc),
                       "deeppose_r18/synthetic": s(deeppose, 0.45 * deeppose)}}


RUNS = [_run("seed2", 2, "default", 0.56, 0.55), _run("seed0-lowered", 0, "lowered", 0.57, 0.54),
        _run("seed0", 0, "default", 0.58, 0.57), _run("seed1", 1, "default", 0.60, 0.59)]


def test_mean_and_sample_std_are_over_the_default_kernel_seeds_only():
    frame = spread.spread_table(RUNS)
    row = frame[(frame.run == "simplebaseline_r18/synthetic") & (frame.quantity == "AP_clean")].iloc[0]
    assert row.n_seeds == 3
    assert row["mean"] == pytest.approx(0.58)
    assert row["std"] == pytest.approx(np.std([0.56, 0.58, 0.60], ddof=1))
    assert row["seed0-lowered - seed0"] == pytest.approx(-0.01)


def test_advmix_deltas_are_taken_within_each_variant():
    deltas = spread.advmix_deltas(RUNS[1]["scores"])
    assert list(deltas) == ["simplebaseline_r18+advmix-s0/synthetic"]
    d = deltas["simplebaseline_r18+advmix-s0/synthetic"]
    assert d["dAP_clean"] == pytest.approx(0.54 - 0.57)
    assert d["dmPC"] == pytest.approx(0.01)
    frame = spread.spread_table(RUNS)
    row = frame[frame.quantity == "dAP_clean"].iloc[0]
    assert row["mean"] == pytest.approx(-0.01) and row["std"] == pytest.approx(0.0, abs=1e-12)


def test_a_conclusion_survives_only_if_it_holds_in_every_variant():
    verdicts = dict(spread.check_conclusions(RUNS, "synthetic"))
    assert verdicts["clean AP ranks SimpleBaseline > SimCC > DeepPose"] == [True] * 4
    cost = verdicts["AdvMix fine-tuning costs at most 1.5 points of clean AP (the paper's allowance)"]
    assert cost == [True, True, True, False]       # the lowered variant (last) loses 3 points
    assert spread._verdict(cost) == "does not survive (3 of 4)"
    swapped = [_run("seed0", 0, "default", 0.58, 0.57, simcc=0.05)]
    assert dict(spread.check_conclusions(swapped, "synthetic"))["mPC ranks them the same way"] == [False]
    assert spread._verdict([None]) == "n/a"


def test_markdown_has_a_column_per_variant_and_a_row_per_quantity():
    text = spread.render_markdown(RUNS)
    table = [ln for ln in text.splitlines() if ln.startswith("| simplebaseline_r18 | AP*")]
    assert table == ["| simplebaseline_r18 | AP* | 58.0 | 60.0 | 56.0 | 58.0 ± 2.0 | 57.0 | -1.0 |"]
    assert "does not survive (3 of 4)" in text


def test_lock_commands_are_the_training_and_evaluation_stages_in_run_order():
    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())
    commands = _study().lock_commands(lock)
    kinds = [name.split("@")[0] for name, _, _ in commands]
    assert kinds == sorted(kinds, key=["train", "evaluate", "advmix", "evaluate_advmix"].index)
    assert {"train", "evaluate", "advmix", "evaluate_advmix"} <= set(kinds)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert sum(k == "train" for k in kinds) == len(params["models"])
    for name, cmd, outs in commands:
        assert cmd.startswith("python stages/") and outs, name
    only = [name for name, _, _ in _study().lock_commands(lock, ["simplebaseline_r18"])]
    assert "train@simplebaseline_r18" in only and "advmix@simplebaseline_r18-advmix-0" in only
    assert not any("simcc" in n or "deeppose" in n for n in only)


def test_the_scratch_workspace_differs_from_ours_only_in_the_seed(tmp_path):
    study = _study()
    study._scratch(tmp_path / "v", 7)
    ours = yaml.safe_load((ROOT / "params.yaml").read_text())
    theirs = yaml.safe_load((tmp_path / "v" / "params.yaml").read_text())
    assert theirs.pop("seed") == 7 and ours.pop("seed") != 7
    assert theirs == ours
    assert (tmp_path / "v" / "stages").resolve() == ROOT / "stages"


def test_the_committed_spread_table_is_drawn_from_the_committed_summaries():
    summaries = sorted((ROOT / "reports" / "spread").glob("seed*.json"))
    if not summaries:
        pytest.skip("no spread summaries committed")
    runs = [json.loads(p.read_text()) for p in summaries]
    assert (ROOT / "reports" / "spread" / "table.md").read_text() == spread.render_markdown(runs), \
        "reports/spread/table.md is stale: run `python studies/spread.py table`"
