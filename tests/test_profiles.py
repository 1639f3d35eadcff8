"""Profiles: the paper profile expands into fetch@/evaluate_pretrained@ stages; the plan has sizes."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from test_download import host  # noqa: F401  (the local HTTP host fixture of the download tests)

from robustpose.models.fetch import MIRROR_ENV, checkpoint_url, fetch_checkpoint, published_file_name
from robustpose.models.pretrained import list_pretrained, pretrained_model
from robustpose.data.keypoints import layout_for
from robustpose.profiles import (CORRUPT_SECONDS_PER_MEGAPIXEL, DATASET_SCALE, corrupt_cpu_hours, deep_merge,
                                 expand_profile, model_layout, plan)

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
PAPER = yaml.safe_load((ROOT / "configs" / "paper.yaml").read_text())


def test_deep_merge_merges_dicts_and_replaces_the_rest():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    assert deep_merge(base, {"a": {"y": [3]}, "c": 4}) == {"a": {"x": 1, "y": [3]}, "b": 2, "c": 4}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    # an empty dict clears; a run list keyed by name is replaced whole, never merged
    assert deep_merge({"attack": {"runs": {"a": 1}, "eps": [1]}}, {"attack": {"runs": {}}}) == \
        {"attack": {"runs": {}, "eps": [1]}}
    assert deep_merge({"attack": {"runs": {"a": 1}}}, {"attack": {"runs": {"b": 2}}}) == {"attack": {"runs": {"b": 2}}}
    # so is an attack grid: an overlay of untargeted rows must not keep the embedded targeted ones
    merged = deep_merge(PARAMS, {"attack": {"grid": {"fgsm-u": "all"}}})
    assert merged["attack"]["grid"] == {"fgsm-u": "all"}


def test_paper_profile_attacks_the_published_models_of_both_families():
    params = expand_profile(PARAMS, PAPER, "configs/paper.yaml")
    runs = params["attack"]["runs"]
    assert not any(r["dataset"] == "synthetic" for r in runs.values())   # the embedded runs are gone
    families = {pretrained_model(r["model"]).family for r in runs.values()}
    assert {"topdown_heatmap", "topdown_regression"} <= families
    assert {r["dataset"] for r in runs.values()} == set(params["attack"]["datasets"]) == {"mpii", "coco"}
    assert params["attack"]["universal_split"] == "val"   # no train split is downloaded at paper scale
    assert all(r["checkpoint"] == f"models/{r['model']}.pth" for r in runs.values())


@pytest.mark.parametrize("run, message", [
    ({"model": "hrnet_w48_384x288", "dataset": "coco"}, "is not fetched"),
    ({"model": "hrnet_w32_256x192", "dataset": "coco", "checkpoint": "models/x.pth"}, "checkpoint must be"),
    ({"model": "hrnet_w32_256x192", "dataset": "mpii"}, "predicts coco keypoints"),
    ({"model": "mpii_res50_256x256", "dataset": "crowdpose"}, "is not prepared"),
])
def test_a_bad_attack_run_is_caught_before_dvc(run, message):
    run = {"label": "x", "checkpoint": f"models/{run['model']}.pth", **run}
    profile = {"set": {"attack": {"runs": {"bad": run}, "datasets": []}},
               "evaluate_on": {"coco": ["hrnet_w32_256x192"], "mpii": ["mpii_res50_256x256"]}}
    with pytest.raises(ValueError, match=f"p.yaml: attack.runs.bad: .*{message}"):
        expand_profile(PARAMS, profile, "p.yaml")


def test_paper_profile_lists_every_dataset_and_runnable_family():
    params = expand_profile(PARAMS, PAPER, "configs/paper.yaml")
    assert params["datasets"] == ["coco", "ochuman", "mpii", "ap10k"]
    assert params["models"] == {} and params["evaluations"] == {}
    families = {pretrained_model(m).family for m in params["pretrained"]}
    assert families == {"topdown_heatmap", "topdown_simcc", "topdown_regression", "bottomup"}
    for key, pair in params["pretrained_evaluations"].items():
        assert key == f"{pair['model']}-{pair['dataset']}"
        assert model_layout(pair["model"]) == layout_for(pair["dataset"])
    assert set(params["pretrained"]) == {p["model"] for p in params["pretrained_evaluations"].values()}
    # Wang et al.'s top-down backbones at both input sizes, and their MPII-C rows
    for name in ("simplebaseline_res50_256x192", "simplebaseline_res152_384x288", "hrnet_w32_384x288",
                 "hrnet_w48_256x192"):
        assert f"{name}-coco" in params["pretrained_evaluations"]
    assert sum(p["dataset"] == "mpii" for p in params["pretrained_evaluations"].values()) >= 2
    assert {"mask", "darkness", "color_quantization", "zoom_blur"} <= set(params["corrupt"]["corruptions"])


def test_profile_errors_name_the_file_and_the_pair():
    with pytest.raises(ValueError, match=r"paper.yaml: evaluate_on.coco: ap10k_res50_256x256 predicts ap10k keypoints"):
        expand_profile(PARAMS, {"evaluate_on": {"coco": ["ap10k_res50_256x256"]}}, "paper.yaml")
    with pytest.raises(ValueError, match="unknown pretrained model 'hrnet_w99'"):
        expand_profile(PARAMS, {"evaluate_on": {"coco": ["hrnet_w99"]}}, "p.yaml")
    with pytest.raises(ValueError, match="unknown dataset"):
        expand_profile(PARAMS, {"evaluate_on": {"lsp": []}}, "p.yaml")
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['sett'\]"):
        expand_profile(PARAMS, {"sett": {}}, "p.yaml")


def test_plan_counts_downloads_and_work():
    lines = plan(expand_profile(PARAMS, PAPER), crops_per_second=1000.0)
    text = "\n".join(lines)
    assert "coco: val2017.zip  815.6 MB  [verified]" in text
    assert "ochuman: images.zip  ~667.0 MB" in text
    assert "coco: ~5000 images -> ~450,000 corrupted images" in text   # 18 corruptions x 5 severities
    assert "NEEDS mmpretrain" in text                                     # ViTPose is listed, with what it needs
    n_pairs = len(expand_profile(PARAMS, PAPER)["pretrained_evaluations"])
    assert f"{n_pairs} model-dataset pairs x 91 conditions" in text
    # fgsm-u/t x 8 eps + igsm-u-10 x 8 x 10 + igsm-t-20 x 8 x 20 + 100 + 100 iterations, the two
    # 100-iteration runs continuing IGSM-U-10 and IGSM-T-20 at eps 8 (10 + 20 passes saved)
    assert "adversarial attacks (attack@): 7 runs" in text and "426 passes a crop" in text


def test_corruption_cpu_hours_follow_the_measured_grid_cost_and_the_readme_quotes_them():
    """The plan's CPU-hours are images x megapixels x the benchmark's seconds per megapixel; the
    README's paper-scale table must show what the plan computes (a number copied by hand drifts)."""
    coco = DATASET_SCALE["coco"]
    assert corrupt_cpu_hours(coco, 90) == pytest.approx(5000 * 0.28 * CORRUPT_SECONDS_PER_MEGAPIXEL / 3600)
    assert corrupt_cpu_hours(coco, 45) == pytest.approx(corrupt_cpu_hours(coco, 90) / 2)
    text = "\n".join(plan(expand_profile(PARAMS, PAPER)))
    readme = (ROOT / "README.md").read_text()
    rows = {"coco": "| COCO val2017 |", "ochuman": "| OCHuman val |", "mpii": "| MPII val |", "ap10k": "| AP-10K val |"}
    for dataset, row_start in rows.items():
        hours = corrupt_cpu_hours(DATASET_SCALE[dataset], 90)
        assert f"~{hours:.1f} CPU-hours" in text
        row = next(line for line in readme.splitlines() if line.startswith(row_start))
        assert row.rstrip().endswith(f"| ~{hours:.1f} CPU-hours |"), (row, hours)


