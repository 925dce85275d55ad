"""A camera-followed exercise on the live source: reps counted, holds timed, one side.

``LiveExercise`` feeds one side's ``LiveMeter`` readings (angle and
compensation flags, the same the guided test uses) to the one repetition
counter, :class:`hiprom.assessment.reps.RepCounter`, and says what the page
shows and speaks (:meth:`LiveExercise.state`). When the exercise is stopped,
its record (``hiprom.exercise/1``, :func:`exercise_result`) is kept in the
state for the page to store with the saved session.

Times in seconds of the source's clock; angles in degrees (+ internal).
"""

from __future__ import annotations

import math
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from hiprom.assessment.exercises import Catalogue, Exercise, load_catalogue
from hiprom.assessment.reasons import reason_advice
from hiprom.assessment.reps import UNFINISHED, Rep, RepCounter, exercise_result
from hiprom.assessment.trials import frames_seen_s
from hiprom.errors import ConfigError, InputError
from hiprom.landmarks import SIDES


class ExerciseError(ValueError):
    """The exercise cannot be followed by the camera (unknown, not camera-followed, bad side)."""


def camera_exercise(exercise_id: str, side: str, catalogue: Catalogue | None = None,
                    dose: Mapping[str, Any] | None = None) -> Exercise:
    """The catalogue's exercise ``exercise_id`` if the camera can count it for ``side``, else ``ExerciseError``.

    ``dose`` (``{"hold_s", "reps", "sets"}``, the fields given): the clinician's dose of a home program, in
    place of the catalogue's; checked as a program's is.
    """
    from hiprom.assessment.program import check_dose

    cat = catalogue if catalogue is not None else load_catalogue()
    try:
        ex = cat.get(exercise_id)
    except ConfigError as exc:
        raise ExerciseError(str(exc)) from exc
    if not ex.camera_followed:
        raise ExerciseError(f"{ex.name} is not followed by the camera: use its timer instead")
    if side not in SIDES:
        raise ExerciseError(f"side must be one of {SIDES}, but got {side!r}")
    if dose is None:
        return ex
    try:
        return dataclasses.replace(ex, dose=check_dose(ex.name, dose, ex.dose))
    except InputError as exc:
        raise ExerciseError(str(exc)) from exc


BACK_SAY_S = 1.0
"""A rep back near rest (within the counter's ``start_deg``, not its ``rest_deg``) this long, seen
(``RepCounter.back_so_far_s``), is told to come back: it is not over, and the next rep would be counted
with it as one."""

AWAY_S = 2.0
"""Both legs unseen this long while counting (since the last frame that showed one: frames without them,
or no frames at all, as while this device's tab is hidden): the person may have got up. Sat back, the
chair or the camera may have moved, and the old neutral would read their rest off (a chair turned 20 deg
read rest as 14 deg: no rep came back to rest again), so the lead-in runs again."""

LEAD_IN_S = 2.5
"""Seconds at least before counting: the meter's neutral is taken once the shins have also rested. Only
while frames come: a gap of more than ``MAX_UNSEEN_S`` without frames is not counted (``frames_seen_s``)."""


