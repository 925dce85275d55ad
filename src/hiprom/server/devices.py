"""The signed-in devices of a server reachable from other machines: one device session per sign-in.

A sign-in link (:mod:`hiprom.server.signin`) gives the browser a cookie holding a random secret of its own
sign-in, never the access token: a lost or stolen tablet is signed out by ending its session, from any signed-in
device's page or ``hiprom devices`` at the computer, without changing the token of every other device and script.

- The secret is 32 random bytes (``secrets.token_urlsafe``); the server keeps only its SHA-256, so the list on
  disk cannot sign anyone in. Each device also has a short public ``id`` to name it in the list and sign it out.
- The list is kept in an owner-only file (``serve-PORT.devices`` beside the token file, in the data folder),
  rewritten in one step, so the devices stay signed in when the server restarts. Without a file (tests, a server
  built by ``create_app`` alone) the list lives as long as the server.
- A device unused for :data:`IDLE_S` is signed out: a clinic day with its breaks keeps a tablet signed in, one
  left in a waiting room or taken home overnight is signed out by the next morning. A device with a live
  WebSocket open (its page showing the camera) is in use.
- Signing a device out ends its open WebSockets at once (:meth:`DeviceSessions.watch`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from hiprom.atomic import atomic_write
from hiprom.errors import OutputError

log = logging.getLogger("hiprom.server")

IDLE_S = 12 * 3600.0
"""Seconds a device may go unused before it is signed out: a clinic day, not the night after it."""
SAVE_EVERY_S = 60.0
"""A device's "last seen" is written to the file at most this often (it is kept exactly in memory)."""
FILE_VERSION = 1


@dataclass
class Device:
    """One signed-in device.

    Attributes:
        id: short public name of the session, for the list and for signing it out (not a secret): 8 hex digits,
            typed on a command line as they are.
        key: SHA-256 (hex) of the secret in the device's cookie.
        description: the browser and system, from its User-Agent (:func:`describe`).
        signed_in_s: when it signed in, seconds since the epoch (UTC).
        last_seen_s: its last request, seconds since the epoch (UTC).
    """

    id: str
    key: str
    description: str
    signed_in_s: float
    last_seen_s: float


