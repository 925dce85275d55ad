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
        ({"instrument": "goniometer", "right_er_deg": float("nan")}, "right_er_deg: expecting degrees, but got nan"),
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
    # "Measured by" typed "x" one day and "X" the next is one clinician, as a pseudonym in other capitals is one person
    store.add_reference(a.id, ReferenceInput("goniometer", rater="x", left_ir_deg=33))
    assert angles(instrument="goniometer", rater="X") == angles(rater=" x ") == [30, 33, 32]
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
         ["row 3: instrument: 'ruler'", "row 4: no session 77 is stored; check the session number",
          "row 5: left_ir_deg: 'abc'"]),
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


def test_a_row_naming_no_stored_record_says_what_to_check_not_where_the_store_is(
        store: Store, db_url: str, analysis: dict, hiprom, tmp_path: Path) -> None:
    """A goniometer sheet with a mistyped session number or pseudonym. Before, its rows read 'row 2: no
    session 99 in /home/me/.local/share/hiprom/hiprom.db' and "row 3: no subject 'P-0099' in
    postgresql://hiprom@db.clinic/hiprom; see 'hiprom subjects list'": the server's file or database,
    also to an API caller, and a command to type. Now each row says what to check, at the terminal and
    in the API alike."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from hiprom.server.routes import records, references

    store.save_analysis(analysis, subject="P-0042")
    sheet = "session,subject,date,instrument,left_ir\n99,,,goniometer,30\n,P-0099,2026-02-20,goniometer,31\n"
    rows = ["row 2: no session 99 is stored; check the session number",
            "row 3: no subject 'P-0099' is stored; check the pseudonym, or leave the row out if hiprom did not "
            "test them"]
    (tmp_path / "readings.csv").write_text(sheet, encoding="utf-8")
    code, _, err = hiprom("sessions", "reference", "--import", str(tmp_path / "readings.csv"), "--db", db_url)
    app = FastAPI()
    app.include_router(records.router)
    app.include_router(references.router)
    app.state.store = store
    r = TestClient(app).post("/api/references/import", content=sheet, headers={"content-type": "text/csv"})
    assert code == 2 and r.status_code == 422, (err, r.text)
    for said in (err, r.json()["detail"]):
        assert [line.strip() for line in said.splitlines()[1:]] == rows, said
        assert store.where not in said and "hiprom subjects" not in said and "/api/" not in said
    assert store.counts()["reference_readings"] == 0


def _goniometer_clinic(store: Store, analysis: dict) -> dict[str, int]:
    """P-0042 once on 20 February, P-0043 twice (10:00 and 10:40), P-0044 on 5 March, Sydney's clock."""
    visits = {"P-0042": "2026-02-19T22:30:00Z", "P-0043": "2026-02-19T23:00:00Z", "P-0043b": "2026-02-19T23:40:00Z",
              "P-0044": "2026-03-04T23:00:00Z"}
    return {name: store.save_analysis(analysis, subject=name[:6], recorded_utc=when).id
            for name, when in visits.items()}


def test_a_goniometer_sheet_keyed_by_subject_and_date_finds_its_sessions(store: Store, analysis: dict,
                                                                         sydney_clock: None) -> None:
    """A clinic's sheet names the person and the day (and perhaps the time) of the visit, not hiprom's session
    number: it was refused, "missing column(s) session". The day is the clinic's (20 February in Sydney is
    19 February in UTC), the subject is found as the store finds it (other capitals alike), a time picks the
    nearer of a day's two sessions, and a session number where given decides."""
    ids = _goniometer_clinic(store, analysis)
    text = ("Subject;Date;Time;Session;Instrument;Left IR;Right IR\r\n"
            "P-0042;20/02/2026;;;Goniometer;32;30\r\n"
            "p-0043;20/02/2026;10:05;;Goniometer;31;29\r\n"
            "P-0043;20/02/2026;10:35 AM;;Goniometer;33;28\r\n"
            f"P-0043;;;{ids['P-0043']};Goniometer;30;27\r\n"
            "P-0044;05/03/2026 10:10;;;Goniometer;40;41\r\n")
    made = import_reference_csv(store, text, "readings.csv")
    assert [(r.session_id, r.subject, r.left_ir_deg) for r in made] == [
        (ids["P-0042"], "P-0042", 32.0), (ids["P-0043"], "P-0043", 31.0), (ids["P-0043b"], "P-0043", 33.0),
        (ids["P-0043"], "P-0043", 30.0), (ids["P-0044"], "P-0044", 40.0)]


