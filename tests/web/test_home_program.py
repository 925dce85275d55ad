"""The home program travels with the patient, and their results travel back, with two stores and the real page.

A clinic keeps P-0042's program and hands it over as a file ('hiprom program export'); the patient's hiprom
takes it into their own store ('hiprom program import'); after a self-test the page lists the clinician's
exercises, doses and notes in the words of the program's printed page; the saved test is downloaded from the page
as the file for the clinic, and the clinic imports it into P-0042's records ('hiprom store import'), marked sent in.

Before, the home page only said "If your clinician gave you a home program, follow theirs" and listed its own
suggestions at the catalogue's doses, and the page had no button for the file a patient sends the clinic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings
from hiprom.store import Store
from tests.clinic_exercises import CLINIC_EXERCISES
from tests.report.pdftools import need_poppler, pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "demo_seated_test.landmarks.npz"


def hiprom(db: Path, *args: str) -> str:
    """``hiprom ARGS --db db`` as a user runs it; its output (exit code 0 checked)."""
    env = {k: v for k, v in os.environ.items() if k not in ("HIPROM_DB_URL", "HIPROM_EXERCISES")}
    proc = subprocess.run([sys.executable, "-m", "hiprom.cli.main", *args, "--db", str(db)], env={**env, "COLUMNS": "250"},
                          cwd=db.parent, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def clinic_and_home(tmp_path: Path) -> tuple[Path, Path]:
    """The clinic's store, with P-0042's first visit (the demo test), and the patient's empty one at home."""
    (tmp_path / "clinic").mkdir()
    (tmp_path / "home").mkdir()
    clinic, home = tmp_path / "clinic" / "clinic.db", tmp_path / "home" / "home.db"
    for db in (clinic, home):
        subprocess.run([sys.executable, "-m", "hiprom.cli.main", "store", "init", str(db)], check=True,
                       capture_output=True, timeout=120)
    hiprom(clinic, "analyze", str(SAMPLE), "--save", "--subject", "P-0042", "-q")
    return clinic, home


def test_the_clinicians_program_is_followed_at_home_and_the_test_sent_back(launch, tmp_path):
    need_poppler()
    clinic, home = clinic_and_home(tmp_path)
    hiprom(clinic, "program", "edit", "1", "--dose", "chair_rotation_external:hold=5,reps=8",
           "--remove", "seated_inner_thigh_stretch", "--notes", "Mornings and evenings.")
    handed = tmp_path / "clinic" / "p-0042-program.json"
    hiprom(clinic, "program", "export", "1", "-o", str(handed))
    hiprom(clinic, "program", "pdf", "1", "-o", str(tmp_path / "clinic" / "program.pdf"))
    sheet = " ".join(pdf_text(tmp_path / "clinic" / "program.pdf", layout=False).split())
    hiprom(home, "program", "import", str(handed))

    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(home))
    with serve_in_thread(settings) as url:
        page = launch().new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url + "/")
        page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
        body = page.locator("body")
        body.press("Space")  # the guided test
        page.wait_for_selector("#results:not([hidden])", timeout=90_000)
        # The program is read from the store (the handed-over session's report data): waited for generously.
        page.wait_for_selector("#advice:not([hidden]) #advice-list li", timeout=90_000)
        page.wait_for_function("() => document.getElementById('advice-retest').textContent.length > 0",
                               timeout=90_000)
        title = page.locator("#advice-title").inner_text()
        byline = page.locator("#advice-by").inner_text()
        advice = " ".join(page.locator("#advice").inner_text().split())
        items = [" ".join(t.split()) for t in page.locator("#advice-list li").all_inner_texts()]
        body.press("s")  # saved without a pseudonym, as a patient at home does
        page.wait_for_function("() => /Saved as session/.test(document.getElementById('save-status').textContent)",
                               timeout=30_000)
        assert page.locator("#btn-export").get_attribute("aria-disabled") == "false"
        with page.expect_download(timeout=120_000) as download:
            page.locator("#btn-export").click()
        sent = tmp_path / "clinic" / download.value.suggested_filename
        download.value.save_as(sent)
        # The camera counts the chair rotation against the clinician's dose, not the catalogue's.
        page.locator("#advice-list li[data-exercise='chair_rotation_external'][data-side='left'] button").click()
        page.wait_for_function("() => /of 8/.test(document.getElementById('exercise-count').textContent"
                               " + document.getElementById('exercise-set').textContent)", timeout=90_000)
        counted = _exercise_state(url)
        page.context.close()
    assert not errors, errors

    # The clinician's program, in the printed page's words, in place of the test's own suggestions.
    assert title == "Your home exercise program"
    assert byline.startswith("Exercises chosen from your hip rotation result, set by your clinician")
    assert "Mornings and evenings." in advice and "follow theirs: these suggestions" not in advice
    assert any(item.startswith("Chair rotation, foot inward — left leg") and "hold 5 s, 8 times, 2 sets" in item
               for item in items), items
    assert not any("Seated inner thigh stretch" in item for item in items), items
    # The same words as the sheet handed over (two columns there: its lines break within a dose).
    assert "Chair rotation, foot inward · left leg · hold 5" in sheet and "s, 8 times, 2 sets" in sheet, sheet
    assert "Knees to one side · right leg · hold 25 s, 3" in sheet, sheet
    assert any(item.startswith("Knees to one side — right leg") and "hold 25 s, 3 times, 1 set" in item
               for item in items), items
    assert page_retest_in(advice, sheet)

    assert counted["dose"] == {"hold_s": 5, "reps": 8, "sets": 2} and counted["hold_target_s"] == 5, counted

    # The file from the page is the clinic's export format; the clinic adds it to P-0042's records.
    assert json.loads(sent.read_text(encoding="utf-8"))["schema"] == "hiprom.export/1"
    out = hiprom(clinic, "store", "import", str(sent), "--subject", "P-0042")
    assert "Imported 0 subjects and 1 session of P-0042" in out, out
    trend = hiprom(clinic, "trend", "P-0042")
    assert "sent in" in trend and sent.name in trend, trend


