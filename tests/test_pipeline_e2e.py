"""End to end: `dvc repro` on tiny params in a copy of the repository, then a no-op re-run.

Slow (a minute or two): marked `slow`; CI runs it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "synthetic": {"n_train": 24, "n_val": 6, "image_height": 96, "image_width": 96, "min_people": 1, "max_people": 2},
    "synthetic_animals": {"n_train": 12, "n_val": 4, "image_height": 96, "image_width": 96, "min_animals": 1,
                          "max_animals": 2},
    "corrupt": {"corruptions": ["gaussian_noise", "motion_blur"], "severities": [1, 5]},
    "models": {"simplebaseline_r18": "synthetic", "simcc_r18": "synthetic", "simplebaseline_r18_animal": "synthetic_animals"},
    "evaluations": {**{f"{m}-synthetic": {"model": m, "dataset": "synthetic"} for m in ("simplebaseline_r18", "simcc_r18")},
                    "simplebaseline_r18_animal-synthetic_animals": {"model": "simplebaseline_r18_animal",
                                                                    "dataset": "synthetic_animals"}},
    "model": {"simplebaseline_r18": {"input_size": [64, 64], "base_channels": 8, "deconv_channels": [16, 16, 16], "steps": 4},
              "simcc_r18": {"input_size": [64, 64], "base_channels": 8, "steps": 4},
              "simplebaseline_r18_animal": {"input_size": [64, 64], "base_channels": 8, "deconv_channels": [16, 16, 16],
                                            "steps": 4}},
    "train": {"batch_size": 4, "warmup_steps": 1},
    "advmix": {"strategies": ["standard", "advmix"], "steps": 3, "warmup_steps": 1, "generator_width": 4},
    "lift": {"train_subjects": 2, "test_subjects": 1, "cameras": 1, "frames": 60, "variants": ["baseline", "tagn_caconv"],
             "seeds": [0], "corruptions": ["occlusion"], "severities": [1, 5], "tcn_width": 16, "transformer_width": 16,
             "steps": 4, "batch_size": 8, "eval_stride": 4, "workers": 1},
    "attack": {"runs": {
        "simplebaseline_r18-synthetic": {"model": "simplebaseline_r18", "label": "simplebaseline_r18",
                                         "checkpoint": "models/simplebaseline_r18.pt", "dataset": "synthetic"},
        "simplebaseline_r18+advmix-s0-synthetic": {"model": "simplebaseline_r18", "label": "simplebaseline_r18+advmix-s0",
                                                   "checkpoint": "models/advmix/simplebaseline_r18+advmix-s0.pt",
                                                   "dataset": "synthetic"}},
               "eps": [1, 8], "grid": {"fgsm-u": "all", "igsm-u-10": [8], "igsm-t-20": [8]},
               "universal_eps": [16], "universal_steps": 2, "universal_max_crops": 16, "batch_size": 8, "threads": 1,
               "max_images": 0},
}


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for k, v in override.items():
        out[k] = _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) and k not in ("model", "runs", "models", "evaluations") else v
    return out


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _copy_project(dst: Path) -> Path:
    """A fresh git repository at ``dst`` holding the project's files but none of its outputs."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        src = ROOT / f
        if src.is_file() and not f.startswith(("reports/", "results/", "metrics/", "dvc.lock")):
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / f)
    for cmd in (["git", "init", "-q"], ["git", "config", "user.email", "e2e@robustpose.invalid"],
                ["git", "config", "user.name", "e2e"]):
        subprocess.run(cmd, cwd=dst, check=True, capture_output=True)
    return dst


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A git repo holding the project's tracked files (no outputs) with tiny params."""
    dst = _copy_project(tmp_path_factory.mktemp("e2e") / "repo")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    (dst / "params.yaml").write_text(yaml.safe_dump(_merge(params, TINY), sort_keys=False))
    for cmd in (["git", "add", "-A"], ["git", "commit", "-qm", "tiny"]):
        subprocess.run(cmd, cwd=dst, check=True, capture_output=True)
    return dst