def secret_key(secret: str) -> str:
    """The stored form of a cookie's secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


_SYSTEMS = (("iPad", "iPad"), ("iPhone", "iPhone"), ("Android", "Android"), ("CrOS", "Chromebook"),
            ("Windows", "Windows"), ("Macintosh", "Mac"), ("Linux", "Linux"))
_BROWSERS = (("Edg/", "Edge"), ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
             ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"),
             ("Safari/", "Safari"))


def describe(user_agent: str) -> str:
    """A short description of a device from its User-Agent, e.g. ``Safari on iPad``, ``Chrome on Android``.

    Only the names a person recognises; an unknown agent is described by its first word (at most 40
    characters), and none at all as ``unknown browser``."""
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    if browser is None:
        first = re.split(r"[\s/;(]", user_agent.strip(), maxsplit=1)[0][:40]
        browser = re.sub(r"[^\w.-]", "", first) or "unknown browser"
    return f"{browser} on {system}" if system else browser


Watcher = Callable[[], None]
"""Called (on the thread signing the device out) when a watched device is signed out."""


class DeviceSessions:
    """The signed-in devices of one server (thread-safe).

    Args:
        path: the owner-only file the list is kept in, or None to keep it in memory only.
        idle_s: seconds unused after which a device is signed out.
        clock: seconds since the epoch (a test's own clock).
    """

    def __init__(self, path: Path | None = None, idle_s: float = IDLE_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.idle_s = idle_s
        self._clock = clock
        self._lock = threading.Lock()
        self._by_key: dict[str, Device] = {}
        self._in_use: dict[str, int] = {}
        self._watchers: dict[str, set[Watcher]] = {}
        self._saved_s = 0.0
        self._load()

    def sign_in(self, user_agent: str) -> str:
        """A new device session; returns the secret for the device's cookie (kept nowhere else)."""
        secret = secrets.token_urlsafe(32)
        now = self._clock()
        # Hex: an id of base64's letters began with '-' one time in 64, which 'hiprom devices sign-out ID' read as an option.
        device = Device(secrets.token_hex(4), secret_key(secret), describe(user_agent), now, now)
        with self._lock:
            self._by_key[device.key] = device
            self._save_locked()
        return secret

    def seen(self, secret: str) -> Device | None:
        """The device whose cookie holds ``secret``, its last seen now; None when it is not signed in (never
        was, signed out, or unused for ``idle_s``)."""
        now = self._clock()
        with self._lock:
            device = self._by_key.get(secret_key(secret))
            if device is None or not self._alive(device, now):
                return None
            device.last_seen_s = now
            if now - self._saved_s >= SAVE_EVERY_S:
                self._save_locked()
            return device

    def devices(self) -> list[Device]:
        """The devices signed in, the most recently seen first."""
        now = self._clock()
        with self._lock:
            alive = [d for d in self._by_key.values() if self._alive(d, now)]
        return sorted(alive, key=lambda d: d.last_seen_s, reverse=True)

    def sign_out(self, device_id: str) -> bool:
        """Sign out the device named ``device_id`` (its open WebSockets are told); False when there is none."""
        with self._lock:
            device = next((d for d in self._by_key.values() if d.id == device_id), None)
            if device is None:
                return False
            del self._by_key[device.key]
            watchers = list(self._watchers.pop(device.id, ()))
            self._save_locked()
        for watcher in watchers:
            watcher()
        return True

    def opened(self, device_id: str, watcher: Watcher) -> Callable[[], None]:
        """A request of the device began (a WebSocket, the preview's stream, any answer): the device counts as in
        use until it ends, and ``watcher`` is called if the device is signed out meanwhile, or was already (signed
        out since the request was let in). Returns the function to call when the request ends."""
        with self._lock:
            self._in_use[device_id] = self._in_use.get(device_id, 0) + 1
            self._watchers.setdefault(device_id, set()).add(watcher)
            gone = not any(d.id == device_id for d in self._by_key.values())
        if gone:
            watcher()

        def closed() -> None:
            now = self._clock()
            with self._lock:
                left = self._in_use.get(device_id, 1) - 1
                if left > 0:
                    self._in_use[device_id] = left
                else:
                    self._in_use.pop(device_id, None)
                watchers = self._watchers.get(device_id)
                if watchers is not None:
                    watchers.discard(watcher)
                    if not watchers:
                        del self._watchers[device_id]
                for device in self._by_key.values():
                    if device.id == device_id:
                        device.last_seen_s = now  # in use until now
        return closed

    def _alive(self, device: Device, now: float) -> bool:
        return self._in_use.get(device.id, 0) > 0 or now - device.last_seen_s < self.idle_s

    def _load(self) -> None:
        """Read the kept list (a missing file is none; an unreadable one is logged: its devices sign in again)."""
        if self.path is None:
            return
        try:
            kept = json.loads(self.path.read_text(encoding="utf-8"))
            devices = [Device(**d) for d in kept["devices"]]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("the signed-in devices kept in %s cannot be read (%s): each device signs in again",
                        self.path, exc)
            return
        now = self._clock()
        self._by_key = {d.key: d for d in devices if now - d.last_seen_s < self.idle_s}

    def _save_locked(self) -> None:
        """Write the list (without the devices unused for too long) in one step, owner-only; a failure is a
        warning: the devices stay signed in until the server stops."""
        now = self._clock()
        self._by_key = {k: d for k, d in self._by_key.items() if self._alive(d, now)}
        self._saved_s = now
        if self.path is None:
            return
        text = json.dumps({"version": FILE_VERSION, "devices": [asdict(d) for d in self._by_key.values()]})
        try:
            with atomic_write(self.path, "w") as fh:
                fh.write(text + "\n")
        except OutputError as exc:
            log.warning("the signed-in devices cannot be kept in %s (%s): they sign in again after a restart",
                        self.path, exc)
