"""Home programs and counted exercises kept with a session; the upgrade from v2 keeps old records."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hiprom.assessment import check_program, load_catalogue, program_from_recommendations
from hiprom.errors import InputError
from hiprom.store import SCHEMA_VERSION, RecordNotFound, Store
from hiprom.store.migrations import MIGRATIONS, _stamp

SCHEMA_V1 = Path(__file__).with_name("data") / "schema_v1.sql"

RECS = [{"exercise": "chair_rotation_internal", "side": "left", "direction": "internal", "reason": "left IR 24 deg"}]
RESULT = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
          "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 2}, "reps_done": 7, "reps_target": 20,
          "reps_refused": 1, "holds_s": [3.1], "peaks_deg": [30.2], "reps": [{"number": 1}]}


def test_program_is_kept_replaced_and_forgotten(store: Store, fixture_analysis: dict) -> None:
    session = store.save_analysis(fixture_analysis, subject="P-1")
    assert store.program(session.id) is None
    program = program_from_recommendations(RECS, load_catalogue())
    kept = store.set_program(session.id, program)
    assert kept["updated_utc"].endswith("Z")
    assert {k: v for k, v in store.program(session.id).items() if k != "updated_utc"} == program
    program["items"][0]["dose"]["reps"] = 6
    store.set_program(session.id, program)
    assert store.program(session.id)["items"][0]["dose"]["reps"] == 6
    assert store.delete_program(session.id) and store.program(session.id) is None
    assert not store.delete_program(session.id)


def test_exercise_results_are_kept_in_order(store: Store, fixture_analysis: dict) -> None:
    session = store.save_analysis(fixture_analysis, subject="P-1")
    first = store.add_exercise_result(session.id, RESULT, recorded_utc="2026-03-01T10:00:00Z")
    second = store.add_exercise_result(session.id, {**RESULT, "side": "right", "reps_done": 9},
                                       recorded_utc="2026-03-01T10:05:00Z")
    got = store.exercise_results(session.id)
    assert [r["id"] for r in got] == [first["id"], second["id"]]
    assert got[0]["reps_done"] == 7 and got[1]["side"] == "right" and got[0]["recorded_utc"] == "2026-03-01T10:00:00Z"
    with pytest.raises(InputError, match="side must be one of"):
        store.add_exercise_result(session.id, {**RESULT, "side": "middle"})
    with pytest.raises(InputError, match="reps_done must be a whole number"):
        store.add_exercise_result(session.id, {**RESULT, "reps_done": -1})
    with pytest.raises(RecordNotFound):
        store.add_exercise_result(999, RESULT)


def test_a_timers_record_is_kept_and_may_be_of_both_legs(store: Store, fixture_analysis: dict) -> None:
    """The page's timer guides exercises the camera cannot follow, some of both legs at once: what it ran is kept
    marked ``timed``; a camera's count stays of one leg, and ``timed`` is a yes or no."""
    session = store.save_analysis(fixture_analysis, subject="P-1")
    timed = {**RESULT, "exercise": "knee_to_knee", "side": "both", "reps_done": 3, "reps_target": 3, "reps": [],
             "timed": True}
    assert store.add_exercise_result(session.id, timed)["timed"] is True
    with pytest.raises(InputError, match=r"side must be one of \{left, right\}, but got 'both'"):
        store.add_exercise_result(session.id, {**timed, "timed": False})
    with pytest.raises(InputError, match="'timed' must be true or false"):
        store.add_exercise_result(session.id, {**timed, "timed": "yes"})


def _nested_list(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("change", "words"),
    [({"reps": _nested_list(300)}, "reps.0.0.0"), ({"reps": _nested_list(700)}, "nested more than 32 levels"),
     ({"extra": "\ud800"}, "extra: text holds '\\ud800', a lone surrogate")],
    ids=["reps-300-deep", "reps-700-deep", "lone-surrogate"],
)
def test_a_malformed_exercise_result_is_refused_naming_the_field_and_nothing_is_stored(
        store: Store, fixture_analysis: dict, change: dict, words: str) -> None:
    session = store.save_analysis(fixture_analysis, subject="P-1")
    with pytest.raises(InputError, match="exercise result: ") as refused:
        store.add_exercise_result(session.id, {**RESULT, **change})
    assert words in str(refused.value)
    assert store.exercise_results(session.id) == []


