"""Worker processes: one pool helper for the corrupt, lift and video paths.

Two things every pool here needs and ``ProcessPoolExecutor`` does not give:
- **Workers die with their parent.** A killed stage (SIGKILL, OOM killer) must not leave idle
  workers of ~150 MB behind; on Linux each worker asks the kernel for SIGTERM when the process
  that started it exits (``prctl(PR_SET_PDEATHSIG)``), elsewhere the pool's own shutdown has to do.
- **A choice of start method.** torch code forks badly once OpenMP threads exist (a forked child
  can hang), so the lift paths spawn; the corruption engine forks (cheap start, OpenCV state set
  in the parent before forking).
``map_jobs`` also runs ``workers <= 1`` in-process, so results never depend on the worker count.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:   # the parent died before the request took effect
            os._exit(1)
    if initializer is not None:
        initializer(*initargs)


def resolve_workers(workers: int) -> int:
    """A ``workers`` setting as a process count: 0 means one per CPU core."""
    return workers or os.cpu_count() or 1


@contextmanager
def opencv_single_threaded() -> Iterator[None]:
    """One OpenCV thread per process while forked workers run, so N workers use N cores, not N^2.

    Entered in the parent *before* forking: calling ``cv2.setNumThreads`` inside a forked child
    can deadlock on the parent's thread pool. The parent's setting is restored on exit."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def worker_pool(workers: int, *, spawn: bool, initializer: Callable[..., None] | None = None,
                initargs: tuple = ()) -> ProcessPoolExecutor:
    """A process pool whose workers exit when this process does (``spawn``: fresh interpreters)."""
    context = multiprocessing.get_context("spawn" if spawn else "fork")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_die_with_parent,
                               initargs=(os.getpid(), initializer, initargs))


def map_jobs(fn: Callable[[T], R], jobs: Iterable[T], workers: int, *, spawn: bool = True,
             initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> Iterator[R]:
    """``fn`` over ``jobs`` in job order: in this process when ``workers <= 1`` (``initializer``
    run here first), else in a ``worker_pool``."""
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(fn, jobs)
        return
    with worker_pool(workers, spawn=spawn, initializer=initializer, initargs=initargs) as pool:
        yield from pool.map(fn, jobs)


__all__ = ["map_jobs", "opencv_single_threaded", "resolve_workers", "worker_pool"]
