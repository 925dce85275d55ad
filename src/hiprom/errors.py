"""The one exception family of hiprom.

Every error a user can cause (a bad file, a missing model, no camera) is a
``HipromError`` whose message is one plain sentence: what went wrong, which
value, and what to do. Only the CLI and the web layer turn them into exit codes
or HTTP statuses; nothing below them prints.
"""

from __future__ import annotations


class HipromError(Exception):
    """Base class: a problem the user can understand and act on."""

    exit_code: int = 1


class InputError(HipromError):
    """An input file or argument is missing, unreadable or of the wrong kind."""

    exit_code = 2


class SourceError(InputError):
    """A frame source (video file, camera, image folder) cannot be opened or read."""


class ModelError(HipromError):
    """The pose model file cannot be found, downloaded or loaded."""

    exit_code = 3


class RecordingError(InputError):
    """A ``.landmarks.npz`` recording is missing fields or has wrong shapes."""


class NotMeasurableError(HipromError):
    """The input holds nothing that can be measured (no person, legs never seen)."""

    exit_code = 4


class StoreError(HipromError):
    """The session store cannot be opened, migrated or written."""

    exit_code = 5


class ConfigError(HipromError):
    """A configuration file or setting has a wrong value, or asks for an optional part not installed."""

    exit_code = 2


def empty_file(path: object, what: str) -> str:
    """The one message for a file of 0 bytes given where ``what`` was expected.

    ``empty_file("p01.mp4", "a video")`` -> ``p01.mp4: is empty (0 bytes); it is not a video``.
    """
    return f"{path}: is empty (0 bytes); it is not {what}"


def missing_extra(what: str, package: str, extra: str) -> str:
    """The one message for an optional part that is not installed: what needs it, and the pip command.

    ``missing_extra("a PDF report", "WeasyPrint", "report")`` ->
    ``a PDF report needs WeasyPrint, which is not installed; install it with: pip install 'hiprom[report]'``.
    """
    return f"{what} needs {package}, which is not installed; install it with: pip install 'hiprom[{extra}]'"


class OutputError(HipromError):
    """An output file or folder cannot be written (read-only place, full disk)."""

    exit_code = 6


class OutputPlaceError(OutputError):
    """The place of the outputs takes no more writes (a full disk, a quota, read-only).

    Every later write there would fail the same way, so a batch stops at the
    first one instead of analysing every remaining input for nothing.
    """
