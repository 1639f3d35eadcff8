"""The worker-pool helper: results in job order whatever the worker count, and workers that exit
when their parent is killed (an orphaned corrupt-stage pool used to idle until killed by hand)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from robustpose.workers import map_jobs

ROOT = Path(__file__).resolve().parents[1]


def _square(x: int) -> int:
    return x * x


_INIT: list[int] = []


def _remember(value: int) -> None:
    _INIT.append(value)


def test_results_come_in_job_order_with_one_or_two_workers():
    jobs = list(range(12))
    assert list(map_jobs(_square, jobs, 1)) == [x * x for x in jobs]
    assert list(map_jobs(_square, jobs, 2, spawn=False)) == [x * x for x in jobs]


def test_one_worker_runs_the_initializer_in_this_process():
    _INIT.clear()
    assert list(map_jobs(_square, [3], 1, initializer=_remember, initargs=(7,))) == [9]
    assert _INIT == [7]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:   # a zombie has exited; only its parent (init, here) has not reaped it yet
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's prctl")
@pytest.mark.parametrize("spawn", [False, True])
def test_workers_exit_when_their_parent_is_killed(tmp_path, spawn):
    pids = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from robustpose.workers import worker_pool

        def job(path):
            with open(path, "a") as fh:
                fh.write(f"{{os.getpid()}}\\n")
            time.sleep(120)

        if __name__ == "__main__":
            pool = worker_pool(2, spawn={spawn})
            for _ in range(2):
                pool.submit(job, {str(pids)!r})
            time.sleep(120)
    """)
    (tmp_path / "parent.py").write_text(script)
    parent = subprocess.Popen([sys.executable, str(tmp_path / "parent.py")])
    try:
        deadline = time.time() + 60
        while not (pids.exists() and len(pids.read_text().split()) == 2):
            assert time.time() < deadline and parent.poll() is None, "workers never started"
            time.sleep(0.05)
        workers = [int(p) for p in pids.read_text().split()]
        assert all(_alive(p) for p in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 20
        while any(_alive(p) for p in workers) and time.time() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in workers), "pool workers outlived their killed parent"
    finally:
        parent.kill()
        for pid in (int(p) for p in pids.read_text().split()) if pids.exists() else ():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
