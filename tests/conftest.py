"""Shared fixtures: repository root on sys.path, ../shared/realdata location."""
from __future__ import annotations

import sys
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
