"""Progress of a batch: files done, frames per second, time left.

Backends report three events (:class:`Reporter`) and notes; :class:`RichReporter`
draws them as a rich progress bar on stderr, :class:`Reporter` itself only
counts and writes the notes on stderr.
The bar, and so rich's estimate of the time left, counts *frames*, as the
workers analyse them, not files or bytes: the pose model's work is per frame,
and the bytes per frame of one file and the next differ tenfold (resolution,
codec, frame rate). A video's frame count is the one its worker reads from the
container at its start (exact for indexed containers such as .mp4), and the
count analysed once it is done; the videos not started yet are counted at the
frames per byte of those whose count is known, and each input costs
:data:`FRAMES_PER_INPUT` more (opening it, loading the model, writing its
outputs); rich estimates the time left from the frames per second of the
last :data:`SPEED_PERIOD_S`. Measured on 12 clips of 12-90 frames (2-17 KB a
frame) with 2 workers on the busy 2-core test machine, the time left said at
a half and three quarters of the batch, against the real one: before (the bar
moved only when a file finished, by its bytes) 10 s / 31.8 s and 3 s / 15.9 s,
2 s / 21.7 s and 2 s / 10.7 s, with nothing said at a quarter, the bar at 87-93 %
at three quarters of the time; now 12 s / 25.5 s and 19 s / 12.7 s, the bar at
58 % and 74 %. Clips this short are the hard case: their start costs about as
much as their frames, and varies with the machine's load.
"""

from __future__ import annotations

import sys
import time

from hiprom.batch.discover import Job
from hiprom.batch.summary import SummaryRow
from hiprom.parsing import printable_name

SPEED_PERIOD_S = 600.0
"""Seconds of the recent past whose frames per second the time left is estimated from (rich's default, 30 s,
swung with each file finishing: 10 s said with 22.4 s left, half way through 12 clips on 2 workers)."""
FRAMES_PER_INPUT = 20
"""What an input costs beyond its frames, in frames: 12 clips of 12-90 frames, 2 workers on the
busy 2-core test machine, fitted to seconds = a + b x frames per input: a = 3.4 s, b = 0.16 s,
a / b = 21 frames (idle: about 0.2-0.3 s to open a video and load the model, 15-20 ms a frame)."""


def reason(job: Job, error: str) -> str:
    """``error`` without the input's absolute path in front, for a line that names the input already.

    ``failed p01.mp4: /data/in/p01.mp4: is empty …`` named it twice; now ``failed p01.mp4: is empty …``.
    """
    for name in dict.fromkeys((str(job.path), printable_name(str(job.path)))):
        if error.startswith(f"{name}: "):
            return error[len(name) + 2:]
    return error


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

    def frames(self, rel: str, n: int, total: int | None = None) -> None:
        """``n`` more frames of input ``rel`` were analysed; ``total``: its frame count, when its container says."""
        self._reported[rel] = self._reported.get(rel, 0) + n
        self.frames_total += n

    def finished(self, job: Job, row: SummaryRow) -> None:
        """A job ended (ok or failed); settles its frame count with the row's."""
        reported = self._reported.pop(job.rel, 0)
        if row.status != "skipped" and row.frames is not None and row.frames > reported:
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
        self._sizes: dict[str, int] = {}
        for job in jobs:
            try:
                self._sizes[job.rel] = max(1, job.path.stat().st_size)
            except OSError:
                self._sizes[job.rel] = 1
        self._counts: dict[str, int] = {}  # Job.rel -> its frame count, once known
        self._done_frames: dict[str, int] = {}  # Job.rel -> frames analysed so far
        self._ended: dict[str, int] = {}  # Job.rel -> frames of an input that failed (or was skipped): all it takes
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
            speed_estimate_period=SPEED_PERIOD_S,
        )
        self._task = self._progress.add_task("batch", total=None, files=self._files_text(), fps="", failed="")

    def _files_text(self) -> str:
        extra = f" ({self._skipped} already done)" if self._skipped else ""
        return f"{self._done}/{self._n_jobs} files{extra}"

    def expected_frames(self) -> float | None:
        """Frames of the whole batch: those counted, and the rest at the frames per byte of those
        (``None`` until a count is known: no estimate rather than a wild one)."""
        if not self._counts:
            return None
        per_byte = sum(self._counts.values()) / sum(self._sizes.get(rel, 1) for rel in self._counts)
        return sum(self._ended[rel] if rel in self._ended else self._counts.get(rel, size * per_byte)
                   for rel, size in self._sizes.items())

    def _refresh(self) -> None:
        failed = self.counts.get("failed", 0)
        frames = self.expected_frames()
        inputs = len(self._sizes) - self.counts.get("skipped", 0)  # done by an earlier run: no work (Dask)
        total = None if frames is None else frames + FRAMES_PER_INPUT * inputs
        completed = sum(self._done_frames.values()) + FRAMES_PER_INPUT * (self._done - self.counts.get("skipped", 0))
        self._progress.update(
            self._task,
            total=None if total is None else max(total, completed, 1),
            completed=completed,
            files=self._files_text(),
            fps=f"{self.frames_per_s:.1f} frames/s",
            failed=f"[red]{failed} failed" if failed else "",
        )

    def frames(self, rel: str, n: int, total: int | None = None) -> None:
        super().frames(rel, n, total)
        self._done_frames[rel] = self._done_frames.get(rel, 0) + n
        if total and rel not in self._counts:
            self._counts[rel] = max(total, 1)
        self._refresh()

    def note(self, text: str) -> None:
        from rich.markup import escape

        self._progress.console.print(f"hiprom: {escape(text)}", highlight=False, soft_wrap=True)

    def finished(self, job: Job, row: SummaryRow) -> None:
        super().finished(job, row)
        self._done += 1
        if row.status == "ok" and row.frames:
            self._counts[job.rel] = self._done_frames[job.rel] = row.frames
        else:  # failed, or done by an earlier run: no work left, and nothing to learn frames per byte from
            self._counts.pop(job.rel, None)
            self._ended[job.rel] = self._done_frames.get(job.rel, 0) if row.status != "skipped" else 0
            self._done_frames[job.rel] = self._ended[job.rel]
        if row.status == "failed":
            from rich.markup import escape

            # soft_wrap: one line per failure in a log file too (not cut at 80 columns)
            self._progress.console.print(f"[red]failed[/red] {escape(job.rel)}: {escape(reason(job, row.error))}",
                                         highlight=False, soft_wrap=True)
        self._refresh()

    def __enter__(self) -> "RichReporter":
        super().__enter__()
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._refresh()
        self._progress.stop()
