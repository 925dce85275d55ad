"""Import MediaPipe without the parts of it hiprom never uses.

``import mediapipe`` imports every task MediaPipe has, and with them its
drawing helpers (``vision.drawing_utils`` and ``vision.drawing_styles``,
which import ``matplotlib.pyplot``) and, for its microphone recorder,
``sounddevice`` (which loads PortAudio). hiprom uses neither, and they are
more than half of the import: measured on the 2-core machine, 0.53 s for
``import mediapipe``, of which about 0.3 s are these (``python -X importtime``).

``import_mediapipe`` imports MediaPipe with those modules replaced by
stand-ins that import the real module on first use, so nothing is lost:
code that draws with MediaPipe's helpers in the same process still gets
them, only later. The stand-ins are made by a finder that lives only for
the duration of the first import and answers only for these three names;
every other module, ``matplotlib`` included, is imported as usual.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import types
from collections.abc import Sequence
from typing import Any

DEFERRED = frozenset(
    {
        "mediapipe.tasks.python.vision.drawing_utils",
        "mediapipe.tasks.python.vision.drawing_styles",
        "sounddevice",
    }
)
"""Imported only when first used: MediaPipe's drawing helpers, and the audio library its
microphone recorder imports (nothing else in hiprom's dependencies imports it)."""

_lock = threading.RLock()


class _OnFirstUse(types.ModuleType):
    """Stands in for a module in ``DEFERRED``; its first attribute use imports the real one."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # the import system's own probes (__path__, __file__...)
            raise AttributeError(attr)
        name = self.__name__
        with _lock:
            if sys.modules.get(name) is self:
                del sys.modules[name]
            real = importlib.import_module(name)
        return getattr(real, attr)


class _StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and loads ``_OnFirstUse`` stand-ins for the names in ``DEFERRED``, nothing else."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.machinery.ModuleSpec(fullname, self) if fullname in DEFERRED else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _OnFirstUse(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def import_mediapipe() -> types.ModuleType:
    """``mediapipe``, imported (the first time) without its drawing and microphone helpers.

    Raises:
        ImportError: MediaPipe is not installed or cannot be imported.
    """
    with _lock:
        if "mediapipe" in sys.modules:
            return sys.modules["mediapipe"]
        finder = _StandIns()
        sys.meta_path.insert(0, finder)
        try:
            import mediapipe
            import mediapipe.tasks.python.vision  # noqa: F401 - the part hiprom uses
        finally:
            sys.meta_path.remove(finder)
            # MediaPipe's recorder keeps its stand-in; anyone importing sounddevice from now on gets the real one.
            if isinstance(sys.modules.get("sounddevice"), _OnFirstUse):
                del sys.modules["sounddevice"]
    return mediapipe
