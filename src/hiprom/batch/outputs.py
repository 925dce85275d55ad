"""The files a batch writes per input, and the marker that makes a batch resumable.

Per input (``stem`` from :mod:`hiprom.batch.discover`)::

    OUT/<stem>.landmarks.npz    the pose track (re-analysis needs no model)
    OUT/<stem>.series.csv       per-frame angles, uncertainties and flags
    OUT/<stem>.analysis.json    the analysis result (hiprom.analysis/1)
    OUT/<stem>.done.json        written last: input size + mtime, settings,
                                each output's size and SHA-256

Every file is written atomically. The marker is deleted before and written
after the others, and a failure on the way removes the input's files, so a
marker always describes a complete, matching set and a failed input has none: an
input counts as done when its marker exists, the input's size and mtime and
the batch settings are those recorded, and every output has its recorded size
and SHA-256, so any change to an output (even one digit, same size) makes the
next run redo that input. Markers of the older format (sizes only) count as
not done.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from hiprom import __version__
from hiprom.assessment import Norms, result_json, series_csv_file
from hiprom.atomic import PART_SUFFIX, atomic_write, output_error, part_prefix, private_dir
from hiprom.batch.discover import Job, file_digest
from hiprom.batch.summary import SummaryRow
from hiprom.overwrite import check_replaceable
from hiprom.recording import LandmarkRecording
from hiprom.rounding import counted

OUT_HINT = " (another -o folder)"
"""Ends a refusal of a batch's output: the output names are fixed, the folder is the user's to choose."""
MARKER_FORMAT = "hiprom.batch-done/2"
_MARKER_SUFFIX = ".done.json"


@functools.cache
def figures_software(tracks: bool = True) -> dict[str, str]:
    """The versions of the libraries besides hiprom that can change a batch's figures, in this process.

    numpy measures the angles; when the batch ``tracks`` videos, MediaPipe finds the pose and OpenCV
    decodes the frames (the analysis's ``software``, ``docs/formats.md``). Two workers with other
    versions of one of them can give one video other figures, so a batch uses one set.
    """
    import numpy as np

    from hiprom.pose.track import tracking_software

    return {**(tracking_software() if tracks else {}), "numpy": np.__version__}


@dataclass(frozen=True)
class BatchOptions:
    """What every input of a batch is analysed with (picklable, sent to workers).

    Attributes:
        model: pose model file (resolved by ``hiprom.pose.resolve_model`` in
            the batch process), or ``None`` when every input is a recording.
        model_spec: what the user asked for (``--model``); a Dask worker on
            which ``model`` does not exist resolves this itself.
        needs_model: some input is a video, so the pose model is needed: even
            when ``model`` is ``None`` because the machine submitting a batch to
            a Dask cluster has none (each worker's check then loads its own).
        mirrored: force the picture to be taken as mirrored (``True``) or not
            (``False``); ``None`` lets the pipeline decide (recording metadata).
        norms: the norms every input is compared with (loaded once by the
            parent from ``--norms`` or ``HIPROM_NORMS``, so workers, even
            remote ones, need no norms file); ``None`` for the built-in ones.
        settings: fingerprint of the above stored in each marker; a change
            re-runs every input. Made by :meth:`create`. Its ``model`` is the
            :func:`~hiprom.pose.models.model_id` of ``model`` (``None`` when this
            machine has no model file: the Dask workers' own decide).
        analyzer: ``"module:function"`` with the signature of
            ``hiprom.pipeline.analyze_path``; tests replace it to make inputs
            crash or hang on purpose.
        hiprom_version: the version of the batch process; a Dask worker that
            runs another refuses the task (its numbers could differ).
        software: the versions of the other libraries that make the figures in the
            batch process (:func:`figures_software`); a Dask worker that runs others
            refuses the task, as for ``hiprom_version``. Empty: not checked.
    """

    model: str | None = None
    model_spec: str | None = None
    needs_model: bool = False
    mirrored: bool | None = None
    norms: Norms | None = None
    settings: tuple[tuple[str, Any], ...] = ()
    analyzer: str = "hiprom.pipeline:analyze_path"
    hiprom_version: str = __version__
    software: tuple[tuple[str, str], ...] = ()

    @classmethod
    def create(cls, model: str | os.PathLike[str] | None = None, mirrored: bool | None = None,
               norms: Norms | None = None, model_spec: str | os.PathLike[str] | None = None,
               needs_model: bool | None = None, **extra: Any) -> "BatchOptions":
        """Options with their settings fingerprint (the model file's hash, norms values).

        ``needs_model`` defaults to whether a ``model`` is given."""
        from hiprom.pose.models import model_id

        needs_model = model is not None if needs_model is None else needs_model
        settings: dict[str, Any] = {"mirrored": mirrored}
        if needs_model:
            settings["model"] = model_id(model) if model is not None and Path(model).is_file() else None
        settings["norms_sha256"] = hashlib.sha256(repr(norms or Norms()).encode()).hexdigest()[:16]
        extra.setdefault("software", tuple(figures_software(needs_model).items()))
        return cls(
            model=None if model is None else str(model),
            model_spec=None if model_spec is None else str(model_spec),
            needs_model=needs_model,
            mirrored=mirrored,
            norms=norms,
            settings=tuple(sorted(settings.items())),
            **extra,
        )

    def model_here(self) -> str | None:
        """The model to load in this process: the resolved file if it exists here, else the spec."""
        if self.model is not None and Path(self.model).is_file():
            return self.model
        return self.model_spec

    def settings_for(self, job: Job, model: str | None = None) -> dict[str, Any]:
        """The settings that matter for ``job`` (a recording ignores the model).

        ``model``: the :func:`~hiprom.pose.models.model_id` of the file the analysis
        actually used (a Dask worker's own), in place of this batch's."""
        s = dict(self.settings)
        if job.is_recording:
            s.pop("model", None)
        elif model is not None:
            s["model"] = model
        return s


@dataclass(frozen=True)
class OutputPaths:
    """Where one input's outputs go."""

    landmarks: Path
    series: Path
    analysis: Path
    marker: Path

    @classmethod
    def of(cls, out_dir: str | os.PathLike[str], stem: str) -> "OutputPaths":
        base = Path(out_dir) / stem
        return cls(*(base.with_name(base.name + sfx) for sfx in
                     (".landmarks.npz", ".series.csv", ".analysis.json", _MARKER_SUFFIX)))

    @property
    def data(self) -> tuple[Path, ...]:
        """The three data files (not the marker)."""
        return (self.landmarks, self.series, self.analysis)

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file of the input: the data files, then the marker."""
        return (*self.data, self.marker)

    def check_replaceable(self) -> None:
        """Refuse, before any work, a file hiprom did not make under one of these names
        (:func:`hiprom.overwrite.check_replaceable`, as every command's outputs)."""
        check_replaceable([self.landmarks], "a landmarks recording", OUT_HINT)
        check_replaceable([self.series], "a CSV table", OUT_HINT)
        check_replaceable([self.analysis, self.marker], "a JSON file", OUT_HINT)


def input_fingerprint(path: Path) -> dict[str, int]:
    """Size and modification time of an input: what "unchanged" means on resume.

    Raises ``OSError`` when the file cannot be stat'ed.
    """
    st = path.stat()
    return {"size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns)}


def data_digest(data: bytes) -> dict[str, Any]:
    """:func:`file_digest` of bytes already read."""
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def write_outputs(job: Job, out_dir: Path, options: BatchOptions, fingerprint: dict[str, int],
                  recording: LandmarkRecording, analysis: dict[str, Any], model: str | None = None) -> SummaryRow:
    """Write one input's outputs and, last, its marker; return its summary row.

    ``model`` is the :func:`~hiprom.pose.models.model_id` of the model file the analysis
    used (``None`` for a recording), which the marker records.

    All or nothing: the texts are made before anything is written, and if a
    write fails (a full disk) the files already written for this input are
    removed, so a failed input leaves no outputs without an analysis or marker.
    """
    paths = OutputPaths.of(out_dir, job.stem)
    try:
        paths.marker.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:  # e.g. a name too long: the output's fault, not the input's
        raise output_error(paths.marker, exc) from None
    # The same texts as `hiprom analyze --json/--csv` writes to files.
    series, result = series_csv_file(analysis), result_json(analysis)
    try:
        recording.save(paths.landmarks)
        with atomic_write(paths.series, "w") as fh:
            fh.write(series)
        with atomic_write(paths.analysis, "w") as fh:
            fh.write(result)
        row = SummaryRow.from_analysis(job.rel, analysis, paths.analysis.relative_to(out_dir).as_posix())
        marker = {
            "format": MARKER_FORMAT,
            "input": {"file": job.rel, **fingerprint},
            "settings": options.settings_for(job, model),
            "outputs": {p.name: file_digest(p) for p in paths.data},
            "hiprom_version": __version__,
            "finished_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        with atomic_write(paths.marker, "w") as fh:
            json.dump(marker, fh, indent=1)
    except BaseException:
        for p in paths.files:
            with contextlib.suppress(OSError):
                p.unlink()
        raise
    return row


def recorded_model(job: Job, out_dir: Path) -> str | None:
    """The model an earlier run's marker of ``job`` records (:func:`~hiprom.pose.models.model_id`), if any."""
    try:
        model = json.loads(OutputPaths.of(out_dir, job.stem).marker.read_text(encoding="utf-8"))["settings"]["model"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return model if isinstance(model, str) else None


def finished_row(job: Job, out_dir: Path, options: BatchOptions, any_model: bool = False) -> SummaryRow | None:
    """The ``skipped`` row of an input already done by an earlier run, else ``None``.

    ``any_model``: accept whatever model the marker records (a Dask batch asks its workers
    which model they have: :func:`recorded_model`); else it must be the batch's own.
    """
    from hiprom.pose.models import model_sha256_of, same_model

    paths = OutputPaths.of(out_dir, job.stem)
    try:
        marker = json.loads(paths.marker.read_text(encoding="utf-8"))
        if marker.get("format") != MARKER_FORMAT:
            return None
        if marker["input"] != {"file": job.rel, **input_fingerprint(job.path)}:
            return None
        recorded, wanted = dict(marker["settings"]), json.loads(json.dumps(options.settings_for(job)))
        if "model" in wanted and not (any_model or same_model(recorded.get("model"), wanted["model"])):
            return None
        if {**recorded, "model": None} != {**wanted, "model": None}:
            return None
        analysis_bytes = b""
        for p in paths.data:
            recorded = marker["outputs"].get(p.name)
            if not isinstance(recorded, dict) or recorded.get("size") != p.stat().st_size:
                return None  # cheap check first: most changes change the size
            if p == paths.analysis:  # read once: the bytes verified are the bytes the row is made from
                analysis_bytes = p.read_bytes()
                if recorded != data_digest(analysis_bytes):
                    return None
            elif recorded != file_digest(p):
                return None
        # The row is made again from the analysis just verified, so a summary
        # written by a newer hiprom has its columns for inputs an older one did.
        analysis = json.loads(analysis_bytes.decode("utf-8"))
        if not analysis.get("model_sha256"):  # an older hiprom's analysis: the marker names the model file
            analysis["model_sha256"] = model_sha256_of(marker["settings"].get("model"))
        return SummaryRow.from_analysis(job.rel, analysis, paths.analysis.relative_to(out_dir).as_posix(),
                                        status="skipped")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def redone_note(out_dir: Path, todo: Iterable[Job]) -> str | None:
    """The line saying that inputs an earlier run finished are analysed again, and why (``None`` when none).

    A folder a batch of an older hiprom finished (its markers of an older format) was analysed
    again from the start without a word: "3 ok, 0 already done" and its outputs replaced.
    """
    older = changed = 0
    for job in todo:
        try:
            marker = json.loads(OutputPaths.of(out_dir, job.stem).marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # no marker: never finished here
        if isinstance(marker, dict) and marker.get("format") == MARKER_FORMAT:
            changed += 1
        else:
            older += 1
    if not older + changed:
        return None
    why = [f"{older} finished by an older hiprom, whose results are not reused" if older else "",
           f"{changed} whose input, settings or outputs changed since" if changed else ""]
    return (f"analysing again {counted(older + changed, 'input')} an earlier run finished "
            f"({'; '.join(w for w in why if w)}): their outputs in {out_dir} are replaced; to keep "
            "them, stop now (Ctrl-C) and choose another -o")


@dataclass(frozen=True)
class EarlierOutput:
    """An input done by an earlier run into the same folder, as its marker names it."""

    rel: str
    stem: str
    fingerprint: tuple[tuple[str, Any], ...]


def earlier_outputs(out_dir: Path, stems_now: set[str]) -> list[EarlierOutput]:
    """The markers in ``out_dir`` under names no input of this run has: outputs an earlier run named otherwise."""
    found = []
    for marker in sorted(out_dir.rglob("*" + _MARKER_SUFFIX)):
        stem = marker.relative_to(out_dir).as_posix()[: -len(_MARKER_SUFFIX)]
        if stem in stems_now:
            continue
        try:
            recorded = dict(json.loads(marker.read_text(encoding="utf-8"))["input"])
            rel = recorded.pop("file")
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(rel, str):
            found.append(EarlierOutput(rel=rel, stem=stem, fingerprint=tuple(sorted(recorded.items()))))
    return found


def same_tail(a: str, b: str) -> bool:
    """True when one relative path ends with the other, folder by folder (``site1/a/x.mp4`` and ``a/x.mp4``)."""
    pa, pb = PurePosixPath(a).parts, PurePosixPath(b).parts
    n = min(len(pa), len(pb))
    return pa[-n:] == pb[-n:]


def adopt_earlier(job: Job, out_dir: Path, options: BatchOptions, earlier: list[EarlierOutput],
                  any_model: bool = False) -> SummaryRow | None:
    """Move an earlier run's outputs of ``job`` to its name in this run; its ``skipped`` row, else ``None``.

    Output names follow the deepest folder holding every input, so adding a
    folder to a batch (``site1`` then ``site1 site2``) or running a part of it
    names every input anew. An earlier output is taken when its relative path
    and the input's end alike, exactly one such output is still complete and
    its marker matches this input's size, time and the settings, as
    :func:`finished_row` checks. Its data files are renamed, and its marker is
    rewritten under the new name last, so an interruption costs at most a re-analysis.
    """
    try:
        fingerprint = tuple(sorted(input_fingerprint(job.path).items()))
    except OSError:
        return None
    matches = [e for e in earlier if e.fingerprint == fingerprint and same_tail(e.rel, job.rel)
               and finished_row(Job(path=job.path, rel=e.rel, stem=e.stem), out_dir, options, any_model) is not None]
    if len(matches) != 1:
        return None
    old, new = OutputPaths.of(out_dir, matches[0].stem), OutputPaths.of(out_dir, job.stem)
    try:
        marker = json.loads(old.marker.read_text(encoding="utf-8"))
        with contextlib.suppress(FileNotFoundError):
            new.marker.unlink()
        private_dir(new.marker.parent)
        for a, b in zip(old.data, new.data):
            os.replace(a, b)
        marker["input"]["file"] = job.rel
        marker["outputs"] = {b.name: marker["outputs"][a.name] for a, b in zip(old.data, new.data)}
        with atomic_write(new.marker, "w") as fh:
            json.dump(marker, fh, indent=1)
        old.marker.unlink()
    except (OSError, ValueError, KeyError):
        return None
    earlier.remove(matches[0])
    remove_empty_folders(old.marker.parent, out_dir)  # the earlier names' folders
    return finished_row(job, out_dir, options, any_model)


def remove_empty_folders(folder: Path, out_dir: Path) -> None:
    """Remove ``folder`` and the folders above it, up to ``out_dir`` (kept), while they are empty."""
    with contextlib.suppress(OSError):
        while folder != out_dir and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def remove_stale_parts(out_dir: Path, stems: Iterable[str]) -> None:
    """Delete the temporary files (``.<name>.XXXXXXXX.part``) a killed run left for these inputs.

    Called once per batch, under its lock, for the inputs it will analyse: each folder is
    listed once. Listing it for every input made a batch quadratic in the files of a
    folder (115 ms per input in a folder of 2,000 inputs' outputs, in the Dask client).
    """
    wanted: dict[Path, set[str]] = {}
    for stem in stems:
        paths = OutputPaths.of(out_dir, stem)
        wanted.setdefault(paths.analysis.parent, set()).update(part_prefix(p.name) for p in paths.files)
    for folder, prefixes in wanted.items():
        try:
            with os.scandir(folder) as entries:
                stale = [e.path for e in entries if e.name.endswith(PART_SUFFIX)
                         and e.name[: -len(PART_SUFFIX)].rpartition(".")[0] + "." in prefixes]
        except OSError:  # not there yet
            continue
        for part in stale:
            with contextlib.suppress(OSError):
                os.unlink(part)
