"""Run batch jobs on a Dask distributed cluster (``--scheduler ADDRESS``).

One task per input. Each task runs the same analysis as a local worker
(:func:`hiprom.batch.worker.compute`) on a Dask worker and *returns* the
recording and the analysis result; this client writes every output and the
resume markers. So:

- Dask workers must read each input at the path the client found it
  (a shared or identically mounted filesystem), and need the pose model
  (``HIPROM_MODEL_DIR`` or the model cache on each worker machine);
- Dask workers need no access to OUT_DIR: only the client writes, atomically,
  and only the client decides what is already done;
- a worker whose setup fails every input (no model there, inputs not shared,
  another hiprom) is set aside for the batch and its inputs go to the others
  (:class:`_Tasks`), rather than failing them one after another in milliseconds.

Needs the optional extra ``hiprom[cluster]`` (``dask[distributed]``).
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

from hiprom.batch.discover import Job
from hiprom.batch.local import CRASH_MESSAGE
from hiprom.batch.outputs import BatchOptions, input_fingerprint, write_outputs
from hiprom.batch.progress import Reporter
from hiprom.batch.summary import SummaryRow
from hiprom.batch.worker import BatchStopped, compute, environment_fault, failure_message
from hiprom.errors import ConfigError, HipromError, OutputPlaceError, missing_extra

CONNECT_TIMEOUT_S = 20
WORKER_CHECK_S = 5.0
"""Seconds between checks that the cluster still has workers, while no result arrives."""


class SchedulerLostError(ConfigError):
    """The Dask scheduler went away during the batch; the inputs not finished are ``interrupted``."""


class NoWorkerFitError(ConfigError):
    """Every Dask worker was set aside for this batch (its setup, not the inputs, at fault).

    The inputs not finished are ``interrupted``, so the next run does them. The exit code is
    that of the last worker's fault: 3 when the pose model cannot be used there, else 2.
    """

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@contextlib.contextmanager
def _quiet_client_log() -> Iterator[None]:
    """Keep Dask's client from printing tracebacks (a lost scheduler) over the batch's own one line."""
    log = logging.getLogger("distributed.client")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def remote_analyze(job: Job, options: BatchOptions) -> tuple[str, Any, Any]:
    """The task run on a Dask worker.

    Returns ``("ok", recording, analysis)``, ``("failed", message, None)`` when the input
    fails, or ``("unfit", worker address, fault)`` when this worker's setup is at fault
    (:func:`~hiprom.batch.worker.environment_fault`: another hiprom version, the input not
    visible here, the pose model missing or unloadable here), so the batch sets the worker
    aside instead of charging the input.

    The video is tracked in one pass: a cluster's workers already run as many tasks as they
    have threads, so two halves at once would only crowd their cores. The analysis stops at
    its next frame once the batch no longer wants it (Ctrl-C, SIGTERM, the client gone): else
    the worker went on to the end of the video, and a new run queued behind it.
    """
    from hiprom.pose.split import one_pass

    fault = environment_fault(job, options)
    if fault is None:
        try:
            with one_pass():
                recording, analysis = compute(job, options, _stop_when_released())
            return ("ok", recording, analysis)
        except BatchStopped:  # nobody waits for this result
            return ("failed", "the batch was interrupted before this input finished", None)
        except Exception as exc:  # one bad input must never fail the whole graph
            fault = environment_fault(job, options, exc)
            if fault is None:
                return ("failed", failure_message(exc), None)
    return ("unfit", _worker_address(), fault)


def _stop_when_released() -> Callable[[int, int | None], None] | None:
    """A per-frame callback raising :class:`BatchStopped` once the scheduler has released this task.

    Dask cannot stop a task's thread; releasing it (the client cancels, or goes away) only
    marks it ``cancelled`` in the worker's state, which this reads (a dict look-up per frame).
    """
    from distributed import get_worker

    try:
        worker = get_worker()
        key = worker.get_current_task()
    except (ValueError, KeyError):  # not inside a worker's task (called directly)
        return None

    def progress(frames_done: int, total: int | None = None) -> None:
        task = worker.state.tasks.get(key)
        if task is None or task.state in ("cancelled", "released", "forgotten"):
            raise BatchStopped()

    return progress


def _worker_address() -> str:
    """The address of the Dask worker running this task (its host and port)."""
    from distributed import get_worker

    try:
        return str(get_worker().address)
    except ValueError:  # not inside a worker (called directly)
        return "(unknown)"


def import_distributed() -> Any:
    """Dask's ``distributed`` package.

    Raises:
        ConfigError: it is not installed (the line gives the pip command).
    """
    try:
        import distributed
    except ImportError:
        raise ConfigError(missing_extra("--scheduler", "Dask distributed", "cluster")) from None
    return distributed


def _cannot_connect(address: str, exc: BaseException) -> ConfigError:
    """The one line for a scheduler address nothing answers at (refused, unreachable, malformed)."""
    cause = exc.__cause__ or exc.__context__  # Dask's "timed out" hides "Connection refused" here
    while cause is not None and not (isinstance(cause, OSError) and cause.strerror):
        cause = cause.__cause__ or cause.__context__
    why = f": {cause.strerror}" if cause is not None and cause.strerror not in str(exc) else ""
    return ConfigError(
        f"cannot connect to the Dask scheduler at {address!r} ({exc}{why}); "
        "check the address (e.g. tcp://host:8786, or tls://host:8786 for a scheduler started with TLS) "
        "and that the scheduler is running"
    )


def _check_scheduler(address: str, timeout_s: float) -> None:
    """Raise ``ConfigError`` unless a Dask scheduler greets us at ``address`` within about ``timeout_s``.

    Dask's client waits for the other side's greeting without a time limit: at the dashboard's
    port (8787), or any service that waits for a request, the batch waited forever without a
    word, and a service that speaks first (ssh) ended in a ``MemoryError`` traceback.
    """
    import asyncio

    from distributed.comm import connect
    from distributed.security import Security

    async def greet() -> None:
        comm = await connect(address, timeout=timeout_s, **Security().get_connection_args("client"))
        await comm.close()

    async def greet_in_time() -> None:
        await asyncio.wait_for(greet(), timeout_s + 5)  # connect() alone gives up after about timeout_s

    try:
        asyncio.run(greet_in_time())
    except TimeoutError:  # connected, but no greeting
        raise _not_dask(address) from None
    except (OSError, ValueError) as exc:  # refused, unreachable, malformed: Dask's own message
        raise _cannot_connect(address, exc) from None
    except TypeError:  # Dask's TLS connector without a certificate ("expects a `ssl_context`")
        raise ConfigError(
            f"{address}: a tls:// scheduler needs Dask's TLS settings on this machine: the cluster's CA, this "
            "machine's certificate and key, e.g. in DASK_DISTRIBUTED__COMM__TLS__CA_FILE, "
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY "
            "(see docs/batch.md, 'A cluster reachable from other machines')"
        ) from None
    except Exception:  # an answer that is not Dask's (MemoryError, a msgpack error, ...)
        raise _not_dask(address) from None


def _not_dask(address: str) -> ConfigError:
    return ConfigError(
        f"{address} does not answer as a Dask scheduler (something else listens at that port: the "
        "dashboard's, 8787, or another service?); give the scheduler's address, by default "
        "tcp://HOST:8786, as 'dask scheduler' prints it after 'Scheduler at:'"
    )


class _Tasks:
    """The batch's tasks on the cluster, and the workers set aside for it.

    Until a worker's setup is found at fault, a task may run on any worker: Dask places it,
    and workers that join take their share. From then on, every task not yet running on a
    usable worker is submitted again restricted to the usable ones (``workers=``, strict;
    loose ones let the idle bad worker steal them back): a worker that fails each task in
    milliseconds otherwise took the next one from the queue, and the ones waiting behind
    busy workers, until it had failed nearly every input of the batch.
    The restriction follows workers that come and go (see :meth:`any_usable_worker`).
    Set-aside workers are left running: the cluster may be shared, and the fault may be
    this batch's only (its inputs' folder, its hiprom version).
    """

    def __init__(self, distributed: Any, client: Any, options: BatchOptions, address: str,
                 reporter: Reporter) -> None:
        self.client, self.options, self.address, self.reporter = client, options, address, reporter
        self.pending = distributed.as_completed(loop=client.loop)
        self.jobs: dict[Any, Job] = {}  # future -> its job, for the futures wanted
        self.set_aside: dict[str, HipromError] = {}  # worker address -> its fault
        self.allowed: set[str] | None = None  # the workers tasks are restricted to, once one is set aside
        self._run_id = uuid.uuid4().hex[:8]
        self._n = 0

    def submit(self, job: Job) -> None:
        """Send ``job`` to the cluster (to the usable workers only, once one is set aside)."""
        where = {} if self.allowed is None else {"workers": sorted(self.allowed), "allow_other_workers": False}
        fut = self.client.submit(remote_analyze, job, self.options, pure=False,
                                 key=f"hiprom-batch-{self._run_id}-{self._n}", **where)
        self._n += 1
        self.jobs[fut] = job
        self.pending.add(fut)

    def job_of(self, fut: Any) -> Job | None:
        """The job of a finished future; ``None`` for one submitted again since (and cancelled)."""
        return self.jobs.pop(fut, None)

    def set_worker_aside(self, worker: str, fault: HipromError, job: Job) -> None:
        """Give ``job`` to the other workers, and from now on every task; said once per worker.

        Raises:
            NoWorkerFitError: no usable worker is left.
        """
        if worker not in self.set_aside:
            self.set_aside[worker] = fault
            usable = self.usable_workers()
            if not usable:
                raise NoWorkerFitError(
                    f"no Dask worker at {self.address} can run this batch (worker {worker}: {fault}); no input "
                    "was charged with it: fix the workers, then run the same command again to continue",
                    fault.exit_code)
            self.reporter.note(f"Dask worker {worker}: {fault}; set aside for this batch, its inputs go to "
                               "the other workers")
            self._restrict(usable)
        self.submit(job)

    def usable_workers(self) -> set[str]:
        """The cluster's workers not set aside for this batch."""
        return set(self.client.scheduler_info(n_workers=-1).get("workers", {})) - set(self.set_aside)

    def any_usable_worker(self) -> bool:
        """Whether a worker can run the tasks now.

        Once one is set aside, the tasks follow the usable workers as they come and go (an
        adaptive or HPC cluster): those not yet running are restricted to the new set.
        """
        if not self.set_aside:
            return bool(self.client.scheduler_info(n_workers=1).get("workers"))
        usable = self.usable_workers()
        if usable and usable != self.allowed:
            self._restrict(usable)
        return bool(usable)

    def _restrict(self, usable: set[str]) -> None:
        """Submit again, restricted to ``usable``, every task not finished nor running on one of them.

        Not only those queued: Dask hands restricted tasks to the allowed workers at once, so
        a task merely waiting its turn on one of them would not move to a worker joining later.
        """
        self.allowed = usable
        running = self.client.run(_running_keys, workers=sorted(usable), on_error="ignore")
        held = {key for keys in running.values() for key in keys}
        moved = [fut for fut in self.jobs if fut.key not in held and not fut.done()]
        self.client.cancel(moved)
        for fut in moved:
            self.submit(self.jobs.pop(fut))


