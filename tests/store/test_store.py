"""The store: subjects, sessions, trials and series saved and read back."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest
from sqlalchemy import text

from hiprom.errors import InputError, StoreError
from hiprom.recording import LandmarkRecording
from hiprom.store import RecordNotFound, Store, save_analysis

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "demo_seated_test.landmarks.npz"

TRICKY = [
    'O\'Brien "the hip" <script>alert(1)</script> & co',
    "Dana 😀👍🏽 🦄",
    "שלום עולם",  # Hebrew
    "مرحبا بالعالم",  # Arabic
    "[bold red]not markup[/]",
]


def test_session_round_trips_the_analysis_exactly(store: Store, analysis: dict) -> None:
    record = store.save_analysis(analysis, subject="P-1", operator="J. Smith", notes="first")
    assert record.id == 1 and record.subject == "P-1" and record.n_trials == len(analysis["trials"])
    assert store.analysis(record.id) == json.loads(json.dumps(analysis))
    left = analysis["sides"]["left"]
    assert (record.left_ir_deg, record.left_er_deg, record.left_arc_deg) == (
        left["internal_rotation_deg"], left["external_rotation_deg"], left["total_arc_deg"])
    assert record.asymmetry_arc_deg == analysis["asymmetry"]["total_arc_deg"]


SEARCHED = [("P-1", "Élise Dubois"), ("P-2", "Öz Kaya"), ("P-3", "Zoë Straße"), ("P-4", "Ann O'Neil"),
            ("P-5", "Søren Łukasz"), ("P-6", "E\u0301lodie Marti\u0301n")]  # P-6 decomposed, as macOS types it


FINDS = [
    ("élise", ["P-1"]), ("ÉLISE", ["P-1"]), ("elise", ["P-1"]),
    ("ÖZ", ["P-2"]), ("öz", ["P-2"]), ("oz", ["P-2"]),
    ("ZOË", ["P-3"]), ("strasse", ["P-3"]), ("STRAẞE", ["P-3"]),
    ("élodie martín", ["P-6"]), ("Elodie", ["P-6"]), ("o'neil", ["P-4"]),
    ("søren", ["P-5"]), ("SØREN", ["P-5"]), ("łukasz", ["P-5"]), ("soren", []),
    ("p-", ["P-1", "P-2", "P-3", "P-4", "P-5", "P-6"]), ("%", []), ("_", []),
]


def test_subject_search_ignores_case_and_accents_the_same_on_every_backend(store: Store) -> None:
    """SQLite folded the case of ASCII letters only: "élise" did not find "Élise", nor "ÖZ" "Öz",
    where PostgreSQL's ILIKE did. Both now find by the one rule, case and accents ignored."""
    for pseudonym, name in SEARCHED:
        store.add_subject(pseudonym, name=name)
    got = {find: ([s.pseudonym for s in store.subjects(find)], store.subjects_counted(find, limit=2)[1],
                  [s.pseudonym for s in store.subjects(find, limit=2)]) for find, _ in FINDS}
    assert got == {find: (found, len(found), found[:2]) for find, found in FINDS}


@pytest.mark.parametrize("find", [None, "p-"])
def test_a_subject_search_and_its_count_read_the_subjects_once(store: Store, find: str | None) -> None:
    """'subjects list --find TEXT' read every subject twice, once for the page and once more to count
    them (2 x 2 061 rows in a clinic): one pass now gives both; a list without --find counts in SQL."""
    from sqlalchemy import event

    for pseudonym, name in SEARCHED:
        store.add_subject(pseudonym, name=name)
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        rows, total = store.subjects_counted(find, limit=2)
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)
    assert [r.pseudonym for r in rows] == ["P-1", "P-2"] and total == 6
    reads = [sql for sql in statements if "FROM subjects" in sql]
    assert len(reads) == (1 if find else 2) and (find is None or "LIMIT" not in reads[0])


def test_nan_and_numpy_values_are_stored_as_json(store: Store, fixture_analysis: dict) -> None:
    import numpy as np

    fixture_analysis["series"]["left_deg"][3] = float("nan")
    fixture_analysis["sides"]["left"]["internal_spread_deg"] = np.float64(1.25)
    fixture_analysis["frames"] = np.int64(fixture_analysis["frames"])
    record = store.save_analysis(fixture_analysis)
    back = store.analysis(record.id)
    assert back["series"]["left_deg"][3] is None
    assert back["sides"]["left"]["internal_spread_deg"] == 1.25
    assert record.frames == fixture_analysis["frames"]


