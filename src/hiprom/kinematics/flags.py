"""Quality flags: one bit per reason a reading may be wrong, per frame and side.

``Kinematics.flags`` is a ``uint32`` array of these bits, shape (n_frames, 2),
columns (left, right). The meaning of each bit, and the threshold that sets it,
are in ``docs/conventions.md`` and :class:`~hiprom.kinematics.KinematicsSettings`.
"""

from __future__ import annotations

import enum

METHODS: tuple[str, str, str] = ("none", "frontal", "world")
"""``Kinematics.method`` holds an index into this tuple (int8): which method gave the number."""

METHOD_NONE, METHOD_FRONTAL, METHOD_WORLD = 0, 1, 2


class QualityFlag(enum.IntFlag):
    """Why a reading may be missing or untrustworthy (bits of ``Kinematics.flags``)."""

    NO_PERSON = 1 << 0
    """No pose in this frame."""
    LOW_VISIBILITY = 1 << 1
    """Hip, knee or ankle visibility below ``min_visibility``, or the foot (heel and toe) lost."""
    LEG_OUT_OF_FRAME = 1 << 2
    """Hip, knee or ankle lies outside the picture."""
    KNEE_NOT_FLEXED = 1 << 3
    """Knee flexion (3-D) outside ``knee_flexion_range_deg``: not the seated 90 degree test posture."""
    THIGH_NOT_TOWARD_CAMERA = 1 << 4
    """The thigh points more than ``thigh_camera_max_deg`` away from the camera axis."""
    CAMERA_OBLIQUE = 1 << 5
    """The camera looks at the subject from more than ``oblique_yaw_deg`` to one side."""
    METHODS_DISAGREE = 1 << 6
    """Frontal and 3-D methods differ by more than ``methods_disagree_deg``."""
    PELVIS_HIKE = 1 << 7
    """One hip lifted relative to the other, compared with the subject's neutral."""
    TRUNK_LEAN = 1 << 8
    """Trunk leaning sideways, compared with the subject's neutral."""
    KNEE_DRIFT = 1 << 9
    """This knee slid sideways, compared with its neutral position."""
    MULTIPLE_PEOPLE = 1 << 10
    """The pose model saw more than one person in the frame."""
    IMPLAUSIBLE_ANGLE = 1 << 11
    """The shank reads turned further than a seated hip rotates (``max_rotation_deg``): a tracking error."""


UNMEASURABLE: QualityFlag = (
    QualityFlag.NO_PERSON | QualityFlag.LOW_VISIBILITY | QualityFlag.LEG_OUT_OF_FRAME | QualityFlag.IMPLAUSIBLE_ANGLE
)
"""Flags that force the angle to NaN: there is no number to give."""

COMPENSATION: QualityFlag = QualityFlag.PELVIS_HIKE | QualityFlag.TRUNK_LEAN | QualityFlag.KNEE_DRIFT
"""Flags that invalidate a trial: the subject reached the angle by moving something else."""


def flag_names(bits: int) -> list[str]:
    """Lower-case names of the flags set in ``bits``, in bit order, e.g. ``["pelvis_hike"]``."""
    value = int(bits)
    return [flag.name.lower() for flag in QualityFlag if value & flag.value and flag.name]
