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

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hiprom.server.routes import exercises, records
from hiprom.store import Store
from tests.clinic_exercises import CLINIC_EXERCISES

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "demo_seated_test.landmarks.npz"


def _get(db: str, path: str) -> httpx.Response:
    """The answer to ``GET path`` of a server's records API on the store ``db``."""
    app = FastAPI()
    app.include_router(records.router)
    app.include_router(exercises.router)
    with Store(db) as store:
        app.state.store = store
        return TestClient(app).get(path)


def _home_program(db: str) -> dict | None:
    """What ``GET /api/home-program`` gives the page of a server on the store ``db``."""
    answer = _get(db, "/api/home-program")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _visit(hiprom: Callable, clinic: str, analysis: dict, when: str, *edits: str) -> int:
    """A clinic visit of P-0042 on ``when`` whose program the clinician keeps with ``edits``; its number."""
    with Store(clinic) as store:
        session = store.save_analysis(analysis, subject="P-0042", recorded_utc=when).id
    code, _, err = hiprom("program", "edit", str(session), *edits, "--db", clinic)
    assert code == 0, err
    return session


def _clinic_program_at_home(tmp_path: Path, analysis: dict, hiprom: Callable, exercise: str) -> tuple[str, tuple]:
    """P-0042's program kept at a clinic with its own ``exercise`` (left leg) added from its catalogue file, handed
    over and taken in at home with ``hiprom program import``: the home store, and that command's (code, out, err)."""
    clinic, home = str(tmp_path / "clinic.db"), str(tmp_path / "home.db")
    catalogue = tmp_path / "clinic-exercises.toml"
    catalogue.write_text(CLINIC_EXERCISES, encoding="utf-8")
    session = _visit(hiprom, clinic, analysis, "2026-03-02T09:30:00Z", "--add", f"{exercise}:left",
                     "--exercises", str(catalogue))
    handed = tmp_path / "p-0042-program.json"
    assert hiprom("program", "export", str(session), "-o", str(handed), "--db", clinic)[0] == 0
    assert hiprom("store", "init", home)[0] == 0
    return home, hiprom("program", "import", str(handed), "--db", home)


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


def test_the_page_takes_in_the_program_file_a_patient_was_given(
        tmp_path: Path, analysis: dict, hiprom: Callable) -> None:
    # Before, the file could only be taken in with 'hiprom program import' typed in a terminal; the page, where
    # the person already reads their suggestions, now takes it in when they choose the file.
    clinic, home = str(tmp_path / "clinic.db"), str(tmp_path / "home.db")
    session = _visit(hiprom, clinic, analysis, "2026-03-02T09:30:00Z", "--notes", "Mornings and evenings.")
    handed = tmp_path / "p-0042-program.json"
    assert hiprom("program", "export", str(session), "-o", str(handed), "--db", clinic)[0] == 0
    plain = tmp_path / "visit.json"
    with Store(clinic) as store:
        other = store.save_analysis(analysis, subject="P-0042").id
    assert hiprom("sessions", "export", str(other), "-o", str(plain), "--db", clinic)[0] == 0
    assert hiprom("store", "init", home)[0] == 0
    app = FastAPI()
    app.include_router(records.router)
    app.include_router(exercises.router)
    json_type = {"Content-Type": "application/json"}
    with Store(home) as store:
        app.state.store = store
        client = TestClient(app)

        def send(path: Path, name: str, headers: dict = json_type, body: bytes | None = None):
            return client.post("/api/home-program", params={"file": name}, headers=headers,
                               content=path.read_bytes() if body is None else body)

        refused = send(handed, "p.json", {"Content-Type": "text/plain"})
        assert refused.status_code == 400 and "Content-Type: application/json" in refused.json()["detail"]
        refused = send(plain, "visit.json")
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith("visit.json: holds no home program kept by a clinician")
        refused = send(handed, "p.json", body=b"\xff\xfe{")
        assert refused.status_code == 422 and refused.json()["detail"].startswith("p.json: not a readable JSON file")
        refused = send(handed, "p.json", body=b"{\"schema\": ")
        assert refused.status_code == 422 and refused.json()["detail"].startswith("p.json: not a readable JSON file")
        assert store.counts()["sessions"] == 0  # nothing of a refused file is kept

        taken = send(handed, "C:\\Users\\ann\\Downloads\\" + handed.name)
        assert taken.status_code == 201, taken.text
        body = taken.json()
        assert body["followed"] is True and body["sessions"] == 1
        assert body["program"]["notes"] == "Mornings and evenings." and body["program"]["session_date"] == "2026-03-02"
        assert body["program"]["origin"] == handed.name  # the file's name, not the folder it was chosen from
        assert _home_program(home)["session_id"] == body["program"]["session_id"]

        again = send(handed, handed.name)
        assert again.status_code == 409 and "was imported already" in again.json()["detail"]
        assert store.counts()["sessions"] == 1


