"""Words a patient understands for the verdicts of a result, and camera set-up advice.

One place for these sentences, so the one-line summary, the PDF, the CSV
exports and (through the server) the page say the same thing:

- :func:`asymmetry_sentence`: one left/right comparison (``within`` /
  ``exceeds`` / ``inconclusive``, see ``summary.difference_verdict``);
- :func:`overall_asymmetry`: the three comparisons as one answer (the page's
  badge, the PDF's plain paragraph and its flag box); :func:`undecided_asymmetry`, those it could not
  decide in one sentence, and :func:`asymmetry_pointer`, what a text says where it does not repeat it;
- :data:`PLUS_MINUS`: what the ± after a figure is, and :func:`could_be_as_low` / :func:`could_be_as_much`,
  why a verdict "cannot tell" (the verdicts allow for about twice the ±: ``summary.Z95``);
- :func:`band_sentence`: one figure against its reference band, and :func:`below_words`,
  how a figure under the band is said to lie in a reason ("possibly below" when it cannot tell);
- :func:`camera_sentence`: where the camera stood;
- :func:`camera_advice`: what to move when the camera stands outside the range
  where accuracy was validated (called by the live guide's set-up step);
- :func:`picture_note`: the quality note of a picture smaller than that range's,
  and :func:`picture_advice`, what the live guide's set-up step says about it;
- :func:`frame_rate_advice`: what the set-up step says when too few pictures a second are measured;
- :func:`no_trial_sentence`: the verdict of a recording where no turn of a foot was held, and how
  long a test needs when the recording is shorter; :func:`too_few_frames_reason`, why one of too few
  frames to measure cannot be, in the same words;
- :data:`NOBODY_IN_VIEW`: what the live status and the set-up checklist say when no one is seen;
- :func:`side_notes` / :func:`quality_notes`: a result's quality notes as sentences
  ("Right leg: hip lifted off the seat in 1 trial, which did not count."), those
  saved by earlier versions ("right: hip lifted off the seat during 1 trial") too;
- :func:`explain`: all of these for one ``hiprom.analysis/1`` result, with what to
  do about a part that could not be measured (``reasons.not_measurable_advice``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from hiprom.assessment.reasons import REASON_WORDS, not_measurable_advice, reason_words
from hiprom.assessment.summary import (
    Z95,
    asymmetry_verdicts,
    band_verdict,
    judged_asymmetry,
    mdc_low,
    rejudged,
    within_mdc,
)
from hiprom.kinematics.settings import VALIDATED_YAW_DEG
from hiprom.landmarks import SIDES
from hiprom.rounding import counted, percent, shown

DEG = "°"
NAMES = {"internal_rotation": "internal rotation", "external_rotation": "external rotation", "total_arc": "total arc"}
"""The three measures in every sentence ("below the normal band: left external rotation 27.0°"), the
words of the tables (:data:`MEASURE_LABELS`). The PDF's "What this report means" says what each is
("internal rotation (the foot swings outward, the knee stays put)"), so no other words are used."""
MEASURE_LABELS = {m: name[:1].upper() + name[1:] + (" (IR + ER)" if m == "total_arc" else "")
                  for m, name in NAMES.items()}
"""The measures as every table heads their rows (PDF, CLI, page): :data:`NAMES`, the arc with what it adds up."""


TRIAL_S = 3.0
"""About how long one trial takes (s): from rest, a foot turned as far as is comfortable, held still,
and back (2.6 s each of the demo recording's nine, whose holds last 2 s)."""
TEST_S = 4 * TRIAL_S
"""About how long a recording must be to hold a test (s): a trial of each foot inward and outward."""


def seconds_words(duration_s: float) -> str:
    """A recording's length as people read it, to 0.1 s: ``13.7 s``; ``under 0.1 s`` for a length that
    rounds to nothing (one frame at 30 fps lasts 0.033 s: "0.0 s" read as no recording at all)."""
    words = shown(duration_s)
    return "under 0.1 s" if words == "0.0" and duration_s > 0 else f"{words} s"


def _needs() -> str:
    return f"which needs about {TEST_S:g} s (about {TRIAL_S:g} s a turn)"


def _too_short(duration_s: float) -> str:
    """How long a recording shorter than :data:`TEST_S` is, and how long a test needs."""
    return f"the recording is {seconds_words(duration_s)} long, too short to hold a test, {_needs()}"


def no_trial_sentence(duration_s: float | None) -> str:
    """The verdict of a measurable recording of ``duration_s`` seconds where no trial was found on
    either side: with how long a test needs when the recording is shorter than :data:`TEST_S`."""
    turn = "Turn each foot inward and outward as far as is comfortable, and hold it still for a moment."
    if duration_s is not None and duration_s < TEST_S:
        return f"No trial found on either side: {_too_short(duration_s)}. Film the whole test: {turn[:1].lower()}{turn[1:]}"
    return f"No trial found on either side: no turn of a foot was held. {turn}"


def too_few_frames_reason(n_frames: int, duration_s: float, min_frames: int) -> str:
    """Why a recording of ``n_frames`` (fewer than ``min_frames``) lasting ``duration_s`` seconds cannot be
    measured: "only 5 frames: the recording is 0.2 s long, too short to hold a test, which needs about 12 s
    (about 3 s a turn)", as :func:`no_trial_sentence` says it of a longer one ("only 1 frame: a single picture,
    not a video of a test, …" of one picture); a recording as long as a test but with too few pictures in it,
    how many are needed."""
    frames = f"only {counted(n_frames, 'frame')}"
    if n_frames == 1:
        return f"{frames}: a single picture, not a video of a test, {_needs()}"
    if duration_s < TEST_S:
        return f"{frames}: {_too_short(duration_s)}"
    return f"{frames} in {duration_s:.1f} s; at least {min_frames} are needed to measure a trial"


def side_measure(side: str, measure: str) -> str:
    """One side's figure as a table row names it: ``Left total arc (IR + ER)`` (re-test tables)."""
    label = MEASURE_LABELS[measure]
    return f"{side.capitalize()} {label[:1].lower()}{label[1:]}"


def analysed_again(first_id: int) -> str:
    """What a session that analyses again the recording of session ``first_id`` is, as a table marks its
    row: ``the recording of #1 analysed again`` (one measurement, not a visit of its own)."""
    return f"the recording of #{first_id} analysed again"


def analysed_again_sentence(session_id: int, first_id: int) -> str:
    """The sentence under a table of visits for such a session (``hiprom trend``)."""
    return f"#{session_id} analyses again the recording of #{first_id}: one measurement, not a visit of its own."


def since_first_legend(first_id: int, mdc_source: str) -> str:
    """What ↑ and ↓ mean under a table of visits (``hiprom trend``, the page's visits): a figure changed since the
    first visit that measured it (``#first_id``) beyond the MDC (``mdc_source`` says which) and the two tests' error."""
    return (f"↑ improved, ↓ decreased since the first visit that measured them (#{first_id}), by more than the "
            f"minimal detectable change and the two tests' error; MDC: {mdc_source}")


def tested_where(origin: str | None) -> str:
    """Where a session's test was done, as a table marks its row: ``here`` (stored with this store), or
    ``sent in`` (imported from the export file ``origin``: a patient's self-test at home, another clinic's test;
    :func:`sent_in_sentence` names the files)."""
    return "here" if origin is None else "sent in"


def sent_in_sentence(origins: Mapping[int, str | None]) -> str | None:
    """The sentence under a history for its sessions sent in (``{session_id: origin}``), ``None`` if none was:
    ``Sent in: #2, #3 (week2.json), #4 (week3.json): tested elsewhere, at home or at another clinic, and
    imported from that file; the others were tested here.``"""
    files: dict[str, list[int]] = {}
    for session_id, origin in origins.items():
        if origin is not None:
            files.setdefault(origin, []).append(session_id)
    if not files:
        return None
    parts = [f"{', '.join(f'#{n}' for n in ids)} ({name})" for name, ids in files.items()]
    rest = "; the others were tested here" if len(origins) > sum(map(len, files.values())) else ""
    return f"Sent in: {', '.join(parts)}: tested elsewhere, at home or at another clinic, and imported from that file{rest}."


SIDE_WORDS = {"left": "left leg", "right": "right leg", "both": "both legs"}
"""Plain names of the sides an exercise is done with."""

VALIDATED_HEIGHT_M = (0.5, 1.25)
"""Camera 0.5-1.25 m above the floor (below the hips up to a desk looking down)."""
VALIDATED_DISTANCE_M = (1.6, 3.0)
"""Camera 1.6-3 m from the knees."""
HEIGHT_MARGIN_M = 0.35
"""The height estimate is good to about +-0.35 m (docs/accuracy.md): advise only beyond that margin."""
DISTANCE_MARGIN = 0.15
"""The distance estimate assumes a typical lens and is good to about 15 %: advise only beyond that."""
VALIDATED_MIN_SIDE_PX = 480
"""Pictures of 640x480 or more (shorter side 480 px), the rendered clips' size. On 320x240 and 400x300
variants of them about one held peak in eight was more than 4 deg off (docs/accuracy.md, twelfth round)."""


def degrees(value: float, signed: bool = False) -> str:
    """An angle as every sentence shows it: one decimal, as in the tables and CSV ("27.0°", not "27°"),
    a negative with the minus sign ("−4.1°", :func:`hiprom.rounding.shown`); ``signed`` for a change ("+6.3°")."""
    return f"{shown(value, signed=signed)}{DEG}"


def degrees_in_words(text: str) -> str:
    """A reason kept by hiprom 0.1 ("24 deg, below the 30-40 deg band") as texts say it now ("24°, below the 30–40° band").

    Programs and analyses stored by 0.1 keep their words; the PDF and the CLI
    show them through this (the page has the same rule in ``web/exercises.js``).
    """
    return re.sub(r"(\d)-(\d)", "\\1\u2013\\2", re.sub(r"(\d) deg\b", "\\1" + DEG, text))


def cannot_tell(threshold: str) -> str:
    """The words of a left/right comparison the test could not decide, in the badge, the sentences and the
    one-line summary alike: "cannot tell whether the sides differ by more than 10°" (``threshold`` as shown)."""
    return f"cannot tell whether the sides differ by more than {threshold}"


PLUS_MINUS = ("± is the standard uncertainty, the likely measurement error: the true value lies within it about "
              "two times in three, and within twice it 19 times in 20. The band and left/right verdicts allow for "
              "twice it: \"cannot tell\" means that, allowing for it, the figure could lie on either side of the line.")
"""What the ± is, in the PDF's and the CLI's notes under their tables and the page's under its own: a figure
"32.6° ± 1.9°" inside the 30–40° band read "cannot tell" with nothing to say that the verdicts allow for
1.96 × the ± (28.9° is below 30°)."""


def could_be_as_low(value_deg: float, unc_deg: float) -> str:
    """Why a figure ``value_deg`` +- ``unc_deg`` (1 SD) near its band's low end "cannot tell": the low end
    of its 95 % interval (``summary.band_verdict``), "could be as low as 28.9°"."""
    return f"could be as low as {degrees(value_deg - Z95 * unc_deg)}"


WITHIN_MDC = "within measurement error (MDC)"
"""Said after the verdict of a left/right difference under the minimal detectable change
(:func:`~hiprom.assessment.summary.within_mdc`): in the PDF's and the terminal's asymmetry tables, the
page's notes (:func:`within_mdc_sentence`) and the CSVs' ``_within_mdc`` columns."""


def within_mdc_sentence(result: dict[str, Any]) -> str | None:
    """The measures whose left/right difference is under the MDC, in one sentence for the page's notes (its
    table's narrow difference column has no room for the words the PDF's and the terminal's tables give each):
    "Left–right differences under 6°, within measurement error (MDC): internal rotation and external
    rotation."; ``None`` when there is none."""
    under = [NAMES[m] for m, below in within_mdc(result).items() if below]
    if not under:
        return None
    listed = under[0] if len(under) == 1 else f"{', '.join(under[:-1])} and {under[-1]}"
    return f"Left–right differences under {mdc_low(result):g}{DEG}, {WITHIN_MDC}: {listed}."


def could_be_as_much(diff_deg: float, unc_deg: float) -> str:
    """Why a left/right difference ``diff_deg`` +- ``unc_deg`` (1 SD) "cannot tell": the far end of its 95 %
    interval (``summary.difference_verdict``), "could be as much as 12.9°"."""
    return f"could be as much as {degrees(abs(diff_deg) + Z95 * unc_deg)}"


def asymmetry_sentence(measure: str, verdict: str | None, diff_deg: float | None, threshold_deg: float,
                       neither: bool = False, unc_deg: float | None = None) -> str:
    """One sentence for a left/right comparison of ``measure`` (``left - right`` = ``diff_deg``, +- ``unc_deg``,
    1 SD, when known); ``neither``: no side's figure was measured (else one side's, when there is no difference)."""
    name = NAMES[measure][:1].upper() + NAMES[measure][1:]
    t = f"{threshold_deg:g}{DEG}"
    if verdict is None or diff_deg is None:
        missing = "neither was measured" if neither else "one of them was not measured"
        return f"{name}: cannot compare the sides, {missing}."
    if verdict == "exceeds":
        larger = "left" if diff_deg > 0 else "right"
        return (f"{name}: the sides differ by more than {t} "
                f"(the {larger} side turns {degrees(abs(diff_deg))} further).")
    if verdict == "within":
        return f"{name}: the sides differ by less than {t}."
    return f"{name}: {cannot_tell(t)} ({_measured(diff_deg, unc_deg)}); repeat the test."


def _measured(diff_deg: float, unc_deg: float | None) -> str:
    """What an undecided left/right difference was: "measured 5.1°, and could be as much as 10.0° with
    measurement error" (``unc_deg`` 1 SD; without it, what was measured only)."""
    why = f", and {could_be_as_much(diff_deg, unc_deg)} with measurement error" if unc_deg else ""
    return f"measured {degrees(abs(diff_deg))}{why}"


def undecided_asymmetry(result: dict[str, Any]) -> str | None:
    """The left/right comparisons of ``result`` the test could not decide, said once in one sentence, for the
    place a report explains them (the PDF's asymmetry box): "Cannot tell whether the sides differ by more
    than 10° in internal rotation (measured 5.1°, and could be as much as 10.0° with measurement error) and
    total arc (measured 9.2°, …); repeat the test."; ``None`` when every comparison was decided. Each
    measure in the words of :func:`asymmetry_sentence` (the CSV's, the CLI's and the page's), the question
    asked once rather than once a measure."""
    asym = judged_asymmetry(result)
    parts = [f"{NAMES[m]} ({_measured(float(asym[f'{m}_deg']), asym.get(f'{m}_unc_deg'))})"
             for m, verdict in asymmetry_verdicts(asym).items()
             if verdict == "inconclusive" and asym.get(f"{m}_deg") is not None]
    if not parts:
        return None
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    undecided = cannot_tell(f"{float(asym.get('threshold_deg') or 10.0):g}{DEG}")
    return f"{undecided[:1].upper()}{undecided[1:]} in {listed}; repeat the test."


def asymmetry_pointer(result: dict[str, Any], where: str) -> str | None:
    """What a text that explains the left/right answer in one place (``where``, a heading) says of it
    elsewhere when the test could not decide: "Whether your two hips differ is not clear yet: "Left–right
    asymmetry" below says why and by how much." (the PDF's "What this report means"); ``None`` when it
    decided, when :func:`overall_asymmetry`'s sentence says it in full."""
    if overall_asymmetry(result)["kind"] != "inconclusive":
        return None
    return f"Whether your two hips differ is not clear yet: \"{where}\" below says why and by how much."


def overall_asymmetry(result: dict[str, Any]) -> dict[str, Any]:
    """The left/right answer of a whole result, from its three verdicts.

    ``kind`` is ``exceeds`` (a difference beyond the threshold), ``inconclusive``
    (none beyond, one too close to tell), ``within`` (every compared difference
    within; ``partial`` when a measure could not be compared), ``not_compared``
    (no measure on both sides) or ``not_measurable``; ``badge`` is the page's
    short label and ``sentence`` what the patient reads. "No flag" is said only
    when the differences were measured and decided.
    """
    asym = judged_asymmetry(result)
    verdicts = list(asymmetry_verdicts(asym).values())
    t = f"{float(asym.get('threshold_deg') or 10.0):g}{DEG}"
    partial = False
    if result.get("measurable") is False:
        kind, badge = "not_measurable", "Not measurable"
        sentence = "Your hips could not be measured this time, so the two sides could not be compared."
    elif "exceeds" in verdicts:
        kind, badge = "exceeds", f"Sides differ by more than {t}"
        sentence = (f"⚑ Flag: one hip turns clearly less than the other (by more than {t}); "
                    "this is worth discussing with your clinician.")
    elif "inconclusive" in verdicts:
        undecided = cannot_tell(t)
        kind, badge = "inconclusive", f"{undecided[:1].upper()}{undecided[1:]}; repeat the test"
        sentence = f"We cannot tell yet whether your two hips differ by more than {t}; repeat the test."
    elif "within" not in verdicts:
        kind, badge = "not_compared", "Sides not compared"
        sentence = ("Your two hips could not be compared: each movement was measured on one hip only, or on neither. "
                    "Repeat the test.")
    else:
        kind, partial = "within", None in verdicts
        badge = f"Sides within {t}" + (" where both were measured" if partial else "")
        sentence = (f"No flag: your two hips turn about the same (within {t})"
                    + (" where both were measured; not every movement was." if partial else "."))
    return {"kind": kind, "partial": partial, "badge": badge, "sentence": sentence}


def band_sentence(side: str, direction: str, verdict: str | None, band: tuple[float, float],
                  value_deg: float | None = None, unc_deg: float | None = None) -> str:
    """One sentence for a side's ``direction`` ("internal"/"external") figure (``value_deg`` +- ``unc_deg``,
    1 SD, when known: what it could be is said when the verdict cannot tell) against its normal ``band``."""
    name = NAMES[f"{direction}_rotation"]
    normal = f"the normal band ({band[0]:g}–{band[1]:g}{DEG})"
    if verdict is None:
        return f"{side.capitalize()} {name}: not measured."
    text = {
        "below": f"below {normal}",
        "within": f"within {normal}",
        "above": f"above {normal}",
        "inconclusive": f"cannot tell whether it is below {normal}"
                        + (f": measured {degrees(value_deg)}, it {could_be_as_low(value_deg, unc_deg)} with "
                           "measurement error" if value_deg is not None and unc_deg else "") + "; repeat the test",
    }[verdict]
    return f"{side.capitalize()} {name}: {text}."


def below_words(verdict: str | None) -> str:
    """How a figure under its band's low end is said to lie against the band, as its band verdict has it
    (``summary.band_verdict``): "below", or "possibly below" when the verdict is ``inconclusive`` (its
    table cell says "cannot tell"); a verdict of a result saved before band verdicts is taken as "below"."""
    return "possibly below" if verdict == "inconclusive" else "below"


def validated_camera_words() -> str:
    """Where a camera may stand for the accuracy checked (docs/accuracy.md), in words:
    "up to 25° to the side, 0.5–1.25 m high, 1.6–3 m away"."""
    return (f"up to {VALIDATED_YAW_DEG:g}{DEG} to the side, {VALIDATED_HEIGHT_M[0]:g}–{VALIDATED_HEIGHT_M[1]:g} m high, "
            f"{VALIDATED_DISTANCE_M[0]:g}–{VALIDATED_DISTANCE_M[1]:g} m away")


def camera_advice(yaw_deg: float | None, height_m: float | None, distance_m: float | None) -> list[str]:
    """What to move, in plain words, when the camera stands outside the validated range; [] when it is fine.

    ``yaw_deg`` ``+`` = the camera is toward the subject's right side. Unknown
    (None or NaN) values give no advice. Height and distance are estimated
    coarsely, so they are advised on only beyond their estimate's margin.
    """

    def known(x: float | None) -> bool:
        return x is not None and math.isfinite(x)

    advice: list[str] = []
    if known(yaw_deg) and abs(yaw_deg) > VALIDATED_YAW_DEG:  # type: ignore[arg-type]
        side = "right" if yaw_deg > 0 else "left"  # type: ignore[operator]
        advice.append(f"The camera is off to your {side}: move the laptop round to straight in front of you, "
                      "or turn your chair to face the camera.")
    if known(height_m):
        if height_m < VALIDATED_HEIGHT_M[0] - HEIGHT_MARGIN_M:  # type: ignore[operator]
            advice.append("The camera is too low: raise the camera to about the height of your hips.")
        elif height_m > VALIDATED_HEIGHT_M[1] + HEIGHT_MARGIN_M:  # type: ignore[operator]
            advice.append("The camera is too high: lower the camera to about the height of your hips.")
    if known(distance_m):
        if distance_m < VALIDATED_DISTANCE_M[0] * (1 - DISTANCE_MARGIN):  # type: ignore[operator]
            advice.append("You are too close: move the chair back until your feet and shoulders are in view.")
        elif distance_m > VALIDATED_DISTANCE_M[1] * (1 + DISTANCE_MARGIN):  # type: ignore[operator]
            advice.append("You are too far away: move the chair closer to the camera.")
    return advice


NOBODY_IN_VIEW = (f"{REASON_WORDS['no_person'][:1].upper()}{REASON_WORDS['no_person'][1:]}: "
                  "sit facing the camera with both knees and feet in the picture.")
"""What the live status line and the set-up checklist both say when no one is seen, in the reason's own
words ("nobody in view"): the status said "No one in view" beside the checklist's "Nobody in view"."""


def picture_note(size_wh: tuple[int, int]) -> str | None:
    """The quality note for a picture of ``size_wh`` (width, height, pixels) smaller than
    ``VALIDATED_MIN_SIDE_PX`` on its shorter side, else None. Its readings keep their (wider) +-."""
    width, height = int(size_wh[0]), int(size_wh[1])
    if min(width, height) >= VALIDATED_MIN_SIDE_PX:
        return None
    return f"small camera picture ({width}×{height}): readings are less certain; use 640×480 or more"


def picture_advice(size_wh: tuple[int, int]) -> str | None:
    """What the set-up step tells a person whose camera picture is smaller than ``VALIDATED_MIN_SIDE_PX``
    on its shorter side (the same test as :func:`picture_note`), else None."""
    if picture_note(size_wh) is None:
        return None
    return (f"Your camera gives a small picture ({int(size_wh[0])}×{int(size_wh[1])}): the readings will be "
            "less certain. A camera that gives 640×480 or more measures better; the test goes on anyway.")


VALIDATED_MIN_FPS = 5.0
"""Pictures measured a second from which trials and holds are timed as validated (5-60 fps,
:mod:`hiprom.assessment.trials`). A slow computer sending its camera, or a loaded server, measures fewer:
at 2 a second the rendered clips' 1.2 s holds read "came back too soon" and their 38° turns 10-26°."""


def frame_rate_advice(fps: float) -> str | None:
    """What the set-up step tells a person whose pictures are measured fewer than :data:`VALIDATED_MIN_FPS`
    times a second (``fps``, the median over the latest frames), else None."""
    if not math.isfinite(fps) or fps >= VALIDATED_MIN_FPS:
        return None
    n = min(max(1, round(fps)), math.ceil(VALIDATED_MIN_FPS) - 1)  # 4.6 is "about 4": "5" is what it asks for
    return (f"Only about {counted(n, 'picture')} a second can be measured (holds are timed well from "
            f"{VALIDATED_MIN_FPS:g}): close other programs and browser tabs. The test goes on anyway.")


TURNED_PICTURE_DEG = 45.0
"""Beyond this the picture is on its side (or upside down, beyond 180 minus it): the body's up
(:func:`hiprom.kinematics.geometry.body_up_deg`) is nearer the picture's side than its top. The
measurement levels a camera rolled up to 8 deg (validated); the set-up says "stand the laptop level"
beyond 12 deg; a seated person on the rendered clips' real frames reads at most 14 deg in full view and
23 deg with the other leg hidden (``bench_reps.py --real --views`` sets)."""


def turned_picture_advice(body_up_deg: float) -> str | None:
    """What to do when the camera's picture is upside down or on its side (a laptop folded back, a phone
    on its head or its side), from the body's up in the picture (deg, 0 = up); None when it is upright
    or unknown."""
    if not math.isfinite(body_up_deg) or abs(body_up_deg) <= TURNED_PICTURE_DEG:
        return None
    if abs(body_up_deg) >= 180.0 - TURNED_PICTURE_DEG:
        return "The camera's picture is upside down: turn the camera or phone the right way up."
    return "The camera's picture is on its side: stand the camera or phone upright."


def camera_sentence(camera: dict[str, Any] | None) -> str | None:
    """Where the camera stood, in words (None when unknown), e.g.
    "Camera 12° toward the person's left, 1.2 m above the floor, 2.0 m from the knees."."""
    camera = camera or {}
    yaw = camera.get("yaw_deg")
    if yaw is None:
        return None
    side = "right" if yaw > 0 else "left"
    where = "straight in front" if abs(yaw) < 3 else f"{abs(yaw):.0f}{DEG} toward the person's {side}"
    parts = [where]
    if camera.get("height_m") is not None:
        parts.append(f"{camera['height_m']:.1f} m above the floor")
    if camera.get("distance_m") is not None:
        parts.append(f"{camera['distance_m']:.1f} m from the knees")
    return "Camera " + ", ".join(parts) + " (estimated from the resting pose)."


def _band(side: dict[str, Any], direction: str, band: tuple[float, float]) -> str | None:
    """A side's ``direction`` figure against ``band``: as the result says, or, for a result saved before
    band verdicts existed, placed now (:func:`~hiprom.assessment.summary.band_verdict`); None when not measured.
    Such a result's figures were called "not measured" beside their numbers."""
    verdict = side.get(f"{direction}_rotation_band")
    value = side.get(f"{direction}_rotation_deg")
    if verdict is not None or value is None:
        return verdict
    return band_verdict(float(value), float(side.get(f"{direction}_rotation_unc_deg") or 0.0), band)


MEASURABLE_NOTE_BELOW = 0.9
"""A side measurable in fewer of its frames than this share gets a note saying how many."""
REST_NOTE_DEG = 2.0
"""A side resting this far or further from straight below the knee gets a note saying so."""


def side_notes(side: str, not_measurable: str | None, fraction: float, rest_deg: float,
               not_counted: dict[str, int], trials: int) -> list[str]:
    """One side's quality notes, as sentences: why it has no figures, else how much of it was measurable
    (``fraction``, 0-1), where it rested (``rest_deg``, + = the foot outward, as internal rotation), why
    trials did not count (``not_counted``: reason code -> trials) and whether it had ``trials`` at all."""
    leg = f"{side.capitalize()} leg"
    if not_measurable:  # "left leg out of the picture" is a sentence already; "legs never seen ..." is not
        lead = not_measurable[:1].upper() + not_measurable[1:] if not_measurable.startswith(side) else \
            f"{leg}: {not_measurable}"
        return [f"{lead}."]
    notes = []
    if fraction < MEASURABLE_NOTE_BELOW:
        notes.append(f"{leg}: could be measured in {percent(100 * fraction, 0)} of the frames.")
    if abs(rest_deg) >= REST_NOTE_DEG:
        way = "outward" if rest_deg > 0 else "inward"
        notes.append(f"{leg}: at rest the foot was {degrees(abs(rest_deg))} {way} of straight below the knee.")
    for code, count in not_counted.items():
        notes.append(f"{leg}: {reason_words([code])} in {counted(count, 'trial')}, which did not count.")
    if not trials:
        notes.append(f"{leg}: no trial found (no turn of the foot was seen).")
    return notes


_SIDE_NOTE = re.compile(r"(?P<side>left|right): (?P<text>.*)", re.S)
_OLD_TRIAL = re.compile(r"(?P<words>.+) during (?P<count>\d+) trials?")
_OLD_FRACTION = re.compile(r"measurable in (?P<pct>\d+)% of frames")
_OLD_REST = re.compile(r"rest position (?P<deg>[+\-\u2212]?\d+(?:\.\d+)?)(?:°| deg) from vertical")
_CODES = {words: code for code, words in REASON_WORDS.items()} | {c.replace("_", " "): c for c in REASON_WORDS}
"""A reason code by the words an earlier version's note said it in: its phrase, or the code with spaces."""


def _old_note(side: str, text: str) -> list[str]:
    """A side's note as hiprom 0.1 up to this version saved it ("hip lifted off the seat during 1 trial",
    "measurable in 85% of frames", "rest position +3.1° from vertical", "no trial found", why it has no
    figures), as :func:`side_notes` says it now; any other as "Right leg: …"."""
    if m := _OLD_TRIAL.fullmatch(text):
        code = _CODES.get(m["words"], m["words"])
        return side_notes(side, None, 1.0, 0.0, {code: int(m["count"])}, 1)
    if m := _OLD_FRACTION.fullmatch(text):
        return side_notes(side, None, int(m["pct"]) / 100, 0.0, {}, 1)
    if m := _OLD_REST.fullmatch(text):
        return side_notes(side, None, 1.0, float(m["deg"].replace("\u2212", "-")), {}, 1)
    if text == "no trial found":
        return side_notes(side, None, 1.0, 0.0, {}, 0)
    return side_notes(side, text, 1.0, 0.0, {}, 1)


def note_sentence(note: str, source: str = "") -> str:
    """One quality note of a result as a person reads it: a sentence, starting with a capital, ending
    with a full stop. Notes saved by earlier versions ("right: hip lifted off the seat during 1 trial")
    read as :func:`side_notes` says them now; a note that starts with the file's name (``source``:
    "clip.mp4 is truncated: ...") keeps its spelling."""
    note = note.strip()
    if m := _SIDE_NOTE.fullmatch(note):
        return " ".join(_old_note(m["side"], m["text"]))
    if note and not (source and note.startswith(source)):
        note = note[:1].upper() + note[1:]
    return note if not note or note.endswith((".", "!", "?")) else f"{note}."


_SAID_IN_A_REPORT = re.compile(r"(left|right) leg: (.+, which did not count|could be measured in \d+% of the frames)\.",
                               re.I)
"""The side notes a report says in its own lines: the trials that did not count, and why; each side's
measurable share ("Measurable frames: left 85%, right 100%.")."""


def reason_notes(result: dict[str, Any]) -> set[str]:
    """The quality notes of ``result`` that say why it, or a side, could not be measured, as
    :func:`note_sentence` reads them: "Neither leg could be measured: …", "Left leg out of the picture."."""
    reasons = {note_sentence(str(result["not_measurable_reason"]))} if result.get("not_measurable_reason") else set()
    for side, figures in (result.get("sides") or {}).items():
        if side in SIDES and figures and figures.get("not_measurable"):
            reasons.update(side_notes(side, str(figures["not_measurable"]), 1.0, 0.0, {}, 1))
    return reasons


def quality_notes(result: dict[str, Any], in_report: bool = False, reasons_said: bool = False) -> list[str]:
    """The quality notes of one ``hiprom.analysis/1`` result, each a sentence (:func:`note_sentence`),
    in their order. ``reasons_said``: without those that say why a part could not be measured
    (:func:`reason_notes`), which the caller's own lines say; ``in_report``: without those too and those
    the PDF report's own lines say (:data:`_SAID_IN_A_REPORT`)."""
    source = str(result.get("source") or "")
    notes = [note_sentence(str(n), source) for n in (result.get("quality") or {}).get("notes") or []]
    said = reason_notes(result) if in_report or reasons_said else set()
    again = rejudged_note(result)
    return [n for n in notes if n not in said and not (in_report and _SAID_IN_A_REPORT.fullmatch(n))] + (
        [again] if again else [])


SAVED_VERDICT_WORDS = {"exceeds": "differ by more than", "within": "within", "inconclusive": "cannot tell"}
"""How the note of a result judged again (:func:`rejudged_note`) says what it said when saved."""


def rejudged_note(result: dict[str, Any]) -> str | None:
    """The one sentence saying a left/right verdict was worked out again with today's rule
    (:func:`~hiprom.assessment.summary.rejudged`), and what the result said when saved; ``None`` when
    none was. "Left/right comparison of internal rotation and total arc worked out again with today's
    rule, which allows for the ± of each side; hiprom 0.1 said: within."."""
    changed = rejudged(result)
    if not changed:
        return None
    who = f"hiprom {result['hiprom_version']}" if result.get("hiprom_version") else "the hiprom that saved it"
    measures = [NAMES[m] for m in changed]
    which = " and ".join([", ".join(measures[:-1]), measures[-1]] if len(measures) > 1 else measures)
    saved = {before for before, _ in changed.values()}
    said = (SAVED_VERDICT_WORDS[saved.pop()] if len(saved) == 1
            else ", ".join(f"{NAMES[m]} {SAVED_VERDICT_WORDS[before]}" for m, (before, _) in changed.items()))
    return (f"Left/right comparison of {which} worked out again with today's rule, which allows for the ± of "
            f"each side; {who} said: {said}.")


def _cannot_tell(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Why each verdict of ``result`` that cannot tell does not: a side's figure against its band ("could be
    as low as 28.9°", :func:`could_be_as_low`), a left/right difference against the threshold ("could be as
    much as 12.9°"); the page shows it under its "cannot tell". Only verdicts that cannot tell are given."""
    sides = result.get("sides") or {}
    out: dict[str, dict[str, Any]] = {"sides": {}, "asymmetry": {}}
    for side in SIDES:
        figures = sides.get(side) or {}
        for m in NAMES:
            value, unc = figures.get(f"{m}_deg"), figures.get(f"{m}_unc_deg")
            if figures.get(f"{m}_band") == "inconclusive" and value is not None and unc:
                out["sides"].setdefault(side, {})[m] = could_be_as_low(float(value), float(unc))
    asym = judged_asymmetry(result)
    for m, verdict in asymmetry_verdicts(asym).items():
        diff, unc = asym.get(f"{m}_deg"), asym.get(f"{m}_unc_deg")
        if verdict == "inconclusive" and diff is not None and unc:
            out["asymmetry"][m] = could_be_as_much(float(diff), float(unc))
    return out


def explain(result: dict[str, Any]) -> dict[str, Any]:
    """Every sentence of one ``hiprom.analysis/1`` result, for the page, PDF and exports.

    Returns ``{"asymmetry": {measure: sentence}, "overall": overall_asymmetry(result),
    "cannot_tell": {"sides": {side: {measure: why}}, "asymmetry": {measure: why}}`` (:func:`_cannot_tell`),
    "plus_minus": PLUS_MINUS, "within_mdc": within_mdc_sentence(result), "bands": {side: {direction: sentence}},
    "camera": [advice...], "camera_position": sentence or None, "not_measurable": advice,
    "notes": quality_notes(result)}``, ``not_measurable`` what to film differently when the result, or a
    side, could not be measured ("" when all was).
    """
    asym = judged_asymmetry(result)
    verdicts = asymmetry_verdicts(asym)
    threshold = float(asym.get("threshold_deg") or 10.0)
    norms = result.get("norms") or {}
    given = norms.get("bands") or {}
    bands = {d: tuple(given.get(d) or default) for d, default in (("internal", (30.0, 40.0)), ("external", (40.0, 60.0)))}
    sides = result.get("sides") or {}
    camera = result.get("camera") or {}
    return {
        "asymmetry": {
            m: asymmetry_sentence(m, verdicts.get(m), asym.get(f"{m}_deg"), threshold,
                                  neither=all((sides.get(s) or {}).get(f"{m}_deg") is None for s in SIDES),
                                  unc_deg=asym.get(f"{m}_unc_deg"))
            for m in NAMES
        },
        "overall": overall_asymmetry(result),
        "cannot_tell": _cannot_tell(result),
        "plus_minus": PLUS_MINUS,
        "within_mdc": within_mdc_sentence(result),
        "bands": {
            side: {d: band_sentence(side, d, _band(sides.get(side) or {}, d, bands[d]), bands[d],
                                    (sides.get(side) or {}).get(f"{d}_rotation_deg"),
                                    (sides.get(side) or {}).get(f"{d}_rotation_unc_deg"))
                   for d in ("internal", "external")}
            for side in SIDES
        },
        "camera": camera_advice(camera.get("yaw_deg"), camera.get("height_m"), camera.get("distance_m")),
        "camera_position": camera_sentence(camera),
        "not_measurable": not_measurable_advice(
            result.get("not_measurable_reason")
            or "; ".join(s["not_measurable"] for s in sides.values() if s and s.get("not_measurable"))
        ),
        "notes": quality_notes(result),
    }
