"""Run the timed parts on one core: CPU affinity plus single-threaded numeric libraries."""
from __future__ import annotations

import os

# Set in the environment of every child before it imports numpy / OpenCV / dlib.
ONE_THREAD_ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def default_cpu() -> int:
    """The highest-numbered CPU this process may use (CPU 0 is left to the orchestrator)."""
    return max(os.sched_getaffinity(0))


def child_environment() -> dict[str, str]:
    """os.environ plus the one-thread settings (and the repo on the import path)."""
    from bench.paths import REPO_ROOT

    env = dict(os.environ)
    env.update(ONE_THREAD_ENVIRONMENT)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def pin_this_process(cpu: int) -> None:
    """Call first thing in a child: one CPU, and OpenCV's own thread pool off."""
    os.environ.update(ONE_THREAD_ENVIRONMENT)
    os.sched_setaffinity(0, {cpu})
    import cv2

    cv2.setNumThreads(1)
