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
- each worker is checked when the batch first sees it, before it gets an input:
  one whose setup would fail every input (no model there, another hiprom) is set
  aside for the batch, and inputs in a folder it does not see are kept off it
  (:class:`~hiprom.batch.dask_workers.Tasks`).

Needs the optional extra ``hiprom[cluster]`` (``dask[distributed]``).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

from hiprom.batch.discover import Job
from hiprom.batch.local import CRASH_MESSAGE
from hiprom.batch.outputs import BatchOptions, input_fingerprint, write_outputs
from hiprom.batch.progress import Reporter
from hiprom.batch.summary import SummaryRow
from hiprom.batch.dask_workers import NoWorkerFitError, Tasks
from hiprom.batch.worker import BatchStopped, compute, failure_message, model_used, not_seen, worker_fault
from hiprom.errors import ConfigError, OutputPlaceError, missing_extra

__all__ = ["NoWorkerFitError", "SchedulerLostError", "check_scheduler", "import_distributed", "remote_analyze",
           "run_dask"]

CONNECT_TIMEOUT_S = 20
"""Seconds a scheduler that accepted the connection has to greet the batch (a busy one may be slow)."""
REFUSED_GRACE_S = 1.0
"""Seconds a refused connection is tried again (a scheduler starting at the same moment) before the batch gives up."""
WORKER_CHECK_S = 5.0
"""Seconds between looks at the cluster's workers (those that joined are checked, those gone forgotten)."""
WORKERS_GONE_S = 5.0
"""Seconds the cluster is seen without any fit worker, during the batch, before the batch says so (a nanny
restarts a worker that an input crashed in a few)."""


class SchedulerLostError(ConfigError):
    """The Dask scheduler went away during the batch; the inputs not finished are ``interrupted``."""


DASK_LOGGERS = ("distributed", "tornado", "asyncio")
"""The loggers of Dask's client and of the event loop it runs in the batch process (and their children)."""


@contextlib.contextmanager
def _quiet_dask_logs() -> Iterator[None]:
    """Keep Dask's own log lines, and their tracebacks, off the terminal while the batch talks to the cluster.

    The batch says in its own one line what matters (the scheduler lost, a worker set aside, no
    worker left); the cluster's own story is in the scheduler's and workers' logs. Before, a
    scheduler gone while a result was being fetched printed a ``CommClosedError`` traceback from
    ``tornado.application`` above that line (2 of 3 tries with quick inputs), and Dask's client
    its warnings ("Couldn't gather 1 keys, rescheduling").
    """
    names = {name for name in logging.root.manager.loggerDict if name.split(".")[0] in DASK_LOGGERS}
    loggers = [logging.getLogger(name) for name in sorted(names | set(DASK_LOGGERS))]
    levels = [log.level for log in loggers]
    for log in loggers:  # each: Dask gives some of them a level of their own
        log.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for log, level in zip(loggers, levels):
            log.setLevel(level)


def remote_analyze(job: Job, options: BatchOptions) -> tuple[str, Any, Any]:
    """The task run on a Dask worker.

    Returns ``("ok", (recording, model), analysis)`` (``model``: :func:`~hiprom.batch.worker.model_used`,
    the hash of this worker's model file, for the marker), ``("failed", message, None)`` when the input
    fails, ``("unfit", worker address, fault)`` when this worker's setup is at fault
    (:func:`~hiprom.batch.worker.worker_fault`: another hiprom version, the pose model
    missing or unloadable here), so the batch sets the worker aside instead of charging the
    input, or ``("unseen", worker address, fault)`` when this worker does not see the input
    (:func:`~hiprom.batch.worker.not_seen`), so the batch gives it to another.

    A video is tracked in one pass, as on a local batch's workers (:func:`~hiprom.batch.worker.compute`),
    so that a cluster gives a local batch's figures to the bit. The analysis stops at
    its next frame once the batch no longer wants it (Ctrl-C, SIGTERM, the client gone): else
    the worker went on to the end of the video, and a new run queued behind it.
    """
    fault = worker_fault(options)
    if fault is None:
        missing = not_seen(job.path)
        if missing is not None:
            return ("unseen", _worker_address(), missing)
        try:
            recording, analysis = compute(job, options, _stop_when_released())
            return ("ok", (recording, model_used(job, options)), analysis)
        except BatchStopped:  # nobody waits for this result
            return ("failed", "the batch was interrupted before this input finished", None)
        except Exception as exc:  # one bad input must never fail the whole graph
            fault = worker_fault(options, exc)
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
    if isinstance(exc, OSError) and exc.errno and exc.strerror:  # the system's own reason, without "[Errno 111]"
        said = exc.strerror
    else:
        cause = exc.__cause__ or exc.__context__  # Dask's "timed out" hides "Connection refused" here
        while cause is not None and not (isinstance(cause, OSError) and cause.strerror):
            cause = cause.__cause__ or cause.__context__
        said = f"{exc}: {cause.strerror}" if cause is not None and cause.strerror not in str(exc) else str(exc)
    return ConfigError(
        f"cannot connect to the Dask scheduler at {address!r} ({said}); "
        "check the address (e.g. tcp://host:8786, or tls://host:8786 for a scheduler started with TLS) "
        "and that the scheduler is running"
    )


