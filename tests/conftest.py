"""Shared fixtures: where the shared footage and model live, and synthetic poses.

Tests that need ``../shared`` (real footage, the model bundle) skip with a
message saying exactly what is missing, instead of failing obscurely.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from hiprom.recording import LandmarkRecording

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HIPROM_SHARED_DIR", REPO.parent / "shared"))
FOOTAGE = SHARED / "footage"
RENDERED = FOOTAGE / "rendered"
SAMPLE = REPO / "samples" / "demo_seated_test.landmarks.npz"
ANALYSIS_FIXTURE = REPO / "tests" / "store" / "data" / "analysis.json"


def _need(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.skip(f"{what} not found at {path}: put the shared folder beside the repo or set HIPROM_SHARED_DIR")
    return path


@pytest.fixture(scope="session")
def footage_dir() -> Path:
    """The folder of real clips (``../shared/footage``)."""
    return _need(FOOTAGE, "shared footage")


@pytest.fixture(scope="session")
def provenance(footage_dir: Path) -> dict[str, dict]:
    """``provenance.json`` of the shared footage, keyed by file name."""
    data = json.loads((footage_dir / "provenance.json").read_text())
    return {entry["file"]: entry for entry in data["files"]}


@pytest.fixture(scope="session")
def rendered_truth() -> dict[str, dict]:
    """``truth.json`` of the rendered clips, keyed by clip id."""
    path = _need(RENDERED / "truth.json", "rendered clips' truth.json")
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The pose model file the tests use (HIPROM_MODEL_DIR or ../shared/models)."""
    model_dir = Path(os.environ.get("HIPROM_MODEL_DIR", SHARED / "models"))
    path = model_dir / "pose_landmarker_full.task"
    return _need(path, "pose model (set HIPROM_MODEL_DIR)")


@dataclass(frozen=True)
class Tracked:
    """Outcome of ``hiprom track`` on one file: its exit code and, when 0, the recording's path."""

    exit_code: int
    path: Path | None

    @property
    def recording(self) -> LandmarkRecording:
        """The ``LandmarkRecording`` written (the file must have been tracked)."""
        from hiprom.recording import LandmarkRecording

        assert self.path is not None, "hiprom track failed on this file"
        return LandmarkRecording.load(self.path)


@pytest.fixture(scope="session")
def track_footage(footage_dir: Path, model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Tracked]:
    """``track_footage("rendered/gt01.mp4")``: ``hiprom track`` of a file of the shared footage, once.

    Every test that reads a clip's landmarks shares one run: the model is the
    dearest part of the suite. The recordings sit in a folder that pytest-xdist's
    workers share; a file is written there whole (renamed into place) before its
    outcome, so a worker sees a clip tracked completely or not at all.
    """
    from hiprom.cli.main import main

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    shared = root / "tracked-footage"
    shared.mkdir(exist_ok=True)
    own = tmp_path_factory.mktemp("tracking")

    def track(relative: str) -> Tracked:
        name = relative.replace("/", "__")
        target, outcome = shared / f"{name}.landmarks.npz", shared / f"{name}.json"
        if not outcome.exists():
            draft = own / target.name
            code = main(["track", str(footage_dir / relative), "-o", str(draft), "--model", str(model_path), "--quiet"])
            if code == 0:
                os.replace(draft, target)
            (own / outcome.name).write_text(json.dumps({"exit_code": code}))
            os.replace(own / outcome.name, outcome)
        code = json.loads(outcome.read_text())["exit_code"]
        return Tracked(code, target if code == 0 else None)

    return track


@pytest.fixture(scope="session")
def _demo_analysis() -> dict:
    from hiprom.pipeline import analyze_path

    _, result = analyze_path(SAMPLE)
    return result


@pytest.fixture
def analysis(_demo_analysis: dict) -> dict:
    """The analysis of samples/demo_seated_test.landmarks.npz (a fresh copy per test)."""
    return copy.deepcopy(_demo_analysis)