def _home_page(launch, url: str, width: int, height: int) -> tuple:
    """The page of the server at ``url`` in a window of that size, once its live view moves; and the list its
    script errors are gathered in."""
    page = launch().new_context(viewport={"width": width, "height": height}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url + "/")
    page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
    return page, errors


def _visit_saved_for(page, subject: str) -> None:
    """A clinic's visit on ``page``: the guided test run, then saved for ``subject``."""
    page.locator("body").press("Space")
    page.wait_for_selector("#results:not([hidden])", timeout=90_000)
    page.locator("#subject").fill(subject)
    page.locator("#btn-save").click()
    page.wait_for_function("() => /Saved as session/.test(document.getElementById('save-status').textContent)",
                           timeout=30_000)


def _exercise_state(url: str) -> dict:
    """The server's counted exercise once it has started (``GET /api/exercise``), waited for up to 60 s."""
    deadline = time.monotonic() + 60
    while True:
        state = httpx.get(f"{url}/api/exercise", timeout=30).json()
        if state is not None or time.monotonic() > deadline:
            assert state is not None, "the counted exercise never started"
            return state
        time.sleep(0.2)


def page_retest_in(advice: str, sheet: str) -> bool:
    """The page's "Repeat the test ..." sentence is the sheet's."""
    start = advice.index("Repeat the test")
    sentence = advice[start:advice.index(".", start)]
    return sentence in sheet


