"""Keep native (C++) log lines of MediaPipe and TensorFlow Lite out of the terminal.

MediaPipe writes "INFO: Created TensorFlow Lite XNNPACK delegate" and glog
warnings straight to file descriptor 2, some of them later from its own
threads. They say nothing a user can act on, and they would break hiprom's
promise of one plain line per error.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import TextIO


def _fd2_is_python_stderr() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False


@contextlib.contextmanager
def native_stderr_silenced(keep_python: bool = False) -> Iterator[None]:
    """Send what native code writes to file descriptor 2 to the null device.

    Args:
        keep_python: also give Python's ``sys.stderr`` a copy of the real
            stderr meanwhile, so Python messages (progress bars, errors)
            still show. Use it around a whole command; leave it False around
            a short native call.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all (e.g. a service without a console)
        yield
        return
    python_stderr = sys.stderr
    replaced = False
    try:
        if python_stderr is not None:
            with contextlib.suppress(Exception):
                python_stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        if keep_python and _fd2_is_python_stderr():
            sys.stderr = _copy_of(python_stderr, os.dup(saved))
            replaced = True
        yield
    finally:
        if replaced:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
                sys.stderr.close()
            sys.stderr = python_stderr
        os.dup2(saved, 2)
        os.close(saved)


def silence_native_stderr_for_good() -> None:
    """Point file descriptor 2 at the null device for the rest of the process.

    For a command-line run: MediaPipe flushes some log lines during native
    teardown, after every Python exit handler, so no context manager can
    catch them. Python's ``sys.stderr`` is rebound to a copy of the real
    stderr first, so hiprom's messages, progress bars and any traceback of a
    real bug still reach the terminal.
    """
    if not _fd2_is_python_stderr():
        return
    try:
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    sys.stderr.flush()
    sys.stderr = _copy_of(sys.stderr, real)
    os.dup2(devnull, 2)
    os.close(devnull)


def _copy_of(stream: TextIO, fd: int) -> TextIO:
    """A line-buffered text file on ``fd`` that encodes as ``stream`` does (its encoding and its
    handling of characters the encoding lacks: ``hiprom.cli.encoding`` for the CLI)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    errors = getattr(stream, "errors", None) or "backslashreplace"
    return open(fd, "w", buffering=1, encoding=encoding, errors=errors)  # noqa: SIM115
