"""The `robustpose` command: the same corruption engine as the corrupt stage, on any folder of
images; one-line errors; resume after a kill; the reference recipe; the listings."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from robustpose import corrupt
from robustpose._io import pixel_digest, read_json
from robustpose.cli import PERSON_AWARE, UsageError, main, parse_severities
from robustpose.corrupt.dataset import CorruptJob, corrupt_dataset
from robustpose.data.images import read_image
from conftest import kill_after_files

ROOT = Path(__file__).resolve().parents[1]
HEX64 = re.compile(r"[0-9a-f]{64}")


def _images(folder: Path, names: list[str], size: tuple[int, int] = (40, 48), seed: int = 0) -> None:
    """Random RGB images under ``folder`` (the suffix picks the encoding)."""
    rng = np.random.default_rng(seed)
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(path)


def _cli(*args: object) -> int:
    return main([str(a) for a in args])


def _manifest(out: Path, corruption: str) -> dict[str, str]:
    return read_json(out / corruption / "manifest.json")


def _error(capsys) -> str:
    """The one stderr line of a failed command (nothing else may have been printed)."""
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("robustpose: error: ")
    return lines[0]


# ------------------------------------------------------------------ the stage's engine, any folder

def test_real_coco_manifests_equal_the_stage_call(realdata, tmp_path):
    coco, names = realdata / "coco", ["fog", "gaussian_noise", "mask"]
    ann = coco / "test_coco.json"
    assert _cli("corrupt", coco, tmp_path / "cli", "--corruptions", ",".join(names), "--severities", "1,3",
                "--dataset", "coco", "--annotations", ann, "--workers", 1) == 0
    expected = {}
    for name in names:   # as stages/corrupt.py calls it (seed 0 = params.yaml's)
        job = CorruptJob(str(coco), str(tmp_path / "stage" / name), "coco", name, seed=0)
        expected[name] = corrupt_dataset(job, ann, [1, 3], workers=1)
        assert len(expected[name]) == 8 and _manifest(tmp_path / "cli", name) == expected[name]
    # no --annotations: the folder's images with nobody annotated give the same non-mask outputs
    assert _cli("corrupt", coco, tmp_path / "folder", "--corruptions", "fog,gaussian_noise",
                "--severities", "1,3", "--dataset", "coco", "--workers", 1) == 0
    for name in ("fog", "gaussian_noise"):
        assert _manifest(tmp_path / "folder", name) == expected[name]
    # another seed: every image differs (mask: other joints hidden)
    assert _cli("corrupt", coco, tmp_path / "seed1", "--corruptions", "gaussian_noise,mask", "--severities",
                "1,3", "--dataset", "coco", "--annotations", ann, "--seed", 1, "--workers", 1) == 0
    for name in ("gaussian_noise", "mask"):
        other = _manifest(tmp_path / "seed1", name)
        assert other.keys() == expected[name].keys()
        assert all(other[k] != expected[name][k] for k in other), name


def test_folder_of_images_then_rerun_is_a_no_op(tmp_path):
    src = tmp_path / "photos"
    _images(src, ["a.png", "b.JPG", "sub/c.bmp", ".hidden.png"])
    (src / "notes.txt").write_text("not an image")
    out = src / "corrupted"   # inside the source folder: its files must not become sources
    args = ("corrupt", src, out, "--corruptions", "contrast,fog", "--severities", "1,3", "--workers", 1)
    assert _cli(*args) == 0
    first = {name: _manifest(out, name) for name in ("contrast", "fog")}
    for name, manifest in first.items():
        assert set(manifest) == {f"{s}/{f}" for s in (1, 3) for f in ("a.png", "b.png", "sub/c.png")}
        assert all(HEX64.fullmatch(d) for d in manifest.values())
        assert manifest["3/sub/c.png"] == pixel_digest(read_image(out / name / "3" / "sub" / "c.png"))
    assert read_json(out / "fog" / "job.json")["job"]["dataset"] == "photos"   # --dataset default
    written = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert len(written) == 2 * (6 + 1)   # 6 images and job.json per corruption
    time.sleep(0.01)
    assert _cli(*args) == 0
    assert {name: _manifest(out, name) for name in first} == first
    assert {p: p.stat().st_mtime_ns for p in written} == written, "a finished file was rewritten"


def test_killed_run_resumes_to_the_uninterrupted_manifest(tmp_path):
    src, killed = tmp_path / "src", tmp_path / "killed"
    _images(src, [f"img_{i:02d}.png" for i in range(16)], size=(160, 160))

    def argv(out: Path) -> list[str]:
        return ["corrupt", str(src), str(out), "--corruptions", "defocus_blur", "--severities", "1-5", "--workers", "2"]

    done = kill_after_files([sys.executable, "-m", "robustpose.cli", *argv(killed)], killed, "defocus_blur/*/*.png", 8)
    assert 8 <= len(done) < 80 and not (killed / "defocus_blur" / "manifest.json").exists()
    assert main(argv(killed)) == 0
    assert all(p.stat().st_mtime_ns == t for p, t in done.items()), "finished images were redone"
    assert not list(killed.rglob(".*.tmp"))
    assert main(argv(tmp_path / "fresh")) == 0
    resumed = _manifest(killed, "defocus_blur")
    assert resumed == _manifest(tmp_path / "fresh", "defocus_blur") and len(resumed) == 80


# ------------------------------------------------------------------ one-line errors

def test_usage_errors_are_one_line_with_exit_status_2(tmp_path, capsys):
    _images(tmp_path / "src", ["a.png"])
    (tmp_path / "empty").mkdir()
    base = ("corrupt", tmp_path / "src", tmp_path / "out")
    assert _cli(*base, "--corruptions", "fog,fgo") == 2
    line = _error(capsys)
    assert "'fgo'" in line and "valid:" in line and "gaussian_noise" in line
    assert _cli("corrupt", tmp_path / "nowhere", tmp_path / "out", "--corruptions", "fog") == 2
    assert "nowhere: no such folder" in _error(capsys)
    assert _cli("corrupt", tmp_path / "empty", tmp_path / "out", "--corruptions", "fog") == 2
    assert "empty: no images" in _error(capsys)
    assert _cli(*base, "--corruptions", "fog,mask") == 2
    assert "mask" in (line := _error(capsys)) and "--annotations" in line
    assert _cli(*base, "--corruptions", "fog,darkness", "--reference") == 2
    assert "darkness has no reference recipe" in _error(capsys)
    assert _cli(*base, "--corruptions", "fog", "--severities", "0-2") == 2
    assert "severities are 1..5" in _error(capsys)
    assert _cli(*base, "--corruptions", "fog", "--format", "tiff") == 2
    assert "invalid choice: 'tiff'" in _error(capsys)
    assert not (tmp_path / "out").exists()


def test_folders_it_did_not_write_are_never_cleared(tmp_path, capsys):
    _images(tmp_path / "fog", ["a.png"])        # the user's own photos of fog
    _images(tmp_path / "src", ["b.png"])
    assert _cli("corrupt", tmp_path / "fog", tmp_path, "--corruptions", "fog") == 2
    assert "would hold the source images" in _error(capsys)
    assert _cli("corrupt", tmp_path / "src", tmp_path, "--corruptions", "fog") == 2
    assert "no job.json" in _error(capsys)
    assert (tmp_path / "fog" / "a.png").exists()


def test_unreadable_image_is_named_in_one_line_or_skipped(tmp_path, capsys):
    src = tmp_path / "src"
    _images(src, ["a.png", "c.png"])
    (src / "b.jpg").write_bytes(b"\xff\xd8 this is no JPEG")
    assert _cli("corrupt", src, tmp_path / "out", "--corruptions", "contrast", "--workers", 1) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("robustpose: error: ") and "b.jpg: unreadable image" in errors[0]
    assert _cli("corrupt", src, tmp_path / "out", "--corruptions", "contrast", "--severities", "2",
                "--on-bad-image", "skip", "--workers", 1) == 0
    manifest = _manifest(tmp_path / "out", "contrast")
    assert manifest["2/b.png"].startswith("skipped: ") and HEX64.fullmatch(manifest["2/c.png"])


def test_a_real_process_exits_2_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "robustpose.cli", "corrupt", str(tmp_path), str(tmp_path / "o"),
                           "--corruptions", "fgo"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("robustpose: error: unknown corruption")


@pytest.mark.parametrize("text, expected", [("1-5", [1, 2, 3, 4, 5]), ("1,3,5", [1, 3, 5]), ("3", [3]),
                                            ("1-2,5", [1, 2, 5]), ("3,1,3", [1, 3])])
def test_severities_parse(text, expected):
    assert parse_severities(text) == expected


@pytest.mark.parametrize("text", ["", "x", "1-", "-2", "3-1", "0", "6", "2-7", "1;3", "1,,2"])
def test_bad_severities_are_usage_errors(text):
    with pytest.raises(UsageError):
        parse_severities(text)


# ------------------------------------------------------------------ the reference recipe

def test_reference_recipe_is_deterministic_and_not_the_default(tmp_path):
    _images(tmp_path / "src", ["a.png"])
    runs = {}
    for run, extra in [("ref1", ["--reference"]), ("ref2", ["--reference"]), ("ref_seed1", ["--reference", "--seed", "1"]),
                       ("default", [])]:
        assert _cli("corrupt", tmp_path / "src", tmp_path / run, "--corruptions", "fog,impulse_noise",
                    "--severities", "2", "--workers", 1, *extra) == 0
        runs[run] = {n: _manifest(tmp_path / run, n)["2/a.png"] for n in ("fog", "impulse_noise")}
    assert runs["ref1"] == runs["ref2"]   # impulse noise included, which the recipe leaves unseeded
    assert all(runs["ref1"][n] != runs["default"][n] for n in ("fog", "impulse_noise"))
    assert runs["ref_seed1"]["fog"] == runs["ref1"]["fog"]   # COCO-C's np.random.seed(1): no seed
    assert runs["ref_seed1"]["impulse_noise"] != runs["ref1"]["impulse_noise"]
    assert read_json(tmp_path / "ref1" / "fog" / "job.json")["job"]["recipe"] == "reference"
    assert "recipe" not in read_json(tmp_path / "default" / "fog" / "job.json")["job"]   # stage stamps unchanged


# ------------------------------------------------------------------ listings and help

def test_list_corruptions_names_every_registered_one(capsys):
    assert _cli("list", "corruptions") == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert listed == corrupt.names()


def test_list_models_names_embedded_and_pretrained(capsys):
    from robustpose.models.pretrained import list_pretrained
    from robustpose.models.registry import list_models

    assert _cli("list", "models") == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert listed == [*list_models(), *list_pretrained()]


@pytest.mark.parametrize("argv", [[], ["corrupt"], ["list"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: robustpose {' '.join(argv)}".rstrip())
    if not argv:
        assert "Examples" in out and "robustpose corrupt" in out


@pytest.mark.parametrize("name", corrupt.names())
def test_only_the_person_aware_corruptions_need_annotations(name):
    """PERSON_AWARE is what the CLI refuses without --annotations: every other corruption must
    ignore the context, and each person-aware one must change an image once a person is there."""
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    person = {"boxes": np.array([[8.0, 8.0, 56.0, 56.0]]), "keypoints": np.zeros((1, 0, 3))}
    nobody = {"boxes": np.zeros((0, 4)), "keypoints": np.zeros((0, 0, 3))}
    with_person = corrupt.apply(image, name, 3, 0, person)
    if name in PERSON_AWARE:
        assert not np.array_equal(with_person, corrupt.apply(image, name, 3, 0, nobody))
    else:
        np.testing.assert_array_equal(with_person, corrupt.apply(image, name, 3, 0, nobody))
