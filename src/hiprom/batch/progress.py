"""Progress of a batch: files done, frames per second, time left.

Backends report three events (:class:`Reporter`) and notes; :class:`RichReporter`
draws them as a rich progress bar on stderr, :class:`Reporter` itself (``--no-progress``)
counts and writes the notes and one line per failed input (:func:`failure_line`) on stderr.
The bar, and so rich's estimate of the time left, counts *frames*, as the
workers analyse them, not files or bytes: the pose model's work is per frame,
and the bytes per frame of one file and the next differ tenfold (resolution,
codec, frame rate). A video's frame count is the one its worker reads from the
container at its start (exact for indexed containers such as .mp4), and the
count analysed once it is done; the videos not started yet are counted at the
frames per byte of those whose count is known, and each input costs some frames
more (opening it, loading the model, writing its outputs): :data:`FRAMES_PER_INPUT`
until the batch fits its own from the inputs done (:func:`frames_per_input`). The time
left is this work at the pace of the last :data:`SPEED_PERIOD_S` (:class:`Pace`; rich's
own estimate started again at each change of the total, so at every input started). Measured on 12 clips of 12-90 frames (2-17 KB a
frame) with 2 workers on the busy 2-core test machine, the time left said at
a half and three quarters of the batch, against the real one: before (the bar
moved only when a file finished, by its bytes) 10 s / 31.8 s and 3 s / 15.9 s,
2 s / 21.7 s and 2 s / 10.7 s, with nothing said at a quarter, the bar at 87-93 %
at three quarters of the time; now 12 s / 25.5 s and 19 s / 12.7 s, the bar at
58 % and 74 %. Clips this short are the hard case: their start costs about as
much as their frames, and varies with the machine's load.
"""

from __future__ import annotations

import collections
import sys
import time
from collections.abc import Callable, Iterable


from hiprom.batch.discover import Job
from hiprom.batch.summary import SummaryRow

SPEED_PERIOD_S = 600.0
"""Seconds of the recent past whose frames per second the time left is estimated from (rich's default, 30 s,
swung with each file finishing: 10 s said with 22.4 s left, half way through 12 clips on 2 workers)."""
FRAMES_PER_INPUT = 20
"""What an input costs beyond its frames, in frames, until the batch has learnt it (:func:`frames_per_input`):
12 clips of 12-90 frames, 2 workers on the busy 2-core test machine, fitted to seconds = a + b x frames
per input: a = 3.4 s, b = 0.16 s, a / b = 21 frames (idle: about 0.2-0.3 s to open a video and load the
model, 15-20 ms a frame). Another day it was 57 (one worker, five 2 s clips and one 60 s clip at 30 fps,
load 11 on 2 cores: a = 3.3 s, b = 58 ms), so the batch fits its own."""
FIT_INPUTS = 3
"""Inputs analysed before the batch fits its own cost per input (:func:`frames_per_input`)."""


class CostFit:
    """The least-squares line seconds = a + b x frames through the inputs analysed so far, kept as running sums.

    Each input adds in constant time (Welford's updates of the means and of the sums of squares and
    products about them), so a batch of thousands of inputs does not fit its whole list again at every
    progress event: before, it did, and that (with the totals summed over every input) took the batch
    process 3.7 ms an event at 300 inputs and 33 ms at 3,000, 30 files a second at most.
    """

    def __init__(self, costs: Iterable[tuple[int, float]] = ()) -> None:
        self.n = 0
        self._mean_frames = self._mean_s = self._sxx = self._sxy = 0.0
        self._min_frames = self._max_frames = 0.0
        for frames, seconds in costs:
            self.add(frames, seconds)

    def add(self, frames: int, seconds: float) -> None:
        """One input analysed: its ``frames`` took ``seconds`` of wall time from hand-over to result."""
        self.n += 1
        dx = frames - self._mean_frames
        self._mean_frames += dx / self.n
        self._mean_s += (seconds - self._mean_s) / self.n
        self._sxx += dx * (frames - self._mean_frames)
        self._sxy += dx * (seconds - self._mean_s)
        self._min_frames = frames if self.n == 1 else min(self._min_frames, frames)
        self._max_frames = frames if self.n == 1 else max(self._max_frames, frames)

    def frames_per_input(self) -> float:
        """a / b of the line, never below 0; :data:`FRAMES_PER_INPUT` until there are :data:`FIT_INPUTS` inputs
        and their lengths differ by a factor of 2 (inputs of one length need no such figure: each costs the
        same), or when the line does not rise with the frames."""
        if self.n < FIT_INPUTS or self._min_frames <= 0 or self._max_frames < 2 * self._min_frames:
            return float(FRAMES_PER_INPUT)
        b = self._sxy / self._sxx
        a = self._mean_s - b * self._mean_frames
        return max(0.0, a / b) if b > 0 else float(FRAMES_PER_INPUT)


