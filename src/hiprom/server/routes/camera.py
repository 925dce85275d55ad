"""Browser-camera mode: the page sends JPEG frames, the server answers with messages.

Protocol of ``/ws/camera`` (``?mirrored=1`` when the pictures are flipped; ``?page=<id>``, the page's own
random id: a connection that drops while a guided test is under way is kept for a while, and the same page's
next connection takes the test up where it was, its status ``test_resumed``: ``hiprom.server.parked``):

- client -> server, binary: one JPEG picture per message, at most 4 MB (a
  larger message closes the connection with 1009 and a reason saying so:
  ``hiprom.server.protocol``) and 4096 pixels a side (a larger one gets a
  ``frame_too_large`` status and the close code 1009; its size is read from
  the header, before decoding);
- client -> server, text: ``{"type": "command", "action": "start" | ...}`` (the
  guided test), ``{"type": "exercise", "action": "start", "exercise": id,
  "side": side}`` (``"reps": [...]``: those counted before the connection
  dropped, to go on from) and ``{"type": "exercise", "action": "stop"}`` (a counted
  exercise, as ``/api/exercise`` is on the server's source; one it cannot
  count gets an ``exercise_refused`` status) and ``{"type": "paused", "why": "hidden" | "muted" | "lost" |
  "busy"}`` (the page stopped sending pictures: its tab hidden, its camera sending none or gone, or its own
  computer too busy to send them; a trial the pause cost then says which);
- server -> client, text: the same JSON messages as ``/ws/live``, one per
  processed picture, ``source.kind == "browser"``.

Each connection gets its own ``PoseTracker`` + ``LiveMeter`` + guide (and counted exercise), run on a
private thread so the event loop never waits for inference. Only the newest
picture is kept: when the server is slower than the camera, older pictures
are dropped (and the page is told how many).

Why a turn lost its pictures (``Guide.pictures_stopped``): this computer asleep or too busy
(``CameraSession.stamp``), what the page said, else the network (nothing came, and the page said nothing).
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from hiprom.assessment.exercises import Catalogue
from hiprom.errors import ConfigError, HipromError
from hiprom.live.exercise import ExerciseError, LiveExercise, camera_exercise
from hiprom.live.messages import (
    MODEL_LOADING_TEXT, MODEL_MISSING_TEXT, ExerciseCommand, Paused, SourceInfo, Status, encode, frame_message, parse_command,
    parse_exercise, parse_paused, status_message, timing,
)
from hiprom.live.processor import LiveProcessor
from hiprom.recording import TrackedBy
from hiprom.server.deps import ResultsDep, SettingsDep, home_catalogue
from hiprom.server.parked import PAGE_ID, PAGE_STALL_CAUSE, CameraSession

router = APIRouter(tags=["live"])
log = logging.getLogger("hiprom.server")

MAX_SIDE_PX = 4096
"""A 4K camera's longest side: a larger picture would take hundreds of MB to decode, four clients at once."""
SOURCE: SourceInfo = {"kind": "browser", "label": "browser camera", "preview": False}
CONNECTED = Status("ok", "ok", "Browser camera connected.")
RESUMED = Status("test_resumed", "ok", "Connection back: the test goes on where it was.")
UNDER_WAY = ("setup", "calibrate", "trial", "analyzing")
"""Phases of a guided test under way: a connection dropped in one of them is parked for its page (``parked.py``)."""


def _status(code: str, level: str, text: str, state: dict | None = None, detail: str = "",
            exercise: dict | None = None) -> str:
    return encode(status_message(Status(code, level, text, detail), state, SOURCE, exercise))  # type: ignore[arg-type]


def apply_exercise(proc: LiveProcessor, command: ExerciseCommand, catalogue: Callable[[], Catalogue]) -> str | None:
    """Start or stop the counted exercise on this connection's processor, one of ``catalogue()`` (read when one
    starts: the page's, :func:`~hiprom.server.deps.home_catalogue`); why it was refused, or None."""
    if command.action == "stop":
        proc.stop_exercise()
        return None
    try:
        exercise = camera_exercise(command.exercise, command.side, catalogue(), command.dose)
        proc.start_exercise(LiveExercise(exercise, command.side, earlier=command.reps))
    except (ExerciseError, ConfigError) as exc:
        return f"The camera cannot count it: {exc}."
    return None