def test_a_stored_result_too_deep_to_show_is_read_back_by_its_counts(store: Store, fixture_analysis: dict) -> None:
    """Results stored before they were checked (300 deep, or deeper than JSON can be read) still list."""
    session = store.save_analysis(fixture_analysis, subject="P-1")
    for depth in (300, 5000):
        deep = json.dumps({**RESULT, "reps": []}, separators=(",", ":")).replace('"reps":[]', '"reps":' + "[" * depth + "]" * depth)
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO exercise_results (session_id, recorded_utc, exercise, side, direction,"
                              " reps_done, reps_target, result_json) VALUES (:s, '2026-03-01 10:00:00',"
                              " 'chair_rotation_internal', 'left', 'internal', 7, 20, :j)"),
                         {"s": session.id, "j": deep})
    got = store.exercise_results(session.id)
    assert [(r["reps_done"], r["reps"], "too deeply" in r["note"]) for r in got] == [(7, [], True)] * 2
    json.dumps(got)  # every record answers as JSON
    assert store.visits("P-1")[0]["exercise_results"] == got


def test_deleting_a_session_deletes_its_program_and_exercises(store: Store, fixture_analysis: dict) -> None:
    session = store.save_analysis(fixture_analysis, subject="P-1")
    store.set_program(session.id, check_program({"items": RECS}, load_catalogue()))
    store.add_exercise_result(session.id, RESULT)
    store.delete_session(session.id)
    with store.engine.connect() as conn:
        for table in ("home_programs", "exercise_results"):
            assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0


def test_visits_give_each_session_with_program_and_exercises(store: Store, fixture_analysis: dict) -> None:
    a = store.save_analysis(fixture_analysis, subject="P-1", recorded_utc="2026-01-01T09:00:00Z")
    b = store.save_analysis(fixture_analysis, subject="P-1", recorded_utc="2026-02-01T09:00:00Z")
    store.set_program(a.id, check_program({"items": RECS}, load_catalogue()))
    store.add_exercise_result(b.id, RESULT)
    visits = store.visits("P-1")
    assert [v["session_id"] for v in visits] == [a.id, b.id]
    assert visits[0]["program"]["items"][0]["exercise"] == "chair_rotation_internal"
    assert visits[1]["program"] is None and visits[1]["exercise_results"][0]["reps_done"] == 7
    assert "series" not in visits[0]["analysis"]


def test_version_2_store_is_upgraded_and_keeps_its_records(tmp_path: Path, fixture_analysis: dict) -> None:
    path = tmp_path / "v2.db"
    fixture_analysis.pop("series")
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_V1.read_text())
        conn.execute(
            "INSERT INTO sessions (id, subject_id, recorded_utc, saved_utc, mirrored, analysis_schema, settings_json,"
            " norms_json, measurable, asymmetry_flagged, analysis_json, left_ir_deg)"
            " VALUES (1, NULL, '2026-01-02 03:04:05', '2026-01-02 03:04:05', 0, 'hiprom.analysis/1',"
            " '{}', '{}', 1, 0, ?, 32.1)",
            (json.dumps(fixture_analysis),),
        )
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        MIGRATIONS[2](conn)
        _stamp(conn, 2)
    engine.dispose()

    with Store(path) as store:
        assert store.migrated_from == 2
        assert store.session(1).left_ir_deg == 32.1 and store.program(1) is None
        store.add_exercise_result(1, RESULT)
        assert store.exercise_results(1)[0]["reps_done"] == 7
    with sqlite3.connect(path) as conn:
        assert [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")] == list(
            range(1, SCHEMA_VERSION + 1))


