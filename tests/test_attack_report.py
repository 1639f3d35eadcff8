"""Adversarial report: tables hold the paper's numbers, figures build, the stage writes its files."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import load_script
from matplotlib.figure import Figure

from robustpose.data.keypoints import COCO_KEYPOINTS
from robustpose.data.mpii import MPII_KEYPOINTS
from robustpose.report.attack_findings import findings_table
from robustpose.report.attack_figures import plot_examples, plot_figure2, plot_transfer
from robustpose.report.attack_tables import (
    attack_label,
    cross_robustness_table,
    defence_table,
    grid_table,
    headline_metrics,
    image_transfer_table,
    load_attack_results,
    per_joint_table,
    universal_transfer_table,
)

FAMILIES = {"hm_a": "heatmap", "hm_b": "heatmap", "reg": "regression"}
EPS = ("2", "8", "16")


def _rec(relative: float, kp: dict | None = None, target: float | None = None, target_kp: dict | None = None) -> dict:
    kp = kp or {n: 0.5 for n in COCO_KEYPOINTS}
    rec = {"metric": {"AP": relative / 200.0}, "per_keypoint": kp, "relative": relative,
           "relative_per_keypoint": {k: None if v is None else 100.0 * v for k, v in kp.items()}, "linf": 8.0}
    if target is not None:
        rec.update(target_metric={"AP": target}, target_per_keypoint=target_kp or kp)
    return rec


def _result(label: str, strength: float) -> dict:
    """One model's attack JSON; ``strength`` scales how much each attack hurts."""
    knees = {**{n: 0.5 for n in COCO_KEYPOINTS}, "left_knee": 0.2, "right_knee": 0.4}
    attacks = {
        "fgsm-u": {e: _rec(100 - strength * float(e)) for e in EPS},
        "igsm-u-10": {e: _rec(100 - 2 * strength * float(e), kp=knees) for e in EPS},
        "igsm-u-100": {"8": _rec(5.0)},
        "igsm-t-20": {e: _rec(50.0, target=0.01 * strength * float(e), target_kp=knees) for e in EPS},
        "universal-u": {"16": _rec(40.0)},
        "universal-u+flip": {"16": _rec(45.0)},
        "clean+smooth": {"0": _rec(95.0)},
    }
    return {"clean": _rec(100.0, target=0.0), "attacks": attacks,
            "summary": {"clean_AP": 0.5, "igsm-u-10@8": 100 - 16 * strength},
            "meta": {"model": label, "dataset": "synthetic", "metric": "AP", "family": FAMILIES[label]}}


RESULTS = {"hm_a": _result("hm_a", 1.0), "hm_b": _result("hm_b", 2.0), "reg": _result("reg", 3.0)}
UNIVERSAL = {"hm_a": {"hm_a": 10.0, "hm_b": 50.0, "reg": 80.0},
             "hm_b": {"hm_a": 60.0, "hm_b": 12.0, "reg": 70.0},
             "reg": {"hm_a": 30.0, "hm_b": 50.0, "reg": 3.0}}
TRANSFER = {"meta": {"dataset": "synthetic", "metric": "AP", "image_specific": "igsm-u-10@8", "universal_eps": 16,
                     "families": FAMILIES},
            "universal": {t: {s: {"metric": {"AP": v / 200}, "relative": v} for s, v in row.items()}
                          for t, row in UNIVERSAL.items()},
            "image_specific": {t: {s: {"metric": {"AP": 0.1}, "relative": v + 1} for s, v in row.items()}
                               for t, row in UNIVERSAL.items()}}


def _by(df, **where):
    sub = df
    for col, value in where.items():
        sub = sub[sub[col] == value]
    assert len(sub) == 1, (where, sub)
    return sub.iloc[0]


