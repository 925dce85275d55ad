"""REST endpoints of the records store, on an app built here around a temporary store."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient

from hiprom.report.figures import fmt
from hiprom.server.errors import one_line_validation_error
from hiprom.server.routes.records import router
from hiprom.server.settings import ServerSettings
from hiprom.store import Store

NAME = 'Zoë "Z" <img src=x onerror=alert(1)> 🦄 שלום'


@pytest.fixture
def client(store: Store) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.add_exception_handler(RequestValidationError, one_line_validation_error)  # as create_app does
    app.state.store = store
    app.state.settings = ServerSettings()  # the PDFs' paper, as create_app sets it
    return TestClient(app)


def test_subject_and_session_lifecycle(client: TestClient, analysis: dict, tmp_path: Path) -> None:
    r = client.post("/api/subjects", json={"pseudonym": "P-1", "name": NAME, "date_of_birth": "1990-02-03"})
    assert r.status_code == 201 and r.json()["name"] == NAME
    assert client.post("/api/subjects", json={"pseudonym": "P-1"}).status_code == 409

    r = client.post("/api/sessions", json={"analysis": analysis, "subject": "P-1", "operator": NAME})
    assert r.status_code == 201
    created = r.json()
    sid = created["id"]
    assert created["report_url"] == f"/api/sessions/{sid}/report.pdf" and created["n_trials"] == len(analysis["trials"])
    assert created["recording_sha256"] == analysis["recording_sha256"]  # what tells a re-test from a re-analysis

    listed = client.get("/api/sessions").json()
    assert [s["id"] for s in listed] == [sid] and listed[0]["subject"] == "P-1"
    assert listed[0]["recording_sha256"] == analysis["recording_sha256"]
    assert client.get("/api/sessions", params={"subject": "P-1"}).json()[0]["operator"] == NAME
    assert client.get("/api/subjects").json()[0]["n_sessions"] == 1
    for find in ("zO", "ZOË", "zoe"):  # case and accents ignored alike on SQLite and PostgreSQL
        assert [s["pseudonym"] for s in client.get("/api/subjects", params={"find": find}).json()] == ["P-1"]
    assert client.get("/api/subjects", params={"find": "%"}).json() == []  # a plain character, not a wildcard
    subject = client.get("/api/subjects/P-1").json()
    assert subject["name"] == NAME and [s["id"] for s in subject["sessions"]] == [sid]

    shown = client.get(f"/api/sessions/{sid}").json()
    assert shown["analysis"] == json.loads(json.dumps(analysis))
    assert shown["subject_record"]["name"] == NAME

    exported = client.get(f"/api/sessions/{sid}/export.json")
    assert exported.headers["content-type"].startswith("application/json")
    assert "attachment" in exported.headers["content-disposition"]
    summary = exported.json()["summary"]
    assert summary["sides"]["left"]["total_arc_deg"] == round(analysis["sides"]["left"]["total_arc_deg"], 1)

    download = client.get(f"/api/sessions/{sid}/export.csv").content
    assert download.startswith(b"\xef\xbb\xbfsession_id,")  # the byte-order mark Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(download.decode("utf-8-sig"))))
    assert rows[0]["left_internal_rotation_deg"] == fmt(analysis["sides"]["left"]["internal_rotation_deg"])
    trials = client.get(f"/api/sessions/{sid}/export.csv", params={"table": "trials"}).text
    assert len(trials.strip().splitlines()) == len(analysis["trials"]) + 1
    assert client.get(f"/api/sessions/{sid}/export.csv", params={"table": "x"}).status_code == 422

    pdf = client.get(f"/api/sessions/{sid}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "inline" in pdf.headers["content-disposition"]
    if shutil.which("pdftotext"):
        path = tmp_path / "api.pdf"
        path.write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
        row = next(line for line in text.splitlines() if line.strip().startswith("Total arc"))
        assert f'L {fmt(summary["sides"]["left"]["total_arc_deg"])}°' in " ".join(row.split())

    assert client.delete(f"/api/sessions/{sid}").json() == {"deleted": sid}
    assert client.get(f"/api/sessions/{sid}").status_code == 404
    assert client.delete("/api/subjects/P-1").json() == {"deleted": "P-1", "sessions_deleted": 0}
    assert client.get("/api/subjects").json() == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("get", "/api/sessions/999", None, 404),
        ("get", "/api/sessions/999/report.pdf", None, 404),
        ("get", "/api/sessions/999/export.json", None, 404),
        ("delete", "/api/sessions/999", None, 404),
        ("get", "/api/subjects/nobody", None, 404),
        ("delete", "/api/subjects/nobody", None, 404),
        ("post", "/api/sessions", {"analysis": {"schema": "other"}}, 422),
        ("post", "/api/subjects", {"pseudonym": "P", "date_of_birth": "2999-01-01"}, 422),
        ("post", "/api/subjects", {"pseudonym": "x" * 65}, 422),
        ("get", "/api/sessions/abc", None, 422),
    ],
)
def test_errors_have_http_statuses_and_one_line_details(client: TestClient, method: str, path: str,
                                                         body: dict | None, status: int) -> None:
    r = getattr(client, method)(path, **({"json": body} if body is not None else {}))
    assert r.status_code == status
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail


def test_no_store_on_the_app_is_503() -> None:
    app = FastAPI()
    app.include_router(router)
    assert TestClient(app).get("/api/sessions").status_code == 503


def test_sessions_come_in_pages_that_say_how_many_there_are(client: TestClient, analysis: dict) -> None:
    """GET /api/sessions answered a clinic's 20 000 sessions at once (14 MB, 5 s of a server thread):
    it now answers 100 unless asked (at most 1000), with the total and the next page's link."""
    ids = [client.post("/api/sessions", json={"analysis": analysis, "subject": "P-1"}).json()["id"] for _ in range(5)]
    pages, url = [], "/api/sessions?subject=P-1&limit=2"
    while url:
        r = client.get(url)
        assert r.headers["X-Total-Count"] == "5"
        pages.append([s["id"] for s in r.json()])
        url = r.links.get("next", {}).get("url")
    assert pages == [ids[:-3:-1], ids[-3:-5:-1], ids[:1]]
    params = {p["name"]: p["schema"] for p in client.get("/openapi.json").json()["paths"]["/api/sessions"]["get"]
              ["parameters"]}
    assert params["limit"]["default"] == 100 and params["limit"]["maximum"] == 1000
    assert client.get("/api/sessions", params={"limit": 1001}).status_code == 422


