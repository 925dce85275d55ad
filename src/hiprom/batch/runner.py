"""``run_batch``: discover inputs, skip what is done, analyse the rest, write the summary."""

from __future__ import annotations

import collections
import contextlib
import csv
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hiprom import __version__
from hiprom.atomic import check_not_source, output_error, private_dir
from hiprom.batch.copies import remove_copies_outputs
from hiprom.batch.dask_backend import (NoWorkerFitError, SchedulerLostError, check_scheduler, import_distributed,
                                       run_dask)
from hiprom.batch.discover import Job, discover, largest_first, left_out_note
from hiprom.batch.local import LocalPool, available_cores
from hiprom.batch.outputs import (OUT_HINT, BatchOptions, EarlierOutput, OutputPaths, adopt_earlier, earlier_outputs,
                                  finished_row, recorded_model, redone_note, remove_stale_parts)
from hiprom.batch.progress import Reporter, RichReporter
from hiprom.batch.summary import STATUSES, SummaryRow, read_summary, write_summary, write_trials
from hiprom.errors import HipromError, InputError, ModelError, OutputPlaceError
from hiprom.overwrite import check_replaceable
from hiprom.pose.models import same_model
from hiprom.source import file_kind
from hiprom.tables import COMMAS, CsvStyle

SUMMARY_NAME = "summary.csv"
TRIALS_NAME = "trials.csv"
DEFAULT_ANALYZER = BatchOptions.analyzer
LOCK_NAME = ".hiprom-batch.lock"


class BatchFailedError(HipromError):
    """Some inputs of a batch failed (the others were analysed); exit code 1."""

    exit_code = 1


def kept_note(kept: Iterable[SummaryRow]) -> str | None:
    """The line that says an earlier run's figures are kept from another hiprom version, else ``None``.

    A resumed batch keeps what an earlier run analysed (its input, model file, norms and
    ``--mirrored`` unchanged: :func:`~hiprom.batch.outputs.finished_row`), also when another hiprom
    made it, whose figures may differ from this version's; this says so, and how to make them anew.
    """
    versions = collections.Counter(str(row.figures.get("hiprom_version") or "unknown") for row in kept
                                   if row.figures.get("hiprom_version") != __version__)
    if not versions:
        return None
    n = sum(versions.values())
    by = ", ".join(f"{count} by {version}" for version, count in sorted(versions.items()))
    return (f"{n} input{'s' if n != 1 else ''} kept as an earlier hiprom analysed {'them' if n != 1 else 'it'} "
            f"({by}; this is {__version__}): the figures are that version's (summary.csv column "
            "hiprom_version); to analyse every input with this one, run again with --redo")


def kept_software_note(kept: Iterable[SummaryRow], software: Mapping[str, str]) -> str | None:
    """The line that says an earlier run's figures are kept from other libraries than the batch's, else ``None``.

    ``software`` is what this batch analyses with (:func:`~hiprom.batch.outputs.figures_software`): a resumed
    batch keeps what this hiprom analysed with another MediaPipe, OpenCV or numpy too (an upgrade in between),
    whose figures may differ. A recording's own tracking is not the batch's to redo: only its numpy counts.
    Rows of another hiprom are :func:`kept_note`'s.
    """
    by: collections.Counter[str] = collections.Counter()
    differing: dict[str, str] = {}
    for row in kept:
        if row.figures.get("hiprom_version") != __version__:
            continue
        had = dict(row.software)
        other = {k: v for k, v in software.items() if had.get(k) != v
                 and not (k != "numpy" and file_kind(row.file) == "recording")}
        if other:
            by["; ".join(f"{k} {had.get(k) or 'unknown'}" for k in other)] += 1
            differing.update(other)
    if not by:
        return None
    n = sum(by.values())
    return (f"{n} input{'s' if n != 1 else ''} kept as an earlier run analysed {'them' if n != 1 else 'it'} with "
            f"other libraries ({', '.join(f'{count} by {what}' for what, count in sorted(by.items()))}; this batch "
            f"runs {'; '.join(f'{k} {v}' for k, v in differing.items())}): the figures are those versions' "
            "(summary.csv column software); to analyse every input with this batch's, run again with --redo")


@dataclass
class BatchResult:
    """What a batch did.

    Attributes:
        rows: one row per discovered input, in discovery order.
        summary_path: the ``summary.csv`` written.
        interrupted: the batch was stopped by Ctrl-C, SIGTERM or SIGHUP before finishing.
        stop_signal: the signal that stopped it when not Ctrl-C: SIGTERM (a job
            scheduler, ``timeout``, ``systemctl stop``) or SIGHUP (the terminal
            or ssh session closed); else ``None``.
        frames: frames analysed in this run (skipped inputs not counted).
        seconds: wall time of the analysis part of this run.
    """

    rows: list[SummaryRow]
    summary_path: Path
    interrupted: bool = False
    stop_signal: int | None = None
    frames: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = {s: 0 for s in STATUSES}
        for row in self.rows:
            self.counts[row.status] += 1

    @property
    def failed(self) -> list[SummaryRow]:
        """The rows of inputs that failed."""
        return [r for r in self.rows if r.status == "failed"]


