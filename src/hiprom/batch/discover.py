"""Find the inputs of a batch and give each one collision-free output names.

Output names mirror each input's path relative to the deepest folder that
holds every input and every folder named, so ``a/clip.mp4`` and ``b/clip.mp4``
never overwrite each other (``OUT/a/clip.*`` and ``OUT/b/clip.*``). Two inputs of one folder that
share a stem (``clip.mp4`` beside ``clip.mov`` or ``clip.landmarks.npz``) keep
their whole file name as the stem instead (``OUT/clip.mp4.analysis.json``).
"""

from __future__ import annotations

import collections
import fnmatch
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from hiprom.errors import InputError
from hiprom.parsing import printable_name
from hiprom.recording import SUFFIX as RECORDING_SUFFIX
from hiprom.rounding import counted
from hiprom.source import file_kind

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Job:
    """One input of a batch.

    Attributes:
        path (Path): absolute path of the input file.
        rel (str): the input's path relative to the batch root, POSIX style; the
            ``file`` column of the summary.
        stem (str): output path without extension, relative to OUT_DIR, POSIX
            style (``rendered/gt01`` -> ``OUT/rendered/gt01.analysis.json``), valid
            UTF-8 (:func:`hiprom.parsing.printable_name`); empty for a copy.
        copy_of (str): for a byte-identical copy of another input, that input's ``rel``
            (the copy is not analysed: its summary row names the other); else empty.
    """

    path: Path
    rel: str
    stem: str
    copy_of: str = ""

    @property
    def is_recording(self) -> bool:
        """True for a ``.landmarks.npz`` input, which needs no pose model."""
        return file_kind(self.path.name) == "recording"


def _strip_suffix(rel: str) -> str:
    low = rel.lower()
    if low.endswith(RECORDING_SUFFIX):
        return rel[: -len(RECORDING_SUFFIX)]
    return str(PurePosixPath(rel).with_suffix("")) if file_kind(rel) == "video" else rel


def _wanted(rel: str, name: str, patterns: Sequence[str]) -> bool:
    if name.startswith("."):  # hidden files, temp files, macOS "._clip.mp4" forks
        return False
    if patterns:
        return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(rel, p) for p in patterns)
    return file_kind(name) is not None


def _file_id(path: Path) -> tuple[int, int] | None:
    """Device and inode of a file or folder (one reached by two routes is one), ``None`` if it cannot be read."""
    try:
        st = path.stat()
    except OSError:  # a link to nowhere
        return None
    return (st.st_dev, st.st_ino)


def _walk(folder: Path, exclude: Path | None, patterns: Sequence[str], seen: set[tuple[int, int]],
          left_out: collections.Counter[str] | None = None) -> Iterable[Path]:
    """Files wanted under ``folder``, following links to folders, each folder once (no loops).

    ``left_out`` counts, by lower-case ending, the files left out for their ending (not hidden
    ones, nor any when ``patterns`` choose the files)."""
    for root, dirs, files in os.walk(folder, followlinks=True):
        here = Path(root)
        keep = []
        for d in sorted(dirs):
            key = None if d.startswith(".") else _file_id(here / d)
            if key is None or key in seen or (exclude is not None and (here / d).resolve() == exclude):
                continue
            seen.add(key)
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            rel = (here / name).relative_to(folder).as_posix()
            if _wanted(rel, name, patterns):
                yield here / name
            elif left_out is not None and not patterns and not name.startswith("."):
                left_out[PurePosixPath(name).suffix.lower() or "(no ending)"] += 1


