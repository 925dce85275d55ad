"""A mistyped pseudonym renamed, a session moved to another subject: nothing they hold is lost (both backends).

Before, the only fix was to delete and add again, which lost the session's
number, date, reference readings, home program and counted exercises.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hiprom.assessment import load_catalogue, program_from_recommendations
from hiprom.errors import InputError, StoreError
from hiprom.store import RecordNotFound, ReferenceInput, Store

PROGRAM = program_from_recommendations([{"exercise": "chair_rotation_internal", "side": "left",
                                        "direction": "internal", "reason": "left IR 24 deg"}], load_catalogue())
COUNTED = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
           "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 2}, "reps_done": 8,
           "reps_target": 20, "reps": [{"number": 1}]}


def _kept(store: Store, session_id: int) -> tuple:
    """What a session holds besides its subject: its date, readings, program, counted exercises and landmarks."""
    record = store.session(session_id, with_analysis=False)
    readings = [{k: v for k, v in r.to_dict().items() if k != "subject"}
                for r in store.references(session_id=session_id)]
    return (record.id, record.recorded_utc, readings,
            store.program(session_id), store.exercise_results(session_id), store.landmarks(session_id))


@pytest.fixture
def clinic(store: Store, fixture_analysis: dict) -> Store:
    """P-0042 with one session holding a reading, a program, a counted exercise and landmarks; P-0043 with none."""
    session = store.save_analysis(fixture_analysis, subject="P-0042", landmarks=b"npz")
    store.add_reference(session.id, ReferenceInput(instrument="goniometer", rater="A", left_ir_deg=31.0))
    store.set_program(session.id, PROGRAM)
    store.add_exercise_result(session.id, COUNTED)
    store.add_subject("P-0043", name="Élise Dubois")
    return store


def test_a_renamed_subject_keeps_its_number_and_everything_its_sessions_hold(clinic: Store) -> None:
    before = clinic.subject("P-0042")
    kept = _kept(clinic, 1)
    renamed = clinic.rename_subject("p-0042", "P-0024")
    assert (renamed.id, renamed.pseudonym, renamed.n_sessions) == (before.id, "P-0024", 1)
    assert clinic.session(1, with_analysis=False).subject == "P-0024" and _kept(clinic, 1) == kept
    assert [s.id for s in clinic.sessions("P-0024")] == [1]
    with pytest.raises(RecordNotFound):
        clinic.subject("P-0042")
    assert clinic.rename_subject(before.id, "p-0024").pseudonym == "p-0024"  # its own capitals may change


@pytest.mark.parametrize("new", ["P-0043", "p-0043", "P-0043 "])
def test_a_pseudonym_another_subject_has_is_refused_whatever_its_capitals(clinic: Store, new: str) -> None:
    with pytest.raises(StoreError, match="subject 'P-0043' already exists.*choose another pseudonym"):
        clinic.rename_subject("P-0042", new)
    assert [s.pseudonym for s in clinic.subjects()] == ["P-0042", "P-0043"]


def test_a_pseudonym_another_subject_has_with_accents_is_refused(clinic: Store) -> None:
    clinic.add_subject("Élise-1")
    with pytest.raises(StoreError, match="'Élise-1' already exists .*capitals or accents"):
        clinic.rename_subject("P-0043", "ELISE-1")


@pytest.mark.parametrize(("new", "message"), [
    ("P-0042", "has that pseudonym already; nothing changed"),
    ("17", "only digits"),
    ("#3", "starts with '#'"),
    (" ", "must not be empty"),
])
def test_a_rename_that_changes_nothing_or_is_no_pseudonym_is_refused(clinic: Store, new: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        clinic.rename_subject("P-0042", new)
    assert clinic.subject(1).pseudonym == "P-0042"


def test_a_moved_session_keeps_its_number_date_readings_program_and_exercises(clinic: Store) -> None:
    kept = _kept(clinic, 1)
    moved = clinic.move_session(1, "p-0043")
    assert (moved.id, moved.subject, moved.subject_id) == (1, "P-0043", 2)
    assert _kept(clinic, 1) == kept
    assert [s.id for s in clinic.sessions("P-0043")] == [1] and clinic.sessions("P-0042") == []
    assert clinic.subject("P-0042").n_sessions == 0  # the subject left stays, with its details
    assert [r.session_id for r in clinic.references(subject="P-0043")] == [1]


def test_a_move_to_an_unknown_subject_or_its_own_is_refused_and_adds_no_one(clinic: Store) -> None:
    with pytest.raises(RecordNotFound, match="no subject 'P-0044'.*'hiprom subjects add P-0044'") as refused:
        clinic.move_session(1, "P-0044")
    assert refused.value.api == ("no subject 'P-0044'; see GET /api/subjects, "  # what PATCH /api/sessions/1 says
                                 "or add a new person first (POST /api/subjects)")
    with pytest.raises(RecordNotFound, match="no subject '9'"):
        clinic.move_session(1, "9")
    with pytest.raises(InputError, match="session 1 is P-0042's already; nothing changed"):
        clinic.move_session(1, "p-0042")
    with pytest.raises(RecordNotFound, match="no session '7'"):
        clinic.move_session(7, "P-0043")
    assert [s.pseudonym for s in clinic.subjects()] == ["P-0042", "P-0043"]
    assert clinic.session(1, with_analysis=False).subject == "P-0042"


def test_the_commands_say_what_they_did_and_refuse_in_one_line(clinic: Store, hiprom: Callable) -> None:
    db = clinic.url.render_as_string(hide_password=False)
    code, out, err = hiprom("subjects", "rename", "P-0042", "p-0043", "--db", db)
    assert code == 5 and out == "" and err.count("\n") == 1
    assert "subject 'P-0043' already exists (pseudonyms that differ only in capitals or accents" in err
    code, out, _ = hiprom("subjects", "rename", "P-0042", "P-0024", "--db", db)
    assert code == 0 and out == "Renamed subject #1 P-0042 to P-0024 (1 session kept with it).\n"
    code, out, _ = hiprom("sessions", "move", "1", "--subject", "p-0043", "--db", db)
    assert code == 0 and out.splitlines() == [
        "Moved session #1 from P-0024 to P-0043.",
        "P-0024 has no session left; 'hiprom subjects delete P-0024' removes it."]
    code, out, err = hiprom("sessions", "move", "1", "--subject", "P-9", "--db", db)
    assert (code, out, err.count("\n")) == (5, "", 1) and "no subject 'P-9'" in err
    code, _, err = hiprom("sessions", "move", "1", "--subject", "P-0043", "--db", db)
    assert code == 2 and err.count("\n") == 1 and "nothing changed" in err