@pytest.mark.parametrize("find", [None, "p-"], ids=["all", "found"])
def test_subjects_come_in_pages_that_say_how_many_there_are(client: TestClient, store: Store, find: str | None) -> None:
    """GET /api/subjects answered every subject at once: a clinic's 2,000 were 278 kB and 1.5 s of a server
    thread, and grew with the clinic. It now answers 100 unless asked (at most 1000), with the total and the
    next page's link, as GET /api/sessions does; a search (``find``) too."""
    codes = [store.add_subject(f"P-{i}").pseudonym for i in range(5)]
    store.add_subject("Q-1")
    pages, url = [], "/api/subjects?limit=2" + (f"&find={find}" if find else "")
    while url:
        r = client.get(url)
        assert r.headers["X-Total-Count"] == ("5" if find else "6")
        pages.append([s["pseudonym"] for s in r.json()])
        url = r.links.get("next", {}).get("url")
    assert pages == [codes[:2], codes[2:4], codes[4:] + ([] if find else ["Q-1"])]
    assert len(client.get("/api/subjects?offset=7").json()) == 0
    params = {p["name"]: p["schema"] for p in client.get("/openapi.json").json()["paths"]["/api/subjects"]["get"]
              ["parameters"]}
    assert params["limit"]["default"] == 100 and params["limit"]["maximum"] == 1000


