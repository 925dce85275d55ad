"""Run batch jobs on this machine: a pool of spawned worker processes.

Each worker is a fresh process (``spawn``) that analyses one input at a time
with :func:`hiprom.batch.worker.analyze_one` and writes that input's outputs
itself. The parent keeps at most one job per worker in flight, so at any
moment it knows which inputs are being worked on; that makes three things
simple:

- a worker that *crashes* (a decoder segfault on a corrupt file, the kernel's
  out-of-memory killer) breaks the pool; the jobs that were in flight are
  re-run one at a time in a new pool, and the one that crashes alone is
  reported ``failed``, so one bad file never stops the batch;
- Ctrl-C sets a shared ``stop`` event; workers stop at their next frame,
  cleaning up temporary files, and their inputs are reported ``interrupted``;
  finished outputs stay;
- progress events (frames done) flow back on a queue.
"""

from __future__ import annotations

import collections
import multiprocessing
import queue
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from hiprom.batch.discover import Job
from hiprom.batch.outputs import BatchOptions
from hiprom.batch.progress import Reporter
from hiprom.batch.summary import SummaryRow
from hiprom.batch.worker import BatchStopped, analyze_one, failure_message
from hiprom.cores import available_cores, init_with_thread_limit
from hiprom.errors import ModelError, OutputPlaceError

CRASH_MESSAGE = (
    "the analysis process crashed while reading this file (a corrupt file, or out of memory); "
    "check that the file plays"
)
STOP_GRACE_S = 10.0


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Share the cores among the workers: ``max(1, cores // workers)``."""
    return max(1, (cores or available_cores()) // max(1, workers))


class LocalPool:
    """A process pool with crash isolation, interruption and progress events.

    Args:
        out_dir: where workers write outputs.
        options: the batch options sent to every worker.
        workers: number of worker processes (one pose model each).
        reporter: receives progress events and finished rows.
    """

    def __init__(self, out_dir: Path, options: BatchOptions, workers: int, reporter: Reporter) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, but got {workers}")
        self.out_dir = out_dir
        self.options = options
        self.workers = workers
        self.reporter = reporter
        self._ctx = multiprocessing.get_context("spawn")
        self._events = self._ctx.Queue()
        self._stop = self._ctx.Event()
        self._executor: ProcessPoolExecutor | None = None

    def _new_executor(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=self._ctx,
            initializer=init_with_thread_limit,
            initargs=(threads_per_worker(workers), "hiprom.batch.worker:init_worker", self._events, self._stop),
        )

    def _drain_events(self) -> None:
        while True:
            try:
                kind, rel, n, total = self._events.get_nowait()
            except (queue.Empty, OSError, ValueError):
                return
            if kind == "frames":
                self.reporter.frames(rel, n, total)

    def run(self, jobs: Sequence[Job], rows: dict[str, SummaryRow]) -> None:
        """Analyse ``jobs``, filling ``rows`` (by ``Job.rel``) as they finish.

        On Ctrl-C, when OUT_DIR takes no more writes (``OutputPlaceError``), or
        when the pose model cannot be used (``ModelError``: every worker shares
        this machine's setup), the jobs not finished get ``interrupted`` rows and
        the exception is re-raised once the workers have stopped.
        """
        self.rows = rows
        if not jobs:
            return
        pending = collections.deque(jobs)
        suspects: collections.deque[Job] = collections.deque()
        in_flight: dict[Future, Job] = {}
        workers = min(self.workers, len(jobs))
        self._executor = self._new_executor(workers)
        try:
            while pending or suspects or in_flight:
                self._fill(pending, suspects, in_flight, workers)
                alone = len(in_flight) == 1
                done, _ = wait(list(in_flight), timeout=0.2, return_when=FIRST_COMPLETED)
                self._drain_events()
                crashed: list[Job] = []
                for fut in done:
                    job = in_flight.pop(fut)
                    try:
                        self._finish(job, fut.result())
                    except BrokenProcessPool:
                        crashed.append(job)
                    except (OutputPlaceError, ModelError):
                        # The disk full, the model unusable here: every later input would fail
                        # alike. Stop as for Ctrl-C, then say so.
                        self._interrupt(in_flight, [*pending, *suspects])
                        raise
                    except Exception as exc:  # e.g. a result that cannot be sent back
                        self._finish(job, SummaryRow.failed(job.rel, failure_message(exc), job.path))
                if crashed:
                    # Every job in flight died with the pool. Alone, the job is
                    # the culprit; otherwise each is re-run alone to find it.
                    crashed.extend(in_flight.values())
                    in_flight.clear()
                    if alone:
                        self._finish(crashed[0], SummaryRow.failed(crashed[0].rel, CRASH_MESSAGE, crashed[0].path))
                    else:
                        suspects.extend(crashed)
                    self._executor.shutdown(wait=True, cancel_futures=True)
                    self._executor = self._new_executor(workers)
        except KeyboardInterrupt:
            self._interrupt(in_flight, [*pending, *suspects])
            raise
        finally:
            self._drain_events()
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)

    def _fill(self, pending: collections.deque, suspects: collections.deque,
              in_flight: dict[Future, Job], workers: int) -> None:
        # Jobs in flight when a worker crashed run one at a time.
        source, limit = (suspects, 1) if suspects else (pending, workers)
        while source and len(in_flight) < limit:
            job = source[0]
            try:
                fut = self._executor.submit(analyze_one, job, self.out_dir, self.options)  # type: ignore[union-attr]
            except BrokenProcessPool:  # a crash not yet seen by wait(); handled there
                return
            source.popleft()
            in_flight[fut] = job
            self.reporter.started(job)

    def _finish(self, job: Job, row: SummaryRow) -> None:
        self.rows[job.rel] = row
        self.reporter.finished(job, row)

    def _interrupt(self, in_flight: dict[Future, Job], not_started: list[Job]) -> None:
        """Stop the workers, keep what finished, mark the rest ``interrupted``."""
        self._stop.set()
        unfinished = list(in_flight.values())
        deadline = time.monotonic() + STOP_GRACE_S
        try:
            while in_flight and time.monotonic() < deadline:
                done, _ = wait(list(in_flight), timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = in_flight.pop(fut)
                    try:  # a job that finished just before the stop keeps its row
                        self._finish(job, fut.result())
                    except (BatchStopped, BrokenProcessPool, Exception):
                        pass
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            pass
        if in_flight:
            self._kill_workers()
        for job in [*unfinished, *not_started]:
            if job.rel not in self.rows:
                self.rows[job.rel] = SummaryRow.interrupted(job.rel)

    def _kill_workers(self) -> None:
        """Terminate this pool's own worker processes (by their process objects)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        for proc in list(processes.values()):
            if proc.is_alive():
                proc.terminate()
        for proc in list(processes.values()):
            proc.join(timeout=5)
