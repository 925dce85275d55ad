"""One-use sign-in codes: each works once, for a few minutes, and the window running hiprom always shows one
that works."""

from __future__ import annotations

import pytest

from hiprom.server.signin import MAX_OPEN, SIGNIN_PREFIX, SignInCodes


class Clock:
    """Monotonic seconds a test moves by hand."""

    def __init__(self) -> None:
        self.t_s = 1000.0

    def __call__(self) -> float:
        return self.t_s


def code_of(path: str) -> str:
    assert path.startswith(SIGNIN_PREFIX)
    return path.removeprefix(SIGNIN_PREFIX)


def test_a_code_works_once_within_its_minutes():
    clock = Clock()
    codes = SignInCodes(ttl_s=300.0, clock=clock)
    once, late = code_of(codes.issue()), code_of(codes.issue())
    assert len(once) >= 22  # 16 random bytes: 128 bits, beyond guessing
    assert codes.redeem(once) and not codes.redeem(once)
    clock.t_s += 300.0
    assert not codes.redeem(late)
    assert not codes.redeem("") and not codes.redeem("not-a-code")


def test_no_more_than_max_open_codes_are_kept_the_oldest_going_first():
    codes = SignInCodes(clock=Clock())
    issued = [code_of(codes.issue()) for _ in range(MAX_OPEN + 1)]
    assert not codes.redeem(issued[0])
    assert all(codes.redeem(code) for code in issued[1:])


@pytest.mark.parametrize("how", ["used", "expired then tried", "wrong while expired"])
def test_the_window_running_hiprom_gets_a_fresh_link_once_its_link_is_dead(how):
    clock = Clock()
    shown: list[str] = []
    codes = SignInCodes(ttl_s=300.0, announce=shown.append, clock=clock)
    codes.announce_new()
    first = code_of(shown[0])
    if how == "used":
        assert codes.redeem(first)
    else:
        clock.t_s += 301.0
        assert not codes.redeem(first if how == "expired then tried" else "guess")
    assert len(shown) == 2 and codes.redeem(code_of(shown[1]))


def test_wrong_codes_print_nothing_while_the_shown_link_still_works():
    shown: list[str] = []
    codes = SignInCodes(announce=shown.append, clock=Clock())
    codes.announce_new()
    for guess in ("a", "b", "c"):
        assert not codes.redeem(guess)
    assert len(shown) == 1 and codes.redeem(code_of(shown[0]))


def test_a_kept_link_is_renewed_once_it_expires_unused():
    """A service's link file is renewed by ``renew_announced`` (nobody watching a log tries the dead link)."""
    clock = Clock()
    shown: list[str] = []
    codes = SignInCodes(ttl_s=300.0, announce=shown.append, clock=clock)
    codes.announce_new()
    clock.t_s += 299.0
    assert not codes.renew_announced() and len(shown) == 1
    clock.t_s += 1.0
    assert codes.renew_announced() and len(shown) == 2 and codes.redeem(code_of(shown[1]))
    assert not SignInCodes(clock=clock).renew_announced()  # nothing announced, nobody to show it to