def test_a_clinics_own_exercise_travels_with_the_program_to_the_patients_hiprom(
        tmp_path: Path, analysis: dict, hiprom: Callable, monkeypatch) -> None:
    # A clinic adds its own exercises with a catalogue file (HIPROM_EXERCISES). A program that used one was
    # refused whole at home, where hiprom has the package's catalogue alone: "program item 7: unknown exercise
    # 'clinic_wall_turn'". The program now carries that exercise's definition, and the patient's page, sheet
    # and terminal show it as the clinic wrote it.
    monkeypatch.delenv("HIPROM_EXERCISES", raising=False)
    home, (code, out, err) = _clinic_program_at_home(tmp_path, analysis, hiprom, "clinic_wall_turn")
    assert code == 0 and "follow it from now on" in out, err
    page = _home_program(home)
    wall = [item for item in page["items"] if item["id"] == "clinic_wall_turn"]
    assert [(w["name"], w["side"], w["dose"], w["steps"]) for w in wall] == [
        ("Wall turn", "left leg", "hold 2 s, 8 times, 1 set", ["Stand side-on to a wall.", "Turn the knee in and back."])]
    code, out, _ = hiprom("program", "show", "1", "--db", home)
    assert code == 0 and "Wall turn (clinic_wall_turn)" in out, out


def test_the_camera_counts_a_clinics_own_exercise_at_home_and_its_record_is_kept(
        tmp_path: Path, analysis: dict, hiprom: Callable, monkeypatch) -> None:
    # A clinic's own exercise that its file says the camera follows came to the patient's page without that: the
    # page knew it only from the program's words, offered a timer, and had it been counted, the record of it was
    # refused ("unknown exercise 'clinic_band_turn'"), as was the camera's count on this device's camera. The
    # exercises the page may start and store are now the catalogue's and those the program taken in carried.
    monkeypatch.delenv("HIPROM_EXERCISES", raising=False)
    home, imported = _clinic_program_at_home(tmp_path, analysis, hiprom, "clinic_band_turn")
    assert imported[0] == 0, imported
    assert hiprom("analyze", "--save", str(SAMPLE), "-q", "--db", home)[0] == 0  # a self-test at home
    app = FastAPI()
    app.include_router(records.router)
    app.include_router(exercises.router)
    with Store(home) as store:
        app.state.store = store
        client = TestClient(app)
        listed = {e["id"]: e for e in client.get("/api/exercises").json()["exercises"]}
        counted = {"schema": "hiprom.exercise/1", "exercise": "clinic_band_turn", "side": "left", "direction": "external",
                   "dose": {"hold_s": 3, "reps": 6, "sets": 1}, "reps_done": 6, "reps_target": 6, "reps_refused": 0,
                   "holds_s": [3.2], "peaks_deg": [31.0], "reps": []}
        kept = client.post("/api/sessions/2/exercise-results", json=counted)
        unknown = client.post("/api/sessions/2/exercise-results", json={**counted, "exercise": "clinic_other"})
        stored = client.get("/api/sessions/2/exercise-results").json()
    band = listed["clinic_band_turn"]
    assert (band["name"], band["camera_followed"], band["dose"]) == (
        "Band turn, foot inward", True, {"hold_s": 3, "reps": 6, "sets": 1})
    assert "clinic_wall_turn" not in listed  # only what the program carried, not the clinic's whole file
    assert kept.status_code == 201, kept.text
    assert unknown.status_code == 422 and "unknown exercise 'clinic_other'" in unknown.json()["detail"]
    assert [(r["exercise"], r["reps_done"]) for r in stored] == [("clinic_band_turn", 6)]



