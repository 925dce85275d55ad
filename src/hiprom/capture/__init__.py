"""Frame sources: a webcam index, a video file, or a folder of images.

Every source yields ``Frame(image, t_ms, index)`` with ``image`` (h, w, 3)
uint8 RGB and ``t_ms`` strictly increasing: file timestamps for video files,
``index * 1000 / fps`` for image folders, a monotonic clock for cameras.
A source that cannot be opened raises ``SourceError`` naming it.
"""

from hiprom.capture.base import Frame, FrameSource
from hiprom.capture.camera import CameraSource
from hiprom.capture.factory import open_source, parse_camera_index
from hiprom.capture.images import IMAGE_SUFFIXES, ImageFolderSource
from hiprom.capture.video import VideoFileSource

__all__ = [
    "IMAGE_SUFFIXES",
    "CameraSource",
    "Frame",
    "FrameSource",
    "ImageFolderSource",
    "VideoFileSource",
    "open_source",
    "parse_camera_index",
]
