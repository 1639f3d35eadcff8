"""Shared fixtures: repository root on sys.path, ../shared/realdata location, stage loading."""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
REALDATA = ROOT.parent / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    """../shared/realdata (tiny real samples); tests using it skip when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real-data samples not found at {REALDATA} (../shared is not checked out beside the repo)")
    return REALDATA


def load_script(relpath: str) -> ModuleType:
    """Import a script that is not in a package (``stages/<name>.py``, ``studies/<name>.py``) as a
    fresh module, with its directory on sys.path the way ``python <script>`` has it (stages import
    ``_common`` and each other by bare name)."""
    path = ROOT / relpath
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"script_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kill_after_files(cmd: list[str], folder: Path, pattern: str, count: int, timeout: float = 120) -> dict[Path, int]:
    """Start ``cmd`` (the repository on its PYTHONPATH) in its own process group, SIGKILL the group
    once ``folder`` holds ``count`` files matching ``pattern``, and return those files with their
    modification times: the state a resumed run must keep untouched."""
    import os
    import signal
    import subprocess
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while time.time() < deadline and len(list(folder.glob(pattern))) < count:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return {p: p.stat().st_mtime_ns for p in folder.glob(pattern)}
