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
from hiprom.landmarks import SIDES
from hiprom.pipeline import kinematics_of
from hiprom.recording import LandmarkRecording


class GuidedRecorder:
    """Collects (t_ms, image (33, 4), world (33, 4), n_people) frames and finds closed trials.

    Args:
        settings: the trial settings of the norms in use.
        every_s: look for closed trials at most this often (stream time), since
            each look measures every frame collected so far.
        busy_share: at most this share of the wall-clock time goes to looking
            (a slow or loaded machine looks less often rather than drop frames).
    """

    def __init__(self, settings: TrialSettings, every_s: float = 0.5, busy_share: float = 0.25) -> None:
        self.settings = settings
        self.every_s = every_s
        self.busy_share = busy_share
        self._next_look_wall = 0.0
        self.clear()

    def clear(self) -> None:
        """Forget the frames, the neutral and the trials (a new test)."""
        self._frames: list[tuple[float, np.ndarray, np.ndarray, int]] = []
        self.neutral: Neutral | None = None
        self._trackers = {side: TrialTracker(side, self.settings, FLAG_RULES) for side in SIDES}
        self._last_look_ms = -np.inf

    def __len__(self) -> int:
        return len(self._frames)

    def add(self, t_ms: float, image: np.ndarray, world: np.ndarray, n_people: int) -> None:
        """Keep one frame (float32, as a saved recording keeps it)."""
        self._frames.append((float(t_ms), np.array(image, dtype=np.float32), np.array(world, dtype=np.float32), n_people))

    def calibrated(self, neutral: Neutral) -> None:
        """The neutral the guide's calibration took; the analysis is measured against it."""
        self.neutral = neutral

    def recording(self, size_wh: tuple[int, int], *, mirrored: bool, model: str, source: str) -> LandmarkRecording:
        """The frames so far as a recording (times from its first frame) carrying the neutral."""
        if not self._frames:
            raise HipromError("the guided test collected no frames to measure")
        t_ms = np.array([f[0] for f in self._frames])
        duration_s = (t_ms[-1] - t_ms[0]) / 1000.0
        fps = (len(self._frames) - 1) / duration_s if duration_s > 0 else 30.0
        return LandmarkRecording(
            t_ms=t_ms - t_ms[0],
            image=np.stack([f[1] for f in self._frames]),
            world=np.stack([f[2] for f in self._frames]),
            width=int(size_wh[0]),
            height=int(size_wh[1]),
            fps=fps,
            mirrored=mirrored,
            n_people=np.array([max(f[3], 0) for f in self._frames]),
            model=model,
            source=source,
            neutral=None if self.neutral is None else self.neutral.to_dict(),
        )

    def closed_trials(self, make_recording: Callable[[], LandmarkRecording], side: str) -> list[Trial]:
        """Trials of ``side`` that closed since the last look (none while too few frames or too soon)."""
        if self.neutral is None or len(self._frames) < self.settings.min_frames:
            return []
        now = self._frames[-1][0]
        if now - self._last_look_ms < 1000.0 * self.every_s or time.monotonic() < self._next_look_wall:
            return []
        self._last_look_ms = now
        started = time.monotonic()
        try:
            kin = kinematics_of(make_recording())
        except HipromError:
            return []
        finally:
            cost = time.monotonic() - started
            self._next_look_wall = started + cost / self.busy_share
        c = SIDES.index(side)
        return self._trackers[side].update(
            kin.t_s, kin.angle_deg[:, c], kin.uncertainty_deg[:, c], kin.flags[:, c], kin.method[:, c]
        )
