"""End-to-end: stages/lift.py (and lift_report.py) on tiny params in a temporary directory (in-process)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script
import yaml

from robustpose.report.lift import main_table, write_lift_reports


TINY = {
    "dataset": "synthetic", "detections": "", "train_subjects": 2, "test_subjects": 1, "cameras": 1,
    "frames": 60, "lifters": ["tcn", "transformer"], "variants": ["baseline", "tagn", "caconv", "tagn_caconv"],
    "seeds": [0, 1], "corruptions": ["occlusion", "frame_drop"], "severities": [1, 5], "tcn_width": 16,
    "transformer_width": 16, "steps": 8, "batch_size": 16, "lr": 0.004, "lr_final": 0.1, "tagn_sigma": 0.05,
    "tagn_rho": 0.8, "tagn_prob": 0.5, "eval_stride": 4, "threads": 1, "device": "cpu", "workers": 1,
}


def _stage(name: str = "lift"):
    return load_script(f"stages/{name}.py")


def _run(tmp: Path, lift: dict, out: str = "out", extra: tuple[str, ...] = (), stage: str = "lift") -> None:
    """Run the stage the way ``python stages/<stage>.py`` does (``_common.run`` included), then
    ``lift_report`` on its results, as dvc.yaml chains them."""
    module, report = _stage(stage), _stage("lift_report")
    import _common as C

    (tmp / "params.yaml").write_text(yaml.safe_dump({"seed": 0, "lift": lift}))
    C.run(lambda: module.main(["--results", f"{out}/results.json", "--metrics", f"{out}/metrics.json", *extra]))
    C.run(lambda: report.main(["--results", f"{out}/results.json", "--tables-dir", f"{out}/tables",
                               "--figures-dir", f"{out}/figures"]))


@pytest.mark.slow
def test_lift_stage_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _run(tmp_path, TINY)
    out = tmp_path / "out"
    results = json.loads((out / "results.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(results["runs"]) == {"tcn", "transformer"}
    run = results["runs"]["tcn"]["caconv"]["1"]
    assert set(run) == {"clean", "occlusion", "frame_drop"} and set(run["occlusion"]) == {"1", "5"}
    assert len(run["clean"]["0"]["per_joint"]) == 17
    assert run["occlusion"]["5"]["mpjpe"] > run["clean"]["0"]["mpjpe"] > 0
    assert metrics["tcn"]["baseline"]["clean_mpjpe"] == pytest.approx(
        results["summary"]["by_model"]["tcn"]["baseline"]["clean_mpjpe"]["mean"], abs=0.01)
    assert set(metrics["tcn"]["checks"]) == {"baseline_rises_with_severity", "tagn_passes", "caconv_passes",
                                             "tagn_caconv_passes"}
    assert results["example"]["condition"] == "occlusion" and results["example"]["severity"] == 5   # middle of [1, 5]
    display, numeric = main_table(results)
    assert len(display) == 8 and "±" in display.loc[0, "Clean"]
    assert numeric.loc[0, "Clean mean"] == pytest.approx(metrics["tcn"]["baseline"]["clean_mpjpe"], abs=0.01)
    for stem in ("lift_table", "lift_severity", "lift_per_joint"):
        for ext in (".md", ".csv", ".tex"):
            assert (out / "tables" / f"{stem}{ext}").stat().st_size > 100
    assert r"$\pm$" in (out / "tables" / "lift_table.tex").read_text()
    for png in ("lift_mpjpe_vs_severity.png", "lift_skeleton.png"):
        assert (out / "figures" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # the reports can be redrawn from the JSON alone, identically (row order from the config)
    write_lift_reports(results, tmp_path / "redraw", tmp_path / "redraw")
    for name in ("lift_table.md", "lift_table.csv", "lift_severity.csv", "lift_per_joint.tex"):
        assert (tmp_path / "redraw" / name).read_bytes() == (out / "tables" / name).read_bytes(), name
    assert list(display["Training"][:4]) == ["Baseline", "TAGN", "CA-Conv", "TAGN + CA-Conv"]

    # same params -> the same bytes (no timings in outputs), with two worker processes too
    _run(tmp_path, {**TINY, "workers": 2}, out="again")
    for rel in ("results.json", "metrics.json", "tables/lift_table.csv", "tables/lift_per_joint.md"):
        assert (tmp_path / "again" / rel).read_bytes() == (out / rel).read_bytes(), rel


@pytest.mark.parametrize("change, message", [
    ({"unknown": 1}, "unknown key"),
    ({"steps": "ten"}, "lift.steps"),
    ({"steps": 0}, "lift.steps"),
    ({"dataset": "coco"}, "lift.dataset"),
    ({"corruptions": ["fog"]}, "unknown sequence corruption"),
    ({"variants": ["baseline", "mixup"]}, "lift.variants"),
    ({"tagn_rho": 1.5}, "tagn_rho"),
    ({"device": "tpu"}, "lift.device"),
    ({"dataset": "h36m"}, "needs --data"),
])
def test_lift_stage_rejects_bad_params(tmp_path, monkeypatch, change, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        _run(tmp_path, {**TINY, **change})
    assert message in str(exc.value.code) and "\n" not in str(exc.value.code)


def test_lift_stage_names_a_missing_annotation_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        _run(tmp_path, {**TINY, "dataset": "h36m"}, extra=("--data", str(tmp_path / "nowhere")))
    assert str(exc.value.code).startswith("error: ") and "h36m_train.npz: annotation file not found" in exc.value.code