def test_series_are_stored_compressed_in_their_own_table(store: Store, analysis: dict, tmp_path: Path) -> None:
    record = store.save_analysis(analysis)
    with store.engine.connect() as conn:
        blob, n = conn.execute(text("SELECT data, n_frames FROM series WHERE session_id = :i"),
                               {"i": record.id}).one()
        stored = conn.execute(text("SELECT analysis_json FROM sessions")).scalar_one()
    assert n == len(analysis["series"]["t_s"])
    assert json.loads(gzip.decompress(blob)) == json.loads(json.dumps(analysis["series"]))
    assert "series" not in json.loads(stored)
    assert len(blob) < len(json.dumps(analysis["series"])) / 3


def test_subjects_add_list_show_delete(store: Store, analysis: dict) -> None:
    a = store.add_subject("A-1", name="Ann", date_of_birth="1970-03-04", notes="knee")
    auto = store.add_subject()
    assert auto.pseudonym.startswith("S-") and len(auto.pseudonym) == 8
    store.save_analysis(analysis, subject="A-1")
    store.save_analysis(analysis, subject=a.id)
    listed = {s.pseudonym: s for s in store.subjects()}
    assert listed["A-1"].n_sessions == 2 and listed[auto.pseudonym].n_sessions == 0
    assert store.subject("A-1") == store.subject(str(a.id)) == listed["A-1"]
    assert store.subject("A-1").date_of_birth == "1970-03-04"
    assert store.delete_subject("A-1") == 2
    assert store.counts() == {"subjects": 1, "sessions": 0, "trials": 0, "series": 0, "landmarks": 0,
                              "reference_readings": 0}


