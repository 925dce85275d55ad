"""The frames of a guided test, from its calibration on, and the trials closed in them.

The guide's trials are found exactly as the final analysis will find them:
the frames so far are measured offline against the calibrated neutral
(``pipeline.kinematics_of``) and cut into trials by the incremental form of
the one held-trial detector (``assessment.trials.TrialTracker``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from hiprom.assessment import TrialSettings
from hiprom.assessment.result import FLAG_RULES
from hiprom.assessment.trials import Trial, TrialTracker
from hiprom.errors import HipromError
from hiprom.kinematics.neutral import Neutral
from hiprom.kinematics.smoothing import frames_per_second
from hiprom.landmarks import SIDES
from hiprom.pipeline import kinematics_of
from hiprom.recording import LandmarkRecording, TrackedBy


class GuidedRecorder:
    """Collects (t_ms, image (33, 4), world (33, 4), n_people) frames and finds closed trials.

    Args:
        settings: the trial settings of the norms in use.
        every_s: look for closed trials at most this often (stream time), since
            each look measures every frame collected so far.
        busy_share: looks take at most this share of the stream's time: a look
            costing c seconds of wall-clock time waits c / busy_share seconds of
            stream time for the next (a slow or loaded machine looks less often
            rather than drop frames). Stream time is wall time for a camera; a
            replay faster than real time gets the looks it would get in real time.
        window_s: each look measures the frames from this many seconds before
            the previous look on (plenty for a trial), or before where a movement
            still open began when that is earlier (its leg lost at the top for
            longer: the look must see where it began, as the analysis does), so
            its cost does not grow with the test.
    """

    def __init__(
        self, settings: TrialSettings, every_s: float = 0.5, busy_share: float = 0.25, window_s: float = 20.0
    ) -> None:
        self.settings = settings
        self.every_s = every_s
        self.window_s = window_s
        self.busy_share = busy_share
        self.clear()

    def clear(self) -> None:
        """Forget the frames, the neutral and the trials (a new test)."""
        self._frames: list[tuple[float, np.ndarray, np.ndarray, int]] = []
        self.neutral: Neutral | None = None
        self._trackers = {side: TrialTracker(side, self.settings, FLAG_RULES) for side in SIDES}
        self._last_look_ms = -np.inf
        self._next_look_ms = -np.inf

    def __len__(self) -> int:
        return len(self._frames)

    def add(self, t_ms: float, image: np.ndarray, world: np.ndarray, n_people: int) -> None:
        """Keep one frame (float32, as a saved recording keeps it)."""
        self._frames.append((float(t_ms), np.array(image, dtype=np.float32), np.array(world, dtype=np.float32), n_people))

    def calibrated(self, neutral: Neutral) -> None:
        """The neutral the guide's calibration took; the analysis is measured against it."""
        self.neutral = neutral

    def recording(
        self, size_wh: tuple[int, int], *, mirrored: bool, made_by: TrackedBy, source: str, first: int = 0
    ) -> LandmarkRecording:
        """The frames from ``first`` on as a recording (times from the test's first frame) carrying the neutral
        and what made its landmarks (``made_by``: model, its file's hash, libraries, how tracked).

        The frame rate is always the whole test's, so a part is smoothed as the whole is: its typical
        one (the median frame interval), which a gap without frames (this device's tab hidden) does not
        lower.
        """
        if not self._frames:
            raise HipromError("the guided test collected no frames to measure")
        t_ms = np.array([f[0] for f in self._frames])
        fps = frames_per_second(t_ms / 1000.0, 30.0)
        frames = self._frames[first:]
        return LandmarkRecording(
            t_ms=t_ms[first:] - t_ms[0],
            image=np.stack([f[1] for f in frames]),
            world=np.stack([f[2] for f in frames]),
            width=int(size_wh[0]),
            height=int(size_wh[1]),
            fps=fps,
            mirrored=mirrored,
            n_people=np.array([max(f[3], 0) for f in frames]),
            model=made_by.model,
            source=source,
            neutral=None if self.neutral is None else self.neutral.to_dict(),
            model_sha256=made_by.model_sha256,
            software=made_by.software,
            tracking=made_by.tracking,
        )

    def closed_trials(
        self, make_recording: Callable[[int], LandmarkRecording], side: str, *, final: bool = False
    ) -> list[Trial]:
        """Trials of ``side`` that closed since the last look (none while too few frames or too soon).

        ``make_recording(first)``: the frames from index ``first`` on, as :meth:`recording` gives them.
        ``final``: the stream has ended: look now, and close every trial still open.
        """
        if self.neutral is None or len(self._frames) < self.settings.min_frames:
            return []
        now = self._frames[-1][0]
        if now < self._next_look_ms and not final:
            return []
        # From window_s before the previous look: nothing that closed since then is missed; and before where
        # a movement still open began: it is seen whole, as the analysis sees it (TrialTracker.open_since_s).
        tracker = self._trackers[side]
        open_ms = np.inf if tracker.open_since_s is None else 1000.0 * tracker.open_since_s + self._frames[0][0]
        since_ms = min(now, self._last_look_ms, open_ms) - 1000.0 * self.window_s
        self._last_look_ms = now
        started = time.monotonic()
        first = int(np.searchsorted([f[0] for f in self._frames], since_ms))
        try:
            rec = make_recording(first)
            kin = kinematics_of(rec)
            # Times from the test's first frame, so trials of successive looks line up.
            t_s = kin.t_s + rec.t_ms[0] / 1000.0
            c = SIDES.index(side)
            return tracker.update(
                t_s, kin.angle_deg[:, c], kin.uncertainty_deg[:, c], kin.flags[:, c], kin.method[:, c], final=final
            )
        except HipromError:
            return []
        finally:
            cost_ms = 1000.0 * (time.monotonic() - started)
            self._next_look_ms = now + max(1000.0 * self.every_s, cost_ms / self.busy_share)
