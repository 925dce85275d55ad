"""Which Dask workers analyse which inputs of a batch (``--scheduler``).

Each worker is checked once when the batch first sees it, before it gets an input
(:func:`hiprom.batch.worker.check_worker`: the same hiprom version, the pose model
loadable there, which input folders it sees). Every task is restricted to the workers
checked fit that see its input (``workers=``, strictly): a worker set up otherwise took
3 to 7 inputs, each failed in milliseconds, before the batch heard of the first; now it
gets none. A worker that lacks one folder (a mount) is kept for the inputs it sees.

The client keeps the inputs in its own queue and has only about one per thread of the
fit workers on the cluster at a time (as the local pool does), so a worker that joins
gets the next ones without any task being submitted again, and a worker that dies takes
only the tasks it was running with it (Dask counts those, and gives up on an input that
killed ``allowed-failures`` workers); restricted tasks sent all at once would each count
as suspect when any worker died.
"""

from __future__ import annotations

import asyncio
import collections
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hiprom.batch.discover import Job
from hiprom.batch.local import CRASH_MESSAGE
from hiprom.batch.outputs import BatchOptions
from hiprom.batch.progress import Reporter
from hiprom.batch.summary import SummaryRow
from hiprom.batch.worker import check_worker, unseen_fault
from hiprom.errors import ConfigError, HipromError
from hiprom.pose.models import same_model


class NoWorkerFitError(ConfigError):
    """Every Dask worker was set aside for this batch (its setup, not the inputs, at fault).

    The inputs not finished are ``interrupted``, so the next run does them. The exit code is
    that of the last worker's fault: 3 when the pose model cannot be used there, else 2.
    """

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


CHECK_TIMEOUT_S = 120.0
"""Seconds a worker's check may take (a cold start loads MediaPipe and the model) before it is set aside."""


async def _check_here(options: BatchOptions,
                      samples: Sequence[Path]) -> tuple[HipromError | None, list[Path], str | None]:
    """:func:`check_worker` on a Dask worker (sent by ``Client.run``), off its event loop.

    A check that hangs (a folder on a stale network mount) sets the worker aside after
    :data:`CHECK_TIMEOUT_S` instead of stopping the batch.
    """
    try:
        return await asyncio.wait_for(asyncio.to_thread(check_worker, options, samples), CHECK_TIMEOUT_S)
    except TimeoutError:
        return ConfigError(f"it did not finish the batch's check of its setup within {CHECK_TIMEOUT_S:.0f} s (a "
                           "folder that does not answer, such as a stale network mount?)"), [], None


def _cannot_run_here(exc: BaseException, options: BatchOptions) -> ConfigError:
    """The fault of a worker where the batch's check could not even run (hiprom missing or broken there)."""
    return ConfigError(f"the batch cannot run there ({exc}); install hiprom {options.hiprom_version} with its "
                       "dependencies on every worker (pip install 'hiprom[cluster]')")


