"""Synthetic motion, sequence corruptions, TAGN noise and the Human3.6M / HumanEva-I loaders."""
from __future__ import annotations

import numpy as np
import pytest

from robustpose.lift import corruptions as corr
from robustpose.lift.h36m import load_h36m, load_humaneva, parse_imgname
from robustpose.lift.motion import ACTIONS, MotionConfig, make_dataset, subject_bones
from robustpose.lift.skeleton import FLIP_PAIRS, NUM_JOINTS, PARENTS, bone_lengths, flip_permutation
from robustpose.lift.tagn import TAGNConfig, add_tagn, ar1_noise
from robustpose.lift.train import make_windows, normalize_2d
from robustpose.seeding import rng_for

SMALL = MotionConfig(train_subjects=2, test_subjects=1, cameras=1, frames=60)


@pytest.fixture(scope="module")
def dataset():
    return make_dataset(0, SMALL)


# ------------------------------------------------------------------------------------ skeleton


def test_skeleton_tables_are_consistent():
    assert len(PARENTS) == NUM_JOINTS == 17 and PARENTS[0] == -1
    assert all(PARENTS[j] < j for j in range(1, NUM_JOINTS))          # topological order
    perm = flip_permutation()
    assert sorted(perm) == list(range(NUM_JOINTS)) and np.all(perm[perm] == np.arange(NUM_JOINTS))
    for left, right in FLIP_PAIRS:
        assert perm[left] == right


# -------------------------------------------------------------------------------- motion data


def test_dataset_is_deterministic_and_split_by_subject(dataset):
    train, test = dataset
    again_train, _ = make_dataset(0, SMALL)
    assert len(train) == 2 * len(ACTIONS) and len(test) == len(ACTIONS)
    for a, b in zip(train, again_train):
        assert a.keypoints_2d.tobytes() == b.keypoints_2d.tobytes()
        assert a.pose_3d.tobytes() == b.pose_3d.tobytes()
    assert {s.subject for s in train}.isdisjoint({s.subject for s in test})
    other, _ = make_dataset(1, SMALL)
    assert not np.array_equal(other[0].pose_3d, train[0].pose_3d)


def test_bones_are_rigid_and_subjects_differ(dataset):
    train, _ = dataset
    for seq in train:
        lengths = bone_lengths(seq.pose_3d.astype(np.float64))
        assert lengths.std(axis=0).max() < 1e-4                         # rigid over time
    a = bone_lengths(train[0].pose_3d[0])
    b = bone_lengths(train[len(ACTIONS)].pose_3d[0])                    # another subject
    assert np.abs(a - b).max() > 0.005
    bones = subject_bones(rng_for(0, "x"))
    assert 0.3 < bones["thigh"] < 0.6


def test_projection_and_detector_noise(dataset):
    """The 2D is the projection of the 3D plus small noise, with confidence in (0, 1]."""
    train, _ = dataset
    seq = train[0]
    assert seq.keypoints_2d.shape == (60, 17, 3) and seq.pose_3d.shape == (60, 17, 3)
    assert np.all(seq.pose_3d[..., 2] > 1.0)                           # in front of the camera
    height = np.ptp(seq.keypoints_2d[..., 1], axis=1).mean()
    assert 150 < height < 700                                           # a person on a 1000 px image
    conf = seq.keypoints_2d[..., 2]
    assert conf.min() >= 0.05 and conf.max() <= 1.0 and 0.6 < conf.mean() < 0.98
    # the pixel error of the detector relative to a noise-free projection stays small
    xy = seq.pose_3d[..., :2] / seq.pose_3d[..., 2:3]
    # recover focal/centre by least squares from the noisy 2D: residual must be a few pixels
    A = np.stack([xy[..., 0].ravel(), np.ones(xy[..., 0].size)], 1)
    fx, cx = np.linalg.lstsq(A, seq.keypoints_2d[..., 0].ravel(), rcond=None)[0]
    resid = seq.keypoints_2d[..., 0].ravel() - A @ [fx, cx]
    assert 1000 < fx < 1300 and np.abs(resid).mean() < 0.02 * height


