"""The live messages: one typed builder for what ``/ws/live`` and ``/ws/camera`` send.

Two message types (docs/server.md): ``frame`` (a processed frame) and
``status`` (a change of the source's state or of the guide, with ``sides``,
``t_ms`` and ``landmarks`` null). Both are built here and nowhere else; the
servers only add nothing and send ``encode(message)``. Commands from a page
are read by :func:`parse_command` (the guided test) and :func:`parse_exercise`
(a counted exercise, over ``/ws/camera``).

Angles: degrees, ``+`` internal, ``-`` external, per the subject's own side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from hiprom.assessment.wording import explain
from hiprom.landmarks import SIDES
from hiprom.live.guide import COMMANDS

Level = Literal["ok", "info", "warn", "error"]

MODEL_MISSING_TEXT = "The pose model is missing: nothing can be measured until it is installed."
"""One line for the page; the reason (paths tried, how to fetch) goes in the status's detail."""

MODEL_LOADING_TEXT = "Loading the pose model (on first use it is downloaded, which can take a minute)..."
"""While the model loads: a first-use download would otherwise show "Opening …" until it ends."""


@dataclass(frozen=True)
class Status:
    """What the page shows in its status line.

    Attributes:
        code: machine-readable (``ok``, ``no_person``, ``camera_missing``, ``source_ended``...).
        level: ``ok``, ``info``, ``warn`` or ``error``.
        text: one plain sentence for the user.
        detail: the technical reason behind ``text`` (for a tooltip and the log), or "".

    An ``error`` means nothing can be measured (no model, no camera, a loop
    that cannot run): the message says ``blocking`` and the page's guide
    refuses to start (the engine ignores ``start`` then too).
    """

    code: str
    level: Level
    text: str
    detail: str = ""

    def as_dict(self) -> dict[str, str | bool]:
        out: dict[str, str | bool] = {"code": self.code, "level": self.level, "text": self.text, "blocking": self.level == "error"}
        if self.detail:
            out["detail"] = self.detail
        return out


class SourceInfo(TypedDict, total=False):
    """The source a message came from: kind, label, preview (a picture stream), size_wh, fps, mirrored."""

    kind: str
    label: str
    preview: bool
    size_wh: list[int] | None
    fps: float
    mirrored: bool


class SideReading(TypedDict):
    """One side's reading in a frame message; ``angle_deg`` None = not measurable."""

    angle_deg: float | None
    uncertainty_deg: float | None
    flags: list[str]
    method: str


class Peaks(TypedDict):
    """The best valid held peak of each direction so far in the test (positive degrees), for the dial marks."""

    internal_deg: float | None
    external_deg: float | None


@dataclass(frozen=True)
class FrameReading:
    """What the processor measured in one frame (the frame message's own part).

    Attributes:
        seq: frames processed by this processor.
        t_ms: frame time in ms.
        sides: per side (``SIDES`` order), the reading.
        person, n_people, calibrated: for ``quality``.
        status: the sentence about this frame.
        landmarks: 33 x [x, y, visibility] in picture positions (None = nobody).
        size_wh: picture (width, height) in pixels.
        peaks: per side, the test's held peaks so far (from the guide's trials).
        fps: frames processed per second (smoothed).
    """

    seq: int
    t_ms: float
    sides: dict[str, SideReading]
    person: bool
    n_people: int
    calibrated: bool
    status: Status
    landmarks: list[list[float | None]] | None
    size_wh: tuple[int, int]
    peaks: dict[str, Peaks]
    fps: float


class Timing(TypedDict):
    """Wall-clock figures of one frame, ms."""

    captured_unix_ms: float
    sent_unix_ms: float
    latency_ms: float
    process_ms: float


def timing(captured_unix_ms: float, sent_unix_ms: float, process_ms: float) -> Timing:
    """The timing block: when the frame was grabbed and sent, and how long it took."""
    return {
        "captured_unix_ms": round(captured_unix_ms, 1),
        "sent_unix_ms": round(sent_unix_ms, 1),
        "latency_ms": round(sent_unix_ms - captured_unix_ms, 1),
        "process_ms": round(process_ms, 1),
    }


