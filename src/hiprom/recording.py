"""Landmark recordings: pose tracks saved without the video (``.landmarks.npz``).

A recording lets a clinic keep movement data without keeping video, and lets
an analysis be re-run with no model. The format is documented in
``docs/formats.md``; ``FORMAT`` names its version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hiprom import __version__
from hiprom.atomic import atomic_write
from hiprom.errors import InputError, RecordingError, empty_file
from hiprom.landmarks import check_landmarks

FORMAT = "hiprom.landmarks/1"
FIELDS = ("t_ms", "image", "world", "width", "height", "fps")
"""The arrays every recording holds (the others are optional)."""
SUFFIX = ".landmarks.npz"
ONE_PASS = "one pass"
"""A video tracked frame after frame by one tracker (a batch's, a short video's, a camera's)."""
TWO_HALVES = "two halves"
"""A long video tracked as two halves at once (``hiprom analyze`` and ``track``: ``hiprom.pose.split``)."""
TRACKINGS = (ONE_PASS, TWO_HALVES)


@dataclass(frozen=True)
class TrackedBy:
    """What made a recording's landmarks: the fields a :class:`LandmarkRecording` names them with.

    The live page keeps one for the frames it measures (its tracker's, or a replayed recording's own),
    so a session measured live names its model file and libraries as an analysed video does.
    """

    model: str = ""
    model_sha256: str | None = None
    software: dict[str, str] | None = None
    tracking: str | None = None

    @classmethod
    def of(cls, rec: "LandmarkRecording") -> "TrackedBy":
        """What made ``rec``'s landmarks, as it says (a replayed recording keeps its own)."""
        return cls(rec.model, rec.model_sha256, rec.software, rec.tracking)


@dataclass(frozen=True)
class LandmarkRecording:
    """Pose landmarks of every frame of one source.

    Attributes:
        t_ms (np.ndarray): (n_frames,) float64, frame time in milliseconds from the
            source (file timestamps, or a monotonic clock for cameras), increasing.
        image (np.ndarray): (n_frames, 33, 4), x and y normalised to the frame,
            z relative, visibility 0-1; NaN rows where no person was found.
        world (np.ndarray): (n_frames, 33, 4), metres from the hip midpoint
            (x right, y down, z away from camera), visibility 0-1; NaN likewise.
        width, height (int): frame size in pixels.
        fps (float): nominal frame rate of the source.
        mirrored (bool): True when the picture is left-right flipped (selfie view).
        n_people (np.ndarray): (n_frames,) int, people the model saw in each frame.
        model (str): pose model variant or file name that made the landmarks.
        source (str): where the frames came from (file name or camera).
        hiprom_version (str): version that wrote the recording.
        neutral (dict | None): the neutral calibrated live (``Neutral.to_dict()``: plain
            numbers and lists); when given, the analysis uses it instead of estimating one.
        notes (tuple[str, ...]): what was wrong with the source (e.g. a
            truncated video), in plain words; copied into the analysis.
        video_sha256 (str | None): SHA-256 (hex) of the bytes of the video file
            the landmarks were tracked from; ``None`` for a camera, an image
            folder, or a recording saved before hiprom kept it.
        model_sha256 (str | None): SHA-256 (hex) of the pose model file that made the
            landmarks; ``None`` for the synthetic demo, or a recording saved before hiprom kept it.
        software (dict[str, str] | None): versions of what tracked the landmarks
            (``{"mediapipe": "0.10.14", "opencv": "4.11.0"}``); ``None`` likewise.
        tracking (str | None): how a video was tracked, :data:`ONE_PASS` or :data:`TWO_HALVES`
            (``hiprom.pose.split``: the two differ by MediaPipe's tracking noise); ``None`` likewise.
    """

    t_ms: np.ndarray
    image: np.ndarray
    world: np.ndarray
    width: int
    height: int
    fps: float
    mirrored: bool = False
    n_people: np.ndarray | None = None
    model: str = ""
    source: str = ""
    hiprom_version: str = field(default=__version__)
    neutral: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    video_sha256: str | None = None
    model_sha256: str | None = None
    software: dict[str, str] | None = None
    tracking: str | None = None

    def __post_init__(self) -> None:
        t = np.asarray(self.t_ms, dtype=np.float64)
        if t.ndim != 1:
            raise ValueError(f"t_ms must be an array of shape (n_frames,), but got shape {t.shape}")
        n = t.shape[0]
        object.__setattr__(self, "t_ms", t)
        object.__setattr__(self, "image", check_landmarks(self.image, "image", n))
        object.__setattr__(self, "world", check_landmarks(self.world, "world", n))
        people = (
            np.asarray(self.n_people, dtype=np.int64)
            if self.n_people is not None
            else (~np.isnan(self.image[:, 0, 0])).astype(np.int64)
        )
        if people.shape != (n,):
            raise ValueError(f"n_people must have shape ({n},), but got shape {people.shape}")
        object.__setattr__(self, "n_people", people)
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"width and height must be positive, but got {self.width}x{self.height}")
        if not np.all(np.isfinite(t)):
            raise ValueError("frame times (t_ms) are not valid: some are not finite numbers")
        if n > 1 and np.any(np.diff(t) <= 0):
            raise ValueError("t_ms must be strictly increasing")

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.t_ms.shape[0])

    def check_made_from(self, analysis: dict[str, Any]) -> None:
        """Raise ``InputError`` unless ``analysis`` (its ``frames``) could have been made from these landmarks.

        A recording kept beside a session draws the report's peak pictures at
        the analysis's peak times: another recording's frames would be the wrong ones.
        """
        frames = analysis.get("frames")
        if isinstance(frames, int) and frames != self.n_frames:
            raise InputError(f"landmarks have {self.n_frames} frames but the analysis has {frames}; "
                             "give the recording the analysis was made from")

    @property
    def fingerprint(self) -> str:
        """What tells this recording from any other (SHA-256, hex): of its video file when it was tracked
        from one, else of its landmarks as saved (frame times, float32 image and world landmarks).

        Two analyses of one recording (the same video analysed again, by a newer hiprom too, or its
        saved ``.landmarks.npz``) share it; two tests of a person, however alike, never do.
        """
        if self.video_sha256:
            return self.video_sha256
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.t_ms, dtype=np.float64))
        block = 4096  # frames converted at a time: whole float32 copies of an hour's landmarks took 0.17 GB
        for array in (self.image, self.world):
            for start in range(0, array.shape[0], block):
                digest.update(np.ascontiguousarray(array[start : start + block], dtype=np.float32))
        return digest.hexdigest()

    @property
    def size_wh(self) -> tuple[int, int]:
        """Frame (width, height) in pixels."""
        return (int(self.width), int(self.height))

    def save(self, path: str | Path) -> Path:
        """Write the recording as a compressed npz, atomically; returns the path."""
        target = Path(path)
        with atomic_write(target) as fh:
            np.savez_compressed(
                fh,
                format=np.array(FORMAT),
                t_ms=self.t_ms,
                image=self.image.astype(np.float32),
                world=self.world.astype(np.float32),
                width=np.array(self.width),
                height=np.array(self.height),
                fps=np.array(float(self.fps)),
                mirrored=np.array(bool(self.mirrored)),
                n_people=self.n_people.astype(np.int8),
                model=np.array(self.model),
                source=np.array(self.source),
                hiprom_version=np.array(self.hiprom_version),
                **({} if self.neutral is None else {"neutral": np.array(json.dumps(self.neutral))}),
                notes=np.array(self.notes, dtype=str),
                **({} if self.video_sha256 is None else {"video_sha256": np.array(self.video_sha256)}),
                **({} if self.model_sha256 is None else {"model_sha256": np.array(self.model_sha256)}),
                **({} if self.software is None else {"software": np.array(json.dumps(self.software))}),
                **({} if self.tracking is None else {"tracking": np.array(self.tracking)}),
            )
        return target

    @classmethod
    def load(cls, path: str | Path) -> "LandmarkRecording":
        """Read a recording, with a one-line ``RecordingError`` for any defect."""
        p = Path(path)
        if not p.is_file():
            raise RecordingError(f"{p}: no such file; check the path")
        with contextlib.suppress(OSError):  # an unreadable file is said below
            if p.stat().st_size == 0:
                raise RecordingError(f"{empty_file(p, 'a landmarks recording')}; make it again with 'hiprom track'")
        try:
            with np.load(p, allow_pickle=False) as data:
                fields = {k: _field(data, k) for k in data.files}
        except OSError as exc:
            raise RecordingError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
        except (ValueError, zipfile.BadZipFile, EOFError):  # numpy's text would suggest loading it unsafely
            raise RecordingError(f"{p}: not a readable landmarks recording (not an .npz archive, or damaged); "
                                 "make it again with 'hiprom track'") from None
        missing = [k for k in FIELDS if k not in fields]
        if missing:
            raise RecordingError(f"{p}: not a hiprom landmarks recording, missing {', '.join(missing)}")
        try:
            fps = float(fields["fps"])
            if not (np.isfinite(fps) and fps > 0):  # an analysis would carry it as a non-JSON number
                raise ValueError(f"the frame rate ({fps:g}) is not valid: it must be a positive number of frames "
                                 "per second")
            return cls(
                t_ms=fields["t_ms"],
                image=fields["image"],
                world=fields["world"],
                width=int(fields["width"]),
                height=int(fields["height"]),
                fps=fps,
                mirrored=bool(fields.get("mirrored", False)),
                n_people=fields.get("n_people"),
                model=str(fields.get("model", "")),
                source=str(fields.get("source", p.name)),
                hiprom_version=str(fields.get("hiprom_version", "")),
                neutral=json.loads(str(fields["neutral"])) if "neutral" in fields else None,
                notes=tuple(str(n) for n in fields.get("notes", ())),
                video_sha256=str(fields["video_sha256"]) if "video_sha256" in fields else None,
                model_sha256=str(fields["model_sha256"]) if "model_sha256" in fields else None,
                software=_software(fields["software"]) if "software" in fields else None,
                tracking=_tracking(fields["tracking"]) if "tracking" in fields else None,
            )
        except (ValueError, TypeError) as exc:
            raise RecordingError(f"{p}: {exc}; it cannot be analysed (make it again with 'hiprom track')") from None


