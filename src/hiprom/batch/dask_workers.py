"""Which Dask workers analyse which inputs of a batch (``--scheduler``).

Each worker is checked once when the batch first sees it, before it gets an input
(:func:`hiprom.batch.worker.check_worker`: the same hiprom version, the pose model
loadable there, which input folders it sees). Every task is restricted to the workers
checked fit that see its input (``workers=``, strictly): a worker set up otherwise took
3 to 7 inputs, each failed in milliseconds, before the batch heard of the first; now it
gets none. A worker that lacks one folder (a mount) is kept for the inputs it sees.
The restrictions follow workers that come and go (an adaptive or HPC cluster).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hiprom.batch.discover import Job
from hiprom.batch.outputs import BatchOptions
from hiprom.batch.progress import Reporter
from hiprom.batch.worker import check_worker, unseen_fault
from hiprom.errors import ConfigError, HipromError


class NoWorkerFitError(ConfigError):
    """Every Dask worker was set aside for this batch (its setup, not the inputs, at fault).

    The inputs not finished are ``interrupted``, so the next run does them. The exit code is
    that of the last worker's fault: 3 when the pose model cannot be used there, else 2.
    """

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


async def _check_here(options: BatchOptions, samples: Sequence[Path]) -> tuple[HipromError | None, list[Path]]:
    """:func:`check_worker` on a Dask worker (sent by ``Client.run``), off its event loop."""
    return await asyncio.to_thread(check_worker, options, samples)


def _running_keys(dask_worker: Any) -> list[str]:
    """The keys of the tasks a Dask worker runs now (sent to it by ``Client.run``)."""
    state = dask_worker.state
    return [str(ts.key) for ts in state.executing | state.long_running]


class Tasks:
    """The batch's tasks on the cluster, and what the batch knows of each worker.

    Args:
        distributed: Dask's ``distributed`` package.
        client: the batch's Dask client.
        options: the batch options (sent with each task and each worker check).
        address: the scheduler's address, for messages.
        reporter: where notes go (stderr).
        jobs: every input of this run (one of each folder is looked for on each worker).
        remote: the task function, ``remote(job, options)``.
        refuse: called with an input and its failure message when no fit worker sees it.
    """

    def __init__(self, distributed: Any, client: Any, options: BatchOptions, address: str, reporter: Reporter,
                 jobs: Sequence[Job], remote: Callable[..., Any], refuse: Callable[[Job, str], None]) -> None:
        self.client, self.options, self.address, self.reporter = client, options, address, reporter
        self.remote, self.refuse = remote, refuse
        self.pending = distributed.as_completed(loop=client.loop)
        self.jobs: dict[Any, Job] = {}  # future -> its job, for the futures wanted
        self.where: dict[Any, frozenset[str]] = {}  # future -> the workers it was restricted to
        self.held: list[Job] = []  # no worker fit yet: the client keeps them
        self.fit: set[str] = set()  # workers checked fit, present at the last look
        self.set_aside: dict[str, HipromError] = {}  # worker address -> its fault
        self.samples = sorted({job.path.parent: job.path for job in reversed(jobs)}.values())  # one per folder
        self.unseen_folders: dict[str, set[Path]] = {}  # worker -> the input folders it does not see
        self.unseen_files: dict[str, set[str]] = {}  # Job.rel -> the workers that do not see it
        self._run_id = uuid.uuid4().hex[:8]
        self._n = 0

    def allowed(self, job: Job) -> frozenset[str]:
        """The workers that may analyse ``job``: fit, and seeing its file."""
        return frozenset(w for w in self.fit if job.path.parent not in self.unseen_folders.get(w, ())
                         and w not in self.unseen_files.get(job.rel, ()))

    def submit(self, job: Job) -> None:
        """Send ``job`` to the workers allowed for it; hold it while none is fit; refuse it if no fit one sees it."""
        allowed = self.allowed(job)
        if not allowed:
            if self.fit:
                self.refuse(job, f"no Dask worker sees {job.path}, which the batch found on its own machine; every "
                                 "Dask worker must see each input at that path (a shared or identically mounted folder)")
            else:
                self.held.append(job)
            return
        fut = self.client.submit(self.remote, job, self.options, pure=False, key=f"hiprom-batch-{self._run_id}-{self._n}",
                                 workers=sorted(allowed), allow_other_workers=False)
        self._n += 1
        self.jobs[fut], self.where[fut] = job, allowed
        self.pending.add(fut)

    def job_of(self, fut: Any) -> Job | None:
        """The job of a finished future; ``None`` for one submitted again since (and cancelled)."""
        self.where.pop(fut, None)
        return self.jobs.pop(fut, None)

    def look(self) -> bool:
        """Check the workers that joined, forget those gone, move the tasks to match; whether one is fit.

        Raises:
            NoWorkerFitError: every worker present is set aside.
        """
        present = set(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        fit = self.fit & present
        new = sorted(present - self.fit - set(self.set_aside))
        answers = self.client.run(_check_here, self.options, self.samples, workers=new, on_error="return") if new else {}
        for worker, answer in answers.items():
            if isinstance(answer, BaseException):  # gone meanwhile, or the check could not run: next look
                continue
            fault, unseen = answer
            if fault is not None:
                self._set_aside(worker, fault, present)
                continue
            fit.add(worker)
            if unseen:
                self.unseen_folders[worker] = {path.parent for path in unseen}
                others = f" (and those of {len(unseen) - 1} other folders)" if len(unseen) > 1 else ""
                self.reporter.note(f"Dask worker {worker}: {unseen_fault(unseen[0])}; the inputs of that folder{others} go "
                                   "to the other workers")
        if fit != self.fit:
            self.fit = fit
            self._place()
        return bool(fit)

    def set_worker_aside(self, worker: str, fault: HipromError, job: Job) -> None:
        """Give ``job`` and every task of ``worker`` to the other workers; said once per worker.

        Raises:
            NoWorkerFitError: no usable worker is left.
        """
        if worker not in self.set_aside:
            self._set_aside(worker, fault, set(self.client.scheduler_info(n_workers=-1).get("workers", {})))
            self.fit.discard(worker)
            self._place()
        self.submit(job)

    def not_seen_by(self, worker: str, fault: HipromError, job: Job) -> None:
        """Keep ``job`` off ``worker``, which does not see its file (said once per worker), and submit it again."""
        if not any(worker in workers for workers in self.unseen_files.values()):
            self.reporter.note(f"Dask worker {worker}: {fault}; the inputs it does not see go to the other workers")
        self.unseen_files.setdefault(job.rel, set()).add(worker)
        self.submit(job)

    def _set_aside(self, worker: str, fault: HipromError, present: set[str]) -> None:
        self.set_aside[worker] = fault
        if not present - set(self.set_aside):
            raise NoWorkerFitError(
                f"no Dask worker at {self.address} can run this batch (worker {worker}: {fault}); no input "
                "was charged with it: fix the workers, then run the same command again to continue",
                fault.exit_code)
        self.reporter.note(f"Dask worker {worker}: {fault}; set aside for this batch, its inputs go to "
                           "the other workers")

    def _place(self) -> None:
        """Submit the held jobs, and again every task neither finished nor running whose workers changed.

        Not only those queued: Dask hands restricted tasks to the allowed workers at once, so a
        task merely waiting its turn on one of them would not move to a worker joining later.
        """
        moved = [fut for fut in self.jobs if not fut.done() and self.where[fut] != self.allowed(self.jobs[fut])]
        if moved:
            running = self.client.run(_running_keys, workers=sorted(self.fit), on_error="ignore") if self.fit else {}
            busy = {key for keys in running.values() for key in keys}
            moved = [fut for fut in moved if fut.key not in busy]
            self.client.cancel(moved)
        again = [self.job_of(fut) for fut in moved] + self.held
        self.held = []
        for job in again:
            if job is not None:
                self.submit(job)
