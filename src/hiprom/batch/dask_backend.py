"""Run batch jobs on a Dask distributed cluster (``--scheduler ADDRESS``).

One task per input. Each task runs the same analysis as a local worker
(:func:`hiprom.batch.worker.compute`) on a Dask worker and *returns* the
recording and the analysis result; this client writes every output and the
resume markers. So:

- Dask workers must read each input at the path the client found it
  (a shared or identically mounted filesystem), and need the pose model
  (``HIPROM_MODEL_DIR`` or the model cache on each worker machine);
- Dask workers need no access to OUT_DIR: only the client writes, atomically,
  and only the client decides what is already done.

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
from hiprom.batch.worker import BatchStopped, compute, failure_message
from hiprom.errors import ConfigError, ModelError, OutputPlaceError, missing_extra

CONNECT_TIMEOUT_S = 20
WORKER_CHECK_S = 5.0
"""Seconds between checks that the cluster still has workers, while no result arrives."""


class SchedulerLostError(ConfigError):
    """The Dask scheduler went away during the batch; the inputs not finished are ``interrupted``."""


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
    """The task run on a Dask worker: ``("ok", recording, analysis)`` or ``("failed", message, None)``.

    The video is tracked in one pass: a cluster's workers already run as many tasks as they
    have threads, so two halves at once would only crowd their cores. The analysis stops at
    its next frame once the batch no longer wants it (Ctrl-C, SIGTERM, the client gone): else
    the worker went on to the end of the video, and a new run queued behind it.
    """
    from hiprom import __version__
    from hiprom.pose.split import one_pass

    if options.hiprom_version != __version__:  # the same input would give other numbers here
        return ("failed", f"on the Dask worker {_worker_address()}: it runs hiprom {__version__}, the batch "
                          f"hiprom {options.hiprom_version}; install the same hiprom version on every worker", None)
    if not job.path.exists():  # it was there when the batch found it: this machine does not share it
        return ("failed", f"on the Dask worker {_worker_address()}: {job.path}: no such file there; every Dask "
                          "worker must see each input at the path the batch found it (a shared or identically "
                          "mounted folder)", None)
    try:
        with one_pass():
            recording, analysis = compute(job, options, _stop_when_released())
    except BatchStopped:  # nobody waits for this result
        return ("failed", "the batch was interrupted before this input finished", None)
    except ModelError as exc:  # the worker's setup, not the input: say which machine to fix
        return ("failed", f"on the Dask worker {_worker_address()}: {failure_message(exc)}", None)
    except Exception as exc:  # one bad input must never fail the whole graph
        return ("failed", failure_message(exc), None)
    return ("ok", recording, analysis)


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


def _completed(distributed: Any, client: Any, futures: list[Any], address: str, reporter: Reporter) -> Iterator[Any]:
    """``futures`` as they complete, saying so whenever the cluster has no worker to run them.

    Else the batch waited without a word: for workers not started yet, and for workers all
    gone during the batch (killed, or their job's time limit on an HPC cluster).
    """
    pending = distributed.as_completed(futures, loop=client.loop)
    seen, had, next_check = False, True, 0.0
    while not pending.is_empty():
        ready = pending.next_batch(block=False)
        if ready:
            yield from ready
            continue
        if time.monotonic() >= next_check and client.status == "running":  # not while it reconnects
            next_check = time.monotonic() + WORKER_CHECK_S
            has = bool(client.scheduler_info(n_workers=1).get("workers"))
            if had and not has:
                reporter.note(f"the Dask scheduler at {address} has no workers {'left' if seen else 'yet'}; "
                              f"waiting for some (start them with: dask worker {address} --nthreads 1)")
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
    run_id = uuid.uuid4().hex[:8]
    futures: dict[Any, Job] = {}
    fingerprints: dict[str, dict[str, int]] = {}
    with _quiet_client_log():
        try:
            for i, job in enumerate(jobs):
                try:
                    fingerprints[job.rel] = input_fingerprint(job.path)
                except OSError as exc:
                    rows[job.rel] = SummaryRow.failed(job.rel, failure_message(exc))
                    reporter.finished(job, rows[job.rel])
                    continue
                fut = client.submit(remote_analyze, job, options, pure=False, key=f"hiprom-batch-{run_id}-{i}")
                futures[fut] = job
                reporter.started(job)
            for fut in _completed(distributed, client, list(futures), address, reporter):
                job = futures[fut]
                try:
                    status, payload, analysis = fut.result()
                    if status == "ok":
                        row = write_outputs(job, out_dir, options, fingerprints[job.rel], payload, analysis)
                    else:
                        row = SummaryRow.failed(job.rel, payload)
                except distributed.KilledWorker:
                    row = SummaryRow.failed(job.rel, CRASH_MESSAGE)
                except (CancelledError, OutputPlaceError):  # the scheduler is gone (only we cancel); the disk is full
                    raise
                except Exception as exc:
                    row = SummaryRow.failed(job.rel, failure_message(exc))
                rows[job.rel] = row
                reporter.finished(job, row)
                fut.release()
        except (KeyboardInterrupt, OutputPlaceError):
            client.cancel(list(futures))
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
