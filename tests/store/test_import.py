"""``hiprom store import``: one patient's records moved to another clinic's store through a JSON export.

Before, nothing loaded the ``hiprom.export/1`` file ``sessions export`` writes:
``sessions add`` refused it, and ``store copy`` moves a whole store into an empty one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hiprom.store import ReferenceInput, Store
from tests.store.test_copy import COUNTED, PROGRAM

NUMBERS = {"id", "session_id", "subject_id", "exported_utc", "origin"}
"""What an import gives anew: the target's numbers (and the export's own time), and where each session came
from (the file). The times each record was saved, added or changed at the first store are carried."""

STORED_AT_A = {"subjects": "2026-03-01 08:00:00", "sessions": "2026-03-02 11:00:00",
               "reference_readings": "2026-03-02 11:05:00", "home_programs": "2026-03-02 11:10:00"}
"""When the first clinic stored each kind of record (UTC), months before any import."""


def _source(tmp_path: Path, analysis: dict) -> str:
    """A clinic's SQLite store: P-0042 with 2 sessions (the first with 2 readings, a program and 2 counted
    exercises), another person's session, and numbers that the target will not have."""
    db = str(tmp_path / "clinic-a.db")
    with Store(db) as store:
        store.add_subject("P-7")
        for day in (5, 6, 7):  # no same-day re-test: the clinic's MDC (in a re-test's table) is as the target's
            store.save_analysis(analysis, subject="P-7", recorded_utc=f"2026-01-0{day}T08:00:00Z")
        store.add_subject("P-0042", name="Élise O'Neil", date_of_birth="1984-05-17", notes="left hip")
        first = store.save_analysis(analysis, subject="P-0042", operator="J. Smith", camera="webcam",
                                    recorded_utc="2026-03-02T09:30:00Z", settings={"hold_s": 2})
        store.save_analysis({**analysis, "source": "retest.mp4"}, subject="P-0042", notes="re-test",
                            recorded_utc="2026-03-02T10:15:00Z")
        store.add_reference(first.id, ReferenceInput(instrument="goniometer", rater="A", left_ir_deg=31.5,
                                                     notes="supine"))
        store.add_reference(first.id, ReferenceInput(instrument="inclinometer", right_er_deg=40.0))
        store.set_program(first.id, PROGRAM)
        store.add_exercise_result(first.id, COUNTED, recorded_utc="2026-03-02T09:45:00Z")
        store.add_exercise_result(first.id, {**COUNTED, "reps_done": 10}, recorded_utc="2026-03-02T09:50:00Z")
        with store.engine.begin() as conn:  # stored long ago, as at a real clinic
            for table, column in (("subjects", "created_utc"), ("sessions", "saved_utc"),
                                  ("reference_readings", "created_utc"), ("home_programs", "updated_utc")):
                conn.execute(text(f"UPDATE {table} SET {column} = :t"), {"t": STORED_AT_A[table]})
    return db


def _content(value: Any) -> Any:
    """An export without the numbers and store times an import gives anew."""
    if isinstance(value, dict):
        return {k: _content(v) for k, v in value.items() if k not in NUMBERS}
    if isinstance(value, list):
        return [_content(v) for v in value]
    return value


def _export(hiprom: Callable, db: str, ids: list[int], out: Path) -> Any:
    code, _, err = hiprom("sessions", "export", *map(str, ids), "-o", str(out), "--db", db)
    assert code == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


def _counts(db: str) -> dict[str, int]:
    with Store(db) as store:
        return {**store.counts(), "programs": sum(store.program(r.id) is not None for r in store.sessions()),
                "exercises": sum(len(store.exercise_results(r.id)) for r in store.sessions())}


