"""What the page offers once a demo test is saved: the reference readings form (typed on the page, seen as pairs
by ``hiprom validate``) and the correction of the session's subject (the records API's PATCH routes)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings
from tests.report.pdftools import need_poppler, pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

READINGS = {"left_ir_deg": "33", "left_er_deg": "41.5", "right_ir_deg": "35", "right_er_deg": "40"}
"""What the clinician typed, in Tab order (left hip before right hip, internal before external)."""
MEASURE = {"left_ir_deg": "left_internal", "left_er_deg": "left_external",
           "right_ir_deg": "right_internal", "right_er_deg": "right_external"}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return tmp_path_factory.mktemp("db") / "records.db"


def saved_on_the_page(launch, url: str, subject: str) -> tuple:
    """The page at ``url`` whose guided demo test ran to the results and was saved for ``subject``: (page, session
    id, the list its script errors are gathered in). The readings form is offered only once it is saved."""
    page = launch().new_context(viewport={"width": 1366, "height": 800}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url + "/")
    page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
    assert page.locator("#reference").is_hidden()  # nothing saved: nothing to attach readings to
    page.locator("body").press("Space")
    page.wait_for_selector("#results:not([hidden])", timeout=90_000)
    assert page.locator("#reference").is_hidden()
    page.locator("#subject").fill(subject)
    page.locator("#btn-save").click()
    page.wait_for_function("() => document.getElementById('save-status').textContent.startsWith('Saved')",
                           timeout=30_000)
    return page, int(re.search(r"session #(\d+)", page.locator("#save-status").inner_text()).group(1)), errors


@pytest.fixture(scope="module")
def saved(launch, db):
    """A page whose guided demo test ran to the results and was saved; yields (page, session id)."""
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(db))
    with serve_in_thread(settings) as url:
        page, session_id, errors = saved_on_the_page(launch, url, "S-REF1")
        yield page, session_id
        page.context.close()
        assert not errors, errors


def open_form(page) -> None:
    """The form shown (opened from the keyboard by its button, which moves focus to the form) with every field empty."""
    page.evaluate("() => { for (const i of document.querySelectorAll('#ref-form input')) i.value = ''; }")
    if page.locator("#ref-form").is_hidden():
        page.locator("#ref-toggle").focus()
        page.keyboard.press("Enter")
    page.wait_for_selector("#ref-form:not([hidden])")


def stored(page, session_id: int) -> list[dict]:
    answer = page.request.get(page.url.split("?")[0] + f"api/sessions/{session_id}/references")
    assert answer.status == 200, answer.text()
    return answer.json()


def two_more_people(db, session_id: int) -> None:
    """The same test saved for two more people, each with a goniometer reading (stored as the page does)."""
    from hiprom.store import ReferenceInput, Store

    with Store(db) as store:
        analysis = store.analysis(session_id)
        for i, subject in enumerate(("S-REF2", "S-REF3")):
            other = store.save_analysis(analysis, subject=subject)
            store.add_reference(other.id, ReferenceInput(instrument="goniometer", left_ir_deg=30.0 + i,
                                                         right_ir_deg=36.0 - i, left_er_deg=40.0, right_er_deg=39.0 + i))


def _readings_by(db, rater: str, subjects: tuple[str, ...]) -> None:
    """A goniometer reading by ``rater`` of each of ``subjects``' sessions (stored as the page does)."""
    from hiprom.store import ReferenceInput, Store

    with Store(db) as store:
        for session in store.sessions():
            if session.subject in subjects:
                store.add_reference(session.id, ReferenceInput(instrument="goniometer", rater=rater,
                                                               left_ir_deg=31.0, right_er_deg=38.0))


