"""This device's camera: the server's feed stops showing, and a camera that cannot be used stays explained."""

from __future__ import annotations

import pytest

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings

from .conftest import write_y4m
from .layout import layout_problems

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FAKE_UI = "--use-fake-ui-for-media-stream"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(tmp_path_factory.mktemp("db") / "r.db"))
    with serve_in_thread(settings) as url:
        yield url


def open_device_mode(browser, url, init_script: str = ""):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.goto(url + "/")
    page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
    page.locator("#mode-browser").click()
    return context, page


def frames_after(page, ms: int) -> int:
    before = page.evaluate("Number(document.body.dataset.frames || 0)")
    page.wait_for_timeout(ms)
    return page.evaluate("Number(document.body.dataset.frames || 0)") - before


@pytest.mark.parametrize(
    "args,title",
    [
        (["--use-fake-device-for-media-stream"], "Camera permission refused"),  # a camera, and no one to allow it
        ([], "No camera found"),  # this machine has no camera
    ],
    ids=["permission-refused", "no-camera"],
)
def test_a_camera_error_stays_on_screen_with_what_to_do(launch, demo_url, args, title):
    context, page = open_device_mode(launch(*args), demo_url)
    page.wait_for_selector("#camera-error:not([hidden])", timeout=30_000)
    page.wait_for_timeout(5000)  # 5 s later, with the demo still playing on the server
    assert page.locator("#camera-error").is_visible()
    assert page.locator("#camera-error-title").inner_text() == title
    assert "Try again" in page.locator("#camera-error-text").inner_text()
    assert page.locator("#status").get_attribute("class").split()[-1] == "error"
    assert page.locator("#status-help").is_visible()
    assert frames_after(page, 1000) == 0  # the server's stream no longer shows
    assert page.evaluate("document.getElementById('angle-left').textContent") == "–"
    page.evaluate("document.activeElement.blur()")  # (focus starts on "Try again")
    page.locator("body").press("Space")  # the guide refuses, saying why
    assert "cannot start" in page.locator("#detail").inner_text()
    page.locator("#btn-camera-server").click()  # the user acts: back to the server camera
    page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 0", timeout=30_000)
    assert page.locator("#camera-error").is_hidden()
    context.close()


# The camera cannot be had once ``window.__unplugged``, as Chrome says then; ``window.__refused`` counts the refusals.
# With ``window.__endAtOnce`` the camera is unplugged as soon as the page has it, before its connection opens.
UNPLUGGED = """
const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
window.__unplugged = false;
window.__refused = 0;
window.__endAtOnce = false;
window.__unplug = (stream) => {
  window.__unplugged = true;
  stream.getVideoTracks()[0].dispatchEvent(new Event('ended'));
};
navigator.mediaDevices.getUserMedia = (c) => {
  if (!window.__unplugged) return gum(c).then((s) => { if (window.__endAtOnce) setTimeout(() => window.__unplug(s), 0); return s; });
  window.__refused += 1;
  return Promise.reject(new DOMException("Requested device not found", "NotFoundError"));
};
"""
CONNECTED_JS = "() => import('/static/state.js').then((m) => m.app.ws !== null && m.app.ws.readyState === WebSocket.OPEN)"


