"""Download a model bundle: pinned URL, progress bar, size and SHA-256 check, atomic rename.

The bytes go to a uniquely named ``.part`` file beside the target. Only when
the size and checksum match the manifest is it renamed over the final name;
on any failure it is deleted, so a half download is never found (let alone
trusted) later.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from hiprom.errors import ModelError
from hiprom.parsing import ascii_int
from hiprom.pose.models import ModelVariant

CHUNK_BYTES = 1 << 16
TIMEOUT_S = 30.0
"""Longest wait for connecting or for the next bytes (not for the whole file)."""


@contextlib.contextmanager
def _progress_bar(total: int, label: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr; yields ``advance(n_bytes)``."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


class _Failed(Exception):
    """Why a download was rejected (turned into one ``ModelError`` below)."""


def _fetch(variant: ModelVariant, part: Path, show_progress: bool, timeout_s: float) -> None:
    """Stream ``variant.url`` into ``part``, checking status, length, size and SHA-256."""
    digest = hashlib.sha256()
    received = 0
    try:
        with httpx.stream("GET", variant.url, follow_redirects=True, timeout=timeout_s) as response:
            if response.status_code != 200:
                raise _Failed(f"the server answered HTTP {response.status_code} {response.reason_phrase}".rstrip())
            declared = response.headers.get("content-length")
            if declared is not None and ascii_int(declared, max_digits=15) not in (None, variant.size):
                raise _Failed(f"the server offers {int(declared):,} bytes but the official file has {variant.size:,}")
            with part.open("wb") as fh, _progress_bar(variant.size, f"downloading {variant.file}", show_progress) as advance:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    received += len(chunk)
                    if received > variant.size:
                        raise _Failed(f"the server sent more than the official {variant.size:,} bytes")
                    digest.update(chunk)
                    fh.write(chunk)
                    advance(len(chunk))
                fh.flush()
                os.fsync(fh.fileno())
    except httpx.HTTPError as exc:
        reason = f"no answer within {timeout_s:g} s" if isinstance(exc, httpx.TimeoutException) else str(exc) or type(exc).__name__
        if received:
            raise _Failed(f"the connection broke after {received:,} of {variant.size:,} bytes ({reason})") from None
        raise _Failed(f"{reason}") from None
    if received != variant.size:
        raise _Failed(f"the download stopped after {received:,} of {variant.size:,} bytes")
    if digest.hexdigest() != variant.sha256:
        raise _Failed(
            f"the file's SHA-256 {digest.hexdigest()[:16]}... differs from the official {variant.sha256[:16]}... "
            "(wrong or altered content)"
        )


def download_model(
    variant: ModelVariant,
    folder: Path,
    *,
    show_progress: bool = True,
    timeout_s: float = TIMEOUT_S,
) -> Path:
    """Download ``variant`` into ``folder`` and return the verified file's path.

    Args:
        variant: what to fetch (URL, exact size, SHA-256).
        folder: where to put it (created if needed).
        show_progress: say on stderr what is downloaded where, then draw a progress bar.
        timeout_s: longest wait to connect or for more bytes.

    Raises:
        ModelError: one line saying what failed (HTTP status, broken
            connection, short file, checksum); nothing is left in ``folder``.
    """
    target = folder / variant.file
    where = f"download of {variant.file} from {variant.url} into {folder}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{variant.file}.", suffix=".part", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise ModelError(f"{where} failed: cannot write there ({exc.strerror or exc})") from None
    part = Path(tmp)
    if show_progress:  # said before connecting: a network that never answers keeps the bar away for timeout_s
        print(f"hiprom: downloading the pose model {variant.file} ({variant.size / 1e6:.1f} MB) into {folder}, "
              "once; see docs/models.md to use a copy you have", file=sys.stderr, flush=True)
    try:
        _fetch(variant, part, show_progress, timeout_s)
        os.replace(part, target)
    except _Failed as exc:
        raise ModelError(f"{where} failed: {exc}") from None
    except OSError as exc:
        raise ModelError(f"{where} failed: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
    return target
