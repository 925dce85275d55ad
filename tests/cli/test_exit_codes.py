"""Every exit code of the README's table, produced by its situation (subprocesses, as a user runs them).

The table is read from README.md, so a code documented without a test here,
or a test of a code the table does not document, fails.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "samples" / "demo_seated_test.landmarks.npz"


def documented_codes() -> set[int]:
    """The codes of the README's "Exit codes" table."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    return {int(m) for m in re.findall(r"^\| (\d+) \|", section, flags=re.M)}


def run(home: Path, *args: str | Path, shell: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HIPROM_DATA_DIR": str(home / "data")}
    env.pop("HIPROM_DB_URL", None)
    argv = [sys.executable, "-m", "hiprom.cli.main", *map(str, args)]
    if shell is not None:  # e.g. "| head -1": the exit code of hiprom itself, via bash's PIPESTATUS
        line = " ".join(f"'{a}'" for a in argv) + f" {shell}; exit ${{PIPESTATUS[0]}}"
        return subprocess.run(["bash", "-c", line], cwd=home, env=env, capture_output=True, text=True, timeout=240)
    return subprocess.run(argv, cwd=home, env=env, capture_output=True, text=True, timeout=240)


def at_a_terminal(home: Path, args: list[str], answer: bytes | None) -> tuple[int, str]:
    """Run hiprom on a pseudo-terminal; once it asks, type ``answer`` (``None``: press Ctrl-C).

    Returns the exit code and everything the terminal showed.
    """
    import pty

    env = {**os.environ, "HIPROM_DATA_DIR": str(home / "data"), "COLUMNS": "250"}
    env.pop("HIPROM_DB_URL", None)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "hiprom.cli.main", *args], cwd=home, env=env,
                            stdin=slave, stdout=slave, stderr=slave,
                            # as at a shell: a test runner's worker may ignore Ctrl-C, and a child inherits that
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    shown, asked = b"", False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None or select.select([master], [], [], 0)[0]:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child has closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            if not asked and b"cannot be undone" in shown:
                asked = True
                if answer is None:
                    proc.send_signal(signal.SIGINT)  # what Ctrl-C at the terminal sends
                else:
                    os.write(master, answer)
        assert asked, f"the question never appeared: {shown!r}"
        return proc.wait(timeout=30), shown.decode("utf-8", "replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose default store holds session 1 (subject P-1)."""
    home = tmp_path_factory.mktemp("codes")
    assert run(home, "analyze", DEMO, "--json", "a.json", "-q").returncode == 0
    assert run(home, "sessions", "add", "a.json", "--subject", "P-1").returncode == 0
    return home


@pytest.mark.parametrize(("args", "answer", "what"), [
    (["sessions", "delete", "1"], b"n\n", "Delete session #1?"),
    (["subjects", "delete", "P-1"], b"no\n", "Delete subject 'P-1' and its 1 session?"),
    (["sessions", "delete", "1"], b"\x04", "Delete session #1?"),  # Ctrl-D: no answer is a no
], ids=["session-n", "subject-no", "session-eof"])
def test_delete_asks_at_a_terminal_and_no_deletes_nothing(home: Path, args: list[str], answer: bytes,
                                                          what: str) -> None:
    """The question is visible (it went to the silenced file descriptor 2 before), and no is a plain exit 1."""
    code, shown = at_a_terminal(home, args, answer)
    assert what in shown and "[y/N]" in shown
    assert code == 1 and "nothing deleted" in shown and "interrupted" not in shown and "error" not in shown
    assert [s["id"] for s in json.loads(run(home, "sessions", "list", "--json").stdout)] == [1]


def _video(path: Path) -> Path:
    """A short black video: enough to reach the pose model."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (64, 48))
    for _ in range(3):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    return path


def _batch_stopped_by(home: Path, tmp_path: Path, sig: signal.Signals,
                      demo_recording_as: Callable[[Path], Path]) -> subprocess.CompletedProcess[str]:
    """``hiprom batch`` on many recordings, sent ``sig`` once its first input is done (as a job scheduler does)."""
    inputs, out = tmp_path / f"many-{sig.name}", tmp_path / f"out-{sig.name}"
    inputs.mkdir()
    for i in range(40):
        demo_recording_as(inputs / f"{i:02d}.landmarks.npz")
    argv = [sys.executable, "-m", "hiprom.cli.main", "batch", str(inputs), "-o", str(out), "--no-progress",
            "--workers", "1"]
    env = {**os.environ, "HIPROM_DATA_DIR": str(home / "data")}
    proc = subprocess.Popen(argv, cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("*.done.json")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert f"stopped by {sig.name}" in stderr and (out / "summary.csv").is_file(), stderr
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def _nobody(path: Path) -> Path:
    with np.load(DEMO, allow_pickle=False) as data:
        fields = {k: data[k] for k in data.files}
    fields["image"] = np.full_like(fields["image"], np.nan)
    fields["world"] = np.full_like(fields["world"], np.nan)
    fields["n_people"] = np.zeros_like(fields["n_people"])
    np.savez(path, **fields)
    return path


def test_every_documented_exit_code_comes_from_its_situation(home: Path, tmp_path: Path,
                                                             demo_recording_as: Callable[[Path], Path]) -> None:
    (tmp_path / "in").mkdir()
    shutil.copy(DEMO, tmp_path / "in" / "good.landmarks.npz")
    (tmp_path / "in" / "empty.landmarks.npz").write_bytes(b"")
    (tmp_path / "a-file").write_text("")
    model = tmp_path / "model.task"
    model.write_text("not a model")
    cases: dict[int, subprocess.CompletedProcess[str]] = {
        0: run(home, "analyze", DEMO, "-q"),
        1: run(home, "batch", tmp_path / "in", "-o", tmp_path / "out", "--no-progress", "--workers", "1"),
        2: run(home, "analyze", DEMO, "--workers", "3"),
        3: run(home, "analyze", _video(tmp_path / "clip.mp4"), "--model", model),
        4: run(home, "analyze", _nobody(tmp_path / "nobody.landmarks.npz")),
        5: run(home, "sessions", "list", "--db", tmp_path / "hiprom.dbb"),
        6: run(home, "analyze", DEMO, "--json", tmp_path / "a-file" / "a.json"),
        129: _batch_stopped_by(home, tmp_path, signal.SIGHUP, demo_recording_as),
        141: run(home, "analyze", DEMO, shell="| head -1"),
        143: _batch_stopped_by(home, tmp_path, signal.SIGTERM, demo_recording_as),
    }
    code, shown = at_a_terminal(home, ["sessions", "delete", "1"], None)
    assert code == 130 and "hiprom: interrupted" in shown
    assert set(cases) | {130} == documented_codes()
    for expected, done in cases.items():
        assert done.returncode == expected, (expected, done.stderr)
        assert "Traceback" not in done.stderr and "Usage:" not in done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("hiprom: error:")]
        assert len(errors) == (1 if expected in (1, 2, 3, 4, 5, 6) else 0), (expected, done.stderr)
    assert cases[141].stderr == "" and cases[141].stdout.count("\n") == 1