@pytest.mark.footage
@pytest.mark.parametrize("when", ["connected", "connecting"])
def test_an_unplugged_camera_stays_explained_and_is_asked_for_again(launch, demo_url, footage_dir, tmp_path, when):
    """Unplugged while the page was still opening its connection (a second or two on a busy computer), the camera
    was said to have stopped but never asked for again, though the page said measuring would go on by itself."""
    y4m = write_y4m(footage_dir / "rendered" / "gt01.mp4", tmp_path / "gt01.y4m", max_frames=30)
    browser = launch("--use-fake-device-for-media-stream", FAKE_UI, f"--use-file-for-fake-video-capture={y4m}")
    context, page = open_device_mode(browser, demo_url, UNPLUGGED + ("window.__endAtOnce = true;" if when == "connecting" else ""))
    if when == "connected":
        page.wait_for_function("() => document.getElementById('local-video').videoWidth > 0", timeout=30_000)
        page.wait_for_function(CONNECTED_JS, timeout=30_000)
        assert page.locator("#mjpeg").is_hidden()
        # What the browser does when the camera is unplugged: its track ends, and the camera cannot be had again.
        page.evaluate("window.__unplug(document.getElementById('local-video').srcObject)")
    page.wait_for_function("() => window.__refused >= 2", timeout=30_000)  # asked for again (every 2 s), in vain
    assert page.locator("#camera-error").is_visible()
    assert page.locator("#camera-error-title").inner_text() == "The camera stopped"
    assert "Plug it back in" in page.locator("#camera-error-text").inner_text()
    page.wait_for_function(CONNECTED_JS, timeout=30_000)  # the connection, with any test under way, is kept
    page.evaluate("import('/static/state.js').then((m) => { window.__ws = m.app.ws; })")
    refused = page.evaluate("window.__refused")
    page.locator("#mode-browser" if when == "connected" else "#btn-camera-retry").click()  # asked for again at once
    page.wait_for_function(f"() => window.__refused > {refused}", timeout=1_500)
    assert page.evaluate("import('/static/state.js').then((m) => m.app.ws === window.__ws)")  # on the same connection
    shown = page.evaluate("Number(document.body.dataset.frames || 0)")
    page.evaluate("window.__unplugged = false")  # plugged back in: measuring goes on by itself
    page.wait_for_selector("#camera-error", state="hidden", timeout=30_000)
    assert page.locator("#mjpeg").is_hidden()
    page.wait_for_function(f"() => Number(document.body.dataset.frames || 0) > {shown}", timeout=30_000)
    context.close()


# What of the camera's problem is not in its box, seen whole (what it is, what to do, both buttons): parts outside
# the box, a box that must be scrolled to see them, and text over or under anything else on the page.
PROBLEM_UNSEEN_JS = """() => {
  const box = document.getElementById('camera-error'), b = box.getBoundingClientRect();
  const out = box.scrollHeight > box.clientHeight + 1 ? [`its box scrolls: ${box.scrollHeight} > ${box.clientHeight} px`] : [];
  for (const id of ['camera-error-title', 'camera-error-text', 'btn-camera-retry', 'btn-camera-server']) {
    const r = document.getElementById(id).getBoundingClientRect();
    if (r.top < b.top - .5 || r.bottom > b.bottom + .5 || r.left < b.left - .5 || r.right > b.right + .5)
      out.push(`${id} outside its box`);
  }
  return out;
}"""
PROBLEM_SIZES = [(1024, 768, 1), (1366, 768, 1), (390, 844, 1), (1024, 768, 2)]


@pytest.mark.footage
@pytest.mark.parametrize("width,height,zoom", PROBLEM_SIZES, ids=[f"{w}x{h}@{z}x" for w, h, z in PROBLEM_SIZES])
def test_a_camera_problem_is_seen_whole_with_both_buttons_at_this_size(launch, demo_url, footage_dir, tmp_path,
                                                                      width, height, zoom):
    """The camera's problem was shown in the picture's box: at 1024x768 the longest ("The camera stopped", what to
    do) had its title cut off at the top, "Try again" cut in half and "Use the server camera" out of sight; on a
    phone and at 200 % zoom its box had to be scrolled, and its text ran over the caption under it. It now has the
    room of the picture and the dials (neither shows anything without a camera)."""
    y4m = write_y4m(footage_dir / "rendered" / "gt01.mp4", tmp_path / "gt01.y4m", max_frames=30)
    browser = launch("--use-fake-device-for-media-stream", FAKE_UI, f"--use-file-for-fake-video-capture={y4m}")
    context = browser.new_context(viewport={"width": width // zoom, "height": height // zoom},
                                  device_scale_factor=zoom, has_touch=min(width, height) < 600)
    context.add_init_script(UNPLUGGED)
    page = context.new_page()
    page.goto(demo_url + "/?mode=browser")
    page.wait_for_function("() => document.getElementById('local-video').videoWidth > 0", timeout=30_000)
    page.wait_for_function(CONNECTED_JS, timeout=30_000)
    page.evaluate("window.__unplug(document.getElementById('local-video').srcObject)")
    page.wait_for_selector("#camera-error:not([hidden])", timeout=30_000)
    assert page.locator("#camera-error-title").inner_text() == "The camera stopped"  # the longest of its words
    page.locator("#camera-error").scroll_into_view_if_needed()
    assert page.evaluate(PROBLEM_UNSEEN_JS) == []
    assert layout_problems(page) == []
    context.close()
