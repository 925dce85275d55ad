"""One subject's live chain: pose (for pictures) -> LiveMeter -> guide -> message.

``LiveProcessor`` is used by the server's own source (one instance, in the
worker thread) and by each browser-camera connection (one instance each).
It is synchronous and single-threaded by design: MediaPipe graphs must be fed
from one thread, in time order.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hiprom.assessment import assess, load_norms
from hiprom.errors import HipromError, NotMeasurableError
from hiprom.kinematics import COMPENSATION, METHODS, LiveMeter, flag_names, measure
from hiprom.landmarks import LEFT_RIGHT_SWAP, SIDES
from hiprom.recording import LandmarkRecording
from hiprom.server.guide import Guide, GuideConfig, GuideInput

log = logging.getLogger("hiprom.server")


@dataclass(frozen=True)
class Status:
    """What the page shows in its status line.

    Attributes:
        code: machine-readable (``ok``, ``no_person``, ``camera_missing``, ``source_ended``...).
        level: ``ok``, ``info``, ``warn`` or ``error``.
        text: one plain sentence for the user.
    """

    code: str
    level: str
    text: str

    def as_dict(self) -> dict:
        return {"code": self.code, "level": self.level, "text": self.text}


class ResultRegistry:
    """Finished guided tests kept in memory (newest ``capacity``) until saved."""

    def __init__(self, capacity: int = 32) -> None:
        self._items: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()
        self._capacity = capacity

    def add(self, analysis: dict) -> str:
        rid = secrets.token_hex(8)
        with self._lock:
            self._items[rid] = analysis
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return rid

    def get(self, rid: str) -> dict | None:
        with self._lock:
            return self._items.get(rid)


def _round(x: float, nd: int = 1) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd) + 0.0  # + 0.0: no "-0.0"


def summarize(analysis: dict, result_id: str) -> dict:
    """The part of an analysis (``hiprom.analysis/1``) the results table needs."""
    sides = {}
    for side in SIDES:
        s = analysis.get("sides", {}).get(side, {}) or {}
        sides[side] = {
            k: s.get(k)
            for k in (
                "internal_rotation_deg", "internal_rotation_unc_deg", "internal_rotation_pct_norm", "internal_trials",
                "external_rotation_deg", "external_rotation_unc_deg", "external_rotation_pct_norm", "external_trials",
                "total_arc_deg", "total_arc_unc_deg", "total_arc_pct_norm", "not_measurable",
            )
        }
    return {
        "result_id": result_id,
        "norm_deg": analysis.get("norm_deg"),
        "norms": {k: (analysis.get("norms") or {}).get(k) for k in ("asymmetry_threshold_deg", "mdc_deg", "bands")},
        "measurable": analysis.get("measurable"),
        "not_measurable_reason": analysis.get("not_measurable_reason"),
        "sides": sides,
        "asymmetry": analysis.get("asymmetry"),
        "notes": (analysis.get("quality") or {}).get("notes", []),
        "trials": [
            {k: t.get(k) for k in ("side", "direction", "peak_deg", "valid", "flags")} for t in analysis.get("trials", [])
        ],
    }


class LiveProcessor:
    """Pose -> LiveMeter -> guide for one subject, one frame at a time.

    Args:
        source_label: file name or camera shown with results (never a full path).
        mirrored: the pictures (or landmarks) are left-right flipped.
        tracker_factory: builds a ``PoseTracker`` on first use of a picture;
            None when only landmarks are fed (recordings).
        guide_config: timings of the guided test.
        results: where finished tests are kept for saving.
        model_name: recorded with the analysis.
    """

    def __init__(
        self,
        source_label: str,
        mirrored: bool = False,
        tracker_factory: Callable[[], object] | None = None,
        guide_config: GuideConfig = GuideConfig(),
        results: ResultRegistry | None = None,
        model_name: str = "",
    ) -> None:
        self.meter = LiveMeter()
        self.source_label = source_label
        self.mirrored = mirrored
        self._tracker_factory = tracker_factory
        self._tracker = None
        self.results = results if results is not None else ResultRegistry()
        self.model_name = model_name
        self.guide = Guide(guide_config, calibrate=self._calibrate, compensation_flags=frozenset(flag_names(int(COMPENSATION))))
        self._frames: list[tuple[float, np.ndarray, np.ndarray, int]] = []
        self._size_wh: tuple[int, int] = (640, 480)
        self.seq = 0
        self._last_t_s: float | None = None
        self.fps = 0.0

    # -- lifecycle ---------------------------------------------------------
    def close(self) -> None:
        """Release the pose model."""
        tracker, self._tracker = self._tracker, None
        if tracker is not None:
            try:
                tracker.close()
            except Exception:  # noqa: BLE001 - closing must never raise into the server
                log.debug("closing the pose tracker failed", exc_info=True)

    def reset_meter(self) -> None:
        """Forget smoothing and calibration."""
        self.meter = LiveMeter()

    def new_stream(self) -> None:
        """A new pass of the source (loop, rewind, camera back): fresh tracking.

        The pose model's frame-to-frame tracking is restarted; the meter too,
        unless a guided test is under way (its calibration must survive).
        """
        if self._tracker is not None:
            self._tracker.restart()
        if not self.guide.active:
            self.reset_meter()

    def _calibrate(self) -> None:
        self.meter.calibrate()

    def _ensure_tracker(self):
        if self._tracker is None:
            if self._tracker_factory is None:
                raise HipromError("this source has no pose model: it can only replay landmarks")
            self._tracker = self._tracker_factory()
            self.model_name = getattr(self._tracker, "model_name", self.model_name)
        return self._tracker

    def warm_up(self) -> None:
        """Load the pose model now (raises ``ModelError`` if it cannot be had)."""
        self._ensure_tracker()

    # -- one frame ---------------------------------------------------------
    def pose(self, image_rgb: np.ndarray, t_ms: float) -> tuple[np.ndarray, np.ndarray, int]:
        """Run the pose model: (image (33, 4), world (33, 4), n_people)."""
        result = self._ensure_tracker().process(image_rgb, t_ms)
        return np.asarray(result.image, dtype=float), np.asarray(result.world, dtype=float), int(result.n_people)

    def process(
        self,
        t_ms: float,
        image: np.ndarray,
        world: np.ndarray,
        size_wh: tuple[int, int],
        n_people: int = -1,
    ) -> dict:
        """Measure one frame of landmarks and advance the guide; returns the message dict."""
        self._size_wh = (int(size_wh[0]), int(size_wh[1]))
        reading = self.meter.update(
            t_ms, image, world, self._size_wh, mirrored=self.mirrored, n_people=n_people if n_people >= 0 else None
        )
        angle = np.asarray(reading.angle_deg, dtype=float).reshape(2)
        unc = np.asarray(reading.uncertainty_deg, dtype=float).reshape(2)
        bits = np.asarray(reading.flags).reshape(2)
        flags = tuple(flag_names(int(b)) for b in bits)
        methods = _method_names(reading.method)
        person = bool(np.isfinite(image[:, 0]).any())
        if n_people < 0:
            n_people = int(person)

        if self.guide.active:
            self._frames.append((t_ms, np.array(image, dtype=np.float32), np.array(world, dtype=np.float32), n_people))
        elif self.guide.phase in ("idle", "setup"):
            self._frames.clear()
        self.guide.update(GuideInput(t_ms=t_ms, angle_deg=angle, flags=flags, image=image, size_wh=self._size_wh, n_people=n_people))
        if self.guide.wants_analysis:
            self._finish_test()

        t_s = t_ms / 1000.0
        if self._last_t_s is not None and t_s > self._last_t_s:
            inst = 1.0 / (t_s - self._last_t_s)
            self.fps = inst if self.fps == 0 else 0.9 * self.fps + 0.1 * inst
        self._last_t_s = t_s
        self.seq += 1
        sides = {
            side: {
                "angle_deg": _round(angle[i]),
                "uncertainty_deg": _round(unc[i]),
                "flags": flags[i],
                "method": methods[i],
            }
            for i, side in enumerate(SIDES)
        }
        lm = None
        if person:
            # Positions as in the picture, labels as the subject's own sides.
            shown = image[LEFT_RIGHT_SWAP] if self.mirrored else image
            xyv = np.round(shown[:, [0, 1, 3]], 4)
            lm = [[None if not np.isfinite(v) else float(v) for v in row] for row in xyv]
        return {
            "type": "frame",
            "seq": self.seq,
            "t_ms": round(float(t_ms), 1),
            "sides": sides,
            "quality": {
                "person": person,
                "n_people": n_people,
                "measurable": {side: sides[side]["angle_deg"] is not None for side in SIDES},
                "calibrated": bool(reading.calibrated),
            },
            "state": self.guide.state(),
            "status": frame_status(person, n_people, flags, angle).as_dict(),
            "landmarks": lm,
            "size_wh": list(self._size_wh),
        }

    def _finish_test(self) -> None:
        """Run the assessment over the frames of the guided test."""
        frames, self._frames = self._frames, []
        try:
            analysis = self.analyze(frames)
        except HipromError as exc:
            self.guide.set_results(None, error=str(exc))
            return
        except Exception:  # noqa: BLE001 - a bug must not take the live loop down
            log.exception("assessing the guided test failed")
            self.guide.set_results(None, error="The analysis failed because of an internal error; see the server log.")
            return
        rid = self.results.add(analysis)
        self.guide.set_results(summarize(analysis, rid))

    def analyze(self, frames: list[tuple[float, np.ndarray, np.ndarray, int]]) -> dict:
        """Assess collected frames with the same kernel as ``hiprom analyze``."""
        if len(frames) < 3:
            raise NotMeasurableError("the guided test collected too few frames to measure")
        t_ms = np.array([f[0] for f in frames])
        duration_s = (t_ms[-1] - t_ms[0]) / 1000.0
        fps = (len(frames) - 1) / duration_s if duration_s > 0 else 30.0
        rec = LandmarkRecording(
            t_ms=t_ms - t_ms[0],
            image=np.stack([f[1] for f in frames]),
            world=np.stack([f[2] for f in frames]),
            width=self._size_wh[0],
            height=self._size_wh[1],
            fps=fps,
            mirrored=self.mirrored,
            n_people=np.array([max(f[3], 0) for f in frames]),
            model=self.model_name,
            source=self.source_label,
        )
        kin = measure(rec, mirrored=self.mirrored)
        analysis = assess(
            kin, load_norms(), source=self.source_label, fps=fps, mirrored=self.mirrored, model=self.model_name
        )
        return analysis

    def command(self, action: str) -> bool:
        """Apply a guide command; True when it (re)started the test (smoothing is reset)."""
        before = self.guide.version
        was = self.guide.phase
        self.guide.command(action)
        restarted = self.guide.phase == "setup" and was in ("idle", "results", "cancelled") and self.guide.version != before
        if restarted:
            self.reset_meter()
            self._frames.clear()
        return restarted


def _method_names(method: np.ndarray) -> tuple[str, str]:
    """``LiveReading.method`` (int8 indices into ``METHODS``) as names."""
    return tuple(METHODS[int(v)] for v in np.asarray(method).reshape(2))  # type: ignore[return-value]


def frame_status(person: bool, n_people: int, flags: tuple[list[str], list[str]], angle: np.ndarray) -> Status:
    """One clear sentence about the current frame."""
    if not person:
        return Status("no_person", "warn", "No one in view: sit facing the camera with both knees and feet in the picture.")
    if n_people > 1:
        return Status("multiple_people", "warn", "More than one person in view: measuring the most central one.")
    missing = [side for side, a in zip(SIDES, angle) if not np.isfinite(a)]
    if len(missing) == 2:
        return Status("legs_not_measurable", "warn", "Legs not measurable: keep both knees and feet in the picture.")
    if missing:
        why = ", ".join(f.replace("_", " ") for f in flags[SIDES.index(missing[0])]) or "not visible"
        return Status("leg_not_measurable", "warn", f"{missing[0].capitalize()} leg not measurable ({why}).")
    return Status("ok", "ok", "Measuring both legs.")


