"""README.md and docs/ against the product: commands and options named, links, the analysis fields, figures.

Each check reads the Markdown as a user does, so a renamed option, a moved heading, a field dropped or
added without its line in docs/formats.md, or a figure quoted in the README that docs/accuracy.md no
longer holds fails here rather than misleading a reader. No model runs (the demo recording is analysed).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import click
import numpy as np
import pytest

from hiprom.assessment.export import SERIES_COLUMNS
from hiprom.cli.main import cli
from hiprom.recording import LandmarkRecording

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SAMPLE = REPO / "samples" / "demo_seated_test.landmarks.npz"


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.S | re.M)


# --- commands and options ------------------------------------------------------------------------------


def _command_tree(command: click.Command, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], click.Command]:
    """Every command of ``hiprom`` by its words (``("sessions", "export")``), the group itself at ``()``."""
    tree = {path: command}
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            tree.update(_command_tree(command.get_command(ctx, name), (*path, name)))
    return tree


def _command_lines(text: str) -> Iterator[str]:
    """Each ``hiprom ...`` a reader would type: a `code span` that starts with it, a code block's line."""
    for span in re.findall(r"`(hiprom [^`\n]+)`", text):
        yield span.replace("\\|", "|")
    for block in _code_blocks(text):
        for line in block.splitlines():
            for part in re.split(r" \| | && | ; ", line.split("  #")[0]):
                part = part.strip().removeprefix("$ ")
                if part.startswith("hiprom "):
                    yield part


def _word(token: str) -> str:
    return token.strip("[](),.:")


def _mistakes(line: str, tree: dict[tuple[str, ...], click.Command]) -> Iterator[str]:
    """What in one command line names no command or option of ``hiprom``."""
    words = line.split()[1:]
    path: tuple[str, ...] = ()
    while words:
        names = _word(words[0]).split("|")
        if not all(re.fullmatch(r"[a-z][a-z-]*", name) for name in names):
            break  # a placeholder (COMMAND, SOURCE, …), a number, an option
        if not isinstance(tree[path], click.Group):
            break  # a positional argument
        missing = [name for name in names if (*path, name) not in tree]
        if missing:
            yield f"'{line}': no command 'hiprom {' '.join((*path, missing[0]))}'"
            return
        if len(names) > 1:  # `program show|edit|reset|pdf SESSION`: alternatives, all checked
            return
        path = (*path, names[0])
        words = words[1:]
    command = tree[path]
    options = {"-h", "--help"}
    for param in command.params:
        options.update(getattr(param, "opts", ()), getattr(param, "secondary_opts", ()))
    for token in words:
        for option in _word(token).split("/"):
            option = option.split("=")[0]
            if re.fullmatch(r"--?[a-zA-Z][a-zA-Z-]*", option) and option not in options:
                yield f"'{line}': 'hiprom {' '.join(path)}' has no option {option}"


def test_every_command_and_option_named_in_the_docs_exists() -> None:
    tree = _command_tree(cli)
    lines = [(page.name, line) for page in PAGES for line in _command_lines(_text(page))]
    assert len(lines) > 100  # the reading above finds the commands the pages give
    mistakes = [f"{name}: {m}" for name, line in lines for m in _mistakes(line, tree)]
    assert not mistakes, "\n".join(mistakes)


def test_the_readme_commands_table_names_every_command() -> None:
    table = _text(REPO / "README.md").split("## Commands", 1)[1].split("\n#", 1)[0]
    named = set(re.findall(r"`hiprom ([a-z-]+)", table))
    assert sorted(set(cli.list_commands(click.Context(cli))) - named) == []


def test_the_reading_of_commands_catches_a_wrong_one() -> None:
    tree = _command_tree(cli)
    assert list(_mistakes("hiprom sessions exprot 12", tree))
    assert list(_mistakes("hiprom report 12 --pdf out.pdf", tree))
    assert list(_mistakes("hiprom program show|edti SESSION", tree))
    assert not list(_mistakes("hiprom models [fetch VARIANT]", tree))
    assert not list(_mistakes("hiprom serve [--source 0|VIDEO|REC]", tree))


# --- links ---------------------------------------------------------------------------------------------


def _anchors(text: str) -> set[str]:
    """The anchors GitHub makes of a page's headings (lower case, punctuation dropped, spaces to '-')."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    headings = re.findall(r"^#{1,6} +(.+?) *$", prose, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_relative_link_resolves() -> None:
    broken = []
    for page in PAGES:
        prose = re.sub(r"^```.*?^```", "", _text(page), flags=re.S | re.M)
        for link in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z][a-z+.-]*:", link):
                continue  # https:, mailto:
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            if not target.exists():
                broken.append(f"{page.name}: {link} (no such file)")
            elif anchor and target.suffix == ".md" and anchor not in _anchors(_text(target)):
                broken.append(f"{page.name}: {link} (no such heading in {target.name})")
    assert not broken, "\n".join(broken)


# --- docs/formats.md against a real analysis -------------------------------------------------------------


def _jsonc(block: str) -> object:
    """A docs ``jsonc`` block as data: ``//`` comments dropped (outside strings)."""
    lines = []
    for line in block.splitlines():
        in_string, cut = False, len(line)
        for i, ch in enumerate(line):
            if ch == '"' and line[i - 1 : i] != "\\":
                in_string = not in_string
            elif not in_string and line.startswith("//", i):
                cut = i
                break
        lines.append(line[:cut])
    return json.loads("\n".join(lines))


