"""The counted exercise over HTTP on a real server with the demo as its source."""

from __future__ import annotations

import time

import httpx
import pytest

pytestmark = pytest.mark.slow


def test_exercise_starts_counts_in_the_messages_and_stops_with_its_record(live_server):
    with live_server(source="demo", loop=True, replay_speed=4.0) as url:
        assert httpx.get(url + "/api/exercise").json() is None
        r = httpx.post(url + "/api/exercise/start", json={"exercise": "chair_rotation_external", "side": "left"})
        assert r.status_code == 202
        deadline = time.monotonic() + 30
        state = None
        while time.monotonic() < deadline:
            state = httpx.get(url + "/api/exercise").json()
            if state and state["last_rep"]:
                break
            time.sleep(0.3)
        assert state and state["active"] and state["counting"] and state["last_rep"]["peak_deg"] > 8
        assert httpx.post(url + "/api/exercise/stop").status_code == 202
        # The stop is queued to the source's loop, which publishes the record with its next frame.
        deadline = time.monotonic() + 30
        while (done := httpx.get(url + "/api/exercise").json())["active"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not done["active"] and done["result"]["schema"] == "hiprom.exercise/1"
        assert done["result"]["side"] == "left" and len(done["result"]["reps"]) >= 1


@pytest.mark.parametrize(("body", "words"), [
    ({"exercise": "knee_to_knee", "side": "left"}, "not followed by the camera"),
    ({"exercise": "nothing", "side": "left"}, "unknown exercise"),
    ({"exercise": "chair_rotation_external", "side": "left", "reps": [{"number": 2}]}, "counted before are unreadable"),
])
def test_what_the_camera_cannot_count_is_a_422_with_one_line(live_server, body, words):
    with live_server(source="demo", loop=True) as url:
        r = httpx.post(url + "/api/exercise/start", json=body)
        assert r.status_code == 422 and words in r.json()["detail"]
