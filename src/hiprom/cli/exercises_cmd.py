"""``hiprom exercises``, ``reps``, ``program``, ``retest`` and ``trend``: what to do about a result.

- ``hiprom exercises [--json]``: the exercise catalogue (a clinic's file applied).
- ``hiprom reps SOURCE --exercise ID --side SIDE``: count and time the reps of a
  camera-followed exercise in a video or recording; ``--save SESSION`` keeps them.
- ``hiprom program show|edit|reset|pdf SESSION``: the session's home program.
- ``hiprom retest SESSION [--before N]``: the before/after table of a re-test.
- ``hiprom trend SUBJECT``: figures across visits with the program followed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.text import Text

from hiprom.assessment.reasons import reason_words
from hiprom.cli.options import db_option, model_option, paper_option
from hiprom.cli.store_cmd import (
    console,
    json_option,
    make_table,
    num,
    open_store,
    print_json,
    safe,
)
from hiprom.errors import InputError
from hiprom.overwrite import check_replaceable
from hiprom.rounding import shown

FILE = click.Path(dir_okay=False, path_type=Path)


def exercises_option(func: Any) -> Any:
    """``--exercises FILE``: a clinic's catalogue file."""
    return click.option("--exercises", "exercises_path", type=FILE, default=None,
                        help="TOML file changing the exercise catalogue (default: $HIPROM_EXERCISES).")(func)


def _catalogue(path: Path | None) -> Any:
    from hiprom.assessment import load_catalogue

    return load_catalogue(path)


@click.command()
@exercises_option
@json_option
def exercises(exercises_path: Path | None, as_json: bool) -> None:
    """List the exercises hiprom can suggest, with their doses and steps."""
    catalogue = _catalogue(exercises_path)
    if as_json:
        print_json(catalogue.to_dict())
        return
    out = console()
    table = make_table(f"Exercises ({catalogue.source})", ["id", "name", "improves", "position", "dose", "camera"])
    for ex in catalogue.exercises:
        table.add_row(ex.id, ex.name, " + ".join(ex.targets), ex.position, ex.dose.words(),
                      "counts reps" if ex.camera_followed else "")
    out.print(table)
    out.print(Text("Safety: " + " ".join(catalogue.safety), style="bold"))


def _dose_spec(spec: str) -> tuple[str, dict[str, int]]:
    """``chair_rotation_internal:hold=5,reps=8`` -> (id, {"hold_s": 5, "reps": 8})."""
    ex_id, sep, rest = spec.partition(":")
    keys = {"hold": "hold_s", "hold_s": "hold_s", "reps": "reps", "sets": "sets"}
    dose: dict[str, int] = {}
    for part in filter(None, rest.split(",")):
        key, eq, value = part.partition("=")
        if not eq or key.strip() not in keys or not value.strip().isdecimal() or not value.strip().isascii():
            raise InputError(f"--dose {spec!r}: expecting EXERCISE:hold=S,reps=N,sets=N with whole numbers")
        dose[keys[key.strip()]] = int(value.strip())
    if not sep or not dose:
        raise InputError(f"--dose {spec!r}: expecting EXERCISE:hold=S,reps=N,sets=N")
    return ex_id.strip(), dose


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--exercise", "exercise_id", default="chair_rotation_internal", show_default=True,
              help="A camera-followed exercise of the catalogue.")
@click.option("--side", type=click.Choice(["left", "right"]), required=True, help="The leg exercised.")
@click.option("--hold", "hold_s", type=click.IntRange(0, 600), default=None, help="Hold each rep this long (s).")
@click.option("--reps", type=click.IntRange(1, 100), default=None, help="Reps per set asked for.")
@click.option("--sets", type=click.IntRange(1, 20), default=None, help="Sets asked for.")
@model_option()
@click.option("--save", "save_session", default=None, metavar="SESSION", help="Store the result with this session.")
@exercises_option
@db_option
@json_option
def reps(source: Path, exercise_id: str, side: str, hold_s: int | None, reps: int | None, sets: int | None,
         model: str | None, save_session: str | None, exercises_path: Path | None, db: str | None,
         as_json: bool) -> None:
    """Count the repetitions of a seated exercise in SOURCE (video or .landmarks.npz) and time each hold.

    Film 3 s sitting still with the exercised shin hanging straight down before the first turn:
    rest is taken from there, as the live count takes it.
    """
    from hiprom.pipeline import count_recording, load_or_track

    catalogue = _catalogue(exercises_path)
    exercise = catalogue.get(exercise_id)
    dose = exercise.dose.to_dict()
    dose.update({k: v for k, v in (("hold_s", hold_s), ("reps", reps), ("sets", sets)) if v is not None})
    rec = load_or_track(source, model=model)
    result = count_recording(rec, exercise, side, dose=dose)
    if save_session is not None:
        with open_store(db) as store:
            result = store.add_exercise_result(save_session, result)
    if as_json:
        print_json(result)
        return
    out = console()
    table = make_table(f"{exercise.name}, {side} leg: {result['reps_done']} of {result['reps_target']} reps "
                       f"(hold {dose['hold_s']} s)", [("#", "right"), ("peak °", "right"), ("hold s", "right"),
                                                        "counted"])
    for rep in result["reps"]:
        why = reason_words(rep["reasons"])
        table.add_row(str(rep["number"]), num(rep["peak_deg"]), f"{rep['hold_s']:.1f}",
                      Text("yes", style="green") if rep["counted"] else Text(f"no: {why}", style="red"))
    out.print(table)
    if save_session is not None:
        out.print(f"Saved with session #{result['session_id']}.")