def test_the_patient_takes_in_the_program_file_on_the_page(launch, tmp_path):
    # Before, the file the clinic handed over could only be taken in by typing 'hiprom program import' in a
    # terminal; now the person chooses it under their suggestions, and the clinician's exercises take their place,
    # the clinic's own among them (its name, dose and steps came with the program).
    clinic, home = clinic_and_home(tmp_path)
    hiprom(clinic, "analyze", str(SAMPLE), "--save", "--subject", "P-0042", "-q")
    own = tmp_path / "clinic" / "clinic-exercises.toml"  # the clinic's own exercise, which the home lacks
    own.write_text(CLINIC_EXERCISES, encoding="utf-8")
    hiprom(clinic, "program", "edit", "1", "--dose", "chair_rotation_external:hold=5,reps=8",
           "--notes", "Mornings and evenings.", "--add", "clinic_wall_turn:left", "--add", "clinic_band_turn:right",
           "--exercises", str(own))
    handed = tmp_path / "clinic" / "p-0042-program.json"
    hiprom(clinic, "program", "export", "1", "-o", str(handed))
    visit = tmp_path / "clinic" / "visit.json"
    hiprom(clinic, "sessions", "export", "2", "--format", "json", "-o", str(visit))

    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(home))
    with serve_in_thread(settings) as url:
        page, errors = _home_page(launch, url, 1280, 800)
        page.locator("body").press("Space")  # the guided test
        page.wait_for_selector("#advice:not([hidden]) #advice-list li", timeout=120_000)
        assert page.locator("#advice-title").inner_text() == "What you can do about it"
        assert page.locator("#take-program").is_visible()
        taken = page.locator("#program-taken")

        page.locator("#program-file").set_input_files(str(visit))  # a test sent back, not a program
        page.wait_for_function("() => document.getElementById('program-taken').textContent.startsWith('Not taken')",
                               timeout=30_000)
        refused = taken.inner_text()
        page.locator("#program-file").set_input_files(str(handed))
        page.wait_for_function("() => document.getElementById('program-taken').textContent.startsWith('Your clin')",
                               timeout=60_000)
        done = taken.inner_text()
        advice = " ".join(page.locator("#advice").inner_text().split())
        items = [" ".join(t.split()) for t in page.locator("#advice-list li").all_inner_texts()]
        asks = page.locator("#take-program").inner_text()
        page.locator("#advice-list li[data-exercise='clinic_wall_turn'] button").click()  # its timer
        page.wait_for_selector("#exercise:not([hidden])", timeout=30_000)
        timer = (page.locator("#exercise-title").inner_text(), page.locator("#exercise-say").inner_text())
        page.locator("#btn-exercise-done").click()
        page.locator("#btn-exercise-back").click()
        page.wait_for_selector("#exercise", state="hidden", timeout=30_000)
        band = page.locator("#advice-list li[data-exercise='clinic_band_turn'] button")
        offered = band.inner_text()
        band.click()  # the clinic's own exercise the camera follows, counted at the clinic's dose
        page.wait_for_function("() => /of 6/.test(document.getElementById('exercise-count').textContent)",
                               timeout=90_000)
        counted = _exercise_state(url)
        page.locator("#btn-exercise-done").click()
        page.locator("#btn-exercise-back").click()
        page.wait_for_selector("#exercise", state="hidden", timeout=30_000)
        page.locator("#program-file").set_input_files(str(handed))
        page.wait_for_function("() => /already/.test(document.getElementById('program-taken').textContent)",
                               timeout=30_000)
        again = taken.inner_text()
        page.context.close()
    assert not errors, errors

    assert refused.startswith("Not taken in: visit.json: holds no home program kept by a clinician"), refused
    assert done == "Your clinician's program is taken in: the exercises above are theirs, at their doses."
    assert "Mornings and evenings." in advice and "follow theirs: these suggestions" not in advice
    assert any(item.startswith("Chair rotation, foot inward — left leg") and "hold 5 s, 8 times, 2 sets" in item
               for item in items), items
    assert any(item.startswith("Wall turn — left leg") and "hold 2 s, 8 times, 1 set" in item for item in items), items
    assert timer == ("Wall turn — left leg", "Stand side-on to a wall. Turn the knee in and back."), timer
    assert offered.startswith("Do it with the camera"), offered  # before: "Timer", and the camera refused it
    assert (counted["exercise"], counted["side"], counted["dose"]["reps"]) == ("clinic_band_turn", "right", 6), counted
    assert asks.startswith("A newer program from your clinician, as a file?"), asks
    assert again == "This program file was taken in already; nothing changed."
    trend = hiprom(home, "trend", "P-0042")  # the clinic's visit, kept as sent in with the file's name
    assert "sent in" in trend and handed.name in trend, trend


