"""What an output may be written over: an earlier output of hiprom of the same kind, nothing else.

A report written again replaces the last one, but a mistyped or reused output
name must never destroy a file hiprom did not make: a signed referral letter
``letter.pdf`` beside the reports, the notes or spreadsheet a user keeps, a
video. Each kind of output is recognised by what hiprom writes into it:

- a PDF by its metadata: Creator ``hiprom VERSION`` (every template sets
  ``<meta name="generator">``); PDFs of earlier versions, which had no Creator,
  by WeasyPrint as Producer and hiprom named in their title or subject;
- a CSV table by its header (:func:`hiprom.tables.is_hiprom_table`);
- a JSON file by its first key, ``"schema"`` (or a batch marker's ``"format"``)
  naming a ``hiprom.`` format;
- a landmarks recording by its arrays (:func:`hiprom.recording.is_recording`).

There is deliberately no ``--force``: a file hiprom did not make is moved away
by the user, or the output named otherwise, and the refusal says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from hiprom.errors import ConfigError, InputError, missing_extra

OutputKind = Literal["a PDF", "a CSV table", "a JSON file", "a landmarks recording"]

SNIFF_BYTES = 8192
"""Bytes read from an existing output's start to tell a table or a JSON file hiprom made."""

CREATOR = "hiprom"
"""How every PDF hiprom makes starts its Creator (``hiprom 0.1.0``)."""

_HIPROM_JSON = re.compile(r'\A\s*(?:\[\s*)?\{\s*"(?:schema|format)"\s*:\s*"hiprom\.')


def _text(head: bytes) -> str:
    """``head`` as text, a byte-order mark and a character cut at the end dropped ('' when not UTF-8)."""
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return ""
        return head[: exc.start].decode("utf-8-sig")


def _hiprom_pdf(path: Path, head: bytes) -> bool:
    """A PDF whose metadata says hiprom made it (see the module's docstring)."""
    if not head.startswith(b"%PDF-"):
        return False
    try:
        import pypdf
    except ImportError:
        raise ConfigError(missing_extra("replacing a PDF", "pypdf", "report")) from None
    quiet = logging.getLogger("pypdf")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # a damaged PDF's warnings would print around the one line
    try:
        meta = pypdf.PdfReader(path).metadata or {}
        creator, producer = str(meta.get("/Creator") or ""), str(meta.get("/Producer") or "")
        described = f"{meta.get('/Title') or ''} {meta.get('/Subject') or ''}"
    except Exception:  # noqa: BLE001 - any PDF pypdf cannot read is not one hiprom made
        return False
    finally:
        quiet.setLevel(level)
    return creator.startswith(CREATOR) or (producer.startswith("WeasyPrint") and CREATOR in described)


def _hiprom_csv(path: Path, head: bytes) -> bool:
    from hiprom.tables import is_hiprom_table

    return is_hiprom_table(_text(head))


def _hiprom_json(path: Path, head: bytes) -> bool:
    return bool(_HIPROM_JSON.match(_text(head)))


def _hiprom_recording(path: Path, head: bytes) -> bool:
    from hiprom.recording import is_recording

    return head.startswith(b"PK\x03\x04") and is_recording(path)


MADE_BY_HIPROM: dict[OutputKind, Callable[[Path, bytes], bool]] = {
    "a PDF": _hiprom_pdf,
    "a CSV table": _hiprom_csv,
    "a JSON file": _hiprom_json,
    "a landmarks recording": _hiprom_recording,
}
"""Each kind of output, and how to tell from an existing file (its path and first bytes) that hiprom made
it as that kind."""


def check_replaceable(outputs: Iterable[str | os.PathLike[str] | None], kind: OutputKind, hint: str = "") -> None:
    """Refuse an output that exists and is not ``kind`` made by hiprom: a report over a referral letter,
    a CSV over the user's notes, a PDF over a video.

    hiprom replaces its own outputs when asked again (a report written twice). ``None``, ``-``
    (stdout), names not there yet, pipes and devices (never read: that would wait), unreadable files
    (writing them says why) and empty files are fine. ``hint`` follows "choose another output name"
    (`` (another -o folder)``).

    Raises:
        InputError: an output is another file (usage exit code).
        ConfigError: a PDF is there and pypdf, which reads its metadata, is not installed.
    """
    made_by_hiprom = MADE_BY_HIPROM[kind]
    for output in outputs:
        if output is None or not str(output) or str(output) == "-":
            continue
        if not os.path.isfile(output):  # not there yet, or /dev/stdout, a pipe: never read (it would wait)
            continue
        head = b""
        with contextlib.suppress(OSError), open(output, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
        if not head:  # empty, or unreadable: nothing to lose, or writing it says why
            continue
        if not made_by_hiprom(Path(output), head):
            raise InputError(f"{output}: exists and is not {kind} hiprom made; choose another output name{hint}, "
                             "or move that file away first")