def test_the_subjects_list_says_when_each_was_last_tested(store: Store, analysis: dict) -> None:
    """A clinic following patients over time finds whom it has not seen for a while: the list gave how many
    sessions each had, not when the last was."""
    store.save_analysis({**analysis, "created_utc": "2026-03-02T09:00:00Z"}, subject="A-1")
    store.save_analysis({**analysis, "created_utc": "2026-05-11T14:30:00Z"}, subject="A-1")
    store.save_analysis({**analysis, "created_utc": "2026-04-20T08:15:00Z"}, subject="A-1")
    store.add_subject("B-2")
    listed = {s.pseudonym: s.last_session_utc for s in store.subjects()}
    assert listed == {"A-1": "2026-05-11T14:30:00Z", "B-2": None}
    assert store.subject("A-1").last_session_utc == "2026-05-11T14:30:00Z"
    assert [s.last_session_utc for s in store.subjects(find="a-")] == ["2026-05-11T14:30:00Z"]
    # Whom to call back: the longest unseen first, those never tested at the end.
    store.save_analysis({**analysis, "created_utc": "2026-01-15T10:00:00Z"}, subject="C-3")
    store.save_analysis({**analysis, "created_utc": "2026-06-01T10:00:00Z"}, subject="0-4")
    by_last, total = store.subjects_counted(by="last", limit=3)
    assert [s.pseudonym for s in by_last] == ["C-3", "A-1", "0-4"] and total == 4
    assert [s.pseudonym for s in store.subjects_counted(by="last", offset=3)[0]] == ["B-2"]
    assert [s.pseudonym for s in store.subjects_counted("-", by="last")[0]] == ["C-3", "A-1", "0-4", "B-2"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"pseudonym": ""}, InputError, "must not be empty"),
        ({"pseudonym": "x" * 65}, InputError, "at most 64"),
        ({"pseudonym": "a\x1b[31mb"}, InputError, "control characters"),
        # Store audit D: a pseudonym that reads as a subject number, or shows nothing.
        ({"pseudonym": "18"}, InputError, "'18' is only digits, which names subject number 18; add a letter"),
        ({"pseudonym": " #5 "}, InputError, "'#5' starts with '#', which marks a subject number"),
        ({"pseudonym": "\u200b"}, InputError, "shows no character"),
        ({"pseudonym": "\u00a0"}, InputError, "pseudonym: must not be empty"),
        ({"pseudonym": "P", "date_of_birth": "31/12/1980"}, InputError, "use YYYY-MM-DD"),
        ({"pseudonym": "P", "date_of_birth": "2999-01-01"}, InputError, "in the future"),
    ],
)
def test_bad_subject_input_is_refused(store: Store, kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        store.add_subject(**kwargs)


def test_a_number_form_always_names_the_subject_number(store: Store, analysis: dict) -> None:
    """``2`` and ``#2`` are subject 2, even beside an older store's subject whose pseudonym is "2"."""
    from sqlalchemy import text

    with store.engine.begin() as conn:  # what an older hiprom let a user store (keyed by the upgrade)
        for pseudonym in ("2", "#2"):
            conn.execute(text("INSERT INTO subjects (pseudonym, pseudonym_key, created_utc) "
                              "VALUES (:p, :k, '2026-01-01 00:00:00')"), {"p": pseudonym, "k": pseudonym})
    legacy = {s.pseudonym: s.id for s in store.subjects()}
    second = store.add_subject("P-2")
    assert sorted(legacy.values()) == [1, 2] and second.id == 3
    assert store.subject(2).pseudonym == store.subject("2").pseudonym == store.subject(" #2 ").pseudonym == "#2"
    assert store.subject(f"#{second.id}") == store.subject(str(second.id)) == store.subject("P-2")
    assert store.subject(f"#{legacy['2']}").pseudonym == "2"  # the old rows are reached by their numbers
    assert store.save_analysis(analysis, subject="#3").subject == "P-2"
    with pytest.raises(RecordNotFound, match="no subject '#5'"):
        store.save_analysis(analysis, subject="#5")
    with pytest.raises(RecordNotFound, match="no subject '18'"):
        store.save_analysis(analysis, subject="18")
    assert store.delete_subject("2") == 0 and [s.pseudonym for s in store.subjects()] == ["2", "P-2"]


def test_numbers_are_never_given_twice_even_after_a_delete(store: Store, fixture_analysis: dict) -> None:
    """Store audit E, on SQLite (AUTOINCREMENT) and PostgreSQL (serial sequences)."""
    from hiprom.store import ReferenceInput

    counted_exercise = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
                        "direction": "internal", "reps_done": 7, "reps_target": 20, "reps": []}
    first = store.save_analysis(fixture_analysis, subject="P-1")
    reading = store.add_reference(first.id, ReferenceInput("goniometer", left_ir_deg=30))
    counted = store.add_exercise_result(first.id, counted_exercise)
    subject = store.subject("P-1").id
    store.delete_subject("P-1")  # and with it the session, its reading and its counted exercise
    second = store.save_analysis(fixture_analysis, subject="P-2")
    assert second.id > first.id and store.subject("P-2").id > subject
    assert store.add_reference(second.id, ReferenceInput("goniometer", left_ir_deg=30)).id > reading.id
    assert store.add_exercise_result(second.id, counted_exercise)["id"] > counted["id"]


def test_duplicate_pseudonym_is_a_clear_error(store: Store) -> None:
    store.add_subject("P-7")
    with pytest.raises(StoreError, match="'P-7' already exists"):
        store.add_subject("P-7")


def test_a_pseudonym_typed_in_other_capitals_or_without_accents_is_the_same_subject(
        store: Store, analysis: dict) -> None:
    # A visit saved as 'p-0042' made a second subject beside P-0042: the patient's history, trend
    # and same-day re-test baseline each showed half of their visits.
    first = store.save_analysis(analysis, subject="P-0042", recorded_utc="2026-01-10T09:00:00Z")
    store.save_analysis(analysis, subject="P-00042", recorded_utc="2026-01-11T09:00:00Z")  # someone else
    later = store.save_analysis(analysis, subject=" p-0042 ", recorded_utc="2026-03-10T09:00:00Z")
    assert later.subject == "P-0042"
    assert [h.id for h in store.history(later.id)] == [first.id, later.id]
    assert [(s.pseudonym, s.n_sessions) for s in store.subjects()] == [("P-00042", 1), ("P-0042", 2)]
    with pytest.raises(StoreError, match="'P-0042' already exists .*differ only in capitals or accents"):
        store.add_subject("p-0042")
    store.add_subject("Élise-1")
    assert store.subject("ELISE-1").pseudonym == "Élise-1"
    store.delete_subject("P-00042")
    with pytest.raises(RecordNotFound):
        store.subject("p-00042")


