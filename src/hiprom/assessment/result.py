"""The analysis result: kinematics in, a ``hiprom.analysis/1`` dict out.

The dict is the one currency of store, report, server and batch; its fields
are documented in ``docs/formats.md``. It is plain JSON data: numbers are
rounded, and every NaN has become ``null`` with a field saying why.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import numpy as np

from hiprom import __version__
from hiprom.assessment.exercises import Catalogue
from hiprom.assessment.norms import Norms, TrialSettings
from hiprom.assessment.reasons import reason_words
from hiprom.assessment.recommend import recommend
from hiprom.assessment.summary import asymmetry, empty_side, side_summary
from hiprom.assessment.trials import FlagRules, Trial, find_trials, frame_interval_s, rest_offset_deg
from hiprom.assessment.verdict import verdict
from hiprom.assessment.wording import note_sentence, side_notes, too_few_frames_reason
from hiprom.kinematics import COMPENSATION, METHODS, QualityFlag, flag_names
from hiprom.kinematics.camera import CameraEstimate
from hiprom.landmarks import SIDES
from hiprom.parsing import printable_name
from hiprom.rounding import percent, rounded_list

if TYPE_CHECKING:
    from hiprom.kinematics import Kinematics

SCHEMA = "hiprom.analysis/1"

# Flags that make a trial invalid when present during its hold: compensation
# (the angle was reached by moving something else) or a leg not seen well.
# Posture flags (knee far from 90 deg, thigh not toward the camera) come from
# MediaPipe's depth estimates, which wander while a foot swings out: on the
# rendered clips with known angles they covered whole holds of good trials.
# So they are listed on a trial as warnings, and rule out a whole side only
# when they cover most of its frames (the footage is not the seated test).
# The others (methods_disagree, camera_oblique, multiple_people) are only
# reported: MediaPipe's depth disagrees with good frontal readings too, the
# frontal method corrects for the camera's yaw, and the subject is followed
# among other people; a poorly seen or wandering reading shows in the ±.
POSTURE = int(QualityFlag.KNEE_NOT_FLEXED | QualityFlag.THIGH_NOT_TOWARD_CAMERA)
INVALIDATING = int(COMPENSATION | QualityFlag.LOW_VISIBILITY | QualityFlag.LEG_OUT_OF_FRAME | QualityFlag.NO_PERSON)
_VISIBILITY = int(QualityFlag.LOW_VISIBILITY | QualityFlag.LEG_OUT_OF_FRAME)
_UNSEEN = int(QualityFlag.NO_PERSON | QualityFlag.LOW_VISIBILITY)
POORLY_SEEN = "picture too dark or unclear"
"""Why a side has no figures when the pose was lost or the leg poorly seen in most frames (the reason
reads "left leg hard to see in 79% of frames (picture too dark or unclear): …"); its advice is to add
light (``reasons.not_measurable_advice``)."""
POORLY_SEEN_FRACTION = 0.5
"""Share of a side's frames without a pose or with the leg poorly seen beyond which that is the reason a
side has no figures, before any read from the frames seen (as ``_why_side_unmeasurable`` weighs them)."""
NO_REST = "legs never seen resting together in the picture"
"""Why a side seen in the seated test's position has no figures when the legs never rested together in
view (``Neutral.rested``): each reading is measured from the resting pose, which was then taken in mid-turn.
Feet just below the picture's edge, seen only when a turn lifts them, read so 11-18 deg off
(``docs/accuracy.md``)."""


def _names(bits: int) -> list[str]:
    return list(flag_names(int(bits)))


FLAG_RULES = FlagRules(invalidating=INVALIDATING, names=_names, method_names=tuple(METHODS))


def flag_severities() -> dict[str, str]:
    """Each quality flag's name and what it does to a trial: ``invalidating`` or ``warning``."""
    return {
        flag.name.lower(): "invalidating" if flag.value & INVALIDATING else "warning"
        for flag in QualityFlag
        if flag.name
    }


def _flag_lists(bits: np.ndarray) -> list[list[str]]:
    """Per-frame flag names (each distinct bit set is decoded once)."""
    codes = np.asarray(bits).astype(np.int64)
    decoded = {int(c): _names(int(c)) for c in np.unique(codes)}
    return [decoded[int(c)] for c in codes]


