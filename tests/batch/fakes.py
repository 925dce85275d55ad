"""Stand-in analysers for machinery tests (no pose model, no pipeline needed).

Each has the signature of ``hiprom.pipeline.analyze_path`` and is passed to
``run_batch(analyzer="tests.batch.fakes:...")``; spawned workers import it by
name. What it does depends on the input's file name:

- ``*model*``: first finds the pose model as a video would (``ModelError`` on a
  machine without it), then as below;
- ``*crash*``: the worker process dies at once (like a decoder segfault);
- ``*boom*``: an unexpected exception (a bug);
- ``*slow*``: ``SLOW_FRAMES`` frames at ``SLOW_FRAME_S`` each, reporting progress;
- ``*endless*``: a very long video, ``LONG_FRAMES`` frames (a minute), reporting progress; then ``SourceError``;
- ``*threads*``: fails, saying the largest BLAS thread pool in this process;
- ``*full*``: analysed at once, but from now on every output this process
  writes fails as on a full disk (ENOSPC);
- ``*.landmarks.npz``: the real pipeline (no model needed);
- anything else: ``SourceError`` (not a readable video).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from hiprom.errors import SourceError
from hiprom.pipeline import analyze_path, analyze_recording
from hiprom.synthetic import Trial, protocol, seated_recording

SLOW_FRAMES = 30
SLOW_FRAME_S = 0.03
LONG_FRAMES = 2000


def analyze_by_name(path, model=None, mirrored=None, norms=None, progress=None):
    name = Path(path).name
    if "model" in name:
        from hiprom.pose import resolve_model

        resolve_model(model, show_progress=False)
    if "crash" in name:
        os._exit(70)
    if "boom" in name:
        raise RuntimeError("unexpected")
    if "slow" in name:
        for i in range(SLOW_FRAMES):
            time.sleep(SLOW_FRAME_S)
            if progress is not None:
                progress(i + 1)
        rec = seated_recording(np.zeros((SLOW_FRAMES, 2)), fps=10.0, source=name)
        return rec, analyze_recording(rec, norms, source=name)
    if "endless" in name:
        for i in range(LONG_FRAMES):
            time.sleep(SLOW_FRAME_S)
            if progress is not None:
                progress(i + 1)
        raise SourceError(f"{path}: a long video, analysed to its end")
    if "full" in name:
        _fill_the_disk()
        rec = seated_recording(np.zeros((SLOW_FRAMES, 2)), fps=10.0, source=name)
        return rec, analyze_recording(rec, norms, source=name)
    if "threads" in name:
        from threadpoolctl import threadpool_info

        raise SourceError(f"BLAS threads: {max(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas')}")
    if name.endswith(".landmarks.npz"):
        return analyze_path(path, model=model, mirrored=mirrored, norms=norms, progress=progress)
    raise SourceError(f"{path}: not a readable video")


def _fill_the_disk() -> None:
    """Make every later output write of this (worker) process fail with ENOSPC, as on a full disk."""
    import errno

    import hiprom.batch.outputs
    import hiprom.recording
    from hiprom.atomic import output_error

    def full(path, mode="wb"):
        raise output_error(path, OSError(errno.ENOSPC, "No space left on device"))

    hiprom.batch.outputs.atomic_write = full
    hiprom.recording.atomic_write = full


def stand_in(path: Path, content: bytes = b"x") -> Path:
    """A stand-in input for :func:`analyze_by_name`, which goes by its name: ``content`` then the name,
    so that no two are copies of each other (a batch analyses one of byte-identical inputs)."""
    path.write_bytes(content + os.fsencode(path.name))
    return path


def make_recordings(folder: Path, names: list[str], seed: int = 0) -> list[Path]:
    """Write synthetic seated-test ``.landmarks.npz`` recordings, one per name.

    Each has the four trials (left/right, internal/external) with peaks drawn
    from a seeded generator, so every recording has different figures.
    """
    rng = np.random.default_rng(seed)
    out = []
    for name in names:
        peaks = rng.uniform(20.0, 45.0, size=4).round(1)
        trials = [Trial(side, direction, float(peak)) for (side, direction), peak in zip(
            [("left", "internal"), ("left", "external"), ("right", "internal"), ("right", "external")], peaks)]
        _, rot = protocol(trials, fps=15.0)
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        seated_recording(rot, fps=15.0, source=name, image_noise_px=0.5, seed=int(rng.integers(1000))).save(p)
        out.append(p)
    return out