@pytest.mark.parametrize("name", TRICKY)
def test_user_text_survives_unchanged(store: Store, analysis: dict, name: str) -> None:
    subject = store.add_subject(name[:64], name=name, notes=name)
    record = store.save_analysis(analysis, subject=subject.pseudonym, operator=name, notes=name)
    back = store.subject(name[:64])
    assert (back.name, back.notes) == (name, name)
    shown = store.session(record.id)
    assert (shown.operator, shown.notes, shown.subject) == (name, name, name[:64])


def test_unknown_ids_are_record_not_found(store: Store, analysis: dict) -> None:
    for call in (lambda: store.session(5), lambda: store.session("abc"), lambda: store.session("9" * 40),
                 lambda: store.subject("nobody"), lambda: store.subject("9" * 30),
                 lambda: store.delete_session(5), lambda: store.delete_subject("nobody"),
                 lambda: store.save_analysis(analysis, subject=42)):
        with pytest.raises(RecordNotFound, match="no (session|subject)"):
            call()
    with pytest.raises(RecordNotFound):
        store.save_analysis(analysis, subject="new-one", create_subject=False)
    assert store.counts()["sessions"] == 0


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda a: a.update(schema="hiprom.analysis/9"), "expecting 'hiprom.analysis/1'"),
        (lambda a: a["sides"].pop("right"), "sides.right: is required"),
        (lambda a: a.update(trials="none"), "trials: must be a list"),
        (lambda a: a.update(asymmetry=None), "asymmetry: must be a JSON object"),
        # Issue 12, item 3: each was stored (201) and then broke its report for ever.
        (lambda a: a.update(quality="x"), "quality: must be a JSON object"),
        (lambda a: a.update(norms="x"), "norms: must be a JSON object"),
        (lambda a: a["asymmetry"].update(total_arc_deg="x"), r"asymmetry.total_arc_deg: must be a number \(got 'x'\)"),
        (lambda a: a["asymmetry"].update(flagged_measures=5), "asymmetry.flagged_measures: must be a list"),
        (lambda a: a["series"].update(t_s="abc"), "series.t_s: must be a list"),
        (lambda a: a["series"].update(t_s=[0.0]), "series: .*left_deg has \\d+ frames but t_s has 1"),
        (lambda a: a["trials"][0].update(side="middle"), r"trials.0.side: must be 'left' or 'right' \(got 'middle'\)"),
        (lambda a: a["sides"]["left"].update(internal_trials=True), "sides.left.internal_trials: must be a whole number"),
        # Issue 12, items 1 and 5: unbounded work and odd text.
        (lambda a: a.update(trials=a["trials"] * 1001), "trials: \\d+ trials, at most 1000"),
        (lambda a: a.update(created_utc="9999-12-31T23:59:59-23:59"), "created_utc: .*ISO 8601"),
        (lambda a: a.update(source="clip\udc80.mp4"), "source: text holds .* lone surrogate"),
        (lambda a: a.update(extra=_nested(500)), "extra.a.a.*nested more than 32 levels"),
        # Store audit C: a database integer is 64-bit (OverflowError on SQLite, a 500 from the API).
        (lambda a: a.update(frames=10**30), r"frames: must be at most 10000000 \(got 1000"),
        (lambda a: a.update(frames=-1), "frames: must be at least 0"),
        (lambda a: a["sides"]["left"].update(internal_trials=10**19), "sides.left.internal_trials: must be at most 1000"),
        (lambda a: a.update(fps=0), r"fps: must be more than 0 \(got 0\)"),
        # CLI audit 8: a 76-digit angle reached the PDF, and NaN (not JSON) was stored as "missing".
        (lambda a: a["sides"]["left"].update(internal_rotation_deg=1e300), "sides.left.internal_rotation_deg: must be at most 360"),
        (lambda a: a["asymmetry"].update(total_arc_deg=-400.0), "asymmetry.total_arc_deg: must be at least -360"),
    ],
)
def test_not_an_analysis_is_refused_before_writing(store: Store, analysis: dict, change, match: str) -> None:
    change(analysis)
    with pytest.raises(InputError, match=match):
        store.save_analysis(analysis, subject="P")
    assert store.counts()["subjects"] == 0


