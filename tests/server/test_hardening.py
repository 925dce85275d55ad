"""Issue 12 against a real uvicorn server: bounded requests, odd text, headers, origins, contained errors.

Every test here reproduces one finding of the hardening review (an attacker
or a clumsy user on 127.0.0.1) and checks what a user now sees instead.
"""

from __future__ import annotations

import copy
import json
import logging
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from hiprom.server import ServerSettings
from hiprom.server.runner import serve_in_thread


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server with a records store and no live source (what the records API needs)."""
    db = tmp_path_factory.mktemp("records") / "records.db"
    with serve_in_thread(ServerSettings(start_source=False, db=str(db))) as url:
        yield url


def raw_exchange(url: str, requests: list[bytes], timeout: float = 20.0) -> list[bytes]:
    """Send each request on ONE keep-alive connection and read each answer (status line and body)."""
    parts = urlsplit(url)
    answers = []
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        reader = sock.makefile("rb")
        for request in requests:
            sock.sendall(request)
            status = reader.readline()
            headers = {}
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = reader.read(int(headers.get("content-length", "0")))
            answers.append(status + body)
    return answers


def n_sessions(url: str) -> int:
    return len(httpx.get(url + "/api/sessions").json())


def get(path: str, host: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


# -- item 1: request bodies and trials are bounded --------------------------------------


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(server):
    host = urlsplit(server).netloc
    for size_mb in (10, 50, 200):  # the review's bodies: all were accepted, memory 220 -> 798 MB
        head = (f"POST /api/sessions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {size_mb * 1024 * 1024}\r\n\r\n").encode()
        (answer,) = raw_exchange(server, [head])
        assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
        detail = json.loads(answer.split(b"\r\n", 1)[1])["detail"]
        assert "larger than 8 MB" in detail and "\n" not in detail
    assert httpx.get(server + "/health").status_code == 200


def test_a_chunked_body_is_cut_off_at_the_limit(server):
    def chunks():
        block = b" " * (1024 * 1024)
        for _ in range(9):  # 9 MB of JSON whitespace, no Content-Length
            yield block

    r = httpx.post(server + "/api/sessions", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "larger than 8 MB" in r.json()["detail"]


def _answer_of(sock: socket.socket, deadline_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes ``sock`` (or ``deadline_s`` passes), and when it closed."""
    start, answer = time.monotonic(), b""
    sock.settimeout(0.5)
    while time.monotonic() - start < deadline_s:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        if not data:
            return answer, time.monotonic() - start
        answer += data
    raise AssertionError(f"the connection was still open after {deadline_s} s: {answer[:200]!r}")


def test_a_request_whose_headers_trickle_in_or_never_come_is_closed_with_408(server, monkeypatch):
    """Before, uvicorn held such a connection for ever (25 s of a header line a second: still open)."""
    from hiprom.server import protocol

    monkeypatch.setattr(protocol, "HEAD_TIMEOUT_S", 1.0)
    parts = urlsplit(server)
    with socket.create_connection((parts.hostname, parts.port)) as trickled, \
            socket.create_connection((parts.hostname, parts.port)) as silent:
        trickled.sendall(f"GET /api/sessions HTTP/1.1\r\nHost: {parts.netloc}\r\n".encode())
        trickled.settimeout(0.3)
        for _ in range(50):  # a header line every 0.3 s, for up to 15 s
            try:
                answer = trickled.recv(65536)
                break
            except socket.timeout:
                trickled.sendall(b"X-Slow: 1\r\n")
        else:
            raise AssertionError("a request trickling its headers in for 15 s was never answered")
        answer += _answer_of(trickled, 15.0)[0]
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert "did not arrive within 1 s" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]
        assert _answer_of(silent, 15.0)[0].startswith(b"HTTP/1.1 408")
    # A kept-alive connection idle between requests longer than that is not cut: only a request under way is.
    request = get("/health", parts.netloc)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        reader = sock.makefile("rb")
        for _ in range(2):
            sock.sendall(request)
            assert reader.readline().startswith(b"HTTP/1.1 200")
            while reader.readline() not in (b"\r\n", b""):
                pass
            reader.read(len(httpx.get(server + "/health").content))
            time.sleep(1.5)


