"""The outputs an earlier run wrote for an input that is now a copy of another input.

A copy is never analysed: its ``duplicate`` row names the input analysed in its place and
has no outputs (:func:`hiprom.batch.discover.discover`). An input analysed earlier and
since replaced by a copy of another input (a hard link, a file copied over it), or
analysed by a hiprom that did not know copies, still had that run's files beside the
summary: two sets of figures of which the researcher cannot tell the current one. So the
files hiprom wrote for it go, marker first (as :func:`~hiprom.batch.outputs.write_outputs`
deletes it before writing), when each is still as its marker records it; a file the user
changed since is theirs, and is kept and said.
"""

from __future__ import annotations

import collections
import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from hiprom.batch.discover import Job, file_digest
from hiprom.batch.outputs import EarlierOutput, OutputPaths, remove_empty_folders, same_tail
from hiprom.rounding import counted

_NAMES_SHOWN = 5


@dataclass
class CopiesOutputs:
    """What :func:`remove_copies_outputs` did.

    Attributes:
        removed: the copies (their ``rel``) whose earlier outputs were removed.
        kept: each copy whose earlier outputs were kept, with the files changed since hiprom wrote them
            (relative to OUT_DIR, POSIX style), and the input it copies.
    """

    removed: list[str] = field(default_factory=list)
    kept: list[tuple[Job, list[str]]] = field(default_factory=list)

    def notes(self) -> list[str]:
        """The lines to say (none when nothing was found)."""
        lines = []
        if self.removed:
            n = len(self.removed)
            names = ", ".join(self.removed[:_NAMES_SHOWN]) + (", …" if n > _NAMES_SHOWN else "")
            lines.append(f"removed the outputs an earlier run wrote for {counted(n, 'input')} that "
                         + ("is now a copy of another input" if n == 1 else "are now copies of another input")
                         + f" ({names}): " + ("its row names the input analysed in its place" if n == 1 else
                                              "their rows name the input analysed in their place"))
        for job, changed in self.kept:
            lines.append(f"kept the outputs of {job.rel}, now a copy of another input ({job.copy_of}): some were "
                         f"changed since hiprom wrote them ({', '.join(changed)}); remove them if they are not wanted")
        return lines


def _changed(paths: OutputPaths, recorded: dict[str, object]) -> list[Path]:
    """The data files that differ from the digests their marker records (a file gone is not one)."""
    changed = []
    for p in paths.data:
        try:
            if recorded.get(p.name) != file_digest(p):
                changed.append(p)
        except FileNotFoundError:
            continue
    return changed


def remove_copies_outputs(out_dir: Path, copies: Sequence[Job], earlier: list[EarlierOutput],
                          analysed: Iterable[str]) -> CopiesOutputs:
    """Remove the outputs an earlier run wrote for each of ``copies``.

    Args:
        out_dir: the batch's output folder.
        copies: the inputs that are copies of another input in this run.
        earlier: the markers under names no input analysed in this run has
            (:func:`~hiprom.batch.outputs.earlier_outputs`, after the moves of
            :func:`~hiprom.batch.outputs.adopt_earlier`); those used are taken out.
        analysed: the relative paths of the inputs analysed (or skipped) in this run.

    An earlier output is a copy's when its marker's input and the copy's relative path end alike
    (as for :func:`~hiprom.batch.outputs.adopt_earlier`, so a batch whose inputs' deepest common
    folder moved finds it too) and no analysed input's does: such an output may be that input's.
    """
    by_name: dict[str, list[str]] = collections.defaultdict(list)
    for rel in analysed:
        by_name[PurePosixPath(rel).name].append(rel)
    done = CopiesOutputs()
    for job in copies:
        name = PurePosixPath(job.rel).name
        mine = [e for e in earlier if same_tail(e.rel, job.rel)
                and not any(same_tail(e.rel, rel) for rel in by_name[name])]
        removed, changed = False, []
        for e in mine:
            paths = OutputPaths.of(out_dir, e.stem)
            try:
                recorded = json.loads(paths.marker.read_text(encoding="utf-8"))["outputs"]
                differ = _changed(paths, recorded)
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
            earlier.remove(e)
            if differ:
                changed += [p.relative_to(out_dir).as_posix() for p in differ]
                continue
            for p in (paths.marker, *paths.data):  # the marker first: a set without one is never taken as done
                with contextlib.suppress(OSError):
                    p.unlink()
            remove_empty_folders(paths.marker.parent, out_dir)
            removed = True
        if changed:
            done.kept.append((job, changed))
        elif removed:
            done.removed.append(job.rel)
    return done