def picture_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a picture's header, without decoding it; None when it is not a picture."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def too_large(data: bytes) -> str | None:
    """Why a picture is refused unread (pixels beyond the limit), or None when it may be decoded. Its bytes are
    bounded before it arrives (``hiprom.server.protocol.MAX_MESSAGE_BYTES``)."""
    size = picture_size(data)
    if size is not None and max(size) > MAX_SIDE_PX:
        return f"A picture of {size[0]}×{size[1]} pixels was refused (at most {MAX_SIDE_PX} a side)"
    return None


def decode_jpeg(data: bytes) -> np.ndarray | None:
    """RGB picture from JPEG (or PNG) bytes; None when they are not a picture."""
    import cv2

    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    return None if bgr is None else np.ascontiguousarray(bgr[:, :, ::-1])


@router.websocket("/ws/camera")
async def camera_ws(websocket: WebSocket, settings: SettingsDep, results: ResultsDep) -> None:
    """Measure pictures streamed from the page's own camera."""
    app_state = websocket.app.state
    await websocket.accept()
    page_id = websocket.query_params.get("page") or None  # the page's id: its test is kept if the link drops
    parked = app_state.parked_cameras
    session = await parked.claim(page_id)  # this page's test, from before its link dropped
    if app_state.camera_clients >= settings.max_camera_clients:
        await websocket.send_text(
            _status("busy", "error", f"The server already measures {settings.max_camera_clients} browser cameras; try later.")
        )
        await websocket.close(code=1013)
        if session is not None:
            session.close()
        return
    app_state.camera_clients += 1
    ended = parked.opened(page_id)
    mirrored = websocket.query_params.get("mirrored", "0") in ("1", "true", "yes")
    loop = asyncio.get_running_loop()
    resumed = session is not None
    executor = session.executor if session else ThreadPoolExecutor(max_workers=1, thread_name_prefix="hiprom-camera")
    proc: LiveProcessor | None = session.proc if session else None
    latest: dict = {}
    commands: list[str | ExerciseCommand | Paused] = []
    wake = asyncio.Event()
    counts = {"received": 0, "dropped": 0}
    measuring = [False]  # a picture is being measured: one that comes meanwhile waits (this computer is busy)

    live = app_state.live

    def build() -> LiveProcessor:
        p = LiveProcessor(
            source_label="browser camera",
            mirrored=mirrored,
            tracker_factory=live.tracker_factory(),
            guide_config=live.guide,
            results=results,
            made_by=TrackedBy(live.model_name),
            norms=live.norms,
            stall_cause=PAGE_STALL_CAUSE,
        )
        try:
            p.warm_up()
        except BaseException:
            p.close()
            raise
        return p

    # The status the page shows: the last one sent, a frame's or this socket's news. A command's answer keeps
    # it: "Browser camera connected." at each key, then the frame's "Measuring both legs.", had a screen
    # reader read the page's status line twice per key.
    shown = [CONNECTED]

    def handle(frame: dict) -> str:
        assert proc is not None
        t0 = time.monotonic()
        rgb = decode_jpeg(frame["data"])
        if rgb is None:
            shown[0] = Status("bad_frame", "warn", "A picture from the camera could not be decoded.")
            return encode(status_message(shown[0], proc.guide.state(), SOURCE, proc.exercise_state()))
        assert session is not None
        t_ms = session.stamp(frame["t_ms"], frame["slept"], frame["waited"])
        image, world, n_people = proc.pose(rgb, t_ms)
        h, w = rgb.shape[:2]
        reading = proc.process(t_ms, image, world, (w, h), n_people)
        shown[0] = reading.status
        when = timing(frame["unix_ms"], time.time() * 1000.0, (time.monotonic() - t0) * 1000.0)
        source: SourceInfo = {**SOURCE, "size_wh": [w, h], "mirrored": mirrored}
        return encode(frame_message(reading, proc.guide.state(), source, counts["dropped"], when, proc.exercise_state()))

    def run_commands(actions: list[str | ExerciseCommand | Paused]) -> str | None:
        """The actions applied, and the state they leave to send (None after only a pause's word: the
        page's own status, that it paused, must stay)."""
        assert proc is not None
        refused = None
        for action in actions:
            if isinstance(action, Paused):
                proc.guide.pictures_stopped_by(action.why)
            elif isinstance(action, ExerciseCommand):
                refused = apply_exercise(proc, action, lambda: home_catalogue(websocket)) or refused
            else:
                proc.command(action)
        if all(isinstance(action, Paused) for action in actions):
            return None
        if refused:  # news for this command only: the next one must not refuse it again
            return _status("exercise_refused", "warn", refused, proc.guide.state(), exercise=proc.exercise_state())
        return encode(status_message(shown[0], proc.guide.state(), SOURCE, proc.exercise_state()))

    async def receiver() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data:
                refused = too_large(data)
                if refused:  # refused out loud: the page would otherwise wait for ever
                    await websocket.send_text(_status(
                        "frame_too_large", "error", f"{refused}: lower the camera resolution or the JPEG quality."))
                    await websocket.close(code=1009, reason="picture too large")
                    return
                counts["received"] += 1
                if latest:
                    counts["dropped"] += 1
                assert session is not None  # the receiver starts once the session is made
                clock = session.clock  # a sleep of this computer between two pictures puts them that far apart
                t_ms = clock.now_ms()
                slept = clock.just_slept or bool(latest.get("slept"))  # a dropped picture's news is kept
                waited = bool(latest) or measuring[0]
                latest.clear()
                latest.update(data=data, t_ms=t_ms, unix_ms=time.time() * 1000.0, slept=slept, waited=waited)
                wake.set()
            elif message.get("text"):
                action = parse_command(message["text"]) or parse_exercise(message["text"]) or parse_paused(message["text"])
                if action:
                    commands.append(action)
                    wake.set()

    async def worker() -> None:
        while True:
            await wake.wait()
            wake.clear()
            if commands:
                actions = commands[:]
                commands.clear()
                answer = await loop.run_in_executor(executor, run_commands, actions)
                if answer is not None:
                    await websocket.send_text(answer)
            if latest:
                frame = dict(latest)
                latest.clear()
                measuring[0] = True
                try:
                    answer = await loop.run_in_executor(executor, handle, frame)
                finally:
                    measuring[0] = False
                await websocket.send_text(answer)

    try:
        if session is None:
            await websocket.send_text(_status("loading", "info", MODEL_LOADING_TEXT))
            try:
                proc = await loop.run_in_executor(executor, build)
            except HipromError as exc:
                await websocket.send_text(_status("model_missing", "error", MODEL_MISSING_TEXT, detail=str(exc)))
                return
            session = CameraSession(proc, executor)
        assert proc is not None
        shown[0] = RESUMED if resumed else CONNECTED
        await websocket.send_text(encode(status_message(shown[0], proc.guide.state(), SOURCE, proc.exercise_state())))
        # The page's newer connection (its link dropped before this one noticed) ends this one.
        tasks = [asyncio.create_task(receiver()), asyncio.create_task(worker()), asyncio.create_task(ended.wait())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                exc = task.exception()
                if exc is not None and not isinstance(exc, (WebSocketDisconnect, RuntimeError)):
                    log.error("browser camera connection failed", exc_info=exc)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    except WebSocketDisconnect:
        pass
    finally:
        app_state.camera_clients -= 1
        if session is not None and page_id and PAGE_ID.fullmatch(page_id) and session.proc.guide.phase in UNDER_WAY:
            parked.park(page_id, session)  # the page may come back within a while: its test waits
        elif session is not None:
            session.close()
        else:  # the model never loaded
            executor.shutdown(wait=False)
        parked.closed(page_id, ended)
        if websocket.client_state == WebSocketState.CONNECTED:
            try:
                await websocket.close()
            except (RuntimeError, WebSocketDisconnect):
                pass
