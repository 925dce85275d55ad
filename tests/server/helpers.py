"""Helpers of the server and browser tests: WebSocket reading and the message shape."""

from __future__ import annotations

import json
import time
from collections.abc import Callable


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://", 1) + path


def recv_json(ws, timeout: float = 10.0) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def recv_until(ws, predicate: Callable[[dict], bool], timeout: float = 15.0) -> tuple[dict, list[dict]]:
    """Read messages until ``predicate`` holds; returns (that message, all read)."""
    deadline = time.monotonic() + timeout
    seen: list[dict] = []
    while True:
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            msg = recv_json(ws, timeout=left)
        except TimeoutError:
            codes = [m.get("status", {}).get("code") for m in seen]
            raise AssertionError(
                f"no matching message within {timeout} s; {len(seen)} read, status codes {codes[:5]}...{codes[-5:]}, "
                f"last: {str(seen[-1] if seen else None)[:300]}, guide: {_guide(seen)}"
            ) from None
        seen.append(msg)
        if predicate(msg):
            return msg, seen


def read_until_closed(ws, timeout: float = 60.0):
    """Read until the server closes ``ws``; returns the close it sent (``websockets.frames.Close``). Fails when it
    is still open after ``timeout`` seconds, however many messages it sends meanwhile."""
    from websockets.exceptions import ConnectionClosed

    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.1, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "the connection ended without a close from the server"
        return closed.rcvd
    except TimeoutError:
        pass
    raise AssertionError(f"the server did not close the WebSocket within {timeout} s")


def _guide(seen: list[dict]) -> str:
    """The last guide state read, in short: phase, sub, and each step's trials."""
    states = [m["state"] for m in seen if m.get("state")]
    if not states:
        return "none"
    st = states[-1]
    steps = [(s["short"], [(t["peak_deg"], t["valid"]) for t in s["trials"]]) for s in st["steps"]]
    return f"{st['phase']}/{st['sub']} step {st['step_index']}: {steps} ({st['detail']})"


def assert_frame_message(msg: dict) -> None:
    """The documented shape of one ``/ws/live`` frame message (docs/server.md)."""
    assert msg["type"] == "frame"
    assert isinstance(msg["t_ms"], float | int)
    assert set(msg["sides"]) == {"left", "right"}
    for side in ("left", "right"):
        s = msg["sides"][side]
        assert set(s) >= {"angle_deg", "uncertainty_deg", "flags", "method"}
        assert s["angle_deg"] is None or -180.0 <= s["angle_deg"] <= 180.0
        assert isinstance(s["flags"], list) and all(isinstance(f, str) for f in s["flags"])
    assert set(msg["quality"]) >= {"person", "n_people", "measurable", "fps", "dropped", "calibrated"}
    assert {"code", "level", "text", "blocking"} <= set(msg["status"]) <= {"code", "level", "text", "blocking", "detail"}
    assert msg["status"]["text"] and msg["status"]["blocking"] == (msg["status"]["level"] == "error")
    assert msg["state"]["phase"] in ("idle", "setup", "calibrate", "trial", "analyzing", "results")
    assert set(msg["source"]) >= {"kind", "label", "preview", "size_wh"}
    if msg["landmarks"] is not None:
        assert len(msg["landmarks"]) == 33 and all(len(p) == 3 for p in msg["landmarks"])
    assert msg["timing"]["latency_ms"] >= 0
