"""Browser-camera mode: Chromium's fake camera plays a real clip, the page streams it to the server."""

from __future__ import annotations

import re

import httpx
import pytest

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings

from .conftest import write_y4m

pytestmark = [pytest.mark.browser, pytest.mark.footage, pytest.mark.model, pytest.mark.slow]

ANGLE = re.compile(r"^[+−]?\d+°$")


def test_the_page_sends_its_camera_and_shows_the_servers_angles(launch, footage_dir, model_path, monkeypatch, tmp_path):
    monkeypatch.setenv("HIPROM_MODEL_DIR", str(model_path.parent))
    y4m = write_y4m(footage_dir / "rendered" / "gt01.mp4", tmp_path / "gt01.y4m")
    browser = launch(
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
    )
    settings = ServerSettings(start_source=False, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings) as url:
        context = browser.new_context(viewport={"width": 1366, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url + "/?mode=browser")
        assert page.locator("#mode-browser").get_attribute("aria-pressed") == "true"
        # The server measures the pictures and answers; the page counts the answers.
        page.wait_for_function("() => Number(document.body.dataset.frames || 0) >= 15", timeout=60_000)
        page.wait_for_function(
            "() => /^[+−]?\\d+°$/.test(document.getElementById('angle-right').textContent)", timeout=20_000
        )
        seen = set()
        for _ in range(40):  # the clip's right leg turns in and out: the number moves
            seen.add(page.locator("#angle-right").inner_text())
            page.wait_for_timeout(100)
        assert len({v for v in seen if ANGLE.match(v)}) >= 2, seen
        assert page.locator("#local-video").is_visible()
        assert page.evaluate("document.getElementById('local-video').videoWidth") == 640
        assert page.locator("#caption").inner_text() == "this device's camera"
        status = page.locator("#status-text").inner_text()
        assert "Measuring" in status or "measurable" in status, status
        context.close()
        assert httpx.get(url + "/health").status_code == 200
    assert not errors, errors
