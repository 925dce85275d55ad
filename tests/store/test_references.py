"""Reference readings: stored beside a session, checked, filtered, imported from CSV all-or-nothing."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from hiprom.errors import InputError
from hiprom.store import SCHEMA_VERSION, RecordNotFound, ReferenceInput, Store
from hiprom.store.migrations import MIGRATIONS
from hiprom.store.reference_csv import import_reference_csv

SCHEMA_V1 = Path(__file__).with_name("data") / "schema_v1.sql"


def test_a_reading_is_stored_with_its_session_and_any_subset_of_angles(store: Store, analysis: dict) -> None:
    session = store.save_analysis(analysis, subject="P-1", recorded_utc="2026-03-04T10:00:00Z")
    made = store.add_reference(session.id, ReferenceInput("Goniometer", rater=" A ", left_ir_deg="32",
                                                          right_er_deg=41.5))
    assert (made.instrument, made.rater, made.subject, made.recorded_utc) == ("goniometer", "A", "P-1",
                                                                             "2026-03-04T10:00:00Z")
    assert made.angles() == {"left_internal": 32.0, "left_external": None, "right_internal": None,
                             "right_external": 41.5}
    assert [r.id for r in store.references(session.id)] == [made.id]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"instrument": "ruler", "left_ir_deg": 30}, "instrument: 'ruler' is unknown"),
        ({"instrument": "goniometer"}, "at least one angle"),
        ({"instrument": "goniometer", "left_ir_deg": "3O"}, "not a number of degrees"),
        ({"instrument": "goniometer", "left_ir_deg": "٣٢"}, "not a number of degrees"),  # Arabic-Indic digits
        ({"instrument": "goniometer", "right_er_deg": 400}, "outside -30 to 120 deg"),
        ({"instrument": "goniometer", "right_er_deg": float("nan")}, "outside"),
        ({"instrument": "goniometer", "left_er_deg": 20, "rater": "A\x1b[31m"}, "control characters"),
    ],
)
def test_bad_readings_are_refused_with_one_line(fields: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ReferenceInput(**fields)


def test_filters_pick_subject_dates_instrument_and_rater(store: Store, analysis: dict) -> None:
    a = store.save_analysis(analysis, subject="A", recorded_utc="2026-01-10T09:00:00Z")
    b = store.save_analysis(analysis, subject="B", recorded_utc="2026-02-10T23:30:00Z")
    store.add_reference(a.id, ReferenceInput("goniometer", rater="X", left_ir_deg=30))
    store.add_reference(b.id, ReferenceInput("inclinometer", rater="Y", left_ir_deg=31))
    store.add_reference(b.id, ReferenceInput("goniometer", rater="X", left_ir_deg=32))

    def angles(**filters) -> list[float]:
        return [r.left_ir_deg for r in store.references(**filters)]

    assert angles() == [30, 31, 32]
    assert angles(subject="B") == [31, 32]
    assert angles(since=date(2026, 2, 1)) == [31, 32]
    assert angles(until=date(2026, 2, 10)) == [30, 31, 32]  # the whole last day counts
    assert angles(until=date(2026, 2, 9)) == [30]
    assert angles(instrument="goniometer", rater="X") == [30, 32]
    # a subject as every other command takes it: its number too, in other capitals, and one not there said so
    number = store.subject("B").id
    assert angles(subject=str(number)) == angles(subject=number) == angles(subject="b") == [31, 32]
    with pytest.raises(RecordNotFound, match="no subject 'Z' in .*; see 'hiprom subjects list'"):
        angles(subject="Z")


def test_readings_go_with_their_session_and_can_be_deleted(store: Store, analysis: dict) -> None:
    keep = store.save_analysis(analysis, subject="D")
    gone = store.save_analysis(analysis, subject="D")
    kept = store.add_reference(keep.id, ReferenceInput("goniometer", left_ir_deg=30))
    store.add_reference(gone.id, ReferenceInput("goniometer", left_ir_deg=31))
    store.delete_session(gone.id)
    assert [r.id for r in store.references()] == [kept.id]
    store.delete_reference(kept.id)
    assert store.counts()["reference_readings"] == 0
    with pytest.raises(RecordNotFound, match="no reference reading '99'"):
        store.delete_reference(99)
    with pytest.raises(RecordNotFound, match="no session '42'"):
        store.add_reference(42, ReferenceInput("goniometer", left_ir_deg=30))


GOOD_CSV = """Session,Instrument,Rater,Left_IR,Left_ER_deg,right_ir,right_er,notes
{a},goniometer,A,32,40.5,,,
#{b},inclinometer,B,,,28,44,"seated, 90 deg knee"
"""


def test_a_good_csv_stores_every_row(store: Store, analysis: dict) -> None:
    a = store.save_analysis(analysis, subject="A")
    b = store.save_analysis(analysis, subject="B")
    made = import_reference_csv(store, "\ufeff" + GOOD_CSV.format(a=a.id, b=b.id), "refs.csv")
    assert [(r.session_id, r.instrument, r.left_ir_deg, r.right_er_deg) for r in made] == [
        (a.id, "goniometer", 32.0, None), (b.id, "inclinometer", None, 44.0)]
    assert made[1].notes == "seated, 90 deg knee"


def test_a_csv_as_european_excel_saves_it_is_read(store: Store, analysis: dict) -> None:
    """Semicolons, decimal commas, CRLF, a BOM, units in the headers, blank lines and "35°" cells."""
    a = store.save_analysis(analysis, subject="A")
    b = store.save_analysis(analysis, subject="B")
    text = (f"\ufeffSession;INSTRUMENT;Rater;Left IR (°);Left ER [deg];Right-IR;Right ER °\r\n"
            f"{a.id};Goniometer;A;32,5;40;;\r\n\r\n;;;;;;\r\n#{b.id};goniometer;B;;35°;28;44,0\r\n")
    made = import_reference_csv(store, text, "refs.csv")
    assert [(r.session_id, r.instrument, r.left_ir_deg, r.left_er_deg, r.right_ir_deg, r.right_er_deg)
            for r in made] == [(a.id, "goniometer", 32.5, 40.0, None, None),
                               (b.id, "goniometer", None, 35.0, 28.0, 44.0)]


def test_columns_headed_as_hiprom_prints_the_measures_are_read(store: Store, analysis: dict) -> None:
    """'L IR' is how 'hiprom sessions list' heads the column, 'Left internal rotation' how the reports name
    it: a sheet headed either way was an "unknown column 'L IR'"."""
    a = store.save_analysis(analysis, subject="A")
    text = f"session,instrument,L IR,Left external rotation (°),R-IR,right ER\n{a.id},goniometer,31,41,29,45\n"
    made = import_reference_csv(store, text, "refs.csv")
    assert [(r.left_ir_deg, r.left_er_deg, r.right_ir_deg, r.right_er_deg) for r in made] == [(31.0, 41.0, 29.0, 45.0)]


def test_a_sheet_typed_on_a_spanish_keyboard_with_dashes_for_readings_not_taken_is_read(
        store: Store, analysis: dict) -> None:
    """"35º" (the ordinal beside the 1 of Spanish, Portuguese and Italian keyboards) in the cells and the
    header, and "-", "N/A" or Excel's "#N/A" where a side was not measured: the header was an "unknown
    column 'Left IR (º)'" and each such cell "'-' is not a number of degrees"."""
    a = store.save_analysis(analysis, subject="A")
    b = store.save_analysis(analysis, subject="B")
    text = (f"Session;Instrument;Left IR (º);Left ER (º);Right IR ˚;Right ER\r\n"
            f"{a.id};Goniometer;32,5º;40º;-;N/A\r\n{b.id};Goniometer;—;#N/A;28˚;na\r\n")
    made = import_reference_csv(store, text, "refs.csv")
    assert [(r.left_ir_deg, r.left_er_deg, r.right_ir_deg, r.right_er_deg) for r in made] == [
        (32.5, 40.0, None, None), (None, None, 28.0, None)]
    with pytest.raises(InputError, match="row 2: left_ir_deg: 'x' is not a number of degrees; write it like 32 or "
                                         "32.5, or - if not measured"):
        import_reference_csv(store, f"session,instrument,left_ir\n{a.id},goniometer,x\n", "refs.csv")


