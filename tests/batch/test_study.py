"""A researcher's study: folders per participant and visit, figures a reviewer can trace and reproduce.

The real pipeline on synthetic ``.landmarks.npz`` recordings (no pose model: the model is not the point here).
"""

from __future__ import annotations

from pathlib import Path

from hiprom.batch import read_summary, run_batch

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