@pytest.mark.parametrize(("subject", "day"), [("Patient", "Visit date"), ("Pseudonym", "Date of visit")])
def test_a_sheet_s_own_names_for_the_subject_and_the_visit_date_are_read(store: Store, analysis: dict,
                                                                        sydney_clock: None, subject: str,
                                                                        day: str) -> None:
    """'Patient' or 'Pseudonym', and 'Visit date' or 'Date of visit', head a clinic's sheet as often as
    'subject' and 'date': they were refused ("no session column, nor subject and date columns")."""
    ids = _goniometer_clinic(store, analysis)
    made = import_reference_csv(store, f"{subject},{day},Instrument,Left IR\nP-0042,20/02/2026,Goniometer,32\n",
                                "readings.csv")
    assert [(r.session_id, r.subject, r.left_ir_deg) for r in made] == [(ids["P-0042"], "P-0042", 32.0)]


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        ("P-0042,21/02/2026,", "row 2: P-0042 has no session on 2026-02-21 (sessions on 2026-02-20); check the date, "
                               "or leave the row out if hiprom did not test them that day"),
        ("P-0043,20/02/2026,", "row 2: P-0043 has 2 sessions on 2026-02-20 (#2 at 10:00, #3 at 10:40); give the time "
                               "of the reading in a time column, or the session number in a session column"),
        ("P-0043,20/02/2026,10:20", "row 2: P-0043 has 2 sessions as near to 10:20 on 2026-02-20 (#2 at 10:00, #3 at "
                                    "10:40); give the session number in a session column"),
        ("P-0043,20/02/2026,14:00", "row 2: P-0043 has no session within 30 minutes of 14:00 on 2026-02-20 (#2 at "
                                    "10:00, #3 at 10:40); check the time"),
        ("P-0099,20/02/2026,", "row 2: no subject 'P-0099' is stored; check the pseudonym, or leave the row out if "
                               "hiprom did not test them"),
        ("P-0042,,", "row 2: no session number, nor a subject and a date to find the session by"),
        ("P-0042,20/02/26,", "row 2: date: '20/02/26' has a 2-digit year; write the year in full (2026)"),
        ("P-0042,2026-02-20,25:00", "row 2: time: '25:00' is not a time of day"),
    ],
)
def test_a_sheet_row_that_finds_no_one_session_is_named_and_nothing_is_stored(
        store: Store, analysis: dict, sydney_clock: None, rows: str, said: str) -> None:
    _goniometer_clinic(store, analysis)
    with pytest.raises(InputError) as caught:
        import_reference_csv(store, f"subject,date,time,instrument,left_ir\n{rows},goniometer,30\n"
                                    "P-0044,2026-03-05,,goniometer,40\n", "readings.csv")
    assert said in str(caught.value)
    assert str(caught.value).startswith("readings.csv: 1 bad row(s), nothing stored")
    assert store.counts()["reference_readings"] == 0


def test_a_session_number_beside_a_subject_and_date_is_checked_against_them(store: Store, analysis: dict,
                                                                            sydney_clock: None) -> None:
    """A mistyped session number would pair another person's figures with this reading, unseen."""
    ids = _goniometer_clinic(store, analysis)
    text = (f"session,subject,date,instrument,left_ir\n{ids['P-0042']},P-0043,,goniometer,30\n"
            f"{ids['P-0043']},P-0043,21/02/2026,goniometer,30\n")
    with pytest.raises(InputError) as caught:
        import_reference_csv(store, text, "readings.csv")
    assert str(caught.value).splitlines()[1:] == [
        f"  row 2: session {ids['P-0042']} is P-0042's, not P-0043's; check the session number",
        f"  row 3: session {ids['P-0043']} was on 2026-02-20, not 2026-02-21; check the session number and the date"]


def test_dates_whose_order_the_file_does_not_settle_are_refused_in_one_line(store: Store, analysis: dict,
                                                                           sydney_clock: None) -> None:
    """05/03/2026 is 5 March in Sydney and 3 May in Chicago: without a day past 12 in the file, or
    --day-first/--month-first, no guess is made; a file that mixes the two orders is refused too."""
    ids = _goniometer_clinic(store, analysis)
    text = "subject,date,instrument,left_ir\nP-0044,05/03/2026,goniometer,40\n"
    with pytest.raises(InputError, match=r"^readings.csv: date: 05/03/2026 may be 5 March or 3 May, and no date of "
                                         r"the file has a day past 12 to tell; say which comes first: --day-first "
                                         r"or --month-first \(2026-02-20 needs neither\)$"):
        import_reference_csv(store, text, "readings.csv")
    with pytest.raises(InputError, match="row 2: P-0044 has no session on 2026-05-03"):
        import_reference_csv(store, text, "readings.csv", day_first=False)
    with pytest.raises(InputError, match=r"^readings.csv: the dates put the day first \(20/02/2026\) and the month "
                                         r"first \(02/20/2026\) in one file"):
        import_reference_csv(store, text + "P-0042,20/02/2026,goniometer,30\nP-0042,02/20/2026,goniometer,31\n",
                             "readings.csv")
    made = import_reference_csv(store, text + "P-0042,20/02/2026,goniometer,30\n", "readings.csv")  # settled
    assert [r.session_id for r in made] == [ids["P-0044"], ids["P-0042"]]
    assert store.counts()["reference_readings"] == 2


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
