"""``hiprom exercises``, ``reps``, ``program``, ``retest`` and ``trend`` run as a user would (subprocesses)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "demo_seated_test.landmarks.npz"


def hiprom(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "HIPROM_DATA_DIR": str(home / "data"), "COLUMNS": "250"}
    for name in ("HIPROM_DB_URL", "HIPROM_EXERCISES"):
        env.pop(name, None)
    proc = subprocess.run([sys.executable, "-m", "hiprom.cli.main", *args], cwd=home, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def filmed_again(folder: Path) -> Path:
    """The demo's person filmed again: another recording (its own fingerprint), the same movements.

    The demo analysed twice is one recording, one measurement, and no re-test of itself.
    """
    import dataclasses

    from hiprom.landmarks import Landmark
    from hiprom.recording import LandmarkRecording

    rec = LandmarkRecording.load(SAMPLE)
    image = rec.image.copy()
    image[0, Landmark.NOSE, 0] += 0.001
    return dataclasses.replace(rec, image=image).save(folder / "again.landmarks.npz")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the demo's person tested twice the same day (test and re-test) for subject P-1."""
    home = tmp_path_factory.mktemp("exercises")
    hiprom(home, "analyze", str(SAMPLE), "--save", "--subject", "P-1", "-q")
    hiprom(home, "analyze", str(filmed_again(home)), "--save", "--subject", "P-1", "-q")
    return home


