"""What a command shows on a real terminal of a given width (a pseudo-terminal), for the tests of tables that
must fit one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def on_a_terminal(home: Path, *args: str, columns: int) -> list[str]:
    """The lines ``hiprom ARGS`` shows on a terminal ``columns`` wide (a pseudo-terminal, COLUMNS set), run in
    ``home`` with its data there."""
    import pty

    env = {**os.environ, "HIPROM_DATA_DIR": str(home / "data"), "COLUMNS": str(columns), "TERM": "xterm"}
    env.pop("HIPROM_DB_URL", None)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "hiprom.cli.main", *args], cwd=home, env=env, stdin=follower,
                            stdout=follower, stderr=follower)
    os.close(follower)
    shown = b""
    while True:  # until the command has closed the terminal (read fails once nothing holds it open)
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.wait(timeout=120) == 0, shown.decode(errors="replace")
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode("utf-8"))
    return plain.replace("\r", "").splitlines()
