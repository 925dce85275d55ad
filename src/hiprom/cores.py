"""How many CPU cores this process may use (batch workers, splitting one video over the cores)."""

from __future__ import annotations

import os


def available_cores() -> int:
    """Cores this process may run on (the CPU affinity mask, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1
