"""The server's own live loop: feed -> pose -> LiveMeter -> guide -> clients.

``LiveEngine`` owns a ``Feed`` (grabber thread), a ``PosePool`` (two pose
threads with a tracker each from two cores on; on one core the worker poses)
and a worker thread that takes the posed frames in capture order, runs the
``LiveProcessor`` on them and publishes one JSON message per processed frame
to ``hub`` (and a JPEG of the frame, at the size the pages show it, to
``preview`` when a page is watching it: ``hiprom.live.preview``). No thread ever runs on the event loop, so the web server stays
responsive however slow inference is.

Guide commands arrive from the event loop and are queued to the worker, the
only thread that touches the guide and the meter. A command that rewinds the
source drops the frames of the old pass still being posed: they never reach
the restarted guide.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hiprom.assessment import Catalogue, Norms
from hiprom.clock import AwakeClock
from hiprom.errors import HipromError
from hiprom.live.exercise import LiveExercise, camera_exercise
from hiprom.kinematics.smoothing import MAX_UNSEEN_S
from hiprom.live.feeds import Feed, FeedItem
from hiprom.live.guide import COMMANDS, GuideConfig
from hiprom.live.hub import Hub
from hiprom.live.messages import MODEL_LOADING_TEXT, MODEL_MISSING_TEXT, SourceInfo, Status, encode, frame_message, status_message, timing
from hiprom.live.posepool import PosePool, Posed, pose_threads
from hiprom.live.preview import PreviewHub
from hiprom.live.processor import LiveProcessor, ResultRegistry
from hiprom.recording import LandmarkRecording, TrackedBy
from hiprom.source import SourceSpec

log = logging.getLogger("hiprom.live")

STOP_EXERCISE = "stop_exercise"


@dataclass(frozen=True)
class LiveConfig:
    """What the live loop needs (the server builds it from its settings).

    Attributes:
        source: camera index, video file, image folder, landmark recording or ``demo``.
        model: pose model variant or file (None = the default).
        mirrored: the pictures are left-right flipped.
        loop, replay_speed, camera_retry_s: how the feed reads its source.
        client_queue: messages kept per slow client.
        preview_fps, jpeg_quality: the MJPEG preview.
        rewind_on_start: restart a file or recording when the guided test starts.
        guide: the guide's timings.
        norms: norms and trial settings of every analysis (the clinic's, ``load_norms()``).
    """

    source: str = "0"
    model: str | None = None
    mirrored: bool = False
    loop: bool = False
    replay_speed: float = 1.0
    camera_retry_s: float = 2.0
    client_queue: int = 8
    preview_fps: float = 15.0
    jpeg_quality: int = 75
    rewind_on_start: bool = True
    guide: GuideConfig = field(default_factory=GuideConfig)
    norms: Norms = field(default_factory=Norms)

    def tracker_factory(self) -> Callable[[], object]:
        """A function that builds the pose tracker (imports MediaPipe only when called)."""
        model = self.model

        def build():
            from hiprom.pose import PoseTracker

            return PoseTracker(model=model, num_poses=2)

        return build

    @property
    def model_name(self) -> str:
        """A short name of the model in use, for the analysis record."""
        if self.model:
            name = str(self.model).replace("\\", "/").rsplit("/", 1)[-1]
            return name.removesuffix(".task")
        return "pose_landmarker_full"


@dataclass(frozen=True)
class SourceEvent:
    """A feed event and the pass of the source it came from (``Feed.passes`` when it was said): the end
    of a pass that a rewind has already replaced is no news for the test the rewind started."""

    status: Status
    pass_index: int


class LiveEngine:
    """Background capture -> pose -> kernel loop feeding any number of clients.

    Args:
        settings: what to read and how (source, loop, speed, model...).
        loop: the event loop the clients live on.
        results: where finished guided tests are kept.
        demo: builds the demo recording for ``--source demo``.
        clock: sees this computer sleep between two frames the worker measures (a new ``AwakeClock`` when None):
            a turn the sleep cut on the server's camera is then told so, not to check the camera's cable.
    """

    def __init__(
        self,
        settings: LiveConfig,
        loop: asyncio.AbstractEventLoop,
        results: ResultRegistry,
        demo: Callable[[], LandmarkRecording] | None = None,
        clock: AwakeClock | None = None,
    ) -> None:
        self.settings = settings
        self._awake = clock if clock is not None else AwakeClock()
        self.spec = SourceSpec.parse(settings.source)
        self.hub: Hub[str] = Hub(loop, maxsize=settings.client_queue)
        self.preview = PreviewHub(loop, settings.preview_fps, settings.jpeg_quality)
        self.results = results
        threads = 1 if self.spec.is_recording else pose_threads()
        self.feed = Feed(
            self.spec,
            status=self._on_source_status,
            loop=settings.loop,
            speed=settings.replay_speed,
            retry_s=settings.camera_retry_s,
            demo=demo,
            takers=threads,
        )
        self.poses = PosePool(self.feed.slot, settings.tracker_factory() if self.feed.has_video else None, threads)
        self.source_status = Status("starting", "info", f"Opening {self.spec.label}...")
        self._shown = self.source_status  # the status the pages show: the last one published (a frame's or the source's)
        self._last_logged: tuple[str, str] | None = None  # (code, text) of the feed event logged last
        self._commands: queue.SimpleQueue[str | SourceEvent | LiveExercise] = queue.SimpleQueue()  # guide/exercise commands, feed events
        self._held: str | SourceEvent | LiveExercise | None = None  # a command to handle first at the next drain
        self.guide_state: dict = {"phase": "idle"}  # as last published (read by other threads)
        self._exercise_state: dict | None = None  # as last published (read by other threads)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.processor: LiveProcessor | None = None
        self.processed = 0
        self.last_latency_ms: float | None = None
        self._model_error: Status | None = None  # sticky: no frame can be measured until a restart
        self._pass_seen = 0  # pass of the source of the latest frame processed
        self._last_t_ms: float | None = None  # time of the latest frame processed in that pass
        self._first_wanted_pass = 0  # frames of earlier passes were in flight when the source was rewound
        self._last_rgb = None  # the newest picture, for a preview opened between frames
        self._failures = 0

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self.feed.start()
        self._thread = threading.Thread(target=self._run, name="hiprom-live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.feed.stop()
        if self._thread is not None:
            self._thread.join(10.0)
        self.hub.close()
        self.preview.close()

    def snapshot_jpeg(self, box_wh: tuple[int, int] | None = None) -> bytes | None:
        """The newest picture as JPEG, fitted to ``box_wh`` (device pixels; None before the first picture,
        or for recordings)."""
        rgb = self._last_rgb
        return None if rgb is None else self.preview.snapshot(rgb, box_wh)

    def command(self, action: str) -> None:
        """Queue a guide command for the worker (any thread); ``ValueError`` for an unknown one."""
        if action not in COMMANDS:
            raise ValueError(f"Invalid guide command {action!r}, expecting one of {COMMANDS}")
        self._commands.put(action)

    def start_exercise(self, exercise_id: str, side: str, earlier: Sequence[Any] = (),
                       dose: Mapping[str, Any] | None = None, catalogue: Catalogue | None = None) -> None:
        """Queue a counted exercise of ``catalogue`` (default: ``load_catalogue()``; any thread), going on from
        the reps ``earlier`` counted (as :class:`LiveExercise` takes them), at ``dose`` (a home program's;
        default: the catalogue's); ``ExerciseError`` when the camera cannot follow it, ``earlier`` is not such
        reps or ``dose`` no dose."""
        exercise = camera_exercise(exercise_id, side, catalogue, dose)
        self._commands.put(LiveExercise(exercise, side, earlier=earlier))

    def stop_exercise(self) -> None:
        """Queue the end of the counted exercise (its record then appears in ``exercise_state``)."""
        self._commands.put(STOP_EXERCISE)

    @property
    def exercise_state(self) -> dict | None:
        """The counted exercise as last published (None when none was started)."""
        proc = self.processor
        return None if proc is None else self._exercise_state

    def describe(self) -> SourceInfo:
        """Source and loop figures for ``/api/live`` and the messages."""
        return {
            "kind": self.spec.kind,
            "label": self.spec.label,
            "preview": self.feed.has_video,
            "size_wh": list(self.feed.size_wh) if self.feed.size_wh else None,
            "fps": round(self.feed.fps, 2),
            "mirrored": bool(self.feed.mirrored) if self.feed.mirrored is not None else self.settings.mirrored,
        }

    # -- status ------------------------------------------------------------
    def _on_source_status(self, code: str, level: str, text: str) -> None:
        """A feed event: published by the worker after any frame still pending; logged now unless it
        repeats the one before (a missing camera, retried every 2 s, is logged once, not 30 times a minute)."""
        if (code, text) != self._last_logged:
            (log.warning if level in ("warn", "error") else log.info)("%s: %s", code, text)
            self._last_logged = (code, text)
        self._commands.put(SourceEvent(Status(code, level, text), self.feed.passes))  # said from the feed's thread

    def _set_status(self, status: Status) -> None:
        self.source_status = status
        self._publish_status()

    @property
    def status(self) -> Status:
        """What the page should say now: a model that cannot load outweighs all but source errors."""
        if self._model_error is not None and self.source_status.level != "error":
            return self._model_error
        return self.source_status

    def _model_failed(self, exc: Exception) -> None:
        log.error("the pose model cannot be loaded: %s", exc)
        self._model_error = Status("model_missing", "error", MODEL_MISSING_TEXT, detail=str(exc))
        self._publish_status()

    def _publish_status(self, news: bool = True) -> None:
        """Publish the guide's and the exercise's state with a status: ``news``, the source's or the model's
        (it changed); else the one the pages show already, so that a guide command does not put the source's
        last event ("Playing demo recording from the start.") back on a status line a screen reader reads out."""
        proc = self.processor
        state = proc.guide.state() if proc is not None else None
        if state is not None:
            self.guide_state = state
        if news:
            self._shown = self.status
        message = status_message(self._shown, state, self.describe(), proc.exercise_state() if proc is not None else None)
        self.hub.publish(encode(message))

    # -- the worker thread -------------------------------------------------
    def _make_processor(self) -> LiveProcessor:
        return LiveProcessor(
            source_label=self.spec.label,
            mirrored=self.settings.mirrored,
            guide_config=self.settings.guide,
            results=self.results,
            made_by=TrackedBy(self.settings.model_name),
            norms=self.settings.norms,
            # A stall of this source involves no page: "keep this page on screen" would be wrong advice.
            stall_cause="camera_stalled" if self.spec.kind == "camera" else "source_stalled",
        )

    def _run(self) -> None:
        try:
            self.processor = self._make_processor()
        except Exception as exc:  # noqa: BLE001 - e.g. the kernel is missing: say so, keep serving
            log.exception("cannot start the live loop")
            self._set_status(Status("engine_error", "error", f"The live loop cannot start: {exc}"))
            return
        proc = self.processor
        if self.feed.has_video:
            self._set_status(Status("loading", "info", MODEL_LOADING_TEXT))  # the feed's own news follows
        try:
            try:
                self.poses.start()
                proc.made_by = self.poses.made_by or proc.made_by
            except HipromError as exc:
                self._model_failed(exc)
            while not self._stop.is_set():
                posed = self.poses.get(timeout=0.1)
                if posed is not None:
                    try:
                        self._handle(proc, posed)
                    except Exception:  # noqa: BLE001 - a bug on one frame must not end the live loop
                        self._frame_failed()
                self._drain_commands(proc)
        finally:
            self.poses.close()
            proc.close()

    def _frame_failed(self) -> None:
        self._failures += 1
        if self._failures == 1 or self._failures % 100 == 0:  # the log must not drown in one repeated bug
            log.exception("processing a frame failed (%d so far)", self._failures)
        if self._failures == 1:
            self._set_status(Status("engine_error", "error", "A frame could not be processed because of an internal error; see the server log."))

    def _drain_commands(self, proc: LiveProcessor) -> None:
        changed = False
        while True:
            if self._held is not None:
                action, self._held = self._held, None
            else:
                try:
                    action = self._commands.get_nowait()
                except queue.Empty:
                    break
            if isinstance(action, SourceEvent) and action.status.code == "source_ended" and self.poses.pending:
                self._held = action  # after the last frames of the file, and before any later command
                break
            if isinstance(action, LiveExercise) or action == STOP_EXERCISE:
                if isinstance(action, LiveExercise):
                    proc.start_exercise(action)
                    if self.spec.kind != "camera":
                        self._rewind()
                else:
                    proc.stop_exercise()
                self._exercise_state = proc.exercise_state()
                changed = True
                continue
            if isinstance(action, SourceEvent):
                if action.status.code == "source_ended":
                    if action.pass_index < self._first_wanted_pass:
                        continue  # read to its end as a start or an exercise rewound it: the new pass plays
                    proc.source_ended()
                self._set_status(action.status)
                continue
            if action == "start" and self.status.level == "error":
                log.warning("guided test not started: %s", self.status.text)
                continue
            restarted = proc.command(action)
            if restarted and self.settings.rewind_on_start and self.spec.kind != "camera":
                self._rewind()
            changed = True
        if changed:  # show the new guide state at once, even with no frames coming
            self._publish_status(news=False)

    def _rewind(self) -> None:
        """Play a file or recording from the start: the frames of this pass waiting or being posed are dropped."""
        self._first_wanted_pass = self.feed.passes + 1
        self.feed.slot.clear()
        self.feed.rewind()

    def _fell_behind(self, item: FeedItem) -> bool:
        """Whether more than ``MAX_UNSEEN_S`` passed since the last frame processed while the source sent
        ``item`` within that of its previous frame: the source went on, and the frames between were dropped
        because this computer did not keep up (another program taking the CPU), not because it stopped."""
        if self._last_t_ms is None or item.source_gap_ms is None:
            return False
        return (item.t_ms - self._last_t_ms) / 1000.0 > MAX_UNSEEN_S >= item.source_gap_ms / 1000.0

    def _handle(self, proc: LiveProcessor, posed: Posed) -> None:
        item = posed.item
        if item.pass_index < self._first_wanted_pass:
            return
        if item.pass_index != self._pass_seen:
            if self._pass_seen:
                proc.new_stream()
            self._pass_seen = item.pass_index
            self._last_t_ms = None
        if self.feed.mirrored is not None:
            proc.mirrored = self.feed.mirrored
        if self.feed.made_by is not None:  # a recording: what made its landmarks
            proc.made_by = self.feed.made_by
        self._awake.now_ms()
        if self._awake.just_slept and self.spec.kind == "camera":  # its frames either side are that far apart
            proc.guide.pictures_stopped_by("asleep")
        elif self._fell_behind(item):
            proc.guide.pictures_stopped_by("busy")
        self._last_t_ms = item.t_ms
        t0 = time.monotonic()
        if item.landmarks is not None:
            image, world = item.landmarks
            n_people = item.n_people
        else:
            if self._model_error is not None:
                return
            if isinstance(posed.error, HipromError):
                self._model_failed(posed.error)
                return
            if posed.error is not None:
                raise posed.error
            image, world, n_people = posed.image, posed.world, posed.n_people
        reading = proc.process(item.t_ms, image, world, item.size_wh, n_people)
        self.processed += 1
        sent_unix_ms = time.time() * 1000.0
        self.last_latency_ms = sent_unix_ms - item.captured_unix_ms
        self.guide_state = proc.guide.state()
        self._exercise_state = proc.exercise_state()
        when = timing(item.captured_unix_ms, sent_unix_ms, posed.pose_ms + (time.monotonic() - t0) * 1000.0)
        message = frame_message(reading, self.guide_state, self.describe(), self.feed.slot.dropped, when, self._exercise_state)
        self.hub.publish(encode(message))
        self._shown = reading.status
        if item.image_rgb is not None:
            self._last_rgb = item.image_rgb
            self.preview.offer(item.image_rgb)
