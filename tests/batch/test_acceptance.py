"""Issue 7 acceptance: a real batch over the shared footage with the real pose model.

A subset keeps CI short: the two rendered clips and two short real clips, plus
a truncated mp4, a text file named .mp4 and an empty file.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import pytest

from hiprom.batch import OutputPaths, read_summary, run_batch
from hiprom.pipeline import analyze_path
from hiprom.report.figures import fmt

from .conftest import hiprom_subprocess, undated

pytestmark = [pytest.mark.footage, pytest.mark.model, pytest.mark.slow]

CLIPS = {  # footage path -> path in the batch folder
    "rendered/gt01.mp4": "rendered/gt01.mp4",
    "rendered/gt06.mp4": "rendered/gt06.mp4",
    "c_squats_front_tfjs.mp4": "real/c_squats_front_tfjs.mp4",
    "b_seated_knee_ext_3quarter_physiobody.mp4": "real/b_seated_knee_ext_3quarter_physiobody.mp4",
}
BAD = {  # batch path -> words its error must contain
    "bad/d_nonvideo_truncated_squats.mp4": "not a readable video",
    "bad/d_nonvideo_text_named.mp4": "not a readable video",
    "bad/empty.mp4": "is empty (0 bytes)",
}


def _comparable(analysis: dict) -> dict:
    return {k: v for k, v in analysis.items() if k not in ("created_utc",)}


@pytest.fixture(scope="module")
def batch_in(footage_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("footage_batch") / "in"
    for src, dst in CLIPS.items():
        (folder / dst).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(footage_dir / src, folder / dst)
    (folder / "bad").mkdir()
    shutil.copy(footage_dir / "d_nonvideo_truncated_squats.mp4", folder / "bad")
    shutil.copy(footage_dir / "d_nonvideo_text_named.mp4", folder / "bad")
    (folder / "bad" / "empty.mp4").write_bytes(b"")
    return folder


@pytest.fixture(scope="module")
def local_run(batch_in: Path, model_path: Path):
    """``hiprom batch`` as a user runs it: (out_dir, exit code, stderr)."""
    out = batch_in.parent / "out"
    proc = hiprom_subprocess(["batch", str(batch_in), "-o", str(out), "--model", str(model_path)], batch_in.parent)
    _, err = proc.communicate(timeout=240)
    return out, proc.returncode, err


def test_batch_completes_and_reports_each_bad_file(local_run) -> None:
    out, code, err = local_run
    assert code == 1, err  # some inputs failed
    assert "3 of 7 inputs failed" in err
    rows = {r["file"]: r for r in read_summary(out / "summary.csv")}
    assert set(rows) == set(CLIPS.values()) | set(BAD)
    for name in CLIPS.values():
        assert rows[name]["status"] == "ok", rows[name]
    for name, words in BAD.items():
        assert rows[name]["status"] == "failed"
        assert words in rows[name]["error"], rows[name]["error"]


def test_numbers_equal_hiprom_analyze(local_run, track_footage) -> None:
    out, _, _ = local_run
    rows = {r["file"]: r for r in read_summary(out / "summary.csv")}
    for src, name in CLIPS.items():
        paths = OutputPaths.of(out, name.removesuffix(".mp4"))
        written = json.loads(paths.analysis.read_text())
        # `hiprom analyze` of a video is the analysis of the landmarks `hiprom track` writes of it
        # (tests/test_pipeline.py); the suite tracks each shared clip once.
        _, expected = analyze_path(track_footage(src).path)
        assert "tracked_from" not in written and expected.pop("tracked_from") == written["source"], name
        assert _comparable(written) == _comparable(expected) | {"source": written["source"]}, name
        row = rows[name]
        for side in ("left", "right"):
            got = row[f"{side}_internal_rotation_deg"]
            want = expected["sides"][side]["internal_rotation_deg"]
            assert got == ("" if want is None else fmt(want))
        # The saved recording re-analyses to the very same result, with no model.
        _, again = analyze_path(paths.landmarks)
        assert again.pop("tracked_from") == written["source"]  # the video's name, which its landmarks keep
        assert _comparable(again) == _comparable(expected) | {"source": again["source"]}


def test_dask_gives_the_same_summary(local_run, batch_in: Path, model_path: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="the Dask backend needs hiprom[cluster]")
    out, _, _ = local_run
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster:
        result = run_batch([batch_in], tmp_path / "dask", model=model_path,
                           scheduler=cluster.scheduler_address, progress=False)
    assert undated(read_summary(result.summary_path)) == undated(read_summary(out / "summary.csv"))


def test_interrupted_batch_does_only_the_rest(batch_in: Path, model_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for name in ("real/c_squats_front_tfjs.mp4", "rendered/gt01.mp4", "rendered/gt06.mp4"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(batch_in / name, folder / name)
    out = tmp_path / "out"
    args = ["batch", str(folder), "-o", str(out), "--model", str(model_path), "--workers", "1"]
    proc = hiprom_subprocess(args, tmp_path)
    deadline = time.monotonic() + 120
    while not list(out.rglob("*.done.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    first = {r["file"]: r["status"] for r in read_summary(out / "summary.csv")}
    done = {f for f, s in first.items() if s == "ok"}
    assert 1 <= len(done) < 3 and set(first.values()) <= {"ok", "interrupted"}, first
    proc = hiprom_subprocess(args, tmp_path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    second = {r["file"]: r["status"] for r in read_summary(out / "summary.csv")}
    assert {f for f, s in second.items() if s == "skipped"} == done
    assert {f for f, s in second.items() if s == "ok"} == set(first) - done
