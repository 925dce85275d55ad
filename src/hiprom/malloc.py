"""Bound the memory a long-running process keeps: at most two glibc malloc arenas (`hiprom serve`).

glibc gives each new thread that allocates its own arena (up to eight per core) and keeps
the memory freed in an arena for that arena. The server makes and frees MediaPipe graphs on
ever new threads: each browser-camera connection has its own, each pass of a looped file
makes its pose trackers anew, and reports render on a pool of threads. Measured with
``hiprom serve --source gt01.mp4 --loop`` on a 2-core machine, 15 rounds of two camera
connections (7 minutes): the resident memory went 470 -> 1,238 MB and still rose, about
50 MB a round; with two arenas it stayed at 560-700 MB.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_ARENA_MAX = -8
"""``mallopt`` parameter of glibc's ``malloc.h``: the most arenas the process may have."""
ARENA_MAX = 2
"""Arenas the server keeps: its main thread's and one shared by every other thread."""


def limit_malloc_arenas(arenas: int = ARENA_MAX) -> bool:
    """Let this process have at most ``arenas`` malloc arenas; whether the limit is set.

    Does nothing (``False``) off glibc (macOS, Windows, musl) and when ``MALLOC_ARENA_MAX`` is set
    in the environment: the user's own choice wins. Call it early, before the server's threads
    start: arenas already made are kept.
    """
    if not sys.platform.startswith("linux") or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_ARENA_MAX, int(arenas)) == 1