def _why_side_unmeasurable(side: str, bits: np.ndarray, all_flags: np.ndarray) -> str:
    """A plain reason for a side with no measurable frame, from its commonest flags.

    ``bits`` are the side's flags (n,), ``all_flags`` both sides' (n, 2).
    """
    codes = bits.astype(np.int64)
    if all_flags.size and np.all(all_flags.astype(np.int64) & int(QualityFlag.NO_PERSON)):
        return "no person found in any frame"
    if codes.size and np.mean((codes & int(QualityFlag.LEG_OUT_OF_FRAME)) != 0) >= 0.5:
        return f"{side} leg out of the picture"
    if codes.size and np.mean((codes & (_VISIBILITY | int(QualityFlag.NO_PERSON))) != 0) >= 0.5:
        return f"{side} leg never visible"
    counts: Counter[str] = Counter()
    for code in np.unique(codes):
        counts.update({name: int(np.sum(codes == code)) for name in _names(int(code))})
    common = reason_words(name for name, _ in counts.most_common(3)) or "no usable landmarks"
    return f"{side} leg never measurable ({common})"


def _why_side_blocked(
    side: str, seen: int, n: int, angle: np.ndarray, bits: np.ndarray, unrested: bool, settings: TrialSettings
) -> str | None:
    """Why a side seen in ``seen`` of ``n`` frames still has no figures, or None when its trials are measured.

    ``angle`` (n,) deg, NaN where not measurable, and ``bits`` (n,) are the side's readings and flags.
    """
    if seen < settings.min_frames:  # a few stray frames (legs out of the picture): no test to measure
        return f"{side} leg hard to see: measurable in just {seen} of {n} frames"
    off_posture = _off_posture_fraction(angle, bits)
    if off_posture >= settings.posture_fraction:
        return (
            f"{side} leg not in the seated test position in {percent(100 * off_posture, 0)} of frames "
            "(knee not bent about 90° or thigh not toward the camera)"
        )
    return NO_REST if unrested else None


def _poorly_seen(side: str, seen: int, bits: np.ndarray) -> str | None:
    """The reason for a side with no figures when most of its frames (n,) had no pose or a leg hard to see.

    What is read from the few frames seen (a posture, a rest never seen) is then not the cause: in a dark,
    noisy picture of the grey rendered figure (gt06 ``lowlight``, docs/accuracy.md) the model found the
    pose in 30 % of frames, and MediaPipe's depth in those few put most out of the test's posture.
    A leg out of the picture is a matter of framing, not of sight: those frames do not count here.
    """
    codes = bits.astype(np.int64)
    lost = ((codes & _UNSEEN) != 0) & ((codes & int(QualityFlag.LEG_OUT_OF_FRAME)) == 0)
    if not codes.size or np.mean(lost) < POORLY_SEEN_FRACTION:
        return None
    share = 100 * float(np.mean(lost))
    return f"{side} leg hard to see in {percent(share, 0)} of frames ({POORLY_SEEN}): measurable in just {seen} of {codes.size} frames"


def _off_posture_fraction(angle: np.ndarray, bits: np.ndarray) -> float:
    """Share of a side's measurable frames (n,) that carry a posture flag."""
    measurable = np.isfinite(angle)
    if not measurable.any():
        return 0.0
    return float(np.mean((bits[measurable].astype(np.int64) & POSTURE) != 0))


def _series(t_s: np.ndarray, angle: np.ndarray, raw: np.ndarray, unc: np.ndarray, flags: np.ndarray) -> dict[str, Any]:
    """The ``series`` block: per-frame lists, columns split by side."""
    out: dict[str, Any] = {"t_s": rounded_list(t_s, 3)}
    for col, side in enumerate(SIDES):
        out[f"{side}_deg"] = rounded_list(angle[:, col], 2)
        out[f"{side}_raw_deg"] = rounded_list(raw[:, col], 2)
        out[f"{side}_unc_deg"] = rounded_list(unc[:, col], 2)
        out[f"{side}_flags"] = _flag_lists(flags[:, col])
    return out


