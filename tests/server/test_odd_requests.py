"""The second review of odd requests, against a real uvicorn server: every answer a sentence, no 500.

Each test reproduces a finding of that review (a clumsy client or a hostile
page on 127.0.0.1) and checks what the client now gets instead.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest

from hiprom.server import ServerSettings
from hiprom.server.errors import NOT_JSON
from hiprom.server.runner import serve_in_thread


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server with a records store and no live source."""
    db = tmp_path_factory.mktemp("records") / "records.db"
    with serve_in_thread(ServerSettings(start_source=False, db=str(db))) as url:
        yield url


def raw(url: str, request: bytes) -> tuple[int, bytes]:
    """Send one raw HTTP/1.1 request (headers a browser never sends) and read the status and the whole answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"{bad", "application/json"), ('{"pseudonym": "é"}'.encode("latin-1"), "application/json"),
     (b'{"pseudonym": "P-1"}', "text/plain")],
    ids=["malformed", "not-utf8", "wrong-type"],
)
def test_a_body_that_is_not_json_is_a_400_saying_how_to_send_it(server, body, content_type):
    r = httpx.post(server + "/api/subjects", content=body, headers={"Content-Type": content_type})
    assert r.status_code == 400 and r.json() == {"detail": NOT_JSON}
    assert "application/json" in NOT_JSON


def test_a_wrong_method_names_the_methods_the_path_takes(server):
    r = httpx.post(server + "/api/live")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert r.json()["detail"] == "POST is not allowed here; use GET, HEAD"
    r = httpx.delete(server + "/api/sessions")
    assert r.headers["allow"] == "GET, HEAD, POST" and r.json()["detail"].endswith("use GET, HEAD, POST")
    r = httpx.post(server + "/static/index.html")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


def test_head_is_answered_wherever_get_is_without_the_body(server):
    """``curl -I`` on the page or a monitor's HEAD on /health met 405 from a server that was up."""
    for path in ("/", "/health", "/api/info", "/api/sessions", "/openapi.json", "/static/style.css"):
        got, head = httpx.get(server + path), httpx.head(server + path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-length"] == got.headers["content-length"], path
        assert head.headers["content-type"] == got.headers["content-type"], path
    status, answer = raw(server, b"HEAD /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert status == 200 and answer.endswith(b"\r\n\r\n")  # headers only, on the wire too
    assert httpx.head(server + "/api/sessions/99").status_code == 404
    r = httpx.head(server + "/api/exercise/stop")  # POST only
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_an_unknown_path_says_where_things_are_and_the_cdn_api_pages_are_gone(server):
    r = httpx.get(server + "/no/such/page")
    assert r.status_code == 404 and "the page is at /" in r.json()["detail"]
    assert httpx.get(server + "/docs").status_code == 404  # it ran scripts from a CDN in the page's origin
    assert httpx.get(server + "/openapi.json").status_code == 200


def test_every_file_of_the_page_carries_its_content_security_policy(server):
    from hiprom.server.security import PAGE_CSP

    for path in ("/", "/static/index.html", "/static/help.html", "/api/info", "/no/such/page"):
        assert httpx.get(server + path).headers.get("content-security-policy") == PAGE_CSP, path


def test_an_origin_that_is_not_a_url_is_refused_not_a_500(server):
    host = urlsplit(server).netloc
    status, answer = raw(server, f"POST /api/guide/cancel HTTP/1.1\r\nHost: {host}\r\nOrigin: http://[::1\r\n"
                                 f"Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
    assert status == 403 and b"are not allowed" in answer


def test_a_request_naming_two_hosts_is_refused(server):
    host = urlsplit(server).netloc
    status, answer = raw(server, f"GET /api/info HTTP/1.1\r\nHost: evil.example\r\nHost: {host}\r\n"
                                 f"Connection: close\r\n\r\n".encode())
    assert status == 400 and b"named several" in answer


def test_the_preview_of_a_landmark_recording_is_a_404_not_an_endless_silence(live_server, short_recording):
    with live_server(source=str(short_recording), loop=True) as url:
        r = httpx.get(url + "/video.mjpg", timeout=10)
        odd_box = httpx.get(url + "/video.mjpg?w=wide&h=0", timeout=10)
    assert r.status_code == 404 and "no picture" in r.json()["detail"]
    assert odd_box.status_code == 422  # a box that is no size: told, not a 500


def test_a_camera_picture_of_too_many_pixels_is_refused_from_its_header():
    import cv2
    import numpy as np

    from hiprom.server.routes.camera import MAX_SIDE_PX, too_large

    ok, small = cv2.imencode(".jpg", np.zeros((480, 640, 3), np.uint8))
    ok, huge = cv2.imencode(".jpg", np.zeros((16, MAX_SIDE_PX + 8, 3), np.uint8))
    assert too_large(small.tobytes()) is None
    assert too_large(huge.tobytes()) == f"A picture of {MAX_SIDE_PX + 8}×16 pixels was refused (at most {MAX_SIDE_PX} a side)"
    assert too_large(b"\xff\xd8 not a picture") is None  # decoding then says bad_frame


def test_a_deeply_nested_command_is_ignored_and_the_socket_stays_open(live_server, short_recording):
    from websockets.sync.client import connect

    from .helpers import recv_json, recv_until, ws_url

    with live_server(source=str(short_recording), loop=True) as url, \
            connect(ws_url(url, "/ws/live"), open_timeout=10) as ws:
        recv_json(ws, timeout=30)
        ws.send("[" * 100_000)
        ws.send('{"type": "command", "action": "start"}')
        msg, _ = recv_until(ws, lambda m: (m.get("state") or {}).get("phase") == "setup", timeout=30)
        assert msg["state"]["phase"] == "setup"  # the socket still streams, and the command after the garbage was obeyed


@pytest.mark.parametrize("path", ["/", "/static/main.js"])
@pytest.mark.parametrize("value", ["bytes=abc", "bytes=5-2", "bytes=-", "bytes=99999999-", "bytes"])
def test_a_range_the_file_cannot_serve_is_a_416_in_the_apis_shape(server, path, value):
    """Starlette answered these in plain text (400 'Range header: start must be less than end', an empty 416)."""
    size = len(httpx.get(server + path).content)
    answer = httpx.get(server + path, headers={"Range": value})
    assert answer.status_code == 416
    assert answer.headers["content-type"] == "application/json"
    assert f"it has {size}" in answer.json()["detail"]
    assert answer.headers["content-range"] == f"bytes */{size}"


@pytest.mark.parametrize(("value", "status", "length"),
                         [("bytes=0-9", 206, 10), ("bytes=0-1,0-1", 206, 2), ("chars=0-1", 200, None),
                          ("bytes=0-99999999999999999999999999", 206, None)])
def test_a_range_that_can_be_served_is_and_another_unit_is_ignored(server, value, status, length):
    whole = httpx.get(server + "/static/main.js").content
    answer = httpx.get(server + "/static/main.js", headers={"Range": value})
    assert answer.status_code == status
    assert answer.content == whole[:length]


_LONG_NAME = "P" * 65
_WORDS = [  # (method, path, JSON body, the one line answered); pydantic's own sentence before each
    ("POST", "/api/subjects", {"pseudonym": _LONG_NAME},  # String should have at most 64 characters
     "pseudonym: at most 64 characters, but got 65"),
    ("PATCH", "/api/subjects/P-1", {"pseudonym": _LONG_NAME}, "pseudonym: at most 64 characters, but got 65"),
    ("POST", "/api/subjects", {"name": "x" * 201}, "name: at most 200 characters, but got 201"),
    ("POST", "/api/subjects", {"date_of_birth": "1984-5-17"},  # String should match pattern '^[0-9]{4}-...'
     "date_of_birth: must be a date as YYYY-MM-DD (got '1984-5-17')"),
    ("POST", "/api/subjects", [1, 2],  # Input should be a valid dictionary or object to extract fields from
     "request: must be a JSON object (got a list)"),
    ("PATCH", "/api/subjects/P-1", {"pseudonym": "P-9", "name": "x"},  # Extra inputs are not permitted
     "name: is not a field of this request; leave it out (the fields are listed in /openapi.json)"),
    ("PATCH", "/api/sessions/abc", {"subject": "P-1"},  # Input should be a valid integer, unable to parse ...
     "session_id: must be a whole number (got 'abc')"),
    ("GET", "/api/sessions?limit=1.5", None, "limit: must be a whole number (got '1.5')"),
    ("GET", "/api/sessions?offset=99999999999999999999999", None,
     "offset: must be at most 2147483647 (got '99999999999999999999999')"),
    ("GET", "/api/sessions/1/export.csv?table=bogus", None,  # Input should be 'summary', 'trials', 'series' or 'exercises'
     "table: must be 'summary', 'trials', 'series' or 'exercises' (got 'bogus')"),
    ("GET", "/api/references?since=2026-02-30", None,  # Input should be a valid date or datetime, day value ...
     "since: must be a real date as YYYY-MM-DD (got '2026-02-30')"),
    ("GET", "/api/validation?retest=maybe", None,  # Input should be a valid boolean, unable to interpret input
     "retest: must be true or false (got 'maybe')"),
    ("POST", "/api/sessions/1/references", {"instrument": "ruler"},
     "instrument: must be 'goniometer', 'inclinometer' or 'other' (got 'ruler')"),
    ("POST", "/api/sessions/1/references", {"instrument": "goniometer", "left_ir_deg": "abc"},
     "left_ir_deg: must be a number (got 'abc')"),  # Input should be a valid number, unable to parse string ...
    ("POST", "/api/sessions/1/references", {"instrument": "goniometer", "left_ir_deg": "NaN"},
     "left_ir_deg: expecting degrees, but got nan"),  # nan deg is outside -30 to 120 deg
    ("PUT", "/api/sessions/1/program", {"items": [{}] * 31},  # List should have at most 30 items after validation
     "items: at most 30 items, but got 31"),
    ("PUT", "/api/sessions/1/program", {"items": [], "notes": "n" * 1001}, "notes: at most 1000 characters, but got 1001"),
]


@pytest.mark.parametrize(("method", "path", "body", "detail"), _WORDS, ids=[f"{m} {p} {d.split(':')[0]}"
                                                                            for m, p, _, d in _WORDS])
def test_every_malformed_field_is_said_in_the_projects_words(server, method, path, body, detail):
    """Pydantic's sentences and regular expressions reached the page and scripts; the CLI says these plainly."""
    httpx.post(server + "/api/subjects", json={"pseudonym": "P-1"})  # 201 the first time, 409 after
    r = httpx.request(method, server + path, json=body)
    assert (r.status_code, r.json()) == (422, {"detail": detail})


@pytest.mark.parametrize(("method", "path", "body", "detail"), [
    ("GET", "/api/sessions/99", None, "no session '99'; see GET /api/sessions"),
    ("GET", "/api/subjects/nobody", None, "no subject 'nobody'; see GET /api/subjects"),
    ("PATCH", "/api/sessions/99", {"subject": "P-1"}, "no session '99'; see GET /api/sessions"),
    ("DELETE", "/api/references/99", None, "no reference reading '99'; see GET /api/references"),
])
def test_a_record_not_found_names_the_route_that_lists_them_not_a_command_or_the_file(
        server, method, path, body, detail):
    """The API said "no session '99' in /srv/.../hiprom.db; see 'hiprom sessions list'" to the page and scripts."""
    r = httpx.request(method, server + path, json=body)
    assert (r.status_code, r.json()) == (404, {"detail": detail})

