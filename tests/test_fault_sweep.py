"""The fault sweep: bad input stops a stage with one line naming the file or the key, a non-zero
exit and no traceback, and nothing already computed is lost. Each case runs a real stage script
in a subprocess on a tiny workspace (the README's fault table lists them)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from robustpose.data.synthetic import SyntheticConfig, write_split
from robustpose.models import model_spec
from robustpose.models.net import PoseNet, checkpoint_payload

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("faults")
    write_split(root / "data" / "val", SyntheticConfig(image_height=64, image_width=64), 0, "val", 3)
    net = PoseNet(model_spec("simplebaseline_r18", input_size=(64, 64), base_channels=8, deconv_channels=(8, 8)),
                  init_seed=0)
    buf = io.BytesIO()
    torch.save(checkpoint_payload(net), buf)
    (root / "model.pt").write_bytes(buf.getvalue())
    (root / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    return root


def _params(root: Path, change) -> None:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    change(params)
    (root / "params.yaml").write_text(yaml.safe_dump(params))


def _stage(root: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "stages" / f"{name}.py"), *args], cwd=root,
                          capture_output=True, text=True, timeout=300)


def _one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    assert proc.returncode != 0, proc.stdout[-500:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "error" in ln.lower()]
    assert len(lines) == 1, proc.stderr[-2000:]
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


def _corrupt(root: Path, data: str = "data/val", out: str = "out/corrupt") -> subprocess.CompletedProcess:
    return _stage(root, "corrupt", "--dataset", "synthetic", "--corruption", "gaussian_noise", "--data", data,
                  "--out", out)


def _evaluate(root: Path, checkpoint: str, out: str = "out/eval.json") -> subprocess.CompletedProcess:
    return _stage(root, "evaluate", "--model", "simplebaseline_r18", "--dataset", "synthetic", "--checkpoint",
                  checkpoint, "--data", "data/val", "--corrupted", "none", "--predictions", "out/pred",
                  "--out", out)


# ----------------------------------------------------------------------------- params
@pytest.mark.parametrize("case, change, fragments", [
    ("invalid yaml", None, ("params.yaml", "invalid YAML")),
    ("unknown key", lambda p: p["corrupt"].update(sevrities=[1]), ("corrupt.sevrities", "unknown key")),
    ("wrong type", lambda p: p["corrupt"].update(jpeg_quality="high"), ("corrupt.jpeg_quality", "type int")),
    ("severity 0", lambda p: p["corrupt"].update(severities=[0, 1]), ("corrupt.severities", "0")),
    ("severity 6", lambda p: p["corrupt"].update(severities=[6]), ("corrupt.severities", "6")),
    ("severity true", lambda p: p["corrupt"].update(severities=[True, 2]), ("corrupt.severities", "True")),
    ("misspelt section", lambda p: p.update(evalute=p["evaluate"]),
     ("unknown top-level key", "'evalute' (did you mean 'evaluate'?)", "allowed")),
])
def test_bad_params_stop_the_corrupt_stage(workspace, tmp_path, case, change, fragments):
    root = tmp_path
    (root / "data").symlink_to(workspace / "data")
    if change is None:
        (root / "params.yaml").write_text("seed: [0\ncorrupt: {\n")
    else:
        _params(root, change)
    _one_line_error(_corrupt(root), *fragments)
    assert not (root / "out").exists() or not any((root / "out").rglob("*.png"))


def test_negative_training_steps_stop_the_train_stage(workspace, tmp_path):
    (tmp_path / "data").symlink_to(workspace / "data")
    _params(tmp_path, lambda p: p["model"]["simplebaseline_r18"].update(steps=-5))
    proc = _stage(tmp_path, "train", "--model", "simplebaseline_r18", "--dataset", "synthetic", "--data", "data/val", "--out", "m.pt",
                  "--live", "live")
    _one_line_error(proc, "steps", "-5")
    assert not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize("override, fragments", [
    ({"steps": "ten"}, ("model.simplebaseline_r18.steps = 'ten'", "type int")),
    ({"stepz": 10}, ("model.simplebaseline_r18.stepz", "allowed", "'steps'", "'input_size'", "'lr'")),
])
def test_a_bad_per_model_override_names_its_key(workspace, tmp_path, override, fragments):
    (tmp_path / "data").symlink_to(workspace / "data")
    _params(tmp_path, lambda p: p["model"]["simplebaseline_r18"].update(override))
    proc = _stage(tmp_path, "train", "--model", "simplebaseline_r18", "--dataset", "synthetic", "--data", "data/val",
                  "--out", "m.pt", "--live", "live")
    _one_line_error(proc, *fragments)


@pytest.mark.parametrize("change, fragments", [
    (lambda p: p["train"].update(steps="ten"), ("train.steps", "type int")),
    (lambda p: p["advmix"].update(alpha="x"), ("advmix.alpha",)),
    (lambda p: p["lift"].update(steps=-1), ("steps",)),
    (lambda p: p["attack"].update(device="tpu"), ("attack.device",)),
    (lambda p: p["synthetic_animals"].update(max_animals=0), ("synthetic_animals",)),
    # a model added to `models:` without its own section: DVC would say "Parameters
    # 'model.deeppose_r18' are missing" at its stage; params_check says what to add
    (lambda p: p["model"].pop("deeppose_r18"), ("no section model.deeppose_r18", "deeppose_r18: {}")),
])
def test_the_params_check_stage_refuses_any_bad_section(tmp_path, change, fragments):
    """params_check (first in the DAG) validates what every stage will read, so a bad value stops
    `dvc repro` before DVC deletes any stage's outputs; the good file passes."""
    _params(tmp_path, lambda p: None)
    good = _stage(tmp_path, "check_params", "--out", "ok.txt")
    assert good.returncode == 0, good.stderr[-2000:]
    _params(tmp_path, change)
    _one_line_error(_stage(tmp_path, "check_params", "--out", "bad.txt"), *fragments)
    assert not (tmp_path / "bad.txt").exists()


