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

``equalized`` is the picture for the tracker's *still reads* only (a second
reading of a frame whose knees are poorly seen, see ``tracker``): its
brightness spread over the whole range, so that the shading of an untextured
leg against a background of nearly its grey stands out. No constant to choose.
Measured on the grey figure (gt06) at 10 fps, still reads of the frame as it is
against equalized: missing peaks 1 -> 0 over its 10 runs of the benchmark
(the one miss: the camera farther away) and 2 -> 0 over 10 combined variants
(blurred and farther away), the other peaks within 0.5 deg of before but for
three (0.8-1.5 deg); the textured clips never need a still read. Fed to the
model on every frame instead, it made the held peaks worse on every clip (MAE
1.10 -> 2.83 deg over 44 runs; CLAHE 1.66): MediaPipe reads natural pictures best.

``smoothed_equalized`` is the picture for the *lost reads* only (a frame of a slow source in which the
tracker found nobody who could be the subject, read alone): its noise smoothed, then equalized. The grey
figure in low light (gt06 ``lowlight``: half the light, sensor noise of 10 grey levels, JPEG 50) was found
in 30 % of its frames and lost all four peaks. Read alone, each of its 137 frames (landmarks against the
plain clip's on the same frame, knees / ankles, median px at 640x480): as it is, found in 27 %, 35 / 85
px; equalized, 99 %, but the knees 32 px low (every peak still missing); CLAHE (clip 4) 20 %; a gain or a
gamma to mid-grey 44 % and 29 %; smoothed then equalized, 100 %, 12.7 / 3.5 px, the same as non-local
means (11.3 / 3.3 px, but 1.2 s a frame) and better than a Gaussian blur (16 px overall). The filter is
stronger than ``pose_input``'s: sensor noise of 10 grey levels, not JPEG steps of 4.
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


def equalized(image_rgb: np.ndarray) -> np.ndarray:
    """``image_rgb`` ((h, w, 3) uint8 RGB) with its brightness (luma) histogram-equalized and
    its colours kept: a new array of the same shape (see the module docstring)."""
    import cv2

    ycrcb = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2YCrCb)
    ycrcb[..., 0] = cv2.equalizeHist(np.ascontiguousarray(ycrcb[..., 0]))
    return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)


LOST_DIAMETER_PX = 9
"""Neighbourhood of the lost reads' filter (pixels)."""
LOST_SIGMA_COLOR = 50.0
"""Grey-level differences well below this are smoothed: 5 standard deviations of the sensor noise above."""
LOST_SIGMA_SPACE_PX = 5.0
"""Spatial reach of the lost reads' smoothing (pixels)."""


def smoothed_equalized(image_rgb: np.ndarray) -> np.ndarray:
    """``image_rgb`` ((h, w, 3) uint8 RGB) bilateral-filtered, then :func:`equalized`: a new array of the
    same shape, for reading alone a frame of a slow source where the tracker found nobody (module docstring)."""
    import cv2

    return equalized(cv2.bilateralFilter(image_rgb, LOST_DIAMETER_PX, LOST_SIGMA_COLOR, LOST_SIGMA_SPACE_PX))


def pose_input(image_rgb: np.ndarray) -> np.ndarray:
    """The frame as the pose model should see it: (h, w, 3) uint8 RGB in, same shape out.

    Frames with a shorter side under ``SMALL_SIDE_PX`` are bilateral-filtered
    (see the module docstring); others are returned as they are (no copy).
    """
    if min(image_rgb.shape[:2]) >= SMALL_SIDE_PX:
        return image_rgb
    import cv2  # OpenCV: only when a pose tracker runs, like MediaPipe

    return cv2.bilateralFilter(image_rgb, BILATERAL_DIAMETER_PX, BILATERAL_SIGMA_COLOR, BILATERAL_SIGMA_SPACE_PX)
