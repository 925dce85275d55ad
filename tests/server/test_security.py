"""Health data stays on this machine: loopback by default, a token beyond it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from hiprom.errors import ConfigError
from hiprom.server import ServerSettings, create_app
from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import is_loopback

from .helpers import recv_json, ws_url

TOKEN = "s3cret-token-for-tests"
NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}
"""What a browser sends with the address it opens (typed, a QR code, a bookmark)."""


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.20", False), ("::", False)],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_a_non_loopback_host_without_a_token_is_refused():
    with pytest.raises(ConfigError, match="token is required"):
        create_app(ServerSettings(host="0.0.0.0", start_source=False))
    with pytest.raises(ConfigError, match="at least 8"):
        create_app(ServerSettings(host="0.0.0.0", token="short", start_source=False))


@pytest.fixture(scope="module")
def token_server():
    """A server configured for a non-loopback host (it really listens on 127.0.0.1)."""
    with serve_in_thread(ServerSettings(host="0.0.0.0", token=TOKEN, start_source=False)) as url:
        yield url


@pytest.fixture(scope="module")
def local_server():
    with serve_in_thread(ServerSettings(start_source=False)) as url:
        yield url


@pytest.mark.parametrize(
    ("how", "status"),
    [
        ({}, 401),
        ({"headers": {"Authorization": "Bearer wrong-token-xx"}}, 401),
        ({"headers": {"Authorization": f"Bearer {TOKEN}"}}, 200),
        ({"headers": {"X-Hiprom-Token": TOKEN}}, 200),
        ({"params": {"token": TOKEN}}, 401),
        ({"cookies": {"hiprom_token": TOKEN}}, 401),  # a cookie holds a device's sign-in, never the token
    ],
    ids=["none", "wrong", "bearer", "header", "query", "token-cookie"],
)
def test_the_token_is_required_on_http_when_bound_beyond_loopback(token_server, how, status):
    headers = {"Host": "10.1.2.3:8000", **how.get("headers", {})}
    # A generous timeout: the first /openapi.json builds the schema, 1-3 s alone, beyond httpx's 5 s on a busy machine.
    with httpx.Client(base_url=token_server, headers=headers, cookies=how.get("cookies"), timeout=60) as c:
        for path in ("/api/info", "/", "/static/main.js", "/openapi.json"):
            assert c.get(path, params=how.get("params")).status_code == status, path
        assert c.get("/health").status_code == 200  # liveness only, no health data


def sign_in_link(base: str) -> str:
    """A new one-use sign-in link of the server at ``base``, as a signed-in page's Add a device makes one."""
    made = httpx.post(base + "/api/signin-links", headers={"Authorization": f"Bearer {TOKEN}", "Host": "10.1.2.3:8000"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["expires_s"] == 300 and body["qr"].startswith("data:image/svg+xml;base64,")
    # The address the signed-in device reached the server by: the other device reaches it so too.
    assert body["url"].startswith("http://10.1.2.3:8000/signin/") and TOKEN not in body["url"]
    return base + "/signin/" + body["url"].rsplit("/", 1)[1]


def test_a_link_made_on_the_server_machine_names_it_as_other_devices_reach_it(token_server):
    """Before, a laptop's page opened at http://127.0.0.1:PORT made links to 127.0.0.1: the tablet's own loopback."""
    made = httpx.post(token_server + "/api/signin-links", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    port = httpx.URL(token_server).port
    assert made["url"].startswith(f"http://{socket.gethostname()}:{port}/signin/"), made["url"]


def test_the_token_is_not_taken_from_the_address(token_server):
    """Before, ``/?token=T`` set the cookie: the browser's history kept the address with the long-lived token."""
    with httpx.Client(base_url=token_server) as c:
        refused = c.get("/api/info", params={"token": TOKEN})
        assert refused.status_code == 401 and "not taken from the address" in refused.json()["detail"]
        page = c.get("/", params={"token": TOKEN}, headers={"Accept": "text/html"})  # a browser opening the old link
        assert page.status_code == 401 and "set-cookie" not in page.headers
        assert page.headers["content-type"].startswith("text/html") and "not signed in" in page.text
        assert "Ask for a new sign-in link at the computer running hiprom" in page.text


def test_a_sign_in_link_gives_a_strict_cookie_once_and_then_says_what_to_do(token_server):
    link = sign_in_link(token_server)
    with httpx.Client(headers=NAVIGATE) as device:
        r = device.get(link)
        # A page that opens the page's address at once: the history holds only the spent code, never the token.
        assert r.status_code == 200 and '<meta http-equiv="refresh" content="0; url=/">' in r.text
        assert "This device is signed in" in r.text and TOKEN not in r.text
        cookie = r.headers["set-cookie"]
        port = httpx.URL(token_server).port
        assert f"hiprom_device_{port}=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert TOKEN not in cookie  # the device's own sign-in: signing it out leaves every other one alone
        assert device.get(token_server + "/").status_code == 200
        assert device.get(token_server + "/static/main.js").status_code == 200  # the cookie carries its sign-in now
    for dead in (link, token_server + "/signin/not-a-code", token_server + "/signin/" + "x" * 500, token_server + "/signin/",
                 token_server + "/signin/a/b"):
        with httpx.Client(headers=NAVIGATE) as other_device:
            again = other_device.get(dead)
            assert again.status_code == 403 and "set-cookie" not in again.headers, dead[:80]
            assert again.headers["content-type"].startswith("text/html")
            assert "This sign-in link does not work" in again.text and "already used" in again.text
            assert "Ask for a new sign-in link at the computer running hiprom" in again.text
            assert other_device.get(token_server + "/api/info").status_code == 401


def test_a_link_fetched_for_a_preview_is_not_spent_and_a_button_signs_in(token_server):
    """A chat app fetches a pasted link to preview it: that must not spend the code meant for the tablet."""
    link = sign_in_link(token_server)
    for preview in (httpx.get(link, headers={"User-Agent": "Slackbot-LinkExpanding 1.0"}), httpx.head(link)):
        assert preview.status_code == 200 and "set-cookie" not in preview.headers
    page = httpx.get(link)
    assert '<form method="post"><button type="submit">Sign in this device</button></form>' in page.text
    with httpx.Client() as old_browser:  # one that sends no Sec-Fetch-Mode: its person presses the button
        signed = old_browser.post(link, headers={"Origin": token_server, "Sec-Fetch-Site": "same-origin"})
        assert signed.status_code == 200 and "This device is signed in" in signed.text
        assert old_browser.get(token_server + "/api/info").status_code == 200
        assert "already used" in old_browser.post(link).text


def test_a_server_on_loopback_has_no_sign_in(local_server):
    with httpx.Client(base_url=local_server) as c:
        r = c.get("/signin/anything")
        assert r.status_code == 303 and r.headers["location"] == "/" and "set-cookie" not in r.headers
        assert c.post("/api/signin-links").status_code == 409
        assert c.post("/signin/anything").status_code == 303
        assert c.get("/api/info").json()["token_required"] is False


def test_two_servers_of_one_machine_keep_their_own_tokens_in_one_browser(token_server):
    """Before, both set the cookie hiprom_token on host 127.0.0.1 (a host's cookies go to all its ports): opening the
    second server's link replaced the first one's token, and the first page's requests got 401."""
    other = "an0ther-token-for-tests"
    with serve_in_thread(ServerSettings(host="0.0.0.0", token=other, start_source=False)) as second, \
            httpx.Client(headers=NAVIGATE) as browser:  # one cookie jar, as one browser has
        assert "set-cookie" in browser.get(sign_in_link(token_server)).headers
        second_code = httpx.post(second + "/api/signin-links", headers={"X-Hiprom-Token": other}).json()["url"]
        assert "set-cookie" in browser.get(second + "/signin/" + second_code.rsplit("/", 1)[1]).headers
        assert browser.get(token_server + "/api/info").status_code == 200
        assert browser.get(second + "/api/info").status_code == 200


def test_loopback_rejects_foreign_host_names_and_cross_site_writes(local_server):
    with httpx.Client(base_url=local_server) as c:
        assert c.get("/api/info").status_code == 200
        # DNS rebinding: a page of evil.example that resolves to 127.0.0.1.
        assert c.get("/api/info", headers={"Host": "evil.example:8000"}).status_code == 403
        assert c.post("/api/guide/start", headers={"Origin": "http://evil.example"}).status_code == 403
        assert c.get("/health", headers={"Host": "localhost:8000"}).status_code == 200


FROM_ANOTHER_SITE = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_browser_request_another_site_made_is_refused_even_without_an_origin(local_server, site):
    """Before, a form post whose browser left ``Origin`` off reached the route (the guide: 202; readings: 201)."""
    with httpx.Client(base_url=local_server) as c:
        for path, body in (("/api/guide/start", ""), ("/api/references/import", "instrument\n")):
            refused = c.post(path, content=body, headers={
                "Content-Type": "text/plain", **FROM_ANOTHER_SITE, "Sec-Fetch-Site": site, "Sec-Fetch-Dest": "document"})
            assert refused.status_code == 403 and "another site" in refused.json()["detail"], path
        # The page's own requests, and one typed into the address bar, reach the route.
        for own in ("same-origin", "none"):
            reached = c.post("/api/references/import", content="instrument\n",
                             headers={"Content-Type": "text/csv", "Sec-Fetch-Site": own})
            assert reached.status_code == 422, reached.text
        # An <img> or <script> of another site may not load the records; a link to the page may be followed.
        assert c.get("/api/sessions", headers={**FROM_ANOTHER_SITE, "Sec-Fetch-Dest": "image"}).status_code == 403
        assert c.get("/", headers={"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate",
                                   "Sec-Fetch-Dest": "document"}).status_code == 200
        assert c.get("/", headers={"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate",
                                   "Sec-Fetch-Dest": "embed"}).status_code == 403


def test_the_token_is_required_on_websockets(live_server, short_recording):
    with live_server(host="0.0.0.0", token=TOKEN, source=str(short_recording), loop=True) as url:
        with pytest.raises(InvalidStatus) as info:
            connect(ws_url(url, "/ws/live"), open_timeout=5)
        assert info.value.response.status_code == 403
        with pytest.raises(InvalidStatus):  # not taken from the address
            connect(ws_url(url, f"/ws/live?token={TOKEN}"), open_timeout=5)
        with pytest.raises(InvalidStatus):  # a cookie holding the token is not read
            connect(ws_url(url, "/ws/live"), additional_headers={"Cookie": f"hiprom_token={TOKEN}"}, open_timeout=5)
        with httpx.Client(headers=NAVIGATE) as device:
            assert device.get(sign_in_link(url)).status_code == 200
            cookie = "; ".join(f"{k}={v}" for k, v in device.cookies.items())
        with connect(ws_url(url, "/ws/live"), additional_headers={"Cookie": cookie}, open_timeout=5) as ws:
            assert recv_json(ws)["type"] in ("frame", "status")
        with connect(ws_url(url, "/ws/live"), additional_headers={"Authorization": f"Bearer {TOKEN}"}, open_timeout=5) as ws:
            assert recv_json(ws)["type"] in ("frame", "status")
        assert httpx.get(url + "/api/live").status_code == 401


def test_a_cross_site_page_cannot_open_the_live_websocket(live_server, short_recording):
    with live_server(source=str(short_recording), loop=True) as url:
        with pytest.raises(InvalidStatus):
            connect(ws_url(url, "/ws/live"), origin="http://evil.example", open_timeout=5)
        host = url.split("//", 1)[1]
        with connect(ws_url(url, "/ws/live"), origin=f"http://{host}", open_timeout=5) as ws:
            assert recv_json(ws)["type"] in ("frame", "status")


def test_the_token_and_the_sign_in_codes_never_reach_the_servers_log(tmp_path):
    """Issue 12, item 2: uvicorn printed ``WebSocket /ws/live?token=<T>`` at the default level. A sign-in link's
    code is as good as the token until it is used: it is not logged either, only kept for the user (the output is
    not a terminal) in an owner-only file."""
    from hiprom.store import Store

    token = "log-test-token-0123456789"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HIPROM_DATA_DIR": str(tmp_path / "data")}
    Store(tmp_path / "records.db").close()  # serve refuses a --db that does not exist
    proc = subprocess.Popen(
        [sys.executable, "-m", "hiprom.cli.main", "serve", "--port", "0", "--token", token, "--source", "demo",
         "--loop", "--log-level", "debug", "--db", str(tmp_path / "records.db")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    printed: list[str] = []  # stdout, line by line as it comes: the links are read while the server runs
    errors: list[str] = []
    readers = [threading.Thread(target=lambda pipe=pipe, into=into: into.extend(pipe), daemon=True)
               for pipe, into in ((proc.stdout, printed), (proc.stderr, errors))]
    for reader in readers:
        reader.start()

    def link(not_this: str = "") -> str:
        """The sign-in link ``hiprom serve`` keeps in its file, once it is not ``not_this``, waited for."""
        deadline = time.monotonic() + 60
        while True:
            kept = re.search(r"the link kept in (\S+) ", "".join(printed))
            current = Path(kept.group(1)).read_text().strip() if kept else ""
            if current and current != not_this:
                return current
            assert time.monotonic() < deadline and proc.poll() is None, printed
            time.sleep(0.05)

    try:
        first = link()
        url = first.split("/signin/")[0]
        with httpx.Client(base_url=url, timeout=30, headers=NAVIGATE) as c:
            assert c.get(first).status_code == 200
            assert c.get("/").status_code == 200  # by cookie
            assert c.get(first).status_code == 403  # spent
            assert c.get(f"/api/info?tok%65n={token}").status_code == 200  # by cookie; the key spelled in escapes
        refused = httpx.get(url + "/api/info", params={"token": token}, timeout=30)
        assert refused.status_code == 401  # not taken from the address, but logged with it
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        with connect(ws_url(url, "/ws/live"), additional_headers={"Cookie": cookie},
                     open_timeout=30) as ws:  # what the page does
            assert recv_json(ws, timeout=30)["type"] in ("frame", "status")
        for headers in ({"Authorization": f"Bearer {token}"}, {"X-Hiprom-Token": token}):  # logged at debug level
            with connect(ws_url(url, "/ws/live?tok%65n=" + token), additional_headers=headers, open_timeout=30) as ws:
                assert recv_json(ws, timeout=30)["type"] in ("frame", "status")
        # The next link, kept once the first was used, is spent too: its code is in no log line either.
        second = link(not_this=first)
        assert second != first and "set-cookie" in httpx.get(second, headers=NAVIGATE, timeout=30).headers
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        for reader in readers:
            reader.join(10)
    out, err = "".join(printed), "".join(errors)
    # uvicorn logs to stderr, its access log to stdout; hiprom's own lines there show the address to open.
    log = err + "".join(line for line in out.splitlines(keepends=True) if not line.startswith("hiprom: "))
    assert '"GET /signin/[redacted] HTTP/1.1" 200' in log, log[-2000:]
    for code in (first, second):
        assert code.rsplit("/", 1)[1] not in out + err  # nor on hiprom's own lines: they say where the link is kept
    assert "/api/info?token=[redacted]" in log
    assert "tok%65n=[redacted]" in log and "authorization: [redacted]" in log.lower()
    assert token not in out + err  # nor on the lines hiprom prints: a token given is one the user knows
    assert cookie.split("=", 1)[1] not in out + err  # nor a device's sign-in (its cookie, logged at debug level)
    assert "seen by every user of this machine (in the process list); set HIPROM_SERVE_TOKEN instead" in err