def test_the_top_level_sections_cover_every_dataset():
    sys.path.insert(0, str(ROOT / "stages"))
    import _common
    from robustpose.data.keypoints import DATASET_LAYOUTS

    assert set(DATASET_LAYOUTS) <= set(_common.DATASET_SECTIONS)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    _common.check_top_level(params)


def test_a_model_is_refused_data_of_another_keypoint_layout(workspace, tmp_path):
    """`models: {simplebaseline_r18_animal: synthetic}` would teach AP-10K's paws from people's
    wrists: the train stage names the model, both layouts and what to pick instead."""
    (tmp_path / "data").symlink_to(workspace / "data")
    _params(tmp_path, lambda p: None)
    proc = _stage(tmp_path, "train", "--model", "simplebaseline_r18_animal", "--dataset", "synthetic",
                  "--data", "data/val", "--out", "m.pt", "--live", "live")
    _one_line_error(proc, "'simplebaseline_r18_animal'", "ap10k", "'synthetic'", "coco")
    assert not (tmp_path / "m.pt").exists()


def test_an_unknown_dataset_names_the_valid_ones(tmp_path):
    _params(tmp_path, lambda p: None)
    proc = _stage(tmp_path, "prepare", "--dataset", "synthetic_cats", "--out", "prep")
    _one_line_error(proc, "synthetic_cats", "synthetic_animals", "ap10k")


# ----------------------------------------------------------------------------- files
def _broken_split(workspace: Path, root: Path, edit) -> None:
    """A copy of the tiny val split with ``edit(split_dir)`` applied."""
    split = root / "data" / "val"
    (split / "images").mkdir(parents=True)
    for f in (workspace / "data" / "val" / "images").iterdir():
        (split / "images" / f.name).write_bytes(f.read_bytes())
    (split / "annotations.json").write_text((workspace / "data" / "val" / "annotations.json").read_text())
    edit(split)


def _truncate_image(split: Path) -> None:
    f = sorted((split / "images").iterdir())[1]
    f.write_bytes(f.read_bytes()[:200])


def _empty_image(split: Path) -> None:
    sorted((split / "images").iterdir())[1].write_bytes(b"")


def _annotations(edit):
    def apply(split: Path) -> None:
        ann = json.loads((split / "annotations.json").read_text())
        edit(ann)
        (split / "annotations.json").write_text(json.dumps(ann))
    return apply


