"""CSV and JSON exports of the data a report shows, for spreadsheets and research.

JSON (``hiprom.export/1``): one object per session with ``subject``,
``session``, ``summary`` (the figures exactly as the PDF prints them),
``history``, ``references`` (the clinic's own instrument readings), the kept
home ``program``, the ``exercise_results`` counted, the ``retest`` table (or null)
and the full ``analysis``; several sessions make a JSON list.

CSV: four rectangular tables, so they open cleanly in a spreadsheet and
concatenate across sessions:

- ``summary``: one row per session (both sides and the asymmetry, rounded as in the PDF);
- ``trials``: one row per trial;
- ``series``: one row per frame (as stored, not rounded);
- ``exercises``: one row per exercise counted with the session (at the visit, or at home with its program).

Every row starts with ``session_id`` and ``subject`` (the pseudonym only:
CSV files carry no names or birth dates). A session's time is there twice:
``local_date``, the day on the clinic's clock as the PDF prints it (a date a
spreadsheet sorts and filters), and ``recorded_utc``, the exact instant (ISO
8601, UTC). Text cells that a spreadsheet would run as a formula (starting
with ``= + - @``) get a leading ``'``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hiprom import __version__, tables
from hiprom.assessment.wording import analysed_again
from hiprom.atomic import write_files
from hiprom.errors import InputError
from hiprom.report.data import ReportData, utc_stamp
from hiprom.report.figures import SUMMARY_COLUMNS, TRIAL_FIELDS, summary, summary_row
from hiprom.store.records import SessionRecord, shown_time

EXPORT_SCHEMA = "hiprom.export/1"
TABLES: tuple[str, ...] = ("summary", "trials", "series", "exercises")
EXERCISE_COLUMNS: tuple[str, ...] = (
    "exercise", "name", "side", "direction", "local_date", "recorded_utc", "reps_done", "reps_target",
    "reps_refused", "timed", "hold_s", "reps", "sets", "holds_s")
"""Columns of the exercises table after ``session_id`` and ``subject``: the record's (docs/formats.md,
``hiprom.exercise/1``), its exercise's name as the PDF prints it, the day it was done on the clinic's clock
and its instant, and the dose asked (``hold_s``, ``reps``, ``sets``)."""

_SERIES_FIRST = ("t_s", "left_deg", "right_deg", "left_raw_deg", "right_raw_deg",
                 "left_unc_deg", "right_unc_deg", "left_flags", "right_flags")
_SESSION_COLUMNS = ("session_id", "subject", "age_years", "local_date", "recorded_utc", "operator", "source")


def export_dict(data: ReportData, exported_utc: str | None = None) -> dict[str, Any]:
    """The JSON export of one session (``hiprom.export/1``)."""
    return {
        "schema": EXPORT_SCHEMA,
        "hiprom_version": __version__,
        "exported_utc": exported_utc or utc_stamp(),
        "subject": data.subject.to_dict() if data.subject else None,
        "session": _visit(data, data.session) if data.session else None,
        "summary": summary(data.analysis),
        "history": [_visit(data, h) for h in data.earlier],
        "references": [r.to_dict() for r in data.references],
        "program": dict(data.program) if data.program else None,
        "exercise_results": list(data.exercise_results),
        "retest": dict(data.retest) if data.retest else None,
        "analysis": data.analysis,
    }


def _visit(data: ReportData, record: SessionRecord) -> dict[str, Any]:
    """A session of the export (its fields, no analysis) with what the PDF's history table marks on its row:
    ``same_recording_as``, the first session of the same recording when this one analyses it again (one
    measurement, not a visit of its own; :func:`hiprom.assessment.retest.same_recording`), else ``None``,
    ``analysed_again``, the row's words ("the recording of #1 analysed again") or ``None``, and ``done``, the
    program kept and exercises counted with it as the PDF says them under the table ("program: 4 exercises;
    reps done: ...") or ``None``."""
    first = data.same_recording_as.get(record.id)
    return {**record.to_dict(with_analysis=False), "same_recording_as": first,
            "analysed_again": analysed_again(first) if first is not None else None,
            "done": data.done_at.get(record.id)}


def export_json(items: Sequence[ReportData], exported_utc: str | None = None) -> Any:
    """The JSON export: one object for one session, a list for several."""
    stamp = exported_utc or utc_stamp()
    out = [export_dict(item, stamp) for item in items]
    return out[0] if len(out) == 1 else out


def table_rows(items: Iterable[ReportData], table: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of one CSV table (``summary``, ``trials`` or ``series``)."""
    items = list(items)
    if table == "summary":
        return _summary_table(items)
    if table == "trials":
        return _trials_table(items)
    if table == "series":
        return _series_table(items)
    if table == "exercises":
        return _exercises_table(items)
    raise InputError(f"CSV table {table!r} is unknown, expecting one of {{{', '.join(TABLES)}}}")


def csv_text(items: Iterable[ReportData], table: str, style: tables.CsvStyle = tables.COMMAS) -> str:
    """One CSV table as text (UTF-8, header first; comma-separated, or as ``style`` says: ``hiprom.tables``)."""
    return tables.csv_text(*table_rows(items, table), style)


def csv_paths(prefix: str | Path) -> dict[str, Path]:
    """Where :func:`write_csv` puts each table: ``PREFIX.summary.csv`` and so on."""
    p = Path(prefix)
    if p.suffix.lower() == ".csv":
        p = p.with_suffix("")
    return {table: p.with_name(f"{p.name}.{table}.csv") for table in TABLES}


def csv_files(items: Iterable[ReportData], prefix: str | Path,
              style: tables.CsvStyle = tables.COMMAS) -> dict[Path, str]:
    """The CSV tables as ``{path: text of the file}``, at :func:`csv_paths`, in ``style``."""
    items = list(items)
    return {path: tables.csv_file_text(*table_rows(items, table), style) for table, path in csv_paths(prefix).items()}


def write_csv(items: Iterable[ReportData], prefix: str | Path,
              style: tables.CsvStyle = tables.COMMAS) -> dict[str, Path]:
    """Write the CSV tables beside ``prefix`` in ``style``, all or none (``atomic.write_files``);
    returns their paths."""
    write_files(csv_files(items, prefix, style))
    return csv_paths(prefix)


def _ids(item: ReportData) -> list[Any]:
    return [item.session.id if item.session else None, item.subject.pseudonym if item.subject else None]


def _union(records: Iterable[dict[str, Any]]) -> list[str]:
    """Keys of all records, in first-seen order (the fixed fields come first in each)."""
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    return list(keys)


def _summary_table(items: list[ReportData]) -> tuple[list[str], list[list[Any]]]:
    header = [*_SESSION_COLUMNS, *SUMMARY_COLUMNS]
    rows = []
    for item in items:
        a = item.analysis
        meta = [
            *_ids(item),
            item.age_years,
            item.session_date.isoformat() if item.session_date else None,
            item.assessed_utc,
            item.session.operator if item.session else None,
            a.get("source"),
        ]
        figures = summary_row(a)
        rows.append([*meta, *(figures[k] for k in SUMMARY_COLUMNS)])
    return header, rows


def _trials_table(items: list[ReportData]) -> tuple[list[str], list[list[Any]]]:
    trials = [summary(item.analysis)["trials"] for item in items]
    keys = _union(t for ts in trials for t in ts) or list(TRIAL_FIELDS)
    header = ["session_id", "subject", "trial", *keys]
    rows = []
    for item, ts in zip(items, trials):
        for i, trial in enumerate(ts, start=1):
            rows.append([*_ids(item), i, *(trial.get(k) for k in keys)])
    return header, rows


def _series_table(items: list[ReportData]) -> tuple[list[str], list[list[Any]]]:
    keys: list[str] = list(_SERIES_FIRST)
    for item in items:
        for key, values in (item.analysis.get("series") or {}).items():
            if key not in keys and isinstance(values, list):
                keys.append(key)
    header = ["session_id", "subject", "frame", *keys]
    rows = []
    for item in items:
        series = item.analysis.get("series") or {}
        n = max((len(v) for v in series.values() if isinstance(v, list)), default=0)
        columns = [series.get(k) or [] for k in keys]
        for i in range(n):
            rows.append([*_ids(item), i, *(col[i] if i < len(col) else None for col in columns)])
    return header, rows


def _exercises_table(items: list[ReportData]) -> tuple[list[str], list[list[Any]]]:
    """One row per exercise counted with each session, in the order done: what the PDF's **Exercises done**
    sums, a row a time, for a clinic following whether a program is done."""
    from hiprom.assessment.exercises import catalogue_or_none
    from hiprom.report.rows import exercise_names

    names = exercise_names(catalogue_or_none(), [{"program": item.program} for item in items])  # once for all
    rows = []
    for item in items:
        for r in item.exercise_results:
            dose = r.get("dose") or {}
            rows.append([*_ids(item), r["exercise"], names.get(r["exercise"], r["exercise"]), r["side"],
                         r["direction"], shown_time(r.get("recorded_utc"), with_time=False), r.get("recorded_utc"),
                         r["reps_done"], r["reps_target"], r.get("reps_refused"), r.get("timed") is True,
                         dose.get("hold_s"), dose.get("reps"), dose.get("sets"), r.get("holds_s")])
    return ["session_id", "subject", *EXERCISE_COLUMNS], rows