def test_a_reading_given_twice_is_refused_so_no_pair_counts_twice(store: Store, analysis: dict) -> None:
    a = store.save_analysis(analysis, subject="A")
    text = f"session,instrument,rater,left_ir\n{a.id},goniometer,A,32\n{a.id},goniometer,B,32\n"
    first = import_reference_csv(store, text, "refs.csv")  # two raters of one session: two readings
    with pytest.raises(InputError, match=f"row 2: session {a.id} has this reading already \\(#{first[0].id}\\)"):
        import_reference_csv(store, text, "refs.csv")  # the same file again
    with pytest.raises(InputError, match="row 3: the same reading as row 2; keep one of them"):
        import_reference_csv(store, f"session,instrument,left_ir\n{a.id},goniometer,30\n#{a.id},Goniometer,30.0\n",
                             "refs.csv")
    again = f"session,instrument,rater,left_ir,notes\n{a.id},goniometer,A,32,second measurement\n"
    assert len(import_reference_csv(store, again, "refs.csv")) == 1  # a repeat said to be one is kept
    assert store.counts()["reference_readings"] == 3


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("session,instrument,left_ir\n{a},goniometer,32\n{a},ruler,30\n77,goniometer,30\n{a},goniometer,abc\n",
         ["row 3: instrument: 'ruler'", "row 4: no session 77", "row 5: left_ir_deg: 'abc'"]),
        ("session,instrument,left_ir\n{a},goniometer\nx,goniometer,3\n",
         ["row 2: 2 cells, expecting 3", "row 3: session 'x' is not a session number"]),
        ("session,instrument,left_ir,left_er\n{a},goniometer,32,5,40\n{a};goniometer;32;40\n",
         ["row 2: 5 cells, expecting 4 as in the header; a decimal comma splits a number in two in a "
          "comma-separated file: write 45.5, or save the file with semicolons",
          "row 3: 1 cell, expecting 4 as in the header"]),  # too few cells: no decimal comma to blame
        ("session,left_ir\n{a},30\n", ["missing column(s) instrument"]),
        ("session,instrument,left_ir,colour\n{a},goniometer,30,red\n", ["unknown column 'colour'"]),
        ("", ["the file is empty"]),
        ("session,instrument,left_ir\n", ["no readings below the header"]),
    ],
)
def test_a_bad_csv_names_each_bad_row_and_stores_nothing(store: Store, analysis: dict, text: str,
                                                          lines: list[str]) -> None:
    a = store.save_analysis(analysis, subject="A")
    with pytest.raises(InputError) as caught:
        import_reference_csv(store, text.format(a=a.id), "refs.csv")
    message = str(caught.value)
    assert message.startswith("refs.csv: ")
    for line in lines:
        assert line in message
    assert message.count("decimal comma") == sum("decimal comma" in line for line in lines)
    assert store.counts()["reference_readings"] == 0


