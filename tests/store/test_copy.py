"""``hiprom store copy``: a clinic's records moved from SQLite to PostgreSQL (and back) with nothing lost.

Before, there was no path: ``sessions add`` refuses the ``hiprom.export/1``
files ``sessions export`` writes, and ``backup``/``restore`` are SQLite only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hiprom.assessment import load_catalogue, program_from_recommendations
from hiprom.store import ReferenceInput, Store
from hiprom.store.copy import copy_store

PROGRAM = program_from_recommendations([{"exercise": "chair_rotation_internal", "side": "left",
                                        "direction": "internal", "reason": "left IR 24 deg"}], load_catalogue())
COUNTED = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
           "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 2}, "reps_done": 8,
           "reps_target": 20, "reps": [{"number": 1}]}
EMPTY = {"subjects": 0, "sessions": 0, "trials": 0, "series": 0, "landmarks": 0, "reference_readings": 0}


def _clinic(db: str, analysis: dict) -> None:
    """Two people's visits on several days, a reading, a program, a counted exercise, landmarks, and
    numbers deleted from the top (3 sessions kept of 4 given, so the next must be 5)."""
    with Store(db) as store:
        store.add_subject("P-0042", name="Élise O'Neil", date_of_birth="1984-05-17", notes="left hip")
        first = store.save_analysis(analysis, subject="P-0042", operator="J. Smith",
                                    recorded_utc="2026-03-02T09:30:00Z", landmarks=b"npz bytes",
                                    settings={"hold_s": 2})
        store.save_analysis(analysis, subject="p-0042", recorded_utc="2026-04-02T09:30:00Z", notes="re-test")
        store.save_analysis(analysis, subject="P-7", recorded_utc="2026-04-03T10:00:00Z")
        store.add_subject("P-9")
        store.add_reference(first.id, ReferenceInput(instrument="goniometer", rater="A", left_ir_deg=31.5))
        store.add_reference(first.id, ReferenceInput(instrument="inclinometer", right_er_deg=40.0))
        store.set_program(first.id, PROGRAM)
        store.add_exercise_result(first.id, COUNTED, recorded_utc="2026-03-02T09:45:00Z")
        store.delete_session(store.save_analysis(analysis).id)  # number 4 given, then deleted


def _seen(hiprom: Callable, db: str, where: str) -> list[str]:
    """What a clinician sees of the store: the lists, a session, its readings, the report's table rows."""
    commands = [("subjects", "list", "--json"), ("subjects", "list"), ("sessions", "list", "--json"),
                ("sessions", "list"), ("subjects", "show", "P-0042"), ("sessions", "show", "1", "--json"),
                ("sessions", "show", "1"), ("sessions", "references", "--json"),
                ("sessions", "export", "1", "2", "3", "--format", "csv", "--table", "summary"),
                ("sessions", "export", "1", "--format", "csv", "--table", "trials"), ("trend", "P-0042")]
    seen = []
    for args in commands:
        code, out, err = hiprom(*args, "--db", db)
        assert code == 0, (args, err)
        seen.append(out.replace(where, "STORE"))
    return seen


def test_sqlite_records_copied_are_seen_alike_and_numbered_on(tmp_path: Path, db_url: str, fixture_analysis: dict,
                                                              hiprom: Callable) -> None:
    source = str(tmp_path / "clinic.db")
    _clinic(source, fixture_analysis)
    with Store(db_url) as target:
        where = target.where
    code, out, err = hiprom("store", "copy", "--db", source, "--to", db_url)
    assert code == 0, err
    assert out.startswith("Copied 3 subjects, 3 sessions, ") and "2 reference readings, 1 home program and " \
        "1 counted exercise from " in out and "every session keeps its number" in out
    assert _seen(hiprom, db_url, where) == _seen(hiprom, source, source)
    with Store(source) as old, Store(db_url) as new:
        assert new.counts() == old.counts()
        assert [new.analysis(n) for n in (1, 2, 3)] == [old.analysis(n) for n in (1, 2, 3)]
        assert new.landmarks(1) == b"npz bytes" and new.program(1) == old.program(1)
        assert new.exercise_results(1) == old.exercise_results(1)
        # No number the old store gave is given again: session 4 was deleted there.
        assert new.save_analysis(fixture_analysis, subject="P-9").id == 5
        assert new.add_subject("P-10").id == 4
        assert new.add_reference(1, ReferenceInput(instrument="other", left_er_deg=20.0)).id == 3


