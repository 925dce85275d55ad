"""Two devices signed in to a clinic's server, in real Chromium (two browser contexts): one signs the other out
from its Devices list, whose live page then says, in its own words, to ask at the computer for a new link."""

from __future__ import annotations

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings
from hiprom.server.signin import SignInCodes

TOKEN = "browser-devices-token-1234"
LIVE = "() => document.getElementById('conn-text')?.textContent === 'live'"
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
        "Mobile/15E148 Safari/604.1")


def test_a_device_signed_out_from_another_ones_devices_list_is_told_to_ask_for_a_new_link(launch, tmp_path):
    """Before, a signed-in page had no list of devices and could sign out only itself: a lost tablet's live page
    went on showing the camera."""
    codes = SignInCodes()
    settings = ServerSettings(host="0.0.0.0", token=TOKEN, source="demo", loop=True, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings, sign_in=codes) as url:
        browser = launch()
        desk = browser.new_context().new_page()
        tablet = browser.new_context(user_agent=IPAD).new_page()
        for page in (desk, tablet):
            page.goto(url + codes.issue())
            page.wait_for_url(url + "/", timeout=30_000)
            page.wait_for_function(LIVE, timeout=30_000)

        desk.click("#btn-devices")
        rows = desk.locator("#devices-list .device")
        rows.nth(1).wait_for(timeout=30_000)
        assert rows.count() == 2
        names = rows.locator(".device-name").all_inner_texts()
        assert "Safari on iPad" in names and any(n.endswith("(this device)") for n in names), names
        assert "12 hours" in desk.locator("#devices-text").inner_text()
        desk.locator("#devices-list .device", has_text="Safari on iPad").locator("button").click()

        # The tablet's open live page is closed by the server, and it shows the server's page in words.
        heading = tablet.locator("h1", has_text="This device was signed out of hiprom")
        heading.wait_for(timeout=30_000)
        assert "Ask for a new sign-in link at the computer running hiprom" in tablet.locator("body").inner_text()
        assert tablet.goto(url + "/").status == 401

        # The list is read again: only the desk is left, and it stays live.
        desk.wait_for_function("() => document.querySelectorAll('#devices-list .device').length === 1",
                               timeout=30_000)
        assert desk.locator("#devices-list .device-name").inner_text().endswith("(this device)")
        desk.keyboard.press("Escape")
        desk.wait_for_function(LIVE, timeout=30_000)
        assert desk.evaluate("() => fetch('/api/info').then((r) => r.status)") == 200
        browser.close()