@pytest.mark.slow
def test_dvc_repro_end_to_end_then_noop(repo):
    first = _run(["dvc", "repro"], repo)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    metrics = json.loads((repo / "results/metrics/simcc_r18/synthetic.json").read_text())
    assert set(metrics) == {"meta", "clean", "corrupted", "per_keypoint", "summary"}
    assert set(metrics["corrupted"]) == {"gaussian_noise", "motion_blur"}
    assert set(metrics["corrupted"]["motion_blur"]) == {"1", "5"}
    assert {"mPC", "rPC", "mRR", "per_category"} <= set(metrics["summary"])
    df = pd.read_csv(repo / "reports/results.csv")
    assert list(df.columns) == ["dataset", "model", "base_model", "strategy", "run_seed", "corruption", "category",
                                "severity", "metric", "value"]
    assert set(df.loc[df["model"] == "simplebaseline_r18+standard-s0", "strategy"]) == {"standard"}
    assert len(df) == 5 * (1 + 2 * 2) * 10  # (2 models + 2 fine-tuned + the animal model) x conditions x stats
    animal = json.loads((repo / "results/metrics/simplebaseline_r18_animal/synthetic_animals.json").read_text())
    assert animal["meta"]["keypoint_layout"] == "ap10k" and "left_front_paw" in animal["per_keypoint"]["clean"]
    assert {"simplebaseline_r18+advmix-s0", "simplebaseline_r18+standard-s0"} <= set(df["model"])
    ablation = (repo / "reports/tables/ablation_synthetic.md").read_text()
    assert "AdvMix" in ablation and "Standard, fine-tuned" in ablation
    assert (repo / "reports/tables/advmix_synthetic.csv").exists()
    assert (repo / "results/advmix/simplebaseline_r18+advmix-s0/mixing.png").stat().st_size > 0
    for name in ("table1_synthetic.md", "table1_synthetic.tex", "table1_synthetic.csv"):
        assert (repo / "reports/tables" / name).stat().st_size > 0
    assert json.loads((repo / "reports/metrics.json").read_text())["synthetic"]["simcc_r18"]["mPC"] >= 0
    assert sorted(p.name for p in (repo / "reports/figures").glob("*.png")) == sorted(
        f"{name}_{ds}.png" for name in ("ap_per_corruption", "ap_vs_severity", "corruptions", "rpc_vs_clean")
        for ds in ("synthetic", "synthetic_animals"))
    lift = json.loads((repo / "results/lift/metrics.json").read_text())
    assert lift and (repo / "reports/lift/tables/lift_table.md").stat().st_size > 0
    manifest = json.loads((repo / "data/corrupted/synthetic/motion_blur/manifest.json").read_text())
    assert len(manifest) == 6 * 2
    attacked = json.loads((repo / "results/attack/simplebaseline_r18+advmix-s0/synthetic.json").read_text())
    assert set(attacked["attacks"]) >= {"fgsm-u", "igsm-u-10", "igsm-t-20", "universal-u", "igsm-u-10+flip"}
    transfer = json.loads((repo / "results/attack_transfer/synthetic.json").read_text())
    assert set(transfer["universal"]["simplebaseline_r18"]) == {"simplebaseline_r18", "simplebaseline_r18+advmix-s0"}
    assert (repo / "reports/attack/figures/figure2_synthetic.png").stat().st_size > 0
    assert (repo / "reports/attack/tables/universal_transfer_synthetic.md").stat().st_size > 0

    # the headline `dvc metrics show` fits a screen; the page and the severity curves exist
    shown = _run(["dvc", "metrics", "show"], repo)
    lines = shown.stdout.splitlines()
    assert shown.returncode == 0 and 3 < len(lines) <= 60 and max(map(len, lines)) <= 160, shown.stdout
    assert (repo / "metrics/simcc_r18/synthetic.json").exists() and (repo / "metrics/lift").is_dir()
    assert "figures/ap_vs_severity_synthetic.png" in (repo / "reports/index.html").read_text()
    plots = _run(["dvc", "plots", "show", "--json"], repo)
    assert {"reports/plots/severity.csv", "results/train/simcc_r18/plots/metrics/loss.tsv"} <= set(
        json.loads(plots.stdout)["data"]), plots.stdout[:2000]

    second = _run(["dvc", "repro"], repo)
    assert second.returncode == 0
    assert "Running stage" not in second.stdout, second.stdout

    status = _run(["dvc", "status"], repo)
    assert "up to date" in status.stdout

    # an experiment on one model's hyper-parameter re-runs only what depends on it
    for cmd in (["git", "add", "-A"], ["git", "commit", "-qm", "run"]):
        subprocess.run(cmd, cwd=repo, check=True, capture_output=True)
    exp = _run(["dvc", "exp", "run", "-S", "model.simcc_r18.steps=6"], repo)
    assert exp.returncode == 0, exp.stdout[-3000:] + exp.stderr[-3000:]
    ran = set(re.findall(r"Running stage '([^']+)'", exp.stdout))
    assert {"train@simcc_r18", "evaluate@simcc_r18-synthetic"} <= ran, ran
    assert not any("simplebaseline" in s or s.startswith(("prepare@", "corrupt@")) for s in ran), ran
    # the per-condition numbers of simcc changed and no other model's (git-tracked outputs);
    # `dvc metrics diff` (headline, 3 decimals: a tiny model's may not move) names no other model
    changed_files = _run(["git", "diff", "--name-only"], repo).stdout.split()
    assert "results/metrics/simcc_r18/synthetic.json" in changed_files, changed_files
    assert not any(f.startswith("results/metrics/simplebaseline") for f in changed_files), changed_files
    diff = _run(["dvc", "metrics", "diff", "--json"], repo)
    changed = json.loads(diff.stdout)  # {metrics file: {metric: {old, new, diff}}}
    assert diff.returncode == 0 and not any("simplebaseline_r18" in path for path in changed), diff.stdout

    # a factor grid: both points as experiments in temporary copies, the table and conclusion from their refs
    grid = _run([sys.executable, "studies/grid.py", "run", "postprocessing"], repo)
    assert grid.returncode == 0, grid.stdout[-3000:] + grid.stderr[-3000:]
    runs = json.loads((repo / "reports/grids/postprocessing/runs.json").read_text())
    assert set(runs) == {"flip-off", "flip-on"}
    assert runs["flip-on"]["metrics"]["meta"]["flip_test"] is True and runs["flip-off"]["metrics"]["meta"]["flip_test"] is False
    table = pd.read_csv(repo / "reports/grids/postprocessing/table.csv")
    assert list(table["Point"]) == ["flip-off", "flip-on"]
    assert table.loc[0, "AP"] == round(100 * runs["flip-off"]["metrics"]["clean"]["AP"], 1)
    assert "**postprocessing**" in (repo / "reports/grids/postprocessing/conclusion.md").read_text()
    again = _run([sys.executable, "studies/grid.py", "run", "postprocessing"], repo)   # resumes: nothing left
    assert again.returncode == 0 and "already recorded" in again.stderr, again.stderr[-2000:]