def test_subjects_by_their_last_session_the_longest_unseen_first(client: TestClient, store: Store,
                                                                  analysis: dict) -> None:
    """Whom a clinic should call back: ``?by=last``, kept on the next page's link; each says when it was."""
    for who, when in (("A-1", "2026-05-11T14:30:00Z"), ("B-2", "2026-01-15T10:00:00Z"), ("C-3", "2026-03-02T09:00:00Z")):
        store.save_analysis({**analysis, "created_utc": when}, subject=who)
    store.add_subject("D-4")
    pages, url = [], "/api/subjects?by=last&limit=3"
    while url:
        r = client.get(url)
        pages.append([(s["pseudonym"], s["last_session_utc"]) for s in r.json()])
        url = r.links.get("next", {}).get("url")
    assert pages == [[("B-2", "2026-01-15T10:00:00Z"), ("C-3", "2026-03-02T09:00:00Z"), ("A-1", "2026-05-11T14:30:00Z")],
                     [("D-4", None)]]
    assert client.get("/api/subjects?by=age").status_code == 422


def test_session_without_subject(client: TestClient, analysis: dict) -> None:
    r = client.post("/api/sessions", json={"analysis": analysis})
    assert r.status_code == 201 and r.json()["subject"] is None
    assert client.get("/api/subjects").json() == []


def test_a_whole_number_too_large_for_the_database_is_a_422(client: TestClient, analysis: dict) -> None:
    r = client.post("/api/sessions", json={"analysis": {**analysis, "frames": 10**30}, "subject": "P-1"})
    assert r.status_code == 422 and r.json()["detail"].startswith("analysis: frames: must be at most 10000000")
    assert client.get("/api/sessions").json() == [] and client.get("/api/subjects").json() == []


@pytest.mark.parametrize(
    ("pseudonym", "words"),
    [("18", "'18' is only digits, which names subject number 18"), ("#5", "starts with '#'"),
     ("\u200b", "shows no character"), ("\u00a0", "must not be empty")],
)
def test_a_pseudonym_that_is_a_number_form_or_shows_nothing_is_refused_in_words(
        client: TestClient, pseudonym: str, words: str) -> None:
    r = client.post("/api/subjects", json={"pseudonym": pseudonym})
    assert r.status_code == 422 and r.json()["detail"].startswith("pseudonym: ") and words in r.json()["detail"]
    assert "pattern" not in r.json()["detail"] and client.get("/api/subjects").json() == []


def test_the_number_form_of_a_subject_works_in_the_api(client: TestClient, analysis: dict) -> None:
    first = client.post("/api/subjects", json={"pseudonym": "P-1"}).json()["id"]
    assert client.get(f"/api/subjects/%23{first}").json()["pseudonym"] == "P-1"
    assert client.post("/api/sessions", json={"analysis": analysis, "subject": f"#{first}"}).json()["subject"] == "P-1"
    r = client.post("/api/sessions", json={"analysis": analysis, "subject": "#5"})
    assert r.status_code == 404 and "no subject '#5'" in r.json()["detail"]
    assert [s["pseudonym"] for s in client.get("/api/subjects").json()] == ["P-1"]
    assert client.delete(f"/api/subjects/%23{first}").json() == {"deleted": "P-1", "sessions_deleted": 1}


