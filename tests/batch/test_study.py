"""A researcher's study: folders per participant and visit, figures a reviewer can trace and reproduce.

The real pipeline on synthetic ``.landmarks.npz`` recordings (no pose model: the model is not the point here).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hiprom.batch import OutputPaths, read_summary, run_batch

from .conftest import rewrite_analysis
from .fakes import make_recordings


def _files(out: Path) -> dict[str, str]:
    return {r["file"]: r["status"] for r in read_summary(out / "summary.csv")}


def test_a_study_folder_names_participant_and_visit_from_its_first_participant_on(tmp_path: Path) -> None:
    """``hiprom batch study`` with one participant so far named its row ``test.landmarks.npz``: whose, which visit?"""
    study, out = tmp_path / "study", tmp_path / "out"
    make_recordings(study, ["p01/visit1/test.landmarks.npz"])
    run_batch([study], out, workers=1, progress=False)
    assert _files(out) == {"p01/visit1/test.landmarks.npz": "ok"}
    assert (out / "p01" / "visit1" / "test.analysis.json").is_file()

    make_recordings(study, ["p02/visit1/test.landmarks.npz"], seed=1)  # the study grows: names stay
    run_batch([study], out, workers=1, progress=False)
    assert _files(out) == {"p01/visit1/test.landmarks.npz": "skipped", "p02/visit1/test.landmarks.npz": "ok"}


def test_every_row_says_when_and_with_which_libraries_its_figures_were_made(tmp_path: Path, capsys) -> None:
    """A reviewer given summary.csv could not tell when a row's figures were made nor which numpy measured them,
    and a batch resumed after a library upgrade kept the rows done before it without a word: one summary held
    figures of two numpy (or MediaPipe) versions. Each row says both now, and the kept ones are said."""
    study, out = tmp_path / "study", tmp_path / "out"
    make_recordings(study, ["p01/test.landmarks.npz", "p02/test.landmarks.npz"])
    run_batch([study], out, workers=1, progress=False)
    rows = read_summary(out / "summary.csv")
    for row in rows:
        analysis = json.loads((out / row["analysis"]).read_text(encoding="utf-8"))
        assert row["created_utc"] == analysis["created_utc"] and row["created_utc"].endswith("Z")
        assert f"numpy {np.__version__}" in row["software"].split("; ")

    paths = OutputPaths.of(out, "p02/test")  # as if analysed before an upgrade of numpy
    rewrite_analysis(paths, lambda earlier: earlier["software"].update(numpy="1.26.4"))
    capsys.readouterr()

    run_batch([study], out, workers=1, progress=False)
    software = {r["file"]: r["software"].split("; ") for r in read_summary(out / "summary.csv")}
    assert "numpy 1.26.4" in software["p02/test.landmarks.npz"]
    assert f"numpy {np.__version__}" in software["p01/test.landmarks.npz"]
    assert ("hiprom: 1 input kept as an earlier run analysed it with other libraries (1 by numpy 1.26.4; this "
            f"batch runs numpy {np.__version__}): the figures are those versions' (summary.csv column software); to "
            "analyse every input with this batch's, run again with --redo") in capsys.readouterr().err
    run_batch([study], out, workers=1, progress=False, redo=True)
    assert {r["software"] for r in read_summary(out / "summary.csv")} == {rows[0]["software"]}
    assert "other libraries" not in capsys.readouterr().err