def test_the_exercises_are_there_without_a_test_first(launch, tmp_path):
    # Before, the page listed exercises only under a finished test's results: a patient with a program had to do
    # the whole guided test to reach their exercises each day, and one without a test could not take the file in.
    # Exercises (X) now shows the program from the start (or how to get one), and the camera counts from there;
    # what it counted is kept with the program it follows (before: "Not stored", for want of a test saved).
    clinic, home = clinic_and_home(tmp_path)
    hiprom(clinic, "program", "edit", "1", "--dose", "chair_rotation_external:hold=5,reps=8",
           "--dose", "knee_fall_out:hold=1,reps=2")
    handed = tmp_path / "clinic" / "p-0042-program.json"
    hiprom(clinic, "program", "export", "1", "-o", str(handed))

    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(home))
    with serve_in_thread(settings) as url:
        page, errors = _home_page(launch, url, 1024, 768)
        page.wait_for_selector("#btn-program:not([hidden])", timeout=30_000)
        page.locator("body").press("x")
        page.wait_for_selector("#advice:not([hidden]) #advice-none:not([hidden])", timeout=30_000)
        none = " ".join(page.locator("#advice").inner_text().split())
        nothing_else = [page.locator(sel).is_visible() for sel in ("#live", "#results-table", "#btn-save")]
        page.locator("#program-file").set_input_files(str(handed))
        page.wait_for_function("() => document.getElementById('program-taken').textContent.startsWith('Your clin')",
                               timeout=60_000)
        items = [" ".join(t.split()) for t in page.locator("#advice-list li").all_inner_texts()]
        page.locator("#advice-list li[data-exercise='chair_rotation_external'][data-side='left'] button").click()
        page.wait_for_function("() => /of 8/.test(document.getElementById('exercise-count').textContent)",
                               timeout=90_000)
        # The camera counts with the dials in view (waited for: on a loaded machine the count's first words
        # can come a moment before the view is shown, which once read as no dials).
        dials = page.locator("#live").wait_for(state="visible", timeout=30_000) is None
        page.locator("#btn-exercise-done").click()
        page.wait_for_function("() => /[Ss]tored/.test(document.getElementById('exercise-say').textContent)",
                               timeout=60_000)
        told = page.locator("#exercise-say").inner_text()
        program = httpx.get(f"{url}/api/home-program", timeout=30).json()
        kept = httpx.get(f"{url}/api/sessions/{program['session_id']}/exercise-results", timeout=30).json()
        back = page.locator("#btn-exercise-back").inner_text()
        page.locator("body").press("Escape")  # back to the exercises
        page.wait_for_selector("#exercise", state="hidden", timeout=30_000)
        again = page.locator("#advice-list li").count(), page.evaluate("document.activeElement.id")
        # The day's checklist: what was just counted, under its exercise, and the days of the week with some.
        item = page.locator("#advice-list li[data-exercise='chair_rotation_external'][data-side='left']")
        item.locator(".ex-today").wait_for(timeout=30_000)
        today = item.locator(".ex-today").inner_text(), page.locator("#advice-by").inner_text()
        others = page.locator("#advice-list li .ex-today").count()
        # An exercise the camera does not follow, done with the timer: kept too, and said to be the timer's.
        page.locator("#advice-list li[data-exercise='knee_fall_out'][data-side='left'] button").click()
        page.wait_for_function("() => /Stored/.test(document.getElementById('exercise-say').textContent)",
                               timeout=60_000)
        timed = page.locator("#exercise-say").inner_text()
        page.locator("body").press("Escape")
        page.wait_for_selector("#exercise", state="hidden", timeout=30_000)
        fall = page.locator("#advice-list li[data-exercise='knee_fall_out'][data-side='left'] .ex-today")
        fall.wait_for(timeout=30_000)
        timed_today = fall.inner_text()
        # What was done here goes to the clinic: the page's link gives the program's session with its exercises.
        send = " ".join(page.locator("#program-send").inner_text().split())
        link = page.locator("#btn-program-send")
        named, visible = link.get_attribute("download"), link.is_visible()
        mailed = tmp_path / "clinic" / named
        mailed.write_bytes(httpx.get(page.evaluate("document.getElementById('btn-program-send').href"),
                                     timeout=60).content)
        page.locator("body").press("Escape")  # and to the start
        page.wait_for_selector("#live", state="visible", timeout=30_000)
        start = page.locator("#btn-program").is_visible(), page.locator("#advice").is_visible()
        page.context.close()
    assert not errors, errors

    assert none.startswith("Your home exercise program No home program from your clinician on this computer yet"), none
    assert "Take in the file" in none and nothing_else == [False, False, False], (none, nothing_else)
    assert any(item.startswith("Chair rotation, foot inward — left leg") and "hold 5 s, 8 times, 2 sets" in item
               for item in items), items
    assert dials
    assert "Stored with your home program." in told and "Not stored" not in told, told
    assert [(r["exercise"], r["side"], r["reps_target"]) for r in kept] == [("chair_rotation_external", "left", 16)], kept
    assert back.startswith("Back to your exercises"), back
    assert again == (len(items), "advice-title"), again
    assert today[0] == f"Today: {kept[0]['reps_done']} of 16 counted" and others == 1, (today, others)
    assert today[1].endswith("Exercises done on 1 of the last 7 days."), today
    assert timed.startswith("2 of 2 done with the timer. Stored with your home program."), timed
    assert timed_today == "Today: 2 of 2 done with the timer", timed_today
    assert start == (True, False), start
    assert visible and send == "Your clinician sees your tests and exercises when you send them your file for the clinic.", send
    assert named.startswith("hiprom-for-your-clinic-") and named.endswith(".json"), named
    told = hiprom(clinic, "store", "import", str(mailed))
    assert "session 1 is session 1, and 2 exercises done with its home program added to it" in told, told
    with Store(str(clinic)) as store:
        at_clinic = [(r["exercise"], r["side"], r.get("timed", False)) for r in store.exercise_results(1)]
    assert at_clinic == [("chair_rotation_external", "left", False), ("knee_fall_out", "left", True)], at_clinic


