"""``hiprom.atomic.write_files``: several files written all or none."""

from __future__ import annotations

from pathlib import Path

import pytest

from hiprom.atomic import write_files
from hiprom.errors import OutputError


def test_a_file_that_cannot_be_written_leaves_the_others_as_they_were(tmp_path: Path) -> None:
    """A validation's JSON was replaced, then its PDF failed: the two no longer told the same study."""
    (tmp_path / "study.json").write_text("last study\n")
    (tmp_path / "not-a-folder").write_text("a file where a folder should be\n")
    with pytest.raises(OutputError, match="not-a-folder"):
        write_files({tmp_path / "study.json": "this study\n", tmp_path / "new.csv": b"t_s\n",
                     tmp_path / "not-a-folder" / "study.pdf": b"%PDF-1.7\n"})
    assert (tmp_path / "study.json").read_text() == "last study\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder", "study.json"]  # no part files
    assert write_files({tmp_path / "study.json": "this study\n"}) == [tmp_path / "study.json"]
    assert (tmp_path / "study.json").read_text() == "this study\n"