def test_postgresql_records_copied_back_to_an_sqlite_file(pg_url: str, tmp_path: Path, fixture_analysis: dict,
                                                          hiprom: Callable) -> None:
    _clinic(pg_url, fixture_analysis)
    target = str(tmp_path / "new" / "hiprom.db")  # a new file is made
    with Store(pg_url) as store:
        where = store.where
    done = copy_store(pg_url, target)
    assert (done.rows["sessions"], done.rows["trials"]) == (3, 3 * len(fixture_analysis["trials"]))
    assert _seen(hiprom, target, target) == _seen(hiprom, pg_url, where)
    with Store(target) as new:
        assert new.save_analysis(fixture_analysis).id == 5


class Stopped(BaseException):
    """A copy stopped midway (as Ctrl-C or a kill would)."""


@pytest.mark.parametrize("stop_after", ["sessions", "exercise_results"])
def test_an_interrupted_copy_leaves_the_target_empty_and_can_be_run_again(
        tmp_path: Path, db_url: str, fixture_analysis: dict, stop_after: str) -> None:
    source = str(tmp_path / "clinic.db")
    _clinic(source, fixture_analysis)

    def stop(table: str) -> None:
        if table == stop_after:
            raise Stopped

    with pytest.raises(Stopped):
        copy_store(source, db_url, after_table=stop)
    with Store(db_url) as target:
        assert target.counts() == EMPTY and target.subjects() == []
    assert copy_store(source, db_url).rows["sessions"] == 3


def test_a_target_with_records_or_the_store_itself_is_refused_in_one_line(
        tmp_path: Path, db_url: str, fixture_analysis: dict, hiprom: Callable) -> None:
    source = str(tmp_path / "clinic.db")
    _clinic(source, fixture_analysis)
    with Store(db_url) as target:
        target.add_subject("P-1")
    code, out, err = hiprom("store", "copy", "--db", source, "--to", db_url)
    assert (code, out, err.count("\n")) == (5, "", 1)
    assert "holds records already (1 subject and 0 sessions); copy into an empty store" in err
    with Store(db_url) as target:
        assert [s.pseudonym for s in target.subjects()] == ["P-1"] and target.sessions() == []
    code, out, err = hiprom("store", "copy", "--db", source, "--to", source)
    assert (code, out, err.count("\n")) == (2, "", 1) and "is the store being copied" in err
    code, _, err = hiprom("store", "copy", "--db", str(tmp_path / "nope.db"), "--to", db_url)
    assert code == 5 and err.count("\n") == 1 and "no records store at" in err


def test_a_text_too_long_for_postgresql_is_named_and_nothing_is_copied(
        tmp_path: Path, pg_url: str, fixture_analysis: dict, hiprom: Callable) -> None:
    """SQLite keeps any length of text; PostgreSQL holds to the column's (an operator of up to 200)."""
    source = str(tmp_path / "clinic.db")
    _clinic(source, fixture_analysis)
    with Store(source) as store:
        store.save_analysis(fixture_analysis, operator="J" * 201)
    code, _, err = hiprom("store", "copy", "--db", source, "--to", pg_url)
    assert code == 5 and err.count("\n") == 1
    assert "sessions #5: its operator has 201 characters, more than the 200 the store takes" in err
    with Store(pg_url) as target:
        assert target.counts() == EMPTY


def test_an_export_given_to_sessions_add_says_what_it_is_and_the_way_to_move_records(
        tmp_path: Path, fixture_analysis: dict, hiprom: Callable) -> None:
    """It said "schema is 'hiprom.export/1', expecting 'hiprom.analysis/1'", and nothing of how to move records."""
    source = str(tmp_path / "clinic.db")
    _clinic(source, fixture_analysis)
    for ids in (["1"], ["1", "2"]):
        assert hiprom("sessions", "export", *ids, "-o", str(tmp_path / "visits.json"), "--db", source)[0] == 0
        code, out, err = hiprom("sessions", "add", str(tmp_path / "visits.json"), "--db", source)
        assert (code, out, err.count("\n")) == (2, "", 1)
        assert "is an export of stored sessions (hiprom.export/1), not an analysis" in err
        assert f"'hiprom store import {tmp_path / 'visits.json'}'" in err
        (tmp_path / "visits.json").unlink()