def test_the_same_finished_test_saved_twice_or_at_once_is_one_session(client: TestClient, analysis: dict) -> None:
    """Store audit F: a second save of a result_id answers 200 with the session, never a duplicate re-test."""
    from concurrent.futures import ThreadPoolExecutor

    from hiprom.live.processor import FinishedTest, ResultRegistry
    from hiprom.recording import LandmarkRecording

    results = client.app.state.results = ResultRegistry()
    recording = LandmarkRecording.load(Path(__file__).parents[2] / "samples" / "demo_seated_test.landmarks.npz")
    body = {"analysis": analysis, "result_id": results.add(FinishedTest(analysis, recording)), "subject": "LIVE-1"}
    first = client.post("/api/sessions", json=body)
    again = client.post("/api/sessions", json={**body, "subject": "LIVE-2"})
    assert (first.status_code, again.status_code) == (201, 200) and again.json() == first.json()
    assert again.json()["subject"] == "LIVE-1" and [s["id"] for s in client.get("/api/sessions").json()] == [
        first.json()["id"]]

    other = {**body, "result_id": results.add(FinishedTest(analysis, recording))}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: client.post("/api/sessions", json=other), range(4)))
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in answers}) == 1 and len(client.get("/api/sessions").json()) == 2

    client.delete(f"/api/sessions/{first.json()['id']}")  # deleted: the test can be saved afresh
    resaved = client.post("/api/sessions", json=body)
    assert resaved.status_code == 201 and resaved.json()["id"] > first.json()["id"]

    # A test of before a restart (the page kept it; this server never held it), saved from two tabs:
    # stored once, without its landmarks.
    kept = {**body, "result_id": "0123456789abcdef", "subject": "LIVE-3"}
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: client.post("/api/sessions", json=kept), range(2)))
    assert sorted(r.status_code for r in answers) == [200, 201] and answers[0].json() == answers[1].json()
    assert answers[0].json()["has_landmarks"] is False and resaved.json()["has_landmarks"] is True
    assert len(client.get("/api/sessions").json()) == 3


@pytest.mark.parametrize(("typed", "words"), [("42", "add a letter, such as P-42"), ("#7", "leave the '#' off")])
def test_an_unknown_subject_number_is_explained_without_the_file_or_a_command(
        client: TestClient, analysis: dict, store: Store, typed: str, words: str) -> None:
    """The page's Subject field: '42' names subject number 42; the answer says what to type instead."""
    r = client.post("/api/sessions", json={"analysis": analysis, "subject": typed})
    detail = r.json()["detail"]
    assert r.status_code == 404 and detail.startswith(f"subject: there is no subject '{typed}'") and words in detail
    assert store.where not in detail and "hiprom " not in detail, detail
    assert client.get("/api/sessions").json() == []


def test_a_session_csv_comes_with_semicolons_and_decimal_commas_when_asked(client: TestClient, analysis: dict) -> None:
    """Every CLI CSV has --csv-style semicolons (what a German or French Excel opens by a double-click); the
    server's download had no such choice, so a clinic there saw it as one column. ``?csv-style=`` as the option."""
    from typing import get_args

    from hiprom.tables import CSV_STYLES, CsvStyleName

    assert get_args(CsvStyleName) == tuple(CSV_STYLES)
    sid = client.post("/api/sessions", json={"analysis": analysis, "subject": "P-1"}).json()["id"]
    commas = client.get(f"/api/sessions/{sid}/export.csv").content.decode("utf-8-sig")
    semis = client.get(f"/api/sessions/{sid}/export.csv", params={"csv-style": "semicolons"}).content
    assert semis.startswith(b"\xef\xbb\xbfsession_id;")
    plain = list(csv.DictReader(io.StringIO(commas)))[0]
    european = list(csv.DictReader(io.StringIO(semis.decode("utf-8-sig")), delimiter=";"))[0]
    value = fmt(analysis["sides"]["left"]["internal_rotation_deg"])
    assert "." in value and european["left_internal_rotation_deg"] == value.replace(".", ",")
    assert european.keys() == plain.keys()
    trials = client.get(f"/api/sessions/{sid}/export.csv", params={"table": "trials", "csv-style": "semicolons"}).text
    assert trials.lstrip("\ufeff").startswith("session_id;")
    odd = client.get(f"/api/sessions/{sid}/export.csv", params={"csv-style": "tabs"})
    assert odd.status_code == 422 and odd.json()["detail"] == "csv-style: must be 'commas' or 'semicolons' (got 'tabs')"