def _notes(trials: list[Trial], fraction: dict[str, float], rest: dict[str, float], sides: dict[str, Any]) -> list[str]:
    """Each side's quality notes, left then right, as sentences (:func:`~hiprom.assessment.wording.side_notes`)."""
    notes: list[str] = []
    for side in SIDES:
        own = [tr for tr in trials if tr.side == side]
        not_counted = Counter(r for tr in own for r in tr.reasons)
        notes += side_notes(side, sides[side]["not_measurable"], fraction[side], rest[side], dict(not_counted), len(own))
    return notes


def too_few_frames(n: int, min_frames: int, duration_s: float) -> str | None:
    """The not-measurable reason for a recording of ``n`` frames lasting ``duration_s`` seconds
    (:func:`~hiprom.assessment.wording.too_few_frames_reason`), or None if enough."""
    if n >= min_frames:
        return None
    return too_few_frames_reason(n, duration_s, min_frames)


def assess(
    kin: Kinematics,
    norms: Norms = Norms(),
    source: str = "",
    fps: float | None = None,
    *,
    mirrored: bool = False,
    model: str = "",
    created_utc: str | None = None,
    catalogue: Catalogue | None = None,
) -> dict[str, Any]:
    """Find trials, summarise each side, compare the sides; the ``hiprom.analysis/1`` dict.

    Args:
        kin: per-frame angles, uncertainties and flags of one recording.
        norms: norm values and trial settings (``load_norms()`` for the clinic's).
        source: where the frames came from; only its file name is kept.
        fps: nominal frame rate; estimated from ``kin.t_s`` when ``None``.
        mirrored, model: copied into the result.
        created_utc: ISO timestamp to record (now, when ``None``).
        catalogue: exercises the ``recommendations`` are chosen from
            (``load_catalogue()``: the package's, or ``HIPROM_EXERCISES``, when ``None``).

    Returns:
        A JSON-ready dict; a recording with nothing measurable still gives a
        full dict, with ``measurable = false`` and the reason.
    """
    t_s = np.asarray(kin.t_s, dtype=np.float64)
    n = int(t_s.shape[0])
    dt = frame_interval_s(t_s)
    fps = float(fps) if fps and fps > 0 else 1.0 / dt
    settings = norms.trials
    angle = np.asarray(kin.angle_deg, dtype=np.float64).reshape(n, 2)
    flags = np.asarray(kin.flags).reshape(n, 2)
    unc = np.asarray(kin.uncertainty_deg, dtype=np.float64).reshape(n, 2)
    method = np.asarray(kin.method).reshape(n, 2)

    fraction = {side: float(np.mean(np.isfinite(angle[:, c]))) if n else 0.0 for c, side in enumerate(SIDES)}
    # One leg never seen leaves the other's own resting direction as the zero; both seen, they must rest.
    unrested = kin.neutral is not None and not kin.neutral.rested() and bool(np.isfinite(angle).any(axis=0).all())
    rest = {side: rest_offset_deg(angle[:, c], settings) for c, side in enumerate(SIDES)}
    trials: list[Trial] = []
    sides: dict[str, dict[str, Any]] = {}
    overall_reason = too_few_frames(n, settings.min_frames, duration_s(t_s, fps))
    if overall_reason is not None:
        sides = {side: empty_side(overall_reason) for side in SIDES}
    else:
        for c, side in enumerate(SIDES):
            seen = int(np.sum(np.isfinite(angle[:, c])))
            if seen == 0:
                sides[side] = empty_side(_why_side_unmeasurable(side, flags[:, c], flags))
                continue
            blocked = _why_side_blocked(side, seen, n, angle[:, c], flags[:, c], unrested, settings)
            if blocked is not None:
                sides[side] = empty_side(_poorly_seen(side, seen, flags[:, c]) or blocked)
                continue
            found = find_trials(t_s, angle[:, c], unc[:, c], flags[:, c], method[:, c], side, settings, FLAG_RULES)
            trials.extend(found)
            sides[side] = side_summary(side, found, norms)
        if all(sides[side]["not_measurable"] for side in SIDES):
            reasons = [sides[side]["not_measurable"] for side in SIDES]
            if reasons[0] == reasons[1]:
                overall_reason = reasons[0]  # e.g. "no person found in any frame"
            else:
                overall_reason = "neither leg could be measured: " + "; ".join(reasons)
    trials.sort(key=lambda tr: (tr.start_s, tr.side))

    raw = np.asarray(kin.raw_deg, dtype=np.float64).reshape(n, 2)
    return _assemble(
        _header(t_s, fps, norms, source, mirrored, model, created_utc),
        overall_reason,
        sides,
        trials,
        {
            "measurable_fraction": {side: round(fraction[side], 3) for side in SIDES},
            "rest_offset_deg": {side: round(rest[side], 1) + 0.0 for side in SIDES},
            "notes": _notes(trials, fraction, rest, sides) if overall_reason is None else [note_sentence(overall_reason)],
        },
        _series(t_s, angle, raw, unc, flags),
        norms,
        kin.neutral.camera.to_dict() if kin.neutral is not None else CameraEstimate().to_dict(),
        catalogue,
    )