def test_only_a_store_that_may_be_a_patients_own_offers_the_exercises_between_tests(
        tmp_path: Path, analysis: dict, hiprom: Callable, monkeypatch) -> None:
    # The page's Exercises (X) shows the program a patient was handed; a clinic's page has no one patient's
    # program, and showed "No home program from your clinician on this computer yet" to every clinician.
    monkeypatch.delenv("HIPROM_EXERCISES", raising=False)
    home, imported = _clinic_program_at_home(tmp_path, analysis, hiprom, "clinic_wall_turn")
    assert imported[0] == 0, imported
    fresh = str(tmp_path / "fresh.db")
    assert hiprom("store", "init", fresh)[0] == 0
    with Store(str(tmp_path / "clinic.db")) as clinic, Store(home) as patient, Store(fresh) as first_day:
        assert not clinic.patients_own()  # a program kept here
        assert patient.patients_own()  # follows the program handed over
        assert first_day.patients_own()  # a patient before their first program
        first_day.save_analysis(analysis, subject="P-1")
        assert first_day.patients_own()
        first_day.save_analysis(analysis, subject="P-2")
        assert not first_day.patients_own()  # two patients: a clinic's


def test_the_home_program_says_what_was_counted_of_it_today_and_this_week(
        tmp_path: Path, analysis: dict, hiprom: Callable) -> None:
    """The patient's checklist of the day: each exercise and leg counted today, summed, and the days of the last
    seven with any; a day eight days back, and an exercise counted yesterday, are not today's."""
    from datetime import datetime, timedelta, timezone

    from hiprom.store.records import local_day

    home, (code, _, err) = _clinic_program_at_home(tmp_path, analysis, hiprom, "clinic_band_turn")
    assert code == 0, err
    page = _home_program(home)
    assert page["today"] == [] and page["days_this_week"] == 0
    done = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
            "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 1}, "reps_done": 10,
            "reps_target": 10, "reps": [{"number": 1}]}
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with Store(home) as store:
        for days_ago, reps in ((0, 9), (0, 10), (1, 10), (8, 10)):
            when = (now - timedelta(days=days_ago)).isoformat() + "Z"
            store.add_exercise_result(page["session_id"], {**done, "reps_done": reps}, recorded_utc=when)
    page = _home_program(home)
    assert page["today"] == [{"exercise": "chair_rotation_internal", "side": "left", "times": 2, "days": 1,
                              "first_day": local_day(now).isoformat(), "last_day": local_day(now).isoformat(),
                              "reps_done": 19, "reps_target": 20, "reps_refused": 0, "timed": False,
                              "hold_min_s": None, "hold_max_s": None}], page["today"]
    assert page["days_this_week"] == 2


def test_the_patients_file_for_the_clinic_brings_their_tests_and_exercises_done_at_home(
        tmp_path: Path, db_url: str, analysis: dict, filmed_again: Callable, hiprom: Callable) -> None:
    """The page's one file for the clinic (``GET /api/home-program/export.json``): the clinic's import adds the
    tests saved at home (one saved without a pseudonym, as the self-test page does, is the patient's too) and what
    was done at home of the program, to the visit it was kept with. Before, the program's session was refused as
    imported already, so the clinician never saw the home exercises, and a file mixing a pseudonym's test with
    one saved without a pseudonym stored the latter as nobody's."""
    clinic, home = db_url, str(tmp_path / "home.db")
    done = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
            "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 1}, "reps_done": 10,
            "reps_target": 10, "reps": [{"number": 1, "peak_deg": 31.5}]}
    visit = _visit(hiprom, clinic, analysis, "2026-03-02T09:30:00Z")
    with Store(clinic) as store:  # counted at the visit: it travels to the patient and back, and stays one record
        store.add_exercise_result(visit, done, recorded_utc="2026-03-02T09:41:07.250000Z")
    handed = tmp_path / "p-0042-program.json"
    assert hiprom("program", "export", str(visit), "-o", str(handed), "--db", clinic)[0] == 0
    assert hiprom("store", "init", home)[0] == 0
    assert hiprom("program", "import", str(handed), "--db", home)[0] == 0
    page = _home_program(home)
    timed = {**done, "exercise": "knee_fall_out", "side": "both", "reps_done": 3, "reps_target": 3, "timed": True,
             "reps": []}
    with Store(home) as store:
        for record, when in ((done, "2026-03-03T08:00:00Z"), ({**done, "reps_done": 8}, "2026-03-04T08:00:00Z"),
                             (timed, "2026-03-04T08:05:00Z")):
            store.add_exercise_result(page["session_id"], record, recorded_utc=when)
        store.save_analysis(filmed_again(analysis), subject="P-0042", recorded_utc="2026-03-09T08:00:00Z")
        store.save_analysis(filmed_again(analysis), recorded_utc="2026-03-16T08:00:00Z")

    sent = _get(home, "/api/home-program/export.json")
    assert sent.status_code == 200, sent.text
    assert sent.headers["content-disposition"].startswith('attachment; filename="hiprom-for-your-clinic-')
    mailed = tmp_path / "hiprom-for-your-clinic.json"
    mailed.write_bytes(sent.content)

    code, out, err = hiprom("store", "import", str(mailed), "--db", clinic)
    assert code == 0, err
    assert f"session {page['session_id']} is session {visit}, and 3 exercises done with its home program added" in out
    with Store(clinic) as store:
        kept = store.exercise_results(visit)
        tests = [(r.subject, r.recorded_utc[:10]) for r in store.sessions()]
    assert [(r["recorded_utc"], r["reps_done"], r.get("timed", False)) for r in kept] == [
        ("2026-03-02T09:41:07Z", 10, False), ("2026-03-03T08:00:00Z", 10, False),
        ("2026-03-04T08:00:00Z", 8, False), ("2026-03-04T08:05:00Z", 3, True)]
    assert tests == [("P-0042", "2026-03-16"), ("P-0042", "2026-03-09"), ("P-0042", "2026-03-02")], tests

    code, out, err = hiprom("store", "import", str(mailed), "--db", clinic)  # the same file again: nothing new
    assert code == 5 and "was imported already" in err and err.count("\n") == 1, err
    with Store(clinic) as store:
        assert len(store.exercise_results(visit)) == 4 and store.n_sessions() == 3

    assert _get(clinic, "/api/home-program/export.json").status_code == 404  # a clinic's store follows no program


