"""This device's camera reconnecting mid-exercise: the page sends back the reps counted before."""

from __future__ import annotations

import json

import pytest
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