def test_the_clinic_hands_over_the_program_and_adds_the_patients_file_on_its_page(launch, tmp_path):
    # A clinic working on the page (a tablet signed in, no terminal) could neither hand a program over nor add the
    # file a patient sent from home: 'hiprom program edit', 'program export' and 'store import' were the only ways.
    # After saving the visit for P-0042, "Hand over as P-0042's home program" keeps the suggestions and gives the
    # program file and the printed sheet; "Add the patient's file from home" takes the patient's file in for P-0042
    # (the same import: the tests and the exercises done at home, nothing twice).
    need_poppler()
    clinic, home = clinic_and_home(tmp_path)
    hiprom(clinic, "program", "edit", "1")
    handed = tmp_path / "clinic" / "p-0042-program.json"
    hiprom(clinic, "program", "export", "1", "-o", str(handed))
    hiprom(home, "program", "import", str(handed))
    hiprom(home, "analyze", str(SAMPLE), "--save", "-q")  # a self-test at home, saved without a pseudonym
    done = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_external", "side": "left",
            "direction": "external", "reps_done": 14, "reps_target": 16, "reps": []}
    with Store(str(home)) as store:
        for when in ("2026-03-03T08:00:00Z", "2026-03-04T08:00:00Z"):
            store.add_exercise_result(1, done, recorded_utc=when)
    sent = tmp_path / "hiprom-for-your-clinic.json"
    hiprom(home, "sessions", "export", "1", "2", "--format", "json", "-o", str(sent))

    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(clinic))
    with serve_in_thread(settings) as url:
        page, errors = _home_page(launch, url, 1280, 800)
        _visit_saved_for(page, "P-0042")
        # The visit's suggestions handed over as the patient's program: kept, with the file and the sheet to give.
        take_in_offered = page.locator("#take-program").is_visible()
        page.locator("#btn-hand-over").click()
        page.wait_for_function("() => /^(Kept|Not handed)/.test(document.getElementById('hand-over-said').textContent)",
                               timeout=60_000)
        handed_words = " ".join(page.locator("#hand-over-said").inner_text().split())
        # Changed first: one exercise left out, a dose and notes set; a dose out of range is the server's one line.
        page.locator("#hand-edit-toggle").click()
        page.wait_for_selector("#hand-keep-0:focus", timeout=30_000)
        n_suggested = page.locator("#hand-rows .hand-row").count()
        page.locator("#hand-reps-0").fill("0")
        page.locator("#hand-edit-submit").click()
        page.wait_for_function("() => /^Not handed/.test(document.getElementById('hand-over-said').textContent)",
                               timeout=30_000)
        refused = page.locator("#hand-over-said").inner_text()
        page.locator("#hand-reps-0").fill("8")
        page.locator(f"#hand-keep-{n_suggested - 1}").uncheck()
        page.locator("#hand-notes").fill("Mornings and evenings.")
        page.select_option("#paper", "letter")  # the sheet came on the server's paper whatever was chosen
        page.locator("#hand-edit-submit").click()
        page.wait_for_function("() => /^Kept/.test(document.getElementById('hand-over-said').textContent)",
                               timeout=30_000)
        program_file = tmp_path / page.locator("#hand-over-file").get_attribute("download")
        program_file.write_bytes(httpx.get(page.evaluate("document.getElementById('hand-over-file').href"),
                                           timeout=60).content)
        sheet = httpx.get(page.evaluate("document.getElementById('hand-over-sheet').href"), timeout=120)
        page.locator("#homefile-toggle").click()
        hint = page.locator("#homefile-hint").inner_text()
        focused = page.evaluate("document.activeElement.id")
        page.locator("#homefile-file").set_input_files(str(sent))
        page.wait_for_function("() => /^(Added|Not added)/.test(document.getElementById('homefile-said').textContent)",
                               timeout=60_000)
        added = page.locator("#homefile-said").inner_text()
        page.locator("#homefile-file").set_input_files(str(sent))  # sent twice: nothing new
        page.wait_for_function("() => /^Not added/.test(document.getElementById('homefile-said').textContent)",
                               timeout=60_000)
        again = page.locator("#homefile-said").inner_text()
        page.context.close()
    assert not errors, errors

    assert not take_in_offered  # a clinic's page hands programs over; "Take in the file" is the patient's
    assert handed_words == ("Kept as P-0042's home program. Give them the program file (on their computer: Exercises, "
                            "then Take in the file) and the printed sheet."), handed_words
    assert program_file.name.startswith("hiprom-program-P-0042-"), program_file.name
    assert "paper=letter" in str(sheet.url) and sheet.status_code == 200, (sheet.url, sheet.status_code)
    (tmp_path / "sheet.pdf").write_bytes(sheet.content)
    info = subprocess.run(["pdfinfo", str(tmp_path / "sheet.pdf")], capture_output=True, text=True, timeout=60).stdout
    assert "612 x 792 pts" in info, f"the printed sheet is not on US Letter, the paper chosen: {info}"
    assert refused == "Not handed over: program item 1: dose reps must be a whole number from 1 to 100, but got 0", refused
    kept = json.loads(program_file.read_text(encoding="utf-8"))["program"]
    assert len(kept["items"]) == n_suggested - 1 >= 1 and kept["items"][0]["dose"]["reps"] == 8, kept
    assert kept["notes"] == "Mornings and evenings.", kept
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF"), sheet.status_code
    second_home = tmp_path / "home" / "second.db"
    subprocess.run([sys.executable, "-m", "hiprom.cli.main", "store", "init", str(second_home)], check=True,
                   capture_output=True, timeout=120)
    assert "Took in the home program" in hiprom(second_home, "program", "import", str(program_file))
    assert hint.startswith("The file P-0042 sent from home (their tests and exercises)"), hint
    assert focused == "homefile-choose", focused
    assert added == "Added 1 test and 2 exercises done at home to P-0042's records.", added
    assert again.startswith("Not added: ") and "was imported already" in again, again
    with Store(str(clinic)) as store:
        assert [s.subject for s in store.sessions()] == ["P-0042"] * 3
        assert len(store.exercise_results(1)) == 2


