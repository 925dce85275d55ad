"""One row per input of a batch, and the ``summary.csv`` that collects them.

The figures are copied from the input's analysis result (``hiprom.analysis/1``,
see ``docs/formats.md``), never recomputed, so the summary always agrees with
the ``*.analysis.json`` beside it.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hiprom.tables import write_csv

Status = Literal["ok", "failed", "skipped", "interrupted"]
STATUSES: tuple[str, ...] = ("ok", "failed", "skipped", "interrupted")

# (summary column suffix, analysis field) for each side.
_SIDE_FIELDS: tuple[tuple[str, str], ...] = (
    ("ir_deg", "internal_rotation_deg"),
    ("er_deg", "external_rotation_deg"),
    ("arc_deg", "total_arc_deg"),
)


@dataclass(frozen=True)
class SummaryRow:
    """The outcome of one input.

    Attributes:
        file: the input's path relative to the batch root (POSIX style).
        status: ``ok`` (analysed now), ``skipped`` (complete outputs from an
            earlier run, input unchanged), ``failed`` (see ``error``) or
            ``interrupted`` (the batch stopped before this input finished).
        error: one plain sentence saying why the input failed, else empty.
        frames, duration_s: frames analysed and their duration in seconds.
        measurable: the analysis found something to measure.
        left_ir_deg ... right_arc_deg: per-side peak internal rotation,
            external rotation and total arc, degrees (``None`` = not measurable).
        asym_ir_deg, asym_er_deg, asym_arc_deg: left minus right, degrees.
        flagged: an asymmetry exceeds the threshold.
        flags: the measures that exceeded it, ``;``-separated.
        notes: quality notes and not-measurable reasons, ``;``-separated.
        analysis: the analysis JSON, relative to OUT_DIR (empty when failed).
    """

    file: str
    status: Status
    error: str = ""
    frames: int | None = None
    duration_s: float | None = None
    measurable: bool | None = None
    left_ir_deg: float | None = None
    left_er_deg: float | None = None
    left_arc_deg: float | None = None
    right_ir_deg: float | None = None
    right_er_deg: float | None = None
    right_arc_deg: float | None = None
    asym_ir_deg: float | None = None
    asym_er_deg: float | None = None
    asym_arc_deg: float | None = None
    flagged: bool | None = None
    flags: str = ""
    notes: str = ""
    analysis: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, but got {self.status!r}")

    @classmethod
    def from_analysis(cls, file: str, analysis: dict[str, Any], analysis_path: str,
                      status: Status = "ok") -> "SummaryRow":
        """The row of a finished analysis result (``hiprom.analysis/1``)."""
        sides = analysis.get("sides") or {}
        asym = analysis.get("asymmetry") or {}
        values: dict[str, Any] = {}
        overall = str(analysis.get("not_measurable_reason") or "")
        notes: list[str] = [overall] if overall else []
        for side in ("left", "right"):
            s = sides.get(side) or {}
            for col, key in _SIDE_FIELDS:
                values[f"{side}_{col}"] = s.get(key)
            reason = str(s.get("not_measurable") or "")
            if reason and reason not in overall:  # often already part of the overall reason
                notes.append(f"{side}: {reason}")
        for col, key in _SIDE_FIELDS:
            values[f"asym_{col}"] = asym.get(key)
        notes.extend(str(n) for n in (analysis.get("quality") or {}).get("notes") or [])
        notes = list(dict.fromkeys(notes))  # each note once, in order
        return cls(
            file=file,
            status=status,
            frames=analysis.get("frames"),
            duration_s=analysis.get("duration_s"),
            measurable=analysis.get("measurable"),
            flagged=asym.get("flagged"),
            flags=";".join(str(m) for m in asym.get("flagged_measures") or []),
            notes=";".join(notes),
            analysis=analysis_path,
            **values,
        )

    @classmethod
    def failed(cls, file: str, error: str) -> "SummaryRow":
        """The row of an input that could not be analysed."""
        return cls(file=file, status="failed", error=" ".join(error.split()))

    @classmethod
    def interrupted(cls, file: str) -> "SummaryRow":
        """The row of an input the batch was stopped before finishing."""
        return cls(file=file, status="interrupted", error="the batch was interrupted before this input finished")

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, JSON-ready."""
        return dataclasses.asdict(self)


COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(SummaryRow))
"""Column order of ``summary.csv``."""


def write_summary(path: str | os.PathLike[str], rows: Iterable[SummaryRow]) -> Path:
    """Write ``summary.csv`` atomically, one row per input in the given order."""
    return write_csv(path, COLUMNS, ([getattr(row, c) for c in COLUMNS] for row in rows))


def read_summary(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """The rows of a ``summary.csv`` as dicts of strings (for tests and tools)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
