"""The wheel holds every file hiprom reads at run time, where the installed code looks for it.

A user who runs ``pip install hiprom`` has no checkout: the page (``web/``), the
templates and data files inside the package, and the manual the help and error
lines point to (``README.md``, ``docs/``) must all come with the wheel. The wheel
is built once, from a copy of the tracked sources, without build isolation (no
download; a few seconds).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hiprom import installed
from hiprom.cli.main import main
from hiprom.installed import SHARE_DOCS, SHARE_WEB

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "hiprom"
SOURCES = ("pyproject.toml", "README.md", "src", "web", "docs")


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The names of the files in a wheel built from this checkout."""
    tree = tmp_path_factory.mktemp("tree")
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        else:
            shutil.copy2(source, tree / name)
    out = tree / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(tree)],
        check=True, capture_output=True, timeout=240,
    )
    (wheel,) = out.glob("hiprom-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _data_prefix(names: set[str]) -> str:
    """The wheel's ``<name>-<version>.data/data/`` folder (installed to ``sys.prefix``)."""
    (dist_info,) = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    return dist_info.removesuffix(".dist-info") + ".data/data/"


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


@pytest.mark.slow
def test_every_file_of_the_package_is_in_the_wheel(wheel_names: set[str]) -> None:
    """Templates, the stylesheet, the model manifest, the exercises: all files under src/hiprom."""
    missing = [str(p.relative_to(PACKAGE.parent)) for p in _files(PACKAGE)
               if p.relative_to(PACKAGE.parent).as_posix() not in wheel_names]
    assert not missing, f"not in the wheel: {missing}"


@pytest.mark.slow
def test_the_page_is_where_the_installed_server_looks(wheel_names: set[str]) -> None:
    """Every file of web/ (index.html, the modules, style.css, favicon, help.html) under <prefix>/share/hiprom/web."""
    folder = _data_prefix(wheel_names) + SHARE_WEB.as_posix()
    missing = [p.name for p in _files(REPO / "web") if f"{folder}/{p.relative_to(REPO / 'web').as_posix()}" not in wheel_names]
    assert not missing, f"not in the wheel's {folder}: {missing}"


@pytest.mark.slow
def test_the_manual_the_cli_points_to_is_installed(wheel_names: set[str]) -> None:
    """README.md (the exit codes) and every docs/ page a help text, an error line or the page names."""
    named = set()
    for source in [*_files(PACKAGE), *_files(REPO / "web")]:
        if source.suffix in (".py", ".js", ".html"):
            named |= set(re.findall(r"docs/[\w-]+\.md", source.read_text(encoding="utf-8")))
    assert "docs/validation.md" in named  # the scan sees what it should
    folder = _data_prefix(wheel_names) + SHARE_DOCS.as_posix()
    wanted = {"README.md", *named, *(f"docs/{p.name}" for p in _files(REPO / "docs"))}
    missing = sorted(name for name in wanted if f"{folder}/{name}" not in wheel_names)
    assert not missing, f"not in the wheel's {folder}: {missing}"


def test_an_installed_help_names_the_installed_manual(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """With no checkout around the package, 'hiprom --help' names <prefix>/share/doc/hiprom, where the wheel put it."""
    prefix = tmp_path / "venv"
    manual = prefix / SHARE_DOCS
    (manual / "docs").mkdir(parents=True)
    (manual / "README.md").write_text("# hiprom\n", encoding="utf-8")
    monkeypatch.setattr(installed, "checkout_root", lambda: tmp_path / "site-packages")
    monkeypatch.setattr(sys, "prefix", str(prefix))
    assert main(["--help"]) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    assert lines[-1] == str(manual), "the folder, whole, on the last line"
    assert " ".join(lines[-3:-1]).endswith("README.md (the exit codes) and docs/ are in")
