"""The server's picture on the page: sent at the size its box shows it, and only while it can be seen.

Before, every page got the source's full 1280x720 frames (about 80 kB each, 15 a second) whatever the box
(about 560x420 in a 1280x800 window), also under the results, which hide it, and in a hidden tab.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.slow]

SOURCE_WH = (1280, 720)

MAX_DPR = 1.5
"""The most device pixels per CSS pixel the picture is sent at (web/preview.js): a 2x screen's box got 4x the
pixels of its CSS size, 1.1 MB/s and 10-11 ms of the server's time a picture for a 540x304 box."""

# The picture shown, and its box in the pixels it is asked at (device pixels, at most MAX_DPR per CSS pixel).
PICTURE = """() => {
  const img = document.getElementById("mjpeg"), r = img.getBoundingClientRect();
  const dpr = Math.min(devicePixelRatio, %s);
  return { src: img.currentSrc, natural: [img.naturalWidth, img.naturalHeight], css: [r.width, r.height],
           box: [r.width * dpr, r.height * dpr] };
}""" % MAX_DPR


def _sharp_video(path, frames: int = 20) -> str:
    """A 1280x720 source of fine stripes and squares (a scaled picture shows whether it is blurred or stretched)."""
    import cv2

    w, h = SOURCE_WH
    image = np.full((h, w, 3), 235, np.uint8)
    image[:, ::8] = 30  # vertical lines 8 px apart
    for y in range(40, h - 120, 160):
        for x in range(40, w - 120, 160):
            cv2.rectangle(image, (x, y), (x + 100, y + 100), (40, 90, 200), -1)  # squares stay squares
            cv2.circle(image, (x + 50, y + 50), 30, (250, 250, 250), 3)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (w, h))
    for _ in range(frames):
        writer.write(image)
    writer.release()
    return str(path)


SHRINK = 0.7
"""web/preview.js asks again when its box is smaller than this share of the picture asked."""


def _picture_fits_its_box(page, asked_again_from: str = "", timeout_ms: int = 60_000) -> dict:
    """Wait until the picture shown is the one asked for the box it is in: asked at the box's size in device
    pixels (or up to 1/0.7 of it, before the page asks again), sent at that size as the source's aspect ratio
    allows and never above the source's own size (so never blurred up, nor stretched).

    ``asked_again_from``: the stream shown before, which a new one must have replaced."""
    page.wait_for_function(
        f"""() => {{
          const p = ({PICTURE})();
          if (!p.src.includes("video.mjpg") || p.src === "{asked_again_from}" || !p.natural[0]) return false;
          const q = new URL(p.src).searchParams, asked = [Number(q.get("w")), Number(q.get("h"))];
          const sent = Math.round(Math.min(1, asked[0] / {SOURCE_WH[0]}, asked[1] / {SOURCE_WH[1]}) * {SOURCE_WH[0]});
          const box = Math.min(1, p.box[0] / {SOURCE_WH[0]}, p.box[1] / {SOURCE_WH[1]}) * {SOURCE_WH[0]};
          return Math.abs(p.natural[0] - sent) <= 1 && box <= sent + 1 && box >= {SHRINK} * sent - 1;
        }}""", timeout=timeout_ms)
    picture = page.evaluate(PICTURE)
    w, h = picture["natural"]
    assert abs(w / h - SOURCE_WH[0] / SOURCE_WH[1]) < 0.01, picture  # not stretched
    return picture


def _resize(page, width: int, height: int) -> None:
    """The window resized, and the picture's box fitted to it (the browser applies the size after answering,
    and the page fits the box at its next resize observation)."""
    before = page.evaluate("document.getElementById('preview').getBoundingClientRect().width")
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(f"() => innerWidth === {width} && innerHeight === {height}"
                           f" && document.getElementById('preview').getBoundingClientRect().width !== {before}")


@pytest.fixture()
def open_page(launch):
    """``open_page(url, width, height, scale=1)``: the page in a new browser window, closed after the test."""
    contexts = []

    def open_(url: str, width: int, height: int, scale: int = 1):
        context = launch().new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
        contexts.append(context)
        page = context.new_page()
        page.goto(url + "/")
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def picture_server(tmp_path_factory, model_path):
    folder = tmp_path_factory.mktemp("preview")
    settings = ServerSettings(source=_sharp_video(folder / "stripes.mp4"), loop=True, db=str(folder / "r.db"))
    with serve_in_thread(settings) as url:
        yield url