def test_actions_move_differently(dataset):
    train, _ = dataset
    by_action = {s.action: s for s in train if s.subject == train[0].subject}
    travel = {a: np.linalg.norm(s.pose_3d[-1, 0] - s.pose_3d[0, 0]) for a, s in by_action.items()}
    assert travel["running"] > travel["walking"] > travel["reaching"]
    sit = by_action["sitting"].pose_3d
    hip_knee_height = sit[:, 2, 1] - sit[:, 1, 1]                       # camera y points down
    assert hip_knee_height.max() - hip_knee_height.min() > 0.15          # the thigh goes horizontal


def test_windows_normalise_and_centre(dataset):
    train, _ = dataset
    w = make_windows(train, stride=5)
    x, y = w.gather(w.centres[:3])
    assert x.shape == (3, 27, 17, 3) and y.shape == (3, 17, 3)
    np.testing.assert_array_equal(y[:, 0], 0.0)                          # root-relative
    assert len(w) == len(train) * len(range(13, 60 - 13, 5))
    norm = normalize_2d(np.array([[[0.0, 0.0, 0.5], [1000.0, 1000.0, 1.0]]]), 1000, 1000)
    np.testing.assert_allclose(norm, [[[-1, -1, 0.5], [1, 1, 1]]])


# -------------------------------------------------------------------------------- corruptions


def _sequence() -> np.ndarray:
    train, _ = make_dataset(0, MotionConfig(train_subjects=1, test_subjects=1, cameras=1, frames=100))
    return train[0].keypoints_2d


@pytest.mark.parametrize("name", corr.names())
def test_corruption_contract(name):
    seq = _sequence()
    before = seq.copy()
    out = corr.apply(name, seq, 3, rng_for(0, name))
    assert out.shape == seq.shape and out.dtype == seq.dtype
    assert out[..., 2].min() >= 0 and out[..., 2].max() <= 1
    np.testing.assert_array_equal(seq, before)                         # input untouched
    again = corr.apply(name, seq, 3, rng_for(0, name))
    assert out.tobytes() == again.tobytes()                            # the rng is the only randomness
    assert not np.array_equal(out, seq)


@pytest.mark.parametrize("name", corr.names())
def test_severity_5_corrupts_more_than_1(name):
    """Mean 2D displacement (in person heights) plus confidence loss, averaged over draws."""
    seq = _sequence()
    scale = corr.person_scale(seq)

    def damage(severity: int) -> float:
        total = 0.0
        for draw in range(6):
            out = corr.apply(name, seq, severity, rng_for(1, name, severity, draw))
            total += np.linalg.norm(out[..., :2] - seq[..., :2], axis=-1).mean() / scale
            total += np.abs(out[..., 2] - seq[..., 2]).mean()
        return total / 6

    assert damage(5) > 1.5 * damage(1) > 0


def test_corruption_specifics():
    seq = _sequence()
    swapped = corr.apply("left_right_swap", seq, 5, rng_for(0))
    changed = np.any(swapped[..., :2] != seq[..., :2], axis=(1, 2))
    # on a changed frame some left joint now sits where a right joint was
    t = int(np.argmax(changed))
    assert any(np.allclose(swapped[t, l, :2], seq[t, r, :2]) for l, r in FLIP_PAIRS)
    dropped = corr.apply("frame_drop", seq, 5, rng_for(0))
    repeats = np.all(dropped[1:] == dropped[:-1], axis=(1, 2))
    assert 0.4 < repeats.mean() < 0.9 and np.array_equal(dropped[0], seq[0])
    occluded = corr.apply("occlusion", seq, 5, rng_for(0))
    low = occluded[..., 2] < 0.21
    assert low.mean() > 0.1 and np.abs(occluded[low][:, :2] - seq[low][:, :2]).max() > 5


def test_corruption_input_errors():
    seq = _sequence()
    with pytest.raises(KeyError, match="valid"):
        corr.apply("nope", seq, 1, rng_for(0))
    with pytest.raises(ValueError, match="severity"):
        corr.apply("occlusion", seq, 6, rng_for(0))
    with pytest.raises(ValueError, match=r"\(T, J, 3\)"):
        corr.apply("occlusion", seq[..., :2], 1, rng_for(0))
    with pytest.raises(ValueError, match="unknown sequence corruption"):
        corr.check_names(["occlusion", "fog"])


