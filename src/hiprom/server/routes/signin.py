"""Signing a device in: the one-use links (``/signin/CODE``), a fresh one for another device, signing out."""

from __future__ import annotations

import base64
import io

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from hiprom.server.errors import GUARDED, responses
from hiprom.server.security import DEVICE_SCOPE_KEY, cleared_cookies, device_cookie
from hiprom.server.settings import is_loopback, page_address
from hiprom.server.signin import (
    CONFIRM,
    LINK_REFUSED,
    SIGNED_IN,
    SIGNIN_PREFIX,
    SignInCodes,
    opened_by_a_person,
)

router = APIRouter(tags=["sign-in"])


@router.get(SIGNIN_PREFIX, include_in_schema=False)
@router.get(SIGNIN_PREFIX + "{code:path}", include_in_schema=False)
def sign_in(request: Request, code: str = "") -> Response:
    """Spend a sign-in code opened by a browser: it gets its own device session's cookie and a page that opens ``/`` at once
    (:data:`~hiprom.server.signin.SIGNED_IN`, not a redirect), so its history holds only the spent code. A used,
    expired or wrong code gets a page saying what to do (403). Any other fetch (a chat app's link preview) gets
    a page whose button spends it (:data:`~hiprom.server.signin.CONFIRM`)."""
    if request.app.state.settings.token is None:  # this server needs no sign-in (reachable from this machine only)
        return RedirectResponse("/", status_code=303)
    if not opened_by_a_person({k.lower(): v for k, v in request.headers.items()}):
        # Under the server's "no-referrer" a form's post says "Origin: null", which the guard refuses (403); under
        # "same-origin" it names this server (the post goes nowhere else, and no link leaves this page).
        return Response(CONFIRM, media_type="text/html; charset=utf-8", headers={"Referrer-Policy": "same-origin"})
    return _spend(request, code)


@router.post(SIGNIN_PREFIX, include_in_schema=False)
@router.post(SIGNIN_PREFIX + "{code:path}", include_in_schema=False)
def sign_in_by_button(request: Request, code: str = "") -> Response:
    """The button of :data:`~hiprom.server.signin.CONFIRM`: spend the code as :func:`sign_in` does."""
    if request.app.state.settings.token is None:
        return RedirectResponse("/", status_code=303)
    return _spend(request, code)


def _spend(request: Request, code: str) -> Response:
    """A new device session, its cookie and the page that opens ``/`` for a code that works (once), else the page
    that says what to do. The cookies that held the token itself (an older hiprom's) are cleared."""
    if not request.app.state.sign_in.redeem(code):
        return Response(LINK_REFUSED, status_code=403, media_type="text/html; charset=utf-8")
    secret = request.app.state.devices.sign_in(request.headers.get("user-agent", ""))
    response = Response(SIGNED_IN, media_type="text/html; charset=utf-8")
    new = device_cookie(request.scope, secret)
    old = [c for c in cleared_cookies(request.scope) if c.split("=", 1)[0] != new.split("=", 1)[0]]
    for cookie in [*old, new]:
        response.headers.append("set-cookie", cookie)
    return response


@router.post("/signout", status_code=204, include_in_schema=False)
def sign_out(request: Request) -> Response:
    """Sign this device out (the page's Sign out, which then opens ``/``: "This device is not signed in"): its
    device session ends and its cookie is cleared; the other devices stay signed in. A server that needs no
    sign-in has nothing to clear (409)."""
    if request.app.state.settings.token is None:
        raise HTTPException(409, "this server needs no sign-in: it is reachable from this machine only")
    device = request.scope.get(DEVICE_SCOPE_KEY)
    if device is not None:
        request.app.state.devices.sign_out(device.id)
    response = Response(status_code=204)
    for cookie in cleared_cookies(request.scope):
        response.headers.append("set-cookie", cookie)
    return response


@router.post("/api/signin-links", status_code=201, responses=responses(*GUARDED, 409))
def new_link(request: Request) -> dict:
    """A new one-use sign-in link for another device (this device is signed in already), valid for ``expires_s``
    seconds: its address as this device reached the server (the machine's name if that was loopback, which
    another device cannot reach), and that address as a QR code to scan."""
    codes: SignInCodes | None = request.app.state.sign_in
    if codes is None:
        raise HTTPException(409, "this server needs no sign-in: it is reachable from this machine only")
    reached = request.url
    base = (page_address(request.app.state.settings.host, reached.port or 80)
            if reached.hostname and is_loopback(reached.hostname) else str(request.base_url))
    url = base.rstrip("/") + codes.issue()
    return {"url": url, "qr": qr_data_uri(url), "expires_s": round(codes.ttl_s)}


def qr_data_uri(text: str) -> str:
    """``text`` as a QR code: an SVG ``data:`` URI (the page's Content-Security-Policy allows ``data:`` images)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    svg = io.BytesIO()
    qrcode.make(text, image_factory=SvgPathImage, border=4).save(svg)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode("ascii")