def test_apply_then_dvc_dry_run_lists_the_paper_stages(tmp_path):
    """`stages/params_profile.py apply` writes params that DVC accepts; `dvc repro --dry` plans fetch + evaluation."""
    for f in ("dvc.yaml", "params.yaml"):
        (tmp_path / f).write_text((ROOT / f).read_text())
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    dvc = str(Path(sys.executable).with_name("dvc"))
    subprocess.run([dvc, "init", "-q"], cwd=tmp_path, check=True)
    run = subprocess.run([sys.executable, str(ROOT / "stages" / "params_profile.py"), "apply",
                          str(ROOT / "configs" / "paper.yaml"), "--params", str(tmp_path / "params.yaml")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    listed = subprocess.run([dvc, "stage", "list", "--name-only"], cwd=tmp_path, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    names = set(listed.stdout.split())
    assert "fetch@hrnet_w32_256x192" in names
    assert "evaluate_pretrained@mpii_hrnet_w32_256x256-mpii" in names
    assert "corrupt@coco" in names and "prepare@ap10k" in names
    assert {"attack@deeppose_res50_256x192-coco", "attack_transfer@mpii", "attack_report"} <= names
    assert not any(n.startswith(("train@", "evaluate@", "advmix@", "evaluate_advmix@", "prepare@synthetic"))
                   for n in names)


def test_checkpoint_url_precedence_and_prefix(monkeypatch):
    model = pretrained_model("hrnet_w32_256x192")
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    assert checkpoint_url(model) == model.checkpoint_url
    monkeypatch.setenv(MIRROR_ENV, "http://mirror.example/ckpt/")
    assert checkpoint_url(model) == f"http://mirror.example/ckpt/{published_file_name(model)}"
    assert checkpoint_url(model, "https://x.example/a.pth") == "https://x.example/a.pth"
    with pytest.raises(ValueError, match="must start with http"):
        checkpoint_url(model, "file:///etc/passwd")
    assert model.sha256_prefix == "81c58e40"
    assert all(pretrained_model(n).sha256_prefix for n in list_pretrained())


def test_fetch_checkpoint_refuses_a_file_that_is_not_the_published_one(host, tmp_path, monkeypatch):
    model = pretrained_model("hrnet_w32_256x192")
    host.files[published_file_name(model)] = b"not the checkpoint"
    monkeypatch.setenv(MIRROR_ENV, host.base)
    dest = tmp_path / "m.pth"
    with pytest.raises(ValueError, match=r"sha256 mismatch \(expected 81c58e40"):
        fetch_checkpoint(model, dest, progress=False, retries=0)
    assert not dest.exists()
    pinned = hashlib.sha256(b"not the checkpoint").hexdigest()   # a user-pinned mirror file
    assert fetch_checkpoint(model, dest, sha256=pinned, progress=False).read_bytes() == b"not the checkpoint"
