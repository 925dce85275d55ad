"""Exercise endpoints on an app around a temporary store: catalogue, program, counted reps, re-test, trend."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hiprom.report.paper import PAPERS
from hiprom.server.routes import exercises, records
from hiprom.server.settings import ServerSettings
from hiprom.store import Store
from report.pdftools import pdf_pages

RESULT = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_external", "side": "left",
          "direction": "external", "dose": {"hold_s": 3, "reps": 10, "sets": 2}, "reps_done": 7, "reps_target": 20,
          "reps_refused": 1, "holds_s": [3.1], "peaks_deg": [30.2], "reps": []}


@pytest.fixture
def client(store: Store) -> TestClient:
    app = FastAPI()
    app.include_router(records.router)
    app.include_router(exercises.router)
    app.state.store = store
    app.state.settings = ServerSettings(paper="letter")  # a clinic in the US: `hiprom serve --paper letter`
    return TestClient(app)


def test_catalogue(client: TestClient) -> None:
    body = client.get("/api/exercises").json()
    assert body["safety"] and {"chair_rotation_internal", "chair_rotation_external"} <= {
        ex["id"] for ex in body["exercises"] if ex["camera_followed"]}


def test_program_suggested_edited_printed_and_reset(client: TestClient, analysis: dict, tmp_path: Path) -> None:
    sid = client.post("/api/sessions", json={"analysis": analysis, "subject": "P-1"}).json()["id"]
    recs = client.get(f"/api/sessions/{sid}/recommendations").json()
    assert [(r["exercise"], r["side"]) for r in recs] == [(r["exercise"], r["side"]) for r in analysis["recommendations"]]
    assert recs[0]["name"] and recs[0]["dose"]["reps"] >= 1

    program = client.get(f"/api/sessions/{sid}/program").json()
    assert program["edited"] is False and len(program["items"]) == len(recs)
    assert program["pdf_url"] == f"/api/sessions/{sid}/program.pdf"

    program["items"] = program["items"][:1]
    program["items"][0]["dose"] = {"hold_s": 5, "reps": 6, "sets": 1}
    program["notes"] = "Mornings."
    saved = client.put(f"/api/sessions/{sid}/program", json=program)
    assert saved.status_code == 200 and saved.json()["edited"] is True
    again = client.get(f"/api/sessions/{sid}/program").json()
    assert again["items"][0]["dose"] == {"hold_s": 5, "reps": 6, "sets": 1} and again["notes"] == "Mornings."

    bad = client.put(f"/api/sessions/{sid}/program", json={"items": [{"exercise": "cartwheel", "side": "left"}]})
    assert bad.status_code == 422 and "unknown exercise 'cartwheel'" in bad.json()["detail"]
    assert client.put("/api/sessions/999/program", json={"items": []}).status_code == 404

    pdf = client.get(f"/api/sessions/{sid}/program.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    a4 = client.get(f"/api/sessions/{sid}/program.pdf?paper=A4")  # any case, as `--paper A4` takes it
    assert a4.status_code == 200, a4.text
    for response, sheet in ((pdf, "letter"), (a4, "a4")):  # the server's paper, or the one asked for (A4 always)
        (tmp_path / f"{sheet}.pdf").write_bytes(response.content)
        assert [(p.width_pt, p.height_pt) for p in pdf_pages(tmp_path / f"{sheet}.pdf")] == [pytest.approx(PAPERS[sheet].size_pt, abs=0.5)]
    for url in ("program.pdf", "report.pdf"):  # a paper neither route knows: 422 before anything is drawn
        wrong = client.get(f"/api/sessions/{sid}/{url}?paper=a3")
        assert wrong.status_code == 422
        assert wrong.json() == {"detail": "unknown paper 'a3', expecting one of {a4, letter}"}
        assert client.get(f"/api/sessions/{sid}/{url}?paper=").status_code == 422  # as the API's schema says:
        described = [p for p in client.get("/openapi.json").json()["paths"][f"/api/sessions/{{session_id}}/{url}"]
                     ["get"]["parameters"] if p["name"] == "paper"]
        assert re.fullmatch(described[0]["schema"]["pattern"], "Letter") and not re.fullmatch(
            described[0]["schema"]["pattern"], "")  # a client learns the names from it, and a fuzzer too

    assert client.delete(f"/api/sessions/{sid}/program").json() == {"deleted": True}
    assert client.get(f"/api/sessions/{sid}/program").json()["edited"] is False

    client.put(f"/api/sessions/{sid}/program", json={"items": []})
    empty = client.get(f"/api/sessions/{sid}/program.pdf")
    assert empty.status_code == 422 and "home program is empty" in empty.json()["detail"]


def test_counted_exercise_retest_and_trend(client: TestClient, analysis: dict, filmed_again) -> None:
    test = client.post("/api/sessions", json={"analysis": analysis, "subject": "P-2"}).json()["id"]
    after = filmed_again(analysis)
    after["created_utc"] = analysis["created_utc"]
    after["sides"]["left"]["external_rotation_deg"] += 15.0
    retest_id = client.post("/api/sessions", json={"analysis": after, "subject": "P-2"}).json()["id"]

    assert client.post(f"/api/sessions/{test}/exercise-results", json=RESULT).status_code == 201
    assert client.post(f"/api/sessions/{test}/exercise-results", json={**RESULT, "exercise": "x"}).status_code == 422
    assert client.post(f"/api/sessions/{test}/exercise-results", json={**RESULT, "exercise": [1]}).status_code == 422
    assert client.post(f"/api/sessions/{test}/exercise-results", json={**RESULT, "schema": "y"}).status_code == 422
    done = client.get(f"/api/sessions/{test}/exercise-results").json()
    assert [r["reps_done"] for r in done] == [7]

    table = client.get(f"/api/sessions/{retest_id}/retest").json()  # same subject, same day: the test before
    assert table["before"] == test and table["schema"] == "hiprom.retest/1"
    assert table["heading"] == "before and after the exercises"  # the PDF's words: exercises counted with #test
    row = next(r for r in table["rows"] if (r["side"], r["measure"]) == ("left", "external_rotation"))
    assert row["verdict"] == "improved" and row["change_deg"] == 15.0
    assert client.get(f"/api/sessions/{test}/retest").status_code == 404  # nothing earlier that day
    later = client.get(f"/api/sessions/{test}/retest", params={"before": retest_id})
    assert later.status_code == 422
    assert f"session {retest_id} was recorded after session {test}" in later.json()["detail"]
    stranger = client.post("/api/sessions", json={"analysis": analysis, "subject": "P-3"}).json()["id"]
    mixed = client.get(f"/api/sessions/{stranger}/retest", params={"before": test})
    assert mixed.status_code == 422 and f"session {test} is of subject P-2" in mixed.json()["detail"]
    itself = client.get(f"/api/sessions/{test}/retest", params={"before": test})
    assert itself.status_code == 422 and f"session {test} cannot be compared with itself" in itself.json()["detail"]
    again = client.post("/api/sessions", json={"analysis": analysis, "subject": "P-3"}).json()["id"]
    once = client.get(f"/api/sessions/{again}/retest", params={"before": stranger})  # one recording, twice
    assert once.status_code == 422 and f"sessions {stranger} and {again} are analyses of one recording" in once.json()[
        "detail"]
    assert client.get(f"/api/sessions/{again}/retest").status_code == 404  # no test of its own before it

    visits = client.get("/api/subjects/P-2/trend").json()["visits"]
    assert [v["session_id"] for v in visits] == [test, retest_id]
    assert visits[0]["exercises_done"][0]["reps_done"] == 7
    assert visits[1]["since_first"]["left"]["external_rotation"] == "improved"



def test_the_trend_keeps_its_figures_when_a_clinics_catalogue_file_cannot_be_read(client: TestClient, analysis: dict,
                                                                                tmp_path: Path, monkeypatch) -> None:
    """The visits list asks the trend; with the clinic's catalogue file broken it was a 501, and the page listed no
    visits at all, though only the exercises' names come from that file. The figures stay; an exercise is named by
    its id."""
    sid = client.post("/api/sessions", json={"analysis": analysis, "subject": "P-4"}).json()["id"]
    assert client.post(f"/api/sessions/{sid}/exercise-results", json=RESULT).status_code == 201
    broken = tmp_path / "clinic.toml"
    broken.write_text("[[exercise]\nid = ", encoding="utf-8")
    monkeypatch.setenv("HIPROM_EXERCISES", str(broken))
    r = client.get("/api/subjects/P-4/trend")
    assert r.status_code == 200, r.text
    assert [v["session_id"] for v in r.json()["visits"]] == [sid]
    assert r.json()["words"]["done"][str(sid)].startswith("reps done: chair_rotation_external, left leg: 7 of 20")


def test_a_patients_own_store_lists_every_test_as_theirs(client: TestClient, analysis: dict, filmed_again) -> None:
    """At home a self-test is saved without a pseudonym, so a re-test weeks after the first had no earlier test to be
    listed beside: the visits were a person's only. On a patient's own store every test is theirs (``/api/trend``),
    the clinic's test their program came with included, ↑ ↓ marked since the first; a clinic's store says to ask
    for one person's."""
    clinics = client.post("/api/sessions", json={"analysis": analysis, "subject": "P-0042"}).json()["id"]
    first = client.post("/api/sessions", json={"analysis": filmed_again(analysis)}).json()["id"]
    better = filmed_again(analysis)
    better["sides"]["left"]["external_rotation_deg"] += 15.0
    later = client.post("/api/sessions", json={"analysis": better}).json()["id"]
    own = client.get("/api/trend")
    assert own.status_code == 200, own.text
    assert [v["session_id"] for v in own.json()["visits"]] == [clinics, first, later]
    assert own.json()["visits"][2]["since_first"]["left"]["external_rotation"] == "improved"
    assert [v["session_id"] for v in client.get("/api/subjects/P-0042/trend").json()["visits"]] == [clinics]
    # The MDC's words to a patient: the published figure, nothing of a clinic's re-tested subjects.
    legend = own.json()["words"]["notes"][-1]
    assert "Published minimal detectable change of seated goniometry, 6–9°." in legend and "clinic" not in legend

    for _ in range(2):  # a second person, tested twice
        client.post("/api/sessions", json={"analysis": filmed_again(analysis), "subject": "P-0043"})
    refused = client.get("/api/trend")
    assert refused.status_code == 409 and "/api/subjects/{subject}/trend" in refused.json()["detail"], refused.text
    legend = client.get("/api/subjects/P-0043/trend").json()["words"]["notes"][-1]
    assert "(this clinic has re-tested 1 of the 20 subjects needed to use its own)" in legend, legend  # a clinic's