def test_exercises_lists_the_catalogue(tmp_path: Path) -> None:
    listing = json.loads(hiprom(tmp_path, "exercises", "--json").stdout)
    assert "chair_rotation_internal" in [ex["id"] for ex in listing["exercises"]] and listing["safety"]
    table = hiprom(tmp_path, "exercises").stdout
    assert "Chair rotation, foot outward" in table and "counts reps" in table and "Safety:" in table
    bad = tmp_path / "bad.toml"
    bad.write_text('remove = ["nope"]\n')
    proc = hiprom(tmp_path, "exercises", "--exercises", str(bad), check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "remove lists an exercise" in proc.stderr


def test_program_is_shown_edited_printed_and_reset(home: Path) -> None:
    shown = json.loads(hiprom(home, "program", "show", "1", "--json").stdout)
    assert shown["edited"] is False and shown["items"]
    first = shown["items"][0]["exercise"]
    edited = json.loads(hiprom(home, "program", "edit", "1", "--remove", "knee_fall_out",
                               "--add", "crossed_leg_stretch:left", "--dose", f"{first}:hold=5,reps=6",
                               "--notes", "Mornings.", "--json").stdout)
    assert "knee_fall_out" not in [it["exercise"] for it in edited["items"]]
    assert ("crossed_leg_stretch", "left") in [(it["exercise"], it["side"]) for it in edited["items"]]
    assert edited["items"][0]["dose"]["hold_s"] == 5 and edited["notes"] == "Mornings."
    assert "kept by the clinician" in hiprom(home, "program", "show", "1").stdout

    bad = hiprom(home, "program", "edit", "1", "--dose", f"{first}:hold=lots", check=False)
    assert bad.returncode == 2 and "expecting EXERCISE:hold=S" in bad.stderr and "Traceback" not in bad.stderr
    bad = hiprom(home, "program", "edit", "1", "--dose", f"{first}:reps=0", check=False)
    assert bad.returncode == 2 and "dose reps must be a whole number from 1 to 100" in bad.stderr

    hiprom(home, "program", "pdf", "1", "-o", "program.pdf")
    assert (home / "program.pdf").read_bytes().startswith(b"%PDF")
    assert "reset" in hiprom(home, "program", "reset", "1").stdout
    assert json.loads(hiprom(home, "program", "show", "1", "--json").stdout)["edited"] is False


def test_reps_counts_and_saves(home: Path, tmp_path: Path) -> None:
    from hiprom.synthetic import Rep, exercise_protocol, seated_recording

    _, rot, comp = exercise_protocol([Rep(30.0, 3.0), Rep(30.0, 1.0), Rep(28.0, 3.0)], "left", "internal")
    seated_recording(rot, image_noise_px=0.6, seed=1, **comp).save(tmp_path / "ex.landmarks.npz")
    out = json.loads(hiprom(home, "reps", str(tmp_path / "ex.landmarks.npz"), "--side", "left", "--hold", "3",
                            "--save", "2", "--json").stdout)
    assert out["reps_done"] == 2 and out["reps"][1]["reasons"] == ["released_early"] and out["session_id"] == 2
    text = hiprom(home, "reps", str(tmp_path / "ex.landmarks.npz"), "--side", "left").stdout
    assert "left leg: 2 of 20 reps" in text and "no: let go too soon" in text  # the title is not wrapped
    wrong = hiprom(home, "reps", str(tmp_path / "ex.landmarks.npz"), "--side", "left", "--exercise", "knee_to_knee",
                   check=False)
    assert wrong.returncode == 2 and "the camera cannot follow this exercise" in wrong.stderr
    # Filmed with no rest (no still lead-in, 0.3 s back between reps): rest is not told from a hold,
    # and the most common pose (a hold) used to be taken as rest, every figure read wrong. One line says so.
    _, rot, comp = exercise_protocol([Rep(30.0, 3.0)] * 3, "left", "internal", lead_s=0.0, rest_s=0.3)
    end = int(np.flatnonzero(np.abs(rot).max(axis=1) > 20.0)[-1])  # ends at the last hold
    seated_recording(rot[:end], image_noise_px=0.6, seed=1, **{k: np.asarray(v)[:end] for k, v in comp.items()}
                     ).save(tmp_path / "no-rest.landmarks.npz")
    none = hiprom(home, "reps", str(tmp_path / "no-rest.landmarks.npz"), "--side", "left", check=False)
    assert none.returncode == 2 and none.stdout == "", none
    assert none.stderr.count("\n") == 1 and "no rest of the left leg" in none.stderr
    assert "sitting still with that shin hanging straight down before the first turn" in none.stderr


def test_retest_and_trend(home: Path) -> None:
    table = json.loads(hiprom(home, "retest", "2", "--json").stdout)
    assert table["before"] == 1 and {r["verdict"] for r in table["rows"]} == {"no detectable change"}
    text = hiprom(home, "retest", "2").stdout
    assert "No change larger than the measurement error." in text
    assert "Re-test: session #2 against #1 (degrees)" in text  # bare figures: the unit is in the title, as in the PDF
    # Each row named as the PDF's re-test table and the range-of-motion table name it ("left total arc" was
    # the CLI's own), in the sides' order.
    from hiprom.assessment.wording import MEASURE_LABELS

    named = [line.split("│")[0].strip() for line in text.splitlines() if "│" in line]
    assert named == [f"{side} {label[0].lower()}{label[1:]}" for side in ("Left", "Right")
                     for label in MEASURE_LABELS.values()]
    assert named[2] == "Left total arc (IR + ER)"
    none = hiprom(home, "retest", "1", check=False)
    assert none.returncode == 2 and "give --before SESSION" in none.stderr
    visits = json.loads(hiprom(home, "trend", "P-1", "--json").stdout)["visits"]
    assert [v["session_id"] for v in visits] == [1, 2]
    assert "Visits of P-1 (degrees)" in hiprom(home, "trend", "P-1").stdout


def test_a_recording_analysed_again_is_no_retest_and_the_trend_says_whose_recording_it_is(tmp_path: Path) -> None:
    """The demo analysed at 10:00 and again at 10:10 was 'Re-test: session #2 against #1', 'No change larger
    than the measurement error', and a second visit in the trend: one recording is one measurement."""
    for when in ("2026-03-02 10:00", "2026-03-02 10:10"):
        hiprom(tmp_path, "analyze", str(SAMPLE), "--save", "--subject", "P-4", "--recorded", when, "-q")
    none = hiprom(tmp_path, "retest", "2", check=False)
    assert none.returncode == 2 and "session 2 has no earlier test the same day" in none.stderr
    named = hiprom(tmp_path, "retest", "2", "--before", "1", check=False)
    assert named.returncode == 2 and "sessions 1 and 2 are analyses of one recording" in named.stderr
    text = hiprom(tmp_path, "trend", "P-4").stdout
    assert "#2 analyses again the recording of #1: one measurement, not a visit of its own." in " ".join(text.split())


def test_trend_marks_what_changed_since_the_first_visit(tmp_path: Path) -> None:
    """A clinician following a patient sees which figure moved beyond the error, and the exercises by name."""
    hiprom(tmp_path, "analyze", str(SAMPLE), "--json", "first.json", "-q")
    later = json.loads((tmp_path / "first.json").read_text(encoding="utf-8"))
    left = later["sides"]["left"]
    first_er = left["external_rotation_deg"]
    left["external_rotation_deg"] = first_er + 15.0  # far beyond the 6 deg MDC and 1.96 x the tests' +-
    later["recording_sha256"] = "f" * 64  # a visit of its own: another recording
    (tmp_path / "later.json").write_text(json.dumps(later), encoding="utf-8")
    hiprom(tmp_path, "sessions", "add", "first.json", "--subject", "P-2")
    hiprom(tmp_path, "sessions", "add", "later.json", "--subject", "P-2")
    rows = [line for line in hiprom(tmp_path, "trend", "P-2").stdout.splitlines() if line.lstrip()[:1].isdigit()]
    assert f"{first_er:.1f} " in rows[0] and "↑" not in rows[0]
    assert f"{first_er + 15.0:.1f} ↑" in rows[1] and rows[1].count("↑") == 1 and "↓" not in rows[1]


def test_a_retest_of_a_test_that_measured_nothing_is_one_sentence(tmp_path: Path) -> None:
    # Six rows of "not measured before" under the table's heading; one sentence now, as the PDF and the page say.
    from hiprom.assessment.result import not_measurable

    failed = not_measurable("left leg never visible", np.arange(40) / 10.0, source="first.mp4")
    (tmp_path / "failed.json").write_text(json.dumps(failed), encoding="utf-8")
    hiprom(tmp_path, "sessions", "add", "failed.json", "--subject", "P-3")
    hiprom(tmp_path, "analyze", str(SAMPLE), "--save", "--subject", "P-3", "-q")
    text = hiprom(tmp_path, "retest", "2").stdout
    assert text.split() == "Re-test: session #2 against #1. Nothing to compare with: the earlier test measured nothing.".split()


def test_trend_shows_each_sides_total_arc_and_fits_a_100_column_terminal(tmp_path: Path, analysis: dict,
                                                                         filmed_again) -> None:
    """'hiprom trend' had each side's IR and ER but not the total arc nor its left − right, which the PDF's history
    shows beside them: a clinician following a patient in the terminal missed the figure. Now the same columns,
    left then right, rounded as the PDF; on 100 columns every row whole, the program and reps under the table."""
    from hiprom.assessment import load_catalogue, program_from_recommendations
    from hiprom.report.figures import fmt
    from hiprom.report.rows import HISTORY_DIFFERENCE, HISTORY_FIGURES
    from hiprom.store import Store
    from terminals import on_a_terminal

    program = program_from_recommendations(
        [{"exercise": "chair_rotation_internal", "side": "left", "direction": "internal", "reason": "left IR"},
         {"exercise": "chair_rotation_external", "side": "right", "direction": "external", "reason": "right ER"}],
        load_catalogue())
    counted = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
               "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 2}, "reps_done": 8,
               "reps_target": 20, "reps": [{"number": 1}]}
    better = filmed_again(analysis)
    for key in ("external_rotation_deg", "total_arc_deg"):  # far beyond the 6 deg MDC and 1.96 x the tests' +-
        better["sides"]["left"][key] += 15.0
        better["asymmetry"][key] += 15.0  # left minus right
    db = tmp_path / "clinic.db"
    with Store(db) as store:
        for visit, when in ((analysis, "2026-03-02T09:00:00Z"), (better, "2026-04-02T09:00:00Z")):
            session = store.save_analysis(visit, subject="P-0042", recorded_utc=when)
            store.set_program(session.id, program)
            store.add_exercise_result(session.id, counted)
    lines = on_a_terminal(tmp_path, "trend", "P-0042", "--db", str(db), columns=100)

    assert max(len(line) for line in lines) <= 100, lines
    rows = [[c.strip() for c in re.split(r"[┃│]", line)] for line in lines if "│" in line or "┃" in line]
    assert rows[0] == ["#", "Date", *HISTORY_FIGURES, HISTORY_DIFFERENCE], rows[0]
    for row, visit, marked in zip(rows[1:], (analysis, better), ((), ("L ER", "L arc"))):
        expected = [fmt(visit["sides"][side][f"{measure}_deg"]) + (" ↑" if heading in marked else "")
                    for heading, (side, measure) in HISTORY_FIGURES.items()]
        assert row[2:] == [*expected, fmt(visit["asymmetry"]["total_arc_deg"])], row
    assert len(rows) == 3  # each visit on one line
    said = " ".join(" ".join(lines).split())
    assert ("#2 program: 2 exercises; reps done: Chair rotation, foot outward, left leg: 8 of 20" in said), said


