"""Finding a batch's inputs and naming their outputs without collisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from hiprom.batch import discover
from hiprom.errors import InputError


def _touch(root: Path, names: list[str]) -> None:
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(name.encode())  # each its own bytes: not copies of each other


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # rel path -> output stem
        (["a.mp4", "b.MOV", "c.landmarks.npz", "notes.txt", "d.jpg"],
         {"a.mp4": "a", "b.MOV": "b", "c.landmarks.npz": "c"}),
        (["x/clip.mp4", "y/clip.mp4"], {"x/clip.mp4": "x/clip", "y/clip.mp4": "y/clip"}),
        (["clip.mp4", "clip.mov"], {"clip.mp4": "clip.mp4", "clip.mov": "clip.mov"}),
        (["clip.mp4", "clip.landmarks.npz"], {"clip.mp4": "clip.mp4", "clip.landmarks.npz": "clip.landmarks.npz"}),
        (["Clip.mp4", "clip.mkv"], {"Clip.mp4": "Clip.mp4", "clip.mkv": "clip.mkv"}),
        (["v.avi", "v2.webm", "v3.m4v", "v4.mkv"], {"v.avi": "v", "v2.webm": "v2", "v3.m4v": "v3", "v4.mkv": "v4"}),
        (["CAM0001.MTS", "cam2.m2ts", "p.3GP", "old.mpg", "old2.MPEG", "w.wmv"],
         {"CAM0001.MTS": "CAM0001", "cam2.m2ts": "cam2", "p.3GP": "p", "old.mpg": "old", "old2.MPEG": "old2",
          "w.wmv": "w"}),
        ([".hidden.mp4", "._a.mp4", ".cache/b.mp4", "ok.mp4", ".x.analysis.json.abc.part"], {"ok.mp4": "ok"}),
    ],
    ids=["endings", "same-name-other-folders", "same-stem", "video-beside-recording", "case-insensitive",
         "all-video-endings", "camcorder-and-phone-endings", "hidden-left-out"],
)
def test_folder_search_and_names(tmp_path: Path, files: list[str], expected: dict[str, str]) -> None:
    _touch(tmp_path / "in", files)
    jobs = discover([tmp_path / "in"])
    assert {j.rel: j.stem for j in jobs} == expected
    assert all(j.path.is_absolute() and j.path.is_file() for j in jobs)


def test_outputs_mirror_paths_below_the_common_folder(tmp_path: Path) -> None:
    _touch(tmp_path, ["site1/day1/a.mp4", "site2/a.mp4"])
    jobs = discover([tmp_path / "site1", tmp_path / "site2"])
    assert [j.stem for j in jobs] == ["site1/day1/a", "site2/a"]


def test_named_file_taken_whatever_its_ending(tmp_path: Path) -> None:
    _touch(tmp_path, ["notes.txt", "v.mp4"])
    jobs = discover([tmp_path / "notes.txt", tmp_path / "v.mp4", tmp_path / "v.mp4"])
    assert [j.rel for j in jobs] == ["notes.txt", "v.mp4"]  # duplicates dropped


def test_linked_folders_are_searched_once_and_loops_end(tmp_path: Path) -> None:
    """Data laid out with links to other disks (``site2 -> /mnt/nas/site2``) was silently left out."""
    _touch(tmp_path, ["elsewhere/b.mp4", "in/site1/a.mp4"])
    (tmp_path / "in" / "site2").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "in" / "site1" / "up").symlink_to(tmp_path / "in", target_is_directory=True)  # a loop
    (tmp_path / "in" / "gone").symlink_to(tmp_path / "nowhere", target_is_directory=True)
    jobs = discover([tmp_path / "in"])
    assert [(j.rel, j.stem) for j in jobs] == [("site1/a.mp4", "site1/a"), ("site2/b.mp4", "site2/b")]
    both = discover([tmp_path / "in", tmp_path / "elsewhere"])  # the same folder by two routes: once
    assert [j.rel for j in both] == ["site1/a.mp4", "site2/b.mp4"]


def test_a_file_linked_under_a_second_name_is_analysed_once(tmp_path: Path) -> None:
    """A link to another input (``latest.mp4 -> day2/p1.mp4``) was analysed twice, and counted twice in the summary."""
    _touch(tmp_path, ["day2/p1.mp4", "day1/p0.mp4"])
    (tmp_path / "latest.mp4").symlink_to(tmp_path / "day2" / "p1.mp4")
    (tmp_path / "day1" / "copy.mp4").hardlink_to(tmp_path / "day1" / "p0.mp4")
    jobs = discover([tmp_path])
    assert sorted(j.rel for j in jobs) == ["day1/copy.mp4", "day1/p0.mp4", "day2/p1.mp4"]
    # A hard link is a name of its own, a copy of the other: before, it was merged with no row at all.
    assert {j.rel: j.copy_of for j in jobs} == {"day1/copy.mp4": "day1/p0.mp4", "day1/p0.mp4": "", "day2/p1.mp4": ""}
    named = discover([tmp_path / "latest.mp4", tmp_path / "day2"])
    assert [j.rel for j in named] == ["p1.mp4"]


def test_glob_replaces_the_default_endings(tmp_path: Path) -> None:
    _touch(tmp_path, ["a.MTS", "b.mp4", "sub/c.MTS"])
    jobs = discover([tmp_path], patterns=["*.MTS"])
    assert [j.rel for j in jobs] == ["a.MTS", "sub/c.MTS"]


def test_out_dir_inside_an_input_folder_is_not_searched(tmp_path: Path) -> None:
    _touch(tmp_path, ["a.mp4", "out/a.landmarks.npz"])
    jobs = discover([tmp_path], out_dir=tmp_path / "out")
    assert [j.rel for j in jobs] == ["a.mp4"]


@pytest.mark.parametrize(
    ("inputs", "out", "message"),
    [
        (["missing"], None, "no such file or folder"),
        (["empty"], None, "no videos or .landmarks.npz recordings found"),
        (["empty"], "empty", "output folder cannot also be an input folder"),
    ],
)
def test_bad_inputs_say_what_is_wrong(tmp_path: Path, inputs: list[str], out: str | None, message: str) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=message):
        discover([tmp_path / i for i in inputs], out_dir=None if out is None else tmp_path / out)


@pytest.mark.parametrize(
    ("files", "copies"),
    [
        ({"IMG_0001 (1).MOV": b"clip", "IMG_0001.MOV": b"clip"}, {"IMG_0001 (1).MOV": "IMG_0001.MOV"}),
        ({"site1/p.mp4": b"p", "site1 copy/p.mp4": b"p", "site1/q.mp4": b"q"}, {"site1 copy/p.mp4": "site1/p.mp4"}),
        ({"a.mp4": b"aaaa", "b.mp4": b"bbbb"}, {}),  # the same size, other bytes: two people
        ({"a.mp4": b"", "b.mp4": b""}, {}),  # empty: each fails as such
        ({"a.mp4": b"v", "b.mp4": b"v", "c.mp4": b"v"}, {"b.mp4": "a.mp4", "c.mp4": "a.mp4"}),
    ],
    ids=["phone-copy", "folder-copied", "same-size-other-bytes", "empty", "three-alike"],
)
def test_a_copy_under_another_name_names_the_input_analysed(tmp_path: Path, files: dict[str, bytes],
                                                             copies: dict[str, str]) -> None:
    """Byte-identical copies were analysed under each name, and a study counted one person twice."""
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    jobs = discover([tmp_path])
    assert {j.rel: j.copy_of for j in jobs if j.copy_of} == copies
    assert all(j.stem == "" for j in jobs if j.copy_of) and all(j.stem for j in jobs if not j.copy_of)
