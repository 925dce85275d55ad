"""The server's own source: the ``/ws/live`` message stream and the MJPEG preview.

``/ws/live`` sends one JSON text message per processed frame (see
docs/server.md) and accepts JSON commands ``{"type": "command", "action":
"start" | "next" | "redo" | "cancel"}`` for the guided test. Each client has
its own bounded queue, so a slow or vanished client never holds up the others.
"""

from __future__ import annotations

import asyncio
import logging

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, WebSocket
from fastapi.responses import StreamingResponse
from starlette.websockets import WebSocketDisconnect, WebSocketState

from hiprom.live.messages import Status, encode, parse_command, status_message
from hiprom.server.deps import EngineDep
from hiprom.server.errors import responses

router = APIRouter(tags=["live"])
log = logging.getLogger("hiprom.server")

NO_SOURCE = Status(
    "no_source", "error", "This server was started without a camera or video of its own: use this device's camera."
)


@router.websocket("/ws/live")
async def live_ws(websocket: WebSocket) -> None:
    """Stream the live messages; accept guide commands."""
    engine = getattr(websocket.app.state, "engine", None)
    await websocket.accept()
    if engine is None:
        await websocket.send_text(encode(status_message(NO_SOURCE, None, None)))
        await websocket.close(code=1013)
        return
    sub = engine.hub.subscribe()

    async def sender() -> None:
        async for text in sub:
            await websocket.send_text(text)

    async def receiver() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            action = parse_command(message.get("text") or "")
            if action:
                engine.command(action)

    tasks = [asyncio.create_task(sender()), asyncio.create_task(receiver())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        sub.close()
        if websocket.client_state == WebSocketState.CONNECTED:
            try:
                await websocket.close()
            except (RuntimeError, WebSocketDisconnect):
                pass


BOUNDARY = "hipromframe"


@router.get("/video.mjpg", response_class=StreamingResponse, responses={
    200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {"schema": {"type": "string"}}},
          "description": "The picture as an endless MJPEG stream."},
    **responses(404, 503)})
async def video_mjpg(
    engine: EngineDep,
    w: Annotated[int | None, Query(ge=1, le=16384, description="width of the box the picture is shown in, device pixels")] = None,
    h: Annotated[int | None, Query(ge=1, le=16384, description="height of that box, device pixels")] = None,
) -> StreamingResponse:
    """The camera or video picture as MJPEG (multipart JPEG), at most ``preview_fps``.

    With ``w`` and ``h`` the picture is scaled down to fit that box (never above the source's size); the
    pictures are encoded once for all viewers, at the largest box asked. 404 when the source is a landmark
    recording, which has no picture to show.
    """
    if not engine.feed.has_video:
        raise HTTPException(404, "the server's source is a landmark recording, which has no picture to show")

    def part(jpeg: bytes) -> bytes:
        head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
        return head.encode() + jpeg + b"\r\n"

    async def frames():
        box_wh = (w, h) if w and h else None
        with engine.preview.subscribe(box_wh) as sub:
            if sub.queue.empty():  # show the newest picture at once, even if the source has paused
                first = await asyncio.to_thread(engine.snapshot_jpeg, box_wh)
                if first:
                    yield part(first)
            async for jpeg in sub:
                yield part(jpeg)

    return StreamingResponse(
        frames(),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )
