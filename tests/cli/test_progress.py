"""The frame progress bar of track/analyze: total and time left when the count is known."""

from __future__ import annotations

import pytest

from hiprom.cli.progress import frame_progress


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make rich treat stderr as a terminal (it honours TTY_COMPATIBLE)."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.delenv("TTY_INTERACTIVE", raising=False)


@pytest.mark.parametrize(
    ("total", "shown", "not_shown"),
    [(900, ["tracking clip.mp4", "5/900", "left"], []), (None, ["tracking clip.mp4", "5 frames"], ["/"])],
    ids=["count known", "count unknown"],
)
def test_bar_shows_the_total_and_time_left_only_when_known(terminal, capsys, total, shown, not_shown):
    with frame_progress("tracking clip.mp4") as progress:
        for done in range(1, 6):
            progress(done, total)
    err = capsys.readouterr().err
    for text in shown:
        assert text in err
    for text in not_shown:
        assert text not in err.split("tracking clip.mp4", 1)[1]


def test_more_frames_than_the_container_said_grow_the_total(terminal, capsys):
    with frame_progress("tracking clip.mp4") as progress:
        progress(12, 10)
    assert "12/12" in capsys.readouterr().err


def test_disabled_bar_writes_nothing(terminal, capsys):
    with frame_progress("tracking clip.mp4", enabled=False) as progress:
        progress(5, 900)
    assert capsys.readouterr().err == ""
