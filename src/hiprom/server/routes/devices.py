"""The signed-in devices: listed, and any one signed out (a lost tablet, one lent out), from a signed-in page or
``hiprom devices`` at the computer (:mod:`hiprom.server.devices`)."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from hiprom.server.devices import Device, DeviceSessions
from hiprom.server.errors import GUARDED, responses
from hiprom.server.security import DEVICE_SCOPE_KEY

router = APIRouter(tags=["sign-in"])

NO_SIGN_IN = "this server needs no sign-in: it is reachable from this machine only"


class DevicePublic(BaseModel):
    """One signed-in device as the list shows it (its secret never leaves the server)."""

    id: str = Field(description="name of this sign-in, to sign it out with")
    description: str = Field(description="browser and system, from its User-Agent, e.g. 'Safari on iPad'")
    signed_in: datetime = Field(description="when it signed in (UTC)")
    last_seen: datetime = Field(description="its last request, or now while its live page is open (UTC)")
    this_device: bool = Field(description="the device asking")


class DeviceList(BaseModel):
    """The signed-in devices, the most recently seen first."""

    devices: list[DevicePublic]
    idle_hours: float = Field(description="a device unused this long is signed out")


def _sessions(request: Request) -> DeviceSessions:
    if request.app.state.settings.token is None:
        raise HTTPException(409, NO_SIGN_IN)
    return request.app.state.devices


def _utc(t_s: float) -> datetime:
    return datetime.fromtimestamp(t_s, timezone.utc)


@router.get("/api/devices", response_model=DeviceList, responses=responses(*GUARDED, 409))
def list_devices(request: Request) -> DeviceList:
    """The devices signed in to this server."""
    sessions = _sessions(request)
    asking: Device | None = request.scope.get(DEVICE_SCOPE_KEY)
    return DeviceList(
        devices=[DevicePublic(id=d.id, description=d.description, signed_in=_utc(d.signed_in_s),
                              last_seen=_utc(d.last_seen_s), this_device=asking is not None and d.id == asking.id)
                 for d in sessions.devices()],
        idle_hours=sessions.idle_s / 3600,
    )


@router.delete("/api/devices/{device_id}", status_code=204, responses=responses(*GUARDED, 404, 409))
def sign_out_device(request: Request, device_id: str) -> Response:
    """Sign a device out: its next request is refused and its open live page and preview end, each saying to ask
    at the computer for a new sign-in link."""
    if not _sessions(request).sign_out(device_id):
        raise HTTPException(404, f"no device signed in as {device_id!r}: list them with GET /api/devices")
    return Response(status_code=204)