def validate(db, *options: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "hiprom.cli.main", "validate", "--db", str(db), *options,
                           "--json", "-"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_readings_typed_on_the_page_are_pairs_in_hiprom_validate(saved, db):
    page, session_id = saved
    if page.locator("#ref-form").is_visible():
        page.locator("#ref-toggle").click()  # closed, as after saving
    open_form(page)
    assert page.evaluate("document.activeElement.id") == "ref-instrument"  # the form opens at its first field
    page.keyboard.press("ArrowDown")  # goniometer -> inclinometer, by keyboard
    assert page.locator("#ref-instrument").input_value() == "inclinometer"
    order = []
    page.keyboard.press("Tab")
    order.append(page.evaluate("document.activeElement.id"))
    page.keyboard.type("RB")
    for value in READINGS.values():
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id"))
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    order.append(page.evaluate("document.activeElement.id"))
    page.keyboard.type("same chair as hiprom")
    assert order == ["ref-rater", *(f"ref-{n}" for n in READINGS), "ref-notes"]
    page.keyboard.press("Enter")  # Enter in a field submits
    page.wait_for_selector("#ref-stored li", timeout=10_000)

    confirmation = page.locator("#ref-stored li").last.inner_text()
    assert confirmation.startswith("Inclinometer, measured by RB"), confirmation
    assert confirmation.index("Left hip") < confirmation.index("Right hip")
    for text in ("internal rotation 33°", "external rotation 41.5°", "internal rotation 35°",
                 "external rotation 40°", "same chair as hiprom"):
        assert text in confirmation, confirmation
    assert page.locator("#ref-status").inner_text() == f"Stored with session {session_id}."
    assert page.locator("#ref-left_ir_deg").input_value() == ""  # ready for another rater's reading

    two_more_people(db, session_id)  # validate takes a person as its unit and needs three
    out = validate(db)
    ours = {p["measure"]: p["b_deg"] for p in out["pairs"] if p["session"] == str(session_id) and p["rater"] == "RB"}
    assert ours == {MEASURE[name]: float(value) for name, value in READINGS.items()}
    assert all(p["instrument"] == "inclinometer" for p in out["pairs"] if p["rater"] == "RB")
    assert out["pooled"]["n"] >= 4 and out["pooled"]["bias_deg"] is not None


@pytest.mark.parametrize(("name", "typed", "says"), [
    ("left_ir_deg", "150", "150° is outside"),      # the server's range check (422), shown at its field
    ("right_er_deg", "-45", "-45° is outside"),
    ("left_er_deg", "abc", "not a number of degrees"),  # caught before sending
])
def test_a_bad_value_is_shown_at_its_field_and_nothing_is_stored(saved, name, typed, says):
    page, session_id = saved
    before = stored(page, session_id)
    open_form(page)
    page.locator("#ref-right_ir_deg" if name != "right_ir_deg" else "#ref-left_ir_deg").fill("30")
    page.locator(f"#ref-{name}").fill(typed)
    page.locator("#ref-submit").click()
    error = page.locator(f"#ref-{name}-error")
    error.wait_for(state="visible", timeout=10_000)
    assert says in error.inner_text(), error.inner_text()
    assert page.locator(f"#ref-{name}").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == f"ref-{name}"  # focus on the field to correct
    assert page.locator(".ref-error:not(:empty)").count() == 1  # one message
    assert stored(page, session_id) == before


def test_no_angle_at_all_is_one_line_under_the_form_and_nothing_is_stored(saved):
    page, session_id = saved
    before = stored(page, session_id)
    open_form(page)
    page.locator("#ref-rater").fill("A")
    page.locator("#ref-rater").press("Enter")
    status = page.locator("#ref-status")
    page.wait_for_function("() => document.getElementById('ref-status').textContent.startsWith('Not stored')",
                           timeout=10_000)
    assert "at least one angle" in status.inner_text(), status.inner_text()
    assert page.locator(".ref-error:not(:empty)").count() == 0
    assert stored(page, session_id) == before


def _said(page, name: str, start: str) -> str:
    """The answer line of the correction ``name`` once it begins with ``start`` (the server answers when it does)."""
    page.wait_for_function("([n, s]) => document.getElementById(`fix-${n}-said`).textContent.startsWith(s)",
                           arg=[name, start], timeout=15_000)
    return page.locator(f"#fix-{name}-said").inner_text()


def _api(page, method: str, path: str, body: dict) -> tuple[int, str]:
    answer = page.request.fetch(page.url.split("?")[0] + path, method=method, data=body)
    return answer.status, answer.json().get("detail", "")


def test_a_saved_sessions_subject_is_corrected_on_the_page_by_keyboard_in_the_apis_words(saved, db):
    """Before, the page had no control for these: a visit saved under the wrong pseudonym needed a terminal."""
    from hiprom.store import Store

    from tests.web.layout import MEASURE_JS

    page, session_id = saved
    with Store(db) as store:
        store.add_subject("S-RIGHT")
        store.add_subject("S-TAKEN")
    assert page.locator("#correct").is_visible() and page.locator("#fix-forms").is_hidden()
    page.locator("#fix-toggle").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'fix-move'")
    assert page.locator("#fix-toggle").get_attribute("aria-expanded") == "true"
    assert page.locator("#fix-move-label").inner_text() == f"Move session #{session_id} to subject"
    assert page.locator("#fix-rename-label").inner_text() == "Rename subject S-REF1 to"

    # A pseudonym that is no subject: the API's 404, in its words, at the field, which keeps the focus.
    page.keyboard.type("S-NOBODY")
    page.keyboard.press("Enter")
    status, detail = _api(page, "PATCH", f"api/sessions/{session_id}", {"subject": "S-NOBODY"})
    assert (status, _said(page, "move", "Not changed")) == (404, f"Not changed: {detail}")
    assert page.locator("#fix-move").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "fix-move"
    assert page.locator("#fix-move").get_attribute("aria-describedby") == "fix-move-said"

    page.locator("#fix-move").fill("S-RIGHT")
    page.keyboard.press("Enter")
    assert _said(page, "move", "Session") == f"Session #{session_id} is now S-RIGHT's. S-REF1 stays, with any other sessions."
    assert page.request.get(page.url.split("?")[0] + f"api/sessions/{session_id}").json()["subject"] == "S-RIGHT"
    assert page.locator("#fix-rename-label").inner_text() == "Rename subject S-RIGHT to"

    # Another subject's pseudonym, in other capitals: the API's 409, in its words.
    page.locator("#fix-rename").fill("s-taken")
    page.locator("#fix-rename").press("Enter")
    status, detail = _api(page, "PATCH", "api/subjects/S-RIGHT", {"pseudonym": "s-taken"})
    assert (status, _said(page, "rename", "Not changed")) == (409, f"Not changed: {detail}")
    assert "already exists" in detail

    page.locator("#fix-rename").fill("S-RIGHT2")
    page.locator("#fix-rename").press("Enter")
    assert _said(page, "rename", "S-RIGHT") == "S-RIGHT is now S-RIGHT2; its sessions, readings and exercises stay with it."
    assert page.locator("#fix-rename-label").inner_text() == "Rename subject S-RIGHT2 to"
    assert page.locator("#subject").input_value() == "S-RIGHT2"  # Test again saves this person's re-test there

    page.set_viewport_size({"width": 390, "height": 844})  # on a phone: nothing overlaps, cut or runs sideways
    page.locator("#fix-rename-said").scroll_into_view_if_needed()
    m = page.evaluate(MEASURE_JS)
    ours = ("fix-", "correct", "Saved under the wrong person")
    assert not m["hscroll"], m
    for kind in ("overlaps", "outside", "clipped", "small"):
        assert not [p for p in m[kind] if any(o in p for o in ours)], (kind, m[kind])
    page.set_viewport_size({"width": 1366, "height": 800})
    assert _api(page, "PATCH", f"api/sessions/{session_id}", {"subject": "S-REF1"})[0] == 200  # as it was


def test_the_agreement_report_is_on_the_page_once_three_people_have_readings(launch, tmp_path):
    # A clinic on a tablet stored its goniometer readings on the page, but their agreement with hiprom (bias,
    # limits of agreement, ICC: the report 'hiprom validate -o' writes) needed a terminal. Under the readings the
    # page now says how many pairs there are and how many are needed, then links the report of that instrument.
    need_poppler()
    db = tmp_path / "records.db"
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(db))
    with serve_in_thread(settings) as url:
        page, session_id, errors = saved_on_the_page(launch, url, "S-AGR1")
        # Too few pairs is no error: asked as a 409, it was one in the console ("Failed to load resource").
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        open_form(page)
        page.wait_for_function("() => /^No agreement report yet/.test(document.getElementById('ref-agreement')"
                               ".textContent)", timeout=10_000)
        none_yet = page.locator("#ref-agreement").inner_text()
        page.locator("#ref-left_ir_deg").fill("33")
        page.keyboard.press("Enter")
        page.wait_for_function("() => /^No agreement report yet: 1 pair/.test("
                               "document.getElementById('ref-agreement').textContent)", timeout=10_000)
        two_more_people(db, session_id)  # two more people measured with the goniometer: three in all
        page.locator("#ref-right_er_deg").fill("40")
        page.keyboard.press("Enter")
        page.wait_for_selector("#ref-agreement-pdf", timeout=10_000)
        link = page.locator("#ref-agreement-pdf")
        words, href = link.inner_text(), link.get_attribute("href")
        alone_before = page.locator("#ref-agreement-rater-pdf").count()
        # In a clinic of several, the physio AB measured the same three people too: named as "Measured by", they
        # are offered the report of their own readings beside the instrument's.
        _readings_by(db, "AB", ("S-REF2", "S-REF3"))
        page.locator("#ref-rater").fill("AB")
        page.locator("#ref-left_er_deg").fill("41")
        page.keyboard.press("Enter")
        page.wait_for_selector("#ref-agreement-rater-pdf", timeout=10_000)
        own = page.locator("#ref-agreement-rater-pdf")
        own_words, own_href = own.inner_text(), own.get_attribute("href")
        own_pdf = page.request.get(own_href)
        own_status, own_body = own_pdf.status, own_pdf.body()
        page.set_viewport_size({"width": 320, "height": 640})  # a phone: the link wraps (it was 510 px wide)
        page.wait_for_timeout(300)
        wide = page.evaluate("document.documentElement.scrollWidth")
        pdf = page.request.get(href)
        status, body = pdf.status, pdf.body()
        page.context.close()
    assert not errors, errors

    assert none_yet == ("No agreement report yet: 0 pairs of hiprom and reference readings found; at least 3 are "
                        "needed (store your instrument's readings of more saved tests, with Add your instrument's "
                        "readings)."), none_yet
    assert words == "Agreement of hiprom with your goniometer (PDF)", words
    assert wide <= 320, f"the page scrolls sideways on a 320 px phone: {wide} px"
    assert "instrument=goniometer" in href and "download=1" in href, href
    assert status == 200 and body.startswith(b"%PDF"), status
    assert alone_before == 0  # no one named: the instrument's report alone
    assert own_words == "Agreement of hiprom with AB's goniometer readings (PDF)", own_words
    assert "rater=AB" in own_href and own_status == 200, (own_href, own_status)
    (tmp_path / "own.pdf").write_bytes(own_body)
    assert "rater = AB" in " ".join(pdf_text(tmp_path / "own.pdf", layout=False).split())  # whose readings
    assert validate(db)["n_subjects"] == 3  # the same pairs 'hiprom validate' takes
    mine = validate(db, "--rater", "AB")
    assert (mine["n_subjects"], mine["pooled"]["n"]) == (3, 5), mine["pooled"]  # two angles each, one typed here