@pytest.mark.parametrize("case, edit, fragments", [
    ("truncated image", _truncate_image, ("val_000001.png",)),
    ("zero-byte image", _empty_image, ("val_000001.png",)),
    ("wrong keypoint count", _annotations(lambda a: a["annotations"][0].update(keypoints=[1, 2, 2] * 5)),
     ("annotations.json", "keypoints")),
    ("dangling image id", _annotations(lambda a: a["annotations"][0].update(image_id=999)),
     ("annotations.json", "999")),
])
def test_bad_files_stop_the_corrupt_stage(workspace, tmp_path, case, edit, fragments):
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    _params(tmp_path, lambda p: p["corrupt"].update(on_bad_image="error", workers=1))
    _broken_split(workspace, tmp_path, edit)
    _one_line_error(_corrupt(tmp_path), *fragments)


def test_a_truncated_checkpoint_stops_evaluation_and_keeps_the_last_results(workspace, tmp_path):
    (tmp_path / "data").symlink_to(workspace / "data")
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    (tmp_path / "out").mkdir()
    earlier = b'{"clean": {"AP": 0.5}}'
    (tmp_path / "out" / "eval.json").write_bytes(earlier)
    good = (workspace / "model.pt").read_bytes()
    (tmp_path / "model.pt").write_bytes(good[: len(good) // 2])
    _one_line_error(_evaluate(tmp_path, "model.pt"), "model.pt")
    assert (tmp_path / "out" / "eval.json").read_bytes() == earlier


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_a_checkpoint_whose_pickle_runs_code_is_refused_unrun(workspace, tmp_path, writer):
    """Either serialization (torch's zip, a plain protocol-4 pickle): one line that names the
    global the file wanted, without torch's paragraphs or its advice to turn weights_only off."""
    import pickle

    (tmp_path / "data").symlink_to(workspace / "data")
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    buf = io.BytesIO()
    if writer == "torch.save":
        torch.save({"state_dict": _RunsCode()}, buf)
    else:
        pickle.dump({"spec": {}, "state_dict": _RunsCode()}, buf, protocol=4)
    (tmp_path / "evil.pt").write_bytes(buf.getvalue())
    proc = _evaluate(tmp_path, "evil.pt")
    _one_line_error(proc, "evil.pt", "needs posix.system which is not on the allow-list")
    assert "weights_only" not in proc.stderr
    assert not (tmp_path / "PWNED").exists()


# ----------------------------------------------------------------------------- disk full
def _fill_and_fail(monkeypatch):
    """Every write gets half its bytes out and then ENOSPC, as a full disk does."""
    real = os.fdopen

    class Full(io.RawIOBase):
        def __init__(self, fd):
            self.fh = real(fd, "wb", buffering=0)

        def writable(self):
            return True

        def write(self, data):
            self.fh.write(bytes(data[: max(1, len(data) // 2)]))
            raise OSError(28, "No space left on device")

        def close(self):
            self.fh.close()
            super().close()

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Full(fd))


def test_disk_full_while_writing_leaves_no_file_a_rerun_trusts(tmp_path, monkeypatch):
    """ENOSPC in the middle of an atomic write: the error propagates with its message, the old
    file is untouched and no temp file is left for a rerun to trust."""
    from robustpose import _io

    target = tmp_path / "metrics.json"
    target.write_text('{"old": 1}')
    _fill_and_fail(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        _io.write_json_atomic(target, {"new": list(range(1000))})
    monkeypatch.undo()
    assert target.read_text() == '{"old": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_a_full_tmpfs_stops_a_stage_with_one_line(workspace, tmp_path):
    """A real full disk: the corrupt stage writing into a 64 KiB tmpfs (needs mount rights)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs CAP_SYS_ADMIN")
    try:
        (tmp_path / "data").symlink_to(workspace / "data")
        (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
        _params(tmp_path, lambda p: p["corrupt"].update(workers=1, format="png"))
        line = _one_line_error(_corrupt(tmp_path, out=str(mnt / "out")), "No space left on device")
        assert line.startswith("error:")
        # whatever was written is whole: every PNG present decodes
        import cv2
        for f in (mnt / "out").rglob("*.png"):
            assert cv2.imread(str(f)) is not None, f
        assert not list((mnt / "out").rglob("*.tmp"))
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


# ----------------------------------------------------------------------------- SIGKILL midway
def _tiny_changes(p: dict) -> None:
    p["synthetic"].update(n_train=40, n_val=6, image_height=64, image_width=64)
    p["model"]["simplebaseline_r18"] = {"input_size": [64, 64], "base_channels": 8, "deconv_channels": [8, 8],
                                        "steps": 40, "batch_size": 8, "warmup_steps": 5}
    p["train"]["threads"] = 1


def _tiny_params(root: Path) -> None:
    _params(root, _tiny_changes)


def _run_and_kill(root: Path, name: str, args: list[str], ready, timeout: float = 240.0) -> None:
    """Start a stage, SIGKILL it as soon as ``ready()`` (midway), and wait for it to die.

    The stage's log goes to ``<root>/stage.log`` so that ``ready`` can wait for a log line."""
    import signal
    import time

    log = open(root / "stage.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "stages" / f"{name}.py"), *args], cwd=root,
                            stdout=log, stderr=subprocess.STDOUT)
    t0 = time.time()
    try:
        while not ready():
            assert proc.poll() is None, f"{name} finished before it could be killed midway"
            assert time.time() - t0 < timeout, f"{name} never reached the kill point"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        log.close()
    assert proc.returncode == -signal.SIGKILL, f"{name} finished (exit {proc.returncode}) before the kill landed"


def _whole_and_killed(tmp_path: Path, prepared: bool = False) -> tuple[Path, Path]:
    """Two tiny workspaces: one for the uninterrupted run, one for the killed and rerun one."""
    roots = tmp_path / "whole", tmp_path / "killed"
    for root in roots:
        root.mkdir()
        _tiny_params(root)
        if prepared:
            assert _stage(root, "prepare", "--dataset", "synthetic", "--out", "prep").returncode == 0
    return roots


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _logged(root: Path, text: str):
    """A kill point: ``text`` has appeared in the stage's log."""
    return lambda: text in (root / "stage.log").read_text(errors="replace")


def _no_temp_files(root: Path) -> bool:
    return not [p for p in root.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".tmp")]


@pytest.mark.slow
def test_prepare_killed_midway_then_rerun_equals_an_uninterrupted_run(tmp_path):
    whole, killed = _whole_and_killed(tmp_path)
    args = ["--dataset", "synthetic", "--out", "prep"]
    assert _stage(whole, "prepare", *args).returncode == 0
    images = killed / "prep" / "train" / "images"
    _run_and_kill(killed, "prepare", args, lambda: images.is_dir() and len(list(images.glob("*.png"))) >= 15)
    assert not (killed / "prep" / "train" / "annotations.json").exists()   # written last: nothing to trust
    assert not list(killed.rglob("*.tmp"))
    assert _stage(killed, "prepare", *args).returncode == 0
    assert _tree(killed / "prep") == _tree(whole / "prep")


@pytest.mark.slow
def test_train_killed_midway_leaves_no_checkpoint_and_reruns_to_the_same_bytes(tmp_path):
    whole, killed = _whole_and_killed(tmp_path, prepared=True)
    for root in (whole, killed):   # long enough that the first log (step 50) is midway
        _params(root, lambda p: (_tiny_changes(p), p["model"]["simplebaseline_r18"].update(steps=250)))
    args = ["--model", "simplebaseline_r18", "--dataset", "synthetic", "--data", "prep/train", "--out", "model.pt", "--live", "live"]
    assert _stage(whole, "train", *args).returncode == 0
    logged = killed / "live" / "plots" / "metrics"
    _run_and_kill(killed, "train", args, lambda: logged.is_dir() and any(logged.rglob("*.tsv")))
    assert not (killed / "model.pt").exists() and not list(killed.glob("*.tmp"))
    assert _stage(killed, "train", *args).returncode == 0
    assert (killed / "model.pt").read_bytes() == (whole / "model.pt").read_bytes()


def _teacher(whole: Path, killed: Path) -> list[str]:
    """Train the tiny clean model once and give both workspaces the same file."""
    args = ["--model", "simplebaseline_r18", "--dataset", "synthetic", "--data", "prep/train", "--out", "model.pt", "--live", "live"]
    assert _stage(whole, "train", *args).returncode == 0
    (killed / "model.pt").write_bytes((whole / "model.pt").read_bytes())
    return args


@pytest.mark.slow
def test_advmix_killed_midway_leaves_no_checkpoint_and_reruns_to_the_same_bytes(tmp_path):
    whole, killed = _whole_and_killed(tmp_path, prepared=True)
    _teacher(whole, killed)
    for root in (whole, killed):
        _params(root, lambda p: (_tiny_changes(p), p["advmix"].update(steps=150, warmup_steps=3, generator_width=4)))
    args = ["--model", "simplebaseline_r18", "--strategy", "advmix", "--seed", "0", "--teacher", "model.pt",
            "--data", "prep/train", "--out", "advmix.pt", "--live", "amix"]
    assert _stage(whole, "advmix", *args).returncode == 0
    logged = killed / "amix" / "plots" / "metrics"
    _run_and_kill(killed, "advmix", args, lambda: logged.is_dir() and any(logged.rglob("*.tsv")))
    assert not (killed / "advmix.pt").exists() and _no_temp_files(killed)
    assert _stage(killed, "advmix", *args).returncode == 0
    assert (killed / "advmix.pt").read_bytes() == (whole / "advmix.pt").read_bytes()
    assert _untimed(killed / "amix" / "history.json") == _untimed(whole / "amix" / "history.json")


def _untimed(path: Path):
    """A history without its throughput entries (wall-clock, different on every run)."""
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "samples_per_s"}
        return [strip(v) for v in node] if isinstance(node, list) else node
    return strip(json.loads(path.read_text()))


@pytest.mark.slow
def test_evaluate_killed_midway_resumes_to_the_same_metrics(tmp_path):
    whole, killed = _whole_and_killed(tmp_path, prepared=True)
    _teacher(whole, killed)
    corruptions = ["gaussian_noise", "defocus_blur"]
    for root in (whole, killed):
        _params(root, lambda p: (_tiny_changes(p), p["corrupt"].update(corruptions=corruptions)))
        assert _stage(root, "corrupt", "--dataset", "synthetic", "--data", "prep/val",
                      "--out", "corrupted").returncode == 0   # every corruption of params.yaml
    args = ["--model", "simplebaseline_r18", "--dataset", "synthetic", "--checkpoint", "model.pt",
            "--data", "prep/val", "--corrupted", "corrupted", "--predictions", "pred", "--out", "metrics.json"]
    assert _stage(whole, "evaluate", *args).returncode == 0
    cached = killed / "pred"
    _run_and_kill(killed, "evaluate", args, lambda: cached.is_dir() and len(list(cached.rglob("*.json"))) >= 3)
    assert not (killed / "metrics.json").exists() and _no_temp_files(killed)
    assert _stage(killed, "evaluate", *args).returncode == 0
    assert (killed / "metrics.json").read_bytes() == (whole / "metrics.json").read_bytes()


@pytest.mark.slow
def test_lift_killed_midway_writes_nothing_and_reruns_to_the_same_bytes(tmp_path):
    whole, killed = _whole_and_killed(tmp_path)
    for root in (whole, killed):
        _params(root, lambda p: (_tiny_changes(p), p["lift"].update(
            lifters=["tcn"], variants=["baseline", "tagn", "caconv", "tagn_caconv"], seeds=[0],
            corruptions=["noise_jitter"], severities=[1], steps=150, train_subjects=2, test_subjects=1,
            cameras=1, frames=60, workers=1, tcn_width=16, batch_size=8, eval_stride=16)))
    args = ["--results", "r/results.json", "--metrics", "r/metrics.json"]
    assert _stage(whole, "lift", *args).returncode == 0
    _run_and_kill(killed, "lift", args, _logged(killed, "tcn/baseline seed 0: clean"))
    assert not (killed / "r").exists() and _no_temp_files(killed)
    assert _stage(killed, "lift", *args).returncode == 0
    assert _tree(killed / "r") == _tree(whole / "r")


def test_a_missing_clean_image_names_the_file_and_the_reason(workspace, tmp_path):
    """An OSError prints its reason and its file, never its errno (`error: 2`)."""
    import shutil

    shutil.copytree(workspace / "data", tmp_path / "data")
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    victim = sorted((tmp_path / "data" / "val" / "images").iterdir())[0]
    victim.unlink()
    line = _one_line_error(_evaluate(tmp_path, str(workspace / "model.pt")), victim.name, "No such file or directory")
    assert not line.rstrip().endswith(": 2")


@pytest.mark.parametrize("err, line", [
    (OSError(28, "No space left on device"), "No space left on device"),
    (IsADirectoryError(21, "Is a directory", "data/raw/x/."), "data/raw/x/.: Is a directory"),
    (FileNotFoundError(2, "No such file or directory", "a.png"), "a.png: No such file or directory"),
    (ValueError("a.png: unreadable image\nsecond line"), "a.png: unreadable image"),
])
def test_error_line_gives_the_reason_and_the_file(err, line):
    sys.path.insert(0, str(ROOT / "stages"))
    import _common

    assert _common.error_line(err) == line