def _field_paths(data: object, prefix: str = "") -> set[str]:
    """Every key as a dotted path; a list's items as ``[]``; the right side taken as the left's twin."""
    paths: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "..." or f"{prefix}{key}" == "sides.right":
                continue
            paths.add(f"{prefix}{key}")
            paths |= _field_paths(value, f"{prefix}{key}.")
    elif isinstance(data, list) and data and isinstance(data[0], dict):
        paths |= _field_paths(data[0], f"{prefix}[].")
    return paths


def _formats_section(heading: str) -> str:
    return _text(REPO / "docs" / "formats.md").split(heading, 1)[1].split("\n## ", 1)[0]


def test_formats_md_gives_every_field_of_an_analysis_and_no_other(analysis: dict) -> None:
    block = _code_blocks(_formats_section("## Analysis result (`hiprom.analysis/1`, JSON)"))[0]
    documented = _field_paths(_jsonc(block))
    analysis["recommendations"] = analysis["recommendations"] or [
        {"exercise": "x", "side": "left", "direction": "internal", "reason": "r"}
    ]
    written = _field_paths(analysis)
    assert sorted(written - documented) == [], "written but not in docs/formats.md"
    assert sorted(documented - written) == [], "in docs/formats.md but not written"


def test_formats_md_gives_the_series_csv_columns_in_order() -> None:
    section = _formats_section("### Series CSV (`hiprom analyze --csv`)")
    said = re.search(r"columns `([^`]+)`", section.replace("\n", " "))
    assert said is not None
    assert [c.strip() for c in said.group(1).split(",")] == list(SERIES_COLUMNS)


# --- figures the README quotes -----------------------------------------------------------------------------


def test_readme_accuracy_figures_are_in_docs_accuracy_md() -> None:
    readme = _text(REPO / "README.md")
    paragraph = readme.split("Accuracy on rendered clips with known angles:", 1)[1].split("\n\n", 1)[0]
    figures = set(re.findall(r"\d+\.\d+°", paragraph))
    assert len(figures) >= 5
    accuracy = _text(REPO / "docs" / "accuracy.md")
    # as a figure there: "1.12°", "MAE 1.12 deg", "**1.20**" (a table's latest row), not a table cell alone
    missing = [
        f for f in sorted(figures) if not re.search(rf"(?<![\d.]){re.escape(f[:-1])}(°| deg|\*\*)", accuracy)
    ]
    assert not missing, f"README quotes {missing}, which docs/accuracy.md does not hold"



def test_formats_md_gives_every_array_of_a_landmark_recording(tmp_path: Path) -> None:
    section = _formats_section("## Landmark recording (`.landmarks.npz`, `hiprom.landmarks/1`)")
    documented, optional = set(), set()
    for key, kind in re.findall(r"^\| `(\w+)`(?:, `\w+`)* \| ([^|]*) \|", section, flags=re.M):
        (optional if "optional" in kind else documented).add(key)
    documented |= set(re.findall(r"^\| `\w+`, `(\w+)` \|", section, flags=re.M))  # `width`, `height`
    saved = dataclasses.replace(LandmarkRecording.load(SAMPLE), neutral={"documented": True})
    with np.load(saved.save(tmp_path / "r.landmarks.npz")) as arrays:
        assert documented <= set(arrays.files) <= documented | optional


# --- the code the docs point at ---------------------------------------------------------------------------


