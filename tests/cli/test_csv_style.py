"""``--csv-style semicolons`` on every command that writes CSV for people (one option, ``hiprom.cli.options``).

A clinician in Germany exporting sessions got comma-separated tables, which their Excel opens as one
column; only ``hiprom batch`` had the choice."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from hiprom.cli.main import cli
from hiprom.tables import spreadsheet_rows

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "demo_seated_test.landmarks.npz"


def run(*args: str | os.PathLike[str]) -> str:
    done = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.stdout


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the demo's analysis JSON and a store holding it as session 1."""
    home = tmp_path_factory.mktemp("clinic")
    run("store", "init", home / "t.db")
    run("analyze", SAMPLE, "--json", home / "a.json", "--save", "--subject", "P-1", "--db", home / "t.db", "-q")
    return home


def _semicolons(text: str) -> list[list[str]]:
    """The rows of a ``;``-separated table with decimal commas, checked to be one."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert len(rows) > 1 and len(rows[0]) > 3 and all(len(r) == len(rows[0]) for r in rows), rows[:2]
    cells = [c for r in rows[1:] for c in r]
    assert any(re.fullmatch(r"-?\d+,\d+", c) for c in cells)  # 31,5
    assert not [c for c in cells if re.fullmatch(r"-?\d+\.\d+", c)]  # no 31.5 left
    return rows


def _same_table(semicolons: str, commas: str) -> None:
    """The same cells, only the separator and decimal mark differ; the reading side takes either."""
    a, b = _semicolons(semicolons), list(spreadsheet_rows(commas))
    assert a[0] == b[0] and len(a) == len(b)
    assert list(spreadsheet_rows(semicolons))[0] == b[0]


def test_analyze_report_and_sessions_export_write_semicolon_tables(clinic: Path) -> None:
    for style in ("semicolons", "commas"):
        run("analyze", SAMPLE, "--csv", clinic / f"{style}.series.csv", "--csv-style", style, "-q")
        run("report", clinic / "a.json", "--no-pdf", "--csv", clinic / f"r-{style}", "--csv-style", style)
        run("sessions", "export", "1", "--format", "csv", "--db", clinic / "t.db", "-o", clinic / f"e-{style}",
            "--csv-style", style)
    _same_table((clinic / "semicolons.series.csv").read_text("utf-8"), (clinic / "commas.series.csv").read_text("utf-8"))
    for prefix in ("r", "e"):
        for table in ("summary", "trials", "series"):
            _same_table((clinic / f"{prefix}-semicolons.{table}.csv").read_text("utf-8"),
                        (clinic / f"{prefix}-commas.{table}.csv").read_text("utf-8"))
    _semicolons(run("sessions", "export", "1", "--format", "csv", "--table", "trials", "--db", clinic / "t.db",
                    "--csv-style", "semicolons"))
    _semicolons(run("analyze", SAMPLE, "--csv", "-", "--csv-style", "semicolons"))


def test_every_csv_style_option_says_the_same_words() -> None:
    helps = [run(*command, "--help") for command in
             (["analyze"], ["report"], ["sessions", "export"], ["batch"])]
    for text in helps:
        words = " ".join(text.split())
        assert "--csv-style [commas|semicolons]" in words
        assert ("commas and a decimal point (for scripts), or semicolons and a decimal comma (31,5), which Excel "
                "opens by a double-click where the decimal mark is a comma.") in words
