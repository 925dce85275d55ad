"""REST endpoints of reference readings and validation figures, on an app around a temporary store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient

from hiprom.server import ServerSettings, create_app
from hiprom.server.errors import one_line_validation_error
from hiprom.server.routes import records, references
from hiprom.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "store" / "data" / "analysis.json"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    app = FastAPI()
    app.include_router(records.router)
    app.include_router(references.router)
    app.add_exception_handler(RequestValidationError, one_line_validation_error)  # as create_app does
    app.state.store = Store(tmp_path / "hiprom.db")
    yield TestClient(app)
    app.state.store.close()


def _session(client: TestClient, subject: str = "P-1") -> int:
    analysis = json.loads(FIXTURE.read_text(encoding="utf-8"))
    r = client.post("/api/sessions", json={"analysis": analysis, "subject": subject})
    assert r.status_code == 201
    return r.json()["id"]


def test_the_app_mounts_the_reference_routes() -> None:
    app = create_app(ServerSettings(start_source=False))
    paths = set(app.openapi()["paths"])
    assert {"/api/sessions/{session_id}/references", "/api/references/import", "/api/validation"} <= paths


def test_a_reading_is_added_listed_and_deleted(client: TestClient) -> None:
    sid = _session(client)
    r = client.post(f"/api/sessions/{sid}/references",
                    json={"instrument": "goniometer", "rater": "A", "left_ir_deg": 32, "right_er_deg": 41})
    assert r.status_code == 201
    made = r.json()
    assert (made["session_id"], made["subject"], made["left_ir_deg"], made["left_er_deg"]) == (sid, "P-1", 32.0, None)
    assert [x["id"] for x in client.get(f"/api/sessions/{sid}/references").json()] == [made["id"]]
    assert [x["id"] for x in client.get("/api/references", params={"rater": "A"}).json()] == [made["id"]]
    assert client.get("/api/references", params={"instrument": "inclinometer"}).json() == []
    assert [x["id"] for x in client.get("/api/references", params={"subject": "P-1"}).json()] == [made["id"]]
    assert [x["id"] for x in client.get("/api/references", params={"subject": "p-1"}).json()] == [made["id"]]
    unknown = client.get("/api/references", params={"subject": "P-9"})  # was 200 and [], as if none were stored
    assert unknown.status_code == 404 and "no subject 'P-9'" in unknown.text
    assert client.delete(f"/api/references/{made['id']}").json() == {"deleted": made["id"]}
    assert client.delete(f"/api/references/{made['id']}").status_code == 404


@pytest.mark.parametrize(
    ("session", "body", "status", "detail"),
    [
        (None, {"instrument": "goniometer"}, 422, "at least one angle"),
        (None, {"instrument": "goniometer", "left_ir_deg": 500}, 422, "outside -30 to 120"),
        (None, {"instrument": "ruler", "left_ir_deg": 30}, 422, None),
        (999, {"instrument": "goniometer", "left_ir_deg": 30}, 404, "no session '999'"),
    ],
)
def test_bad_readings_are_refused_with_a_reason(client: TestClient, session: int | None, body: dict, status: int,
                                                detail: str | None) -> None:
    sid = session or _session(client)
    r = client.post(f"/api/sessions/{sid}/references", json=body)
    assert r.status_code == status
    if detail:
        assert detail in r.json()["detail"]
    assert client.get("/api/references").json() == []


def test_csv_import_is_all_or_nothing(client: TestClient) -> None:
    sid = _session(client)
    bad = f"session,instrument,left_ir\n{sid},goniometer,30\n{sid},goniometer,abc\n"
    r = client.post("/api/references/import", content=bad, headers={"content-type": "text/csv"})
    assert r.status_code == 422 and "row 3: left_ir_deg: 'abc'" in r.json()["detail"]
    assert client.get("/api/references").json() == []
    good = f"session,instrument,left_ir\n{sid},goniometer,30\n{sid},inclinometer,31\n"
    r = client.post("/api/references/import", content=good, headers={"content-type": "text/csv"})
    assert r.status_code == 201 and [x["instrument"] for x in r.json()] == ["goniometer", "inclinometer"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_csv_import_not_sent_as_csv_is_a_400_and_nothing_is_stored(client: TestClient, content_type) -> None:
    """Before, a text/plain body was imported (201): the type any site's form may post to this server unasked."""
    sid = _session(client)
    good = f"session,instrument,left_ir\n{sid},goniometer,30\n"
    r = client.post("/api/references/import", content=good, headers={"content-type": content_type} if content_type else {})
    assert r.status_code == 400 and r.json()["detail"] == ("the request body is not sent as CSV: send the CSV file with "
                                                            "Content-Type: text/csv")
    assert client.get("/api/references").json() == []
    r = client.post("/api/references/import", content=good, headers={"content-type": "text/csv; charset=utf-8"})
    assert r.status_code == 201


