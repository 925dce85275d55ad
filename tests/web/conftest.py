"""Fixtures of the browser tests: Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not found:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    return str(found)


@pytest.fixture(scope="module")
def playwright():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[test])")
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def launch(playwright):
    """``launch(*extra_args)``: a headless Chromium; closed at the end of the module."""
    browsers = []

    def start(*extra: str):
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=[*BASE_ARGS, *extra])
        browsers.append(browser)
        return browser

    yield start
    for browser in browsers:
        browser.close()


def demo_page(launch, url: str):
    """A 1280x800 page of the server at ``url`` once its frames come, and the list its script errors go to."""
    page = launch().new_context(viewport={"width": 1280, "height": 800}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url + "/")
    page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
    return page, errors

def write_y4m(video: Path, out: Path, max_frames: int | None = None) -> Path:
    """Convert a clip to Y4M (I420), the format Chromium's fake camera reads."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    with out.open("wb") as fh:
        n = 0
        while max_frames is None or n < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            h, w = bgr.shape[:2]
            if n == 0:
                fh.write(f"YUV4MPEG2 W{w} H{h} F{round(fps * 1000)}:1000 Ip A1:1 C420jpeg\n".encode())
            fh.write(b"FRAME\n")
            fh.write(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes())
            n += 1
    cap.release()
    if n == 0:
        pytest.skip(f"{video} gave no frames to feed the fake camera")
    return out


# Resolves, in the page, at the first change of the page (any element, attribute or text) after which ``cond``
# (JS) holds, with what ``take`` (JS) gives in that same moment. Armed before the action that brings it: a state
# that lasts only until the next message or timer (a socket's close until it reconnects, a refusal until the
# next status) is seen even when the test asks later than it lasted.
WATCH_JS = """
([name, cond, take]) => {
  const holds = new Function("return (" + cond + ");");
  const value = new Function("return (" + take + ");");
  window.__hipromSeen = window.__hipromSeen || {};
  window.__hipromSeen[name] = new Promise((resolve) => {
    if (holds()) { resolve(value()); return; }
    const obs = new MutationObserver(() => { if (holds()) { obs.disconnect(); resolve(value()); } });
    obs.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}
"""


def watch(page, name: str, cond: str, take: str = "true") -> None:
    """Arm ``name``: the first moment ``cond`` (a JS expression) holds on the page; read it with :func:`seen`."""
    page.evaluate(WATCH_JS, [name, cond, take])


def seen(page, name: str, timeout_ms: int = 30_000):
    """What ``take`` gave when ``name``'s condition first held (waiting up to ``timeout_ms`` for it)."""
    return page.evaluate(
        "([name, ms]) => Promise.race([window.__hipromSeen[name],"
        " new Promise((_, no) => setTimeout(() => no(new Error(name + ' never came')), ms))])",
        [name, timeout_ms],
    )
