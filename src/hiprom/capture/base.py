"""The frame-source interface: ``Frame`` and the abstract ``FrameSource``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One picture from a source.

    Attributes:
        image (np.ndarray): (h, w, 3) uint8, RGB channel order.
        t_ms (float): source timestamp in milliseconds; strictly increasing
            within one source (file timestamps, or a monotonic clock for cameras).
        index (int): 0-based frame number within the source.
    """

    image: np.ndarray
    t_ms: float
    index: int

    def __post_init__(self) -> None:
        img = self.image
        if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            shape = getattr(img, "shape", None)
            dtype = getattr(img, "dtype", type(img).__name__)
            raise ValueError(f"image must be a uint8 np.ndarray with shape (h, w, 3), but got shape {shape} and dtype {dtype}")

    @property
    def size_wh(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return (int(self.image.shape[1]), int(self.image.shape[0]))


class FrameSource(ABC):
    """A context manager and iterator of ``Frame`` s.

    Attributes:
        fps (float): nominal frame rate (frames per second).
        size_wh (tuple[int, int]): (width, height) of every frame, in pixels.
        n_frames (int | None): number of frames if the source knows it (an
            estimate for video files), ``None`` for cameras.
        n_frames_exact (bool): ``n_frames`` is a count, not an estimate: the images of a
            folder, or a video container's frame index (MP4/MOV, AVI), where Matroska/WebM
            and MPEG streams announce duration x fps, overstated by a sound track that runs
            on after the picture. Only an exact count is a progress bar's total.
        name (str): what to call the source in messages and recordings (a
            file or folder name, or ``camera 0``); never a full path.
        is_live (bool): True for cameras (frames arrive in real time).
        notes (list[str]): what the source found wrong while it was read, in
            plain words (e.g. a video that ends before the frames it
            announces); carried into the recording and the analysis.
    """

    fps: float
    size_wh: tuple[int, int]
    n_frames: int | None
    n_frames_exact: bool = False
    name: str
    is_live: bool = False
    notes: list[str]

    @abstractmethod
    def read(self) -> Frame | None:
        """The next frame, or ``None`` at the end of the source."""

    @abstractmethod
    def close(self) -> None:
        """Release the file or device; safe to call more than once."""

    def __iter__(self) -> Iterator[Frame]:
        return self

    def __next__(self) -> Frame:
        frame = self.read()
        if frame is None:
            raise StopIteration
        return frame

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        w, h = self.size_wh
        return f"{type(self).__name__}({self.name!r}, {w}x{h}, {self.fps:g} fps)"


def next_timestamp_ms(candidate_ms: float | None, previous_ms: float | None, step_ms: float) -> float:
    """A timestamp that is never earlier than, or equal to, the previous one.

    ``candidate_ms`` is what the source says (``None`` or NaN when it says
    nothing usable). When it is missing, negative or not after
    ``previous_ms``, the frame is placed one nominal frame step
    (``step_ms = 1000 / fps``) after the previous one instead.
    """
    usable = candidate_ms is not None and np.isfinite(candidate_ms) and candidate_ms >= 0.0
    if previous_ms is None:
        return float(candidate_ms) if usable else 0.0  # type: ignore[arg-type]
    if usable and candidate_ms > previous_ms:  # type: ignore[operator]
        return float(candidate_ms)  # type: ignore[arg-type]
    return previous_ms + step_ms