def test_export_imported_into_another_store_exports_the_same_apart_from_numbers(
        tmp_path: Path, db_url: str, fixture_analysis: dict, hiprom: Callable) -> None:
    source = _source(tmp_path, fixture_analysis)
    before = _export(hiprom, source, [4, 5], tmp_path / "p-0042.json")
    with Store(db_url) as target:  # the other clinic has its own patients and numbers
        target.add_subject("Q-1")
        target.save_analysis(fixture_analysis, subject="Q-1", recorded_utc="2025-12-01T10:00:00Z")
        where = target.where
    os.chmod(tmp_path / "p-0042.json", 0o600)

    code, out, err = hiprom("store", "import", str(tmp_path / "p-0042.json"), "--db", db_url)

    assert code == 0, err
    assert out.splitlines() == [
        f"Imported 1 subject, 2 sessions, 2 reference readings, 1 home program and 2 counted exercises of P-0042 "
        f"from {tmp_path / 'p-0042.json'} into {where}; the sessions have new numbers here:",
        "  session 4 -> 2", "  session 5 -> 3"]
    after = _export(hiprom, db_url, [2, 3], tmp_path / "again.json")
    assert _content(after) == _content(before)
    assert after[0]["subject"]["name"] == "Élise O'Neil" and after[0]["session"]["settings"] == {"hold_s": 2}
    assert [item["session"]["origin"] for item in (before + after)] == [None, None, "p-0042.json", "p-0042.json"]
    assert after[1]["history"][0]["id"] == 2 and after[1]["retest"] is not None  # the same-day re-test, renumbered
    assert (tmp_path / "p-0042.json").stat().st_mode & 0o777 == 0o600
    with Store(db_url) as target:
        assert [s.pseudonym for s in target.subjects()] == ["P-0042", "Q-1"]


def test_sessions_exported_in_any_order_are_numbered_in_the_first_stores_order(
        tmp_path: Path, store: Store, fixture_analysis: dict, hiprom: Callable) -> None:
    """Before, 'sessions export 5 4' imported as 5 -> 1 and 4 -> 2: the later visit got the lower number."""
    source = _source(tmp_path, fixture_analysis)
    _export(hiprom, source, [5, 4], tmp_path / "p.json")

    code, out, err = hiprom("store", "import", str(tmp_path / "p.json"), "--db", store.url.render_as_string(hide_password=False))

    assert code == 0, err
    assert out.splitlines()[1:] == ["  session 4 -> 1", "  session 5 -> 2"]


def test_the_summary_names_the_sessions_whose_landmark_recording_stayed_behind(
        tmp_path: Path, store: Store, fixture_analysis: dict, hiprom: Callable) -> None:
    """An export holds no landmark recording: the clinician is told which sessions had one, not left to find out."""
    db = str(tmp_path / "clinic-a.db")
    with Store(db) as source:
        source.save_analysis(fixture_analysis, subject="P-0042", landmarks=b"npz bytes",
                             recorded_utc="2026-03-02T09:30:00Z")
        source.save_analysis(fixture_analysis, subject="P-0042", recorded_utc="2026-03-09T09:30:00Z")
    _export(hiprom, db, [1, 2], tmp_path / "p.json")

    code, out, err = hiprom("store", "import", str(tmp_path / "p.json"), "--db", store.url.render_as_string(hide_password=False))

    assert code == 0, err
    assert out.splitlines()[-1] == (
        "Not imported: the landmark recording the first store kept of session 1 (an export holds none); the figures "
        "are all here, and 'hiprom report N --video' draws the peak pictures with the recording's .landmarks.npz "
        "given as --landmarks.")
    assert store.landmarks(1) is None and store.landmarks(2) is None


def test_a_file_imported_again_is_refused_in_one_line_and_nothing_is_added(
        tmp_path: Path, db_url: str, fixture_analysis: dict, hiprom: Callable) -> None:
    source = _source(tmp_path, fixture_analysis)
    _export(hiprom, source, [4, 5], tmp_path / "p.json")
    Store(db_url).close()
    assert hiprom("store", "import", str(tmp_path / "p.json"), "--db", db_url)[0] == 0
    counts = _counts(db_url)

    for args in ([], ["--subject", "P-0042"], ["--subject", "P-0099"]):
        code, out, err = hiprom("store", "import", str(tmp_path / "p.json"), *args, "--db", db_url)
        assert (code, out) == (5, "")
        assert err.count("\n") == 1 and "was imported already: its session 4 is in" in err, err
        assert "as session 1; nothing was imported" in err
    assert _counts(db_url) == counts


