"""Path -> recording -> kinematics -> analysis result; used by cli, server and batch.

A ``.landmarks.npz`` recording is loaded; anything else is opened as a frame
source (video file or image folder) and tracked with the pose model. A
tracked recording is passed through the same float32 rounding as a saved
one, so a video and the recording saved from it give identical results.
OpenCV and MediaPipe are imported only when a video is tracked.
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hiprom import __version__
from hiprom.assessment import Catalogue, Exercise, Norms, load_norms
from hiprom.assessment.wording import note_sentence, picture_note
from hiprom.errors import InputError, NotMeasurableError
from hiprom.landmarks import SIDES
from hiprom.recording import LandmarkRecording, file_sha256
from hiprom.source import SourceSpec

if TYPE_CHECKING:
    from hiprom.kinematics import Kinematics

ANALYSIS_MODULES = ("hiprom.kinematics", "hiprom.assessment.result", "hiprom.assessment.reps")
"""The analysis stage (kernel, SciPy's filters, assessment): imported where it is
used, and while a video is tracked, in the background (see ``_preload``)."""

Progress = Callable[[int, int | None], None]
"""Called with the frames tracked so far and the total when the source knows it (video input only)."""


def is_recording(path: str | Path) -> bool:
    """True when ``path`` names a landmarks recording (the rule of ``hiprom.source``)."""
    return SourceSpec.parse(path).kind == "recording"


def as_saved(rec: LandmarkRecording) -> LandmarkRecording:
    """The recording exactly as ``save`` then ``load`` would return it (float32 landmarks)."""
    return dataclasses.replace(
        rec,
        image=rec.image.astype(np.float32).astype(np.float64),
        world=rec.world.astype(np.float32).astype(np.float64),
        n_people=np.asarray(rec.n_people).astype(np.int8).astype(np.int64),
    )


def load_or_track(
    path: str | Path,
    model: str | Path | None = None,
    mirrored: bool | None = None,
    progress: Progress | None = None,
) -> LandmarkRecording:
    """Load a ``.landmarks.npz`` recording, or track a video file / image folder.

    Args:
        path: the recording, video file or image folder.
        model: pose model variant or ``.task`` file (video only; see ``docs/models.md``).
        mirrored: override the recording's / video's mirrored flag; ``None`` keeps it.
        progress: called with the frames tracked so far and the total (``None`` when unknown).

    Raises:
        InputError: the path does not exist.
        RecordingError: a recording is unreadable or has wrong shapes.
        SourceError: a video cannot be opened or decoded.
        ModelError: the pose model cannot be found.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder; check the path")
    if is_recording(p):
        rec = LandmarkRecording.load(p)
    else:
        from hiprom.capture import open_source  # OpenCV: only for video input
        from hiprom.pose import PoseTracker, track  # MediaPipe: only for video input

        preload: threading.Thread | None = None

        def on_frame(done: int, total: int | None) -> None:
            nonlocal preload
            if preload is None:
                preload = _preload(ANALYSIS_MODULES)
            if progress is not None:
                progress(done, total)

        try:
            with open_source(p) as source, PoseTracker(model) as tracker:
                rec = tracked_from(as_saved(track(source, tracker, progress=on_frame, mirrored=bool(mirrored))), source)
        finally:
            if preload is not None:
                preload.join()  # no import is ever in flight in two threads
    if mirrored is not None and bool(mirrored) != bool(rec.mirrored):
        rec = dataclasses.replace(rec, mirrored=bool(mirrored))
    return rec


def _preload(modules: tuple[str, ...]) -> threading.Thread:
    """Start importing ``modules`` in a daemon thread.

    Started at the first tracked frame: from then on the main thread mostly
    waits on MediaPipe's native calls, so the analysis stage's imports (about
    0.3 s of a command's start-up otherwise) run on an idle core while the
    video is tracked. A failing import is left for the main thread's own
    import to report.
    """

    def run() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - reported by the main thread's own import
                return

    thread = threading.Thread(target=run, name="hiprom-preload", daemon=True)
    thread.start()
    return thread


def tracked_from(rec: LandmarkRecording, source: Any) -> LandmarkRecording:
    """``rec`` with what it owes the frame source it was tracked from: what the source noted while being
    read (e.g. a truncated video), and a video file's SHA-256 (``video_sha256``), which tells the recording
    from any other however often, and by whichever hiprom, it is analysed (``hiprom analyze`` and
    ``hiprom track`` alike; a camera or an image folder has none)."""
    notes = tuple(getattr(source, "notes", ()) or ())
    video = None if getattr(source, "is_live", False) else getattr(source, "path", None)
    fingerprint = file_sha256(video) if video is not None and Path(video).is_file() else rec.video_sha256
    return dataclasses.replace(rec, notes=rec.notes + notes, video_sha256=fingerprint)


def _seconds(rec: LandmarkRecording) -> np.ndarray:
    """Frame times in seconds from the first frame."""
    return (rec.t_ms - rec.t_ms[0]) / 1000.0 if rec.n_frames else np.zeros(0)


def kinematics_of(rec: LandmarkRecording) -> Kinematics:
    """The kernel over ``rec``: against its calibrated neutral when it carries one, else an estimated one.

    Raises ``NotMeasurableError`` when there is nothing to measure.
    """
    from hiprom.kinematics import measure
    from hiprom.kinematics.neutral import Neutral

    neutral = Neutral.from_dict(rec.neutral) if rec.neutral is not None else None
    return measure(rec, mirrored=rec.mirrored, reference=neutral)


LEAD_IN_MIN_S = 1.0
"""A recording's rest before the first rep must last this long to serve as the neutral (the live
count's: half its meter's 2 s window)."""


def _lead_in_kinematics(rec: LandmarkRecording, leg: int) -> Kinematics:
    """The kernel over ``rec`` against the neutral of its lead-in, as the live count takes it.

    The lead-in is the first still rest of the exercised ``leg`` (index into ``SIDES``), read against
    an uncalibrated neutral (:func:`hiprom.kinematics.neutral.first_rest`, the live guide's rest
    rule); the other leg adds to the neutral when it rests there too. A recording's own neutral (its
    most common pose) is the holds of a set of reps: rest read -24 deg and every peak 19 deg low.
    Raises InputError when no rest of ``LEAD_IN_MIN_S`` is seen.
    """
    from hiprom.kinematics import measure
    from hiprom.kinematics.neutral import REST_MAX_DEG, REST_STILL_DEG, Neutral, estimate_neutral, first_rest
    from hiprom.landmarks import mirror_landmarks

    raw = measure(rec, mirrored=rec.mirrored, reference=Neutral()).angle_deg
    t_s = rec.t_ms / 1000.0
    rest = first_rest(t_s, raw[:, leg], LEAD_IN_MIN_S)
    if rest is None:
        raise InputError(f"no rest of the {SIDES[leg]} leg in the recording ({LEAD_IN_MIN_S:g} s still, the shin "
                         "straight down), so rest cannot be told from a hold; film 3 s sitting still with that "
                         "shin hanging straight down before the first turn")
    start, end = rest
    other = raw[start:end, 1 - leg]
    rests = bool(np.all(np.isfinite(other) & (np.abs(other) <= REST_MAX_DEG)) and np.ptp(other) <= REST_STILL_DEG)
    legs = (0, 1) if rests else (leg,)
    image, world = rec.image[start:end], rec.world[start:end]
    if rec.mirrored:
        image, world = mirror_landmarks(image, world)
    neutral = estimate_neutral(image, world, rec.size_wh, legs=legs)
    return measure(rec, mirrored=rec.mirrored, reference=neutral)


def analyze_recording(
    rec: LandmarkRecording, norms: Norms | None = None, source: str | None = None,
    catalogue: Catalogue | None = None,
) -> dict[str, Any]:
    """The ``hiprom.analysis/1`` dict of a recording.

    Args:
        rec: the landmarks.
        norms: norm values; ``load_norms()`` (defaults or ``HIPROM_NORMS``) when ``None``.
        source: name to record as the source (the file analysed); the recording's own when ``None``.
            A saved recording (``.npz``) analysed under its own name keeps the name of what it was
            tracked from (the recording's ``source``: ``gt01.mp4``, ``browser camera``) as ``tracked_from``.
        catalogue: exercises to suggest from; ``load_catalogue()`` when ``None``.

    A recording with nothing to measure gives a result with ``measurable`` false
    and the reason, never an exception. A recording that carries a neutral
    calibrated live (``rec.neutral``) is measured against it. The result's
    ``recording_sha256`` is the recording's :attr:`~LandmarkRecording.fingerprint`.
    """
    from hiprom.assessment import assess, not_measurable
    from hiprom.assessment.result import duration_s, too_few_frames

    norms = norms if norms is not None else load_norms()
    name = source if source is not None else rec.source
    common: dict[str, Any] = {"source": name, "fps": rec.fps, "mirrored": rec.mirrored, "model": rec.model}
    t_s = _seconds(rec)
    reason = too_few_frames(rec.n_frames, norms.trials.min_frames, duration_s(t_s, rec.fps))
    if reason is not None:  # too short for the kernel's neutral estimate, let alone a trial
        return _of_recording(not_measurable(reason, t_s, norms, **common), rec)
    try:
        kin = kinematics_of(rec)
    except NotMeasurableError as exc:
        return _of_recording(not_measurable(str(exc), _seconds(rec), norms, **common), rec)
    return _of_recording(assess(kin, norms, catalogue=catalogue, **common), rec)


def _of_recording(result: dict[str, Any], rec: LandmarkRecording) -> dict[str, Any]:
    """The result with what it owes its recording: after ``source`` what it was tracked from when that is
    another name (:func:`origin_of`) and its fingerprint; the recording's
    notes (a truncated video...), then a small picture's, first among its quality notes, as sentences."""
    first = [note_sentence(n, result["source"]) for n in [*rec.notes, *filter(None, [picture_note(rec.size_wh)])]]
    if first:
        result["quality"]["notes"] = [*first, *result["quality"]["notes"]]
    out: dict[str, Any] = {}
    for key, value in result.items():
        out[key] = value
        if key == "source":
            if (origin := origin_of(value, rec)) is not None:
                out["tracked_from"] = origin
            out["recording_sha256"] = rec.fingerprint
        elif key == "model":
            out["model_sha256"] = rec.model_sha256
            out["software"] = analysis_software(rec)
            out["tracking"] = rec.tracking
    return out


def origin_of(source: str, rec: LandmarkRecording) -> str | None:
    """What a saved recording (``source``, a ``.npz`` file name) was tracked from, when it names another
    (``gt01.landmarks.npz`` of ``gt01.mp4``); ``None`` for a video, a camera, or a recording that does not say."""
    if not source.lower().endswith(".npz") or not rec.source or rec.source == source:
        return None
    return rec.source


def analysis_software(rec: LandmarkRecording) -> dict[str, str | None]:
    """What made an analysis of ``rec``: this hiprom, numpy and Python, which computed the figures, and
    the MediaPipe and OpenCV that tracked the landmarks (``None``: a recording that does not say)."""
    import platform

    tracked = rec.software or {}
    return {"hiprom": __version__, "numpy": np.__version__, "python": platform.python_version(),
            "mediapipe": tracked.get("mediapipe"), "opencv": tracked.get("opencv")}


def count_recording(
    rec: LandmarkRecording,
    exercise: Exercise,
    side: str,
    direction: str | None = None,
    dose: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Count and time the repetitions of a camera-followed exercise in a recording.

    Args:
        rec: landmarks of the person doing the exercise (seated, facing the camera).
        exercise: the catalogue entry; it must be ``camera_followed``.
        side: "left" or "right", the leg exercised.
        direction: the exercise's first target when ``None``.
        dose: ``{"hold_s", "reps", "sets"}`` to hold the reps against (the exercise's when ``None``).

    Returns:
        The ``hiprom.exercise/1`` record (:func:`hiprom.assessment.exercise_result`).

    Raises:
        InputError: the exercise is not one the camera can follow, or the side is unknown.
        NotMeasurableError: the recording holds nothing the kernel can measure.
    """
    from hiprom.assessment import exercise_result, find_reps

    if not exercise.camera_followed:
        raise InputError(f"{exercise.id}: the camera cannot follow this exercise; "
                         "choose a camera-followed one (see 'hiprom exercises')")
    if side not in SIDES:
        raise InputError(f"side must be one of {{left, right}}, but got {side!r}")
    direction = direction or exercise.targets[0]
    dose = dict(dose or exercise.dose.to_dict())
    col = SIDES.index(side)
    kin = kinematics_of(rec) if rec.neutral is not None else _lead_in_kinematics(rec, col)
    reps = find_reps(kin.t_s, kin.angle_deg[:, col], kin.flags[:, col], direction, float(dose.get("hold_s", 0)))
    return exercise_result(exercise.id, side, direction, reps, dose)


def analyze_path(
    path: str | Path,
    model: str | Path | None = None,
    mirrored: bool | None = None,
    norms: Norms | None = None,
    progress: Progress | None = None,
) -> tuple[LandmarkRecording, dict[str, Any]]:
    """Load or track ``path`` and analyse it: ``(recording, result)``.

    Same arguments and errors as :func:`load_or_track`; ``norms`` as in
    :func:`analyze_recording`. The result's ``source`` is the file name.
    """
    norms = norms if norms is not None else load_norms()  # a bad config fails before tracking
    rec = load_or_track(path, model=model, mirrored=mirrored, progress=progress)
    return rec, analyze_recording(rec, norms, source=Path(path).name)
