"""Fixtures of the batch tests: synthetic recordings and the stand-in analyser."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from . import fakes

FAKE_ANALYZER = f"{fakes.__name__}:analyze_by_name"
"""``run_batch(analyzer=...)`` value of the stand-in analyser (importable by spawned workers)."""

REPO = Path(__file__).resolve().parents[2]


def undated(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """``summary.csv`` rows without their ``created_utc``: what two runs on the same inputs have alike."""
    return [{k: v for k, v in row.items() if k != "created_utc"} for row in rows]


def rewrite_analysis(paths, change) -> None:
    """Write ``paths``' analysis again as ``change(analysis)`` leaves it, its marker's digest with it, as if an
    earlier run (an older hiprom or other libraries) had written it: a resumed batch keeps it as its own."""
    from hiprom.assessment import result_json
    from hiprom.batch.outputs import data_digest

    analysis = json.loads(paths.analysis.read_text(encoding="utf-8"))
    change(analysis)
    text = result_json(analysis).encode("utf-8")
    paths.analysis.write_bytes(text)
    marker = json.loads(paths.marker.read_text(encoding="utf-8"))
    marker["outputs"][paths.analysis.name] = data_digest(text)
    paths.marker.write_text(json.dumps(marker), encoding="utf-8")


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    """A folder of four synthetic recordings, two of them same-named in sub-folders."""
    folder = tmp_path / "in"
    fakes.make_recordings(folder, ["a.landmarks.npz", "b.landmarks.npz", "x/c.landmarks.npz", "y/c.landmarks.npz"])
    return folder


def _ctrl_c_as_in_a_terminal() -> None:
    """Give the child the default SIGINT, as a terminal does. A job started in the background
    of a non-interactive shell (``cmd &``) ignores SIGINT, and so would every process it starts:
    the tests' Ctrl-C would then be lost."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def python_subprocess(argv: list[str], cwd: Path) -> subprocess.Popen:
    """``python ARGV`` with the tests importable as in pytest (for the fakes); pipes for output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "tests"), str(REPO), str(REPO / "src"), env.get("PYTHONPATH", "")])
    return subprocess.Popen([sys.executable, *argv], cwd=cwd, env=env, preexec_fn=_ctrl_c_as_in_a_terminal,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def hiprom_subprocess(args: list[str], cwd: Path) -> subprocess.Popen:
    """The ``hiprom`` command (``python -m hiprom.cli.main ARGS``) as a subprocess."""
    return python_subprocess(["-m", "hiprom.cli.main", *args], cwd)
