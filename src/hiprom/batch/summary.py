"""One row per input of a batch, and the ``summary.csv`` that collects them.

The figures are those of the input's analysis result (``hiprom.analysis/1``,
see ``docs/formats.md``), never recomputed, in the columns and rounding of
the clinic's summary export (``hiprom.report.figures.summary_row``): the same
names, the ± of each figure, the band and left/right verdicts and their
sentences, so a batch and a clinic's records read alike and concatenate.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hiprom.parsing import printable_name
from hiprom.report.figures import SUMMARY_COLUMNS, TRIAL_FIELDS, summary, summary_row
from hiprom.tables import COMMAS, CsvStyle, plain, spreadsheet_rows, write_csv

Status = Literal["ok", "failed", "skipped", "interrupted", "duplicate"]
STATUSES: tuple[str, ...] = ("ok", "failed", "skipped", "interrupted", "duplicate")


@dataclass(frozen=True)
class SummaryRow:
    """The outcome of one input.

    Attributes:
        file: the input's path relative to the batch root (POSIX style).
        status: ``ok`` (analysed now), ``skipped`` (complete outputs from an
            earlier run, input unchanged), ``failed`` (see ``error``),
            ``interrupted`` (the batch stopped before this input finished) or
            ``duplicate`` (the same bytes as another input, analysed in its place).
        error: one plain sentence saying why the input has no figures (why it failed, which
            input it copies), else empty.
        figures: the analysis as :data:`~hiprom.report.figures.SUMMARY_COLUMNS`
            (frames, each side's figures in degrees with their ±, the
            asymmetry left minus right with its verdicts, quality notes);
            empty when the input was not analysed.
        analysis: the analysis JSON, relative to OUT_DIR (empty when failed).
        trials: each trial of the analysis as :data:`~hiprom.report.figures.TRIAL_FIELDS`
            (rounded as in the report), for ``trials.csv``.
        created_utc: when the analysis was made (its ``created_utc``, ISO 8601 UTC); empty when not analysed.
        software: the analysis's ``software`` but hiprom (``hiprom_version`` says it), as ``(name, version)``
            pairs: numpy, Python, and the MediaPipe and OpenCV that tracked the video.
    """

    file: str
    status: Status
    error: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    analysis: str = ""
    trials: tuple[dict[str, Any], ...] = ()
    created_utc: str = ""
    software: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, but got {self.status!r}")
        unknown = set(self.figures) - set(SUMMARY_COLUMNS)
        if unknown:
            raise ValueError(f"figures has unknown columns {sorted(unknown)}")

    @property
    def frames(self) -> int | None:
        """Frames analysed (``None`` when not analysed)."""
        return self.figures.get("frames")

    @classmethod
    def from_analysis(cls, file: str, analysis: dict[str, Any], analysis_path: str,
                      status: Status = "ok") -> "SummaryRow":
        """The row of a finished analysis result (``hiprom.analysis/1``)."""
        fig = summary(analysis)
        trials = tuple({k: t.get(k) for k in TRIAL_FIELDS} for t in fig["trials"])
        software = tuple((str(k), str(v)) for k, v in (analysis.get("software") or {}).items()
                         if k != "hiprom" and v is not None)
        return cls(file=file, status=status, figures=summary_row(analysis, fig), analysis=analysis_path, trials=trials,
                   created_utc=str(analysis.get("created_utc") or ""), software=software)

    @classmethod
    def failed(cls, file: str, error: str, path: Path | None = None) -> "SummaryRow":
        """The row of an input that could not be analysed.

        ``error`` loses the input's absolute ``path`` in front (``/data/in/p01.mp4: is empty …``), which the
        row names in its ``file`` column already: the cell then says what went wrong and what to do, in the
        words of the terminal's line (``failed p01.mp4: is empty …``).
        """
        error = " ".join(error.split())
        for name in dict.fromkeys((str(path), printable_name(str(path))) if path is not None else ()):
            if error.startswith(f"{name}: "):
                error = error[len(name) + 2:]
                break
        return cls(file=file, status="failed", error=error)

    @classmethod
    def duplicate(cls, file: str, of: str) -> "SummaryRow":
        """The row of a byte-identical copy of input ``of``, which is analysed in its place."""
        return cls(file=file, status="duplicate", error=f"a copy of {of} (the same bytes); analysed once, under that name")

    @classmethod
    def interrupted(cls, file: str) -> "SummaryRow":
        """The row of an input the batch was stopped before finishing."""
        return cls(file=file, status="interrupted", error="the batch was interrupted before this input finished")

    def as_dict(self) -> dict[str, Any]:
        """The row as ``{column: value}`` in :data:`COLUMNS` order, JSON-ready."""
        return {"file": self.file, "status": self.status, "error": self.error,
                **{k: self.figures.get(k) for k in SUMMARY_COLUMNS}, "analysis": self.analysis,
                "created_utc": self.created_utc, "software": "; ".join(f"{k} {v}" for k, v in self.software)}


COLUMNS: tuple[str, ...] = ("file", "status", "error", *SUMMARY_COLUMNS, "analysis", "created_utc", "software")
"""Column order of ``summary.csv``."""
TRIAL_COLUMNS: tuple[str, ...] = ("file", "trial", *TRIAL_FIELDS)
"""Column order of ``trials.csv``: the clinic export's trials table with the input in place of the session."""


def write_summary(path: str | os.PathLike[str], rows: Iterable[SummaryRow], style: CsvStyle = COMMAS) -> Path:
    """Write ``summary.csv`` atomically, one row per input in the given order."""
    return write_csv(path, COLUMNS, (list(row.as_dict().values()) for row in rows), style)


def write_trials(path: str | os.PathLike[str], rows: Iterable[SummaryRow], style: CsvStyle = COMMAS) -> Path:
    """Write ``trials.csv`` atomically: every trial of every analysed input, inputs in the given order."""
    return write_csv(path, TRIAL_COLUMNS, ([row.file, i, *(t[k] for k in TRIAL_FIELDS)]
                                           for row in rows for i, t in enumerate(row.trials, start=1)), style)


def read_summary(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """The rows of a ``summary.csv`` as dicts of strings, each the text written (:func:`hiprom.tables.plain`:
    ``file`` is the input's relative path also when a spreadsheet would run it as a formula), in either
    :class:`~hiprom.tables.CsvStyle` (``;``-separated: numbers with their decimal comma, ``31,5``).

    Raises ``OSError``, ``UnicodeError`` or ``csv.Error`` for a file that cannot be read as such."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = spreadsheet_rows(fh.read())
    header = next(rows, [])
    return [{k: plain(v) for k, v in zip(header, row)} for row in rows]