def _running_keys(dask_worker: Any) -> list[str]:
    """The keys of the tasks a Dask worker runs now (sent to it by ``Client.run``)."""
    state = dask_worker.state
    return [str(ts.key) for ts in state.executing | state.long_running]


def _completed(tasks: _Tasks, reporter: Reporter) -> Iterator[Any]:
    """The tasks' futures as they complete, saying so whenever the cluster has no usable worker to run them.

    Else the batch waited without a word: for workers not started yet, and for workers all
    gone during the batch (killed, or their job's time limit on an HPC cluster).
    """
    seen, had, next_check = False, True, 0.0
    while not tasks.pending.is_empty():
        ready = tasks.pending.next_batch(block=False)
        if ready:
            yield from ready
            continue
        if time.monotonic() >= next_check and tasks.client.status == "running":  # not while it reconnects
            next_check = time.monotonic() + WORKER_CHECK_S
            has = tasks.any_usable_worker()
            if had and not has:
                which = f"{'left' if seen else 'yet'}{' but those set aside' if tasks.set_aside else ''}"
                reporter.note(f"the Dask scheduler at {tasks.address} has no workers {which}; "
                              f"waiting for some (start them with: dask worker {tasks.address} --nthreads 1)")
            seen, had = seen or has, has
        time.sleep(0.05)


