"""PDFs made for a request (a session's report, its home program, the agreement report): a few at a time, each in
a worker thread, and stopped when the client goes.

Each takes a CPU and some 100 MB while it renders, so :data:`REPORTS_AT_ONCE` run at once and the rest wait their
turn; a client that leaves (closes the tab, times out) stops its PDF at the renderer's next stage, or before it
starts, instead of a server finishing a PDF nobody will read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import anyio
from fastapi import Request

REPORTS_AT_ONCE = 2
"""PDFs rendered at the same time (each takes a CPU and some 100 MB)."""


async def while_connected(request: Request, work: Callable[[Callable[[], bool]], bytes]) -> bytes | None:
    """Run ``work(cancelled)`` in a worker thread (a few at a time); ``None`` if the client left before it ended.

    A watcher polls for the client's disconnect; when it comes, ``cancelled()`` turns true, so the work stops at
    its next check (raising :class:`hiprom.report.pdf.RenderCancelled`), and a request still waiting for its turn
    stops waiting. Any other error of ``work`` is raised here.
    """
    from hiprom.report.pdf import RenderCancelled

    state = request.app.state
    if getattr(state, "report_limiter", None) is None:
        state.report_limiter = anyio.CapacityLimiter(REPORTS_AT_ONCE)
    gone = threading.Event()
    outcome: dict[str, object] = {}

    async with anyio.create_task_group() as tasks:

        async def watch() -> None:
            while not await request.is_disconnected():
                await anyio.sleep(0.2)
            gone.set()
            tasks.cancel_scope.cancel()

        async def run() -> None:
            try:
                outcome["pdf"] = await anyio.to_thread.run_sync(work, gone.is_set, limiter=state.report_limiter)
            except RenderCancelled:
                outcome["cancelled"] = True
            except Exception as exc:  # noqa: BLE001 - re-raised below, outside the task group
                outcome["error"] = exc
            tasks.cancel_scope.cancel()

        tasks.start_soon(watch)
        tasks.start_soon(run)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("pdf")  # type: ignore[return-value]