STOP_SIGNALS: tuple[str, ...] = ("SIGTERM", "SIGHUP")
"""Signals handled as Ctrl-C during a batch (those this platform has)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a batch: handled as Ctrl-C is (workers stopped, summary written)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _stop_signals_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Terminated` while the batch runs (main thread only).

    By default they end the process at once: the summary kept the previous
    run's rows, and inputs finished in this run were missing from it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated(signum)

    signums = [getattr(signal, name) for name in STOP_SIGNALS if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, terminate) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def _out_dir_lock(out_dir: Path) -> Iterator[None]:
    """Refuse a second batch writing into the same OUT_DIR at the same time."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks, no check
        yield
        return
    lock = out_dir / LOCK_NAME
    try:
        fh = os.fdopen(os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a")
    except OSError as exc:
        raise output_error(lock, exc) from None
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError(
                f"{out_dir}: another hiprom batch is writing to this folder; wait for it or choose another -o"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _finished_before(summary: Path) -> bool:
    """Whether the last batch into this folder left every input done (``ok`` or ``skipped`` in ``summary``).

    Only such a batch may find nothing to do and so need no Dask scheduler: a failed input is
    tried again, an interrupted one finished, and a first run has no summary. A copy of another
    input (``duplicate``) is never analysed.
    """
    try:
        statuses = {row.get("status") for row in read_summary(summary)}
    except (OSError, UnicodeError, csv.Error):  # none yet, or not one hiprom wrote
        return False
    return bool(statuses) and statuses <= {"ok", "skipped", "duplicate"}


def make_options(jobs: Sequence[Job], model: str | os.PathLike[str] | None, mirrored: bool | None,
                 norms: str | os.PathLike[str] | None, analyzer: str = DEFAULT_ANALYZER,
                 on_cluster: bool = False) -> BatchOptions:
    """Batch options: norms loaded and the pose model resolved once, here.

    The model is resolved only when a video needs it, so a batch of
    recordings runs without any model. On a Dask cluster (``on_cluster``) the
    workers load it: this machine's file is used if it has one, else each
    worker finds its own (its check says when it cannot), and nothing is
    downloaded here. Raises ``ConfigError`` / ``ModelError``.
    """
    from hiprom.assessment import load_norms

    norms_values = load_norms(norms)  # --norms, else HIPROM_NORMS, else built-in
    model_path: str | os.PathLike[str] | None = model
    needs_model = analyzer == DEFAULT_ANALYZER and any(not job.is_recording for job in jobs)
    if needs_model:
        from hiprom.pose.models import model_here, resolve_model

        model_path = model_here(model) if on_cluster else resolve_model(model)
    return BatchOptions.create(model=model_path, mirrored=mirrored, norms=norms_values, model_spec=model,
                               needs_model=needs_model, analyzer=analyzer)


def run_batch(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    model: str | os.PathLike[str] | None = None,
    mirrored: bool | None = None,
    norms: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    redo: bool = False,
    scheduler: str | None = None,
    patterns: Sequence[str] = (),
    progress: bool = True,
    analyzer: str = DEFAULT_ANALYZER,
    csv_style: CsvStyle = COMMAS,
) -> BatchResult:
    """Analyse every input under ``inputs`` into ``out_dir``; see ``docs/batch.md``.

    Args:
        inputs: files and folders (searched recursively).
        out_dir: output folder (created).
        model, mirrored, norms: as for ``hiprom analyze``.
        workers: local worker processes; default: the cores available.
        redo: analyse every input again, even those already done.
        scheduler: a Dask scheduler address: run on that cluster instead.
        patterns: shell patterns choosing files in folders (default: videos
            and ``.landmarks.npz``).
        progress: draw a progress bar on stderr.
        analyzer: ``"module:function"`` analysing one path (tests use fakes).
        csv_style: how ``summary.csv`` and ``trials.csv`` separate cells and mark decimals
            (:data:`hiprom.tables.SEMICOLONS` for Excel where the decimal mark is a comma).

    Returns:
        The rows and where the summary went. Failed inputs do not raise; the
        caller decides (the CLI exits 1). A Ctrl-C, SIGTERM or SIGHUP does not
        raise either: ``interrupted`` (and ``stop_signal``) is set and the
        summary still lists every input.

    Raises:
        HipromError: a batch that cannot go on (the Dask scheduler lost, no worker fit, OUT_DIR full,
            the pose model unloadable) after writing the summary; its ``batch_result`` is the
            :class:`BatchResult` so far. Earlier errors (bad arguments) have none.
    """
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, but got {workers}")
    if scheduler:
        import_distributed()  # a missing extra is said before any folder, lock or progress bar is made
    out = Path(out_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; choose another -o")
    if scheduler and (redo or not _finished_before(out / SUMMARY_NAME)):
        # Before searching the inputs (minutes for thousands of files on a network share). A batch that
        # finished before is searched first: it may have nothing to do, and then needs no scheduler.
        check_scheduler(scheduler)
    left_out: collections.Counter[str] = collections.Counter()
    found = discover(inputs, out, patterns, left_out)
    jobs = [job for job in found if not job.copy_of]  # a copy of another input is listed, never analysed
    note = left_out_note(left_out)
    if note is not None:  # said before the work, so that a user can stop and choose them
        Reporter().note(note)
    # An input inside OUT_DIR under an output's name would be overwritten by its own analysis.
    check_not_source([p for job in jobs for p in OutputPaths.of(out, job.stem).files], [job.path for job in found],
                     hint=OUT_HINT)
    check_replaceable([out / SUMMARY_NAME, out / TRIALS_NAME], "a CSV table", OUT_HINT)
    options = make_options(jobs, model, mirrored, norms, analyzer, on_cluster=bool(scheduler))
    private_dir(out)
    rows: dict[str, SummaryRow] = {}
    interrupted, stop_signal = False, None
    lost: HipromError | None = None
    with _out_dir_lock(out), _stop_signals_as_interrupt():
        todo: list[Job] = []
        earlier: list[EarlierOutput] | None = None
        # On a cluster the workers' model, not this machine's, makes the figures: an input done with
        # another model than this machine's (or when it has none) is done if the workers have that one.
        done_with: dict[str, tuple[SummaryRow, str | None]] = {}
        any_model = bool(scheduler)
        for job in jobs:
            row = None if redo else finished_row(job, out, options, any_model)
            if row is None and not redo:
                if earlier is None:  # read once, and only when something is not done under its name
                    earlier = earlier_outputs(out, {j.stem for j in jobs})
                row = adopt_earlier(job, out, options, earlier, any_model)
            if row is not None and any_model and not job.is_recording and not same_model(
                    recorded_model(job, out), options.settings_for(job).get("model")):
                done_with[job.rel] = (row, recorded_model(job, out))
                row = None
            if row is None:
                todo.append(job)
            else:
                rows[job.rel] = row
        for note in (kept_note(rows.values()), kept_software_note(rows.values(), dict(options.software))):
            if note is not None:
                Reporter().note(note)
        copies = [job for job in found if job.copy_of]
        if copies:  # an input analysed by an earlier run, now a copy: its outputs would be a second set of figures
            if earlier is None:
                earlier = earlier_outputs(out, {j.stem for j in jobs})
            for line in remove_copies_outputs(out, copies, earlier, [j.rel for j in jobs]).notes():
                Reporter().note(line)
        for job in todo:  # those done are hiprom's own; only the files about to be written are read
            OutputPaths.of(out, job.stem).check_replaceable()
        todo = largest_first(todo)
        redone = None if redo else redone_note(out, todo)
        if redone is not None:  # said before the work, so that a user can keep the earlier outputs
            Reporter().note(redone)
        remove_stale_parts(out, [job.stem for job in todo])  # a killed run's temporary files
        reporter = RichReporter(todo, skipped=len(rows)) if progress else Reporter()
        t0 = time.monotonic()
        with reporter:
            try:
                if scheduler:
                    run_dask(todo, out, options, scheduler, reporter, rows, done_with)
                else:
                    LocalPool(out, options, workers or available_cores(), reporter).run(todo, rows)
            except KeyboardInterrupt as exc:
                interrupted, stop_signal = True, getattr(exc, "signum", None)
            except (SchedulerLostError, NoWorkerFitError, OutputPlaceError, ModelError) as exc:
                lost = exc  # keep what finished, list every input, then say so
        seconds = time.monotonic() - t0
        ordered = [SummaryRow.duplicate(job.rel, job.copy_of) if job.copy_of
                   else rows.get(job.rel) or SummaryRow.interrupted(job.rel) for job in found]
        summary = write_summary(out / SUMMARY_NAME, ordered, csv_style)
        write_trials(out / TRIALS_NAME, ordered, csv_style)
    result = BatchResult(rows=ordered, summary_path=summary, interrupted=interrupted, stop_signal=stop_signal,
                         frames=reporter.frames_total, seconds=seconds)
    if lost is not None:
        lost.batch_result = result  # what was done before it stopped, for the caller to count
        raise lost
    return result