def test_grid_table_units_and_order():
    df = grid_table(RESULTS)
    assert list(df.columns[4:]) == ["ε=0", "ε=2", "ε=8", "ε=16"]
    row = _by(df, Model="hm_b", Attack="FGSM-U")
    assert row["Value"] == "relative" and row["ε=8"] == pytest.approx(84.0) and math.isnan(row["ε=0"])
    target = _by(df, Model="reg", Attack="IGSM-T-20")
    assert target["Value"] == "target" and target["ε=8"] == pytest.approx(24.0)   # 0.24 x 100
    assert list(df["Model"].drop_duplicates()) == ["hm_a", "hm_b", "reg"]         # heatmap family first
    assert list(df[df["Model"] == "hm_a"]["Attack"])[:3] == ["FGSM-U", "IGSM-U-10", "IGSM-U-100"]
    assert attack_label("universal-u+flip") == "Universal +flip"


def test_vulner_is_mean_over_other_family_sources():
    df = universal_transfer_table(TRANSFER)
    assert list(df.columns) == ["Target", "hm_a", "hm_b", "reg", "Vulner."]
    assert _by(df, Target="hm_a")["Vulner."] == pytest.approx(80.0)               # only reg differs
    assert _by(df, Target="hm_b")["Vulner."] == pytest.approx(70.0)
    assert _by(df, Target="reg")["Vulner."] == pytest.approx((30.0 + 50.0) / 2)
    assert _by(df, Target="hm_b")["hm_a"] == 60.0
    image = image_transfer_table(TRANSFER)
    assert _by(image, Target="reg")["Vulner."] == pytest.approx((31.0 + 51.0) / 2)
    lone = {"meta": {"families": {"a": "heatmap"}}, "universal": {"a": {"a": {"relative": 9.0}}}}
    assert math.isnan(universal_transfer_table(lone)["Vulner."].iloc[0])


def test_per_joint_left_right_average_and_average_row():
    df = per_joint_table(RESULTS)
    assert list(df.columns) == ["block", "Model", "Ankle", "Knee", "Hip", "Head", "Shoulder", "Elbow", "Wrist"]
    blocks = list(df["block"].drop_duplicates())
    assert len(blocks) == 2 and blocks[0].startswith("untargeted") and blocks[1].startswith("targeted")
    targeted = df[df["block"] == blocks[1]]
    assert list(targeted["Model"]) == ["hm_a", "hm_b", "reg", "Average"]
    assert _by(targeted, Model="hm_a")["Knee"] == pytest.approx(30.0)             # (0.2 + 0.4) / 2 x 100
    assert _by(df[df["block"] == blocks[0]], Model="reg")["Knee"] == pytest.approx(30.0)
    assert _by(targeted, Model="Average")["Hip"] == pytest.approx(50.0)


def test_per_joint_mpii_layout_and_nulls():
    kp = {n: 0.5 for n in MPII_KEYPOINTS} | {"head_top": 0.9, "upper_neck": 0.2, "thorax": 0.6,
                                              "left_ankle": None, "right_ankle": 0.4}
    res = {"m": {"clean": {"per_keypoint": kp}, "meta": {"metric": "PCKh", "family": "heatmap"},
                 "attacks": {"igsm-u-10": {"8": _rec(50.0, kp=kp)}}}}
    df = per_joint_table(res)
    assert list(df.columns) == ["block", "Model", "Ankle", "Knee", "Hip", "Neck", "Head", "Shoulder", "Elbow", "Wrist"]
    row = _by(df, Model="m")
    assert (row["Head"], row["Neck"], row["Ankle"]) == pytest.approx((90.0, 40.0, 40.0))
    assert list(df["Model"]) == ["m", "Average"]                                  # no targeted block


