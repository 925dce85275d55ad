"""One subject's live chain: pose (for pictures) -> LiveMeter -> guide -> one frame reading.

``LiveProcessor`` is used by the server's own source (one instance, in the
worker thread, fed landmarks by the engine's ``PosePool``: it holds no
tracker then) and by each browser-camera connection (one instance each, with
its own tracker: a page sends one picture at a time, so one pose thread).
It is synchronous and single-threaded by design: MediaPipe graphs must be fed
from one thread, in time order, and the meter and guide see the frames in order.

During a guided test the frames from the calibration on are kept
(:class:`~hiprom.live.recorder.GuidedRecorder`); the trials the guide shows
and the final analysis both come from them, measured offline against the
calibrated neutral and cut into trials by the one held-trial detector of the
assessment, so the step values, the dial peak marks, the results table, the
PDF and ``hiprom analyze`` of the saved landmarks are the same numbers.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from hiprom.assessment import Norms, load_norms
from hiprom.assessment.reasons import reason_words
from hiprom.assessment.wording import NOBODY_IN_VIEW
from hiprom.assessment.trials import frames_seen_s
from hiprom.errors import HipromError
from hiprom.kinematics import METHODS, UNMEASURABLE, LiveMeter, flag_names
from hiprom.landmarks import LEFT_RIGHT_SWAP, SIDES
from hiprom.live.exercise import LiveExercise
from hiprom.live.guide import BOTH_LEGS, Guide, GuideConfig, GuideInput, hold_still, rest_hint
from hiprom.live.messages import FrameReading, Peaks, SideReading, Status, results_summary
from hiprom.live.placement import picture_turned
from hiprom.live.recorder import GuidedRecorder
from hiprom.pipeline import analyze_recording
from hiprom.recording import LandmarkRecording, TrackedBy
from hiprom.rounding import rounded

log = logging.getLogger("hiprom.live")

CAMERA_EVERY_S = 0.5
"""How often (stream time) the set-up step re-estimates where the camera stands."""


@dataclass(frozen=True)
class FinishedTest:
    """A finished guided test: its analysis and the landmarks it was made from."""

    analysis: dict
    recording: LandmarkRecording


class ResultRegistry:
    """Finished guided tests kept in memory (newest ``capacity``) until saved, and the session each was saved as.

    Saving the same test twice (a second press of Save, two pages, a retried
    request) must give the one session: a copy would count as a re-test of
    itself. A save holds :meth:`saving` for its test and records the session
    with :meth:`mark_saved`, so the next save finds it. That holds too for a
    test of an earlier run of the server (a page kept its results across a
    restart): its id is not among the tests here, the session it was saved as is
    remembered all the same (the newest ``capacity`` of those).
    """

    def __init__(self, capacity: int = 32) -> None:
        self._items: OrderedDict[str, FinishedTest] = OrderedDict()
        self._saved: dict[str, int] = {}
        self._saved_earlier: OrderedDict[str, int] = OrderedDict()  # tests of an earlier run of the server
        self._save_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._capacity = capacity

    def add(self, test: FinishedTest) -> str:
        rid = secrets.token_hex(8)
        with self._lock:
            self._items[rid] = test
            while len(self._items) > self._capacity:
                old, _ = self._items.popitem(last=False)
                self._saved.pop(old, None)
                self._save_locks.pop(old, None)
        return rid

    def get(self, rid: str) -> FinishedTest | None:
        with self._lock:
            return self._items.get(rid)

    def saving(self, rid: str) -> threading.Lock:
        """The lock a save of test ``rid`` holds from looking for its session to recording it."""
        with self._lock:
            if rid not in self._save_locks and len(self._save_locks) > 4 * self._capacity:
                # Locks of ids neither held nor remembered (refused saves): none is in use, unless held.
                for old in [k for k, lock in self._save_locks.items()
                            if k not in self._items and k not in self._saved_earlier and not lock.locked()]:
                    del self._save_locks[old]
            return self._save_locks.setdefault(rid, threading.Lock())

    def saved_session(self, rid: str) -> int | None:
        """The session test ``rid`` was saved as, or ``None``."""
        with self._lock:
            return self._saved.get(rid, self._saved_earlier.get(rid))

    def mark_saved(self, rid: str, session_id: int) -> None:
        """Remember that test ``rid`` (held here, or of an earlier run of the server) was saved as ``session_id``."""
        with self._lock:
            if rid in self._items:
                self._saved[rid] = session_id
                return
            self._saved_earlier[rid] = session_id
            while len(self._saved_earlier) > self._capacity:
                old, _ = self._saved_earlier.popitem(last=False)
                self._save_locks.pop(old, None)


def close_quietly(tracker: object | None) -> None:
    """Close a pose tracker (None: nothing to do); a failure is logged, never raised into the server."""
    if tracker is None:
        return
    try:
        tracker.close()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - closing must never raise into the server
        log.debug("closing a pose tracker failed", exc_info=True)


class LiveProcessor:
    """Pose -> LiveMeter -> guide for one subject, one frame at a time.

    Args:
        source_label: file name or camera shown with results (never a full path).
        mirrored: the pictures (or landmarks) are left-right flipped.
        tracker_factory: builds a ``PoseTracker`` on first use of a picture;
            None when only landmarks are fed (recordings).
        guide_config: timings of the guided test; its hold is made at least the trial detector's
            ``min_hold_s`` (the clinic's norms), or a person who comes back when told would be
            measured at a lower level that was held long enough.
        results: where finished tests are kept for saving.
        made_by: what made the landmarks (the pose model, its file's hash, libraries), recorded with
            the analysis; the tracker's own once ``tracker_factory`` has built it.
        norms: norms and trial settings (``load_norms()`` once, when None).
        stall_cause: why the pictures stop when nobody says (``Guide``): the server's own source's
            (``"camera_stalled"``, ``"source_stalled"``); None for a page's camera.
    """

    def __init__(
        self,
        source_label: str,
        mirrored: bool = False,
        tracker_factory: Callable[[], object] | None = None,
        guide_config: GuideConfig = GuideConfig(),
        results: ResultRegistry | None = None,
        made_by: TrackedBy = TrackedBy(),
        norms: Norms | None = None,
        stall_cause: str | None = None,
    ) -> None:
        self.meter = LiveMeter()
        self.source_label = source_label
        self.mirrored = mirrored
        self._tracker_factory = tracker_factory
        self._tracker = None
        self.results = results if results is not None else ResultRegistry()
        self.made_by = made_by
        self.norms = norms if norms is not None else load_norms()
        hold_s = max(guide_config.hold_s, self.norms.trials.min_hold_s)
        self.guide = Guide(replace(guide_config, hold_s=hold_s), calibrate=self._calibrate, stall_cause=stall_cause)
        self.exercise: LiveExercise | None = None  # a counted exercise under way or just stopped
        self.recorder = GuidedRecorder(self.norms.trials)
        self._size_wh: tuple[int, int] = (640, 480)
        self.seq = 0
        self._last_t_s: float | None = None
        self.fps = 0.0
        self._camera: dict | None = None
        self._camera_at_s = -math.inf
        self._recent: deque[tuple[float, np.ndarray]] = deque()  # (t_s, angle) over the meter's calibration_s
        self._turned: str | None = None  # the last frame's picture upside down or on its side: what to do

    # -- lifecycle ---------------------------------------------------------
    def close(self) -> None:
        """Release the pose model."""
        tracker, self._tracker = self._tracker, None
        close_quietly(tracker)

    def reset_meter(self) -> None:
        """Forget smoothing and calibration."""
        self.meter = LiveMeter()
        self._recent.clear()

    def new_stream(self) -> None:
        """A new pass of the source (loop, rewind, camera back): fresh tracking.

        The pose model's frame-to-frame tracking is restarted; the meter too,
        unless a guided test is under way (its calibration must survive); a
        counted exercise then takes its neutral again.
        """
        if self._tracker is not None:
            self._tracker.restart()
        if not self.guide.active:
            self.reset_meter()
            if self.exercise is not None:
                self.exercise.recalibrate()

    def _calibrate(self) -> None:
        self.recorder.calibrated(self.meter.calibrate())

    def _ensure_tracker(self):
        if self._tracker is None:
            if self._tracker_factory is None:
                raise HipromError("this source has no pose model: it can only replay landmarks")
            from hiprom.pose.track import tracked_by  # imported here: MediaPipe only when pictures come

            self._tracker = self._tracker_factory()
            self.made_by = tracked_by(self._tracker)
        return self._tracker

    def warm_up(self) -> None:
        """Load the pose model now (raises ``ModelError`` if it cannot be had)."""
        self._ensure_tracker()

    # -- one frame ---------------------------------------------------------
    def pose(
        self, image_rgb: np.ndarray, t_ms: float, source_gap_ms: float | None = None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Run the pose model: (image (33, 4), world (33, 4), n_people).

        ``source_gap_ms``: ms since the source's previous frame, which this worker may have
        skipped (see ``PoseTracker.process``).
        """
        result = self._ensure_tracker().process(image_rgb, t_ms, source_gap_ms)
        return np.asarray(result.image, dtype=float), np.asarray(result.world, dtype=float), int(result.n_people)

    def process(
        self,
        t_ms: float,
        image: np.ndarray,
        world: np.ndarray,
        size_wh: tuple[int, int],
        n_people: int = -1,
    ) -> FrameReading:
        """Measure one frame of landmarks and advance the guide."""
        self._size_wh = (int(size_wh[0]), int(size_wh[1]))
        ex = self.exercise  # the rest test only while it waits to count: it reads the meter's whole window
        if ex is not None and ex.active and not ex.counting and \
                ex.wants_calibration(t_ms / 1000.0, self._rest_hint((ex.leg,)), self.guide.frame_interval_s):
            try:  # from the exercised leg, and the other one too when it rested as well
                self.meter.calibrate(tuple(leg for leg in BOTH_LEGS if leg == ex.leg or self._rest_hint((leg,)) is None))
            except HipromError as exc:  # nobody still in view: count against the uncalibrated neutral
                log.info("exercise lead-in not usable as neutral: %s", exc)
        reading = self.meter.update(
            t_ms, image, world, self._size_wh, mirrored=self.mirrored, n_people=n_people if n_people >= 0 else None
        )
        angle = np.asarray(reading.angle_deg, dtype=float).reshape(2)
        unc = np.asarray(reading.uncertainty_deg, dtype=float).reshape(2)
        flags = tuple(flag_names(int(b)) for b in np.asarray(reading.flags).reshape(2))
        methods = [METHODS[int(v)] for v in np.asarray(reading.method).reshape(2)]
        person = bool(np.isfinite(image[:, 0]).any())
        turned = self._turned = picture_turned(image, self._size_wh) if person else None
        if turned is not None:  # the kernel reads up and down from the picture: no reading is right
            angle, unc = np.full(2, np.nan), np.full(2, np.nan)
        if n_people < 0:
            n_people = int(person)

        if self.guide.active:
            self.recorder.add(t_ms, image, world, n_people)
        elif self.guide.phase in ("idle", "setup"):
            self.recorder.clear()
        self._recent.append((t_ms / 1000.0, angle))
        while self._recent[0][0] < t_ms / 1000.0 - self.meter.calibration_s:
            self._recent.popleft()
        camera = self._camera_during_setup(t_ms / 1000.0)
        pending = self.guide.phase == "setup" and self._camera_at_s == -math.inf
        self.guide.update(
            GuideInput(
                t_ms=t_ms,
                angle_deg=angle,
                flags=flags,
                image=image,
                size_wh=self._size_wh,
                n_people=n_people,
                camera=camera,
                camera_pending=pending,
            )
        )
        if self.exercise is not None:
            if self.exercise.update(t_ms / 1000.0, angle, np.asarray(reading.flags).reshape(2)):
                self.reset_meter()  # the person got up: the neutral is taken again when they sit back
        if self.guide.wants_trials:
            self.guide.add_trials(self.recorder.closed_trials(self._recording, self.guide.steps[self.guide.step_index].side))
        if self.guide.wants_analysis:
            self._finish_test()

        t_s = t_ms / 1000.0
        if self._last_t_s is not None and t_s > self._last_t_s:
            inst = 1.0 / (t_s - self._last_t_s)
            self.fps = inst if self.fps == 0 else 0.9 * self.fps + 0.1 * inst
        self._last_t_s = t_s
        self.seq += 1
        sides: dict[str, SideReading] = {
            side: {"angle_deg": rounded(angle[i]), "uncertainty_deg": rounded(unc[i]), "flags": flags[i], "method": methods[i]}
            for i, side in enumerate(SIDES)
        }
        lm = None
        if person:
            # Positions as in the picture, labels as the subject's own sides.
            shown = image[LEFT_RIGHT_SWAP] if self.mirrored else image
            lm = [[rounded(v, 4) for v in row] for row in shown[:, [0, 1, 3]]]
        return FrameReading(
            seq=self.seq,
            t_ms=float(t_ms),
            sides=sides,
            person=person,
            n_people=n_people,
            calibrated=bool(reading.calibrated),
            status=frame_status(person, n_people, flags, angle, turned),
            landmarks=lm,
            size_wh=self._size_wh,
            peaks=self.peaks(),
            fps=self.fps,
        )

    def _camera_during_setup(self, t_s: float) -> dict | None:
        """During set-up, where the camera stands (the meter's recent frames), refreshed every
        ``CAMERA_EVERY_S`` of stream time while the legs rest; None outside set-up or while unknown."""
        if self.guide.phase != "setup" or not np.all(np.isfinite(self._recent[-1][1])):
            # Legs out of sight: the person may be up moving the laptop, so an earlier estimate no longer holds.
            self._camera, self._camera_at_s = None, -math.inf
            return None
        if abs(t_s - self._camera_at_s) >= CAMERA_EVERY_S and self._rest_hint() is None:
            self._camera_at_s = t_s
            estimate = self.meter.camera_estimate()
            self._camera = None if estimate is None else estimate.to_dict()
        return self._camera

    def _rest_hint(self, legs: tuple[int, ...] = BOTH_LEGS) -> str | None:
        """What keeps the meter's recent frames of ``legs`` from serving as the neutral; None when they may.

        The guide's calibration test over the meter's window: every frame within
        ``calibrate_max_deg`` (:func:`rest_hint`) and each shin within ``still_band_deg``. After a
        restart the rest must have lasted half the window at least, not one frame. A turned foot
        moves the knee and ankle the neutral and the camera estimate read: on the rendered clips,
        whose cameras all stand in the validated range, 32-50 % of the frames with a foot turned put
        the camera off to one side, too high or too low, and no resting frame did; a neutral taken
        mid-turn reads every later angle off by the turn (a counted exercise calibrated at 20 deg
        counted a bogus first rep and read 30 deg reps as 20 deg).
        """
        cfg = self.guide.cfg
        if self._turned is not None:  # not "must be visible": the legs are seen, the wrong way up
            return self._turned
        if not self._recent:
            return hold_still(legs)
        hint = rest_hint(self._recent[-1][1], cfg, legs)  # what to do now
        if hint is not None:
            return hint
        angles = np.array([a for _, a in self._recent])[:, list(legs)]
        rested = bool(np.all(np.isfinite(angles)) and np.all(np.abs(angles) <= cfg.calibrate_max_deg))  # rest_hint, every frame
        still = bool(np.all(np.ptp(angles, axis=0) <= cfg.still_band_deg))
        long_enough = frames_seen_s([t for t, _ in self._recent], self.guide.frame_interval_s) >= \
            self.meter.calibration_s / 2  # not across a gap without frames
        return None if rested and still and long_enough else hold_still(legs)

    def stream_ended(self) -> None:
        """The source ended (a file or recording): trials still open are closed and counted."""
        if self.guide.phase == "trial":
            side = self.guide.steps[self.guide.step_index].side
            self.guide.add_trials(self.recorder.closed_trials(self._recording, side, final=True))
            if self.guide.wants_analysis:
                self._finish_test()

    def source_ended(self) -> None:
        """The server's file or recording played to its end: its open trials count (:meth:`stream_ended`),
        then a test still unfinished goes back to the start and says so (``Guide.source_ended``), rather
        than asking for movements no frame will show."""
        self.stream_ended()
        self.guide.source_ended(self.source_label)

    def peaks(self) -> dict[str, Peaks]:
        """Per side, the best valid held peak of each direction in this test (the guide's step values)."""
        out: dict[str, Peaks] = {side: {"internal_deg": None, "external_deg": None} for side in SIDES}
        for step in self.guide.steps:
            value = step.value_deg
            out[step.side][f"{step.direction}_deg"] = rounded(value)  # type: ignore[literal-required]
        return out

    def _recording(self, first: int = 0) -> LandmarkRecording:
        return self.recorder.recording(
            self._size_wh, mirrored=self.mirrored, made_by=self.made_by, source=self.source_label, first=first
        )

    def _finish_test(self) -> None:
        """Analyse the frames of the guided test, as ``hiprom analyze`` would analyse them saved."""
        try:
            rec = self._recording()
            analysis = analyze_recording(rec, self.norms)
        except HipromError as exc:
            self.guide.set_results(None, error=str(exc))
            return
        except Exception:  # noqa: BLE001 - a bug must not take the live loop down
            log.exception("assessing the guided test failed")
            self.guide.set_results(None, error="The analysis failed because of an internal error; see the server log.")
            return
        finally:
            self.recorder.clear()
        rid = self.results.add(FinishedTest(analysis, rec))
        self.guide.set_results(results_summary(analysis, rid))

    def start_exercise(self, exercise: LiveExercise) -> None:
        """Count ``exercise`` from the next frame on (the guided test is closed first)."""
        self.guide.command("cancel")
        self.recorder.clear()
        self.reset_meter()
        self.exercise = exercise

    def stop_exercise(self) -> None:
        """End the counted exercise; its record stays in :meth:`exercise_state` until another starts."""
        if self.exercise is not None:
            self.exercise.stop()

    def exercise_state(self) -> dict | None:
        """The counted exercise as the page shows it (None when none was started)."""
        return None if self.exercise is None else self.exercise.state()

    def command(self, action: str) -> bool:
        """Apply a guide command; True when it (re)started the test (smoothing is reset)."""
        before = self.guide.version
        was = self.guide.phase
        self.guide.command(action)
        restarted = self.guide.phase == "setup" and was in ("idle", "results") and self.guide.version != before
        if restarted and self.exercise is not None:
            self.exercise.stop()
            self.exercise = None
        if restarted:
            self.reset_meter()
            self.recorder.clear()
        return restarted


NO_NUMBER_FLAGS = frozenset(flag_names(UNMEASURABLE))
"""The flags that leave a leg without an angle: the status line names these as why (the dial's own flags say the
rest; every flag of the leg made four lines at 1024x768, which took the dials' room)."""


def frame_status(person: bool, n_people: int, flags: tuple[list[str], ...], angle: np.ndarray,
                 turned: str | None = None) -> Status:
    """One clear sentence about the current frame; ``turned``: what to do about a picture upside down
    or on its side (:func:`hiprom.live.placement.picture_turned`). A leg not measurable is said with why
    (:data:`NO_NUMBER_FLAGS`), not with every flag it carries."""
    if not person:
        return Status("no_person", "warn", NOBODY_IN_VIEW)
    if turned is not None:
        return Status("picture_turned", "warn", turned)
    if n_people > 1:
        return Status("multiple_people", "warn", "More than one person in view: measuring the most central one.")
    missing = [side for side, a in zip(SIDES, angle) if not np.isfinite(a)]
    if len(missing) == 2:
        return Status("legs_not_measurable", "warn", "Legs not measurable: keep both knees and feet in the picture.")
    if missing:
        why = reason_words([f for f in flags[SIDES.index(missing[0])] if f in NO_NUMBER_FLAGS]) or "not visible"
        return Status("leg_not_measurable", "warn", f"{missing[0].capitalize()} leg not measurable ({why}).")
    return Status("ok", "ok", "Measuring both legs.")
