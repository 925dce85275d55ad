"""Pictures of each side's held peaks with the tracked skeleton drawn, for the report.

For each side the frames of its internal and external rotation peaks (the
``*_peak_t_s`` of the analysis) are drawn side by side: the video frame when
the video is given, else a plain background, with the skeleton from the
landmark recording on top (the measured leg thick, in the side's colour).
The result is ``{"left": png_bytes, "right": png_bytes}``, the ``snapshots``
of :class:`hiprom.report.ReportData`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hiprom.landmarks import SIDES, Landmark
from hiprom.recording import LandmarkRecording
from hiprom.report.figures import fmt, number

L = Landmark
SIDE_RGB = {"left": (31, 95, 168), "right": (217, 72, 15)}
LEG = {  # hip-knee, knee-ankle, ankle-heel, heel-toe, ankle-toe of each side
    side: [(getattr(L, f"{s}_{a}"), getattr(L, f"{s}_{b}"))
           for a, b in (("HIP", "KNEE"), ("KNEE", "ANKLE"), ("ANKLE", "HEEL"), ("HEEL", "FOOT_INDEX"),
                        ("ANKLE", "FOOT_INDEX"))]
    for side, s in (("left", "LEFT"), ("right", "RIGHT"))
}
TRUNK = [(L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP),
         (L.LEFT_HIP, L.RIGHT_HIP)]
PANEL_HEIGHT = 360
"""Height in pixels of each drawn peak (about 300 dpi at the report's size)."""


def peak_frame_indices(analysis: dict[str, Any], t_ms: np.ndarray) -> dict[str, dict[str, int]]:
    """``{side: {"internal": frame index, "external": frame index}}`` of the peaks the analysis reports.

    Args:
        t_ms (np.ndarray): (n_frames,) frame times of the recording; the
            analysis's seconds count from its first frame.
    """
    t_s = (np.asarray(t_ms, dtype=float) - float(t_ms[0])) / 1000.0
    out: dict[str, dict[str, int]] = {}
    for side in SIDES:
        for direction in ("internal", "external"):
            when = number((analysis["sides"].get(side) or {}).get(f"{direction}_peak_t_s"))
            if when is not None:
                out.setdefault(side, {})[direction] = int(np.argmin(np.abs(t_s - when)))
    return out


def draw_peak(image_rgb: np.ndarray | None, landmarks: np.ndarray, size_wh: tuple[int, int], side: str,
              label: str) -> Image.Image:
    """One peak: the frame (or a plain background) cropped to the body, skeleton drawn, labelled.

    Args:
        image_rgb (np.ndarray | None): (h, w, 3) uint8 frame, or ``None`` without video.
        landmarks (np.ndarray): (33, 4) image landmarks, x and y normalised to the frame.
        size_wh: frame (width, height) in pixels.
    """
    w, h = size_wh
    if image_rgb is not None:
        base = Image.fromarray(image_rgb).convert("RGB")
    else:
        base = Image.new("RGB", (w, h), (58, 63, 70))
    if base.size != (w, h):
        base = base.resize((w, h))
    xy = landmarks[:, :2] * np.array([w, h], dtype=float)
    seen = np.isfinite(xy).all(axis=1)
    draw = ImageDraw.Draw(base)
    width = max(2, int(round(min(w, h) / 110)))
    for bones, colour, thick in ((TRUNK, (235, 235, 235), width), (LEG[_other(side)], (200, 200, 200), width),
                                 (LEG[side], SIDE_RGB[side], 2 * width)):
        for a, b in bones:
            if seen[a] and seen[b]:
                draw.line([tuple(xy[a]), tuple(xy[b])], fill=colour, width=thick)
    for i in {j for bones in (TRUNK, LEG["left"], LEG["right"]) for bone in bones for j in bone}:
        if seen[i]:
            r = width * 1.3
            draw.ellipse([xy[i][0] - r, xy[i][1] - r, xy[i][0] + r, xy[i][1] + r], fill=(255, 255, 255))
    panel = base.crop(_body_box(xy, seen, w, h))
    panel = panel.resize((max(1, round(panel.width * PANEL_HEIGHT / panel.height)), PANEL_HEIGHT))
    _label(panel, label, SIDE_RGB[side])
    return panel


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def _body_box(xy: np.ndarray, seen: np.ndarray, w: int, h: int) -> tuple[int, int, int, int]:
    """A box around the hips, legs and feet with a margin, or the whole frame."""
    legs = [int(i) for i in (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE,
                             L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)]
    pts = xy[[i for i in legs if seen[i]]]
    if len(pts) < 3:
        return (0, 0, w, h)
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    margin = 0.18 * max(x1 - x0, y1 - y0)
    box = (max(0, x0 - margin), max(0, y0 - margin), min(w, x1 + margin), min(h, y1 + margin))
    return tuple(int(round(v)) for v in box)  # type: ignore[return-value]


def _label(panel: Image.Image, text: str, colour: tuple[int, int, int]) -> None:
    draw = ImageDraw.Draw(panel)
    font = ImageFont.load_default(size=max(12, PANEL_HEIGHT // 16))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = 6
    draw.rectangle([0, 0, right - left + 2 * pad, bottom - top + 2 * pad], fill=colour)
    draw.text((pad - left, pad - top), text, fill=(255, 255, 255), font=font)


def peak_snapshots(analysis: dict[str, Any], recording: LandmarkRecording,
                   frames: Iterable[Any] | None = None) -> dict[str, bytes]:
    """PNG of each side's peaks (internal | external), skeleton drawn over the video when given.

    Args:
        analysis: the ``hiprom.analysis/1`` of ``recording``.
        recording: the landmarks the analysis was made from.
        frames: the video's frames (``hiprom.capture`` ``Frame`` objects with
            ``index`` and ``image``), read once up to the last peak; ``None``
            draws the skeleton on a plain background.
    """
    wanted = peak_frame_indices(analysis, recording.t_ms)
    needed = {i for per_side in wanted.values() for i in per_side.values()}
    images: dict[int, np.ndarray] = {}
    if frames is not None and needed:
        last = max(needed)
        for frame in frames:
            if frame.index in needed:
                images[frame.index] = frame.image
            if frame.index >= last:
                break
    out: dict[str, bytes] = {}
    for side, per_side in wanted.items():
        panels = []
        for direction, index in per_side.items():
            peak = (analysis["sides"][side] or {}).get(f"{direction}_rotation_deg")
            label = f"{side.capitalize()} {'IR' if direction == 'internal' else 'ER'} {fmt(peak)}°"
            panels.append(draw_peak(images.get(index), recording.image[index], recording.size_wh, side, label))
        out[side] = _png(_side_by_side(panels))
    return out


def _side_by_side(panels: list[Image.Image]) -> Image.Image:
    gap = 8
    sheet = Image.new("RGB", (sum(p.width for p in panels) + gap * (len(panels) - 1), PANEL_HEIGHT), (255, 255, 255))
    x = 0
    for p in panels:
        sheet.paste(p, (x, 0))
        x += p.width + gap
    return sheet


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=True)
    return buf.getvalue()