def test_the_clinic_adds_an_exercise_the_test_did_not_suggest_on_its_page(launch, tmp_path, monkeypatch):
    # On the page a program was the test's suggestions, some left out: adding an exercise the test did not suggest
    # (the catalogue's, or the clinic's own from its catalogue file) needed 'hiprom program edit --add' in a
    # terminal. "Change it first" now lists every exercise to add, for a leg, each leg or both together, at its
    # catalogue dose, which can be changed before it is kept; the clinic's own travels with the program file.
    # The clinic's store holds its first patient only (which a patient's own may too): 'hiprom serve --clinic'.
    clinic, home = clinic_and_home(tmp_path)
    own = tmp_path / "clinic" / "clinic-exercises.toml"
    own.write_text(CLINIC_EXERCISES, encoding="utf-8")
    monkeypatch.setenv("HIPROM_EXERCISES", str(own))

    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(clinic), clinic=True)
    with serve_in_thread(settings) as url:
        page, errors = _home_page(launch, url, 1280, 800)
        _visit_saved_for(page, "P-0042")
        take_in_offered = page.locator("#take-program").is_visible()
        page.locator("#hand-edit-toggle").click()
        page.wait_for_selector("#hand-keep-0:focus", timeout=30_000)
        n_suggested = page.locator("#hand-rows .hand-row").count()
        offered = page.locator("#hand-add-exercise option").all_inner_texts()
        page.locator("#hand-add-exercise").select_option(label="Band turn, foot inward")
        legs_each = page.locator("#hand-add-side option").all_inner_texts()
        page.locator("#hand-add-side").select_option(label="right leg")
        page.locator("#hand-add").click()
        focused = page.evaluate("document.activeElement.id")
        page.locator(f"#hand-reps-{n_suggested}").fill("12")
        page.locator("#hand-add-exercise").select_option(label="Knees together stretch")
        legs_both = page.locator("#hand-add-side option").all_inner_texts()
        page.locator("#hand-add").click()
        added_rows = page.locator("#hand-rows .hand-row .hand-name").all_inner_texts()[n_suggested:]
        page.locator("#hand-edit-submit").click()
        page.wait_for_function("() => /^(Kept|Not handed)/.test(document.getElementById('hand-over-said').textContent)",
                               timeout=60_000)
        said = page.locator("#hand-over-said").inner_text()
        kept = httpx.get(page.evaluate("document.getElementById('hand-over-file').href"), timeout=60).json()
        page.context.close()
    assert not errors, errors

    assert said.startswith("Kept as P-0042's home program."), said
    assert not take_in_offered
    assert "Band turn, foot inward" in offered and "Chair rotation, foot outward" in offered, offered
    assert legs_each == ["each leg", "left leg", "right leg"] and legs_both == ["both legs"], (legs_each, legs_both)
    assert focused == f"hand-hold_s-{n_suggested}", focused  # straight on to its dose
    assert [" ".join(r.split()) for r in added_rows] == ["Band turn, foot inward — right leg",
                                                       "Knees together stretch — both legs"], added_rows
    program = kept["program"]
    added = [(i["exercise"], i["side"], i["direction"], i["dose"]) for i in program["items"][n_suggested:]]
    assert added == [("clinic_band_turn", "right", "external", {"hold_s": 3, "reps": 12, "sets": 1}),
                     ("knee_to_knee", "both", "internal", {"hold_s": 25, "reps": 3, "sets": 1})], added
    assert [e["id"] for e in program["exercises"]] == ["clinic_band_turn"], program.get("exercises")