def test_cross_robustness_and_defences():
    corruption = {"hm_a": {"clean": {"AP": 0.6}, "summary": {"mPC": 0.3, "rPC": 0.5}}}
    df = cross_robustness_table(RESULTS, corruption)
    a, reg = _by(df, Model="hm_a"), _by(df, Model="reg")
    assert (a["AP* attack"], a["AP* corr."], a["mPC"], a["rPC"]) == pytest.approx((50.0, 60.0, 30.0, 50.0))
    assert math.isnan(reg["mPC"]) and math.isnan(reg["rPC"])
    assert reg["IGSM-U-10 ε=8"] == pytest.approx(52.0) and reg["IGSM-T-20 ε=8 (target)"] == pytest.approx(24.0)
    assert reg["Universal ε=16"] == 40.0
    d = _by(defence_table(RESULTS), Model="hm_b")
    assert (d["Universal +flip"], d["Clean +smooth"]) == (45.0, 95.0) and math.isnan(d["IGSM-U-10 +flip"])
    heads = headline_metrics({"synthetic": RESULTS}, {"synthetic": TRANSFER})
    assert heads["synthetic"]["hm_a"]["vulner_universal"] == pytest.approx(80.0)
    assert heads["synthetic"]["reg"]["igsm-u-10@8"] == pytest.approx(52.0)


def test_figures_build_and_tolerate_missing_panels():
    fig = plot_figure2(RESULTS)
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    sparse = {"m": {"clean": _rec(100.0), "meta": {"metric": "AP", "family": "simcc"},
                    "attacks": {"fgsm-u": {"8": _rec(60.0)}}}}
    fig = plot_figure2(sparse)
    assert len(fig.axes) == 6
    assert any("not run" in t.get_text() for ax in fig.axes[1:] for t in ax.texts)
    assert len(plot_transfer(TRANSFER).axes) >= 2
    rng = np.random.default_rng(0)
    clean = rng.integers(0, 256, (2, 16, 12, 3), dtype=np.uint8)
    adv = np.clip(clean + rng.uniform(-8, 8, clean.shape), 0, 255)
    kp = rng.uniform(0, 11, (2, 3, 2))
    fig = plot_examples(clean, adv, kp, kp + 1, np.ones((2, 3)), [(0, 1), (1, 2)], "t")
    assert isinstance(fig, Figure) and len(fig.axes) == 6


def _verdicts(df) -> list[str]:
    return list(df["Holds"])


def test_findings_verdicts_follow_the_documented_criteria():
    df = findings_table(RESULTS, TRANSFER)
    # 1: FGSM-U@8 leaves 92/84/76 (weak) but IGSM-U-100@8 leaves 5.0, not below 5 -> partly
    # 2: mean IGSM-U-10 over eps 2, 8: hm_a 90, hm_b 80, reg 70 -> yes
    # 4: targeted hit 8/16/24 < untargeted drop 16/32/48 -> yes
    # 5a: universal@16 40 vs IGSM-U-10@16 68/36/4: reg is 36 points weaker -> partly
    # 5b: hm_a: hm_b's perturbation 50 < reg's 80; hm_b: 60 < 70 -> yes (reg has no sibling)
    # 5c/5d: no +flip of IGSM or +smooth rows -> not run; 6: knees 30 < head 50 -> yes
    assert _verdicts(df) == ["partly", "yes", "yes", "partly", "yes", "not run", "not run", "yes", "yes", "yes"]
    assert "IGSM-U-100: hm_a 5.0" in df["Measured"][0]
    assert "lowest: Knee" in df["Measured"][7]


def test_single_step_finding_falls_back_to_igsm10_where_100_iterations_did_not_run():
    """The embedded default runs IGSM-U-100 on one model: the others are judged on IGSM-U-10."""
    partial = {label: {**r, "attacks": {k: v for k, v in r["attacks"].items() if k != "igsm-u-100"}}
               for label, r in RESULTS.items()}
    partial["hm_a"]["attacks"]["igsm-u-100"] = {"8": _rec(1.0)}
    row = findings_table(partial)["Measured"][0]
    assert "IGSM-U-100: hm_a 1.0" in row and "hm_b" not in row.split("IGSM-U-100:")[1]
    # hm_b's IGSM-U-10@8 leaves 68 (>= 5): iterative attacks do not win everywhere -> FGSM weak alone: partly
    assert findings_table(partial)["Holds"][0] == "partly"
    for r in partial.values():
        r["attacks"]["igsm-u-10"] = {**r["attacks"]["igsm-u-10"], "8": _rec(3.0)}
    assert findings_table(partial)["Holds"][0] == "yes"   # FGSM-U@8 92/84/76 >= 40 and every iterative < 5
    partial["hm_b"]["attacks"]["igsm-u-10"]["8"] = _rec(7.0)
    assert findings_table(partial)["Holds"][0] == "partly"