def test_an_analysis_named_as_one_persons_is_stored_as_their_test_once(
        tmp_path: Path, db_url: str, fixture_analysis: dict, hiprom: Callable) -> None:
    # The analysis of a video ('hiprom analyze --json') names nobody: the import took only exports and pointed to
    # 'hiprom sessions add', which a clinic working on the page has no terminal for. Named as one person's, it is
    # their test, and refused when sent again.
    path = tmp_path / "video.analysis.json"
    path.write_text(json.dumps(fixture_analysis), encoding="utf-8")
    Store(db_url).close()

    refused = hiprom("store", "import", str(path), "--db", db_url)
    stored = hiprom("store", "import", str(path), "--subject", "P-0042", "--db", db_url)
    again = hiprom("store", "import", str(path), "--subject", "P-0042", "--db", db_url)
    assert refused[0] == 2 and "name whose test it is with --subject" in refused[2], refused
    assert stored[0] == 0 and "1 subject and 1 session of P-0042" in stored[1], stored
    assert again[0] == 5 and "was imported already" in again[2], again
    with Store(db_url) as target:
        sessions = target.sessions()
        assert [(s.subject, s.origin) for s in sessions] == [("P-0042", "video.analysis.json")]
        assert target.session(sessions[0].id).analysis["sides"] == fixture_analysis["sides"]


def test_a_pseudonym_the_store_has_is_refused_unless_subject_says_who(
        tmp_path: Path, store: Store, fixture_analysis: dict, hiprom: Callable) -> None:
    source = _source(tmp_path, fixture_analysis)
    _export(hiprom, source, [4, 5], tmp_path / "p.json")
    store.add_subject("P-0042", name="Someone Else")
    db = store.url.render_as_string(hide_password=False)

    code, out, err = hiprom("store", "import", str(tmp_path / "p.json"), "--db", db)
    assert (code, out) == (5, "") and err.count("\n") == 1
    assert "subject 'P-0042' already exists in" in err and "with --subject" in err
    assert store.counts()["sessions"] == 0

    code, out, err = hiprom("store", "import", str(tmp_path / "p.json"), "--subject", "P-0099", "--db", db)
    assert code == 0, err
    new = store.subject("P-0099")
    assert (new.name, new.date_of_birth, new.n_sessions) == ("Élise O'Neil", "1984-05-17", 2)
    assert store.subject("P-0042").n_sessions == 0

    _export(hiprom, source, [1], tmp_path / "p7.json")
    code, out, err = hiprom("store", "import", str(tmp_path / "p7.json"), "--subject", "p-0042", "--db", db)
    assert code == 0, err
    joined = store.subject("P-0042")
    assert (joined.name, joined.n_sessions) == ("Someone Else", 1)  # joins the stored person, details kept


def _break_second_session(path: Path, how: Callable[[dict], None]) -> None:
    items = json.loads(path.read_text(encoding="utf-8"))
    how(items[1])
    path.write_text(json.dumps(items), encoding="utf-8")