def test_a_pipelined_request_waiting_behind_a_slow_answer_does_not_cut_it(server, monkeypatch):
    """The next request's head waits while an earlier one is answered: its deadline starts again, no 408 in between."""
    from hiprom.server import protocol
    from hiprom.store import Store

    subjects = Store.subjects_counted  # what GET /api/subjects reads

    def slow(self, *args, **kwargs):
        time.sleep(2.5)  # an answer that takes longer than the deadline (a PDF takes 3-10 s)
        return subjects(self, *args, **kwargs)

    monkeypatch.setattr(protocol, "HEAD_TIMEOUT_S", 1.0)
    monkeypatch.setattr(Store, "subjects_counted", slow)
    parts = urlsplit(server)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(get("/api/subjects", parts.netloc) + b"GET /health HTTP/1.1\r\nHost: x")  # the second, unfinished
        answer, _ = _answer_of(sock, 20.0)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert answer.count(b"HTTP/1.1 ") == 2 and b"HTTP/1.1 408" in answer.split(b"\r\n\r\n[", 1)[1], answer[:400]


def _trickle(url: str, head: str, byte: bytes, deadline_s: float = 15.0) -> bytes:
    """Send ``head`` then ``byte`` every 0.3 s until the server answers and closes; everything it sent."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(head.replace("HOST", parts.netloc).encode())
        sock.settimeout(0.3)
        start = time.monotonic()
        while time.monotonic() - start < deadline_s:
            try:
                answer = sock.recv(65536)
                break
            except socket.timeout:
                sock.sendall(byte)
        else:
            raise AssertionError(f"a body trickling in for {deadline_s} s was never answered")
        return answer + _answer_of(sock, deadline_s)[0]


@pytest.mark.parametrize("head, byte", [
    ("POST /api/references/import HTTP/1.1\r\nHost: HOST\r\nContent-Type: text/csv\r\nContent-Length: 5000\r\n\r\n",
     b"s"),
    ("POST /api/sessions HTTP/1.1\r\nHost: HOST\r\nContent-Type: application/json\r\n"
     "Transfer-Encoding: chunked\r\n\r\n", b"1\r\n \r\n"),
], ids=["content-length", "chunked"])
def test_a_body_that_trickles_in_is_closed_with_408(server, monkeypatch, head, byte):
    """Before, a declared body sent a byte a second held the connection as long as the client liked (40 s: open)."""
    from hiprom.server import protocol

    monkeypatch.setattr(protocol, "BODY_GRACE_S", 1.0)
    before = n_sessions(server)
    answer = _trickle(server, head, byte)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    detail = json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]
    assert "body came too slowly" in detail and "send it at once" in detail
    assert n_sessions(server) == before and httpx.get(server + "/health").status_code == 200


def _readings_csv(server: str, analysis: dict, rows: int) -> tuple[str, str]:
    """A session of a subject of its own and a CSV of ``rows`` readings of it (the reference readings import)."""
    subject = f"CSV-{rows}"
    sid = httpx.post(server + "/api/sessions", json={"analysis": analysis, "subject": subject}, timeout=60).json()["id"]
    return subject, "session,instrument,left_ir,right_er,notes\n" + "".join(
        f"{sid},goniometer,31.5,40.5,measurement {i} of the seated test with the long arm goniometer by rater A\n"
        for i in range(rows))


def test_a_large_upload_held_back_by_the_server_is_not_cut(server, monkeypatch, analysis):
    """Only the time the server waits for the client counts: a body the app does not take yet (uvicorn pauses
    reading), or one pipelined behind a slow answer, is not cut however long that takes."""
    import asyncio

    from hiprom.server import protocol
    from hiprom.server.limits import BodyLimit
    from hiprom.store import Store

    monkeypatch.setattr(protocol, "BODY_GRACE_S", 1.0)
    monkeypatch.setattr(protocol, "MIN_BODY_RATE_BPS", 10**12)  # the grace alone: 1 s of waiting for the client
    subject, csv_text = _readings_csv(server, analysis, 2000)  # 200 KB: more than uvicorn buffers (64 KB) before it pauses reading
    assert len(csv_text) > 3 * 65536
    bounded = BodyLimit.__call__

    async def busy_app(self, scope, receive, send):  # the app takes the body 2.5 s late (a busy server)
        await asyncio.sleep(2.5)
        await bounded(self, scope, receive, send)

    monkeypatch.setattr(BodyLimit, "__call__", busy_app)
    r = httpx.post(server + "/api/references/import", content=csv_text.encode(),
                   headers={"Content-Type": "text/csv"}, timeout=120)
    assert r.status_code == 201 and len(r.json()) == 2000, r.text[:200]
    monkeypatch.setattr(BodyLimit, "__call__", bounded)
    subjects = Store.subjects_counted  # what GET /api/subjects reads

    def slow(self, *args, **kwargs):
        time.sleep(2.5)
        return subjects(self, *args, **kwargs)

    monkeypatch.setattr(Store, "subjects_counted", slow)
    parts = urlsplit(server)
    body = b'{"analysis": {}' + b" " * 300_000 + b"}"  # read whole, then refused at once (422)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(get("/api/subjects", parts.netloc) + (
            f"POST /api/sessions HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body)
        answer, _ = _answer_of(sock, 60.0)
    assert answer.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 422" in answer, answer[:300]
    assert httpx.delete(f"{server}/api/subjects/{subject}", timeout=60).status_code == 200


def test_headers_over_64_kb_are_a_431_and_an_address_that_long_a_400_in_the_apis_shape(server):
    """Before, a 200 KB header was read whole and answered 200; a 100 KB address was a plain-text 400."""
    parts = urlsplit(server)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(f"GET /api/sessions HTTP/1.1\r\nHost: {parts.netloc}\r\nX-Big: ".encode() + b"a" * 200_000
                     + b"\r\n\r\n")
        answer, _ = _answer_of(sock, 15.0)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert "larger than 64 KB" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]
    assert httpx.get(server + "/api/sessions", headers={"X-Fine": "a" * 8000}).status_code == 200
    with socket.create_connection((parts.hostname, parts.port)) as sock:  # before: 400 "Invalid HTTP request received."
        sock.sendall(b"GET /api/sessions?" + b"a" * 100_000 + f" HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        answer, _ = _answer_of(sock, 15.0)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert "longer than 64 KB" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]


def test_an_analysis_with_more_than_1000_trials_is_refused(server, analysis):
    analysis["trials"] = analysis["trials"] * (1001 // len(analysis["trials"]) + 1)
    before = n_sessions(server)
    r = httpx.post(server + "/api/sessions", json={"analysis": analysis})
    assert r.status_code == 422
    assert r.json()["detail"].startswith(f"analysis: trials: {len(analysis['trials'])} trials, at most 1000")
    assert n_sessions(server) == before


# -- item 3: a malformed analysis is refused with the field named -------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda a: a.update(quality="x"), "quality"),
        (lambda a: a.update(norms="x"), "norms"),
        (lambda a: a["asymmetry"].update(total_arc_deg="x"), "asymmetry.total_arc_deg"),
        (lambda a: a["asymmetry"].update(flagged_measures=5), "asymmetry.flagged_measures"),
        (lambda a: a["series"].update(t_s="abc"), "series.t_s"),
    ],
    ids=["quality", "norms", "asymmetry-arc", "flagged-measures", "series-t"],
)
def test_a_malformed_analysis_is_422_naming_the_field_and_nothing_is_stored(server, analysis, change, field):
    change(analysis)
    before = n_sessions(server)
    r = httpx.post(server + "/api/sessions", json={"analysis": analysis})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"analysis: {field}: ")
    assert n_sessions(server) == before


def test_added_fields_of_later_versions_pass_and_are_kept(server, analysis):
    analysis["camera"] = {"yaw_deg": 12.0, "height_m": 0.8, "distance_m": None, "lens": "wide"}
    analysis["recommendations"] = [{"exercise": "clamshell", "side": "left", "direction": "internal",
                                    "reason": "low", "dose": "x"}]
    analysis["asymmetry"]["verdicts"] = {"total_arc": "inconclusive"}
    analysis["future_block"] = {"anything": [1, 2]}
    r = httpx.post(server + "/api/sessions", json={"analysis": analysis, "subject": "EXTRA"})
    assert r.status_code == 201, r.text
    shown = httpx.get(f"{server}/api/sessions/{r.json()['id']}").json()["analysis"]
    assert shown["recommendations"][0]["dose"] == "x" and shown["camera"]["lens"] == "wide"
    assert shown["asymmetry"]["verdicts"] == {"total_arc": "inconclusive"}
    assert shown["future_block"] == {"anything": [1, 2]}
    httpx.delete(server + "/api/subjects/EXTRA")


@pytest.mark.parametrize("field, value", [
    ("camera", {"yaw_deg": "left"}),
    ("recommendations", [{"exercise": "clamshell"}]),
    ("asymmetry.verdicts", {"total_arc": "different"}),
])
def test_known_new_fields_are_checked(server, analysis, field, value):
    block, _, key = field.rpartition(".")
    (analysis[block] if block else analysis)[key] = value
    r = httpx.post(server + "/api/sessions", json={"analysis": analysis, "subject": "BAD"})
    assert r.status_code == 422 and key in r.json()["detail"], r.text


# -- item 5: odd text is a 4xx, never a 500 ----------------------------------------------


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def test_unicode_digits_are_not_numbers(server):
    assert httpx.get(server + "/api/subjects/¹²³").status_code == 404
    assert httpx.get(server + "/api/sessions", params={"subject": "¹²³"}).status_code == 404
    assert httpx.get(server + "/api/sessions/¹²³").status_code == 422
    assert httpx.delete(server + "/api/subjects/١٢٣").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (lambda a: {"analysis": {**a, "created_utc": "9999-12-31T23:59:59-23:59"}}, 422, "created_utc"),
        (lambda a: {"analysis": a, "settings": _nested(500)}, 422, "nested more than 32 levels"),
        (lambda a: {"analysis": {**a, "extra": _nested(500)}}, 422, "nested more than 32 levels"),
        (lambda a: {"analysis": a, "subject": "P\ud800x"}, 422, "subject: must be valid Unicode text"),
        (lambda a: {"analysis": a, "operator": "\udcff"}, 422, "operator: must be valid Unicode text"),
        (lambda a: {"analysis": {**a, "source": "clip\ud800.mp4"}}, 422, "source: text holds '\\ud800', a lone surrogate"),
    ],
    ids=["created-overflow", "deep-settings", "deep-analysis", "surrogate-subject", "surrogate-operator",
         "surrogate-in-analysis"],
)
def test_odd_text_in_a_session_is_a_422(server, analysis, body, status, words):
    payload = json.dumps(body(analysis), ensure_ascii=True)  # lone surrogates travel as \ud800 escapes
    r = httpx.post(server + "/api/sessions", content=payload, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


@pytest.mark.parametrize(  # each depth and text in the store's own test (tests/store/test_programs.py)
    ("change", "words"),
    [({"reps": [_nested(300)]}, "nested more than 32 levels"),
     ({"extra": "\ud800"}, "exercise result: extra: text holds '\\ud800', a lone surrogate")],
    ids=["reps-300-deep", "lone-surrogate"],
)
def test_an_odd_exercise_result_is_a_422_and_nothing_is_stored(server, analysis, change, words):
    sid = httpx.post(server + "/api/sessions", json={"analysis": analysis}).json()["id"]
    result = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_external", "side": "left",
              "direction": "external", "reps_done": 2, "reps_target": 20, "reps": [], **change}
    r = httpx.post(f"{server}/api/sessions/{sid}/exercise-results", content=json.dumps(result, ensure_ascii=True),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"] and len(r.text) < 2000
    listed = httpx.get(f"{server}/api/sessions/{sid}/exercise-results")
    assert listed.status_code == 200 and listed.json() == []


def test_a_lone_surrogate_in_a_program_reason_is_a_422(server, analysis):
    sid = httpx.post(server + "/api/sessions", json={"analysis": analysis}).json()["id"]
    item = {"exercise": "chair_rotation_external", "side": "left", "reason": "\ud800"}
    r = httpx.put(f"{server}/api/sessions/{sid}/program", content=json.dumps({"items": [item]}, ensure_ascii=True),
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("program item 1: reason: text holds '\\ud800', a lone surrogate")


def test_a_lone_surrogate_pseudonym_and_deep_raw_json_are_4xx(server):
    r = httpx.post(server + "/api/subjects", content=b'{"pseudonym": "P\\ud800x", "name": "\\udcff"}',
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"].startswith("pseudonym: must be valid Unicode text")
    deep = b"[" * 100_000 + b"]" * 100_000
    r = httpx.post(server + "/api/sessions", content=deep, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500


def test_a_500_answers_in_one_line_and_the_connection_serves_the_next_request(server, monkeypatch):
    from hiprom.store import Store

    def broken(self, *args, **kwargs):
        raise RuntimeError("a bug the tests put here")

    monkeypatch.setattr(Store, "subjects_counted", broken)  # what GET /api/subjects reads
    host = urlsplit(server).netloc
    failed, after = raw_exchange(server, [get("/api/subjects", host), get("/health", host)])
    assert failed.startswith(b"HTTP/1.1 500")
    assert b"internal error" in failed and b"RuntimeError" not in failed
    assert after.startswith(b"HTTP/1.1 200") and b'"status":"ok"' in after


# -- item 9: headers, origins, /ws/camera, OpenAPI ----------------------------------------


def test_the_page_sends_security_headers(server):
    from hiprom.server.security import PAGE_CSP

    r = httpx.get(server + "/")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == PAGE_CSP and "frame-ancestors 'none'" in PAGE_CSP
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert httpx.get(server + "/api/info").headers["x-content-type-options"] == "nosniff"


def test_health_data_is_never_kept_in_the_browsers_cache(server, analysis):
    """Before, sessions, exports and reports were sent without Cache-Control: a browser kept them in its disk cache."""
    sid = httpx.post(server + "/api/sessions", json={"analysis": analysis, "subject": "CACHE"}).json()["id"]
    for path in ("/api/sessions", f"/api/sessions/{sid}", f"/api/sessions/{sid}/export.csv", "/api/subjects/CACHE",
                 "/api/sessions/99999", "/api/live"):
        r = httpx.get(server + path)
        assert r.headers.get("cache-control") == "no-store", (path, r.status_code, r.headers.get("cache-control"))
    assert httpx.get(server + "/").headers["cache-control"] == "no-cache"  # the page sets its own: no health data
    assert "no-store" not in httpx.get(server + "/static/main.js").headers.get("cache-control", "")
    httpx.delete(server + "/api/subjects/CACHE")


def test_the_origin_check_includes_the_scheme(server):
    host = urlsplit(server).netloc
    body = {"pseudonym": "ORIGIN-1"}
    assert httpx.post(server + "/api/subjects", json=body, headers={"Origin": f"https://{host}"}).status_code == 403
    assert httpx.post(server + "/api/subjects", json=body, headers={"Origin": f"http://{host}"}).status_code == 201
    assert httpx.delete(server + "/api/subjects/ORIGIN-1", headers={"Origin": f"ftp://{host}"}).status_code == 403


def test_openapi_lists_the_error_statuses_with_the_shape_sent(server, analysis):
    spec = httpx.get(server + "/openapi.json", timeout=60).json()
    error = {"$ref": "#/components/schemas/ErrorBody"}
    post = spec["paths"]["/api/sessions"]["post"]["responses"]
    for status in ("400", "401", "403", "404", "409", "413", "422", "503"):
        assert post[status]["content"]["application/json"]["schema"] == error, status
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    r = httpx.post(server + "/api/sessions", json={"analysis": analysis, "subject": "x" * 65})
    assert r.status_code == 422 and r.json()["detail"] == "subject: at most 64 characters, but got 65"


@pytest.mark.model
def test_a_camera_picture_over_4_mb_closes_the_socket_with_1009_and_says_why(live_server, model_path):
    from websockets.sync.client import connect

    from .helpers import read_until_closed, recv_until, ws_url

    with live_server(start_source=False) as url, connect(ws_url(url, "/ws/camera"), max_size=None,
                                                        open_timeout=10) as ws:
        recv_until(ws, lambda m: m["status"]["code"] == "ok", timeout=120)
        ws.send(b"\xff\xd8" + b"\0" * (5 * 1024 * 1024))  # 5 MB: was dropped without a word
        closed = read_until_closed(ws)
        assert closed.code == 1009 and "over 4 MB was refused" in closed.reason


@pytest.mark.parametrize("size_mb", [5, 20])
def test_a_websocket_message_over_4_mb_is_refused_with_a_close_that_says_why(live_server, size_mb):
    """uvicorn took messages up to 16 MB: 5 MB of anything on /ws/live was read whole and the socket stayed open
    (four such clients held 64 MB), and one over 16 MB was closed 'frame exceeds limit of 16777216 bytes'."""
    from websockets.sync.client import connect

    from .helpers import read_until_closed, recv_json, ws_url

    with live_server(loop=True) as url, connect(ws_url(url, "/ws/live"), max_size=None, open_timeout=30) as ws:
        assert recv_json(ws, timeout=30)["type"] in ("frame", "status")
        ws.send(b"x" * (size_mb * 1024 * 1024))
        closed = read_until_closed(ws)
    assert closed.code == 1009
    assert closed.reason == ("A message over 4 MB was refused: send one camera picture at a time, "
                                        "at a lower resolution or JPEG quality.")


# -- item 1: a report stops when its client goes ----------------------------------------------


def test_a_report_stops_rendering_when_the_client_goes(server, analysis, caplog):
    pytest.importorskip("weasyprint")
    big = copy.deepcopy(analysis)
    big["trials"] = (big["trials"] * 1000)[:1000]
    sid = httpx.post(server + "/api/sessions", json={"analysis": big}).json()["id"]
    caplog.set_level(logging.INFO, logger="hiprom.server")
    with pytest.raises(httpx.TimeoutException):
        httpx.get(f"{server}/api/sessions/{sid}/report.pdf", timeout=0.3)
    deadline = time.monotonic() + 120
    wanted = f"stopped rendering the report of session {sid}: the client has gone"
    while wanted not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.2)
    assert wanted in caplog.text
    r = httpx.get(f"{server}/api/sessions/{sid}/report.pdf", timeout=300)  # a patient client still gets it
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_the_home_program_and_agreement_pdfs_wait_their_turn_and_stop_when_the_client_goes(server, analysis,
                                                                                         filmed_again, caplog):
    """Only a session's report waited its turn (two PDFs at once, each a CPU and some 100 MB) and stopped when its
    client left: the home program's and the agreement report's PDFs were each made at once, in as many threads as
    were asked for, and finished for a client long gone. With two long reports being made, each now waits, and a
    client that gives up stops it; a patient one still gets it."""
    import threading

    pytest.importorskip("weasyprint")
    big = copy.deepcopy(analysis)
    big["trials"] = (big["trials"] * 1000)[:1000]  # a report of some seconds
    slow = httpx.post(server + "/api/sessions", json={"analysis": big}).json()["id"]
    sessions = [httpx.post(server + "/api/sessions", json={"analysis": filmed_again(analysis),
                                                           "subject": f"AGREE-{i}"}).json()["id"] for i in range(4)]
    for sid, ir in zip(sessions, (30, 35, 40, 28)):
        r = httpx.post(f"{server}/api/sessions/{sid}/references", json={"instrument": "other", "left_ir_deg": ir,
                                                                        "rater": "turn-test"})
        assert r.status_code == 201, r.text
    caplog.set_level(logging.INFO, logger="hiprom.server")
    busy = [threading.Thread(target=httpx.get, args=(f"{server}/api/sessions/{slow}/report.pdf",),
                             kwargs={"timeout": 300}) for _ in range(2)]
    for thread in busy:
        thread.start()
    time.sleep(1.0)  # both report slots taken
    program, agreement = f"{server}/api/sessions/{sessions[0]}/program.pdf", f"{server}/api/validation.pdf"
    for url, params in ((program, {}), (agreement, {"instrument": "other", "rater": "turn-test"})):
        with pytest.raises(httpx.TimeoutException):
            httpx.get(url, params=params, timeout=0.3)
    deadline = time.monotonic() + 120
    wanted = [f"stopped making the home program of session {sessions[0]}: the client has gone",
              "stopped making the agreement report: the client has gone"]
    while not all(w in caplog.text for w in wanted) and time.monotonic() < deadline:
        time.sleep(0.2)
    for thread in busy:
        thread.join(300)
    assert all(w in caplog.text for w in wanted), caplog.text
    for url, params in ((program, {}), (agreement, {"instrument": "other", "rater": "turn-test"})):
        r = httpx.get(url, params=params, timeout=300)
        assert r.status_code == 200 and r.content.startswith(b"%PDF"), (url, r.status_code, r.text[:200])
