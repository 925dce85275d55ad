"""Landmark names, sides, and the one shape check every array goes through.

Layouts (the BlazePose 33-point topology that MediaPipe returns):

- ``image (np.ndarray)``: (n_frames, 33, 4); x and y normalised to the frame
  width and height (0-1, origin top-left, y down), z relative depth in the
  same scale as x, visibility 0-1. A frame with no person is all NaN.
- ``world (np.ndarray)``: (n_frames, 33, 4); x, y, z in metres, origin at the
  midpoint of the hips, axes aligned with the camera (x right, y down, z away
  from the camera), then visibility 0-1.
- ``size_wh``: (width, height) of the frame in pixels.

"left" and "right" always mean the subject's own sides.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

N_LANDMARKS = 33
SIDES: tuple[str, str] = ("left", "right")
"""Column order of every per-side array: index 0 is the subject's left."""


class Landmark(IntEnum):
    """Indices of the BlazePose landmarks hiprom uses (and their neighbours)."""

    NOSE = 0
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


L = Landmark
BONES: tuple[tuple[Landmark, Landmark], ...] = (
    (L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP),
    (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_SHOULDER, L.LEFT_ELBOW), (L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW), (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_HIP, L.LEFT_KNEE), (L.LEFT_KNEE, L.LEFT_ANKLE), (L.LEFT_ANKLE, L.LEFT_HEEL),
    (L.LEFT_HEEL, L.LEFT_FOOT_INDEX), (L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
    (L.RIGHT_HIP, L.RIGHT_KNEE), (L.RIGHT_KNEE, L.RIGHT_ANKLE), (L.RIGHT_ANKLE, L.RIGHT_HEEL),
    (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX), (L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
)
"""The body drawn as the live page's skeleton: trunk, arms, legs and feet."""

LEGS: dict[str, tuple[Landmark, ...]] = {
    "left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
}
"""Each leg's landmarks, hip to toe (the page highlights the leg under test)."""
del L


def _left_right_permutation() -> np.ndarray:
    """Index permutation that swaps every left landmark with its right twin."""
    perm = np.arange(N_LANDMARKS)
    # BlazePose pairs: eyes/ears/mouth (1-10), then body pairs 11/12 ... 31/32.
    pairs = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)] + [
        (i, i + 1) for i in range(11, 33, 2)
    ]
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return perm


LEFT_RIGHT_SWAP: np.ndarray = _left_right_permutation()
"""``image[:, LEFT_RIGHT_SWAP]`` relabels every landmark as its other-side twin."""


def check_landmarks(array: np.ndarray, name: str, n_frames: int | None = None) -> np.ndarray:
    """Return ``array`` as float64 after checking it is (n_frames, 33, 4).

    Raises ``ValueError`` naming the argument and the shape it got, so that a
    wrong array fails at construction and never deep inside the maths.
    """
    arr = np.asarray(array, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[1:] != (N_LANDMARKS, 4):
        raise ValueError(
            f"{name} must be an array of shape (n_frames, {N_LANDMARKS}, 4), but got shape {arr.shape}"
        )
    if n_frames is not None and arr.shape[0] != n_frames:
        raise ValueError(f"{name} must have {n_frames} frames, but has {arr.shape[0]}")
    return arr


def mirror_landmarks(image: np.ndarray, world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Undo a left-right mirrored picture: flip x and relabel left <-> right.

    A mirrored (selfie) image shows the subject's left leg where a plain
    camera shows the right one, and the pose model labels it "right". Flipping
    x (image: ``x -> 1 - x``; world: ``x -> -x``) and swapping the labels gives
    the landmarks a plain camera would have seen.
    """
    img = image[:, LEFT_RIGHT_SWAP].copy()
    img[..., 0] = 1.0 - img[..., 0]
    wld = world[:, LEFT_RIGHT_SWAP].copy()
    wld[..., 0] = -wld[..., 0]
    return img, wld
