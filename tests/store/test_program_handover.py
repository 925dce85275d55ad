"""The home program travels with the patient: kept at the clinic, handed over as a file, followed at home.

Before, a patient's store at home never held the clinician's program (nothing wrote it alone, nothing took it
in), so the home page could only say "If your clinician gave you a home program, follow theirs" and list its own
suggestions, at the catalogue's doses.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hiprom.server.routes import exercises, records
from hiprom.store import Store


def _home_program(db: str) -> dict | None:
    """What ``GET /api/home-program`` gives the page of a server on the store ``db``."""
    app = FastAPI()
    app.include_router(records.router)
    app.include_router(exercises.router)
    with Store(db) as store:
        app.state.store = store
        answer = TestClient(app).get("/api/home-program")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _visit(hiprom: Callable, clinic: str, analysis: dict, when: str, *edits: str) -> int:
    """A clinic visit of P-0042 on ``when`` whose program the clinician keeps with ``edits``; its number."""
    with Store(clinic) as store:
        session = store.save_analysis(analysis, subject="P-0042", recorded_utc=when).id
    code, _, err = hiprom("program", "edit", str(session), *edits, "--db", clinic)
    assert code == 0, err
    return session


def test_the_program_handed_over_is_the_one_the_patients_page_follows(
        tmp_path: Path, db_url: str, analysis: dict, hiprom: Callable) -> None:
    clinic, home = db_url, str(tmp_path / "home.db")
    assert hiprom("store", "init", home)[0] == 0
    with Store(clinic) as store:
        untouched = store.save_analysis(analysis, subject="P-7", recorded_utc="2026-03-01T09:00:00Z").id
    code, _, err = hiprom("program", "export", str(untouched), "-o", str(tmp_path / "none.json"), "--db", clinic)
    assert code == 2 and f"keep it with 'hiprom program edit {untouched}'" in err and err.count("\n") == 1, err
    assert not (tmp_path / "none.json").exists()

    first = _visit(hiprom, clinic, analysis, "2026-03-02T09:30:00Z", "--dose", "chair_rotation_external:hold=5,reps=8",
                   "--remove", "seated_inner_thigh_stretch", "--notes", "Mornings and evenings.")
    handed = tmp_path / "p-0042-program.json"
    code, out, err = hiprom("program", "export", str(first), "-o", str(handed), "--db", clinic)
    assert code == 0, err
    assert f"take it in with 'hiprom program import {handed.name}'" in out
    assert stat.S_IMODE(handed.stat().st_mode) == 0o600  # health data: the owner's only
    assert json.loads(handed.read_text(encoding="utf-8"))["schema"] == "hiprom.export/1"
    assert _home_program(clinic) is None  # a clinic's store: its page shows no patient's program to the next

    code, out, err = hiprom("program", "import", str(handed), "--db", home)
    assert code == 0, err
    assert "the page's suggestions follow it from now on" in out
    page = _home_program(home)
    assert page is not None and page["notes"] == "Mornings and evenings." and page["session_date"] == "2026-03-02"
    lines = {(item["name"], item["side"], item["dose"]) for item in page["items"]}
    assert ("Chair rotation, foot inward", "left leg", "hold 5 s, 8 times, 2 sets") in lines
    assert not any(item["id"] == "seated_inner_thigh_stretch" for item in page["items"])

    code, _, err = hiprom("program", "import", str(handed), "--db", home)
    assert code == 5 and "was imported already" in err and err.count("\n") == 1, err

    # The next visit's program, for the same person at home: it joins them and is the one followed.
    second = _visit(hiprom, clinic, analysis, "2026-04-06T09:30:00Z", "--dose", "chair_rotation_external:reps=12")
    again = tmp_path / "p-0042-program-april.json"
    assert hiprom("program", "export", str(second), "-o", str(again), "--db", clinic)[0] == 0
    code, out, err = hiprom("program", "import", str(again), "--db", home)
    assert code == 0 and "follow it from now on" in out, err
    page = _home_program(home)
    assert page["session_date"] == "2026-04-06" and page["notes"] is None  # April's program, not March's
    assert ("Chair rotation, foot inward", "left leg", "hold 3 s, 12 times, 2 sets") in {
        (item["name"], item["side"], item["dose"]) for item in page["items"]}
    with Store(home) as store:
        assert [s.pseudonym for s in store.subjects()] == ["P-0042"]


def test_a_file_without_a_kept_program_is_refused_in_one_line(
        tmp_path: Path, analysis: dict, hiprom: Callable) -> None:
    clinic, home = str(tmp_path / "clinic.db"), str(tmp_path / "home.db")
    with Store(clinic) as store:
        session = store.save_analysis(analysis, subject="P-0042").id
    plain = tmp_path / "visit.json"
    assert hiprom("sessions", "export", str(session), "-o", str(plain), "--db", clinic)[0] == 0
    assert hiprom("store", "init", home)[0] == 0
    code, _, err = hiprom("program", "import", str(plain), "--db", home)
    assert code == 2 and "holds no home program kept by a clinician" in err and err.count("\n") == 1, err
    with Store(home) as store:
        assert store.counts()["sessions"] == 0
