"""CSV and JSON exports: the same figures as the report, in shapes spreadsheets read."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from hiprom.errors import InputError
from hiprom.report import EXPORT_SCHEMA, ReportData, csv_text, export_json, write_csv
from hiprom.report.exports import csv_paths
from hiprom.report.figures import rnd
from hiprom.store import Store

REPO = Path(__file__).resolve().parents[2]


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def stored(store: Store, analysis: dict) -> ReportData:
    store.add_subject("P-9", name="Ann O'Neil", date_of_birth="1980-01-01")
    store.save_analysis(analysis, subject="P-9", operator="op", recorded_utc="2026-01-01T10:00:00Z")
    record = store.save_analysis(analysis, subject="P-9", operator="op", recorded_utc="2026-02-01T10:00:00Z")
    return ReportData.from_store(store, record.id)


def test_json_export_holds_the_record_the_rounded_figures_and_the_analysis(stored: ReportData,
                                                                          analysis: dict) -> None:
    out = json.loads(json.dumps(export_json([stored])))
    assert out["schema"] == EXPORT_SCHEMA
    assert out["subject"]["name"] == "Ann O'Neil" and out["session"]["operator"] == "op"
    assert "analysis" not in out["session"]
    assert out["analysis"]["series"]["t_s"] == analysis["series"]["t_s"]
    assert [h["recorded_utc"][:10] for h in out["history"]] == ["2026-01-01"]
    for side in ("left", "right"):
        for key in ("internal_rotation_deg", "external_rotation_deg", "total_arc_deg", "total_arc_pct_norm"):
            assert out["summary"]["sides"][side][key] == round(analysis["sides"][side][key], 1)
    assert out["summary"]["asymmetry"]["flagged"] == analysis["asymmetry"]["flagged"]


def test_the_json_summary_is_documented_and_empty_is_null(stored: ReportData) -> None:
    """A researcher's json.load of the export found summary fields docs/reports.md did not name (measurable,
    bands_words, overall, undecided, camera, camera_position, camera_advice, notes, not_measurable_advice), and
    "not_measurable_advice": "" beside "not_measurable_reason": null for the same nothing."""
    summary = json.loads(json.dumps(export_json([stored])))["summary"]
    docs = (REPO / "docs" / "reports.md").read_text(encoding="utf-8")
    assert [key for key in summary if f'"{key}"' not in docs] == []
    assert summary["measurable"] is True and summary["not_measurable_advice"] is None
    assert summary["not_measurable_reason"] is None


def test_several_sessions_make_a_json_list(stored: ReportData) -> None:
    out = export_json([stored, stored])
    assert isinstance(out, list) and len(out) == 2


def test_csv_summary_is_one_row_per_session_with_the_report_figures(stored: ReportData, analysis: dict) -> None:
    rows = _rows(csv_text([stored, stored], "summary"))
    assert len(rows) == 2
    row = rows[0]
    assert row["session_id"] == str(stored.session.id) and row["subject"] == "P-9" and row["age_years"] == "46"
    assert "name" not in row and "date_of_birth" not in row  # CSV carries the pseudonym only
    for side in ("left", "right"):
        for key in ("internal_rotation_deg", "external_rotation_unc_deg", "total_arc_pct_norm"):
            assert row[f"{side}_{key}"] == str(rnd(analysis["sides"][side][key]))
    assert row["asymmetry_total_arc_deg"] == str(rnd(analysis["asymmetry"]["total_arc_deg"]))  # "-9.2": a number
    assert row["asymmetry_flagged"] == str(analysis["asymmetry"]["flagged"]).lower()


def test_csv_trials_and_series(stored: ReportData, analysis: dict) -> None:
    trials = _rows(csv_text([stored], "trials"))
    assert len(trials) == len(analysis["trials"])
    assert [t["side"] for t in trials] == [t["side"] for t in analysis["trials"]]
    assert [t["valid"] for t in trials] == [str(t["valid"]).lower() for t in analysis["trials"]]
    series = _rows(csv_text([stored], "series"))
    assert len(series) == len(analysis["series"]["t_s"])
    first = next(i for i, v in enumerate(analysis["series"]["left_deg"]) if v is not None)
    assert float(series[first]["left_deg"]) == analysis["series"]["left_deg"][first]
    assert list(series[0])[:5] == ["session_id", "subject", "frame", "t_s", "left_deg"]


def test_unknown_table_is_an_input_error(stored: ReportData) -> None:
    with pytest.raises(InputError, match="expecting one of"):
        csv_text([stored], "landmarks")


def test_write_csv_writes_four_files_beside_the_prefix(stored: ReportData, tmp_path: Path) -> None:
    paths = write_csv([stored], tmp_path / "out" / "visit.csv")
    assert sorted(p.name for p in paths.values()) == ["visit.exercises.csv", "visit.series.csv", "visit.summary.csv",
                                                      "visit.trials.csv"]
    assert all(p.read_text(encoding="utf-8-sig").startswith("session_id,subject,") for p in paths.values())
    assert csv_paths("a/b")["trials"] == Path("a/b.trials.csv")


def test_the_exercises_done_are_a_table_of_their_own(store: Store, analysis: dict, tmp_path: Path) -> None:
    """A clinic following whether its programs are done had the exercises counted only in the PDF (summed) and
    the JSON export: the CSV tables had none. Each one counted is now a row of PREFIX.exercises.csv, named as
    the PDF names it, on the day it was done."""
    visit = store.save_analysis(analysis, subject="P-12", recorded_utc="2026-03-02T09:00:00Z")
    done = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
            "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 2}, "reps_done": 17,
            "reps_target": 20, "reps_refused": 3, "holds_s": [3.1, 2.9], "reps": []}
    store.add_exercise_result(visit.id, done, recorded_utc="2026-03-02T09:30:00Z")
    store.add_exercise_result(visit.id, {**done, "exercise": "knee_to_knee", "side": "both", "reps_done": 3,
                                         "reps_target": 3, "reps_refused": 0, "holds_s": [], "timed": True,
                                         "dose": {"hold_s": 25, "reps": 3, "sets": 1}},
                              recorded_utc="2026-03-04T18:00:00Z")
    path = write_csv([ReportData.from_store(store, visit.id)], tmp_path / "visit")["exercises"]
    rows = _rows(path.read_text(encoding="utf-8-sig"))
    assert [{k: row[k] for k in ("session_id", "subject", "name", "side", "local_date", "reps_done", "reps_target",
                                 "reps_refused", "timed", "hold_s", "sets", "holds_s")} for row in rows] == [
        {"session_id": str(visit.id), "subject": "P-12", "name": "Chair rotation, foot outward", "side": "left",
         "local_date": "2026-03-02", "reps_done": "17", "reps_target": "20", "reps_refused": "3", "timed": "false",
         "hold_s": "3", "sets": "2", "holds_s": "3.1;2.9"},
        {"session_id": str(visit.id), "subject": "P-12", "name": "Knees together stretch", "side": "both",
         "local_date": "2026-03-04", "reps_done": "3", "reps_target": "3", "reps_refused": "0", "timed": "true",
         "hold_s": "25", "sets": "1", "holds_s": ""}]
    docs = (REPO / "docs" / "reports.md").read_text(encoding="utf-8")
    assert [column for column in rows[0] if f"`{column}`" not in docs] == []


def test_csv_files_open_in_excel_with_their_accents_and_degree_signs(store: Store, fixture_analysis: dict,
                                                                     tmp_path: Path) -> None:
    # Excel reads a CSV without a byte-order mark in the PC's own code page: "Núñez" became "NÃºÃ±ez"
    # and "10°" became "10Â°". With the mark it reads UTF-8.
    record = store.save_analysis(fixture_analysis, subject="P-Ü", operator="Dr. Ana-María Núñez")
    summary = write_csv([ReportData.from_store(store, record.id)], tmp_path / "visit")["summary"]
    raw = summary.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfsession_id,")
    row = _rows(raw.decode("utf-8-sig"))[0]
    assert row["operator"] == "Dr. Ana-María Núñez" and row["subject"] == "P-Ü"


@pytest.mark.parametrize("pseudonym", ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "-2", "'=1"])  # one ' less: the text
def test_spreadsheet_formulas_in_user_text_are_defused(store: Store, fixture_analysis: dict,
                                                        pseudonym: str) -> None:
    record = store.save_analysis(fixture_analysis, subject=pseudonym)
    row = _rows(csv_text([ReportData.from_store(store, record.id)], "summary"))[0]
    assert row["subject"] == "'" + pseudonym
    assert row["asymmetry_internal_rotation_deg"] == "-6.1"  # numbers are not touched


def test_analysis_file_without_store(tmp_path: Path, fixture_analysis: dict) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(fixture_analysis))
    data = ReportData.from_file(path)
    out = export_json([data])
    assert out["subject"] is None and out["session"] is None and out["history"] == []
    row = _rows(csv_text([data], "summary"))[0]
    assert row["session_id"] == "" and row["recorded_utc"] == fixture_analysis["created_utc"]


@pytest.mark.parametrize(
    ("content", "match"),
    [("{not json", "not a readable JSON file"), ('{"schema": "other"}', "expecting 'hiprom.analysis/1'"),
     ("[1, 2]", "expecting a JSON object"),
     ('{"schema": "hiprom.analysis/1", "frames": NaN}', "holds NaN, which JSON has no place for")],
)
def test_bad_analysis_files_are_input_errors(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError, match=match):
        ReportData.from_file(path)
    with pytest.raises(InputError, match="no such file"):
        ReportData.from_file(tmp_path / "missing.json")


def test_a_recording_given_for_a_report_says_what_to_give(tmp_path: Path) -> None:
    """`hiprom report demo.landmarks.npz` said only "not a readable JSON file ('utf-8' codec can't decode …)":
    it says what a report is made from."""
    recording = tmp_path / "demo.landmarks.npz"
    shutil.copy(REPO / "samples" / "demo_seated_test.landmarks.npz", recording)
    with pytest.raises(InputError, match=r"not a readable JSON file .*; give a session number or an analysis JSON"):
        ReportData.from_file(recording)


def test_an_export_of_a_subjects_visits_reads_the_clinics_mdc_once(store: Store, fixture_analysis: dict) -> None:
    """Each exported session of a subject with visits before asked for the clinic's MDC, which pairs
    every stored session: 60 visits of one patient in a store of 20 000 sessions took 170 s to export
    (7 s now). The MDC query (the re-tests' figures: ``Store.retest_figures``) now runs once per export."""
    from sqlalchemy import event

    ids = [store.save_analysis(fixture_analysis, subject="P-1", recorded_utc=f"2026-0{m}-01T09:00:00Z").id
           for m in (1, 2, 3, 4)]
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2].lower()))
    items = ReportData.from_store_many(store, ids)
    assert [len(item.history) for item in items] == [1, 2, 3, 4]
    assert len([s for s in statements if s.lstrip().startswith("with paired as")]) == 1
    assert ReportData.from_store(store, ids[-1]).since_first == items[-1].since_first