def test_trend_sums_a_programs_exercises_done_day_after_day(tmp_path: Path, analysis: dict) -> None:
    """Exercises done at home from the page are kept with the program's visit: a month of them made its line of
    'hiprom trend' one entry a time. Each exercise and leg is said once, with how often and on how many days."""
    from hiprom.store import Store

    done = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
            "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 1}, "reps_done": 10,
            "reps_target": 10, "reps": [{"number": 1}]}
    db = tmp_path / "home.db"
    with Store(db) as store:
        visit = store.save_analysis(analysis, subject="P-0042", recorded_utc="2026-03-02T09:00:00Z")
        for day, reps in (("03", 10), ("03", 9), ("04", 10), ("06", 8)):
            store.add_exercise_result(visit.id, {**done, "reps_done": reps}, recorded_utc=f"2026-03-{day}T12:00:00Z")
        store.add_exercise_result(visit.id, {**done, "side": "right"}, recorded_utc="2026-03-03T12:00:00Z")
        store.add_exercise_result(visit.id, {**done, "exercise": "knee_to_knee", "side": "both", "reps_done": 3,
                                             "reps_target": 3, "timed": True}, recorded_utc="2026-03-03T12:00:00Z")
    out = " ".join(hiprom(tmp_path, "trend", "P-0042", "--db", str(db)).stdout.split())
    assert ("reps done: Chair rotation, foot outward, left leg: 37 of 40 (4 times on 3 days); "
            "Chair rotation, foot outward, right leg: 10 of 10; Knees together stretch, both legs: 3 of 3 with the timer"
            ) in out, out


