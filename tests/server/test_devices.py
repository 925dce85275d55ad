"""The signed-in devices of a server reachable from other machines, on a real server: each sign-in is a device of
its own, listed, and signed out from the computer (a lost tablet) without changing anyone else's sign-in."""

from __future__ import annotations

import stat
import time

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from hiprom.cli.main import main
from hiprom.server.devices import IDLE_S, DeviceSessions, describe
from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings
from hiprom.server.signin import SignInCodes

from .helpers import read_until_closed, recv_json, ws_url

TOKEN = "devices-test-token-0123"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
        "Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
           "Safari/537.36")


class Device:
    """One browser: its own cookie jar, signed in with a one-use link."""

    def __init__(self, url: str, codes: SignInCodes, user_agent: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=30, headers={
            "User-Agent": user_agent, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"})
        self.signed_in = self.client.get(codes.issue())
        assert self.signed_in.status_code == 200, self.signed_in.text

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.client.cookies.items())

    def socket(self, url: str):
        return connect(ws_url(url, "/ws/live"), additional_headers={"Cookie": self.cookie}, open_timeout=30)


@pytest.fixture()
def server(tmp_path):
    codes = SignInCodes()
    settings = ServerSettings(host="0.0.0.0", token=TOKEN, source="demo", loop=True, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings, sign_in=codes) as url:
        yield url, codes


def test_a_sign_in_cookie_holds_the_devices_own_sign_in_never_the_token(server):
    """Before, the cookie was ``hiprom_token_PORT=<the token>``: a lost tablet held the server's long-lived token,
    good for every device and script until it was changed."""
    url, codes = server
    tablet, phone = Device(url, codes, IPAD), Device(url, codes, ANDROID)
    for device in (tablet, phone):
        assert TOKEN not in device.signed_in.headers["set-cookie"]
        assert device.client.get("/api/info").status_code == 200
    assert tablet.cookie != phone.cookie  # a sign-in each


def test_the_computer_lists_the_devices_and_signs_one_out_whose_live_page_ends_at_once(server):
    """Before, nobody could see which devices were signed in (``/api/devices``: 404), and only the device itself
    could sign out: a lost tablet stayed signed in, its live page open."""
    url, codes = server
    tablet, phone = Device(url, codes, IPAD), Device(url, codes, ANDROID)
    listed = tablet.client.get("/api/devices")
    assert listed.status_code == 200, listed.text
    devices = {d["description"]: d for d in listed.json()["devices"]}
    assert set(devices) == {"Safari on iPad", "Chrome on Android"}
    assert devices["Safari on iPad"]["this_device"] and not devices["Chrome on Android"]["this_device"]
    assert listed.json()["idle_hours"] == IDLE_S / 3600

    with phone.socket(url) as ws:
        assert recv_json(ws, timeout=30)["type"] in ("frame", "status")
        assert tablet.client.delete(f"/api/devices/{devices['Chrome on Android']['id']}").status_code == 204
        closed = read_until_closed(ws)
    assert closed.code == 1008 and "signed out" in closed.reason and "ask at the computer" in closed.reason

    refused = phone.client.get("/api/info")
    assert refused.status_code == 401 and "this device was signed out" in refused.json()["detail"]
    page = phone.client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 401 and "This device was signed out of hiprom" in page.text
    assert "Ask for a new sign-in link at the computer running hiprom" in page.text
    with pytest.raises(InvalidStatus):
        phone.socket(url)
    # Everyone else stays signed in: the tablet, and scripts with the token.
    assert tablet.client.get("/api/info").status_code == 200
    assert [d["description"] for d in httpx.get(url + "/api/devices", headers=BEARER).json()["devices"]] == [
        "Safari on iPad"]
    assert httpx.delete(url + "/api/devices/nobody", headers=BEARER).status_code == 404
    # Its own Sign out ends the tablet's sign-in on the server too, not only its cookie.
    kept = tablet.cookie
    assert tablet.client.post("/signout", headers={"Origin": url}).status_code == 204
    assert httpx.get(url + "/api/info", headers={"Cookie": kept}).status_code == 401


def test_a_signed_out_devices_preview_ends(tmp_path, grey_video, model_path):
    """The camera's picture (``/video.mjpg``) of a device signed out stops with its live page."""
    codes = SignInCodes()
    settings = ServerSettings(host="0.0.0.0", token=TOKEN, source=grey_video, loop=True, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings, sign_in=codes) as url:
        tablet = Device(url, codes, IPAD)
        with tablet.client.stream("GET", "/video.mjpg", headers={"Sec-Fetch-Mode": "no-cors"}) as preview:
            assert preview.status_code == 200
            chunks = preview.iter_bytes()
            assert b"image/jpeg" in next(chunks)
            device_id = httpx.get(url + "/api/devices", headers=BEARER).json()["devices"][0]["id"]
            assert httpx.delete(f"{url}/api/devices/{device_id}", headers=BEARER).status_code == 204
            deadline = time.monotonic() + 60
            for _ in chunks:  # the stream ends (it never ended by itself)
                assert time.monotonic() < deadline, "the preview went on after its device was signed out"


def test_devices_stay_signed_in_across_a_restart_in_an_owner_only_file_without_their_secrets(tmp_path):
    """A restart of the laptop's server did not sign the tablets out; the file cannot sign anyone in."""
    kept = tmp_path / "data" / "serve.devices"
    codes = SignInCodes()
    settings = ServerSettings(host="0.0.0.0", token=TOKEN, start_source=False, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings, sign_in=codes, devices=DeviceSessions(kept)) as url:
        tablet = Device(url, codes, IPAD)
        cookie = tablet.cookie
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert cookie.split("=", 1)[1] not in kept.read_text()
    port = httpx.URL(url).port
    with serve_in_thread(settings.model_copy(update={"token": "a-new-token-at-restart"}), port=port,
                         devices=DeviceSessions(kept)) as again:
        assert httpx.get(again + "/api/info", headers={"Cookie": cookie}).status_code == 200


class Clock:
    def __init__(self) -> None:
        self.t_s = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t_s


def test_a_device_unused_for_the_idle_time_is_signed_out_one_with_its_live_page_open_is_not(tmp_path):
    clock = Clock()
    sessions = DeviceSessions(tmp_path / "devices", clock=clock)
    used, idle = sessions.sign_in(IPAD), sessions.sign_in(ANDROID)
    watching = sessions.sign_in(IPAD)
    closed = sessions.opened(sessions.seen(watching).id, lambda: None)
    clock.t_s += IDLE_S - 60
    assert sessions.seen(used) is not None
    clock.t_s += 120
    assert sessions.seen(idle) is None and sessions.seen(used) is not None
    assert sessions.seen(watching) is not None  # its page open all along
    closed()
    clock.t_s += IDLE_S
    assert sessions.seen(watching) is None
    assert DeviceSessions(tmp_path / "devices", clock=clock).devices() == []  # nor after a restart


def test_a_request_let_in_just_before_its_device_was_signed_out_is_ended_too():
    """Between the guard's check and the request's start the device may be signed out: it is told at once."""
    sessions = DeviceSessions()
    device = sessions.seen(sessions.sign_in(IPAD))
    assert sessions.sign_out(device.id)
    told: list[bool] = []
    sessions.opened(device.id, lambda: told.append(True))()
    assert told == [True]


@pytest.mark.parametrize(("agent", "words"), [
    (IPAD, "Safari on iPad"),
    (ANDROID, "Chrome on Android"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
     "Edg/131.0.0.0", "Edge on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Mac"),
    ("curl/8.5.0", "curl"),
    ("", "unknown browser"),
])
def test_a_device_is_described_in_words_a_person_recognises(agent, words):
    assert describe(agent) == words


def test_every_device_can_be_signed_out_by_the_id_hiprom_devices_lists():
    """An id began with '-' one time in 64 (base64's letters), and 'hiprom devices sign-out -Xy…' took it for an
    option (exit 2): the rehearsal's tablet could not be signed out at the computer. 300 sign-ins: none such."""
    sessions = DeviceSessions()
    for _ in range(300):
        sessions.sign_in(IPAD)
    ids = [d.id for d in sessions.devices()]
    assert len(ids) == 300 and not [i for i in ids if i.startswith("-") or not i.isalnum()], ids


def test_hiprom_devices_lists_the_devices_and_signs_one_out_at_the_computer(server, monkeypatch, capsys):
    url, codes = server
    tablet = Device(url, codes, IPAD)
    port = str(httpx.URL(url).port)
    monkeypatch.setenv("HIPROM_SERVE_TOKEN", TOKEN)

    def hiprom(*args: str) -> tuple[int, str, str]:
        code = main(["devices", "--port", port, *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, listed, _ = hiprom()
    assert code == 0 and "Safari on iPad" in listed and "signed out by itself" in listed, listed
    device_id = listed.split()[0]
    code, _, err = hiprom("sign-out", "not-a-device")
    assert code == 2 and err.strip() == ("hiprom: error: no device is signed in as 'not-a-device': "
                                         "'hiprom devices' lists them")
    code, out, _ = hiprom("sign-out", device_id)
    assert code == 0 and "Signed out 1 device" in out, out
    assert tablet.client.get("/api/info").status_code == 401
    assert "No device is signed in." in hiprom()[1]
