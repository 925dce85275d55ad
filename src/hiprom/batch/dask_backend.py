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
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

from hiprom.batch.discover import Job
from hiprom.batch.local import CRASH_MESSAGE
from hiprom.batch.outputs import BatchOptions, input_fingerprint, remove_stale_parts, write_outputs
from hiprom.batch.progress import Reporter
from hiprom.batch.summary import SummaryRow
from hiprom.batch.worker import compute, failure_message
from hiprom.errors import ConfigError, ModelError, OutputPlaceError, missing_extra

CONNECT_TIMEOUT_S = 20


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
    have threads, so two halves at once would only crowd their cores.
    """
    from hiprom import __version__
    from hiprom.pose.split import one_pass

    if options.hiprom_version != __version__:  # the same input would give other numbers here
        return ("failed", f"on the Dask worker {_worker_address()}: it runs hiprom {__version__}, the batch "
                          f"hiprom {options.hiprom_version}; install the same hiprom version on every worker", None)
    try:
        with one_pass():
            recording, analysis = compute(job, options)
    except ModelError as exc:  # the worker's setup, not the input: say which machine to fix
        return ("failed", f"on the Dask worker {_worker_address()}: {failure_message(exc)}", None)
    except Exception as exc:  # one bad input must never fail the whole graph
        return ("failed", failure_message(exc), None)
    return ("ok", recording, analysis)


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
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(
            f"cannot connect to the Dask scheduler at {address!r} ({exc}); "
            "check the address (e.g. tcp://host:8786) and that the scheduler is running"
        ) from None
    if not client.scheduler_info().get("workers"):  # else the batch would wait without a word
        reporter.note(f"the Dask scheduler at {address} has no workers yet; waiting for some "
                      f"(start them with: dask worker {address} --nthreads 1)")
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
            for fut in distributed.as_completed(list(futures), loop=client.loop):
                job = futures[fut]
                try:
                    status, payload, analysis = fut.result()
                    if status == "ok":
                        remove_stale_parts(out_dir, job.stem)
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
