"""A newcomer's first commands, as README.md gives them, run as subprocesses the way a user runs them."""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "samples" / "demo_seated_test.landmarks.npz"


def hiprom(*args: str | Path, cwd: Path, module: str = "hiprom.cli.main",
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "HIPROM_DATA_DIR": str(cwd / "data"), **(env or {})}
    full.pop("HIPROM_DB_URL", None)
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=120)


def one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The single ``hiprom: error:`` line of a run that ended with ``code``: nothing else on stderr."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code and len(lines) == 1 and lines[0].startswith("hiprom: error: "), \
        (done.returncode, done.stderr)
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_python_dash_m_hiprom_is_the_hiprom_command(tmp_path: Path) -> None:
    """Where the script is not on PATH (a venv not activated), ``python -m hiprom`` works as ``hiprom``."""
    done = hiprom("--version", cwd=tmp_path, module="hiprom")
    assert done.returncode == 0 and done.stdout.startswith("hiprom, version "), done.stderr


def _without(tmp_path: Path, *modules: str) -> dict[str, str]:
    """An environment in which ``modules`` cannot be imported, as when their hiprom extra is not installed."""
    shadow = tmp_path / "not-installed"
    shadow.mkdir()
    for name in modules:
        (shadow / f"{name}.py").write_text(f'raise ModuleNotFoundError("No module named {name!r}", name={name!r})\n')
    return {"PYTHONPATH": os.pathsep.join([str(shadow), os.environ.get("PYTHONPATH", "")])}


def test_a_missing_extra_is_one_line_with_its_pip_command_and_a_documented_code(tmp_path: Path) -> None:
    shutil.copy(DEMO, tmp_path / "x.landmarks.npz")
    assert hiprom("analyze", "x.landmarks.npz", "--json", "a.json", "-q", cwd=tmp_path).returncode == 0
    env = _without(tmp_path, "weasyprint", "distributed", "psycopg")
    # exit 1 means "nothing done at your word" in the README; a PDF without its extra was one
    one_line(hiprom("report", "a.json", "-o", "a.pdf", cwd=tmp_path, env=env), 2,
             "needs WeasyPrint", "pip install 'hiprom[report]'")
    assert not (tmp_path / "a.pdf").exists()
    # the batch drew its progress bar and made OUT_DIR with a lock file before saying Dask was missing
    one_line(hiprom("batch", "x.landmarks.npz", "-o", "out", "--scheduler", "tcp://127.0.0.1:1", cwd=tmp_path, env=env),
             2, "--scheduler needs Dask distributed", "pip install 'hiprom[cluster]'")
    assert not (tmp_path / "out").exists()
    one_line(hiprom("sessions", "list", "--db", "postgresql://nobody@/hiprom", cwd=tmp_path, env=env), 5,
             "needs the psycopg driver", "pip install 'hiprom[postgres]'")


def test_a_first_use_download_says_so_before_the_network_answers(tmp_path: Path) -> None:
    """Behind a network that never answers, 'hiprom analyze VIDEO' was silent for 30 s, then failed."""
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(tmp_path / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (64, 48))
    for _ in range(3):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    silent = socket.create_server(("127.0.0.1", 0))  # takes connections, never answers: a proxy gone quiet
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k not in ("HIPROM_MODEL_DIR", "HIPROM_OFFLINE")}
    env.update(HTTPS_PROXY=f"http://127.0.0.1:{silent.getsockname()[1]}", HIPROM_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "hiprom.cli.main", "analyze", "clip.mp4"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stderr], [], [], 20)
        said = proc.stderr.readline() if ready else ""
        assert proc.poll() is None, "it should still be waiting for the network"
    finally:
        proc.kill()
        proc.wait()
        silent.close()
    assert said.startswith("hiprom: downloading the pose model pose_landmarker_full.task (9.4 MB) into "), said
    assert str(tmp_path / "cache" / "models") in said and "docs/models.md" in said


def test_the_overview_shows_examples_of_real_commands(tmp_path: Path) -> None:
    """'hiprom --help' listed the commands but no example of running one."""
    from hiprom.cli.main import COMMANDS

    done = hiprom("--help", cwd=tmp_path)
    assert done.returncode == 0 and "Examples:" in done.stdout, done.stdout
    examples = [line.split() for line in done.stdout.split("Examples:")[1].splitlines() if line.strip().startswith("hiprom ")]
    assert ["hiprom", "serve", "--source", "demo"] == examples[0][:4]
    assert len(examples) >= 5 and {words[1] for words in examples} <= set(COMMANDS)
    assert max(len(line) for line in done.stdout.splitlines()) <= 80


def _every_command() -> dict[str, click.Command]:
    """Every command and subcommand of hiprom, by its path ('sessions list')."""
    from hiprom.cli.main import cli

    found: dict[str, click.Command] = {}

    def walk(group: click.Group, path: str) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            found[f"{path} {name}".strip()] = command
            if isinstance(command, click.Group):
                walk(command, f"{path} {name}")

    walk(cli, "")
    return found


@pytest.mark.parametrize("option", ["--model", "--db"])
def test_a_shared_option_reads_the_same_in_every_command(option: str) -> None:
    """'--model TEXT' in four commands and '--model VARIANT|PATH' in 'track'; three wordings of '--db'."""
    shown = {}
    for path, command in _every_command().items():
        for param in command.params:
            if option in getattr(param, "opts", ()):
                help_text = (param.help or "").split(": ", 1)[-1]  # after a lead such as "With --save, the records store: "
                shown[path] = (param.make_metavar(click.Context(command)), help_text)
    assert len(shown) >= 4 and len(set(shown.values())) == 1, shown


def test_a_data_folder_that_cannot_be_made_is_named_as_the_records_folder(tmp_path: Path) -> None:
    """With HOME unusable it said '/x/home/.local: cannot write (…)', not which folder hiprom wanted or why."""
    home = tmp_path / "home"
    home.write_text("")  # not a folder: nothing can be made under it, as on a read-only or missing home
    env = {"HOME": str(home), "HIPROM_DATA_DIR": "", "XDG_DATA_HOME": ""}
    line = one_line(hiprom("sessions", "list", cwd=tmp_path, env=env), 5)
    assert line.startswith(f"hiprom: error: cannot make the records folder {home}/.local/share/hiprom: "), line
    assert line.endswith(", with HIPROM_DATA_DIR or --db"), line