def test_the_clinic_adds_the_analysis_of_a_video_of_the_patient_on_its_page(launch, tmp_path):
    # A clinic on a tablet given the analysis of a video of its patient ('hiprom analyze --json', a batch's
    # .analysis.json) was told "is an analysis, not an export ...; store it with 'hiprom sessions add'": a terminal
    # command the tablet has not. "Add the patient's file from home" now takes it as a test of the person the visit
    # is saved for, once.
    clinic, _ = clinic_and_home(tmp_path)
    analysed = tmp_path / "video.analysis.json"
    subprocess.run([sys.executable, "-m", "hiprom.cli.main", "analyze", str(SAMPLE), "--json", str(analysed), "-q"],
                   check=True, capture_output=True, timeout=300)

    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(clinic), clinic=True)
    with serve_in_thread(settings) as url:
        page, errors = _home_page(launch, url, 1280, 800)
        _visit_saved_for(page, "P-0042")
        page.locator("#homefile-toggle").click()
        hint = page.locator("#homefile-hint").inner_text()
        page.locator("#homefile-file").set_input_files(str(analysed))
        page.wait_for_function("() => /^(Added|Not added)/.test(document.getElementById('homefile-said').textContent)",
                               timeout=60_000)
        added = page.locator("#homefile-said").inner_text()
        page.locator("#homefile-file").set_input_files(str(analysed))  # sent twice: it is there already
        page.wait_for_function("() => /^Not added/.test(document.getElementById('homefile-said').textContent)",
                               timeout=60_000)
        again = page.locator("#homefile-said").inner_text()
        page.context.close()
    assert not errors, errors

    assert added == "Added 1 test to P-0042's records.", added
    assert again.startswith("Not added: ") and "was imported already" in again, again
    assert "an analysis of a video" in hint, hint
    with Store(str(clinic)) as store:
        sessions = store.sessions()
        assert [s.subject for s in sessions] == ["P-0042"] * 3
        assert sorted(s.origin or "" for s in sessions) == ["", "", "video.analysis.json"]


