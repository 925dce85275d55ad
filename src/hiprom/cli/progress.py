"""The frame progress bar of ``hiprom track`` and ``hiprom analyze`` (rich, on stderr)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.markup import escape


@contextlib.contextmanager
def frame_progress(label: str, enabled: bool = True) -> Iterator[Callable[[int, int | None], None]]:
    """Yield ``progress(frames_done, total)`` drawing a bar on stderr (nothing when disabled or not a terminal).

    The bar is made at the first call: with a total (an image folder, a video
    whose container indexes its frames: ``FrameSource.n_frames_exact``) it shows
    done / total and the time left; without one (a camera, a Matroska or MPEG
    stream, whose duration x fps a longer sound track overstates), the frames
    done and the time elapsed. Should more frames come than the total, it grows.
    """
    err = Console(stderr=True)
    if not enabled or not err.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with contextlib.ExitStack() as stack:
        state: dict[str, object] = {}

        def progress(done: int, total: int | None) -> None:
            if "bar" not in state:
                columns = (
                    [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("frames, left"), TimeRemainingColumn()]
                    if total
                    else [SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} frames"), TimeElapsedColumn()]
                )
                bar = stack.enter_context(Progress(*columns, console=err, transient=True))
                state["bar"], state["task"] = bar, bar.add_task(escape(label), total=total or None)
            bar, task = state["bar"], state["task"]
            bar.update(task, completed=done, total=max(total, done) if total else None)  # type: ignore[attr-defined]

        yield progress