def run_dask(jobs: Sequence[Job], out_dir: Path, options: BatchOptions, address: str,
             reporter: Reporter, rows: dict[str, SummaryRow]) -> None:
    """Analyse ``jobs`` on the cluster at ``address``, filling ``rows`` (by ``Job.rel``).

    On Ctrl-C the tasks are cancelled, unfinished jobs get ``interrupted``
    rows and the ``KeyboardInterrupt`` is re-raised; the same when OUT_DIR
    takes no more writes (``OutputPlaceError``). If the scheduler goes
    away, unfinished jobs get ``interrupted`` rows too and
    :class:`SchedulerLostError` is raised.
    """
    distributed = import_distributed()
    if not jobs:
        return
    _check_scheduler(address, CONNECT_TIMEOUT_S)
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise _cannot_connect(address, exc) from None
    tasks = _Tasks(distributed, client, options, address, reporter)
    fingerprints: dict[str, dict[str, int]] = {}
    with _quiet_client_log():
        try:
            for job in jobs:
                try:
                    fingerprints[job.rel] = input_fingerprint(job.path)
                except OSError as exc:
                    rows[job.rel] = SummaryRow.failed(job.rel, failure_message(exc))
                    reporter.finished(job, rows[job.rel])
                    continue
                tasks.submit(job)
                reporter.started(job)
            for fut in _completed(tasks, reporter):
                job = tasks.job_of(fut)
                if job is None:  # submitted again, restricted to the usable workers
                    continue
                try:
                    status, payload, detail = fut.result()
                    if status == "unfit":
                        input_fingerprint(job.path)  # still here for the batch: the worker's setup is at fault
                        tasks.set_worker_aside(payload, detail, job)
                        fut.release()
                        continue
                    if status == "ok":
                        row = write_outputs(job, out_dir, options, fingerprints[job.rel], payload, detail)
                    else:
                        row = SummaryRow.failed(job.rel, payload)
                except distributed.KilledWorker:
                    row = SummaryRow.failed(job.rel, CRASH_MESSAGE)
                except (CancelledError, OutputPlaceError, NoWorkerFitError):
                    # The batch stops: the scheduler gone (the futures we cancel are no longer ours),
                    # the disk full, no worker left to run it.
                    raise
                except Exception as exc:
                    row = SummaryRow.failed(job.rel, failure_message(exc))
                rows[job.rel] = row
                reporter.finished(job, row)
                fut.release()
        except (KeyboardInterrupt, OutputPlaceError, NoWorkerFitError):
            client.cancel(list(tasks.jobs))
            for job in jobs:
                rows.setdefault(job.rel, SummaryRow.interrupted(job.rel))
            raise
        except CancelledError:
            for job in jobs:
                rows.setdefault(job.rel, SummaryRow.interrupted(job.rel))
            raise SchedulerLostError(
                f"lost the connection to the Dask scheduler at {address!r} before the batch finished; "
                "check that the scheduler is running, then run the same command again to continue"
            ) from None
        finally:
            try:
                client.close(timeout=10)
            except Exception:  # closing a client of a dead cluster must not hide the real outcome
                pass
