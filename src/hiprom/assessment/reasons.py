"""Why a reading, trial or repetition did not count, and what to do about it, in words a patient understands.

The kernel's flags (``pelvis_hike``, ``low_visibility``, …), the trial
detector's reasons (``hold_too_short``, …) and the repetition counter's
(``released_early``, …) are codes: the data files keep them. Everything a
person reads says them through this one table: the page (its dials, the
guide, the exercise counter and the spoken cues, given the table by
``/api/info``), the PDF, the CLI and the quality notes of a result.

- :data:`REASON_WORDS`: a short phrase for each code ("hip lifted off the seat");
- :data:`REASON_ADVICE`: what to do next time, for the codes a person can act on;
- :func:`reason_words` / :func:`reason_advice`: a list of codes in words;
- :func:`not_measurable_advice`: what to do about a recording in which a side,
  or everything, could not be measured (from its ``not_measurable`` reason).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REASON_WORDS: dict[str, str] = {
    # The kernel's per-frame flags (hiprom.kinematics.flags.QualityFlag).
    "no_person": "nobody in view",
    "low_visibility": "leg hard to see",
    "leg_out_of_frame": "leg out of the picture",
    "knee_not_flexed": "knee not bent about 90°",
    "thigh_not_toward_camera": "thigh not pointing at the camera",
    "camera_oblique": "camera too far to the side",
    "methods_disagree": "leg seen unclearly",
    "pelvis_hike": "hip lifted off the seat",
    "trunk_lean": "body leaned sideways",
    "knee_drift": "knee moved sideways",
    "multiple_people": "someone else in view",
    "implausible_angle": "leg lost by the tracking",
    # The trial detector's (hiprom.assessment.trials).
    "hold_too_short": "not held still long enough",
    "below_min_excursion": "turn too small to measure",
    "unmeasured_at_peak": "leg not seen at the end of the turn",
    "no_pictures_at_peak": "pictures stopped at the end of the turn",
    # The repetition counter's (hiprom.assessment.reps).
    "released_early": "let go too soon",
    "unfinished": "not finished",
}
"""Every code a person may be told about, as a short phrase that fits after "not counted: "."""

_IN_VIEW = "keep both knees and feet in the picture"
_CLEAR = "keep your legs in clear view, in good light"
_FACING = "sit facing the camera, thighs pointing at it"
REASON_ADVICE: dict[str, str] = {
    "no_person": "sit facing the camera, in view from shoulders to feet",
    "low_visibility": _IN_VIEW,
    "leg_out_of_frame": _IN_VIEW,
    "unmeasured_at_peak": _IN_VIEW,
    "no_pictures_at_peak": "keep this page on screen while you turn (the pictures stopped)",
    "methods_disagree": _CLEAR,
    "implausible_angle": _CLEAR,
    "knee_not_flexed": "sit with your knees bent about 90° and your feet flat",
    "thigh_not_toward_camera": _FACING,
    "camera_oblique": _FACING,
    "pelvis_hike": "keep both hips on the seat",
    "trunk_lean": "keep your body upright",
    "knee_drift": "keep your knee in place",
    "multiple_people": "make sure nobody else is in view",
    "hold_too_short": "hold still until the count ends",
    "below_min_excursion": "turn further, as far as is comfortable",
    "released_early": "hold until the count ends",
    "unfinished": "come back to the middle to finish",
}
"""What to do next time, per code, as a phrase that starts lower case (joined or capitalised by the caller).

