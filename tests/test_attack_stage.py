"""attack@ and attack_transfer@ end to end on a tiny model and split (in-process, temporary dir):
eps = 0 reproduces the clean evaluation, a killed run resumes to the same JSON, the diagonal of
the transfer matrices is the white-box attack, and bad params stop with one line."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import load_script
import torch
import yaml

from robustpose.attack import crafting
from robustpose.data.synthetic import SyntheticConfig, write_split
from robustpose.evaluate.benchmark import evaluate_model
from robustpose.evaluate.predict import gt_person_boxes
from robustpose.models import model_spec
from robustpose.models.estimator import PoseEstimator
from robustpose.models.mmpose_inference import load_topdown
from robustpose.models.net import PoseNet, checkpoint_payload


ROOT = Path(__file__).resolve().parents[1]
GRID = {
    "datasets": ["synthetic"],
    "runs": {},
    "eps": [0, 1, 8],
    "grid": {"fgsm-u": "all", "igsm-u-10": [1, 8], "igsm-t-20": [8]},
    "alpha_untargeted": 0.4, "alpha_targeted": 0.125,
    "universal_eps": [16], "universal_split": "train", "universal_steps": 3, "universal_step": 0.5, "universal_batch": 4,
    "universal_max_crops": 0, "defended": ["igsm-u-10@8", "universal-u@16"], "smoothing_sigma": 1.0,
    "transfer": ["igsm-u-10@8"], "transfer_universal_eps": 16, "max_images": 0, "batch_size": 3,
    "flip_test": False, "threads": 1, "device": "cpu",
}


def _stage(name: str):
    return load_script(f"stages/{name}.py")


def _checkpoint(path: Path, name: str, seed: int) -> None:
    extra = {} if name == "deeppose_r18" else {"deconv_channels": (8, 8)}
    net = PoseNet(model_spec(name, input_size=(64, 64), base_channels=8, **extra), init_seed=seed)
    buf = io.BytesIO()
    torch.save(checkpoint_payload(net), buf)
    path.write_bytes(buf.getvalue())


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("attack")
    cfg = SyntheticConfig(image_height=64, image_width=64)
    write_split(root / "data" / "val", cfg, 0, "val", 3)
    write_split(root / "data" / "train", cfg, 0, "train", 3)
    (root / "models").mkdir()
    _checkpoint(root / "models" / "sb.pt", "simplebaseline_r18", 1)
    _checkpoint(root / "models" / "dp.pt", "deeppose_r18", 2)
    return root


def _params(root: Path, on_bad_image: str = "error", **attack) -> None:
    runs = {"sb-synthetic": {"model": "simplebaseline_r18", "label": "sb", "checkpoint": str(root / "models/sb.pt"),
                             "dataset": "synthetic"},
            "dp-synthetic": {"model": "deeppose_r18", "label": "dp", "checkpoint": str(root / "models/dp.pt"),
                             "dataset": "synthetic"}}
    corrupt = {**yaml.safe_load((ROOT / "params.yaml").read_text())["corrupt"], "on_bad_image": on_bad_image}
    (root / "params.yaml").write_text(yaml.safe_dump({"seed": 0, "corrupt": corrupt,
                                                      "attack": {**GRID, "runs": runs, **attack}}))


def _attack(root: Path, label: str, model: str, work: str = "work", out: str | None = None,
            universal: str = "data/train") -> dict:
    out = out or f"{work}/{label}.json"
    _stage("attack").main(["--model", model, "--label", label, "--dataset", "synthetic",
                           "--checkpoint", str(root / "models" / f"{label}.pt"), "--data", str(root / "data/val"),
                           "--universal-data", str(root / universal), "--work", str(root / work / label / "synthetic"),
                           "--out", str(root / out)])
    return json.loads((root / out).read_text())


def test_eps0_reproduces_the_clean_evaluation(world, monkeypatch):
    monkeypatch.chdir(world)
    _params(world)
    res = _attack(world, "sb", "simplebaseline_r18")
    est = PoseEstimator(load_topdown("simplebaseline_r18", str(world / "models/sb.pt")), device=torch.device("cpu"),
                        batch_size=64, flip_test=False)
    ann = json.loads((world / "data/val/annotations.json").read_text())
    ref = evaluate_model(est, world / "data/val/annotations.json", world / "data/val/images", world / "none", [], [],
                         world / "evalcache", "digest", gt_person_boxes(ann))
    assert res["clean"]["metric"] == ref["clean"]
    assert res["attacks"]["fgsm-u"]["0"]["metric"] == ref["clean"]
    # an untrained model has AP 0; its per-keypoint OKS is not, and must match too
    assert res["attacks"]["fgsm-u"]["0"]["per_keypoint"] == ref["per_keypoint"]["clean"]
    assert max(v for v in ref["per_keypoint"]["clean"].values() if v is not None) > 0
    assert res["attacks"]["fgsm-u"]["8"]["per_keypoint"] != ref["per_keypoint"]["clean"]
    # every record stayed in its budget
    for name, by_eps in res["attacks"].items():
        for eps, rec in by_eps.items():
            if not name.endswith("+smooth"):
                assert rec["linf"] <= float(eps) + 1e-4, (name, eps)
    assert set(res["summary"]) >= {"clean_AP", "fgsm_u_eps8", "igsm_u_10_eps8", "universal_eps16"}
    assert (world / "work/sb/synthetic/universal_eps16.npy").exists()
    assert np.abs(np.load(world / "work/sb/synthetic/universal_eps16.npy")).max() <= 16


def test_killed_run_resumes_to_the_same_json(world, monkeypatch):
    monkeypatch.chdir(world)
    _params(world)
    whole = _attack(world, "sb", "simplebaseline_r18", work="whole")
    real, calls = crafting.craft, []

    def dies_on_the_third(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed")
        return real(*a, **k)

    monkeypatch.setattr(crafting, "craft", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        _attack(world, "sb", "simplebaseline_r18", work="killed")
    done = len(list((world / "killed/sb/synthetic").glob("*@*.json")))
    assert done >= 2
    calls.clear()
    monkeypatch.setattr(crafting, "craft", lambda *a, **k: calls.append(1) or real(*a, **k))
    resumed = _attack(world, "sb", "simplebaseline_r18", work="killed")
    assert (world / "killed/sb.json").read_bytes() == (world / "whole/sb.json").read_bytes()
    assert resumed == whole
    crafted_whole = 1 + 2 + 1  # fgsm-u@1, @8 (eps 0 is crafted too: 3 fgsm), igsm x2, igsm-t x1
    assert len(calls) < crafted_whole + 3   # fewer crafts than a fresh run


def test_transfer_diagonal_is_the_white_box_attack(world, monkeypatch):
    monkeypatch.chdir(world)
    _params(world)
    own = {label: _attack(world, label, model, work="results/attack", out=f"results/attack/{label}/synthetic.json")
           for label, model in (("sb", "simplebaseline_r18"), ("dp", "deeppose_r18"))}
    _stage("attack_transfer").main(["--dataset", "synthetic", "--data", str(world / "data/val"),
                                    "--attack", str(world / "results/attack"), "--out", str(world / "transfer.json")])
    out = json.loads((world / "transfer.json").read_text())
    assert out["meta"]["families"] == {"sb": "heatmap", "dp": "regression"}
    for label in ("sb", "dp"):
        assert out["image_specific"][label][label]["relative"] == pytest.approx(
            own[label]["attacks"]["igsm-u-10"]["8"]["relative"])
        assert out["universal"][label][label]["relative"] == pytest.approx(
            own[label]["attacks"]["universal-u"]["16"]["relative"])
    assert set(out["universal"]["sb"]) == {"sb", "dp"}


def test_a_universal_fitted_on_val_never_sees_an_attacked_image(world, monkeypatch):
    """Paper scale has no train split: the universal perturbation is fitted on the other val images."""
    monkeypatch.chdir(world)
    _params(world, max_images=1, grid={"fgsm-u": [8]}, defended=[], transfer=[])
    stage = _stage("attack")
    seen, real = [], stage.A.load_crops
    monkeypatch.setattr(stage.A, "load_crops", lambda d, ann, *a, **k: seen.append(
        sorted(im["id"] for im in ann["images"])) or real(d, ann, *a, **k))
    stage.main(["--model", "simplebaseline_r18", "--label", "sb", "--dataset", "synthetic",
                "--checkpoint", str(world / "models/sb.pt"), "--data", str(world / "data/val"),
                "--universal-data", str(world / "data/val"), "--work", str(world / "univ/sb"),
                "--out", str(world / "univ/sb.json")])
    attacked, fitted = seen   # the stage loads the attacked crops first
    assert len(attacked) == 1 and len(fitted) == 2 and not set(fitted) & set(attacked)
    _params(world, max_images=0, grid={"fgsm-u": [8]}, defended=[], transfer=[])
    with pytest.raises(SystemExit, match="no validation image is left"):
        _attack(world, "sb", "simplebaseline_r18", work="univ0", universal="data/val")


@pytest.mark.parametrize("change, message", [
    ({"grid": {"fgsm-x": "all"}}, "unknown attack 'fgsm-x'"),
    ({"eps": [-1, 2]}, "eps must be >= 0"),
    ({"alpha_untargeted": 1.5}, "alpha > eps"),
    ({"defended": ["igsm-u-10@3"], "grid": {"igsm-u-10": [8]}}, None),   # defended need not be in the grid
    ({"transfer": ["igsm-u-10@3"]}, "not a condition of the grid"),
    ({"speed": 3}, "unknown key"),
    ({"universal_split": "test"}, "train or val"),
    ({"grid": {"igsm-u-100": {"eps": [8], "models": ["sb"]}}}, "only: [labels]"),
    ({"grid": {"igsm-u-100": {"eps": [8], "only": "sb"}}}, "list of model labels"),
])
def test_bad_params_stop_with_one_line(world, monkeypatch, tmp_path, change, message):
    monkeypatch.chdir(tmp_path)
    _params(tmp_path, **change)
    import _common as C  # noqa: F401  (on sys.path via _stage)
    stage = _stage("attack")
    params = stage.C.load_params()
    if message is None:
        stage.C.attack_grid(params)
        return
    with pytest.raises(SystemExit) as err:
        stage.C.attack_grid(params)
    text = str(err.value)
    assert text.startswith("params error:") and message in text and "\n" not in text


def test_a_bottom_up_model_has_no_loss_to_attack():
    with pytest.raises(ValueError, match="bottom-up"):
        load_topdown("ae_hrnet_w32_512", "/nonexistent.pth")


def test_a_longer_igsm_run_continues_the_shorter_one_and_scores_the_same(world, monkeypatch):
    """IGSM-U-25@8 continued from IGSM-U-10@8 (one craft of 15 steps) = IGSM-U-25@8 from scratch;
    ``only`` keeps the 25-step row to the sb run."""
    monkeypatch.chdir(world)
    common = dict(defended=[], transfer=[], universal_eps=[], eps=[8])
    _params(world, grid={"igsm-u-25": [8]}, **common)
    alone = _attack(world, "sb", "simplebaseline_r18", work="alone")["attacks"]["igsm-u-25"]["8"]
    _params(world, grid={"igsm-u-10": [8], "igsm-u-25": {"eps": [8], "only": ["sb"]}}, **common)
    real, steps = crafting.craft, []
    monkeypatch.setattr(crafting, "craft", lambda obj, spec, *a, start=None, **k: steps.append(
        (spec.name, 0 if start is None else start[0])) or real(obj, spec, *a, start=start, **k))
    both = _attack(world, "sb", "simplebaseline_r18", work="both")["attacks"]
    assert steps == [("igsm-u-10", 0), ("igsm-u-25", 10)]
    assert both["igsm-u-25"]["8"] == alone
    steps.clear()
    other = _attack(world, "dp", "deeppose_r18", work="both")["attacks"]
    assert set(other) == {"igsm-u-10"} and steps == [("igsm-u-10", 0)]


def test_reused_adversarials_count_every_later_use():
    from robustpose.attack.benchmark import Condition
    from robustpose.attack.grid import reused_adversarials

    conds = [Condition("igsm-u-10", 8), Condition("igsm-t-20", 8), Condition("igsm-u-100", 8),
             Condition("igsm-t-100", 8), Condition("igsm-u-10", 8, "flip"), Condition("igsm-u-10", 8, "smooth"),
             Condition("igsm-u-100", 2), Condition("pgd-u-100", 8)]
    assert reused_adversarials(conds) == {"igsm-u-10@8": 3, "igsm-t-20@8": 1}


def test_unreadable_val_images_stop_the_attack_or_count_as_missed(world, monkeypatch, tmp_path):
    """``corrupt.on_bad_image``: ``error`` names every unreadable image in one line with their
    count; ``skip`` attacks the rest and scores the skipped people as missed in every condition
    (they stay in the scored set with no prediction)."""
    import shutil

    root = tmp_path / "w"
    shutil.copytree(world, root, ignore=shutil.ignore_patterns("work*", "univ*", "transfer*"))
    monkeypatch.chdir(root)
    _params(root, grid={"fgsm-u": [8]}, defended=[], transfer=[], universal_eps=[])
    before = _attack(root, "sb", "simplebaseline_r18", work="before")["meta"]
    val = json.loads((root / "data/val/annotations.json").read_text())
    names = [im["file_name"] for im in sorted(val["images"], key=lambda im: im["id"])][:2]
    for name in names:
        (root / "data/val/images" / name).write_bytes(b"not an image")
    with pytest.raises(ValueError) as stop:   # C.run prints it as the stage's one-line error
        _attack(root, "sb", "simplebaseline_r18", work="error")
    line = str(stop.value)
    assert "2 unreadable image(s)" in line and all(n in line for n in names) and "\n" not in line
    _params(root, on_bad_image="skip", grid={"fgsm-u": [8]}, defended=[], transfer=[], universal_eps=[])
    out = _attack(root, "sb", "simplebaseline_r18", work="skip")
    assert sorted(out["meta"]["skipped_images"]) == sorted(names)
    # the skipped images' people are not attacked, but every image stays in the scored set
    skipped_ids = {im["id"] for im in val["images"] if im["file_name"] in names}
    people = sum(a["image_id"] in skipped_ids for a in val["annotations"] if not a.get("iscrowd"))
    assert people > 0 and out["meta"]["crops"] == before["crops"] - people
    assert out["meta"]["images"] == before["images"] == len(val["images"])
    assert out["clean"]["metric"]["AP"] is not None and "8" in out["attacks"]["fgsm-u"]