def _connect_error(address: str) -> OSError | None:
    """Why nothing takes a TCP connection at ``address`` (``tcp://`` or ``tls://``); ``None`` when something does.

    Dask's client tries a refused connection again and again until its timeout: a closed port
    took 20 s before its one line. A refusal (or an unknown host, an unreachable network) is
    tried again only for :data:`REFUSED_GRACE_S`, in case the scheduler is starting at the same
    moment; a host that does not answer at all gets :data:`CONNECT_TIMEOUT_S`, as Dask gives it.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError):  # Dask's own connect says what is wrong with it
        return None
    if scheme not in ("tcp", "tls"):
        return None
    deadline = time.monotonic() + REFUSED_GRACE_S
    while True:
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
            return None
        except TimeoutError as exc:
            return exc
        except OSError as exc:
            if time.monotonic() >= deadline:
                return exc
            time.sleep(0.2)


def check_scheduler(address: str) -> None:
    """Raise ``ConfigError`` unless a Dask scheduler greets us at ``address`` within about :data:`CONNECT_TIMEOUT_S`.

    A refused port answers within :data:`REFUSED_GRACE_S`. Dask's client waits for the other
    side's greeting without a time limit: at the dashboard's port (8787), or any service that
    waits for a request, the batch waited forever without a word, and a service that speaks
    first (ssh) ended in a ``MemoryError`` traceback.
    """
    import asyncio

    from distributed.comm import connect
    from distributed.security import Security

    security = Security().get_connection_args("client")
    if address.startswith("tls://") and security.get("ssl_context") is None:
        raise ConfigError(
            f"{address}: a tls:// scheduler needs Dask's TLS settings on this machine: the cluster's CA, this "
            "machine's certificate and key, e.g. in DASK_DISTRIBUTED__COMM__TLS__CA_FILE, "
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY "
            "(see docs/batch.md, 'A cluster reachable from other machines')")
    refused = _connect_error(address)
    if refused is not None:
        raise _cannot_connect(address, refused)

    async def greet() -> None:
        comm = await connect(address, timeout=CONNECT_TIMEOUT_S, **security)
        await comm.close()

    async def greet_in_time() -> None:
        await asyncio.wait_for(greet(), CONNECT_TIMEOUT_S + 5)  # connect() alone gives up after about that

    try:
        asyncio.run(greet_in_time())
    except TimeoutError:  # connected, but no greeting
        raise _not_dask(address) from None
    except (OSError, ValueError) as exc:  # refused, unreachable, malformed: Dask's own message
        raise _cannot_connect(address, exc) from None
    except Exception:  # an answer that is not Dask's (MemoryError, a msgpack error, ...)
        raise _not_dask(address) from None


def _not_dask(address: str) -> ConfigError:
    return ConfigError(
        f"{address} does not answer as a Dask scheduler (something else listens at that port: the "
        "dashboard's, 8787, or another service?); give the scheduler's address, by default "
        "tcp://HOST:8786, as 'dask scheduler' prints it after 'Scheduler at:'"
    )


def _completed(tasks: Tasks, reporter: Reporter) -> Iterator[tuple[Any, Any]]:
    """The tasks' futures and outcomes as they complete, looking at the workers every :data:`WORKER_CHECK_S`.

    An outcome is the task's result, ``(type, exception, traceback)`` for a task that raised
    (``KilledWorker``), or a ``CancelledError``.

    Each look checks the workers that joined before they get an input, and says so when the
    cluster has no worker fit to run the batch: else the batch waited without a word, for
    workers not started yet, and for workers all gone during the batch (killed, or their
    job's time limit on an HPC cluster). Workers gone during the batch are said once none is
    back at a look :data:`WORKERS_GONE_S` or more later, and once until some come back: a nanny
    restarting a worker that an input crashed takes a few seconds, and before, each such
    moment was said ("has no workers left", 3 times for 2 crashes) although the batch went
    on by itself.
    """
    seen, next_look = False, 0.0
    empty_since: float | None = None  # when a look first found no fit worker, until one is back
    said = False  # that this has been said, since then
    while not tasks.pending.is_empty() or tasks.queue:
        if time.monotonic() >= next_look and tasks.client.status == "running":
            next_look = time.monotonic() + WORKER_CHECK_S
            try:
                has = tasks.look()
            except OSError:  # the scheduler went away during the look: said at the next turn
                has = None
            if has:
                empty_since, said = None, False
            elif has is not None:
                empty_since = time.monotonic() if empty_since is None else empty_since
                if not said and (not seen or time.monotonic() - empty_since >= WORKERS_GONE_S):
                    said = True
                    which = f"{'left' if seen else 'yet'}{' but those set aside' if tasks.set_aside else ''}"
                    reporter.note(f"the Dask scheduler at {tasks.address} has no workers {which}; "
                                  f"waiting for some (start them with: dask worker {tasks.address} --nthreads 1)")
            seen = seen or bool(has)
        elif tasks.client.status != "running":  # the scheduler gone while none of our tasks was on it
            raise CancelledError()
        ready = tasks.pending.next_batch(block=False)
        for fut, outcome in ready:
            yield fut, outcome
            tasks.fill()  # the next input, in the place of this one (or again, after a worker's fault)
        if not ready:
            time.sleep(0.05)


@_quiet_dask_logs()
def run_dask(jobs: Sequence[Job], out_dir: Path, options: BatchOptions, address: str,
             reporter: Reporter, rows: dict[str, SummaryRow],
             done_with: Mapping[str, tuple[SummaryRow, str | None]] | None = None) -> None:
    """Analyse ``jobs`` on the cluster at ``address``, filling ``rows`` (by ``Job.rel``).

    ``done_with``: jobs done by an earlier run with a model this machine cannot vouch for,
    skipped when the workers have that model (:class:`~hiprom.batch.dask_workers.Tasks`).

    On Ctrl-C the tasks are cancelled, unfinished jobs get ``interrupted``
    rows and the ``KeyboardInterrupt`` is re-raised; the same when OUT_DIR
    takes no more writes (``OutputPlaceError``) or no worker can run the batch
    (:class:`NoWorkerFitError`). If the scheduler goes away, unfinished jobs get
    ``interrupted`` rows too and :class:`SchedulerLostError` is raised.
    """
    distributed = import_distributed()
    if not jobs:
        return
    check_scheduler(address)  # again: it may have gone while the inputs were searched
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise _cannot_connect(address, exc) from None

    def finish(job: Job, row: SummaryRow) -> None:
        rows[job.rel] = row
        reporter.finished(job, row)

    tasks = Tasks(distributed, client, options, address, reporter, jobs, remote_analyze,
                  refuse=lambda job, message: finish(job, SummaryRow.failed(job.rel, message, job.path)),
                  done_with=done_with, skip=finish)
    fingerprints: dict[str, dict[str, int]] = {}
    try:
        for job in jobs:
            try:
                fingerprints[job.rel] = input_fingerprint(job.path)
            except OSError as exc:
                finish(job, SummaryRow.failed(job.rel, failure_message(exc), job.path))
                continue
            reporter.started(job)
            tasks.queue.append(job)  # sent once a look has checked the workers
        for fut, outcome in _completed(tasks, reporter):
            job = tasks.job_of(fut)
            if job is None:  # cancelled and queued again, its workers gone
                continue
            try:
                if isinstance(outcome, CancelledError) or fut.status == "error":
                    raise outcome if isinstance(outcome, CancelledError) else outcome[1]
                status, payload, detail = outcome
                if status in ("unfit", "unseen"):
                    input_fingerprint(job.path)  # still here for the batch: the worker is at fault
                    if status == "unfit":
                        tasks.set_worker_aside(payload, detail, job)
                    else:
                        tasks.not_seen_by(payload, detail, job)
                    fut.release()
                    continue
                if status == "ok":
                    tasks.fill()  # the next input runs while this one's outputs are written
                    recording, model = payload
                    row = write_outputs(job, out_dir, options, fingerprints[job.rel], recording, detail, model)
                else:
                    row = SummaryRow.failed(job.rel, payload, job.path)
            except distributed.KilledWorker:
                row = SummaryRow.failed(job.rel, CRASH_MESSAGE, job.path)
            except (CancelledError, OutputPlaceError, NoWorkerFitError):
                # The batch stops: the scheduler gone (the futures we cancel are no longer ours),
                # the disk full, no worker left to run it.
                raise
            except Exception as exc:
                row = SummaryRow.failed(job.rel, failure_message(exc), job.path)
            finish(job, row)
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
