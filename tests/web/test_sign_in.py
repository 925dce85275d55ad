"""Signing devices in to a server reachable from other machines, in real Chromium: the long-lived access token is
never in an address, so no history, address bar or screenshot of any device holds it."""

from __future__ import annotations

import socket
import sqlite3
from urllib.parse import urlsplit

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings
from hiprom.server.signin import SignInCodes

from .conftest import BASE_ARGS, chromium_path

TOKEN = "browser-sign-in-token-1234"
SIGNED_IN = """() => {
  const conn = document.getElementById("conn-text"), picture = document.getElementById("mjpeg");
  return !!conn && !!picture && conn.textContent === "live" && picture.naturalWidth > 0;
}"""
"""The page is live: its WebSocket and its preview (both carry the cookie) work."""


def test_devices_sign_in_with_one_use_links_and_no_history_holds_the_token(playwright, launch, tmp_path, grey_video):
    """Before, the printed link was ``/?token=T``: Chromium's history kept it (listed and offered by the address
    bar) on every device it was opened on. Now a link is ``/signin/CODE``, spent at its first use."""
    printed: list[str] = []  # what `hiprom serve` would print in its window
    codes = SignInCodes(announce=printed.append)
    settings = ServerSettings(host="0.0.0.0", token=TOKEN, source=grey_video, loop=True,
                              db=str(tmp_path / "r.db"))
    with serve_in_thread(settings, sign_in=codes) as url:
        codes.announce_new()
        # The clinician's tablet: a browser that keeps its history on disk, as a real one does.
        profile = tmp_path / "tablet-profile"
        tablet = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=chromium_path(), headless=True, args=BASE_ARGS)
        page = tablet.pages[0] if tablet.pages else tablet.new_page()
        not_yet = page.goto(url + "/")
        assert not_yet.status == 401 and "This device is not signed in" in page.content()
        sockets: list[str] = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        first = url + printed[0]
        page.goto(first)
        page.wait_for_url(url + "/", timeout=30_000)  # the sign-in page opens the page at once
        page.wait_for_function(SIGNED_IN, timeout=30_000)
        cdp = tablet.new_cdp_session(page)
        entries = cdp.send("Page.getNavigationHistory")["entries"]
        addresses = [a for e in entries for a in (e["url"], e.get("userTypedURL", ""))]
        assert not any(TOKEN in a for a in addresses), addresses
        assert sockets and not any(TOKEN in u for u in sockets + [page.url]), sockets

        # Add a device: a new one-use link, as text and as a QR code.
        page.click("#btn-add-device")
        page.wait_for_function("() => document.getElementById('add-device-link').textContent.includes('/signin/')")
        added = page.locator("#add-device-link").inner_text()
        # Opened here at 127.0.0.1, the link names this machine, as the other device reaches it (not its loopback).
        assert added.startswith(f"http://{socket.gethostname()}:{urlsplit(url).port}/signin/"), added
        added = url + "/signin/" + added.rsplit("/", 1)[1]  # this test's server listens on loopback only
        assert page.locator("#add-device").evaluate("(d) => d.open")
        page.wait_for_function("() => document.getElementById('add-device-qr').naturalWidth > 0")
        assert "works once, within 5 minutes" in page.locator("#add-device-text").inner_text()
        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.getElementById('add-device').open")
        assert page.locator("#guide").get_attribute("data-phase") == "idle"  # Esc closed the dialog, nothing else
        tablet.close()
        # Chromium's History file keeps the first address of every visit: only spent codes, never the token.
        with sqlite3.connect(profile / "Default" / "History") as history:
            kept = [row[0] for row in history.execute("SELECT url FROM urls")]
        assert first in kept and not any(TOKEN in u for u in kept), kept

        browser = launch()
        # The link once more (the history, a screenshot, a pasted chat message): refused, in words.
        stranger = browser.new_context().new_page()
        assert stranger.goto(first).status == 403
        text = stranger.locator("body").inner_text()
        assert "This sign-in link does not work" in text and "already used" in text
        assert "Ask for a new sign-in link at the computer running hiprom" in text
        assert stranger.goto(url + "/api/info").status == 401
        # The window running hiprom showed a fresh link once the first was used: a second device signs in with
        # it, followed from a chat (another site: with a redirect, the Strict cookie was not sent to "/" and
        # the page said "not signed in"), a third with the link the tablet made.
        assert len(printed) == 2 and printed[1] != printed[0]
        for link, chat in ((url + printed[1], True), (added, False)):
            device = browser.new_context().new_page()
            if chat:
                device.route("http://chat.example/", lambda route, _request, link=link: route.fulfill(
                    body=f'<a id="link" href="{link}">hiprom</a>', content_type="text/html"))
                device.goto("http://chat.example/")
                device.click("#link")
            else:
                device.goto(link)
            device.wait_for_url(url + "/", timeout=30_000)
            device.wait_for_function(SIGNED_IN, timeout=30_000)
            if not chat:  # Sign out: this device's cookie is cleared, and the page then says to sign in again
                device.click("#btn-sign-out")
                device.locator("h1", has_text="This device is not signed in to hiprom").wait_for(timeout=30_000)
                assert not [c for c in device.context.cookies() if c["name"].startswith("hiprom_")]
                assert device.goto(url + "/").status == 401
            device.context.close()


def test_a_browser_that_gets_the_confirm_page_signs_in_with_its_button(launch, tmp_path):
    """A browser that sends no ``Sec-Fetch-Mode`` (Safari before 16.4, an older tablet) gets the page with the
    **Sign in this device** button. Its form's post carried ``Origin: null`` under the server's
    ``Referrer-Policy: no-referrer``, and the guard answered 403 ``requests from 'null' are not allowed``: such a
    device could not sign in at all. Chromium always sends the header, so the page is served to it here as the
    server answers a request without it."""
    import httpx

    codes = SignInCodes()
    settings = ServerSettings(host="0.0.0.0", token=TOKEN, source="demo", db=str(tmp_path / "r.db"))
    with serve_in_thread(settings, sign_in=codes) as url:
        page = launch().new_context().new_page()

        def as_an_older_browser(route, request) -> None:
            if request.method != "GET":
                route.continue_()
                return
            answer = httpx.get(request.url, timeout=30)  # no Sec-Fetch-* headers
            route.fulfill(status=answer.status_code, headers=dict(answer.headers), body=answer.content)

        page.route("**/signin/**", as_an_older_browser)
        page.goto(url + codes.issue())
        assert page.locator("h1").inner_text() == "Sign in to hiprom"
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.click("button")
        assert posted.value.status == 200, posted.value.request.headers.get("origin")
        page.wait_for_url(url + "/", timeout=30_000)
        assert [c["name"] for c in page.context.cookies()] == [f"hiprom_device_{urlsplit(url).port}"]
        page.context.close()
