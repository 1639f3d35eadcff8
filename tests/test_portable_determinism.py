"""Same bits on every x86-64 CPU: the generators, the corruption engine and scoring give the same
digests with SIMD dispatch lowered (numpy, OpenCV, numba, OpenBLAS, glibc's libm: a stand-in for
another CPU) as without, and the generators match the golden list a fresh clone checks against;
and the portable elementary functions are accurate."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from robustpose import other_cpu
from robustpose import portable as pm

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "portable_digests.py"
LOWERED = other_cpu.SIMD


def _digests(extra_env: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra_env}
    out = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def digests() -> tuple[dict[str, str], dict[str, str]]:
    return _digests({}), _digests(LOWERED)


def test_lowered_simd_gives_the_same_bytes(digests):
    default, lowered = digests
    assert {k.split("/")[0] for k in default} == {"synthetic", "motion", "video", "corrupt", "scoring"}
    assert len([k for k in default if k.startswith("corrupt/")]) >= 20
    changed = sorted(k for k in default if default[k] != lowered.get(k))
    assert not changed, f"differ with SIMD lowered: {changed}"


def test_generators_match_the_committed_golden_digests(digests):
    golden = json.loads((ROOT / "tests" / "golden" / "portable_digests.json").read_text())
    default, _ = digests
    assert len(golden) >= 10
    changed = sorted(k for k in golden if default.get(k) != golden[k])
    assert not changed, (f"generator output changed: {changed}; if intended, regenerate with "
                         f"`python tests/portable_digests.py --write-golden` and say why in the commit")


def test_elementary_functions_are_accurate():
    x = np.linspace(-400.0, 400.0, 100_001)
    assert np.abs(pm.sin(x) - np.sin(x)).max() < 1e-15
    assert np.abs(pm.cos(x) - np.cos(x)).max() < 1e-15
    e = np.linspace(-60.0, 60.0, 10_001)
    assert np.abs(pm.exp(e) / np.exp(e) - 1).max() < 1e-15
    p = np.exp(np.linspace(-40.0, 40.0, 10_001))
    assert np.abs(pm.log(p) - np.log(p)).max() < 1e-14
    assert pm.log(0.0) == -math.inf and math.isnan(pm.log(-1.0))
    assert np.abs(pm.power(np.linspace(0, 1, 101), 1.2) - np.linspace(0, 1, 101) ** 1.2).max() < 1e-15
    rng = np.random.default_rng(0)
    y, xx = rng.normal(size=1000), rng.normal(size=1000)
    assert np.abs(pm.atan2(y, xx) - np.arctan2(y, xx)).max() < 1e-15
    for a, b in ((0.0, -1.0), (-1.0, 0.0), (1.0, 0.0), (0.0, 0.0), (-0.5, -0.5)):
        assert pm.atan2(a, b) == pytest.approx(math.atan2(a, b), abs=1e-15)
    assert isinstance(pm.sin(1.0), float) and pm.sin(1.0) == pytest.approx(math.sin(1.0), abs=1e-16)
    m = rng.normal(size=(3, 3))
    pts = rng.normal(size=(7, 3))
    assert np.abs(pm.matmul(pts, m) - pts @ m).max() < 1e-14
    assert pm.norm(pts[0]) == pytest.approx(float(np.linalg.norm(pts[0])), rel=1e-15)


def test_filters_agree_with_opencv():
    img = (np.random.default_rng(1).random((9, 7, 3)) * 200).astype(np.float32)
    for cubic, flag in ((False, cv2.INTER_LINEAR), (True, cv2.INTER_CUBIC)):
        ours = pm.resize(img, 30, 22, cubic=cubic)
        assert np.abs(ours - cv2.resize(img, (22, 30), interpolation=flag)).max() < 1e-3
    big = (np.random.default_rng(2).random((40, 30, 3)) * 255).astype(np.float32)
    for sigma in (0.3, 0.7, 1.0):
        ref = cv2.GaussianBlur(big, (0, 0), sigmaX=sigma, sigmaY=sigma)
        assert np.abs(pm.gaussian_blur(big, sigma) - ref).max() < 0.1   # radius 3 sigma vs 4
