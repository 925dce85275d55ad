"""The batch progress bar counts frames, so its time left follows the work (not files, not bytes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hiprom.batch import Job
from hiprom.batch.progress import FRAMES_PER_INPUT, RichReporter, clock_text, frames_per_input
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


class _Clock:
    """A clock the test moves by hand (no sleeping, no dependence on the machine's speed)."""

    def __init__(self) -> None:
        self.t_s = 0.0

    def __call__(self) -> float:
        return self.t_s


def test_the_time_left_survives_an_input_starting(tmp_path: Path) -> None:
    """rich started its estimate again whenever the bar's total changed, i.e. at every input started or ended:
    right after, no time left at all, then one from the last seconds only."""
    first, second = _job(tmp_path, "first.mp4", 1000), _job(tmp_path, "second.mp4", 1000)
    reporter = RichReporter([first, second])
    reporter.clock = clock = _Clock()
    reporter.started(first)
    for t_s in range(1, 11):  # 10 frames a second for 10 s
        clock.t_s = t_s
        reporter.frames("first.mp4", 10, 200)
    assert reporter._progress.tasks[0].fields["left"] == "0:00:34"  # (400 + 2 x 20 - 100) / 10 frames a second
    clock.t_s = 10.5
    reporter.started(second)
    reporter.frames("second.mp4", 1, 100)  # its count known: the total changes
    completed, total = _bar(reporter)
    assert reporter._progress.tasks[0].fields["left"] == clock_text((total - completed) / (completed / 10.5))


@pytest.mark.parametrize(
    ("costs", "expected"),
    [
        ([(60, 3.3 + 60 * 0.058), (1800, 3.3 + 1800 * 0.058)], FRAMES_PER_INPUT),  # too few to fit
        ([(60, 8.5), (1800, 107.5), (60, 7.0), (60, 6.1), (60, 6.1), (60, 6.0)], pytest.approx(57, abs=1)),  # load 11
        ([(60, 0.25 + 60 * 0.02), (1800, 0.25 + 1800 * 0.02), (60, 0.25 + 60 * 0.02)], pytest.approx(12.5)),  # idle
        ([(60, 1.0), (61, 9.0), (62, 1.5)], FRAMES_PER_INPUT),  # one length: nothing to learn, nothing needed
        ([(60, 9.0), (1800, 5.0), (60, 8.0)], FRAMES_PER_INPUT),  # longer was quicker: no line to trust
    ],
    ids=["too-few", "busy", "idle", "one-length", "falling"],
)
def test_the_cost_of_an_input_is_learnt_from_those_done(costs, expected) -> None:
    """Each input's start (opening, the model) was a fixed 20 frames, fitted once on one machine; measured
    here at 57 under load, it made the time left of the 2 s clips after the 60 s ones about 30 % short."""
    assert frames_per_input(costs) == expected


def test_the_bar_counts_an_input_at_the_cost_learnt(tmp_path: Path) -> None:
    """Work done never jumps when the cost is learnt anew (an ended input keeps the cost it was counted at);
    the inputs still to do are counted at the one learnt."""
    jobs = [_job(tmp_path, f"{name}.mp4", n) for name, n in (("long", 3000), ("s1", 100), ("s2", 100), ("s3", 100))]
    reporter = RichReporter(jobs)
    reporter.clock = clock = _Clock()
    for job, frames, seconds in zip(jobs[:3], (1800, 60, 60), (107.5, 6.7, 6.8)):
        reporter.started(job)
        reporter.frames(job.rel, frames, frames)
        clock.t_s += seconds
        reporter.finished(job, SummaryRow(file=job.rel, status="ok", figures={"frames": frames}))
    learnt = reporter._costs.frames_per_input()
    assert learnt == pytest.approx(57, abs=1)
    completed, total = _bar(reporter)
    assert completed == 1920 + 2 * FRAMES_PER_INPUT + learnt  # the first two ended before it was learnt
    assert total == pytest.approx(completed + 60 + learnt)  # s3: counted at s1's frames per byte


def _calls_per_input(tmp_path: Path, n: int) -> float:
    """Python calls the bar makes for each input (started, a frames event, finished) of a batch of ``n``."""
    import sys

    jobs = [Job(path=tmp_path / f"v{i}.mp4", rel=f"v{i}.mp4", stem=f"v{i}") for i in range(n)]
    reporter = RichReporter(jobs)
    calls = [0]

    def count(frame, event, arg) -> None:
        calls[0] += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        for job in jobs[:50]:
            reporter.started(job)
            reporter.frames(job.rel, 5, 5)
            reporter.finished(job, SummaryRow(file=job.rel, status="ok", figures={"frames": 5}))
    finally:
        sys.setprofile(None)
    return calls[0] / 50


def test_the_work_of_each_input_does_not_grow_with_the_batch(tmp_path: Path) -> None:
    """Each progress event summed the frames and bytes of every input and fitted the cost of every input
    done: a batch of 3,000 tiny videos spent 33 ms of the batch process per event (30 files a second at most,
    against 151 at 300). The calls per input are now the same for 100 inputs as for 2,000."""
    small, large = _calls_per_input(tmp_path, 100), _calls_per_input(tmp_path, 2000)
    assert large <= 1.1 * small, (small, large)