@pytest.mark.parametrize(("how", "said"), [
    (lambda item: item["references"].append({"instrument": "protractor", "left_ir_deg": 30}),
     "session 5: instrument: 'protractor' is unknown"),
    (lambda item: item["analysis"].pop("sides"), "session 5: analysis"),
    (lambda item: item["analysis"].update(schema="hiprom.analysis/2"),  # was: "give the JSON of 'hiprom analyze'"
     "session 5: analysis: schema is 'hiprom.analysis/2', from a newer hiprom than this one (expecting "
     "'hiprom.analysis/1'); upgrade hiprom to read it"),
    (lambda item: item["exercise_results"].append({"schema": "hiprom.exercise/1"}),
     "session 5: exercise result: 'exercise' must be an exercise id"),
    (lambda item: item.update(program={"items": [{"exercise": "no_such_move"}]}), "session 5: program item 1"),
    (lambda item: item["subject"].update(pseudonym="42"), "session 5: pseudonym: '42' is only digits"),
    (lambda item: item["session"].update(saved_utc="last Tuesday"),
     "session 5: session: saved_utc 'last Tuesday' is not an ISO 8601 time"),
    (lambda item: item["subject"].update(created_utc="2999-01-01T00:00:00Z"),
     "session 5: subject: created_utc '2999-01-01T00:00:00Z' is later than now"),
])
def test_a_bad_part_is_named_and_nothing_is_stored(tmp_path: Path, store: Store, fixture_analysis: dict,
                                                   hiprom: Callable, how: Callable, said: str) -> None:
    source = _source(tmp_path, fixture_analysis)
    _export(hiprom, source, [4, 5], tmp_path / "p.json")
    _break_second_session(tmp_path / "p.json", lambda item: item.update(references=[]))
    _break_second_session(tmp_path / "p.json", how)

    code, out, err = hiprom("store", "import", str(tmp_path / "p.json"), "--db", store.url.render_as_string(hide_password=False))

    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert said in err
    assert store.counts()["subjects"] == 0 and store.counts()["sessions"] == 0


def test_two_imports_of_one_file_at_once_store_it_once(tmp_path: Path, db_url: str, fixture_analysis: dict,
                                                       hiprom: Callable) -> None:
    """Two workstations loading the same file together: one imports it, the other is told it is there."""
    import threading

    from hiprom.errors import StoreError
    from hiprom.report.imports import import_export

    source = _source(tmp_path, fixture_analysis)
    _export(hiprom, source, [4, 5], tmp_path / "p.json")
    Store(db_url).close()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        with Store(db_url) as target:
            start.wait(timeout=60)
            try:
                import_export(target, tmp_path / "p.json")
                outcomes.append("imported")
            except StoreError as exc:
                outcomes.append("refused" if "was imported already" in str(exc) else str(exc))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["imported", "refused"]
    assert _counts(db_url)["sessions"] == 2