# --------------------------------------------------------------------------------------- TAGN


def test_tagn_noise_has_the_documented_autocorrelation():
    rho = 0.8
    e = ar1_noise((3000, 27, 2, 2), rho, rng_for(0, "ar1")).astype(np.float64)
    assert e.var(axis=(0, 2, 3)) == pytest.approx(np.ones(27), abs=0.08)   # stationary, unit variance
    for lag in (1, 2, 5):
        corr_lag = np.mean(e[:, :-lag] * e[:, lag:])
        assert corr_lag == pytest.approx(rho ** lag, abs=0.03)
    # independent across joints/coordinates
    assert abs(np.mean(e[..., 0, 0] * e[..., 1, 0])) < 0.03


def test_tagn_amplitude_is_relative_and_confidence_untouched():
    rng = rng_for(0, "batch")
    batch = np.zeros((400, 27, 17, 3), np.float32)
    batch[..., 1] = np.linspace(0, 0.5, 17)[None, None, :]              # a person 0.5 units tall
    batch[..., 2] = 0.9
    cfg = TAGNConfig(sigma_max=0.1, rho=0.8, prob=1.0)
    out = add_tagn(batch, cfg, rng)
    assert np.array_equal(out[..., 2], batch[..., 2])
    per_window_std = (out[..., :2] - batch[..., :2]).std(axis=(1, 2, 3))
    # amplitude ~ U(0, 0.1) * 0.5: at most 0.05, mean 0.025 (temporal correlation adds spread)
    assert per_window_std.max() < 0.065 and 0.018 < per_window_std.mean() < 0.032
    half = add_tagn(batch, TAGNConfig(sigma_max=0.1, rho=0.8, prob=0.5), rng)
    clean = np.all(half == batch, axis=(1, 2, 3))
    assert 0.4 < clean.mean() < 0.6
    with pytest.raises(ValueError, match="tagn_rho"):
        TAGNConfig(rho=1.0)


# ---------------------------------------------------------------------------- paper loaders


def _write_h36m(path, subjects=("S1", "S9"), actions=("Directions_1", "Walking_2"),
                cameras=("54138969", "55011271"), frames=30, joints=17, shuffle=True, name_fmt=None):
    """A tiny file in mmpose's preprocess_h36m.py layout; returns the rows' (S, part)."""
    rng = np.random.default_rng(0)
    names, S, part = [], [], []
    for subj in subjects:
        for action in actions:
            for cam in cameras:
                for f in range(frames):
                    base = f"{subj}_{action}.{cam}"
                    names.append(name_fmt(subj, action, cam, f) if name_fmt else
                                 f"{subj}/{base}/{base}_{5 * f + 1:06d}.jpg")
                    S.append(np.concatenate([rng.normal(0, 0.3, (joints, 3)) + [0, 0, 5], np.ones((joints, 1))], 1))
                    part.append(np.concatenate([rng.uniform(0, 1000, (joints, 2)), np.ones((joints, 1))], 1))
    order = rng.permutation(len(names)) if shuffle else np.arange(len(names))
    arrays = dict(imgname=np.array(names)[order], S=np.array(S)[order], part=np.array(part)[order],
                  center=np.zeros((len(names), 2)), scale=np.ones(len(names)))
    np.savez(path, **arrays)
    return arrays


def test_parse_imgname():
    assert parse_imgname("S1/S1_Directions_1.54138969/S1_Directions_1.54138969_000001.jpg") == \
        ("S1", "Directions_1", "54138969", 1)
    assert parse_imgname("S11_Walking_Dog.60457274_001234.jpg") == ("S11", "Walking_Dog", "60457274", 1234)
    with pytest.raises(ValueError, match="not <subject>"):
        parse_imgname("frame_0001.jpg")