@click.group()
def program() -> None:
    """Show, edit, reset or print the home program of a stored session."""


def _show_program(prog: dict[str, Any], session_id: str, catalogue: Any) -> None:
    from hiprom.assessment.exercises import Dose
    from hiprom.assessment.wording import SIDE_WORDS, degrees_in_words

    out = console()
    names = {ex.id: ex.name for ex in catalogue.with_program(prog).exercises}
    state = "kept by the clinician" if prog["edited"] else "made from the suggestions (not edited yet)"
    if not prog["items"]:
        out.print(f"Session #{session_id}: the home program is empty ({state}).")
        return
    table = make_table(f"Home program of session #{session_id}, {state}", [("#", "right"), "exercise", "side",
                                                                             "dose", "why"])
    for i, item in enumerate(prog["items"], start=1):
        table.add_row(str(i), Text(f"{names.get(item['exercise'], item['exercise'])} ({item['exercise']})"),
                      SIDE_WORDS.get(item["side"], item["side"]), Dose(**item["dose"]).words(),
                      safe(degrees_in_words(item["reason"]) if item.get("reason") else None))
    out.print(table)
    if prog.get("notes"):
        out.print(Text.assemble(("notes: ", "dim"), safe(prog["notes"])))


@program.command("show")
@click.argument("session_id")
@exercises_option
@db_option
@json_option
def program_show(session_id: str, exercises_path: Path | None, db: str | None, as_json: bool) -> None:
    """Show the program in force: the one kept, else the one made from the suggestions."""
    from hiprom.assessment import current_program

    catalogue = _catalogue(exercises_path)
    with open_store(db) as store:
        prog = current_program(store.analysis(session_id), store.program(session_id), catalogue)
    if as_json:
        print_json(prog)
        return
    _show_program(prog, session_id, catalogue)


@program.command("edit")
@click.argument("session_id")
@click.option("--add", "adds", multiple=True, metavar="EXERCISE[:SIDE]",
              help="Add an exercise (SIDE left, right or both; default: each side, or both for a two-leg one).")
@click.option("--remove", "removes", multiple=True, metavar="EXERCISE[:SIDE]", help="Remove an exercise.")
@click.option("--dose", "doses", multiple=True, metavar="EXERCISE:hold=S,reps=N,sets=N",
              help="Set an exercise's dose (only the parts given change).")
@click.option("--notes", default=None, help="Notes for the person (printed on the program).")
@exercises_option
@db_option
@json_option
def program_edit(session_id: str, adds: tuple[str, ...], removes: tuple[str, ...], doses: tuple[str, ...],
                 notes: str | None, exercises_path: Path | None, db: str | None, as_json: bool) -> None:
    """Choose, remove and dose the exercises of a session's home program, and keep it."""
    from hiprom.assessment import current_program, edit_program
    from hiprom.assessment.program import parse_target

    catalogue = _catalogue(exercises_path)
    dose_map = dict(_dose_spec(spec) for spec in doses)
    with open_store(db) as store:
        prog = current_program(store.analysis(session_id), store.program(session_id), catalogue)
        edited = edit_program(prog, catalogue, add=[parse_target(a) for a in adds],
                              remove=[parse_target(r) for r in removes], doses=dose_map, notes=notes)
        kept = {**store.set_program(session_id, edited), "edited": True}
    if as_json:
        print_json(kept)
        return
    _show_program(kept, session_id, catalogue)


@program.command("reset")
@click.argument("session_id")
@db_option
def program_reset(session_id: str, db: str | None) -> None:
    """Forget the edits: the session's suggestions are its program again."""
    with open_store(db) as store:
        deleted = store.delete_program(session_id)
    console().print("Program reset to the suggestions." if deleted else "The program had not been edited.")


@program.command("pdf")
@click.argument("session_id")
@click.option("-o", "--output", type=FILE, default=None, help="PDF to write (default: program-N.pdf).")
@paper_option()
@db_option
def program_pdf(session_id: str, output: Path | None, paper: str | None, db: str | None) -> None:
    """Write the home program (one page, or two for a long one) to print for the person."""
    from hiprom.report import ReportData, write_program_pdf

    output = output or Path(f"program-{session_id.strip().lstrip('#')}.pdf")
    check_replaceable([output], "a PDF")
    with open_store(db) as store:
        data = ReportData.from_store(store, session_id)
    path = write_program_pdf(data, output, paper)
    click.echo(f"Wrote {path}")


