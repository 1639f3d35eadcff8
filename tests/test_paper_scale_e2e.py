"""Paper scale end to end, offline: `dvc repro` downloads real-format archives and checkpoints from
127.0.0.1, corrupts, evaluates published-model architectures and writes the tables.

The archives are built from ../shared/realdata laid out exactly like the published ones
(``test_prepare_real._served_files``); the checkpoints are mmengine-format files of the
registry's architectures with seeded weights. Params point the registry at the local server and
pin the served files' sha256 (``<dataset>.urls/sha256``, ``checkpoints.urls/sha256``): the same
knobs a user with a mirror sets. The scores are then recomputed here, independently of the
pipeline: AP with plain pycocotools, PCKh with a direct formula.

Slow (a few minutes): marked ``slow``; CI runs it.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from robustpose.data.keypoints import AP10K_SIGMAS, COCO_SIGMAS
from robustpose.models.pretrained import build_estimator, pretrained_model
from robustpose.profiles import expand_profile

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not REALDATA.is_dir(), reason=f"{REALDATA} is not available (../shared)")]

FITTED = "deeppose_res50_256x192"   # regression: its linear head can be fitted in closed form
EVALUATE_ON = {"coco": ["simplebaseline_res50_256x192"], "ochuman": [FITTED],
               "mpii": ["mpii_res50_256x256"], "ap10k": ["ap10k_res50_256x256"]}
CORRUPTIONS = ["motion_blur", "mask"]   # one ImageNet-C, one PoseBench (needs the people's boxes)


def _fit_regression_head(net: torch.nn.Module, name: str, sample: dict, image_dir: Path) -> None:
    """Fit DeepPose's linear head to the sample's people (least squares on the pooled random
    features): the model then finds the keypoints of the people it was fitted on and AP is far
    from 0, so comparing it with pycocotools proves something. The backbone keeps its seeded
    weights, with BatchNorm statistics calibrated on these crops as a trained network's are."""
    from robustpose.data.images import read_image
    from robustpose.models import crop as C
    from robustpose.models.net import PoseNet

    w, h = pretrained_model(name).input_wh
    crops, targets = [], []
    for ann in sample["annotations"]:
        if ann.get("iscrowd", 0) or ann.get("num_keypoints", 0) < 3:
            continue
        image = read_image(image_dir / next(im["file_name"] for im in sample["images"] if im["id"] == ann["image_id"]))
        m = C.warp_matrix(*C.box_to_center_scale(np.asarray(ann["bbox"], float), aspect=w / h), 0.0, (h, w))
        crops.append(C.crop(image, m, (h, w)))
        targets.append((C.apply_affine(np.asarray(ann["keypoints"], float).reshape(-1, 3)[:, :2], m) / [w, h]).ravel())
    x = PoseNet.normalise(torch.from_numpy(np.stack(crops)))
    with torch.no_grad():
        net.train()
        for mod in net.modules():
            if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                mod.reset_running_stats()
                mod.momentum = None   # cumulative average over the calibration pass
        net.backbone(x)
        net.eval()
        feats = net.neck(net.backbone(x))[-1].numpy().astype(np.float64)
    F = np.c_[feats, np.ones(len(feats))]
    W = F.T @ np.linalg.solve(F @ F.T + 1e-6 * np.eye(len(F)), np.asarray(targets))   # minimum-norm fit
    with torch.no_grad():
        net.head.fc.weight.copy_(torch.from_numpy(W[:-1].T).float())
        net.head.fc.bias.copy_(torch.from_numpy(W[-1]).float())


