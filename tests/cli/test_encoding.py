"""A terminal or file that is not UTF-8 (ASCII, Windows' cp1252): every command prints, none crashes.

Figures carry '°', '±', '−' and names any script. Before, ``hiprom subjects list``
with a subject 'José' under ``PYTHONIOENCODING=ascii`` ended in a traceback
(UnicodeEncodeError) and exit code 1; the same for ``analyze`` under cp1252
('−' is not in cp1252). One fallback (:mod:`hiprom.cli.encoding`) now writes what
the encoding lacks in a plain form, and tables are measured as they print.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
from pathlib import Path

import pytest

from hiprom.cli.encoding import fitted, plain_form
from hiprom.cli.main import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "demo_seated_test.landmarks.npz"
NAME = "Zoë 山田"


@pytest.mark.parametrize(("char", "plain"), [("°", " deg"), ("±", "+/-"), ("−", "-"), ("–", "-"), ("×", "x"),
                                              ("é", "e"), ("Å", "A"), ("山", "?"), ("😀", "?")])
def test_each_character_has_one_plain_form(char: str, plain: str) -> None:
    assert plain_form(char) == plain


def test_text_is_fitted_to_what_the_stream_can_show() -> None:
    text = "Zoë: 31.9° ± 1.7, left − right −5.8"
    assert fitted(text, io.TextIOWrapper(io.BytesIO(), encoding="ascii")) == "Zoe: 31.9 deg +/- 1.7, left - right -5.8"
    assert fitted(text, io.TextIOWrapper(io.BytesIO(), encoding="cp1252")) == "Zoë: 31.9° ± 1.7, left - right -5.8"
    assert fitted(text, io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) == text


class Terminal:
    """stdout and stderr of one encoding that refuse (strict) what it lacks, as a real one does."""

    def __init__(self, encoding: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.encoding = encoding
        self.monkeypatch = monkeypatch

    def run(self, *args: str | Path) -> tuple[int, str, str]:
        out, err = io.BytesIO(), io.BytesIO()
        self.monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, encoding=self.encoding, write_through=True))
        self.monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(err, encoding=self.encoding, write_through=True))
        code = main([str(a) for a in args])
        sys.stdout.flush()
        sys.stderr.flush()
        # Click writes its own lines to a stream that says ASCII as UTF-8 (its choice): read them so.
        read = "utf-8" if self.encoding == "ascii" else self.encoding
        return code, out.getvalue().decode(read), err.getvalue().decode(read)


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_every_command_that_prints_names_and_figures_prints_them(encoding: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIPROM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HIPROM_DB_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    inputs = tmp_path / "clips"
    inputs.mkdir()
    shutil.copy(SAMPLE, inputs / f"{NAME} ±.landmarks.npz")
    with (tmp_path / "pairs.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["measure", "hiprom_deg", "reference_deg", "subject"])
        for i, (a, b) in enumerate([(30.1, 31.0), (35.2, 33.9), (28.4, 29.9), (40.0, 38.2)]):
            w.writerow(["left_ir", a, b, f"{NAME} {i}"])
    terminal = Terminal(encoding, monkeypatch)
    runs = {
        "analyze": terminal.run("analyze", inputs / f"{NAME} ±.landmarks.npz", "--save", "--subject", NAME),
        "subjects list": terminal.run("subjects", "list"),
        "sessions show": terminal.run("sessions", "show", "1"),
        "validate": terminal.run("validate", "--pairs", tmp_path / "pairs.csv"),
        "batch": terminal.run("batch", inputs, "-o", tmp_path / "out", "--workers", "1"),
    }
    for command, (code, out, err) in runs.items():
        assert code == 0 and "Traceback" not in err, f"{command}: exit {code}\n{err}"
    code, out, _ = runs["analyze"]
    rom = out.split("Range of motion (degrees)\n", 1)[1].splitlines()[:4]
    assert ("+/-" if encoding == "ascii" else "±") in rom[0]
    bars = {tuple(i for i, c in enumerate(line) if c == "|") for line in (rom[0], *rom[2:])}
    assert len(bars) == 1, "the figures stand under their headings:\n" + "\n".join(rom)
    assert ("Zoe" if encoding == "ascii" else "Zoë") in runs["subjects list"][1]