@click.command()
@click.argument("session_id")
@click.option("--before", default=None, metavar="SESSION",
              help="The earlier test (default: the subject's earlier session the same day).")
@db_option
@json_option
def retest(session_id: str, before: str | None, db: str | None, as_json: bool) -> None:
    """Compare a re-test with the test before it: change and verdict per figure."""
    from hiprom.assessment import compare
    from hiprom.assessment.retest import compared
    from hiprom.assessment.wording import side_measure
    from hiprom.report.exercises import clinic_mdc
    from hiprom.report.rows import RETEST_COLUMNS, RETEST_NOTE

    with open_store(db) as store:
        baseline = store.retest_baseline(session_id, before)
        if baseline is None:
            raise InputError(f"session {session_id} has no earlier test the same day; give --before SESSION")
        table = {**compare(store.analysis(baseline), store.analysis(session_id), *clinic_mdc(store)),
                 "before": int(str(baseline).lstrip("#")), "after": int(session_id.strip().lstrip("#"))}
    if as_json:
        print_json(table)
        return
    out = console()
    if not compared(table["rows"]):  # six rows of "not measured before" say less than the sentence
        out.print(f"Re-test: session #{table['after']} against #{table['before']}. {table['summary']}")
        return
    grid = make_table(f"Re-test: session #{table['after']} against #{table['before']} (degrees)",
                      [(heading, align) for heading, align in RETEST_COLUMNS.items()])
    for row in table["rows"]:
        change = "—" if row["change_deg"] is None else shown(row["change_deg"], signed=True)
        style = {"improved": "green", "decreased": "red"}.get(row["verdict"] or "", "")
        grid.add_row(side_measure(row["side"], row["measure"]), num(row["before_deg"]),
                     num(row["after_deg"]), change, num(row["change_unc_deg"]), num(row["limit_deg"]),
                     Text(row["verdict"] or row["reason"] or "", style=style))
    out.print(grid)
    out.print(table["summary"])
    out.print(Text(f"{RETEST_NOTE} MDC: {table['mdc_source']}", style="dim"))


@click.command()
@click.argument("subject", required=False)
@db_option
@json_option
def trend(subject: str | None, db: str | None, as_json: bool) -> None:
    """A subject's figures across visits, with the program kept and the exercises counted.

    Without SUBJECT, in one patient's store at home: every test of it, saved with a pseudonym or not.
    """
    from hiprom.assessment import trend as make_trend
    from hiprom.report.exercises import clinic_mdc

    with open_store(db) as store:
        if subject is None and not store.one_patient():
            raise InputError("give the person whose visits to list (hiprom trend P-0042): these records hold "
                             "several people's tests ('hiprom subjects list' names them)")
        visits = store.visits(subject)
        mdc, mdc_text = clinic_mdc(store)
        result = make_trend(visits, mdc, mdc_text)
    if as_json:
        print_json(result)
        return
    from hiprom.assessment import load_catalogue
    from hiprom.cli.result_tables import whole
    from hiprom.report.rows import HISTORY_FIGURES, exercise_names, history_words

    words = history_words(result, mdc_text, exercise_names(load_catalogue(), visits))
    tested = words["tested"]
    table = make_table(f"Visits of {subject} (degrees)" if subject else "Your tests (degrees)", [
        ("#", "right"), "Date", *(["Tested"] if tested else []), *((heading, "right") for heading in words["headings"])])
    for v in result["visits"]:
        f, since, number = v["figures"], v["since_first"] or {}, str(v["session_id"])
        cells = [_since_first(f[side][m], (since.get(side) or {}).get(m)) for side, m in HISTORY_FIGURES.values()]
        cells.append(num(v["asymmetry"]["total_arc"]))
        table.add_row(number, safe(words["day"][number] or "—"), *([tested[number]] if tested else []), *cells)
    console().print(whole(table, "Tested"))
    for number, line in words["done"].items():
        console().print(safe(f"#{number} {line}"))
    for note in words["notes"]:
        console().print(Text(note, style="dim"))


def _since_first(value: float | None, verdict: str | None) -> Text:
    """A figure of a later visit, marked ↑ or ↓ when it changed beyond the error since the first visit."""
    cell = num(value)
    mark, style = {"improved": (" ↑", "green"), "decreased": (" ↓", "red")}.get(verdict or "", ("", ""))
    return cell + Text(mark, style=style) if mark else cell


def _register_program_files() -> None:
    """Add ``program export`` and ``program import``, kept in their own module."""
    from hiprom.cli import program_file_cmd

    program.add_command(program_file_cmd.program_export)
    program.add_command(program_file_cmd.program_import)


_register_program_files()