@pytest.fixture
def filmed_again() -> Callable[[dict], dict]:
    """``filmed_again(analysis)``: a copy of it as if made from another recording (its own
    ``recording_sha256``), so saved beside it, it is a test of its own, not the same recording analysed twice."""
    import itertools

    numbers = itertools.count(1)
    return lambda analysis: {**copy.deepcopy(analysis), "recording_sha256": f"{next(numbers):064x}"}


@pytest.fixture
def demo_recording_as() -> Callable[[Path], Path]:
    """``demo_recording_as(path)``: the demo recording saved at ``path`` under that source name, with bytes of
    its own, not a copy (a batch analyses byte-identical inputs once)."""
    import numpy as np

    def save(path: Path) -> Path:
        with np.load(SAMPLE, allow_pickle=False) as data:
            fields = {k: data[k] for k in data.files}
        fields["source"] = np.array(path.name)
        np.savez(path, **fields)
        return path

    return save


@pytest.fixture
def fixture_analysis() -> dict:
    """A hand-made analysis that follows docs/formats.md field by field (fixed dates, odd cases)."""
    return json.loads(ANALYSIS_FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def grey_video(tmp_path: Path) -> str:
    """Two seconds of a plain grey 160x120 picture at 10 fps: a video source with a picture to preview and
    nobody in it."""
    import cv2
    import numpy as np

    path = tmp_path / "grey.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 120))
    for _ in range(20):
        writer.write(np.full((120, 160, 3), 128, np.uint8))
    writer.release()
    return str(path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator:
    """An empty SQLite store in the test's folder."""
    from hiprom.store import Store

    with Store(tmp_path / "hiprom.db") as s:
        yield s


def _mount_tmpfs(where: Path, options: str) -> None:
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (.ci/run runs as root)")
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")


def _umount(where: Path) -> None:
    import subprocess

    subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture(autouse=True)
def _a4_paper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every PDF on A4 whatever this machine's locale (en_US would lay them out on US Letter);
    the tests of Letter ask for it (tests/report/test_paper.py)."""
    monkeypatch.setenv("HIPROM_PAPER", "a4")


@pytest.fixture(autouse=True)
def _patient_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx's one-call functions wait 60 s for a test server's answer, not httpx's 5 s: a rehearsal on 2 cores at
    load 35-45 timed out saving a session before its test reached what it checks. A test of a timeout, and
    hiprom's own calls, name theirs."""
    for name in ("request", "get", "post", "put", "patch", "delete", "stream"):
        monkeypatch.setattr(httpx, name, functools.partial(getattr(httpx, name), timeout=60.0))


@pytest.fixture
def sydney_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """hiprom runs in Sydney (UTC+11 in March): a morning there crosses midnight UTC."""
    monkeypatch.setenv("TZ", "Australia/Sydney")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def fill_up(where: Path, leave: int = 0) -> None:
    """Fill the file system of ``where`` with ``where/filler``, then free ``leave`` bytes of it."""
    fd = os.open(where / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    if leave:
        os.truncate(where / "filler", (where / "filler").stat().st_size - leave)


@pytest.fixture
def refill() -> Callable[..., None]:
    """:func:`fill_up`, for a test that frees some of ``full_disk`` and fills it again."""
    return fill_up


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a real, full file system: a 256 KiB tmpfs filled up (needs root)."""
    where = tmp_path / "full"
    _mount_tmpfs(where, "size=256k,mode=0700")
    try:
        fill_up(where)
        yield where
    finally:
        _umount(where)


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder no one may write to: a read-only tmpfs as root, else a 0500 folder."""
    where = tmp_path / "read-only"
    if os.geteuid() == 0:
        _mount_tmpfs(where, "ro,size=64k")
        try:
            yield where
        finally:
            _umount(where)
    else:
        where.mkdir(mode=0o500)
        try:
            yield where
        finally:
            where.chmod(0o700)
