"""Settings of the live server: one pydantic-settings class, built by the caller.

Nothing here is built at import time; ``hiprom serve`` and the tests make a
``ServerSettings`` and hand it to ``create_app``. Every field can also come
from the environment with the prefix ``HIPROM_SERVE_`` (e.g.
``HIPROM_SERVE_PORT=8080``).
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hiprom.assessment import load_norms
from hiprom.errors import ConfigError
from hiprom.live.engine import LiveConfig
from hiprom.live.guide import GuideConfig
from hiprom.report.paper import PaperName, default_paper
from hiprom.report.paper import paper as named_paper

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    name = host.strip().lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def page_address(host: str, port: int) -> str:
    """The address to open the page of a server listening on ``host``:``port``: for every address of this
    machine (``0.0.0.0``, ``::``) its name, which other devices of the network can reach."""
    shown = host if is_loopback(host) or host not in ("0.0.0.0", "::") else socket.gethostname()
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


class ServerSettings(BaseSettings):
    """Everything ``create_app`` needs; defaults are the safe local ones."""

    model_config = SettingsConfigDict(env_prefix="HIPROM_SERVE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    source: str = Field("0", description="camera index, video file, .landmarks.npz recording, or 'demo'")
    loop: bool = Field(False, description="start the source again when it ends")
    model: str | None = Field(None, description="pose model variant or file (see docs/models.md)")
    mirrored: bool = Field(False, description="the server camera's picture is left-right flipped")
    clinic: bool = Field(False, description="the page is a clinic's from its first patient: it hands programs over "
                                            "and takes in patients' files (else once its store shows it)")
    token: str | None = Field(None, description="access token; required when host is not loopback")
    web_dir: Path | None = Field(None, description="folder of the page (default: the checkout's web/)")
    db: str | None = Field(None, description="records store: SQLAlchemy URL or SQLite file (default: see docs/store.md)")
    records: bool = Field(True, description="mount the records API (save sessions, PDF reports) when installed")
    paper: Annotated[PaperName, BeforeValidator(lambda name: named_paper(name).name)] = Field(
        default_factory=lambda: default_paper().name,
        description="paper of the PDFs: a4 or letter, any case (default: $HIPROM_PAPER, else the locale's)")
    max_body_mb: float = Field(
        8.0, gt=0.0, le=1024.0, description="largest request body accepted, 413 above (an hour at 30 fps: 2-5 MB)"
    )

    # Live loop.
    replay_speed: float = Field(1.0, gt=0.0, le=100.0, description="play files faster than real time (tests)")
    camera_retry_s: float = Field(2.0, gt=0.0, description="wait between attempts to open a missing camera")
    preview_fps: float = Field(15.0, gt=0.0, le=60.0, description="maximum rate of the MJPEG preview")
    jpeg_quality: int = Field(75, ge=10, le=100)
    client_queue: int = Field(8, ge=1, le=1000, description="messages kept per slow client before old ones drop")
    rewind_on_start: bool = Field(True, description="restart a recording or file when the guided test starts")
    start_source: bool = Field(True, description="run the server-side source at all (off: browser camera only)")
    max_camera_clients: int = Field(4, ge=0, le=64, description="browser cameras measured at once (one model each)")

    # Guided test (seconds and degrees).
    guide_setup_s: float = Field(1.0, gt=0.0)
    guide_calibrate_s: float = Field(2.0, gt=0.0)
    guide_hold_s: float = Field(1.0, gt=0.0)

    def live_config(self) -> LiveConfig:
        """What the live loop (and each browser camera) needs of these settings; reads the norms file."""
        return LiveConfig(
            source=self.source,
            model=self.model,
            mirrored=self.mirrored,
            loop=self.loop,
            replay_speed=self.replay_speed,
            camera_retry_s=self.camera_retry_s,
            client_queue=self.client_queue,
            preview_fps=self.preview_fps,
            jpeg_quality=self.jpeg_quality,
            rewind_on_start=self.rewind_on_start,
            guide=GuideConfig(setup_s=self.guide_setup_s, calibrate_s=self.guide_calibrate_s, hold_s=self.guide_hold_s),
            norms=load_norms(),
        )

    @property
    def needs_token(self) -> bool:
        """Binding beyond this machine requires a token."""
        return not is_loopback(self.host)

    def check(self) -> "ServerSettings":
        """Raise ``ConfigError`` for combinations that would expose health data."""
        if self.needs_token and not self.token:
            raise ConfigError(
                f"host {self.host!r} is reachable from other machines, so a token is required: "
                "pass --token (or let 'hiprom serve' generate one)"
            )
        if self.token is not None and len(self.token) < 8:
            raise ConfigError("token must be at least 8 characters long")
        return self