@pytest.mark.slow
def test_bad_params_fail_with_one_line_errors(repo):
    env_py = sys.executable
    params = yaml.safe_load((repo / "params.yaml").read_text())
    bad = dict(params, corrupt={**params["corrupt"], "corruptions": ["gaussian_noise", "fgo"]})
    (repo / "params.yaml").write_text(yaml.safe_dump(bad))
    try:
        r = _run([env_py, "stages/corrupt.py", "--dataset", "synthetic", "--corruption", "fog",
                  "--data", "data/prepared/synthetic/val", "--out", "/tmp/never"], repo)
        assert r.returncode != 0
        assert r.stderr.strip().splitlines()[-1].startswith("params error: params.yaml: corrupt.corruptions: unknown corruption(s) ['fgo']")
        r = _run([env_py, "stages/train.py", "--model", "hrnet_w99", "--dataset", "synthetic", "--data", "x", "--out", "y", "--live", "z"], repo)
        assert r.returncode != 0 and "hrnet_w99" in r.stderr.strip().splitlines()[-1]
        # a typo in a section the first stage does not read: `dvc repro` stops at params_check,
        # before DVC deletes the checkpoint that train@ would otherwise rebuild
        checkpoint = (repo / "models/simplebaseline_r18.pt").read_bytes()
        (repo / "params.yaml").write_text(yaml.safe_dump(dict(params, train={**params["train"], "steps": "ten"})))
        r = _run(["dvc", "repro"], repo)
        assert r.returncode != 0 and "params_check" in r.stderr, r.stdout[-2000:] + r.stderr[-2000:]
        assert "train.steps = 'ten' should be of type int" in r.stdout + r.stderr
        assert (repo / "models/simplebaseline_r18.pt").read_bytes() == checkpoint
    finally:
        (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.mark.slow
def test_unreadable_image_stops_a_stage_with_one_line(repo, tmp_path):
    data = tmp_path / "val"
    (data / "images").mkdir(parents=True)
    (data / "images" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\ntruncated")
    (data / "annotations.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "broken.png", "height": 64, "width": 64}],
        "annotations": [], "categories": [{"id": 1, "name": "person", "keypoints": [str(k) for k in range(17)]}]}))
    r = _run([sys.executable, "stages/corrupt.py", "--dataset", "synthetic", "--corruption", "fog",
              "--data", str(data), "--out", str(tmp_path / "out")], repo)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "broken.png: unreadable image" in last
    assert "Traceback" not in r.stderr