def test_stopped_midway_the_store_keeps_nothing_of_the_file(tmp_path: Path, db_url: str, fixture_analysis: dict,
                                                            hiprom: Callable,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions, readings and the program are written before the counted exercises fail: one transaction."""
    source = _source(tmp_path, fixture_analysis)
    _export(hiprom, source, [4, 5], tmp_path / "p.json")
    counts = _counts(db_url)  # an empty store

    def full_disk(*_: Any, **__: Any) -> None:
        from hiprom.errors import StoreError

        raise StoreError("cannot read or write the store (database or disk is full)")

    monkeypatch.setattr(Store, "add_exercise_result", full_disk)
    code, _, err = hiprom("store", "import", str(tmp_path / "p.json"), "--db", db_url)
    assert code == 5 and "disk is full" in err
    monkeypatch.undo()
    assert _counts(db_url) == counts
    with Store(db_url) as target:
        assert target.subjects() == []


@pytest.mark.parametrize(("text", "said"), [
    ("{", "not a readable JSON file"),
    ('{"schema": "hiprom.export/2", "analysis": {}}',
     "is a hiprom.export/2 export, from a newer hiprom than this one (it reads hiprom.export/1); upgrade hiprom"),
    ('{"schema": "hiprom.analysis/1"}', "is an analysis, not an export of stored sessions; store it with "
                                        "'hiprom sessions add"),
    ('{"schema": "hiprom.validation/1"}', "is not a hiprom export (schema 'hiprom.validation/1')"),
    ("[]", "holds no session"),
    ("[" * 100_000 + "]" * 100_000, "not a readable JSON file (nested too deeply)"),  # was a traceback, exit 1
    ('{"schema": "hiprom.export/1", "session": null, "analysis": {"schema": "hiprom.analysis/1"}}',
     "session #1: analysis"),
])
def test_a_file_that_is_no_export_this_hiprom_reads_is_one_line(tmp_path: Path, store: Store, hiprom: Callable,
                                                                text: str, said: str) -> None:
    path = tmp_path / "visit.json"
    path.write_text(text, encoding="utf-8")
    code, out, err = hiprom("store", "import", str(path), "--db", store.url.render_as_string(hide_password=False))
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert said in err
    assert store.counts()["sessions"] == 0


def _home(tmp_path: Path, analysis: dict, weeks: int, pseudonym: str | None = "ME") -> str:
    """The patient's own store at home: one self-test a week from 9 November, under their own pseudonym."""
    db = str(tmp_path / "home.db")
    with Store(db) as home:
        for week in range(len(home.sessions()), weeks):
            home.save_analysis(analysis, subject=pseudonym, recorded_utc=f"2026-11-{9 + 7 * week:02d}T19:00:00Z")
    return db


def test_a_home_file_sent_again_with_a_new_week_adds_that_week_to_the_patient_here(
        tmp_path: Path, db_url: str, fixture_analysis: dict, hiprom: Callable) -> None:
    """The patient exports all their self-tests each week. Before, the second file was refused whole ('was
    imported already ... nothing was imported', exit 5), and the new week never reached the clinic."""
    with Store(db_url) as clinic:
        clinic.save_analysis(fixture_analysis, subject="P-0042", operator="Dr A", recorded_utc="2026-11-02T09:00:00Z")
    home = _home(tmp_path, fixture_analysis, 2)
    _export(hiprom, home, [1, 2], tmp_path / "week2.json")
    assert hiprom("store", "import", str(tmp_path / "week2.json"), "--subject", "P-0042", "--db", db_url)[0] == 0
    home = _home(tmp_path, fixture_analysis, 3)
    _export(hiprom, home, [1, 2, 3], tmp_path / "week3.json")

    code, out, err = hiprom("store", "import", str(tmp_path / "week3.json"), "--db", db_url)

    assert code == 0, err
    assert out.splitlines()[1:] == ["  session 3 -> 4", "Here already from an earlier import, not stored again:",
                                    "  session 1 is session 2", "  session 2 is session 3"]
    assert "1 session of P-0042" in out.splitlines()[0]
    with Store(db_url) as clinic:
        assert [s.pseudonym for s in clinic.subjects()] == ["P-0042"]  # not the home pseudonym 'ME'
        assert [v["recorded_utc"][:10] for v in clinic.visits("P-0042")] == [
            "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    code, out, err = hiprom("store", "import", str(tmp_path / "week3.json"), "--db", db_url)
    assert (code, out) == (5, "") and "was imported already" in err and err.count("\n") == 1


def test_a_home_file_sent_again_for_someone_else_is_refused(
        tmp_path: Path, store: Store, fixture_analysis: dict, hiprom: Callable) -> None:
    db = store.url.render_as_string(hide_password=False)
    store.add_subject("P-0042")
    store.add_subject("P-0043")
    _export(hiprom, _home(tmp_path, fixture_analysis, 1), [1], tmp_path / "week1.json")
    assert hiprom("store", "import", str(tmp_path / "week1.json"), "--subject", "P-0042", "--db", db)[0] == 0
    _export(hiprom, _home(tmp_path, fixture_analysis, 2), [1, 2], tmp_path / "week2.json")

    code, out, err = hiprom("store", "import", str(tmp_path / "week2.json"), "--subject", "P-0043", "--db", db)

    assert (code, out) == (5, "") and err.count("\n") == 1, err
    assert ("its sessions imported before are P-0042's here (session 1 as 1), not P-0043's; import it with "
            "--subject P-0042, or without --subject; nothing was imported") in err
    assert (store.subject("P-0042").n_sessions, store.subject("P-0043").n_sessions) == (1, 0)


def test_sessions_saved_without_a_pseudonym_need_subject_to_be_imported(
        tmp_path: Path, store: Store, fixture_analysis: dict, hiprom: Callable) -> None:
    """The self-test page saves without a pseudonym when none is typed. Before, such a file was imported as
    nobody's sessions ('Imported 0 subjects and 2 sessions'), in no history, and could not be imported again
    under the right person."""
    db = store.url.render_as_string(hide_password=False)
    _export(hiprom, _home(tmp_path, fixture_analysis, 2, pseudonym=None), [1, 2], tmp_path / "home.json")

    code, out, err = hiprom("store", "import", str(tmp_path / "home.json"), "--db", db)

    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert "were saved without a pseudonym" in err and "with --subject" in err
    assert store.counts()["sessions"] == 0
    code, out, err = hiprom("store", "import", str(tmp_path / "home.json"), "--subject", "P-0042", "--db", db)
    assert code == 0, err
    assert store.subject("P-0042").n_sessions == 2


def _clinic_with_home_tests(tmp_path: Path, db: str, analysis: dict, hiprom: Callable) -> None:
    """A clinic test of P-0042 (2 November), then the two self-tests of their home store sent in as week2.json."""
    with Store(db) as clinic:
        clinic.save_analysis(analysis, subject="P-0042", operator="Dr A", recorded_utc="2026-11-02T09:00:00Z")
    _export(hiprom, _home(tmp_path, analysis, 2), [1, 2], tmp_path / "week2.json")
    assert hiprom("store", "import", str(tmp_path / "week2.json"), "--subject", "P-0042", "--db", db)[0] == 0


def test_the_trend_tells_the_self_tests_sent_in_from_the_tests_done_here(
        tmp_path: Path, db_url: str, fixture_analysis: dict, hiprom: Callable) -> None:
    """Before, 'hiprom trend' listed a patient's home self-tests as if tested at the clinic."""
    _clinic_with_home_tests(tmp_path, db_url, fixture_analysis, hiprom)

    code, out, err = hiprom("trend", "P-0042", "--db", db_url)

    assert code == 0, err
    rows = [line.split("│") for line in out.splitlines() if line[:1].isdigit()]
    assert [(r[0].strip(), r[2].strip()) for r in rows] == [("1", "here"), ("2", "sent in"), ("3", "sent in")]
    assert ("Sent in: #2, #3 (week2.json): tested elsewhere, at home or at another clinic, and imported from that "
            "file; the others were tested here.") in " ".join(out.split())
    visits = json.loads(hiprom("trend", "P-0042", "--json", "--db", db_url)[1])["visits"]
    assert [v["origin"] for v in visits] == [None, "week2.json", "week2.json"]

    moved = _export(hiprom, db_url, [2], tmp_path / "to-clinic-b.json")  # the patient moves on: still a home test
    assert moved["session"]["origin"] == "week2.json"
    Store(tmp_path / "clinic-b.db").close()
    assert hiprom("store", "import", str(tmp_path / "to-clinic-b.json"), "--db", str(tmp_path / "clinic-b.db"))[0] == 0
    with Store(tmp_path / "clinic-b.db") as other:
        assert [s.origin for s in other.sessions()] == ["week2.json"]


def test_the_reports_history_marks_the_self_tests_sent_in(tmp_path: Path, fixture_analysis: dict,
                                                          hiprom: Callable) -> None:
    """Before, the PDF's history table and header showed a home self-test as a test of the clinic."""
    from tests.report.pdftools import need_poppler, pdf_text, squeeze

    need_poppler()
    db = str(tmp_path / "clinic.db")
    _clinic_with_home_tests(tmp_path, db, fixture_analysis, hiprom)

    assert hiprom("report", "3", "-o", str(tmp_path / "r.pdf"), "--db", db)[0] == 0

    text = pdf_text(tmp_path / "r.pdf")
    assert squeeze("Tested sent in: week2.json (at home, or at another clinic)") in squeeze(text)
    assert text.count("— sent in") == 2  # the rows of #2 and #3, not #1
    assert squeeze("Sent in: #2, #3 (week2.json): tested elsewhere, at home or at another clinic") in squeeze(text)