def not_measurable(
    reason: str,
    t_s: np.ndarray | None = None,
    norms: Norms = Norms(),
    source: str = "",
    fps: float | None = None,
    *,
    mirrored: bool = False,
    model: str = "",
    created_utc: str | None = None,
) -> dict[str, Any]:
    """A complete ``hiprom.analysis/1`` dict for input with nothing to measure.

    Used when the kernel cannot even run (e.g. it raised ``NotMeasurableError``);
    every figure is null, every frame of the series unmeasurable, and
    ``not_measurable_reason`` says why.
    """
    t = np.zeros(0) if t_s is None else np.asarray(t_s, dtype=np.float64)
    n = int(t.shape[0])
    fps = float(fps) if fps and fps > 0 else 1.0 / frame_interval_s(t)
    nan = np.full((n, 2), np.nan)
    return _assemble(
        _header(t, fps, norms, source, mirrored, model, created_utc),
        reason,
        {side: empty_side(reason) for side in SIDES},
        [],
        {
            "measurable_fraction": {side: 0.0 for side in SIDES},
            "rest_offset_deg": {side: 0.0 for side in SIDES},
            "notes": [note_sentence(reason)],
        },
        _series(t, nan, nan, nan, np.zeros((n, 2), dtype=np.uint32)),
        norms,
        CameraEstimate().to_dict(),
    )


def duration_s(t_s: np.ndarray, fps: float) -> float:
    """How long the recording lasts: its timestamps' span plus one typical frame (s).

    Equal to frames / fps at a constant rate, and true for a variable frame
    rate (a camera that slowed down, a recorder that paused) where frames /
    fps is not. ``n / fps`` for fewer than two frames.
    """
    n = int(t_s.shape[0])
    if n < 2:
        return n / fps
    return float(t_s[-1] - t_s[0]) + frame_interval_s(t_s)


def _header(
    t_s: np.ndarray, fps: float, norms: Norms, source: str, mirrored: bool, model: str, created_utc: str | None
) -> dict[str, Any]:
    """The identifying fields at the top of a result."""
    n = int(t_s.shape[0])
    return {
        "schema": SCHEMA,
        "hiprom_version": __version__,
        "created_utc": created_utc or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": printable_name(PurePath(str(source)).name) if source else "",
        "frames": n,
        "fps": round(fps, 3),
        "duration_s": round(duration_s(t_s, fps), 3),
        "mirrored": bool(mirrored),
        "model": model,
        "norm_deg": norms.norm_deg,
        "norms": norms.to_dict(),
    }


def _assemble(
    header: dict[str, Any],
    reason: str | None,
    sides: dict[str, dict[str, Any]],
    trials: list[Trial],
    quality: dict[str, Any],
    series: dict[str, Any],
    norms: Norms,
    camera: dict[str, float | None],
    catalogue: Catalogue | None = None,
) -> dict[str, Any]:
    """Put the blocks together in the documented order; add the suggestions and the verdict."""
    result: dict[str, Any] = {
        **header,
        "measurable": reason is None,
        "not_measurable_reason": reason,
        "sides": sides,
        "asymmetry": asymmetry(sides, norms),
        "camera": camera,
        "trials": [tr.to_dict() for tr in trials],
        "recommendations": [],
        "quality": quality,
        "series": series,
    }
    if reason is None:
        result["recommendations"] = recommend(result, catalogue)
    result["verdict"] = verdict(result)
    return result