def test_the_json_history_marks_a_recording_analysed_again(store: Store, analysis: dict, filmed_again) -> None:
    """The export's ``history`` listed the same recording analysed again as an earlier session of its own,
    with nothing to tell it from a visit, where the PDF's history row says "the recording of #1 analysed
    again" and its chart draws it once. Each session of the export now says which it analyses again."""
    first = store.save_analysis(analysis, subject="R-1", recorded_utc="2026-03-02T09:00:00Z")
    again = store.save_analysis(analysis, subject="R-1", recorded_utc="2026-03-09T09:00:00Z")
    later = store.save_analysis(filmed_again(analysis), subject="R-1", recorded_utc="2026-04-02T09:00:00Z")

    out = export_json([ReportData.from_store(store, later.id)])
    marks = {h["id"]: (h["same_recording_as"], h["analysed_again"]) for h in out["history"]}
    assert marks == {first.id: (None, None),
                     again.id: (first.id, f"the recording of #{first.id} analysed again")}
    assert out["session"]["same_recording_as"] is None

    out = export_json([ReportData.from_store(store, again.id)])  # the re-analysis's own export
    assert out["session"]["same_recording_as"] == first.id
    assert [(h["id"], h["same_recording_as"]) for h in out["history"]] == [(first.id, None)]
