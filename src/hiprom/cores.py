"""How many CPU cores this process may use, and how many threads its pools may start
(batch workers, splitting one video over the cores)."""

from __future__ import annotations

import importlib
import os
from typing import Any

THREAD_ENV_VARS: tuple[str, ...] = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "OPENCV_FFMPEG_THREADS",  # FFmpeg's decoder threads inside cv2.VideoCapture
)


def available_cores() -> int:
    """Cores this process may run on (the CPU affinity mask, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def limit_threads(threads: int) -> None:
    """Cap the math and OpenCV thread pools of this process at ``threads``.

    Only effective before numpy and OpenCV start their pools: numpy's OpenBLAS
    sizes its pool from the environment when numpy is first imported. So it is
    the first thing a fresh worker process does (:func:`init_with_thread_limit`).
    MediaPipe's TFLite/XNNPACK inference for the pose model runs on one thread
    (measured: CPU time / wall time = 1.0), so it needs no limit; see docs/batch.md.
    """
    n = max(1, int(threads))
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(n)
    import cv2  # after the environment (it imports numpy), so both pools obey it

    cv2.setNumThreads(n)


def init_with_thread_limit(threads: int, initializer: str, *args: Any) -> None:
    """Initializer of a spawned pool process: :func:`limit_threads`, then the ``"module:function"``
    ``initializer`` called with ``args``.

    The initializer is named, not passed: unpickling a function imports its module, and
    the batch worker's module imports numpy, which would size its BLAS pool to every
    core before the limit is set (2 threads per worker on 2 cores, measured with threadpoolctl).
    """
    limit_threads(threads)
    module, _, name = initializer.partition(":")
    getattr(importlib.import_module(module), name)(*args)