Short enough for the guide's one line under its prompt ("✗ not counted: keep both hips on the seat."),
which says it instead of the reason: the advice says why."""

PICTURES_STOPPED_ADVICE: dict[str, str] = {
    "hidden": REASON_ADVICE["no_pictures_at_peak"],
    "muted": "keep the camera free while you turn (the camera stopped sending pictures: another program took it, "
             "or it was covered)",
    "lost": "keep the camera plugged in and free while you turn (it stopped: unplugged, or taken by another "
            "program)",
    "camera_stalled": "check the camera's cable, and that no other program uses the camera (it stopped sending "
                      "pictures)",
    "source_stalled": "turn again once the pictures come back (the server's video stopped sending them)",
    "asleep": "keep the computer awake while you turn (it went to sleep, so the pictures stopped)",
    "busy": "close other programs while you turn (this computer was too busy to measure the pictures)",
    "network": "stay close to the Wi-Fi while you turn (the connection to the hiprom server dropped, so the "
               "pictures stopped)",
}
"""What to do about ``no_pictures_at_peak`` when it is known why the pictures stopped: the page said its tab
was hidden, that its camera sent none (``muted``), or that its camera stopped (``lost``); or the server's own
source stalled, which no page involves: its camera (``camera_stalled``), or its video, picture folder or
recording (``source_stalled``); or the computer the server runs on slept between two pictures (``asleep``:
:class:`hiprom.clock.AwakeClock`), or was too busy to measure the pictures its source went on sending
(``busy``: another program taking the CPU of an old laptop); or nothing came from a page that said
nothing (``network``: its connection dropped).
Unknown, :data:`REASON_ADVICE`'s (the tab hidden)."""


def reason_words(codes: Iterable[str]) -> str:
    """The codes as one phrase, in their order: ``"hip lifted off the seat, body leaned sideways"``.

    An unknown code (a newer version's, or a clinic's) is shown with spaces for underscores.
    """
    return ", ".join(REASON_WORDS.get(c, c.replace("_", " ")) for c in codes)


def reason_advice(codes: Iterable[str], pictures_stopped: str | None = None) -> str:
    """What to do about the codes, each piece of advice once: ``"keep both hips on the seat"``; ``""`` if none.

    ``pictures_stopped``: why the pictures last stopped, when known (``"hidden"``, ``"muted"``,
    ``"camera_stalled"``, ``"source_stalled"``, ``"asleep"``, ``"busy"``, ``"network"``: :data:`PICTURES_STOPPED_ADVICE`), for ``no_pictures_at_peak``."""
    def advice(code: str) -> str | None:
        if code == "no_pictures_at_peak" and pictures_stopped in PICTURES_STOPPED_ADVICE:
            return PICTURES_STOPPED_ADVICE[pictures_stopped]
        return REASON_ADVICE.get(code)

    return ", and ".join(dict.fromkeys(a for a in map(advice, codes) if a))


_FALLBACK = "Film in good light with both knees and feet in the picture and nobody else in view."
_NOT_MEASURABLE_ADVICE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"no person found"),
     "Film the person sitting on a chair facing the camera, in view from shoulders to feet."),
    (re.compile(r"only \d+ frames?\b"),
     "Film the whole test: each foot turned inward and outward, and held still at the end of each turn."),
    (re.compile(r"too dark or unclear"),
     "Add light so your legs are clearly seen: a lamp that lights you from the camera's side, not from behind you."),
    (re.compile(r"leg never visible|leg out of the picture|leg hard to see:"),
     "Keep both knees and feet in the picture: move the chair back, or tilt the camera down."),
    (re.compile(r"legs never seen resting"),
     "Keep both knees and feet in the picture, and rest both feet flat and still before and between the turns."),
    (re.compile(r"not in the seated test position|knee not bent|thigh not pointing"),
     "Sit on a chair facing the camera, knees bent about 90°, feet flat and thighs pointing at the camera."),
)


def not_measurable_advice(reason: str | None) -> str:
    """What to do about a recording with nothing measurable (or a side without), from its reason.

    ``reason`` is a result's ``not_measurable_reason`` or a side's
    ``not_measurable`` ("left leg never visible", "only 3 frames: the recording is 0.1 s long, …",
    "neither leg could be measured: …"); ``""`` when there is none. Each piece
    of advice is given once, in the order its reason comes in ``reason``; a
    reason none of them fits gets the general advice.
    """
    if not reason:
        return ""
    found = sorted((m.start(), text) for pattern, text in _NOT_MEASURABLE_ADVICE for m in pattern.finditer(reason))
    return " ".join(dict.fromkeys(text for _, text in found)) or _FALLBACK