def _field(data: Any, key: str) -> np.ndarray:
    """One array of an opened ``.npz``; the float32 landmarks as the float64 a recording holds, converted as
    each is read so that both float32 arrays are never held beside both float64 ones (an hour: 0.11 GB)."""
    value = data[key]
    return value.astype(np.float64) if key in ("image", "world") and value.dtype == np.float32 else value


def _tracking(stored: np.ndarray) -> str:
    """The ``tracking`` entry of a recording: :data:`ONE_PASS` or :data:`TWO_HALVES`."""
    value = str(stored)
    if value not in TRACKINGS:
        raise ValueError(f"its tracking ({value[:40]!r}) is not {' or '.join(map(repr, TRACKINGS))}")
    return value


def _software(stored: np.ndarray) -> dict[str, str]:
    """The ``software`` entry of a recording: a JSON object of names and version strings."""
    versions = json.loads(str(stored))
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise ValueError("its software versions are not valid (a JSON object of version texts)")
    return {str(k): v for k, v in versions.items()}


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes: a video's :attr:`LandmarkRecording.video_sha256`."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_recording(path: str | Path) -> bool:
    """True when ``path`` is an ``.npz`` archive holding a recording's arrays (:data:`FIELDS`),
    told from its list of members alone; ``False`` for anything else or a file that cannot be read."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return False
    return all(f"{name}.npy" in members for name in FIELDS)