def frame_message(
    reading: FrameReading, state: dict[str, Any], source: SourceInfo, dropped: int, timing: Timing,
    exercise: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``frame`` message of one processed frame (``exercise``: the counted exercise's state, or None)."""
    return {
        "type": "frame",
        "seq": reading.seq,
        "t_ms": round(float(reading.t_ms), 1),
        "sides": {side: reading.sides[side] for side in SIDES},
        "peaks": {side: reading.peaks[side] for side in SIDES},
        "quality": {
            "person": reading.person,
            "n_people": reading.n_people,
            "measurable": {side: reading.sides[side]["angle_deg"] is not None for side in SIDES},
            "calibrated": reading.calibrated,
            "fps": round(reading.fps, 1),
            "dropped": int(dropped),
        },
        "state": state,
        "status": reading.status.as_dict(),
        "landmarks": reading.landmarks,
        "size_wh": list(reading.size_wh),
        "source": source,
        "timing": timing,
        "exercise": exercise,
    }


def status_message(
    status: Status, state: dict[str, Any] | None, source: SourceInfo | None, exercise: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``status`` message: the source's, the guide's or the exercise's state changed, no frame with it."""
    return {
        "type": "status",
        "t_ms": None,
        "sides": None,
        "status": status.as_dict(),
        "state": state,
        "source": source,
        "landmarks": None,
        "exercise": exercise,
    }


RESULT_SIDE_FIELDS = tuple(
    f"{m}_{field}" for m in ("internal_rotation", "external_rotation")
    for field in ("deg", "unc_deg", "pct_norm", "band", "confirmed", "reason")
) + ("internal_trials", "external_trials", "total_arc_deg", "total_arc_unc_deg", "total_arc_pct_norm",
     "total_arc_band", "total_arc_reason", "not_measurable")
"""The per-side fields of an analysis the page's results table shows: with each figure its band verdict
(the PDF's "below the normal band"), and whether it came from a valid trial (else why not)."""


def results_summary(analysis: dict[str, Any], result_id: str) -> dict[str, Any]:
    """The part of an analysis (``hiprom.analysis/1``) the results table needs, with its id for saving."""
    sides = {}
    for side in SIDES:
        s = analysis.get("sides", {}).get(side, {}) or {}
        sides[side] = {k: s.get(k) for k in RESULT_SIDE_FIELDS}
    words = explain(analysis)
    return {
        "result_id": result_id,
        "norm_deg": analysis.get("norm_deg"),
        "norms": {k: (analysis.get("norms") or {}).get(k) for k in ("asymmetry_threshold_deg", "mdc_deg", "bands")},
        "measurable": analysis.get("measurable"),
        "not_measurable_reason": analysis.get("not_measurable_reason"),
        "sides": sides,
        "asymmetry": analysis.get("asymmetry"),
        "notes": words["notes"],
        "recommendations": analysis.get("recommendations") or [],
        "words": words,
        "trials": [
            {k: t.get(k) for k in ("side", "direction", "peak_deg", "valid", "flags")} for t in analysis.get("trials", [])
        ],
    }


def encode(message: dict[str, Any]) -> str:
    """The message as JSON text (NaN is a bug here: the builders give None)."""
    return json.dumps(message, allow_nan=False)


def _command(text: str, kind: str) -> dict[str, Any] | None:
    """The page's text message as a dict when it is JSON with ``"type": kind``, else None."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested beyond the parser: not a command either
        return None
    return data if isinstance(data, dict) and data.get("type") == kind else None


def parse_command(text: str) -> str | None:
    """The guide action in a page's text message ``{"type": "command", "action": ...}``, or None."""
    data = _command(text, "command")
    if data is not None and data.get("action") in COMMANDS:
        return data["action"]
    return None


MAX_EARLIER_REPS = 200
"""More reps than any dose asks (reps x sets), so a page's list cannot grow the record without end."""


@dataclass(frozen=True)
class ExerciseCommand:
    """A page's counted-exercise command: ``start`` (the exercise id and side; ``reps``: those
    counted before its connection dropped, to go on from; ``dose``: a home program's, else the catalogue's)
    or ``stop``."""

    action: Literal["start", "stop"]
    exercise: str = ""
    side: str = ""
    reps: tuple[Any, ...] = ()
    dose: dict[str, Any] | None = None


def parse_exercise(text: str) -> ExerciseCommand | None:
    """The counted-exercise command in a page's text message, or None when it is none.

    ``{"type": "exercise", "action": "start", "exercise": id, "side": side}``
    (checked against the catalogue by whoever starts it; ``"reps": [...]``, at most
    ``MAX_EARLIER_REPS``, the reps counted before a lost connection; ``"dose": {"hold_s", "reps", "sets"}``,
    a home program's) or
    ``{"type": "exercise", "action": "stop"}``.
    """
    data = _command(text, "exercise")
    if data is None:
        return None
    if data.get("action") == "stop":
        return ExerciseCommand("stop")
    if data.get("action") == "start":
        reps = data.get("reps")
        reps = tuple(reps[:MAX_EARLIER_REPS]) if isinstance(reps, list) else ()
        dose = data.get("dose")
        return ExerciseCommand("start", str(data.get("exercise", ""))[:64], str(data.get("side", ""))[:16], reps,
                               dict(dose) if isinstance(dose, dict) else None)
    return None


PAUSE_CAUSES = ("hidden", "muted", "lost", "busy")
"""Why a page stops sending pictures: its tab hidden, its camera sending none, its camera gone (unplugged,
taken by another program), or its own computer too busy to send them (its timer came late with the page in
front: web/camera.js)."""


@dataclass(frozen=True)
class Paused:
    """A page's word that it stopped sending pictures, and why (one of :data:`PAUSE_CAUSES`)."""

    why: str


def parse_paused(text: str) -> Paused | None:
    """``{"type": "paused", "why": "hidden" | "muted" | "lost" | "busy"}`` in a page's text message, or None when it is none."""
    data = _command(text, "paused")
    return Paused(data["why"]) if data is not None and data.get("why") in PAUSE_CAUSES else None
