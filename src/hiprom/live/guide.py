"""The guided seated self-test: a small state machine fed one reading at a time.

It knows nothing of FastAPI, cameras or the pose model, so it is tested in
plain Python: feed it ``GuideInput`` frames (time, per-side angle and flags,
image landmarks) and commands, and read ``state()``, the dict the page shows.

Phases, in order::

    idle -> setup -> calibrate -> trial (4 steps) -> analyzing -> results
                 (any phase) --cancel--> idle

- **setup**: knees and ankles in view, sitting square, a sensible distance,
  one person, and (when the owner passes an estimate of where the camera
  stands) the camera within the range where accuracy is validated, else what
  to move (the checklist: :mod:`hiprom.live.placement`); all must hold for
  ``setup_s`` seconds, and the set-up ends only once the camera has been
  looked at (``GuideInput.camera_pending`` false). A picture smaller than the
  validated size, or fewer pictures measured a second than trials are timed
  from (``assessment.wording.picture_advice``, ``frame_rate_advice``), is advised
  on but does not stop the test: the first time, the set-up then holds
  ``advice_s`` seconds, time to read it. Pictures that slow down later, during
  the calibration or the trials, are advised on once, as the same check.
- **calibrate**: both shins still (and vertical) for ``calibrate_s`` seconds,
  then ``calibrate()`` is called (``LiveMeter.calibrate``).
- **trial**: each side and direction in ``STEPS`` order. Within a step:
  ``move`` (prompt; past ``move_deg``, keep turning), ``hold`` once the foot
  has stopped (``settle_s`` within ``settle_band_deg``; countdown while the
  angle stays within ``hold_band_deg``), ``return`` (back to neutral). What a
  trial is, its held value and whether it counts are decided by the one
  held-trial detector of the assessment (``assessment.trials.TrialTracker``),
  whose closed trials the owner hands over with ``add_trials``; a tick when
  one counts. A step ends when two valid trials agree within ``stable_deg``
  (or after ``max_valid`` valid trials / ``max_attempts`` attempts). A second turn of a test cut for this
  computer being too busy stops a camera's test, saying what to do (:data:`TOO_BUSY`).
- **analyzing**: the owner runs the assessment on the frames it collected
  and calls ``set_results``.

What each step keeps (its attempts, its figure) is in :mod:`hiprom.live.steps`.
Angles are signed, ``+`` internal, ``-`` external, per the subject's own side.
Times come from the frames (``t_ms``), never from the wall clock, so a
recording replayed at any speed walks the same path. The set-up's, the
calibration's, the hold's and the wait back at neutral (``no_trial_s``)
timers count only while frames come: a gap of more than ``MAX_UNSEEN_S``
without frames (this device's tab hidden, the camera stalled) is not counted
(``assessment.trials.frames_seen_s``), nor, in the wait, more than that of
frames without the leg (the camera covered).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hiprom.assessment.reasons import reason_advice, reason_words
from hiprom.assessment.trials import NO_PICTURES_AT_PEAK, Trial, frame_interval_s, frames_seen_s
from hiprom.errors import HipromError
from hiprom.kinematics.neutral import REST_MAX_DEG, REST_STILL_DEG
from hiprom.kinematics.smoothing import MAX_UNSEEN_S
from hiprom.landmarks import SIDES
from hiprom.live.placement import rate_check, setup_checks
from hiprom.live.steps import StepRecord, TrialRecord

STEPS: tuple[tuple[str, str], ...] = (
    ("right", "internal"),
    ("right", "external"),
    ("left", "internal"),
    ("left", "external"),
)
"""Order of the guided trials: side, direction."""

COMMANDS = ("start", "next", "redo", "cancel")
RECENT_FRAMES = 30
"""The guide's timers (set-up, calibration, hold) take the source's frame interval over this many latest
frames, to tell a gap without frames from the interval (``assessment.trials.frames_seen_s``)."""

_SIGN = {"internal": 1.0, "external": -1.0}
_FOOT_WAY = {"internal": "outward, away from the other leg", "external": "inward, toward the other leg"}
_CAMERA_PENDING = "Good. Keep still: checking where the camera stands."
HOLD_STILL = "Hold still: shins vertical, feet flat."
"""Said while both shins rest but have not stayed still long enough to take the neutral."""
COUNT_AGAIN = "You moved: keep still, the count starts again."
"""Said when the calibration's countdown goes back up (``countdown_run``): it had counted down to "1",
the shins moved and it said "1" again, without a word on why."""
TOO_BUSY = ("This computer is too busy to measure your turns. Close other programs and browser tabs, "
            "then press Start test to begin again.")
"""Said once, the test stopped, when a second turn of a test was not counted for this computer being too busy:
each one had said "close other programs while you turn", and the next turn was cut the same way."""
BUSY_TURNS = 2
"""Turns of one test not counted for this computer being too busy that stop the test (:data:`TOO_BUSY`)."""
BOTH_LEGS = (0, 1)
"""The legs (indices into ``SIDES``) whose rest the guided test's neutral is taken from."""