def frames_per_input(costs: Iterable[tuple[int, float]]) -> float:
    """What an input costs beyond its frames, in frames, from the inputs analysed so far.

    ``costs``: (frames, wall seconds from handing the input to a worker to its result) of each;
    :meth:`CostFit.frames_per_input` of them.
    """
    return CostFit(costs).frames_per_input()


class Pace:
    """Work done per second over the last ``period_s`` seconds, and so the time left.

    rich's own estimate started again each time the bar's total changed (its ``Task._reset``), that is
    each time an input started or ended: right after, no time left was shown, then one from a few seconds.
    """

    def __init__(self, period_s: float = SPEED_PERIOD_S) -> None:
        self.period_s = period_s
        self._samples: collections.deque[tuple[float, float]] = collections.deque()  # (t_s, work done)

    def add(self, t_s: float, done: float) -> None:
        """Work ``done`` so far (any unit) at time ``t_s`` (seconds, monotonic)."""
        self._samples.append((t_s, done))
        while len(self._samples) > 2 and self._samples[1][0] <= t_s - self.period_s:
            self._samples.popleft()

    def seconds_left(self, remaining: float) -> float | None:
        """Seconds to do ``remaining`` work at the pace of the period (``None`` before any pace)."""
        if len(self._samples) < 2:
            return None
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        if t1 <= t0 or d1 <= d0:
            return None
        return max(0.0, remaining) * (t1 - t0) / (d1 - d0)


def clock_text(seconds: float | None) -> str:
    """``H:MM:SS`` as rich shows a time left, ``-:--:--`` when unknown."""
    if seconds is None:
        return "-:--:--"
    minutes, s = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{s:02d}"


FAILED = "failed"
"""The first word of the line of an input that failed (:func:`failure_line`)."""


def failure_line(job: Job, row: SummaryRow) -> str:
    """The one line said on stderr as an input fails, with and without the progress bar:
    ``failed p01.mp4: is empty (0 bytes); it is not a video`` (the input's relative path, then why)."""
    return f"{FAILED} {job.rel}: {row.error}"