def _resolves(dotted: str) -> bool:
    """Whether ``hiprom.a.b`` is a module, or an attribute of the longest module it starts with."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


def test_every_python_name_in_the_docs_exists() -> None:
    named = {
        (page.name, m.group(1))
        for page in PAGES
        for m in re.finditer(r"`(hiprom(?:\.[A-Za-z_]\w*)+)(?![\w/.-])", _text(page))
        if not m.group(1).endswith(".db")  # hiprom.db, the store's file
    }
    assert len(named) > 50
    missing = sorted(f"{page}: {name}" for page, name in named if not _resolves(name))
    assert not missing, "\n".join(missing)


def test_every_file_in_the_docs_exists() -> None:
    files = {path.relative_to(REPO).as_posix() for path in REPO.rglob("*") if ".git" not in path.parts}
    named = {
        (page.name, re.sub(r"^static/", "web/", name))  # the page's files, as the server's URLs name them
        for page in PAGES
        for name in re.findall(r"`([\w./-]+\.(?:py|json|toml|js|html|css|md))`", _text(page))
        if ("/" in name or name.endswith(".py"))  # not an example's file name (p01.mp4.analysis.json)
        and not name.startswith(("/", "../"))  # a URL, the shared footage beside the repository
        and not re.search(r"[A-Z]{3}", name)  # OUT_DIR/STEM.… placeholders
    }
    assert len(named) > 50
    missing = sorted(
        f"{page}: {name}"
        for page, name in named
        if not any(f == name or f.endswith("/" + name) for f in files)
    )
    assert not missing, "\n".join(missing)


# --- the server's routes -------------------------------------------------------------------------------------


def _route(path: str) -> str:
    """A route with its parameters as ``{}``: ``/api/sessions/12/program?x=1`` -> ``/api/sessions/{}/program``."""
    path = re.split(r"[?\[]", re.sub(r"\{[^}]*\}", "{}", path))[0].rstrip(".")
    return re.sub(r"/(\d+|%23\d+|P-\d+)(?=/|$)", "/{}", path)


@pytest.fixture(scope="module")
def routes() -> dict[str, set[str]]:
    """Each route of the server's OpenAPI description (as :func:`_route`) with its methods."""
    from hiprom.server.app import create_app
    from hiprom.server.settings import ServerSettings

    paths = create_app(ServerSettings(start_source=False)).openapi()["paths"]
    return {_route(path): {method.upper() for method in ops} for path, ops in paths.items()}


def test_every_route_of_the_server_is_documented(routes: dict[str, set[str]]) -> None:
    said = " ".join(_text(REPO / "docs" / name) for name in ("server.md", "store.md", "exercises.md"))
    said = re.sub(r"\{[^}]*\}", "{}", said).replace("`.../", "`/api/sessions/{}/")  # server.md's table
    assert len(routes) > 20
    assert sorted(route for route in routes if route not in said) == []


def test_every_route_the_docs_name_is_served(routes: dict[str, set[str]]) -> None:
    served = {**routes, "/": {"GET"}, "/openapi.json": {"GET"}, "/signin/{}": {"GET", "POST"}, "/signout": {"POST"}}  # pages
    named = {
        (page.name, method, _route(path))
        for page in PAGES
        for method, path in re.findall(r"\b(GET|POST|PUT|PATCH|DELETE) (/(?:\{[^}]*\}|[^\s`),;{])*)", _text(page))
    }
    assert len(named) > 30
    unserved = sorted(f"{page}: {method} {path}" for page, method, path in named if method not in served.get(path, ()))
    assert not unserved, "\n".join(unserved)


def test_models_md_gives_the_manifest() -> None:
    from hiprom.pose import load_manifest

    row = r"^\| `(\w+)` \| `([\w.]+)` \| ([\d,]+) \| `([0-9a-f]{64})` \|"
    rows = re.findall(row, _text(REPO / "docs" / "models.md"), flags=re.M)
    listed = {name: (v.file, v.size, v.sha256) for name, v in load_manifest().variants.items()}
    assert {name: (file, int(size.replace(",", "")), sha) for name, file, size, sha in rows} == listed


def _toml_example(page: str) -> str:
    blocks = re.findall(r"^```toml\n(.*?)^```", _text(REPO / "docs" / page), flags=re.S | re.M)
    assert len(blocks) == 1
    return blocks[0]


def test_the_clinic_files_of_the_docs_load(tmp_path: Path) -> None:
    from hiprom.assessment.exercises import load_catalogue
    from hiprom.assessment.norms import load_norms

    (tmp_path / "norms.toml").write_text(_toml_example("norms.md"), encoding="utf-8")
    assert load_norms(tmp_path / "norms.toml").asymmetry_threshold_deg == 8.0
    (tmp_path / "exercises.toml").write_text(_toml_example("exercises.md"), encoding="utf-8")
    ids = {exercise.id for exercise in load_catalogue(tmp_path / "exercises.toml").exercises}
    assert "clinic_wall_turn" in ids and "band_leg_turn" not in ids


def _documented(schema: str) -> set[str]:
    """The fields of the docs/formats.md block of ``schema`` (``hiprom.retest/1``)."""
    (block,) = [b for b in _code_blocks(_text(REPO / "docs" / "formats.md")) if f'"schema": "{schema}"' in b]
    return _field_paths(_jsonc(block))


def test_formats_md_gives_every_field_of_a_counted_exercise_and_a_retest(analysis: dict) -> None:
    from hiprom.assessment.exercises import load_catalogue
    from hiprom.assessment.retest import compare
    from hiprom.pipeline import count_recording

    exercise = load_catalogue().get("chair_rotation_internal")
    counted = count_recording(LandmarkRecording.load(SAMPLE), exercise, "right")
    assert counted["reps"]
    assert _field_paths(counted) == _documented("hiprom.exercise/1")
    # "before" and "after" (the sessions' numbers) are the API's and the CLI's, not compare()'s
    assert _field_paths(compare(analysis, analysis)) == _documented("hiprom.retest/1") - {"before", "after"}
