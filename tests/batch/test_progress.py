"""The batch progress bar counts frames, so its time left follows the work (not files, not bytes)."""

from __future__ import annotations

from pathlib import Path

from hiprom.batch import Job
from hiprom.batch.progress import FRAMES_PER_INPUT, RichReporter
from hiprom.batch.summary import SummaryRow


def _job(folder: Path, name: str, n_bytes: int) -> Job:
    path = folder / name
    path.write_bytes(b"x" * n_bytes)
    return Job(path=path, rel=name, stem=path.stem)


def _bar(reporter: RichReporter) -> tuple[float, float | None]:
    task = reporter._progress.tasks[0]
    return task.completed, task.total


def test_the_bar_moves_with_frames_and_weighs_a_long_clip_more(tmp_path: Path) -> None:
    """Before, the bar moved only when a file finished, by its bytes: half of a long clip analysed was 0 %,
    and a short clip that finished first counted as much as its bytes, whatever its frames. Half way
    through the batch it said 10 s left when 31.8 s were (12 clips, 2 workers)."""
    long, short = _job(tmp_path, "long.mp4", 1000), _job(tmp_path, "short.mp4", 1000)
    reporter = RichReporter([long, short])
    assert _bar(reporter) == (0, None)  # no frame count known: no estimate rather than a wild one
    reporter.frames("long.mp4", 50, 100)  # its worker read 100 frames from the container; 50 analysed
    # the short one, of the same bytes, is counted at the long one's frames per byte until its count is known
    assert _bar(reporter) == (50, 200 + 2 * FRAMES_PER_INPUT)
    reporter.frames("short.mp4", 5, 10)
    assert _bar(reporter) == (55, 110 + 2 * FRAMES_PER_INPUT)
    reporter.finished(short, SummaryRow(file="short.mp4", status="ok", figures={"frames": 10}))
    assert _bar(reporter) == (60 + FRAMES_PER_INPUT, 110 + 2 * FRAMES_PER_INPUT)


def test_a_failed_input_ends_its_work_and_teaches_nothing(tmp_path: Path) -> None:
    """A corrupt file fails at once: its bytes must neither wait in the total nor set the frames per byte."""
    good, corrupt, later = (_job(tmp_path, name, n) for name, n in (("good.mp4", 100), ("bad.mp4", 10_000),
                                                                     ("later.mp4", 200)))
    reporter = RichReporter([good, corrupt, later])
    reporter.finished(corrupt, SummaryRow.failed("bad.mp4", "not a readable video"))
    assert _bar(reporter) == (FRAMES_PER_INPUT, None)
    reporter.finished(good, SummaryRow(file="good.mp4", status="ok", figures={"frames": 30}))
    assert _bar(reporter) == (30 + 2 * FRAMES_PER_INPUT, 30 + 60 + 3 * FRAMES_PER_INPUT)