def test_the_page_lists_the_persons_visits_as_hiprom_trend_does(launch, tmp_path):
    # A clinician following a patient over time on a tablet had each visit's PDF, or 'hiprom trend' in a terminal:
    # the page never listed a person's visits. Saved for P-0042, who was tested before, the test now offers
    # "P-0042's visits (2)", closed until asked: the table of 'hiprom trend', row for row, and its lines under it,
    # among them the first visit's program and the exercises done at home with it (the list had left them out).
    need_poppler()
    clinic, _ = clinic_and_home(tmp_path)
    hiprom(clinic, "program", "edit", "1", "--remove", "seated_inner_thigh_stretch")
    with Store(str(clinic)) as store:
        for day, reps in (("03", 10), ("04", 9)):
            store.add_exercise_result(1, {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal",
                                          "side": "left", "direction": "internal", "reps_done": reps,
                                          "reps_target": 10, "reps": []}, recorded_utc=f"2026-03-{day}T12:00:00Z")
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(clinic), clinic=True)
    with serve_in_thread(settings) as url:
        page, errors = _home_page(launch, url, 1280, 800)
        _visit_saved_for(page, "P-0042")
        page.wait_for_selector("#visits-toggle", timeout=30_000)
        label = page.locator("#visits-toggle").inner_text()
        closed = page.locator("#visits-table").is_hidden()
        page.locator("#visits-toggle").click()
        rows = page.evaluate("[...document.querySelectorAll('#visits-table tbody tr')]"
                             ".map((tr) => [...tr.cells].map((td) => td.textContent.trim()))")
        headings = page.locator("#visits-table thead th").all_inner_texts()
        notes = page.locator("#visits-panel p").all_inner_texts()
        done = page.locator("#visits-done li").all_inner_texts()
        first = page.locator("#visits-table tbody tr:first-child a")  # its number: that visit's report
        first_label, first_pdf = first.get_attribute("aria-label"), page.request.get(first.get_attribute("href"))
        first_box = first.bounding_box()
        page.select_option("#paper", "letter")  # chosen after the list was made: the links follow it
        with page.expect_download() as got:
            first.click()
        on_letter = got.value.url
        first_status, first_body = first_pdf.status, first_pdf.body()
        # Each figure inside its cell: in columns of equal width the day ran into the left IR ("2026-12-0732.8").
        spill = page.evaluate("[...document.querySelectorAll('#visits-table td')]"
                              ".filter((td) => td.scrollWidth > td.clientWidth).map((td) => td.textContent)")
        page.set_viewport_size({"width": 320, "height": 640})  # a phone: each visit a card, nothing sideways
        page.wait_for_timeout(300)
        wide = page.evaluate("document.documentElement.scrollWidth")
        page.context.close()
    assert not errors, errors

    told = hiprom(clinic, "trend", "P-0042")
    table = [[cell.strip() for cell in line.split("│")] for line in told.splitlines() if "│" in line]
    assert (label, closed) == ("P-0042's visits (2)", True), (label, closed)
    assert headings == ["#", "Date", "L IR", "L ER", "L arc", "R IR", "R ER", "R arc", "L − R arc"], headings
    assert rows == table and len(rows) == 2, (rows, table)
    said = " ".join(told.split("\n", 3 + len(table))[-1].split())
    assert notes and all(" ".join(note.split()) in said for note in notes), (notes, said)
    assert not spill, f"figures run out of their cells: {spill}"
    assert len(done) == 1 and done[0].startswith("#1 program: ") and (
        "reps done: Chair rotation, foot outward, left leg: 19 of 20 (2 times on 2 days)") in done[0], done
    assert " ".join(done[0].split()) in said, (done, said)
    # A clinician going back over the visits had only the newest one's PDF on the page.
    assert first_label == f"Report of visit #1 of {rows[0][1]} (PDF)", first_label
    assert first_box["width"] >= 24 and first_box["height"] >= 24, first_box  # a finger on a tablet hits it
    assert "paper=letter" in on_letter and "report.pdf" in on_letter, on_letter
    assert first_status == 200 and first_body.startswith(b"%PDF"), first_status
    (tmp_path / "first.pdf").write_bytes(first_body)
    assert "P-0042 · session #1 ·" in pdf_text(tmp_path / "first.pdf", layout=False), "not visit #1's report"
    assert wide <= 320, f"the page scrolls sideways on a 320 px phone: {wide} px"


def test_a_patients_own_page_lists_every_test_as_theirs(launch, tmp_path):
    # At home a self-test is saved without a pseudonym, so the re-test weeks after the first was listed beside
    # nothing: the visits were a named person's only, and the patient could not see whether the exercises had
    # moved their figures. On a patient's own page every test is theirs: "Your tests (2)", as the API lists them.
    (tmp_path / "home").mkdir()
    home = tmp_path / "home" / "home.db"
    subprocess.run([sys.executable, "-m", "hiprom.cli.main", "store", "init", str(home)], check=True,
                   capture_output=True, timeout=120)
    hiprom(home, "analyze", str(SAMPLE), "--save", "-q")  # the first self-test, saved with no pseudonym
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(home))
    with serve_in_thread(settings) as url:
        page, errors = _home_page(launch, url, 1280, 800)
        page.locator("body").press("Space")
        page.wait_for_selector("#results:not([hidden])", timeout=90_000)
        page.locator("#btn-save").click()  # no pseudonym typed
        page.wait_for_selector("#visits-toggle", timeout=30_000)
        label = page.locator("#visits-toggle").inner_text()
        page.locator("#visits-toggle").click()
        caption = page.locator("#visits-table caption").inner_text()
        numbers = page.evaluate("[...document.querySelectorAll('#visits-table tbody tr')].map((tr) => "
                                "tr.cells[0].textContent.trim())")
        listed = [str(v["session_id"]) for v in httpx.get(f"{url}/api/trend", timeout=30).json()["visits"]]
        page.context.close()
    assert not errors, errors
    assert (label, caption) == ("Your tests (2)", "Your tests (degrees)"), (label, caption)
    assert numbers == listed == ["1", "2"], (numbers, listed)
