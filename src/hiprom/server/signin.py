"""Signing a device in without the access token in any address: one-use, short-lived sign-in codes.

A server reachable from other machines needs its access token or a signed-in device
(``hiprom.server.security``). A browser signs in by opening a sign-in link, ``/signin/CODE``: the server spends
the code, starts a device session (:mod:`hiprom.server.devices`), sets its HttpOnly cookie and answers with a page
that opens ``/`` at once (:data:`SIGNED_IN`). Browsers keep the
first address of a visit in their history whatever comes next, so that is all any history, autocomplete,
screenshot or pasted link holds: a code that no longer works.

- A code is spent by a browser opening the link (``Sec-Fetch-Mode: navigate``) or by the button of the page
  any other fetch gets (:data:`CONFIRM`): a chat app fetching a pasted link for its preview spends nothing.
- A code is 16 random bytes (``secrets.token_urlsafe``, 128 bits): guessing one among the few open at a
  time within their minutes is hopeless, so attempts are not counted or slowed.
- It works once, for :data:`CODE_TTL_S` seconds; at most :data:`MAX_OPEN` are open at once (the oldest
  goes first), so asking for links again and again keeps no more than that.
- The link ``hiprom serve`` printed (the *announced* one) is replaced by a fresh one, printed again, as
  soon as it is used, or when a used, expired or wrong link is opened while it no longer works: the
  window running hiprom always shows a link that works for the next device. Where nobody watches a window
  (a service's log), ``hiprom serve`` keeps the announced link in an owner-only file instead and renews
  it as soon as it expires (:meth:`SignInCodes.renew_announced`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from html import escape

from hiprom.server.devices import IDLE_S

CODE_TTL_S = 300.0
"""How long a sign-in link works: time to walk to the tablet and open it."""
MAX_OPEN = 16
"""Sign-in codes open at once; a new one past this closes the oldest."""
SIGNIN_PREFIX = "/signin/"
"""The path of a sign-in link, before its code."""

Announce = Callable[[str], None]
"""Shows a fresh sign-in link's path (``/signin/CODE``) to the person at the server's machine."""


class SignInCodes:
    """The open sign-in codes of one server (thread-safe).

    Args:
        ttl_s: seconds a code works, from its issue.
        announce: called with the path of a fresh link whenever the announced one is used or found dead;
            None when nobody watches the server (tests, a server without a token).
        clock: monotonic seconds (a test's own clock).
    """

    def __init__(self, ttl_s: float = CODE_TTL_S, announce: Announce | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._announce = announce
        self._clock = clock
        self._expiry_s: OrderedDict[str, float] = OrderedDict()
        self._announced: str | None = None
        self._lock = threading.Lock()
        self._announcing = threading.RLock()  # one announcement at a time: the one shown is the one recorded

    def issue(self) -> str:
        """A new code, working once for ``ttl_s`` seconds; returns the link's path, ``/signin/CODE``."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._drop_expired()
            while len(self._expiry_s) >= MAX_OPEN:
                self._expiry_s.popitem(last=False)
            self._expiry_s[code] = self._clock() + self.ttl_s
        return SIGNIN_PREFIX + code

    def announce_new(self) -> str:
        """Issue a code for the window running the server, show it (``announce``); returns its path."""
        with self._announcing:
            path = self.issue()
            with self._lock:
                self._announced = path.removeprefix(SIGNIN_PREFIX)
            if self._announce is not None:
                self._announce(path)
        return path

    def redeem(self, code: str) -> bool:
        """Spend ``code``: True when it was open and in time (it works no more), False otherwise."""
        with self._lock:
            self._drop_expired()
            valid = self._expiry_s.pop(code, None) is not None
        self.renew_announced()
        return valid

    def renew_announced(self) -> bool:
        """Announce a fresh link if the announced one was used or has expired; returns whether it did."""
        with self._announcing:  # a request spending it and the renewal at its expiry announce one link, not two
            with self._lock:
                self._drop_expired()
                renew = (self._announce is not None and self._announced is not None
                         and self._announced not in self._expiry_s)
            if renew:
                self.announce_new()
        return renew

    def _drop_expired(self) -> None:
        now = self._clock()
        for code in [c for c, expiry_s in self._expiry_s.items() if expiry_s <= now]:
            del self._expiry_s[code]


def plain_page(title: str, *paragraphs: str, go_to: str | None = None, button: str | None = None) -> bytes:
    """A small HTML page of plain sentences (no script, no style: it is shown to a device not signed in);
    with ``go_to``, one that opens that path at once (and links to it, should the browser not); with
    ``button``, a button of that label that posts to the page's own address."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    head = "" if go_to is None else f'<meta http-equiv="refresh" content="0; url={escape(go_to)}">'
    if go_to is not None:
        body += f'<p><a href="{escape(go_to)}">Open hiprom</a></p>'
    if button is not None:
        body += f'<form method="post"><button type="submit">{escape(button)}</button></form>'
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}'
            f"<title>{escape(title)} - hiprom</title></head>"
            f"<body><h1>{escape(title)}</h1>{body}</body></html>").encode()


def opened_by_a_person(headers: dict[str, str]) -> bool:
    """Whether a GET is a browser's navigation (``Sec-Fetch-Mode: navigate``), not a chat app or mail filter
    fetching the link to preview or check it, which must not spend its code."""
    return headers.get("sec-fetch-mode", "").strip().lower() == "navigate"


CONFIRM = plain_page("Sign in to hiprom", "This link signs this device in to hiprom, once.", button="Sign in this device")
"""The answer to a sign-in link fetched other than by a browser's navigation (a link preview, an old browser):
the code is spent only by the button."""


SIGNED_IN = plain_page("This device is signed in", "Opening hiprom…", go_to="/")
"""The answer to a sign-in link that worked. Not a redirect: a link followed from another site (a chat, an
e-mail) makes the redirected request cross-site, which does not carry the new SameSite=Strict cookie, so the
page said "not signed in"; a page of this server that opens ``/`` itself is same-site."""


ASK_AT_THE_COMPUTER = ("Ask for a new sign-in link at the computer running hiprom: the window where "
                       "'hiprom serve' runs shows one ('hiprom signin-link' prints one there for a server run as "
                       "a service), and a device already signed in can make one (Add a device).")

LINK_REFUSED = plain_page(
    "This sign-in link does not work",
    f"It was already used, it is more than {CODE_TTL_S / 60:.0f} minutes old, or it was not copied whole. "
    "Each link signs in one device, once.",
    ASK_AT_THE_COMPUTER,
)
"""The answer to a used, expired or wrong sign-in link."""

NOT_SIGNED_IN = plain_page(
    "This device is not signed in to hiprom",
    "This hiprom server can be reached from other devices, so each device signs in once with a sign-in link.",
    ASK_AT_THE_COMPUTER,
)
"""The answer to a page opened on a device not signed in."""

SIGNED_OUT_PAGE = plain_page(
    "This device was signed out of hiprom",
    "It was signed out from a signed-in device or at the computer running hiprom, or it was not used for "
    f"{IDLE_S / 3600:.0f} hours.",
    ASK_AT_THE_COMPUTER,
)
"""The answer to a page opened on a device whose sign-in has ended."""
