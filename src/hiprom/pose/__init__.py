"""Pose: model files (``models``), MediaPipe ``PoseTracker`` and ``track``.

``resolve_model`` finds or downloads a model bundle; ``PoseTracker`` turns
RGB frames into the subject's landmarks; ``track`` runs a whole frame source
into a ``LandmarkRecording``. MediaPipe is imported only when a tracker is built.
"""

from hiprom.pose.models import Manifest, ModelVariant, load_manifest, resolve_model
from hiprom.pose.track import track
from hiprom.pose.tracker import PoseResult, PoseTracker

__all__ = ["Manifest", "ModelVariant", "PoseResult", "PoseTracker", "load_manifest", "resolve_model", "track"]
