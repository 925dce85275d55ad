"""Progress of a batch: files done, frames per second, time left.

Backends report three events (:class:`Reporter`) and notes; :class:`RichReporter`
draws them as a rich progress bar on stderr, :class:`Reporter` itself only
counts and writes the notes on stderr.
Time left is estimated from the input *bytes* finished so far, which tracks
video length far better than a file count when files differ in size.
"""

from __future__ import annotations

import sys
import time

from hiprom.batch.discover import Job
from hiprom.batch.summary import SummaryRow


class Reporter:
    """Receives batch events; the base class counts frames and outcomes."""

    def __init__(self) -> None:
        self.frames_total = 0
        self.counts: dict[str, int] = {}
        self._reported: dict[str, int] = {}
        self.t_start = time.monotonic()

    def started(self, job: Job) -> None:
        """A job was handed to a worker."""

    def note(self, text: str) -> None:
        """Say something the user must know while the batch runs (one line on stderr)."""
        print(f"hiprom: {text}", file=sys.stderr, flush=True)

    def frames(self, rel: str, n: int) -> None:
        """``n`` more frames of input ``rel`` were analysed."""
        self._reported[rel] = self._reported.get(rel, 0) + n
        self.frames_total += n

    def finished(self, job: Job, row: SummaryRow) -> None:
        """A job ended (ok or failed); settles its frame count with the row's."""
        reported = self._reported.pop(job.rel, 0)
        if row.frames is not None and row.frames > reported:
            self.frames_total += row.frames - reported
        self.counts[row.status] = self.counts.get(row.status, 0) + 1

    @property
    def frames_per_s(self) -> float:
        """Frames analysed per second of wall time since the reporter was made."""
        elapsed = time.monotonic() - self.t_start
        return self.frames_total / elapsed if elapsed > 0 else 0.0

    def __enter__(self) -> "Reporter":
        self.t_start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class RichReporter(Reporter):
    """A rich progress bar on stderr; failures are printed above it as they happen.

    Args:
        jobs: the jobs that will run (not the skipped ones).
        skipped: how many inputs were already done.
    """

    def __init__(self, jobs: list[Job], skipped: int = 0) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn

        self.console = Console(stderr=True)
        self._sizes = {}
        for job in jobs:
            try:
                self._sizes[job.rel] = max(1, job.path.stat().st_size)
            except OSError:
                self._sizes[job.rel] = 1
        self._n_jobs = len(jobs)
        self._skipped = skipped
        self._done = 0
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]batch"),
            BarColumn(),
            TextColumn("{task.fields[files]}"),
            TextColumn("{task.fields[fps]}"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[failed]}"),
            console=self.console,
            transient=False,
        )
        self._task = self._progress.add_task(
            "batch", total=sum(self._sizes.values()) or 1, files=self._files_text(), fps="", failed=""
        )

    def _files_text(self) -> str:
        extra = f" ({self._skipped} already done)" if self._skipped else ""
        return f"{self._done}/{self._n_jobs} files{extra}"

    def _refresh(self, advance: int = 0) -> None:
        failed = self.counts.get("failed", 0)
        self._progress.update(
            self._task,
            advance=advance,
            files=self._files_text(),
            fps=f"{self.frames_per_s:.1f} frames/s",
            failed=f"[red]{failed} failed" if failed else "",
        )

    def frames(self, rel: str, n: int) -> None:
        super().frames(rel, n)
        self._refresh()

    def note(self, text: str) -> None:
        from rich.markup import escape

        self._progress.console.print(f"hiprom: {escape(text)}", highlight=False, soft_wrap=True)

    def finished(self, job: Job, row: SummaryRow) -> None:
        super().finished(job, row)
        self._done += 1
        if row.status == "failed":
            from rich.markup import escape

            # soft_wrap: one line per failure in a log file too (not cut at 80 columns)
            self._progress.console.print(f"[red]failed[/red] {escape(job.rel)}: {escape(row.error)}",
                                         highlight=False, soft_wrap=True)
        self._refresh(advance=self._sizes.get(job.rel, 1))

    def __enter__(self) -> "RichReporter":
        super().__enter__()
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._refresh()
        self._progress.stop()