def test_load_h36m_groups_sorts_and_splits(tmp_path):
    arrays = _write_h36m(tmp_path / "h36m_train.npz")
    seqs = load_h36m(tmp_path, "train")                                 # default train subjects: S1 only
    assert [(s.subject, s.action, s.camera) for s in seqs] == [
        ("S1", a, c) for a in ("Directions_1", "Walking_2") for c in ("54138969", "55011271")]
    seq = seqs[0]
    assert seq.num_frames == 30 and seq.image_width == 1000 and seq.image_height == 1002
    # frames come back in frame order, values from the right rows
    names = list(arrays["imgname"])
    rows = [names.index(f"S1/S1_Directions_1.54138969/S1_Directions_1.54138969_{5 * f + 1:06d}.jpg")
            for f in range(30)]
    np.testing.assert_allclose(seq.pose_3d, arrays["S"][rows, :, :3], rtol=1e-6)
    np.testing.assert_allclose(seq.keypoints_2d[..., :2], arrays["part"][rows, :, :2], rtol=1e-6)
    assert np.all(seq.keypoints_2d[..., 2] == 1.0)
    assert {s.subject for s in load_h36m(tmp_path, "train", subjects=("S9",))} == {"S9"}


def test_load_h36m_with_cpn_detections(tmp_path):
    arrays = _write_h36m(tmp_path / "h36m_test.npz")
    dets = np.random.default_rng(1).uniform(0, 1, (len(arrays["imgname"]), 17, 3)).astype(np.float32)
    np.save(tmp_path / "cpn_ft_h36m_dbb_test.npy", dets)
    seqs = load_h36m(tmp_path, "test", detections=tmp_path / "cpn_ft_h36m_dbb_test.npy")
    assert {s.subject for s in seqs} == {"S9"}
    names = list(arrays["imgname"])
    row = names.index("S9/S9_Walking_2.55011271/S9_Walking_2.55011271_000001.jpg")
    seq = next(s for s in seqs if s.action == "Walking_2" and s.camera == "55011271")
    np.testing.assert_array_equal(seq.keypoints_2d[0], dets[row])
    np.save(tmp_path / "short.npy", dets[:-1])
    with pytest.raises(ValueError, match="short.npy.*row-aligned"):
        load_h36m(tmp_path, "test", detections=tmp_path / "short.npy")


def test_load_h36m_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="h36m_train.npz"):
        load_h36m(tmp_path, "train")
    np.savez(tmp_path / "h36m_train.npz", imgname=np.array(["S1_A.54138969_000001.jpg"]), S=np.zeros((1, 17, 4)))
    with pytest.raises(ValueError, match=r"h36m_train.npz: missing key\(s\) \['part'\]"):
        load_h36m(tmp_path, "train")
    np.savez(tmp_path / "h36m_train.npz", imgname=np.array(["S1_A.54138969_000001.jpg"]), S=np.zeros((1, 16, 4)),
             part=np.zeros((1, 17, 3)))
    with pytest.raises(ValueError, match="S has shape"):
        load_h36m(tmp_path, "train")
    _write_h36m(tmp_path / "h36m_train.npz", cameras=("12345678",), subjects=("S1",))
    with pytest.raises(ValueError, match="unknown camera '12345678'"):
        load_h36m(tmp_path, "train")
    with pytest.raises(ValueError, match="split"):
        load_h36m(tmp_path, "val")


def test_load_humaneva(tmp_path):
    _write_h36m(tmp_path / "humaneva_validate.npz", subjects=("S1", "S2"), actions=("Walking_1", "Jog_1"),
                cameras=("C1", "C2", "C3"), frames=28, joints=15,
                name_fmt=lambda s, a, c, f: f"{s}_{a}.{c}_{f + 1:06d}.jpg")
    seqs = load_humaneva(tmp_path / "humaneva_validate.npz")
    assert len(seqs) == 2 * 2 * 3
    assert seqs[0].keypoints_2d.shape == (28, 15, 3) and seqs[0].image_width == 640
    out = corr.apply("left_right_swap", seqs[0].keypoints_2d, 5, rng_for(0))   # 15-joint pairs
    assert out.shape == (28, 15, 3)
    assert make_windows(seqs, 1).inputs.shape[1:] == (15, 3)
