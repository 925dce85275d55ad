"""This device's camera reconnecting mid-exercise: the page sends back the reps counted before."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .helpers import recv_until, ws_url

pytestmark = [pytest.mark.model]

START = {"type": "exercise", "action": "start", "exercise": "chair_rotation_internal", "side": "right"}


def _rep(number: int, counted: bool) -> dict:
    return {"number": number, "start_s": 10.0 * number, "end_s": 10.0 * number + 6.0, "peak_deg": 24.5,
            "hold_s": 3.1 if counted else 1.0, "hold_start_s": 10.0 * number + 1.5,
            "hold_end_s": 10.0 * number + 4.6, "counted": counted, "reasons": [] if counted else ["released_early"]}


@pytest.fixture()
def model_env(model_path, monkeypatch):
    monkeypatch.setenv("HIPROM_MODEL_DIR", str(model_path.parent))


def test_an_exercise_started_again_after_a_lost_connection_keeps_its_reps(live_server, model_env):
    before = [_rep(1, True), _rep(2, False), _rep(3, True)]
    with live_server(start_source=False) as url:
        with connect(ws_url(url, "/ws/camera"), open_timeout=5, max_size=None) as ws:
            recv_until(ws, lambda m: m["status"]["code"] == "ok", timeout=30)
            ws.send(json.dumps({**START, "reps": before}))  # what the page sends when it is back
            started, _ = recv_until(ws, lambda m: (m.get("exercise") or {}).get("active") is True, timeout=30)
            ws.send(json.dumps({**START, "reps": [_rep(2, True)]}))  # not numbered from 1: refused, said why
            refused, _ = recv_until(ws, lambda m: m["status"]["code"] == "exercise_refused", timeout=30)
            ws.send(json.dumps({**START, "reps": before}))
            ws.send(json.dumps({"type": "exercise", "action": "stop"}))  # Done pressed while it was down
            stopped, _ = recv_until(ws, lambda m: (m.get("exercise") or {}).get("result") is not None, timeout=30)
    state = started["exercise"]
    assert (state["reps_done"], state["reps_refused"], state["counting"]) == (2, 1, False)  # a new lead-in
    assert state["last_rep"]["number"] == 3  # the page has said it already: not said again
    assert refused["status"]["text"] == "The camera cannot count it: the reps counted before are out of order."
    result = stopped["exercise"]["result"]
    assert (result["reps_done"], result["reps_refused"]) == (2, 1)
    assert [r["number"] for r in result["reps"]] == [1, 2, 3] and result["holds_s"] == [3.1, 1.0, 3.1]


def test_a_page_whose_link_dropped_mid_test_takes_its_test_back_even_before_the_server_saw_the_drop(
        live_server, model_env):
    """The page's network dropped mid-test and came back: the page connects again before the server has noticed
    (its old connection still open, a dead network is seen only when pings go unanswered, 20-40 s). Before,
    each connection had its own test: the new one started idle, the test under way was lost. Now the old
    connection is ended, and the new one takes its test up where it was, said (``test_resumed``)."""
    page = "?page=0123456789abcdef0123456789abcdef"
    with live_server(start_source=False) as url:
        with connect(ws_url(url, "/ws/camera" + page), open_timeout=5, max_size=None) as old:
            recv_until(old, lambda m: m["status"]["code"] == "ok", timeout=30)
            old.send(json.dumps({"type": "command", "action": "start"}))
            recv_until(old, lambda m: (m.get("state") or {}).get("phase") == "setup", timeout=30)
            with connect(ws_url(url, "/ws/camera" + page), open_timeout=5, max_size=None) as new:
                back, _ = recv_until(new, lambda m: m["status"]["code"] in ("ok", "test_resumed"), timeout=30)
                assert back["status"]["code"] == "test_resumed", back["status"]
                assert back["status"]["text"] == "Connection back: the test goes on where it was."
                assert back["state"]["phase"] == "setup"
                with pytest.raises(ConnectionClosed):  # the old connection was ended
                    recv_until(old, lambda m: False, timeout=30)
        # Another page (another id, or none) never gets it.
        with connect(ws_url(url, "/ws/camera?page=fedcba9876543210"), open_timeout=5, max_size=None) as other:
            first, _ = recv_until(other, lambda m: m["status"]["code"] in ("ok", "test_resumed"), timeout=30)
            assert first["status"]["code"] == "ok" and first["state"]["phase"] == "idle"