def test_the_clinics_page_adds_a_patients_file_to_that_person_only(
        tmp_path: Path, db_url: str, analysis: dict, hiprom: Callable) -> None:
    """``POST /api/subjects/{subject}/import``, the page's form of ``hiprom store import FILE --subject``: the same
    checks and one-line messages, each with its status; nothing is stored from a file it refuses."""
    from hiprom.server.routes import imports

    clinic, home = db_url, str(tmp_path / "home.db")
    visit = _visit(hiprom, clinic, analysis, "2026-03-02T09:30:00Z")
    handed = tmp_path / "p-0042-program.json"
    assert hiprom("program", "export", str(visit), "-o", str(handed), "--db", clinic)[0] == 0
    assert hiprom("store", "init", home)[0] == 0
    assert hiprom("program", "import", str(handed), "--db", home)[0] == 0
    with Store(home) as store:
        store.add_exercise_result(1, {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal",
                                      "side": "left", "direction": "internal", "reps_done": 9, "reps_target": 10,
                                      "reps": []}, recorded_utc="2026-03-03T08:00:00Z")
    sent = tmp_path / "sent.json"
    assert hiprom("sessions", "export", "1", "--format", "json", "-o", str(sent), "--db", home)[0] == 0
    with Store(clinic) as store:
        store.add_subject("P-7")

    app = FastAPI()
    app.include_router(imports.router)
    with Store(clinic) as store:
        app.state.store = store
        client = TestClient(app)

        def post(who: str, body: bytes, kind: str = "application/json"):
            return client.post(f"/api/subjects/{who}/import?file=sent.json", content=body,
                               headers={"Content-Type": kind})

        answers = [post("P-0099", sent.read_bytes()), post("P-0042", sent.read_bytes(), "text/plain"),
                   post("P-0042", b"{not json"), post("P-0042", b'{"schema": "hiprom.analysis/1"}'),
                   post("P-7", sent.read_bytes()), post("P-0042", sent.read_bytes()), post("P-0042", sent.read_bytes())]
        kept = store.exercise_results(visit)
    statuses = [a.status_code for a in answers]
    assert statuses == [404, 400, 422, 422, 409, 201, 409], [(a.status_code, a.text) for a in answers]
    assert answers[0].json()["detail"] == "no subject 'P-0099'; see GET /api/subjects"
    # An analysis is taken as the person's test (the page has no terminal for 'sessions add'), checked as one.
    assert answers[3].json()["detail"] == "sent.json: sides: is required; asymmetry: is required; trials: is required"
    assert "not P-7's" in answers[4].json()["detail"] and "nothing was imported" in answers[4].json()["detail"]
    assert answers[5].json() == {"subject": "P-0042", "sessions": {}, "already": {"1": visit},
                                 "exercises_added": {"1": 1}, "rows": {"reference_readings": 0, "home_programs": 0,
                                                                       "exercise_results": 1}}, answers[5].json()
    assert "was imported already" in answers[6].json()["detail"]
    assert [(r["reps_done"], r["recorded_utc"]) for r in kept] == [(9, "2026-03-03T08:00:00Z")]
