"""``pose_input``: the picture the pose model sees, made from a camera or video frame.

Every path (``hiprom analyze``, batch, the live page) hands its frames to
``PoseTracker.process``, which passes them through here first, so they all
see the same picture.

A small frame (shorter side under ``SMALL_SIDE_PX``, e.g. 320x240) is
smoothed with an edge-preserving bilateral filter: a low-resolution camera
or a strongly compressed stream adds pixel noise and 8x8 JPEG block steps,
while a shin or a foot is only a few pixels wide; the filter smooths the small
steps and keeps the body's outlines. On the rendered clips at 320x240 (plain, and JPEG quality 15,
25 and 40: 16 runs) the held peaks' mean error went 3.3 -> 2.2 deg on the three
textured bodies (48 peaks; worst 16.8 -> 15.4) and stayed 3.4 -> 3.5 on the
untextured grey figure (``docs/accuracy.md``). Larger frames are passed as they are.
Landmarks are normalised to the frame, so nothing downstream changes.
"""

from __future__ import annotations

import numpy as np

SMALL_SIDE_PX = 480
"""Frames whose shorter side is under this many pixels are smoothed; 640x480 and larger are not."""
BILATERAL_DIAMETER_PX = 5
"""Neighbourhood of the filter (pixels): one JPEG block edge and its neighbours at 320x240."""
BILATERAL_SIGMA_COLOR = 20.0
"""Grey-level differences well below this are smoothed, larger ones (body outlines) kept: JPEG errors at
quality 25 are 90 % under 4 and 99 % under 16 grey levels (gt10 at 320x240). Stronger filters (30, 50)
helped the textured bodies as much (2.0, 2.1 deg) but not the grey figure (5.2, 4.7 deg)."""
BILATERAL_SIGMA_SPACE_PX = 3.0
"""Spatial reach of the smoothing (pixels), within the diameter above."""


def pose_input(image_rgb: np.ndarray) -> np.ndarray:
    """The frame as the pose model should see it: (h, w, 3) uint8 RGB in, same shape out.

    Frames with a shorter side under ``SMALL_SIDE_PX`` are bilateral-filtered
    (see the module docstring); others are returned as they are (no copy).
    """
    if min(image_rgb.shape[:2]) >= SMALL_SIDE_PX:
        return image_rgb
    import cv2  # OpenCV: only when a pose tracker runs, like MediaPipe

    return cv2.bilateralFilter(image_rgb, BILATERAL_DIAMETER_PX, BILATERAL_SIGMA_COLOR, BILATERAL_SIGMA_SPACE_PX)
