"""The one rule for numbers, text and JSON depth that server, store and CLI share (issue 12, item 5)."""

from __future__ import annotations

import pytest

from hiprom.errors import InputError
from hiprom.parsing import ascii_int, check_json_tree, check_text, record_id


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", 12), (" 7 ", 7), ("0", 0),
        ("¹²³", None),          # isdigit() is true, int() fails: was a ValueError traceback
        ("٣", None),            # int() would quietly read 3
        ("１２", None),          # full-width digits
        ("-1", None), ("+1", None), ("1_000", None), ("", None), ("1.0", None),
        ("9" * 18, int("9" * 18)), ("9" * 19, None),
    ],
)
def test_ascii_int_reads_only_plain_digits(text, number):
    assert ascii_int(text) == number


@pytest.mark.parametrize(("ref", "number"), [("#12", 12), (" #3", 3), (5, 5), (True, None), ("#¹", None), (-1, None)])
def test_record_id(ref, number):
    assert record_id(ref) == number


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def test_json_deeper_than_the_limit_is_refused_without_recursion():
    check_json_tree({"a": _nested(30)}, "settings")
    with pytest.raises(InputError, match=r"settings: a\.0\.0.* nested more than 32 levels"):
        check_json_tree({"a": _nested(100_000)}, "settings")


def test_lone_surrogates_are_refused_with_their_place():
    check_text("Zoë 🦄 שלום", "name")
    with pytest.raises(InputError, match=r"name: text holds '\\udc80', a lone surrogate"):
        check_text("bad\udc80", "name")
    with pytest.raises(InputError, match=r"analysis: trials\.1\.flags\.0: text holds '\\ud800'"):
        check_json_tree({"trials": [{}, {"flags": ["\ud800"]}]}, "analysis")
    with pytest.raises(InputError, match="analysis: sides: text holds"):
        check_json_tree({"sides": {"\udcff": 1}}, "analysis")
