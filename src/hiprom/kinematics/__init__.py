"""Hip rotation angles from pose landmarks: pure numpy, no OpenCV or MediaPipe.

``measure(rec)`` turns a :class:`~hiprom.recording.LandmarkRecording` into
:class:`Kinematics` (per-frame angles of both hips, method, flags, uncertainty);
``LiveMeter`` applies the same maths one frame at a time. Conventions (signs,
sides, mirroring, methods, flags, uncertainty) are in ``docs/conventions.md``.
"""

from hiprom.kinematics.flags import COMPENSATION, METHODS, UNMEASURABLE, QualityFlag, flag_names
from hiprom.kinematics.live import LiveMeter, LiveReading
from hiprom.kinematics.measure import Kinematics, measure
from hiprom.kinematics.neutral import Neutral, estimate_neutral
from hiprom.kinematics.settings import KinematicsSettings

__all__ = [
    "COMPENSATION",
    "METHODS",
    "UNMEASURABLE",
    "Kinematics",
    "KinematicsSettings",
    "LiveMeter",
    "LiveReading",
    "Neutral",
    "QualityFlag",
    "estimate_neutral",
    "flag_names",
    "measure",
]
