"""What the live page redraws per message: the skeleton once per screen frame, never when nothing changed.

The page's WebSocket is answered by the test (Playwright's ``route_web_socket``), with frame messages the real
server made, so which messages arrive, and how many, does not depend on the machine's speed.
"""

from __future__ import annotations

import json
import time

import pytest
from websockets.sync.client import connect

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings

pytestmark = [pytest.mark.browser]

COUNT_DRAWS = """
window.__draws = 0; // the skeleton canvas's redraws: each starts by clearing it
const clear = CanvasRenderingContext2D.prototype.clearRect;
CanvasRenderingContext2D.prototype.clearRect = function (...args) { window.__draws++; return clear.apply(this, args); };
"""
NEXT_SCREEN_FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())))"


@pytest.fixture(scope="module")
def server_and_frame():
    """A server (the demo source) for the page and its facts, and one frame message it sent."""
    with serve_in_thread(ServerSettings(source="demo", loop=True, records=False)) as url:
        with connect(url.replace("http://", "ws://") + "/ws/live", open_timeout=10) as ws:
            deadline = time.monotonic() + 30
            while True:
                msg = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
                if msg["type"] == "frame" and msg["landmarks"]:
                    break
        yield url, msg


def test_the_skeleton_is_drawn_again_only_when_the_frame_changed(launch, server_and_frame):
    url, frame = server_and_frame
    browser = launch()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
    page = context.new_page()
    page.add_init_script(COUNT_DRAWS)
    sockets = []
    page.route_web_socket("**/ws/live", lambda route: sockets.append(route))  # never connected to the server: the test answers
    page.goto(url + "/")
    deadline = time.monotonic() + 30
    while not sockets:
        assert time.monotonic() < deadline, "the page never opened its WebSocket"
        page.wait_for_timeout(50)
    ws = sockets[0]
    page.wait_for_function("() => document.querySelector('#side-left .dial-face').children.length > 0", timeout=30_000)
    sent = 0

    def send(message: dict) -> tuple[int, list[int]]:
        """The canvas's redraws and its size once ``message`` was handled and the screen frame after it made."""
        nonlocal sent
        ws.send(json.dumps(message))
        sent += 1
        page.wait_for_function(f"() => Number(document.body.dataset.frames || 0) >= {sent}", timeout=30_000)
        page.evaluate(NEXT_SCREEN_FRAME)  # the drawing asked for is made at the next screen frame
        return page.evaluate("[window.__draws, [document.getElementById('skeleton').width, document.getElementById('skeleton').height]]")

    # The first frames fit the picture's box to the source (the canvas resized, drawn again): settled by the second.
    send(frame)
    drawn, size = send(frame)
    for _ in range(4):  # the same frame again (a source that paused, a message repeated): nothing to redraw
        draws, now = send(frame)
        assert draws == drawn or now != size  # (a canvas resized is cleared: drawn again, rightly)
        drawn, size = draws, now
    moved = json.loads(json.dumps(frame))
    moved["landmarks"][25][0] += 0.02  # the left knee moved
    assert send(moved)[0] == drawn + 1
    drawn = page.evaluate(
        """() => { const c = document.getElementById('skeleton');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    assert drawn > 500  # and what was drawn is still there
    context.close()