def hold_still(legs: tuple[int, ...] = BOTH_LEGS) -> str:
    """:data:`HOLD_STILL` for the legs that must rest (one leg: "Hold still: left shin vertical, foot flat.")."""
    return HOLD_STILL if len(set(legs)) == 2 else f"Hold still: {SIDES[legs[0]]} shin vertical, foot flat."


@dataclass(frozen=True)
class GuideConfig:
    """Timings (seconds) and thresholds (degrees, fractions) of the guide."""

    setup_s: float = 1.0
    advice_s: float = 8.0  # set-up hold when a check only advises (a small picture): time to read or hear it
    calibrate_s: float = 2.0
    hold_s: float = 1.0
    settle_s: float = 0.3  # "Hold" is said once the foot has stopped this long: at the end of the movement
    settle_band_deg: float = 3.0  # ...stopped: within this band (under 10 deg/s over settle_s)
    still_band_deg: float = REST_STILL_DEG  # calibration: each shin moves less than this
    calibrate_max_deg: float = REST_MAX_DEG  # ...and hangs near vertical (before calibration, camera roll still adds to it)
    neutral_deg: float = 8.0  # |angle| below this counts as back at neutral
    move_deg: float = 12.0  # beyond this in the asked direction counts as moving
    hold_band_deg: float = 4.0  # a hold: the angle stays within this band
    stable_deg: float = 5.0  # two valid trials within this are "stable" (MDC of goniometry is 6-9 deg)
    min_valid: int = 2
    max_valid: int = 3
    max_attempts: int = 5
    no_trial_s: float = 3.0  # back at neutral this long (seen: frames_seen_s) with no trial detected: ask again
    visibility: float = 0.5
    min_body_frac: float = 0.30  # shoulders-to-ankles height / frame height: closer than this is too far
    max_body_frac: float = 0.95
    max_tilt_deg: float = 10.0  # the trunk's lean from square to the hips' line, in the picture
    max_roll_deg: float = 12.0  # camera roll read from the resting shanks: 8 deg validated, + their perspective tilt
    word_change_s: float = 0.5  # calibration: what to do is changed once the new state has lasted this long
    restart_s: float = 0.5  # calibration: the still time losing this much is a new countdown (COUNT_AGAIN)


def rest_hint(angle_deg: np.ndarray, cfg: GuideConfig, legs: tuple[int, ...] = BOTH_LEGS) -> str | None:
    """What keeps the shins of ``legs`` from counting as at rest (unmeasured, or beyond
    ``calibrate_max_deg``), or None.

    The one rule of "at rest" before a neutral is taken: the guide's calibration and
    the camera check (both legs), and a counted exercise's lead-in (its own leg: the
    other may be hidden, crossed or out of the picture) all use it.
    """
    a = np.asarray(angle_deg, dtype=float).reshape(2)[list(legs)]
    one = None if len(set(legs)) == 2 else SIDES[legs[0]]
    if not np.all(np.isfinite(a)):
        return ("Both legs must be visible: knees and feet in the picture." if one is None
                else f"Your {one} leg must be visible: knee and foot in the picture.")
    if np.any(np.abs(a) > cfg.calibrate_max_deg):
        return ("Let both shins hang straight down, feet flat, and keep still." if one is None
                else f"Let your {one} shin hang straight down, foot flat, and keep still.")
    return None