class Tasks:
    """The batch's inputs on their way to the cluster, and what the batch knows of each worker.

    Args:
        distributed: Dask's ``distributed`` package.
        client: the batch's Dask client.
        options: the batch options (sent with each task and each worker check).
        address: the scheduler's address, for messages.
        reporter: where notes go (stderr).
        jobs: every input of this run, in the order to analyse them (one of each folder is
            looked for on each worker).
        remote: the task function, ``remote(job, options)``.
        refuse: called with an input and its failure message when no fit worker sees it, or
            its workers all went away while analysing it too many times.
        done_with: inputs an earlier run did with another model than this machine's (or this
            machine has none): ``Job.rel`` -> its ``skipped`` row and the model its marker records.
            Such an input is skipped, through ``skip``, when a worker that may take it has that
            model, and analysed again otherwise.
        skip: called with such an input and its row.
    """

    def __init__(self, distributed: Any, client: Any, options: BatchOptions, address: str, reporter: Reporter,
                 jobs: Sequence[Job], remote: Callable[..., Any], refuse: Callable[[Job, str], None],
                 done_with: Mapping[str, tuple[SummaryRow, str | None]] | None = None,
                 skip: Callable[[Job, SummaryRow], None] | None = None) -> None:
        self.client, self.options, self.address, self.reporter = client, options, address, reporter
        self.remote, self.refuse, self.done_with, self.skip = remote, refuse, dict(done_with or {}), skip
        # Results are fetched as each task finishes, in the background: one whose worker died before the
        # client had it is computed again, and a wait for it in the batch's own thread blocked for ever once
        # the task's workers were all gone (a file that kills its worker, on a cluster that restarts them).
        self.pending = distributed.as_completed(loop=client.loop, with_results=True, raise_errors=False)
        self.queue: collections.deque[Job] = collections.deque()  # not on the cluster yet, in order
        self.jobs: dict[Any, Job] = {}  # future -> its job, for the futures wanted
        self.where: dict[Any, frozenset[str]] = {}  # future -> the workers it was restricted to
        self.fit: dict[str, int] = {}  # worker -> its threads: checked fit, present at the last look
        self.set_aside: dict[str, HipromError] = {}  # worker address -> its fault
        self.models: dict[str, str | None] = {}  # worker -> the model_id of its pose model, as its check found it
        self.samples = sorted({job.path.parent: job.path for job in reversed(jobs)}.values())  # one per folder
        self.unseen_folders: dict[str, set[Path]] = {}  # worker -> the input folders it does not see
        self.unseen_files: dict[str, set[str]] = {}  # Job.rel -> the workers that do not see it
        self.deaths: collections.Counter[str] = collections.Counter()  # Job.rel -> workers that died with it, before
        import dask  # installed with distributed

        self.allowed_failures = int(dask.config.get("distributed.scheduler.allowed-failures", 3))
        self._run_id = uuid.uuid4().hex[:8]
        self._n = 0

    def allowed(self, job: Job) -> frozenset[str]:
        """The workers that may analyse ``job``: fit, and seeing its file."""
        return frozenset(w for w in self.fit if job.path.parent not in self.unseen_folders.get(w, ())
                         and w not in self.unseen_files.get(job.rel, ()))

    def fill(self) -> None:
        """Send queued inputs while fewer are on the cluster than the fit workers have threads.

        An input that no fit worker sees is refused; while no worker is fit, the inputs wait here.
        """
        while self.queue and len(self.jobs) < sum(self.fit.values()):
            job = self.queue.popleft()
            allowed = self.allowed(job)
            done = self.done_with.pop(job.rel, None)
            if done is not None and self.skip is not None and any(
                    same_model(done[1], self.models.get(w)) for w in allowed):
                self.skip(job, done[0])  # the model it was done with is the one these workers use
                continue
            if not allowed:
                self.refuse(job, f"no Dask worker sees {job.path}, which the batch found on its own machine; every "
                                 "Dask worker must see each input at that path (a shared or identically mounted folder)")
                continue
            fut = self.client.submit(self.remote, job, self.options, pure=False,
                                     key=f"hiprom-batch-{self._run_id}-{self._n}", workers=sorted(allowed),
                                     allow_other_workers=False)
            self._n += 1
            self.jobs[fut], self.where[fut] = job, allowed
            self.pending.add(fut)

    def job_of(self, fut: Any) -> Job | None:
        """The job of a finished future; ``None`` for one submitted again since (and cancelled)."""
        self.where.pop(fut, None)
        return self.jobs.pop(fut, None)

    def look(self) -> bool:
        """Check the workers that joined, forget those gone, send what they can take; whether one is fit.

        Raises:
            NoWorkerFitError: every worker present is set aside.
        """
        info = self.client.scheduler_info(n_workers=-1).get("workers", {})
        self.fit = {w: n for w, n in self.fit.items() if w in info}
        new = sorted(set(info) - set(self.fit) - set(self.set_aside))
        answers = self.client.run(_check_here, self.options, self.samples, workers=new, on_error="return") if new else {}
        for worker, answer in answers.items():
            if isinstance(answer, OSError):  # gone meanwhile: next look
                continue
            if isinstance(answer, BaseException):
                fault, unseen, model = _cannot_run_here(answer, self.options), [], None
            else:
                fault, unseen, model = answer
            if fault is not None:
                self._set_aside(worker, fault, set(info))
                continue
            self.fit[worker] = max(1, int(info.get(worker, {}).get("nthreads", 1)))
            self.models[worker] = model
            if unseen:
                self.unseen_folders[worker] = {path.parent for path in unseen}
                n = len(unseen) - 1
                others = f" (and those of {n} other folder{'s' if n > 1 else ''})" if n else ""
                self.reporter.note(f"Dask worker {worker}: {unseen_fault(unseen[0])}; the inputs of that folder{others} go "
                                   "to the other workers")
        self._rescue()
        self.fill()
        return bool(self.fit)

    def set_worker_aside(self, worker: str, fault: HipromError, job: Job) -> None:
        """Give ``job`` and the tasks held for ``worker`` alone to the other workers; said once per worker.

        Raises:
            NoWorkerFitError: no usable worker is left.
        """
        if worker not in self.set_aside:
            self._set_aside(worker, fault, set(self.client.scheduler_info(n_workers=-1).get("workers", {})))
            self.fit.pop(worker, None)
            self._rescue()
        self.queue.appendleft(job)

    def not_seen_by(self, worker: str, fault: HipromError, job: Job) -> None:
        """Keep ``job`` off ``worker``, which does not see its file (said once per worker), and queue it again."""
        if not any(worker in workers for workers in self.unseen_files.values()):
            self.reporter.note(f"Dask worker {worker}: {fault}; the inputs it does not see go to the other workers")
        self.unseen_files.setdefault(job.rel, set()).add(worker)
        self.queue.appendleft(job)

    def _set_aside(self, worker: str, fault: HipromError, present: set[str]) -> None:
        self.set_aside[worker] = fault
        if not present - set(self.set_aside):
            raise NoWorkerFitError(
                f"no Dask worker at {self.address} can run this batch (worker {worker}: {fault}); no input "
                "was charged with it: fix the workers, then run the same command again to continue",
                fault.exit_code)
        self.reporter.note(f"Dask worker {worker}: {fault}; set aside for this batch, its inputs go to "
                           "the other workers")

    def _rescue(self) -> None:
        """Queue again the tasks whose workers are all gone or set aside (Dask would keep them waiting).

        Dask counts the workers that died while a task was on them and gives up on it after
        ``allowed-failures`` (``KilledWorker``); the count goes on across the task submitted again,
        so a file that kills each worker it meets, on a cluster that restarts them, gets the crash
        message after as many deaths as without restrictions, rather than being tried for ever.
        """
        stranded = [fut for fut, where in self.where.items() if not fut.done() and not where & self.fit.keys()]
        if not stranded:
            return
        deaths = self.client.run_on_scheduler(
            lambda dask_scheduler, keys: {k: dask_scheduler.tasks[k].suspicious for k in keys if k in dask_scheduler.tasks},
            keys=[fut.key for fut in stranded])
        self.client.cancel(stranded)
        for fut in reversed(stranded):
            job = self.job_of(fut)
            if job is None:
                continue
            self.deaths[job.rel] += deaths.get(fut.key, 0)
            if self.deaths[job.rel] > self.allowed_failures:
                self.refuse(job, CRASH_MESSAGE)
            else:
                self.queue.appendleft(job)