def _checkpoint_bytes(name: str) -> bytes:
    """An mmengine-format checkpoint of ``name``'s architecture: seeded weights; the COCO-layout
    model's head is fitted to the OCHuman sample's people, the others keep random heads."""
    torch.manual_seed(0)
    net = build_estimator(pretrained_model(name)).eval()
    if name == FITTED:
        path = REALDATA / "ochuman/test_ochuman.json"
        _fit_regression_head(net, name, json.loads(path.read_text()), path.parent)
    else:
        with torch.no_grad():   # mmpose's head init (std 0.001) gives flat maps; make them vary
            for p in net.head.parameters():
                p.add_(torch.randn_like(p) * 0.05)
    buf = io.BytesIO()
    torch.save({"meta": {"mmpose_version": "1.3.2"}, "state_dict": net.state_dict()}, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def mirror():
    """127.0.0.1 serving the datasets' archives and the checkpoints: yields (base URL, files)."""
    from test_prepare_real import _Host, _served_files

    served = {ds: files for ds, files in _served_files().items() if ds in EVALUATE_ON}
    served["checkpoints"] = {f"{m}.pth": _checkpoint_bytes(m) for m in sorted({m for ms in EVALUATE_ON.values() for m in ms})}
    handler = type("Handler", (_Host,), {"files": {f"{g}/{n}": b for g, fs in served.items() for n, b in fs.items()}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def repro(mirror, tmp_path_factory, monkeypatch_module):
    """A copy of the project with the mirrored paper-scale params, after `dvc repro`."""
    from test_pipeline_e2e import _copy_project, _run

    base, served = mirror
    repo = _copy_project(tmp_path_factory.mktemp("paper") / "repo")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    sha = lambda b: hashlib.sha256(b).hexdigest()  # noqa: E731
    overlay = {
        "datasets": [],
        "models": {},
        "evaluations": {},
        "advmix": {"models": []},
        # attack@ on the fitted regression model (clean AP 1): one image attacked, the universal
        # perturbation fitted on the other val image (no train split at paper scale)
        "attack": {"datasets": ["ochuman"],
                   "runs": {f"{FITTED}-ochuman": {"model": FITTED, "label": FITTED, "dataset": "ochuman",
                                                  "checkpoint": f"models/{FITTED}.pth"}},
                   "eps": [0, 8], "grid": {"fgsm-u": "all", "igsm-u-10": [8]}, "universal_eps": [8],
                   "universal_split": "val", "universal_steps": 2, "universal_max_crops": 0,
                   "defended": ["igsm-u-10@8"], "transfer": ["igsm-u-10@8"], "transfer_universal_eps": 8,
                   "max_images": 1, "batch_size": 8, "threads": 2},
        **{ds: {"max_images": 2, "urls": {n: f"{base}/{ds}/{n}" for n in served[ds]},
                "sha256": {n: sha(b) for n, b in served[ds].items()}} for ds in EVALUATE_ON},
        "corrupt": {"corruptions": CORRUPTIONS, "severities": [3], "workers": 1},
        "checkpoints": {"urls": {n[:-4]: f"{base}/checkpoints/{n}" for n in served["checkpoints"]},
                        "sha256": {n[:-4]: sha(b) for n, b in served["checkpoints"].items()}},
        "evaluate": {"boxes": "auto", "batch_size": 16, "flip_test": False},   # flip: tests/test_mmpose_inference.py
    }
    params = expand_profile(params, {"set": overlay, "evaluate_on": EVALUATE_ON})
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    _run(["git", "add", "-A"], repo)
    _run(["git", "commit", "-qm", "paper-scale params"], repo)
    result = _run(["dvc", "repro"], repo)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return repo


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        for var in ("ROBUSTPOSE_MIRROR_COCO", "ROBUSTPOSE_MIRROR_OCHUMAN", "ROBUSTPOSE_MIRROR_MPII",
                    "ROBUSTPOSE_MIRROR_AP10K", "ROBUSTPOSE_MIRROR_CHECKPOINTS"):
            mp.delenv(var, raising=False)
        yield mp


def _metrics(repo: Path, model: str, ds: str) -> dict:
    return json.loads((repo / "results/metrics" / model / f"{ds}.json").read_text())


def _predictions(repo: Path, model: str, ds: str, condition: str) -> list[dict]:
    return json.loads((repo / "results/predictions" / model / ds / f"{condition}.json").read_text())["predictions"]


def _pycocotools_ap(ann_file: Path, preds: list[dict], sigmas: np.ndarray, pool: bool) -> float:
    """Plain COCOeval, written out here; ``pool`` relabels every species as category 1."""
    data = json.loads(ann_file.read_text())
    if pool:
        data["categories"] = [dict(data["categories"][0], id=1)]
        for a in data["annotations"]:
            a["category_id"] = 1
        preds = [dict(p, category_id=1) for p in preds]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = data
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(copy.deepcopy(preds)), iouType="keypoints")
        ev.params.kpt_oks_sigmas = sigmas
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[0])


def test_every_stage_ran_and_wrote_the_contract(repro):
    for ds in EVALUATE_ON:
        assert (repro / "data/prepared" / ds / "val/annotations.json").exists()
        for c in CORRUPTIONS:
            assert json.loads((repro / "data/corrupted" / ds / c / "manifest.json").read_text())
    for name in ("simplebaseline_res50_256x192", FITTED, "mpii_res50_256x256", "ap10k_res50_256x256"):
        assert (repro / "models" / f"{name}.pth").stat().st_size > 10_000_000
    table = (repro / "reports/tables/table1_mpii.md").read_text()
    assert "PCKh" in table
    for ds in EVALUATE_ON:
        assert (repro / f"reports/tables/table1_{ds}.csv").exists()


def test_the_attack_stages_ran_on_a_published_regression_model(repro):
    res = json.loads((repro / "results/attack" / FITTED / "ochuman.json").read_text())
    assert res["meta"]["family"] == "regression" and res["meta"]["images"] == 1
    assert res["clean"]["metric"]["AP"] > 0.5   # the fitted head finds the person it was fitted on
    assert res["attacks"]["fgsm-u"]["0"]["metric"] == res["clean"]["metric"]
    for name, by_eps in res["attacks"].items():
        for eps, rec in by_eps.items():
            if not name.endswith("+smooth"):
                assert rec["linf"] <= float(eps) + 1e-4, (name, eps)
    assert res["attacks"]["igsm-u-10"]["8"]["metric"]["AP"] < res["clean"]["metric"]["AP"]
    assert np.abs(np.load(repro / "results/attack" / FITTED / "ochuman/universal_eps8.npy")).max() <= 8
    transfer = json.loads((repro / "results/attack_transfer/ochuman.json").read_text())
    assert transfer["image_specific"][FITTED][FITTED]["relative"] == pytest.approx(
        res["attacks"]["igsm-u-10"]["8"]["relative"])
    assert (repro / "reports/attack/tables/attacks_ochuman.md").exists()


@pytest.mark.parametrize("ds", ["coco", "ochuman", "ap10k"])
def test_ap_equals_plain_pycocotools_on_the_cached_predictions(repro, ds):
    model = EVALUATE_ON[ds][0]
    m = _metrics(repro, model, ds)
    assert m["meta"]["metric"] == "AP"
    assert m["meta"]["boxes"] == ("detector" if ds == "coco" else "gt")
    ann_file = repro / "data/prepared" / ds / "val/annotations.json"
    sigmas = AP10K_SIGMAS if ds == "ap10k" else COCO_SIGMAS
    for cond, stored in [("clean", m["clean"]), ("mask-3", m["corrupted"]["mask"]["3"]),
                         ("motion_blur-3", m["corrupted"]["motion_blur"]["3"])]:
        preds = _predictions(repro, model, ds, cond)
        assert preds, cond
        assert stored["AP"] == _pycocotools_ap(ann_file, preds, sigmas, pool=ds == "ap10k"), cond
    if model == FITTED:   # it finds the people it was fitted on; the corruptions cost it
        assert m["clean"]["AP"] > 0.5
        assert m["corrupted"]["motion_blur"]["3"]["AP"] < m["clean"]["AP"]
    assert set(m["per_keypoint"]["clean"]) == set(json.loads(ann_file.read_text())["categories"][0]["keypoints"])


def test_pckh_equals_an_independent_computation(repro):
    m = _metrics(repro, "mpii_res50_256x256", "mpii")
    assert m["meta"]["metric"] == "PCKh" and m["meta"]["boxes"] == "gt"
    ann = json.loads((repro / "data/prepared/mpii/val/annotations.json").read_text())
    for cond, stored in [("clean", m["clean"]), ("mask-3", m["corrupted"]["mask"]["3"])]:
        preds = _predictions(repro, "mpii_res50_256x256", "mpii", cond)
        # top-down with GT boxes: one prediction per annotation, in annotation order per image
        by_image: dict[int, list[dict]] = {}
        for p in preds:
            by_image.setdefault(p["image_id"], []).append(p)
        hits = total = 0
        for image_id, people in by_image.items():
            anns = [a for a in ann["annotations"] if a["image_id"] == image_id]
            assert len(anns) == len(people)
            for a, p in zip(anns, people):
                gt = np.asarray(a["keypoints"], float).reshape(16, 3)
                pr = np.asarray(p["keypoints"], float).reshape(16, 3)[:, :2] + 1.0   # to MPII's 1-based pixels
                x1, y1, x2, y2 = a["head_box"]
                head = 0.6 * np.hypot(x2 - x1, y2 - y1)
                for j in range(16):
                    if j in (6, 7) or gt[j, 2] <= 0:    # pelvis, thorax: not in the mean
                        continue
                    total += 1
                    hits += np.hypot(*(pr[j] - gt[j, :2])) <= 0.5 * head
        assert total > 0
        assert stored["PCKh"] == pytest.approx(hits / total, abs=1e-12), cond


def test_the_summary_uses_each_datasets_primary_metric(repro):
    import pandas as pd

    df = pd.read_csv(repro / "reports/results.csv")
    assert set(df["dataset"]) == set(EVALUATE_ON)
    assert set(df.loc[df["dataset"] == "mpii", "metric"]) >= {"PCKh", "PCKh@0.1", "Head", "Ankle"}
    summary = json.loads((repro / "reports/metrics.json").read_text())
    assert set(summary) == set(EVALUATE_ON)
    mpii = _metrics(repro, "mpii_res50_256x256", "mpii")
    mean = np.mean([mpii["corrupted"][c]["3"]["PCKh"] for c in CORRUPTIONS])
    assert mpii["summary"]["mPC"] == pytest.approx(mean)


def test_dvc_metrics_diff_compares_against_another_commit(repro):
    """The profiles are compared with `dvc metrics diff <other branch>`; here: against the commit
    before the run (no metrics yet), which must list every dataset/model value as new."""
    from test_pipeline_e2e import _run

    assert _run(["git", "add", "-A"], repro).returncode == 0
    assert _run(["git", "commit", "-qm", "paper-scale results"], repro).returncode == 0
    diff = _run(["dvc", "metrics", "diff", "HEAD~1", "--json"], repro)
    assert diff.returncode == 0, diff.stderr
    changes = json.loads(diff.stdout)
    # only the headline files are DVC metrics (one per model x dataset, a few short keys)
    assert set(changes) >= {f"metrics/{m}/{ds}.json" for ds, models in EVALUATE_ON.items() for m in models}
    assert "reports/metrics.json" not in changes
    assert changes["metrics/mpii_res50_256x256/mpii.json"]["mPC"]["new"] is not None
    assert changes["metrics/deeppose_res50_256x192/ochuman.json"]["AP"]["new"] > 0.5
