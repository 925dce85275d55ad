"""Renaming a subject and moving a session through the records API, on a real server (both backends).

Before, these corrections were ``hiprom subjects rename`` and ``hiprom sessions move`` only: a
clinician at the page (or a clinic's own client of the API) had to go to a terminal, and
``PATCH /api/subjects/P-0024`` answered 405. The routes call the same store methods, so they
answer with the commands' rules and one-line messages.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings
from hiprom.store import Store

TOKEN = "edits-api-token-0123"


@pytest.fixture
def server(store: Store, db_url: str, fixture_analysis: dict) -> Iterator[httpx.Client]:
    """A server reachable from other machines (so a token is needed) on a store where P-0024 has session 1
    and P-0043 none; a client that carries the token."""
    store.save_analysis(fixture_analysis, subject="P-0024")
    store.add_subject("P-0043", name="Élise Dubois")
    settings = ServerSettings(source="demo", start_source=False, db=db_url, host="0.0.0.0", token=TOKEN)
    with serve_in_thread(settings) as url, httpx.Client(base_url=url, timeout=30,
                                                        headers={"X-Hiprom-Token": TOKEN}) as client:
        yield client


def test_a_subject_is_renamed_and_a_session_moved_as_the_commands_do(server: httpx.Client, store: Store) -> None:
    r = server.patch("/api/subjects/p-0024", json={"pseudonym": "P-0042"})
    assert r.status_code == 200
    assert {k: r.json()[k] for k in ("id", "pseudonym", "n_sessions")} == {"id": 1, "pseudonym": "P-0042",
                                                                           "n_sessions": 1}
    assert [s["id"] for s in server.get("/api/subjects/P-0042").json()["sessions"]] == [1]
    assert server.get("/api/subjects/P-0024").status_code == 404

    r = server.patch("/api/sessions/1", json={"subject": "#2"})  # by number, as everywhere
    assert r.status_code == 200
    moved = r.json()
    assert (moved["id"], moved["subject"], moved["subject_id"]) == (1, "P-0043", 2)
    assert moved["report_url"] == "/api/sessions/1/report.pdf"
    assert store.session(1, with_analysis=False).subject == "P-0043"  # what the CLI and the PDFs read
    left = server.get("/api/subjects/P-0042").json()
    assert (left["n_sessions"], left["sessions"]) == (0, [])  # the subject it left stays


REFUSED = [
    ("/api/subjects/P-0024", {"pseudonym": "p-0043"}, 409,
     "subject 'P-0043' already exists (pseudonyms that differ only in capitals or accents name one person); "
     "choose another pseudonym, or move the sessions of one to the other with PATCH /api/sessions/{id} and "
     '{"subject": "P-0043"}'),
    ("/api/subjects/P-0024", {"pseudonym": "P-0024"}, 422, "subject 'P-0024' has that pseudonym already; nothing changed"),
    ("/api/subjects/P-0024", {"pseudonym": "18"}, 422, "pseudonym: "),
    ("/api/subjects/P-0024", {"pseudonym": "x" * 65}, 422, "64 characters"),
    ("/api/subjects/P-0024", {}, 422, "pseudonym: "),
    ("/api/subjects/P-0024", {"pseudonym": "P-0042", "name": "Ann"}, 422, "name: "),
    ("/api/subjects/P-9999", {"pseudonym": "P-0042"}, 404, "no subject 'P-9999'; see GET /api/subjects"),
    ("/api/sessions/1", {"subject": "P-0024"}, 422, "session 1 is P-0024's already; nothing changed"),
    ("/api/sessions/1", {"subject": "P-0044"}, 404, "or add a new person first (POST /api/subjects)"),
    ("/api/sessions/1", {"subject": "#77"}, 404, "no subject '#77'; see GET /api/subjects"),
    ("/api/sessions/99", {"subject": "P-0043"}, 404, "no session '99'; see GET /api/sessions"),
    ("/api/sessions/1", {"subject": "P-0043", "operator": "J"}, 422, "operator: "),
]
"""Corrections refused: (path, body, status, part of the one-line detail). One server for them all."""


def test_a_correction_that_cannot_be_made_is_one_line_and_changes_nothing(server: httpx.Client, store: Store) -> None:
    for path, body, status, detail in REFUSED:
        r = server.patch(path, json=body)
        assert r.status_code == status and detail in r.json()["detail"], (path, body, r.text)
        assert "\n" not in r.json()["detail"]
        assert [(s.pseudonym, s.n_sessions) for s in store.subjects()] == [("P-0024", 1), ("P-0043", 0)]


def test_the_messages_are_the_commands_own(server: httpx.Client, db_url: str, hiprom) -> None:
    detail = server.patch("/api/subjects/P-0024", json={"pseudonym": "#5"}).json()["detail"]
    code, _, err = hiprom("subjects", "rename", "P-0024", "#5", "--db", db_url)
    said = err.strip().removeprefix("hiprom: error: ")
    assert code != 0 and detail.startswith(said), (detail, err)  # the API adds what it was given: (got '#5')
    # A clash or a record not found: the same words, but each caller is pointed where it can act (the
    # terminal at a command and the store's file, an API caller at a route and never at the server's
    # files). Before, the API's 409 told its caller to type 'hiprom sessions move' on the server.
    detail = server.patch("/api/subjects/P-0024", json={"pseudonym": "P-0043"}).json()["detail"]
    code, _, err = hiprom("subjects", "rename", "P-0024", "P-0043", "--db", db_url)
    refused = "subject 'P-0043' already exists; choose another pseudonym, or move the sessions of one to the other"
    assert code == 5 and err.strip() == f"hiprom: error: {refused} with 'hiprom sessions move N --subject ...'", err
    assert detail == refused + ' with PATCH /api/sessions/{id} and {"subject": "P-0043"}'
    assert "hiprom" not in detail
    detail = server.patch("/api/sessions/1", json={"subject": "P-0044"}).json()["detail"]
    code, _, err = hiprom("sessions", "move", "1", "--subject", "P-0044", "--db", db_url)
    assert code == 5 and "no subject 'P-0044' in " in err and "'hiprom subjects add P-0044'" in err, err
    assert detail == "no subject 'P-0044'; see GET /api/subjects, or add a new person first (POST /api/subjects)"


def test_a_correction_needs_the_token_and_this_servers_own_pages(server: httpx.Client, store: Store) -> None:
    url = str(server.base_url)
    assert httpx.patch(url + "/api/subjects/P-0024", json={"pseudonym": "P-0042"}).status_code == 401
    assert httpx.patch(url + "/api/sessions/1", json={"subject": "P-0043"}).status_code == 401
    evil = {"Origin": "http://evil.example"}
    assert server.patch("/api/subjects/P-0024", json={"pseudonym": "P-0042"}, headers=evil).status_code == 403
    assert server.patch("/api/sessions/1", json={"subject": "P-0043"}, headers=evil).status_code == 403
    assert [(s.pseudonym, s.n_sessions) for s in store.subjects()] == [("P-0024", 1), ("P-0043", 0)]