def test_trend_names_a_clinics_own_exercise_by_the_name_its_program_carries(tmp_path: Path, analysis: dict) -> None:
    """A clinic's own exercise done at home (its definition carried by the program, the clinic's catalogue file not
    on this computer): the trend said it by its id, "clinic_band_turn, left leg", where the page and the PDF say
    "Band turn, foot inward"."""
    from hiprom.assessment import check_program, load_catalogue
    from hiprom.store import Store
    from tests.clinic_exercises import CLINIC_EXERCISES

    catalogue_file = tmp_path / "clinic.toml"
    catalogue_file.write_text(CLINIC_EXERCISES, encoding="utf-8")
    program = check_program({"items": [{"exercise": "clinic_band_turn", "side": "left"}]},
                            load_catalogue(catalogue_file))
    db = tmp_path / "home.db"
    with Store(db) as store:
        visit = store.save_analysis(analysis, subject="P-0042", recorded_utc="2026-03-02T09:00:00Z")
        store.set_program(visit.id, program)
        store.add_exercise_result(visit.id, {"schema": "hiprom.exercise/1", "exercise": "clinic_band_turn",
                                             "side": "left", "direction": "external", "reps_done": 6,
                                             "reps_target": 6, "reps": []}, recorded_utc="2026-03-03T12:00:00Z")
    out = " ".join(hiprom(tmp_path, "trend", "P-0042", "--db", str(db)).stdout.split())
    assert "reps done: Band turn, foot inward, left leg: 6 of 6" in out, out


def test_trend_at_home_lists_every_test_and_a_clinic_is_asked_whose(tmp_path: Path, analysis: dict,
                                                                    filmed_again) -> None:
    """At home the tests are saved without a pseudonym: 'hiprom trend' needed a subject and had none to list. In one
    patient's store it now lists every test, as the page's Your tests; a clinic's records ask whose, in one line."""
    from hiprom.errors import InputError
    from hiprom.store import Store

    db = tmp_path / "home.db"
    with Store(db) as store:
        store.save_analysis(analysis, subject="P-0042", recorded_utc="2026-03-02T09:00:00Z")  # the clinic's test
        store.save_analysis(filmed_again(analysis), recorded_utc="2026-03-30T18:00:00Z")
    out = hiprom(tmp_path, "trend", "--db", str(db)).stdout
    assert "Your tests (degrees)" in out and "2026-03-02" in out and "2026-03-30" in out, out
    with Store(db) as store:
        store.save_analysis(filmed_again(analysis), subject="P-0043")
    refused = hiprom(tmp_path, "trend", "--db", str(db), check=False)
    assert refused.returncode == InputError.exit_code and refused.stdout == "", refused
    assert refused.stderr.strip().splitlines() == [
        "hiprom: error: give the person whose visits to list (hiprom trend P-0042): these records hold several "
        "people's tests ('hiprom subjects list' names them)"], refused.stderr