def test_csv_import_by_subject_and_date_takes_the_day_order_as_a_query(client: TestClient) -> None:
    """A sheet keyed by subject and visit day: 05/03/2026 alone could be 3 May; ?day_first=true settles it."""
    analysis = json.loads(FIXTURE.read_text(encoding="utf-8"))
    sid = client.app.state.store.save_analysis(analysis, subject="P-1", recorded_utc="2026-03-05T12:00:00Z").id
    sheet = "subject,date,instrument,left_ir\np-1,05/03/2026,goniometer,30\n"
    r = client.post("/api/references/import", content=sheet, headers={"content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["detail"].startswith("CSV: date: 05/03/2026 may be 5 March or 3 May")
    r = client.post("/api/references/import", params={"day_first": "true"}, content=sheet,
                    headers={"content-type": "text/csv"})
    assert r.status_code == 201 and [x["session_id"] for x in r.json()] == [sid]


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"session,instrument,left_ir,left_ir\n{sid},goniometer,30,40\n",
         "CSV: column 'left_ir' appears twice in the header; keep one"),
        (b"session,instrument,left_ir_deg,Left IR\n{sid},goniometer,30,40\n", "CSV: column 'Left IR' appears twice"),
        ("session,instrument,left_ir,notes\n{sid},goniometer,30,caf\u00e9\n".encode("latin-1"),
         "request: is not UTF-8 text; save the file as UTF-8"),
    ],
    ids=["same-name", "same-column-two-spellings", "latin-1"],
)
def test_a_csv_with_a_column_twice_or_not_utf8_is_refused_saying_what_to_do(client: TestClient, content: bytes,
                                                                            detail: str) -> None:
    sid = _session(client)
    r = client.post("/api/references/import", content=content.replace(b"{sid}", str(sid).encode()),
                    headers={"content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["detail"].startswith(detail) and "surrogate" not in r.text
    assert client.get("/api/references").json() == []


def test_an_unknown_instrument_filter_is_a_422_naming_the_instruments(client: TestClient) -> None:
    for path in ("/api/references", "/api/validation"):
        r = client.get(path, params={"instrument": "xyz"})
        assert r.status_code == 422
        assert r.json()["detail"] == "instrument: 'xyz' is unknown, expecting one of {goniometer, inclinometer, other}"
    assert client.get("/api/references", params={"instrument": "Goniometer"}).json() == []


def test_validation_figures_come_from_stored_pairs(client: TestClient) -> None:
    r = client.get("/api/validation")
    # A script asked what to do is told the API's way, not the page's button it does not have.
    assert r.status_code == 409 and r.json()["detail"] == (
        "0 pairs of hiprom and reference readings found; at least 3 are needed (store your instrument's readings "
        "of more saved tests: POST /api/sessions/{id}/references, or a CSV to /api/references/import)"), r.text
    ready = client.get("/api/validation/ready").json()["detail"]
    assert ready.endswith("with Add your instrument's readings)"), ready  # the page names its own form
    for i, ir in enumerate((30, 35, 40, 28)):
        sid = _session(client, f"S-{i}")
        client.post(f"/api/sessions/{sid}/references", json={"instrument": "goniometer", "left_ir_deg": ir})
    study = client.get("/api/validation", params={"instrument": "goniometer"}).json()
    assert study["kind"] == "agreement" and study["pooled"]["n"] == 4
    assert study["measures"]["left_internal"]["n"] == 4 and study["measures"]["right_internal"]["n"] == 0
    assert client.get("/api/validation", params={"retest": True}).status_code == 409