def test_sessions_list_newest_first_and_history_oldest_first(store: Store, fixture_analysis: dict) -> None:
    ids = {}
    for day in ("2026-03-01", "2026-01-01", "2026-02-01"):
        ids[day] = store.save_analysis(fixture_analysis, subject="H", recorded_utc=f"{day}T09:00:00Z").id
    other = store.save_analysis(fixture_analysis, subject="other", recorded_utc="2026-02-15T00:00:00Z")
    assert [s.recorded_utc[:10] for s in store.sessions("H")] == ["2026-03-01", "2026-02-01", "2026-01-01"]
    assert len(store.sessions()) == 4 and len(store.sessions(limit=2)) == 2
    history = store.history(ids["2026-02-01"])
    assert [h.id for h in history] == [ids["2026-01-01"], ids["2026-02-01"]]
    assert [h.id for h in store.history(other.id)] == [other.id]


def test_session_without_subject_and_with_settings(store: Store, fixture_analysis: dict) -> None:
    record = store.save_analysis(fixture_analysis, camera="C920 1280x720", settings={"mirrored": True})
    shown = store.session(record.id)
    assert shown.subject is None and shown.camera == "C920 1280x720" and shown.settings == {"mirrored": True}
    assert [h.id for h in store.history(record.id)] == [record.id]


def test_landmarks_are_optional_and_round_trip(store: Store, analysis: dict, tmp_path: Path) -> None:
    rec = LandmarkRecording.load(SAMPLE)
    with_lm = save_analysis(store, analysis, subject="L", landmarks=rec)
    without = save_analysis(store, analysis, subject="L")
    assert with_lm.has_landmarks and not without.has_landmarks
    assert store.landmarks(without.id) is None
    blob = store.landmarks(with_lm.id)
    path = tmp_path / "back.landmarks.npz"
    path.write_bytes(blob)
    back = LandmarkRecording.load(path)
    assert back.n_frames == rec.n_frames
    assert math.isclose(float(back.t_ms[-1]), float(rec.t_ms[-1]))


def test_landmarks_of_another_recording_are_refused_before_writing(store: Store, analysis: dict) -> None:
    """CLI review 9: a 2-frame recording was kept beside a 1272-frame analysis; its report failed later."""
    rec = LandmarkRecording.load(SAMPLE)
    with pytest.raises(InputError, match=f"landmarks have {rec.n_frames} frames but the analysis has 99"):
        save_analysis(store, {**analysis, "frames": 99}, subject="L", landmarks=rec)
    assert store.counts()["sessions"] == 0


def test_deleting_a_session_deletes_its_trials_series_and_landmarks(store: Store, analysis: dict) -> None:
    keep = store.save_analysis(analysis, subject="D")
    gone = store.save_analysis(analysis, subject="D", landmarks=b"npz-bytes")
    store.delete_session(gone.id)
    n = len(analysis["trials"])
    assert store.counts() == {"subjects": 1, "sessions": 1, "trials": n, "series": 1, "landmarks": 0,
                              "reference_readings": 0}
    assert store.session(keep.id).n_trials == n


def test_a_failure_inside_the_transaction_leaves_nothing(
    store: Store, analysis: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hiprom.store.sessions as module

    def boom(*args, **kwargs):
        raise OSError("disk unplugged")

    monkeypatch.setattr(module, "SeriesRow", boom)
    with pytest.raises(OSError):
        store.save_analysis(analysis, subject="new")  # after the subject, session and trials were added
    monkeypatch.undo()
    assert store.counts() == {"subjects": 0, "sessions": 0, "trials": 0, "series": 0, "landmarks": 0,
                              "reference_readings": 0}


def test_a_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path: Path, analysis: dict) -> None:
    from sqlalchemy import event

    path = tmp_path / "small.db"
    Store(path).close()
    store = Store(path)
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _limit(dbapi_conn, _record):  # the database may not grow: like a full disk
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    analysis["series"]["pad"] = ["x" * 200] * 2000  # larger than any free page
    with pytest.raises(StoreError, match="full.*free some disk space"):
        store.save_analysis(analysis, subject="P")
    store.close()
    with Store(path) as again:
        assert again.counts()["sessions"] == 0 and again.counts()["subjects"] == 0
