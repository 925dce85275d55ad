"""Reading what people and programs send: numbers, text and JSON, one rule for server and CLI.

Numbers: ``str.isdigit()`` is true for ``"¹²³"`` and ``"٣"``, but ``int()`` rejects the
first and quietly accepts the second; an id, a camera index or a byte count
that is not plain ``0-9`` is therefore never read as a number here. Database
ids are 64-bit, so more than 18 digits is not an id either.

Text and JSON: a lone surrogate (valid in JSON and Python, not in UTF-8 or a
database) and nesting deeper than any record needs are refused with one line
instead of failing deep inside the store.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from hiprom.errors import InputError

ID_MAX_DIGITS = 18

DEGREE_SIGNS = "°º˚"
"""What people type for "degrees": the degree sign, the masculine ordinal "º" (beside the "1" of
Spanish, Portuguese and Italian keyboards, and in their spreadsheets' "35º") and the ring above "˚"."""


def ascii_int(text: str, max_digits: int = ID_MAX_DIGITS) -> int | None:
    """The non-negative integer written in ``text`` with ASCII digits 0-9, else ``None``.

    Surrounding spaces are ignored; signs, underscores, other scripts' digits
    and more than ``max_digits`` digits give ``None``.
    """
    stripped = text.strip()
    if not stripped or len(stripped) > max_digits or not (stripped.isascii() and stripped.isdigit()):
        return None
    return int(stripped)


def record_id(ref: str | int) -> int | None:
    """A record number as users write it (``12``, ``#12``, ``" 12 "``), or ``None``."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref if 0 <= ref < 10**ID_MAX_DIGITS else None
    return ascii_int(str(ref).strip().removeprefix("#"))


MAX_JSON_DEPTH = 32
"""Deepest nesting of objects and lists accepted in stored JSON (an analysis is 4 deep)."""


def check_json_tree(value: Any, where: str, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise ``InputError`` when JSON data is nested deeper than ``max_depth`` or holds invalid text.

    Invalid text is a lone surrogate (``"\\ud800"``: JSON allows it, UTF-8 and
    the database do not). The depth is walked without recursion, so no depth
    can overflow the interpreter's stack, and only into objects and lists
    that hold objects or lists, so a long per-frame series costs little.
    """
    stack: list[tuple[Any, int, tuple]] = [(value, 0, ())]
    while stack:
        item, depth, path = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        if depth >= max_depth:
            raise InputError(f"{where}: {_dotted(path) or 'value'} is nested more than {max_depth} levels deep")
        children = item.values() if isinstance(item, dict) else item
        if not _CONTAINERS.intersection(map(type, children)):
            continue
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        stack.extend((child, depth + 1, (path, key)) for key, child in pairs if isinstance(child, (dict, list)))
    try:
        json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        _find_surrogate(value, where)


_CONTAINERS = frozenset({dict, list})


def _dotted(path: tuple) -> str:
    """``"a.b.0"`` from the nested ``(((), "a"), "b"), 0)`` path of :func:`check_json_tree`."""
    keys: list[str] = []
    while path:
        path, key = path
        keys.append(str(key))
    return ".".join(reversed(keys))


def _find_surrogate(value: Any, where: str) -> None:
    """Raise the ``InputError`` naming the first text with a lone surrogate (the slow, exact walk)."""
    stack: list[tuple[Any, tuple]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            _check_text(item, where, _dotted(path))
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(str(key), where, _dotted(path))
                stack.append((child, (path, key)))
        elif isinstance(item, list):
            stack.extend((child, (path, i)) for i, child in enumerate(item))


def check_text(text: str, what: str) -> str:
    """``text`` unchanged when it is valid Unicode; ``InputError`` naming ``what`` otherwise."""
    _check_text(text, what, "")
    return text


def check_text_ok(text: str) -> bool:
    """Whether ``text`` is valid Unicode (no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable_name(name: str) -> str:
    """``name`` as valid Unicode text: the bytes of a non-UTF-8 file name shown as ``\\xNN``.

    A file made on another system (``caf\\xe9.mp4`` in Latin-1) reaches Python
    with lone surrogates in its name, which no UTF-8 file, terminal or
    spreadsheet can hold; this is how such a name is written and shown.
    """
    if check_text_ok(name):
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is not an undecodable byte
        raw = name.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def _check_text(text: str, where: str, path: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        at = f"{path}: " if path else ""
        raise InputError(f"{where}: {at}text holds {text[exc.start]!r}, a lone surrogate (not valid Unicode); "
                         "send UTF-8 text") from None


def folded(text: str) -> str:
    """``text`` as subject search compares it, and the one key of a person's pseudonym
    (``subjects.pseudonym_key``): accents dropped and case folded.

    ``"Élise"``, ``"ELISE"`` and ``"e\u0301lise"`` all give ``"elise"``; ``"Straße"`` gives
    ``"strasse"``. Letters that are not a letter plus an accent (ø, ł, æ) stay themselves.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
