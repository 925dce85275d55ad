"""Write files so that a crash or a full disk never leaves a half file behind.

Everything hiprom writes is health data, so files are created readable by
their owner only (0600) and the folders it creates are 0700. A failure to
write is an :class:`~hiprom.errors.OutputError` naming the output.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from hiprom.errors import InputError, OutputError, OutputPlaceError

FILE_MODE = 0o600
DIR_MODE = 0o700
PART_SUFFIX = ".part"
"""End of a temporary file's name; the part before it is ``part_prefix(NAME)`` and mkstemp's letters (no dot)."""
PART_NAME_MAX = 200
"""Bytes of a file's name kept in the name of its temporary file (``.NAME.XXXX.part``).

File systems allow 255 bytes; the whole name plus the 15 bytes around it
made writing a file whose name is longer than 240 bytes fail."""


def output_error(path: str | os.PathLike[str], exc: OSError) -> OutputError:
    """One line saying which output cannot be written, why, and what to do."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "free some disk space or choose another place"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "choose a place you can write to"
    elif exc.errno == errno.ENAMETOOLONG:
        hint = "the name is longer than the file system allows; use a shorter name"
    else:
        hint = "check the folder, or choose another place"
    kind = OutputPlaceError if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) else OutputError
    return kind(f"{path}: cannot write ({reason}); {hint}")


def check_not_source(outputs: Iterable[str | os.PathLike[str] | None],
                     sources: Iterable[str | os.PathLike[str] | None], hint: str = "") -> None:
    """Refuse an output that is one of the sources (the same file, by any name).

    Writing it would replace the only copy of the input (a video by a CSV, a
    recording by its own analysis). ``None`` entries are ignored; ``hint``
    ends the message (e.g. `` (e.g. ending .landmarks.npz)``).

    Raises:
        InputError: an output is a source (usage exit code).
    """
    ids: set[tuple[int, int]] = set()
    for source in sources:
        if source is not None and str(source):
            with contextlib.suppress(OSError):
                st = os.stat(source)
                ids.add((st.st_dev, st.st_ino))
    for output in outputs:
        if output is None or not str(output):
            continue
        try:
            st = os.stat(output)
        except OSError:  # not there yet: it cannot be a source
            continue
        if (st.st_dev, st.st_ino) in ids:
            raise InputError(f"{output}: is the source itself; choose another output name{hint}")


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and its missing parents as 0700 folders; returns it.

    Existing folders keep their mode (they may be shared on purpose).

    Raises:
        OutputError: a folder cannot be created.
    """
    folder = Path(path)
    missing = []
    for p in (folder, *folder.parents):
        if p.is_dir():
            break
        missing.append(p)
    for p in reversed(missing):
        try:
            p.mkdir(mode=DIR_MODE)
        except FileExistsError:
            if not p.is_dir():
                raise output_error(p, FileExistsError(errno.EEXIST, "exists and is not a folder")) from None
        except OSError as exc:
            raise output_error(p, exc) from None
        else:
            os.chmod(p, DIR_MODE)  # mkdir's mode is masked by the umask
    return folder


def part_prefix(name: str) -> str:
    """The start of the temporary file names of a file called ``name``: ``.NAME.``, short enough for any name."""
    return "." + os.fsdecode(os.fsencode(name)[:PART_NAME_MAX]) + "."


def _part_beside(target: Path) -> tuple[int, str]:
    """A new 0600 temporary file beside ``target`` (its folder made private if new): descriptor and path;
    an ``OSError`` becomes an :class:`OutputError` naming ``target``."""
    private_dir(target.parent)
    try:
        return tempfile.mkstemp(prefix=part_prefix(target.name), suffix=PART_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise output_error(target, exc) from None


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it over ``path`` on success.

    The data is flushed and fsynced before the rename, so readers see either
    the old file or the complete new one; the file is 0600. On any error the
    temporary file is removed; an ``OSError`` (read-only place, full disk)
    becomes an :class:`OutputError` naming ``path``, other errors propagate.
    """
    target = Path(path)
    fd, tmp = _part_beside(target)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise output_error(target, exc) from None
        raise


def write_files(contents: Mapping[str | os.PathLike[str], bytes | str]) -> list[Path]:
    """Write several files as one: all of them, or none (text as UTF-8); returns their paths.

    Each is written to a temporary file beside it and fsynced; only when every one is complete are
    they renamed into place (renames need no space). A failure on the way (a full disk, a read-only
    folder) removes the temporary files and leaves every file there before as it was, so a report's
    PDF and exports are never a mix of this run's files and the last one's. The failure is an
    :class:`OutputError` naming the file that could not be written.
    """
    written: list[tuple[str, Path]] = []
    try:
        for path, content in contents.items():
            target = Path(path)
            fd, tmp = _part_beside(target)
            written.append((tmp, target))
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(content.encode("utf-8") if isinstance(content, str) else content)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise output_error(target, exc) from None
        for tmp, target in written:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise output_error(target, exc) from None
    except BaseException:
        for tmp, _ in written:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    return [target for _, target in written]
