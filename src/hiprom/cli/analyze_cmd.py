"""``hiprom analyze SOURCE``: measure a video or a landmarks recording.

Prints a short summary (per side IR / ER / total arc against the norm,
asymmetry, the trials and a one-line verdict) and writes the full result as
JSON (``--json``) and the per-frame series as CSV (``--csv``), atomically.
A recording in which nothing can be measured still gets its files, then ends
with exit code 4 (``NotMeasurableError``) and one line saying why and what to film differently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.text import Text

from hiprom.assessment.exercises import Catalogue
from hiprom.assessment.reasons import not_measurable_advice
from hiprom.assessment.wording import NAMES, SIDE_WORDS
from hiprom.atomic import check_not_source, write_files
from hiprom.cli.progress import frame_progress
from hiprom.cli.options import csv_style_option, db_option, model_option, recorded_option
from hiprom.cli.result_tables import figure_tables, quality_notes, trials_table
from hiprom.cli.store_cmd import STDOUT, open_store, saved_words, write_text
from hiprom.cli.store_cmd import console as stdout_console
from hiprom.errors import InputError, NotMeasurableError
from hiprom.overwrite import check_replaceable
from hiprom.report.figures import summary
from hiprom.report.rows import recording_words
from hiprom.tables import CsvStyle

FILE = click.Path(dir_okay=False, path_type=Path)

def summary_tables(result: dict[str, Any], catalogue: Catalogue | None = None) -> list[RenderableType]:
    """The renderables of the printed summary, in order; exercises named as in ``catalogue``.

    The figures and trials tables are ``hiprom sessions show``'s (:mod:`hiprom.cli.result_tables`).
    """
    out: list[RenderableType] = []
    out.append(f"[bold]{escape(result['source'] or 'recording')}[/]: {escape(recording_words(result))}")
    if not result["measurable"]:  # the error line that ends the command says why and what to do
        return out
    fig = summary(result)
    out += figure_tables(fig)
    if fig["camera_position"]:
        out.append(Text(" ".join([fig["camera_position"], *fig["camera_advice"]]), style="dim"))
    out += trials_table(fig, "--json")
    out += quality_notes(result)
    style = "bold red" if result["asymmetry"]["flagged"] else "bold"
    out.append(f"[{style}]{escape(result['verdict'])}[/]")
    names = {ex.id: ex.name for ex in catalogue.exercises} if catalogue is not None else {}
    suggested: dict[str, list[str]] = {}
    for rec in result.get("recommendations") or []:
        what = f"{NAMES[rec['direction'] + '_rotation']}, {SIDE_WORDS.get(rec['side'], rec['side'])}"
        suggested.setdefault(what, []).append(names.get(rec["exercise"], rec["exercise"]))
    for what, exercises in suggested.items():
        out.append(f"Exercises to improve {escape(what)}: {escape('; '.join(exercises))} "
                   "[dim](how and how often: 'hiprom exercises')[/]")
    return out


def print_summary(result: dict[str, Any], console: Console | None = None, catalogue: Catalogue | None = None) -> None:
    """Print the short human summary of a result (exercises named as in ``catalogue``); to a file or a pipe
    200 columns wide, as ``hiprom sessions show`` prints the same tables."""
    console = console or stdout_console()
    for item in summary_tables(result, catalogue):
        console.print(item)


def _check_options(source: Path, json_path: Path | None, csv_path: Path | None, save_landmarks: Path | None,
                   config: tuple[Path | None, ...], save: bool, store_options: dict[str, str | None]) -> None:
    """Refuse, before any work, options that would destroy an input or be silently ignored, and a
    JSON file (an analysis already made, which the video reader would call "not a readable video")."""
    if source.suffix.lower() == ".json" and source.is_file():
        raise InputError(f"{source}: a JSON file, not a video or a .landmarks.npz recording; an analysis "
                         f"written by 'hiprom analyze --json' is read by 'hiprom report {source}' (its PDF) "
                         f"and 'hiprom sessions add {source}' (stores it)")
    if json_path == STDOUT and csv_path == STDOUT:
        raise InputError("--json - and --csv - both ask for stdout; write one of them to a file")
    check_not_source([json_path, csv_path, save_landmarks], [source, *config])
    check_replaceable([json_path], "a JSON file")
    check_replaceable([csv_path], "a CSV table")
    check_replaceable([save_landmarks], "a landmarks recording")
    ignored = [name for name, value in store_options.items() if value is not None]
    if ignored and not save:
        names = ignored[0] if len(ignored) == 1 else f"{', '.join(ignored[:-1])} and {ignored[-1]}"
        raise InputError(f"{names} only {'applies' if len(ignored) == 1 else 'apply'} when the analysis is "
                         f"stored; add --save (or leave {'it' if len(ignored) == 1 else 'them'} out)")
    if save:  # a mistyped --db fails now, not after tracking a long video
        from hiprom.store.location import require_named_store

        require_named_store(store_options["--db"])


@click.command()
@click.argument("source")
@click.option("--json", "json_path", type=FILE, help="Write the full result (hiprom.analysis/1) to this file, which 'hiprom sessions add' and "
                   "'hiprom report' read; '-' for stdout.")
@click.option("--csv", "csv_path", type=FILE,
              help="Write the per-frame series here; '-' for stdout (then no summary is printed).")
@csv_style_option("--csv")
@click.option(
    "--mirrored/--not-mirrored",
    default=None,
    help="The video is left-right flipped (selfie view); default: as recorded.",
)
@model_option()
@click.option("--norms", "norms_path", type=FILE, default=None,
              help="TOML file overriding norms and thresholds (default: $HIPROM_NORMS, else built-in).")
@click.option("--exercises", "exercises_path", type=FILE, default=None,
              help="TOML file changing the exercise catalogue suggestions come from (default: $HIPROM_EXERCISES).")
@click.option("--save-landmarks", type=FILE, default=None,
              help="Also save the tracked landmarks as a .landmarks.npz recording.")
@click.option("--save", is_flag=True, help="Store the analysis (and its landmarks) as a session in the records.")
@click.option("--subject", default=None, help="With --save: the subject's pseudonym (added if new).")
@click.option("--operator", default=None, help="With --save: who ran the assessment.")
@click.option("--notes", default=None, help="With --save: free-text notes for the session.")
@recorded_option(lead="With --save: when the test took place")
@db_option(lead="With --save, the records store")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def analyze(
    source: str,
    json_path: Path | None,
    csv_path: Path | None,
    csv_style: CsvStyle,
    mirrored: bool | None,
    model: str | None,
    norms_path: Path | None,
    exercises_path: Path | None,
    save_landmarks: Path | None,
    save: bool,
    subject: str | None,
    operator: str | None,
    notes: str | None,
    recorded: str | None,
    db: str | None,
    quiet: bool,
) -> None:
    """Measure seated hip rotation in SOURCE (a video file or a .landmarks.npz recording)."""
    # Heavy imports here, so `hiprom --help` stays fast.
    from hiprom.assessment import load_catalogue, load_norms, result_json, series_csv, series_csv_file
    from hiprom.pipeline import analyze_recording, is_recording, load_or_track
    from hiprom.source import SourceSpec
    from hiprom.store.records import parse_visit_time

    SourceSpec.parse(source)  # an empty name is refused, not read as "."
    path = Path(source)
    _check_options(path, json_path, csv_path, save_landmarks, (norms_path, exercises_path),
                   save, {"--subject": subject, "--operator": operator, "--notes": notes, "--recorded": recorded,
                          "--db": db})
    when = parse_visit_time(recorded) if recorded is not None else None  # a bad date fails before any tracking
    norms = load_norms(norms_path)  # a bad config fails before any tracking
    catalogue = load_catalogue(exercises_path)
    err = Console(stderr=True)
    tracking = not is_recording(path) and path.exists() and not quiet
    with frame_progress(f"tracking {path.name}", enabled=tracking) as on_frame:
        rec = load_or_track(path, model=model, mirrored=mirrored, progress=on_frame)
    for note in rec.notes:  # e.g. a truncated video: analysed, but the user must know, even with -q
        click.echo(f"hiprom: warning: {note}", err=True)
    if save_landmarks is not None:
        rec.save(save_landmarks)
        if not quiet:
            err.print(f"saved landmarks to {escape(str(save_landmarks))}")
    result = analyze_recording(rec, norms, source=path.name, catalogue=catalogue)

    series = series_csv if csv_path == STDOUT else series_csv_file  # a file starts with the byte-order mark
    texts = {p: make(result) for p, make in ((json_path, result_json), (csv_path, lambda r: series(r, csv_style)))
             if p is not None}
    write_files({p: text for p, text in texts.items() if p != STDOUT})  # both or neither (a full disk)
    if STDOUT in texts:
        write_text(STDOUT, texts[STDOUT])
    if save:
        from hiprom.store import save_analysis

        with open_store(db) as store:
            record = save_analysis(store, result, subject=subject, operator=operator, notes=notes, landmarks=rec,
                                   recorded_utc=when)
        if not quiet:
            err.print(Text(saved_words(record)), soft_wrap=True)
    if not quiet and STDOUT not in (json_path, csv_path):
        print_summary(result, catalogue=catalogue)
    if not result["measurable"]:
        reason = result["not_measurable_reason"]
        raise NotMeasurableError(f"{path.name}: not measurable: {reason}. {not_measurable_advice(reason)}")