class LiveExercise:
    """One counted exercise in progress (or just stopped) on one side.

    The lead-in lasts ``lead_in_s`` at least and until the exercised leg's shin rests
    still (the guide's calibration test for that leg, which the caller applies): the
    live meter is then calibrated from it (and from the other leg when it rested too)
    and reps are counted. A neutral taken while the foot is turned would read the turn
    as rest: the way back from it was counted as a first rep, and every rep after read
    short by the turn. The other leg is not needed: hidden, crossed or out of the
    picture (a laptop close to the chair), it kept the count from ever starting.

    Args:
        exercise: a camera-followed exercise of the catalogue.
        side: ``left`` or ``right``.
        lead_in_s: the still lead-in, seconds.
        earlier: the reps counted before (``Rep.to_dict``, numbered 1, 2, ...): the page sends them
            back when its connection dropped mid-exercise, so the exercise goes on, after a new
            lead-in, from where it was; ExerciseError when they are not such reps.
    """

    def __init__(self, exercise: Exercise, side: str, lead_in_s: float = LEAD_IN_S,
                 earlier: Sequence[Any] = ()) -> None:
        self.exercise = exercise
        self.side = side
        self.direction = exercise.targets[0]
        self.counter = RepCounter(self.direction, hold_target_s=float(exercise.dose.hold_s))
        try:
            self.counter.reps = [Rep.from_dict(rep) for rep in earlier]
        except ValueError as exc:
            raise ExerciseError(f"the reps counted before are unreadable ({exc})") from exc
        if [rep.number for rep in self.counter.reps] != list(range(1, len(earlier) + 1)):
            raise ExerciseError("the reps counted before are out of order")
        self.leg = SIDES.index(side)  # the exercised leg: the lead-in needs it at rest, not the other one
        self._t_s = 0.0
        self.lead_in_s = float(lead_in_s)
        self._lead_in_t: list[float] = []  # the lead-in's frame times, s
        self._seen_at: float | None = None  # the last frame that showed a leg, while counting
        self.counting = False
        self._rest_hint: str | None = None  # while waiting to count: what keeps the neutral from being taken
        self.result: dict[str, Any] | None = None

    @property
    def active(self) -> bool:
        """Still counting (not stopped)."""
        return self.result is None

    def wants_calibration(self, t_s: float, rest_hint: str | None, dt_s: float | None = None) -> bool:
        """True once, on the first frame after ``lead_in_s`` with the exercised shin at rest (``rest_hint``
        None); the caller calibrates its meter, then updates. ``rest_hint`` says what keeps it from it;
        ``dt_s`` is the source's frame interval (s) when the caller knows it (``frames_seen_s``)."""
        if self.counting or not self.active:
            return False
        if frames_seen_s(self._lead_in_t, dt_s) < self.lead_in_s:  # a lead-in done needs no more of them
            self._lead_in_t.append(float(t_s))
        self._rest_hint = rest_hint
        if rest_hint is None and frames_seen_s(self._lead_in_t, dt_s) >= self.lead_in_s:
            self.counting = True
            return True
        return False

    def recalibrate(self) -> None:
        """The meter lost its neutral (a new pass of the source: the camera came back, a recording
        looped): a rep under way is closed as unfinished and the lead-in starts again, so nothing is
        counted against a neutral that is no longer the person's rest."""
        if self.active and self.counting:
            self.counter.finish()
            self.counting = False
            self._lead_in_t, self._seen_at = [], None

    def update(self, t_s: float, angle_deg: Any, flag_bits: Any) -> bool:
        """Take one frame after the lead-in: ``angle_deg`` and ``flag_bits`` hold both sides (``SIDES`` order).

        Returns True when no frame has shown a leg for ``AWAY_S`` before this one (frames without them,
        or none at all): the exercise went back to its lead-in (:meth:`recalibrate`) and the caller resets
        its meter, to take the neutral afresh.
        """
        self._t_s = float(t_s)
        if not (self.active and self.counting):
            return False
        if self._seen_at is not None and self._t_s - self._seen_at >= AWAY_S:
            self.recalibrate()
            return True
        if any(math.isfinite(float(a)) for a in angle_deg) or self._seen_at is None:
            self._seen_at = self._t_s
        angle = float(angle_deg[self.leg])
        self.counter.update(self._t_s, angle if math.isfinite(angle) else math.nan, int(flag_bits[self.leg]))
        return False

    def _detail(self) -> str | None:
        """What the person must do for the count to go on: rest for the lead-in, or finish a rep's return."""
        if not self.active:
            return None
        if not self.counting:
            return self._rest_hint
        if self.counter.back_so_far_s(self._t_s) >= BACK_SAY_S:
            advice = reason_advice([UNFINISHED])
            return advice[:1].upper() + advice[1:] + "."
        return None

    def stop(self) -> dict[str, Any]:
        """End the exercise (a rep under way is closed as unfinished); its stored record."""
        if self.result is None:
            self.counter.finish()
            self.result = exercise_result(
                self.exercise.id, self.side, self.direction, self.counter.reps, self.exercise.dose.to_dict()
            )
        return self.result

    def state(self) -> dict[str, Any]:
        """What the page shows and says: name, side, dose (``{"hold_s", "reps", "sets"}``: the page counts
        the reps of each set as it prescribes them), count, running hold, last rep, record when done."""
        dose = self.exercise.dose
        return {
            "exercise": self.exercise.id,
            "name": self.exercise.name,
            "side": self.side,
            "active": self.active,
            "counting": self.counting,
            "detail": self._detail(),
            "dose": dose.to_dict(),
            "reps_target": dose.reps * dose.sets,
            **self.counter.status(self._t_s),
            "result": self.result,
        }