def test_findings_can_fail():
    flipped = {}
    for label, r in RESULTS.items():
        attacks = dict(r["attacks"])
        attacks["igsm-u-100"] = {"8": _rec(2.0)}
        attacks["igsm-u-10+flip"] = {"8": _rec(90.0)}     # gives back 6 / 22 / 38 points
        attacks["igsm-u-10"] = {**attacks["igsm-u-10"], "16": _rec(99.0)}   # rises with eps
        flipped[label] = {**r, "attacks": attacks}
    flipped["reg"]["attacks"]["fgsm-u"] = {e: _rec(1.0) for e in EPS}     # FGSM stronger than IGSM
    df = findings_table(flipped)
    holds = _verdicts(df)
    assert holds[0] == "partly"          # iterative below 5 everywhere, but reg's FGSM is not weak
    assert holds[4] == "not run"         # no transfer file
    assert holds[5] == "partly"          # only reg's flip gives back >= 30 points (38; hm_a 6, hm_b 22)
    assert holds[8] == "no" and holds[9] == "no"   # IGSM-U-10@16 at 99 is above every FGSM-U@16 and above @8


def _stage():
    return load_script("stages/attack_report.py")


def _write(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


@pytest.mark.parametrize("with_transfer", [True, False])
def test_stage_writes_outputs(tmp_path, with_transfer, capsys):
    sparse = {label: {**r, "attacks": {k: v for k, v in r["attacks"].items() if k in ("fgsm-u", "igsm-u-10")}}
              for label, r in RESULTS.items()}
    for label, result in sparse.items():
        _write(tmp_path / "attack" / label / "synthetic.json", result)
    _write(tmp_path / "metrics" / "hm_a" / "synthetic.json", {"clean": {"AP": 0.6}, "summary": {"mPC": 0.3, "rPC": 0.5}})
    if with_transfer:
        _write(tmp_path / "transfer" / "synthetic.json", TRANSFER)
    assert set(load_attack_results(tmp_path / "attack")["synthetic"]) == set(RESULTS)
    out = tmp_path / "reports"
    _stage().main(["--attack", str(tmp_path / "attack"), "--transfer", str(tmp_path / "transfer"),
                   "--metrics", str(tmp_path / "metrics"), "--tables-dir", str(out / "tables"),
                   "--figures-dir", str(out / "figures"), "--metrics-out", str(out / "metrics.json")])
    tables = {"attacks", "per_joint", "cross_robustness", "defences", "findings"}
    if with_transfer:
        tables |= {"universal_transfer", "image_transfer"}
    assert {p.name for p in (out / "tables").iterdir()} == {f"{t}_synthetic{e}" for t in tables
                                                            for e in (".md", ".csv", ".tex")}
    figures = {"figure2_synthetic.png"} | ({"transfer_synthetic.png"} if with_transfer else set())
    assert {p.name for p in (out / "figures").iterdir()} == figures
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["synthetic"]) == set(RESULTS)
    assert ("vulner_universal" in metrics["synthetic"]["reg"]) == with_transfer
    assert "Vulner." in (out / "tables" / "universal_transfer_synthetic.md").read_text() if with_transfer else True
    assert ("skipped" in capsys.readouterr().out) != with_transfer


def test_stage_without_attack_results_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        _stage().main(["--attack", str(tmp_path / "none"), "--transfer", str(tmp_path), "--metrics", str(tmp_path),
                       "--tables-dir", str(tmp_path / "t"), "--figures-dir", str(tmp_path / "f"),
                       "--metrics-out", str(tmp_path / "m.json")])
    assert "no attack results" in capsys.readouterr().err