def test_a_retest_is_the_same_subjects_next_session_that_day(store: Store, fixture_analysis: dict) -> None:
    old = store.save_analysis(fixture_analysis, subject="P-1", recorded_utc="2026-03-01T09:00:00Z")
    test = store.save_analysis(fixture_analysis, subject="P-1", recorded_utc="2026-03-02T09:00:00Z")
    retest = store.save_analysis(fixture_analysis, subject="P-1", recorded_utc="2026-03-02T09:20:00Z")
    other = store.save_analysis(fixture_analysis, subject="P-2", recorded_utc="2026-03-02T09:30:00Z")
    assert store.retest_baseline(retest.id) == test.id
    assert store.retest_baseline(test.id) is None  # the day before is another visit
    assert store.retest_baseline(old.id) is None and store.retest_baseline(other.id) is None


def test_a_recording_analysed_again_is_no_retest_of_itself(store: Store, fixture_analysis: dict) -> None:
    """The 9:00 test's video analysed again at 9:10 by a newer hiprom (figures 0.3° apart) was the 9:30
    re-test's baseline, and its own report compared it with the 9:00 test; it is one measurement."""
    video_a, video_b = "a" * 64, "b" * 64
    test = store.save_analysis({**fixture_analysis, "recording_sha256": video_a}, subject="P-1",
                               recorded_utc="2026-03-02T09:00:00Z")
    again = store.save_analysis({**fixture_analysis, "recording_sha256": video_a}, subject="P-1",
                                recorded_utc="2026-03-02T09:10:00Z")
    retest = store.save_analysis({**fixture_analysis, "recording_sha256": video_b}, subject="P-1",
                                 recorded_utc="2026-03-02T09:30:00Z")
    assert store.retest_baseline(again.id) is None
    assert store.retest_baseline(retest.id) == again.id  # the same test, read by the newer hiprom
    assert store.session(again.id, with_analysis=False).recording_sha256 == video_a
    with pytest.raises(InputError, match=f"sessions {test.id} and {again.id} are analyses of one recording"):
        store.retest_baseline(again.id, before=test.id)


@pytest.mark.usefixtures("sydney_clock")
def test_a_visit_is_a_day_on_the_clinics_clock(store: Store, fixture_analysis: dict) -> None:
    """10:30 and 11:10 in Sydney are one visit across midnight UTC; noon and the next 9:00 are two on one UTC date."""
    test = store.save_analysis(fixture_analysis, subject="P-1", recorded_utc="2026-03-01T23:30:00Z")
    retest = store.save_analysis(fixture_analysis, subject="P-1", recorded_utc="2026-03-02T00:10:00Z")
    assert store.retest_baseline(retest.id) == test.id
    noon = store.save_analysis(fixture_analysis, subject="P-2", recorded_utc="2026-03-05T01:00:00Z")
    next_morning = store.save_analysis(fixture_analysis, subject="P-2", recorded_utc="2026-03-05T22:00:00Z")
    assert store.retest_baseline(next_morning.id) is None and noon.id


def test_a_named_baseline_must_be_the_same_subjects_earlier_session(store: Store, fixture_analysis: dict) -> None:
    test = store.save_analysis(fixture_analysis, subject="P-1", recorded_utc="2026-03-02T09:00:00Z")
    retest = store.save_analysis(fixture_analysis, subject="P-1", recorded_utc="2026-03-02T09:20:00Z")
    other = store.save_analysis(fixture_analysis, subject="P-2", recorded_utc="2026-03-01T09:30:00Z")
    assert store.retest_baseline(retest.id, before=test.id) == test.id
    with pytest.raises(InputError, match=f"session {other.id} is of subject P-2, session {retest.id} of P-1"):
        store.retest_baseline(retest.id, before=other.id)  # another person's test: no change can be read
    with pytest.raises(InputError, match=f"session {retest.id} was recorded after session {test.id}"):
        store.retest_baseline(test.id, before=retest.id)  # the verdicts would read backwards
    with pytest.raises(RecordNotFound):
        store.retest_baseline(retest.id, before=999)