@dataclass(frozen=True)
class GuideInput:
    """One processed frame, as the guide needs it.

    Attributes:
        t_ms: frame time in ms, increasing.
        angle_deg: (2,) current angle per side (left, right), + internal; NaN = unmeasurable.
        flags: per side (left, right), the quality flag names of this frame.
        image: (33, 4) image landmarks, x and y normalised to the frame; NaN = no person.
        size_wh: frame (width, height) in pixels.
        n_people: people in view (-1 when unknown).
        camera: where the camera stands, ``{"yaw_deg", "height_m", "distance_m"}``
            (``CameraEstimate.to_dict``) from the recent resting frames; None = unknown
            (no camera check).
        camera_pending: the owner will estimate the camera once both legs have rested; until then
            the set-up does not end, so a foot moved at the start cannot skip the camera check.
    """

    t_ms: float
    angle_deg: np.ndarray
    flags: tuple[list[str], list[str]] = ([], [])
    image: np.ndarray | None = None
    size_wh: tuple[int, int] = (640, 480)
    n_people: int = -1
    camera: dict | None = None
    camera_pending: bool = False


class Guide:
    """The guided self-test state machine (see the module docstring).

    Args:
        config: timings and thresholds.
        calibrate: called once when the neutral calibration is taken.
    """

    def __init__(
        self,
        config: GuideConfig = GuideConfig(),
        calibrate: Callable[[], None] | None = None,
        stall_cause: str | None = None,
    ) -> None:
        self.cfg = config
        # Why the pictures stop when nobody says: the server's own source (``"camera_stalled"``,
        # ``"source_stalled"``: reasons.PICTURES_STOPPED_ADVICE); None for a page, which may say (pictures_stopped_by).
        self._stall_cause = stall_cause
        self._told: str | None = None  # the page's word on why its pictures stop, not yet matched to a stall
        self._told_at_s = 0.0  # the time of the last frame before it said so (s)
        self._calibrate = calibrate
        self.tick_seq = 0  # +1 each time a trial counts; the page plays a tick
        self.trial_seq = 0  # +1 each time a trial closes; the page says its verdict (``last_trial``) then
        self.version = 0  # +1 on every phase change (start, cancel...)
        self.countdown_run = 0  # +1 at each new countdown of the calibration (it went back up: _count_from)
        self._advised: set[str] = set()  # advice already given its long hold: a re-test is not held again
        self._recent_t: deque[float] = deque(maxlen=RECENT_FRAMES)  # the latest frames' times, s
        self.pictures_stopped: str | None = None  # why the pictures last stopped for longer than MAX_UNSEEN_S
        self._reset("idle")

    # -- commands ----------------------------------------------------------
    def pictures_stopped_by(self, why: str) -> None:
        """The page stopped sending pictures, and says why: ``"hidden"`` (its tab), ``"muted"`` (the camera
        sent none), ``"lost"`` (the camera stopped) or ``"busy"`` (its computer too busy to send them); or the
        owner saw this computer sleep before the picture it is about to feed (``"asleep"``), or fall behind the
        pictures that came (``"busy"``). The stall that follows is put down to that cause, and a trial not
        counted for the pictures stopping at its peak says it (``reasons.PICTURES_STOPPED_ADVICE``); pictures
        that go on coming for ``MAX_UNSEEN_S`` without a stall make the guide forget it, so a later stall is not
        put down to it."""
        self._told = why
        self._told_at_s = self._recent_t[-1] if self._recent_t else -math.inf

    def source_ended(self, label: str) -> None:
        """The file or recording ``label`` ended with the test under way: back to idle, saying how much was
        measured and what to do (a file's next play starts the test over), rather than waiting for frames
        that will not come."""
        if self.phase not in ("setup", "calibrate", "trial"):
            return
        measured = sum(1 for step in self.steps if step.done)
        self._reset("idle")
        self.detail = (f"{label} ended before the test finished ({measured} of {len(self.steps)} movements measured). "
                       "Start the test to play it again from the start.")

    def command(self, action: str) -> None:
        """Apply a user command: ``start``, ``next``, ``redo`` or ``cancel``."""
        if action not in COMMANDS:
            raise ValueError(f"Invalid guide command {action!r}, expecting one of {COMMANDS}")
        if action == "cancel":
            self._reset("idle")
        elif action == "start":
            if self.phase in ("idle", "results"):
                self._reset("setup")
        elif action == "next":
            if self.phase in ("idle", "results"):
                self._reset("setup")
            elif self.phase == "setup":
                self._enter("calibrate")
            elif self.phase == "calibrate":
                self._do_calibrate()
            elif self.phase == "trial":
                step = self.steps[self.step_index]
                step.note = step.note or "skipped"
                self._finish_step()
        elif action == "redo":
            if self.phase == "trial":
                step = self.steps[self.step_index]
                step.trials.clear()
                step.note = ""
                self._sub("move")
                self.detail = "Starting this movement again."
            elif self.phase in ("results", "calibrate", "setup"):
                self._reset("setup")

    @property
    def active(self) -> bool:
        """True while the test is collecting frames (calibration to the last trial)."""
        return self.phase in ("calibrate", "trial")

    @property
    def frame_interval_s(self) -> float:
        """The source's frame interval (s): the median over the latest ``RECENT_FRAMES`` frames."""
        return frame_interval_s(np.array(self._recent_t))

    @property
    def wants_trials(self) -> bool:
        """True while a trial of the current step may just have closed: its leg is back at neutral."""
        return self.phase == "trial" and self.sub in ("move", "return") and self._at_neutral

    @property
    def wants_analysis(self) -> bool:
        """True once every step is done and the owner should call ``set_results``."""
        return self.phase == "analyzing"

    def set_results(self, results: dict | None, error: str = "") -> None:
        """Hand over the analysis summary (or say why there is none)."""
        self.results = results
        self.error = error
        if results:
            for step in self.steps:
                step.analysed = True
                step.final_deg = (results.get("sides", {}).get(step.side) or {}).get(f"{step.direction}_rotation_deg")
        self._enter("results")
        self.prompt = "Results" if results else "No result"
        self.detail = error or "Press Run again for another test."

    # -- frames ------------------------------------------------------------
    def update(self, inp: GuideInput) -> None:
        """Advance the state machine by one frame."""
        t_s = inp.t_ms / 1000.0
        self.t_s = t_s
        self._pictures_came(t_s)
        self._recent_t.append(t_s)
        if self.active and not self._rate_advised and len(self._recent_t) == self._recent_t.maxlen:
            self._rate = rate_check(1.0 / self.frame_interval_s)  # slowed down since the set-up: said once
            self._rate_advised = self._rate is not None
        if self.phase == "setup":
            self._update_setup(inp, t_s)
        elif self.phase == "calibrate":
            self._update_calibrate(inp, t_s)
        elif self.phase == "trial":
            self._update_trial(inp, t_s)

    def _update_setup(self, inp: GuideInput, t_s: float) -> None:
        self.checks = setup_checks(inp, self.cfg, 1.0 / self.frame_interval_s)
        self._rate_advised = any(c["id"] == "rate" for c in self.checks)  # said at set-up: not again
        advice = [c["hint"] for c in self.checks if not c["ok"] and not c["required"]]
        if all(c["ok"] for c in self.checks if c["required"]):
            self._since.append(t_s)
            held = frames_seen_s(self._since, self.frame_interval_s)
            done = held >= self._setup_hold_s
            waiting = done and inp.camera_pending
            self.countdown_s = None if waiting else max(0.0, self._setup_hold_s - held)
            keep = (rest_hint(inp.angle_deg, self.cfg) or _CAMERA_PENDING) if waiting else "Good. Keep still."
            self.detail = " ".join([keep, *advice])
            if done and not waiting:
                self._advised.update(advice)
                self._enter("calibrate")
        else:
            self._since = []
            self.countdown_s = None
            self.detail = next(c["hint"] for c in self.checks if not c["ok"])

    @property
    def _setup_hold_s(self) -> float:
        """How long the set-up checks must hold: longer while a check advises something new, so it can be read."""
        advising = any(not c["ok"] and not c["required"] and c["hint"] not in self._advised for c in self.checks)
        return max(self.cfg.setup_s, self.cfg.advice_s) if advising else self.cfg.setup_s

    def _update_calibrate(self, inp: GuideInput, t_s: float) -> None:
        a = np.asarray(inp.angle_deg, dtype=float)
        hint = rest_hint(a, self.cfg)
        self._say_calibrate(hint or HOLD_STILL, t_s)
        if hint is not None:
            self._window.clear()
            self.countdown_s = None
            self._count_from(0.0, t_s)
            return
        self._window.append((t_s, a.copy()))
        # Keep the run of frames over which both shins stayed within the band.
        vals = np.array([v for _, v in self._window])
        while len(self._window) > 1 and np.any(vals.max(axis=0) - vals.min(axis=0) > self.cfg.still_band_deg):
            self._window.pop(0)
            vals = vals[1:]
        held = frames_seen_s([t for t, _ in self._window], self.frame_interval_s)
        self._count_from(held, t_s)
        self.countdown_s = max(0.0, self.cfg.calibrate_s - held)
        if held >= self.cfg.calibrate_s:
            self._do_calibrate()

    def _count_from(self, held_s: float, t_s: float) -> None:
        """Note the calibration's still time ``held_s``: once it drops ``restart_s`` below the most this
        countdown reached, a new countdown starts (``countdown_run`` + 1), said in words (COUNT_AGAIN). The
        page reads out its whole seconds once per run; the run tells it that a "1" said may come again."""
        if held_s <= self._held_most - self.cfg.restart_s:
            self.countdown_run += 1
            self._held_most = 0.0
            self.detail = COUNT_AGAIN
            self._wanted = (self._wanted[0], t_s)  # the words asked for show again after word_change_s
        self._held_most = max(self._held_most, held_s)

    def _say_calibrate(self, words: str, t_s: float) -> None:
        """Show what to do during the calibration: the first words at once, a change only once it has
        lasted ``word_change_s``. Shins crossing the edge of rest (``rest_hint``) frame after frame made
        "Hold still" and "Let both shins hang" take turns about 8 times in 10 s, each read out by a
        screen reader; the measurement itself still restarts at every frame off rest."""
        if words != self._wanted[0]:
            self._wanted = (words, t_s)
        if not self.detail or (words != self.detail and t_s - self._wanted[1] >= self.cfg.word_change_s):
            self.detail = words

    def _do_calibrate(self) -> None:
        if self._calibrate is not None:
            try:
                self._calibrate()
            except HipromError as exc:  # e.g. no recent frame shows both legs
                self._window.clear()
                self._held_most = 0.0  # its countdown starts again, though nobody moved
                self.countdown_s = None
                self.detail = f"Calibration failed: {exc}"
                return
        self.calibrated = True
        self.tick_seq += 1
        self.step_index = 0
        self._enter("trial")
        self._sub("move")

    def _update_trial(self, inp: GuideInput, t_s: float) -> None:
        step = self.steps[self.step_index]
        col = SIDES.index(step.side)
        angle = float(np.asarray(inp.angle_deg, dtype=float)[col])
        value = angle * _SIGN[step.direction]  # + = toward the asked direction
        self.current_deg = None if not math.isfinite(angle) else round(value, 1)
        cfg = self.cfg
        self._at_neutral = math.isfinite(angle) and abs(angle) < cfg.neutral_deg
        if not math.isfinite(angle):
            self.detail = f"{step.side.capitalize()} leg not visible: keep knee and foot in the picture."
            if self.sub == "hold":
                self._sub("move")
            return
        # Back under half of move_deg for two frames running (one frame is the pose model's glitch).
        self._low_frames = self._low_frames + 1 if value < cfg.move_deg * 0.5 else 0
        if self.sub in ("move", "hold") and self._hold and self._low_frames >= 2:
            self.detail = "Came back too soon: hold still at the end of the movement until the countdown ends."
            self._sub("return")
            return
        # The readings since the foot passed move_deg: a dip back under it breaks a stop, a glitch is skipped.
        if self.sub in ("move", "hold") and (value >= cfg.move_deg or self._hold) and not self._low_frames:
            self._hold.append((t_s, value))
        if self.sub == "move":
            # Past move_deg the foot is on its way; "Hold" only once it has stopped, so nobody is told to
            # hold halfway to where they can turn (and measured there).
            if value >= cfg.move_deg:
                if self._held_s(cfg.settle_band_deg) >= min(cfg.settle_s, cfg.hold_s):
                    moved = self._hold
                    self._sub("hold")
                    self._hold = moved  # the countdown counts the time already held
                    self.countdown_s = max(0.0, cfg.hold_s - self._held_s(cfg.hold_band_deg))
                    self.detail = "Hold it there."
                else:
                    self.detail = "Keep turning as far as is comfortable, then stop and hold still."
            elif value <= -cfg.move_deg:
                self.detail = f"That is the other way: turn your {step.side} foot {_FOOT_WAY[step.direction]}."
        elif self.sub == "hold":
            if self._low_frames:  # perhaps a glitch: the countdown neither counts nor restarts on it
                return
            held = self._held_s(cfg.hold_band_deg)
            self.countdown_s = max(0.0, cfg.hold_s - held)
            self.detail = "Hold still at the end of the movement."
            if held >= cfg.hold_s:
                self._sub("return")
                self.detail = "Now back to the middle, shin vertical."
        elif self.sub == "return":
            if not self._at_neutral:
                self._back = []
                return
            self._back.append(t_s)
            if frames_seen_s(self._back, self.frame_interval_s) >= cfg.no_trial_s:
                self._sub("move")
                self.detail = "That movement was not measured: turn, hold still until the countdown ends, then come back."

    def _held_s(self, band_deg: float) -> float:
        """How long (s) the latest samples of ``_hold`` have stayed within ``band_deg`` of each other, as the
        trials time a hold: not while no frame came for more than ``MAX_UNSEEN_S`` (``seen_s``)."""
        vals = np.array([h[1] for h in self._hold])
        j = len(vals) - 1
        lo = hi = vals[j]
        while j > 0 and max(hi, vals[j - 1]) - min(lo, vals[j - 1]) <= band_deg:
            j -= 1
            lo, hi = min(lo, vals[j]), max(hi, vals[j])
        return frames_seen_s([h[0] for h in self._hold[j:]], self.frame_interval_s)

    def add_trials(self, trials: list[Trial]) -> None:
        """Closed trials from the detector; those of the current step are recorded (the rest ignored)."""
        for tr in trials:
            if self.phase != "trial":
                return
            step = self.steps[self.step_index]  # a trial may finish a step: the next ones are the next step's
            if (tr.side, tr.direction) != (step.side, step.direction):
                continue
            reason = reason_words(tr.reasons)
            # What to do about it says why ("keep both hips on the seat"), in a line that fits.
            advice = "" if tr.valid else reason_advice(tr.reasons, self.pictures_stopped) or reason
            if not tr.valid and NO_PICTURES_AT_PEAK in tr.reasons and self.pictures_stopped == "busy":
                self._busy_turns += 1
                # A person turning before a camera is stopped; a file or recording replays its turns by itself.
                if self._busy_turns >= BUSY_TURNS and self._stall_cause != "source_stalled":
                    self._reset("idle")
                    self.detail = TOO_BUSY
                    return
            self.trial_seq += 1
            step.trials.append(TrialRecord(peak_deg=tr.peak_deg, valid=tr.valid, reason=reason, t_s=tr.peak_t_s,
                                           advice=advice, seq=self.trial_seq))
            if tr.valid:
                self.tick_seq += 1
                self.last_trial = f"\u2713 {tr.peak_deg:.0f}\u00b0 counted"
            else:
                self.last_trial = f"\u2717 not counted: {advice}"
            if self._step_complete(step):
                self._finish_step()
                continue
            self._sub("move")
            # One line, under the shorter prompt of a repeat ("Right leg: turn your foot inward again (trial 2)").
            self.detail = f"{self.last_trial}." + (" Once more, the same movement." if tr.valid else "")

    def _step_complete(self, step: StepRecord) -> bool:
        cfg = self.cfg
        valid = step.valid_peaks
        if len(valid) >= cfg.min_valid and step.stable_pair(cfg.stable_deg) is not None:
            return True
        if len(valid) >= cfg.max_valid:
            step.note = f"trials differ by more than {cfg.stable_deg:g}\u00b0"
            return True
        if len(step.trials) >= cfg.max_attempts:
            step.note = "not enough valid trials"
            return True
        return False

    def _finish_step(self) -> None:
        self.steps[self.step_index].done = True
        if self.step_index + 1 < len(self.steps):
            self.step_index += 1
            self._sub("move")
            self.detail = f"{self.last_trial}." if self.last_trial else ""
        else:
            self._enter("analyzing")
            self.prompt = "Working out the results..."
            self.detail = ""

    # -- state -------------------------------------------------------------
    def _pictures_came(self, t_s: float) -> None:
        """A frame at ``t_s``: one after more than ``MAX_UNSEEN_S`` without any ends a stall, put down to what
        the page said since the last (else to the source's own cause, or none); the page's word is then
        forgotten, as it is once pictures have come for that long since it was said without a stall."""
        last_s = self._recent_t[-1] if self._recent_t else None
        if last_s is not None and t_s - last_s > MAX_UNSEEN_S:
            self.pictures_stopped = self._told or self._stall_cause
            self._told = None
        elif self._told is not None and t_s - self._told_at_s > MAX_UNSEEN_S:
            self._told = None

    def _reset(self, phase: str) -> None:
        self.steps = [StepRecord(side, direction) for side, direction in STEPS]
        self.step_index = 0
        self.results: dict | None = None
        self.error = ""
        self.calibrated = False
        self.checks: list[dict] = []
        self._rate: dict | None = None  # the frame-rate advice given after the set-up (a check), shown to the end
        self._rate_advised = False  # this test has advised on the frame rate (set-up or later)
        self.last_trial = ""
        self._busy_turns = 0  # turns of this test not counted for this computer being too busy
        self.t_s = 0.0
        self._enter(phase)

    def _enter(self, phase: str) -> None:
        self.phase = phase
        self.version += 1
        self.sub = ""
        self._since: list[float] = []  # set-up: the times of the frames since the checks all held
        self._window: list[tuple[float, np.ndarray]] = []
        self._wanted: tuple[str, float] = ("", 0.0)  # calibration: the words the frames ask for, and since when
        self._held_most = 0.0  # calibration: the most still time this countdown reached, s
        self._hold: list[tuple[float, float]] = []
        self._low_frames = 0
        self._back: list[float] = []  # return: the times of the frames back at neutral since
        self._at_neutral = False
        self.countdown_s: float | None = None
        self.current_deg: float | None = None
        self.detail = ""
        self.prompt = {
            "idle": "Press Start test to begin the guided test",
            "setup": "Camera set-up",
            "calibrate": "Sit still: neutral calibration",
            "analyzing": "Working out the results...",
            "results": "Results",
        }.get(phase, "")

    def _sub(self, sub: str) -> None:
        self.sub = sub
        self._hold = []
        self._back = []
        self.countdown_s = None
        if self.phase != "trial":
            return
        step = self.steps[self.step_index]
        n = len(step.trials) + 1
        side = step.side
        if sub == "move" and n == 1:
            self.prompt = f"{side.capitalize()} leg: turn your foot {_FOOT_WAY[step.direction]}, as far as is comfortable"
        elif sub == "move":  # shorter, with the last trial's line under it: the two fit the box on a laptop
            self.prompt = f"{side.capitalize()} leg: turn your foot {_FOOT_WAY[step.direction].split(',')[0]} again (trial {n})"
        elif sub == "hold":
            self.prompt = "Hold"
        elif sub == "return":
            self.prompt = "Back to neutral"

    def state(self) -> dict:
        """The JSON-ready state the page mirrors."""
        step = self.steps[self.step_index] if self.phase == "trial" else None
        return {
            "phase": self.phase,
            "sub": self.sub,
            "version": self.version,
            "prompt": self.prompt,
            "detail": self.detail,
            "countdown_s": None if self.countdown_s is None else round(self.countdown_s, 1),
            "countdown_run": self.countdown_run,
            "hold_s": self.cfg.hold_s if self.sub == "hold" else (
                self.cfg.calibrate_s if self.phase == "calibrate" else self._setup_hold_s if self.phase == "setup" else None
            ),
            "step_index": self.step_index if step else None,
            "step": None if step is None else {"side": step.side, "direction": step.direction, "label": step.label},
            "current_deg": self.current_deg,
            "checks": self.checks if self.phase == "setup" else [self._rate] if self.active and self._rate else [],
            "calibrated": self.calibrated,
            "steps": [s.as_dict() for s in self.steps],
            "tick_seq": self.tick_seq,
            "trial_seq": self.trial_seq,
            "last_trial": self.last_trial,
            "results": self.results if self.phase == "results" else None,
            "error": self.error,
        }