@pytest.mark.parametrize("scale", [1, 2])
def test_the_picture_is_sent_at_the_size_of_its_box_and_follows_a_resize(open_page, picture_server, tmp_path, scale):
    page = open_page(picture_server, 1366, 768, scale)
    wide = _picture_fits_its_box(page)
    assert "w=" in wide["src"] and "h=" in wide["src"]
    if scale == 1:
        assert wide["natural"][0] < 0.6 * SOURCE_WH[0], wide  # about 630 of 1280 pixels: a quarter of the bytes
        page.screenshot(path=str(tmp_path / "preview-1366x768.png"))
    else:
        # HiDPI (2x): a picture of 1.5 device pixels per CSS pixel of the box, sharper than a 1x screen's, not the
        # 2x of its device pixels (1.8x the pixels and bytes for no visible gain on a moving person).
        # (Asked once the box settled: a box since shrunk by less than SHRINK keeps the picture asked.)
        css_w = wide["css"][0]
        assert css_w * MAX_DPR - 2 <= wide["natural"][0] <= 0.8 * 2 * css_w, wide
    # A phone held upright: a smaller box, a smaller picture once the resize has settled.
    _resize(page, 390, 844)
    narrow = _picture_fits_its_box(page, wide["src"])
    assert narrow["natural"][0] < wide["natural"][0], (wide, narrow)
    if scale == 1:
        page.screenshot(path=str(tmp_path / "preview-390x844.png"))
        # A window made larger again: asked again, so the picture is not blurred up from the small one.
        _resize(page, 1366, 768)
        again = _picture_fits_its_box(page, narrow["src"])
        assert again["natural"][0] > narrow["natural"][0], (narrow, again)


def _preview_clients(url: str) -> int:
    return httpx.get(url + "/api/live", timeout=30).json()["preview_clients"]


def _wait_preview_clients(url: str, n: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while _preview_clients(url) != n:
        assert time.monotonic() < deadline, f"the server still has {_preview_clients(url)} picture viewers, not {n}"
        time.sleep(0.1)


STREAMING = "(document.getElementById('mjpeg').getAttribute('src') || '').includes('video.mjpg')"

SET_HIDDEN = """(hidden) => { Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
                             document.dispatchEvent(new Event("visibilitychange")); }"""

# Counts the animation frames the picture box is empty in, until the stream's picture is back.
COUNT_EMPTY = """() => {
  window.__empty = 0;
  const img = document.getElementById("mjpeg");
  const tick = () => {
    if (!img.naturalWidth && !img.style.backgroundImage) window.__empty++;
    if (img.naturalWidth) return;
    requestAnimationFrame(tick);
  };
  tick();
}"""


def test_no_picture_is_sent_to_a_hidden_tab_and_it_is_back_when_shown(open_page, picture_server):
    page = open_page(picture_server, 1280, 800)
    _picture_fits_its_box(page)
    _wait_preview_clients(picture_server, 1)
    page.evaluate(SET_HIDDEN, True)
    page.wait_for_function(f"() => !{STREAMING}")
    _wait_preview_clients(picture_server, 0)
    # Shown again: the last picture stays in the box until the stream's first one replaces it, never an empty box.
    page.evaluate(SET_HIDDEN, False)
    page.evaluate(COUNT_EMPTY)
    _picture_fits_its_box(page)
    assert page.evaluate("window.__empty") == 0
    page.wait_for_function("() => !document.getElementById('mjpeg').style.backgroundImage")  # the still is let go
    _wait_preview_clients(picture_server, 1)


def test_no_picture_is_sent_under_the_results_and_it_is_back_for_the_next_test(open_page, tmp_path, model_path):
    """The results hide the picture: the stream stops (before, 15 pictures a second went on, unseen), and
    comes back, at the box's size, when a test is run again."""
    # The demo's guided test, to its results (the demo has no picture) ...
    with serve_in_thread(ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(tmp_path / "a.db"))) as url:
        port = urlsplit(url).port
        page = open_page(url, 1280, 800)
        page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
        page.locator("body").press("Space")
        page.wait_for_selector("#results:not([hidden])", timeout=90_000)
    # ... then the server started again with a camera-like source: the page keeps the results on screen.
    settings = ServerSettings(source=_sharp_video(tmp_path / "stripes.mp4"), loop=True, db=str(tmp_path / "b.db"))
    with serve_in_thread(settings, port=port) as url:
        page.wait_for_function("() => document.getElementById('caption').textContent.startsWith('stripes.mp4')",
                               timeout=60_000)
        frames = page.evaluate("Number(document.body.dataset.frames)")
        page.wait_for_function(f"() => Number(document.body.dataset.frames) > {frames} + 5", timeout=60_000)
        assert page.locator("#results").is_visible()
        assert not page.evaluate(STREAMING)
        assert _preview_clients(url) == 0
        page.locator("body").press("Space")  # these results are not saved: asks first ...
        page.locator("body").press("Space")  # ... and runs the test again
        page.wait_for_selector("#results", state="hidden", timeout=30_000)
        _picture_fits_its_box(page)
        _wait_preview_clients(url, 1)
