"""Cameras: what a user sees when the camera cannot be opened, and camera specs."""

from __future__ import annotations

import pytest

from hiprom.capture import CameraSource, open_source, parse_camera_index
from hiprom.errors import SourceError

ABSENT = 57  # no machine running the tests has 58 cameras


@pytest.mark.parametrize("spec", [ABSENT, str(ABSENT)])
def test_missing_camera_says_so_and_lists_what_to_check(spec):
    with pytest.raises(SourceError) as err:
        open_source(spec, duration_s=1)
    message = str(err.value)
    assert message.startswith(f"camera {ABSENT} could not be opened")
    for hint in ("index", "allowed to use the camera", "other app", "video file instead"):
        assert hint in message
    assert "\n" not in message


def test_negative_index_and_bad_duration_are_refused():
    with pytest.raises(SourceError, match="0 or more"):
        CameraSource(-1)
    with pytest.raises(SourceError, match="positive number of seconds"):
        CameraSource(0, duration_s=0)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [(0, 0), ("0", 0), (" 2 ", 2), ("clip.mp4", None), ("0.mp4", None), (True, None)],
)
def test_camera_specs(spec, expected):
    assert parse_camera_index(spec) == expected


def test_digits_that_name_an_existing_file_are_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "3").write_text("x")
    assert parse_camera_index("3") is None
