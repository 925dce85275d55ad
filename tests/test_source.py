"""The one source classifier: what a source argument names, the same for every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from hiprom.capture import parse_camera_index
from hiprom.errors import InputError
from hiprom.pipeline import is_recording
from hiprom.source import SourceSpec, file_kind


@pytest.mark.parametrize(
    ("spec", "kind", "value"),
    [
        ("0", "camera", 0),
        (2, "camera", 2),
        ("demo", "demo", None),
        ("a/b/rec.landmarks.npz", "recording", Path("a/b/rec.landmarks.npz")),
        ("a/b/any.npz", "recording", Path("a/b/any.npz")),
        ("clip.mp4", "video", Path("clip.mp4")),
    ],
)
def test_source_spec(spec, kind, value):
    parsed = SourceSpec.parse(spec)
    assert (parsed.kind, parsed.value) == (kind, value)
    assert "/" not in parsed.label  # never a full path on the page


@pytest.mark.parametrize("name", ["0", "3", "x.npz", "x.landmarks.npz", "clip.MP4", "notes.txt"])
def test_every_command_classifies_a_name_alike(name):
    spec = SourceSpec.parse(name)
    assert is_recording(name) == (spec.kind == "recording")
    assert (parse_camera_index(name) is not None) == (spec.kind == "camera")
    if spec.kind in ("recording", "video"):
        assert file_kind(name) in (spec.kind, None)
        assert (file_kind(name) == "recording") == (spec.kind == "recording")


def test_a_folder_is_a_folder_of_images_and_a_digit_named_file_is_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "frames").mkdir()
    (tmp_path / "7").write_bytes(b"")
    assert SourceSpec.parse("frames").kind == "folder"
    assert SourceSpec.parse("7").kind == "video"


@pytest.mark.parametrize(
    ("name", "message"),
    [("nope.mp4", "nope.mp4: no such file"), ("notes.txt", "notes.txt: not a video")],
)
def test_a_missing_or_unknown_source_is_one_clear_line(tmp_path, name, message):
    if name == "notes.txt":
        (tmp_path / name).write_text("hello")
    with pytest.raises(InputError, match=message) as err:
        SourceSpec.parse(tmp_path / name).check()
    assert "\n" not in str(err.value)
