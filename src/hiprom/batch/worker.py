"""What runs in a batch worker process: analyse one input, write its outputs.

Workers are started with the ``spawn`` method (MediaPipe and OpenCV keep
threads that a ``fork`` would copy in a broken state). Their thread limits are
set by ``hiprom.cores.init_with_thread_limit`` before this module (and numpy
with it) is imported; OpenCV and MediaPipe are imported by the pipeline, on first use.

The analysis itself is ``hiprom.pipeline.analyze_path``, the same call as
``hiprom analyze``, so a batch gives the same numbers as one file at a time.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hiprom.batch.discover import Job
from hiprom.batch.outputs import BatchOptions, figures_software, input_fingerprint, write_outputs
from hiprom.batch.summary import SummaryRow
from hiprom.errors import ConfigError, HipromError, ModelError, OutputPlaceError
from hiprom.recording import LandmarkRecording

# Set by init_worker in a worker process; None in the parent or a Dask worker.
_events: Any = None  # multiprocessing queue of progress events
_stop: Any = None  # multiprocessing event: the batch is being interrupted
_busy = False  # an analysis is running in this process
_PROGRESS_EVERY_S = 0.25
_ORPHAN_GRACE_S = 2.0


class BatchStopped(BaseException):
    """Raised inside a worker when the batch is interrupted (Ctrl-C).

    A ``BaseException`` so that no ``except Exception`` in a lower stage
    swallows it; the atomic writers remove their temporary files on the way out.
    """


def init_worker(events: Any, stop: Any) -> None:
    """Initialiser of each pool process, after its thread limits: signals, progress channel."""
    global _events, _stop
    # Ctrl-C, and SIGHUP when the terminal closes, go to the whole process
    # group; the parent decides what to do and tells workers through ``stop``.
    # SIGTERM (the parent giving up on a worker) unwinds an analysis so its
    # temporary files are removed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with_parent, args=(parent,), name="hiprom-parent-watch", daemon=True).start()
    _events, _stop = events, stop
    _silence_native_stderr()


def _end_with_parent(parent: Any) -> None:
    """Stop this worker when the batch process dies (e.g. ``kill -9``): no orphans."""
    parent.join()  # returns once the parent has ended
    os.kill(os.getpid(), signal.SIGTERM)  # unwind a running analysis (temporary files)
    time.sleep(_ORPHAN_GRACE_S)
    os._exit(128 + signal.SIGTERM)


def _on_sigterm(signum: int, frame: Any) -> None:
    if _busy:
        raise BatchStopped()
    os._exit(128 + signum)  # idle: nothing to clean up


def _silence_native_stderr() -> None:
    """Send MediaPipe's and FFmpeg's native log lines (fd 2) to the null device.

    Python's ``sys.stderr`` keeps a copy of the real stderr, so a Python
    traceback from a worker still shows; the native lines ("Created TensorFlow
    Lite XNNPACK delegate", decoder warnings) would only garble the progress bar.
    """
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = open(saved, "w", buffering=1, encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    except OSError:  # no fd 2 at all: nothing to silence
        pass


def _progress_for(job: Job) -> Callable[[int, int | None], None] | None:
    """A per-frame callback that reports progress and honours a stop request."""
    if _events is None and _stop is None:
        return None
    last = [0.0, 0]

    def progress(frames_done: int, total: int | None = None) -> None:
        if _stop is not None and _stop.is_set():
            raise BatchStopped()
        now = time.monotonic()
        if _events is not None and now - last[0] >= _PROGRESS_EVERY_S:
            _events.put(("frames", job.rel, int(frames_done) - last[1], total))
            last[0], last[1] = now, int(frames_done)

    return progress


def compute(job: Job, options: BatchOptions,
            progress: Callable[[int, int | None], None] | None = None) -> tuple[LandmarkRecording, dict[str, Any]]:
    """Recording and analysis result of one input, as ``hiprom analyze`` makes them but tracked in one
    pass (:func:`hiprom.pose.split.one_pass`: the other inputs keep the cores busy), locally and on Dask alike."""
    from hiprom.pose.split import one_pass

    module, _, name = options.analyzer.partition(":")
    analyze_path = getattr(importlib.import_module(module), name)
    with one_pass():
        return analyze_path(job.path, model=options.model_here(), mirrored=options.mirrored,
                            norms=options.norms, progress=progress)


def model_used(job: Job, options: BatchOptions) -> str | None:
    """:func:`~hiprom.pose.models.model_id` of the model file this process analyses ``job`` with
    (``None`` for a recording): what its marker records, so that a later run, on any machine,
    redoes the input only when the model really changed."""
    if job.is_recording or not options.needs_model:
        return None
    from hiprom.pose.models import model_id, resolve_model

    return model_id(resolve_model(options.model_here(), show_progress=False))


def worker_fault(options: BatchOptions, exc: BaseException | None = None) -> HipromError | None:
    """Why this process, and not an input, is at fault; ``None`` when nothing here is.

    The one rule telling a worker's setup from an input's fault, for every input alike.
    Called before an analysis (``exc`` is ``None``): this process runs another hiprom
    version than the batch, or another MediaPipe, OpenCV or numpy (:func:`figures_software`;
    its numbers could differ). Called with what an analysis
    raised: the pose model missing or unloadable here (a ``ModelError``). Such a fault
    fails every input alike, in milliseconds, so its inputs must not be charged with it;
    a corrupt video or nobody in view is the input's own failure (``None``).

    Returns:
        The fault in words that follow "the worker ...: " (a ``ModelError``, exit code 3,
        for the model; a ``ConfigError``, exit code 2, otherwise).
    """
    from hiprom import __version__

    if exc is not None:
        return ModelError(f"the pose model cannot be used there: {exc}") if isinstance(exc, ModelError) else None
    if options.hiprom_version != __version__:
        return ConfigError(f"it runs hiprom {__version__}, the batch hiprom {options.hiprom_version}; "
                           "install the same hiprom version on every worker")
    here = figures_software("mediapipe" in dict(options.software))
    other = [f"{name} {here.get(name)}, the batch {name} {version}" for name, version in options.software
             if here.get(name) != version]
    if other:
        return ConfigError(f"it runs {'; '.join(other)}, which can change the figures; install the batch's "
                           f"versions of {', '.join(name for name, _ in options.software)} on every worker")
    return None


def unseen_fault(path: Path) -> ConfigError:
    """The fault of a worker that does not see an input the batch found at ``path``.

    On a Dask worker: that machine does not share the folder, or mounts it elsewhere. A fault of
    this worker for that input only, not of the input (the batch sees it) nor of the worker for
    the other inputs (they may lie in a folder it shares).
    """
    return ConfigError(f"it does not see {path}; every Dask worker must see each input at the path the batch "
                       "found it (a shared or identically mounted folder)")


def not_seen(path: Path) -> ConfigError | None:
    """:func:`unseen_fault` when this process does not see ``path``, else ``None``."""
    return None if path.exists() else unseen_fault(path)


def check_worker(options: BatchOptions,
                 samples: Sequence[Path]) -> tuple[HipromError | None, list[Path], str | None]:
    """This worker's fitness for a batch, checked once before it gets an input.

    Args:
        samples: one input of each folder holding inputs (an empty mount point shows no files).

    Returns:
        :func:`worker_fault` (the pose model is loaded once when the batch has videos, so a
        missing or broken model shows here), the ``samples`` this worker does not see, and the
        :func:`~hiprom.pose.models.model_id` of its model (``None`` when not needed or at fault).
    """
    fault, model = worker_fault(options), None
    if fault is None and options.needs_model:
        from hiprom.pose import PoseTracker
        from hiprom.pose.models import model_id

        try:
            tracker = PoseTracker(options.model_here(), num_poses=1)
            tracker.close()
            model = model_id(tracker.model_path)
        except Exception as exc:  # noqa: BLE001 - anything else is the inputs' business, seen by their tasks
            fault = worker_fault(options, exc)
    return fault, [path for path in samples if not_seen(path) is not None], model


def failure_message(exc: BaseException) -> str:
    """One plain sentence for the summary's ``error`` column."""
    if isinstance(exc, HipromError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "ran out of memory while analysing this file"
    if isinstance(exc, OSError):
        return f"cannot read the file ({exc.strerror or exc})"
    return f"internal error ({type(exc).__name__}: {exc}); please report it with this file"


def analyze_one(job: Job, out_dir: str | os.PathLike[str], options: BatchOptions) -> SummaryRow:
    """Analyse one input and write its outputs; never raises for a bad input.

    Returns the ``ok`` row, or a ``failed`` row whose ``error`` says why (an
    unreadable, empty, corrupt or not-a-video file, nothing measurable, ...).
    Raises only :class:`BatchStopped` when the batch is being interrupted,
    :class:`~hiprom.errors.OutputPlaceError` when OUT_DIR takes no more
    writes (a full disk), and :class:`~hiprom.errors.ModelError` when the pose
    model cannot be used here (:func:`worker_fault`): every other input
    would fail the same way, and not for its own fault.
    """
    global _busy
    out = Path(out_dir)
    progress = _progress_for(job)
    _busy = True
    try:
        # Stat before reading: if the file changes while we work, the recorded
        # fingerprint no longer matches and the next run redoes it.
        fingerprint = input_fingerprint(job.path)
        recording, analysis = compute(job, options, progress)
        return write_outputs(job, out, options, fingerprint, recording, analysis, model_used(job, options))
    except (BatchStopped, OutputPlaceError):  # the batch stops: OUT_DIR is full or read-only
        raise
    except Exception as exc:  # one bad input must never stop the batch
        if worker_fault(options, exc) is not None:  # this machine's setup: the same for every input
            raise
        return SummaryRow.failed(job.rel, failure_message(exc), job.path)
    finally:
        _busy = False