class Reporter:
    """Receives batch events; the base class counts frames and outcomes, and says each failure on stderr."""

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
        if row.status == "failed":
            self.say_failed(failure_line(job, row))

    def say_failed(self, line: str) -> None:
        """Write the :func:`failure_line` of an input on stderr as it fails (a script's log then says which and why)."""
        print(line, file=sys.stderr, flush=True)

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
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

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
        # Running sums of the above, each kept as an input changes (summing every input at each event made a
        # batch quadratic in its inputs): frames of _done_frames; frames and bytes of _counts; frames of the
        # jobs whose work is known (_known: ended, else counted) and bytes of those whose work is not.
        self._done_total = 0
        self._counted_frames, self._counted_bytes = 0, 0
        self._known: dict[str, int] = {}
        self._known_frames = 0
        self._unknown_bytes = sum(self._sizes.values())
        self._n_jobs = len(jobs)
        self._skipped = skipped
        self._done = 0
        self.clock: Callable[[], float] = time.monotonic
        self.pace = Pace()
        self._handed: dict[str, float] = {}  # Job.rel -> when it was handed to a worker
        self._costs = CostFit()  # (frames, seconds) of each input analysed
        self._input_work = 0.0  # the cost beyond their frames of the inputs ended, each as learnt when it ended
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]batch"),
            BarColumn(),
            TextColumn("{task.fields[files]}"),
            TextColumn("{task.fields[fps]}"),
            TextColumn("[cyan]{task.fields[left]}"),
            TextColumn("{task.fields[failed]}"),
            console=self.console,
            transient=False,
        )
        self._task = self._progress.add_task("batch", total=None, files=self._files_text(), fps="", failed="",
                                             left=clock_text(None))

    def _files_text(self) -> str:
        extra = f" ({self._skipped} already done)" if self._skipped else ""
        return f"{self._done}/{self._n_jobs} files{extra}"

    def expected_frames(self) -> float | None:
        """Frames of the whole batch: those counted, and the rest at the frames per byte of those
        (``None`` until a count is known: no estimate rather than a wild one)."""
        if not self._counts:
            return None
        return self._known_frames + self._unknown_bytes * (self._counted_frames / self._counted_bytes)

    def _set_count(self, rel: str, frames: int | None) -> None:
        """Input ``rel``'s frame count is ``frames`` (``None``: not known, or no work left to count)."""
        old = self._counts.pop(rel, None)
        if old is not None:
            self._counted_frames -= old
            self._counted_bytes -= self._sizes.get(rel, 1)
        if frames is not None:
            self._counts[rel] = frames
            self._counted_frames += frames
            self._counted_bytes += self._sizes.get(rel, 1)
        self._settle(rel)

    def _set_done(self, rel: str, frames: int) -> None:
        """Input ``rel`` has had ``frames`` analysed."""
        self._done_total += frames - self._done_frames.get(rel, 0)
        self._done_frames[rel] = frames

    def _settle(self, rel: str) -> None:
        """Move input ``rel`` between the known work and the unknown bytes after its count or end changed."""
        if rel not in self._sizes:
            return
        old, new = self._known.pop(rel, None), self._ended.get(rel, self._counts.get(rel))
        if (old is None) != (new is None):
            self._unknown_bytes += self._sizes[rel] if new is None else -self._sizes[rel]
        self._known_frames += (new or 0) - (old or 0)
        if new is not None:
            self._known[rel] = new

    def _refresh(self) -> None:
        failed = self.counts.get("failed", 0)
        frames = self.expected_frames()
        inputs = len(self._sizes) - self.counts.get("skipped", 0)  # done by an earlier run: no work (Dask)
        open_inputs = inputs - (self._done - self.counts.get("skipped", 0))
        # An input ended keeps the cost it was counted at, so that learning it anew never jumps the work done.
        completed = self._done_total + self._input_work
        total = None if frames is None else max(frames + self._input_work + self._costs.frames_per_input() * open_inputs,
                                                completed, 1)
        self.pace.add(self.clock(), completed)
        self._progress.update(
            self._task,
            total=total,
            completed=completed,
            left=clock_text(None if total is None else self.pace.seconds_left(total - completed)),
            files=self._files_text(),
            fps=f"{self.frames_per_s:.1f} frames/s",
            failed=f"[red]{failed} failed" if failed else "",
        )

    def frames(self, rel: str, n: int, total: int | None = None) -> None:
        super().frames(rel, n, total)
        self._set_done(rel, self._done_frames.get(rel, 0) + n)
        if total and rel not in self._counts:
            self._set_count(rel, max(total, 1))
        self._refresh()

    def started(self, job: Job) -> None:
        self._handed[job.rel] = self.clock()

    def note(self, text: str) -> None:
        from rich.markup import escape

        self._progress.console.print(f"hiprom: {escape(text)}", highlight=False, soft_wrap=True)

    def finished(self, job: Job, row: SummaryRow) -> None:
        super().finished(job, row)
        self._done += 1
        handed = self._handed.pop(job.rel, None)
        if row.status == "ok" and row.frames and handed is not None:
            self._costs.add(row.frames, self.clock() - handed)
        if row.status != "skipped":
            self._input_work += self._costs.frames_per_input()
        if row.status == "ok" and row.frames:
            self._set_done(job.rel, row.frames)
            self._set_count(job.rel, row.frames)
        else:  # failed, or done by an earlier run: no work left, and nothing to learn frames per byte from
            self._ended[job.rel] = self._done_frames.get(job.rel, 0) if row.status != "skipped" else 0
            self._set_done(job.rel, self._ended[job.rel])
            self._set_count(job.rel, None)
        self._refresh()

    def say_failed(self, line: str) -> None:
        """The line above the bar, its first word in red."""
        from rich.text import Text

        text = Text(line)
        text.stylize("red", 0, len(FAILED))
        # soft_wrap: one line per failure in a log file too (not cut at 80 columns)
        self._progress.console.print(text, highlight=False, soft_wrap=True)

    def __enter__(self) -> "RichReporter":
        super().__enter__()
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._refresh()
        self._progress.stop()