def test_version_2_store_gets_reference_readings_and_keeps_its_sessions(tmp_path: Path, fixture_analysis: dict) -> None:
    """A store as hiprom with schema 2 left it: upgraded in place, old sessions readable, readings storable."""
    path = tmp_path / "v2.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_V1.read_text())
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        MIGRATIONS[2](conn)
        conn.exec_driver_sql("INSERT INTO schema_version VALUES (2, '2026-06-01 00:00:00', '0.1.0')")
    engine.dispose()
    fixture_analysis.pop("series")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO sessions (id, recorded_utc, saved_utc, mirrored, analysis_schema, settings_json,"
            " norms_json, measurable, asymmetry_flagged, analysis_json, left_ir_deg)"
            " VALUES (7, '2026-05-02 03:04:05', '2026-05-02 03:04:05', 0, 'hiprom.analysis/1',"
            " '{}', '{}', 1, 0, ?, 33.3)", (json.dumps(fixture_analysis),))
        assert "reference_readings" not in {n for (n,) in conn.execute("SELECT name FROM sqlite_master")}

    with Store(path) as store:
        assert store.migrated_from == 2
        assert store.session(7, with_analysis=False).left_ir_deg == 33.3
        made = store.add_reference(7, ReferenceInput("goniometer", left_ir_deg=31))
        assert store.references(7) == [made]
    with sqlite3.connect(path) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
        indexes = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    assert "ix_reference_readings_session_id" in indexes
    Store(tmp_path / "fresh.db").close()
    assert _columns(path, "reference_readings") == _columns(tmp_path / "fresh.db", "reference_readings")


def _columns(path: Path, table: str) -> list[tuple]:
    """(name, type, not null, primary key) of each column: an upgraded table must equal a fresh one."""
    with sqlite3.connect(path) as conn:
        return [(name, kind, notnull, pk) for _, name, kind, notnull, _, pk in conn.execute(f"PRAGMA table_info({table})")]