def file_digest(path: Path) -> dict[str, Any]:
    """Size and SHA-256 (hex) of a file, as recorded in a marker. Raises ``OSError``."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return {"size": size, "sha256": h.hexdigest()}


def _copies(paths: Sequence[Path], rels: Sequence[str]) -> dict[int, int]:
    """Inputs whose bytes are another input's: the index of each copy -> that of the one to analyse.

    A clinic's folder copied twice, a phone's ``IMG_0001 (1).MOV``, a hard link: analysed under both names,
    one person counts twice in a study. Only files that share their size with another input are
    read (a batch of distinct videos reads none; hashing every input would cost about as much as
    decoding it), and empty files are left to fail as such. Of identical files the one with the
    shortest relative path is analysed (``IMG_0001.MOV``, not ``IMG_0001 (1).MOV``; ``site1/``, not
    ``site1 copy/``), ties in discovery order.
    """
    by_size: dict[int, list[int]] = collections.defaultdict(list)
    for i, path in enumerate(paths):
        try:
            size = path.stat().st_size
        except OSError:  # gone since: its worker says so
            continue
        if size:
            by_size[size].append(i)
    same: dict[str, list[int]] = collections.defaultdict(list)
    digests: dict[tuple[int, int] | None, str] = {}  # by device and inode: hard links are read once
    for group in by_size.values():
        for i in group if len(group) > 1 else ():
            key = _file_id(paths[i])
            try:
                digest = digests[key] if key in digests else file_digest(paths[i])["sha256"]
            except OSError:  # unreadable: its worker says so
                continue
            if key is not None:
                digests[key] = digest
            same[digest].append(i)
    copies: dict[int, int] = {}
    for group in same.values():
        kept = min(group, key=lambda i: (len(rels[i]), i))
        copies.update({i: kept for i in group if i != kept})
    return copies


def left_out_note(left_out: collections.Counter[str]) -> str | None:
    """The line saying which files of the input folders a batch leaves out (``None`` when none).

    Videos in a format hiprom does not take by default (``.mxf``, a camera's own) would
    otherwise be missing from ``summary.csv`` without a word.
    """
    n = sum(left_out.values())
    if not n:
        return None
    common = left_out.most_common()
    endings = ", ".join(f"{count} {ending}" for ending, count in common[:5]) + (", …" if len(common) > 5 else "")
    what = "not videos or .landmarks.npz recordings by their ending" if n > 1 else \
        "not a video or .landmarks.npz recording by its ending"
    return (f"left out {counted(n, 'file')} in the input folders: {what} ({endings}); to analyse "
            "such files, name them as inputs or choose them with --glob")


def discover(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] | None = None,
    patterns: Sequence[str] = (),
    left_out: collections.Counter[str] | None = None,
) -> list[Job]:
    """List the jobs of a batch, in a stable order.

    Args:
        inputs: files and folders. Folders are searched recursively for videos
            (``hiprom.source.VIDEO_SUFFIXES``) and ``.landmarks.npz`` recordings, or for files
            whose name or relative path matches one of ``patterns``; hidden
            files and folders are left out. Links to folders are followed, and
            a folder reached twice (a loop, or two routes) is searched once, and a
            file reached twice (a link to another input, a folder by two routes) is taken
            once, under its own name rather than a link's. A byte-identical copy of
            another input under another name, a hard link to it included, is listed with
            ``copy_of`` naming the input analysed in its place (:func:`_copies`). A file named directly is always
            taken, whatever its ending (it fails in the summary if unreadable).
        out_dir: the batch's output folder, never searched (so that re-running
            with the output inside an input folder does not analyse outputs).
        patterns: shell patterns (``*.MTS``, ``2024-*/*.mp4``) replacing the
            default file endings in folders.
        left_out: if given, counts the files of the folders left out for their ending
            (:func:`left_out_note` says them).

    Raises:
        InputError: an input does not exist, or no input was found.
    """
    exclude = Path(out_dir).resolve() if out_dir is not None else None
    found: dict[Path, Path] = {}  # ordered set of files, by real path (a link's target)
    seen: set[tuple[int, int]] = set()  # folders searched, by device and inode
    named: list[Path] = []  # the folders named as inputs

    def take(f: Path) -> None:
        """Keep ``f`` unless its file is already taken under the same real path; a file's own name wins over a
        link's. A hard link is a name of its own (another real path): kept, and so found a copy (:func:`_copies`)."""
        key = f.resolve()
        if key not in found or (found[key].is_symlink() and not f.is_symlink()):
            found[key] = f

    for item in inputs:
        if not str(item).strip():  # Path("") is the current folder: a script's empty variable, not a choice
            raise InputError("an input is an empty name; give a file or folder")
        p = Path(item).expanduser()
        if not p.exists():
            raise InputError(f"{item}: no such file or folder; check the path")
        p = p.resolve()
        if p.is_dir() and p == exclude:
            raise InputError(f"{item}: the output folder cannot also be an input folder; choose another -o")
        if p.is_dir():
            named.append(p)
            key = _file_id(p)
            if key is not None and key not in seen:
                seen.add(key)
                for f in _walk(p, exclude, patterns, seen, left_out):
                    take(f)
        else:
            take(p)
    if not found:
        what = f"matching {', '.join(patterns)}" if patterns else "videos or .landmarks.npz recordings"
        raise InputError(f"no {what} found in {', '.join(map(str, inputs))}; check the paths")
    paths = list(found.values())
    # Relative to the folders named, not to the files found in them: `hiprom batch study` names
    # study/p01/v1/clip.mp4 "p01/v1/clip.mp4" while p01 is its only participant too (before: "clip.mp4",
    # whose participant and visit the summary no longer said), and its names stay as the study grows.
    # A folder named whose files were all reached by another route (a link to it in another input) is not one.
    folders = [d for d in dict.fromkeys(named) if any(p.is_relative_to(d) for p in paths)]
    root = Path(os.path.commonpath([str(p.parent) for p in paths] + [str(d) for d in folders]))
    rels = [p.relative_to(root).as_posix() for p in paths]
    copies = _copies(paths, rels)
    # Outputs get UTF-8 names, those the summary shows (a Latin-1 "caf\xe9" stays readable there).
    stems = [printable_name(_strip_suffix(r)) for r in rels]
    # Case-folded, so that Clip.mp4 and clip.mov do not clash on macOS either. Copies write nothing.
    counts = collections.Counter(s.casefold() for i, s in enumerate(stems) if i not in copies)
    jobs: list[Job] = []
    taken: set[str] = set()
    for i, (p, r, s) in enumerate(zip(paths, rels, stems)):
        if i in copies:
            jobs.append(Job(path=p, rel=r, stem="", copy_of=rels[copies[i]]))
            continue
        stem = printable_name(r) if counts[s.casefold()] > 1 else s
        base, k = stem, 2
        while stem.casefold() in taken:  # e.g. "clip.mp4" beside "clip.mp4.mov"
            stem, k = f"{base}-{k}", k + 1
        taken.add(stem.casefold())
        jobs.append(Job(path=p, rel=r, stem=stem))
    return jobs


def largest_first(jobs: Sequence[Job]) -> list[Job]:
    """``jobs`` in the order to hand them to workers: videos by file size, largest first, then recordings.

    With the longest input last, one worker analyses it alone at the end while
    the others idle (a 30 s clip found after four 5 s ones, two workers:
    28-30 s in discovery order, 21-23 s largest first, ``docs/batch.md``).
    File size stands in for length, since reading it costs nothing;
    recordings need no pose model and take moments. Ties keep their
    discovery order; the summary keeps discovery order whatever the work order.
    """
    def cost(job: Job) -> tuple[bool, int]:
        try:
            size = job.path.stat().st_size
        except OSError:  # gone since discovery: the worker reports it
            size = 0
        return (not job.is_recording, size)

    return sorted(jobs, key=cost, reverse=True)
