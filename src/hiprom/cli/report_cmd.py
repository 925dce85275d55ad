"""``hiprom report SESSION_OR_ANALYSIS_JSON``: the PDF report, and CSV/JSON exports.

The argument is a stored session's number (``12`` or ``#12``) or an analysis
file written by ``hiprom analyze --json``. A stored session's report shows
the subject, the operator and the subject's earlier sessions; a file's report
shows what the analysis holds.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

import click

from hiprom.atomic import check_not_source, write_files
from hiprom.cli.options import csv_style_option, db_option, paper_option
from hiprom.cli.store_cmd import STDOUT, open_store, write_text
from hiprom.errors import InputError
from hiprom.landmarks import SIDES
from hiprom.overwrite import check_replaceable
from hiprom.parsing import record_id
from hiprom.tables import CsvStyle


def _snapshots(specs: tuple[str, ...]) -> dict[str, bytes]:
    """``left=peak_left.png`` options -> {side: PNG bytes}."""
    out: dict[str, bytes] = {}
    for spec in specs:
        side, sep, path = spec.partition("=")
        if not sep or side not in SIDES:
            raise InputError(f"--snapshot {spec!r}: expecting SIDE=PNG_FILE with SIDE left or right")
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InputError(f"--snapshot {p}: cannot read ({exc.strerror})") from None
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise InputError(f"--snapshot {p}: not a PNG image")
        out[side] = data
    return out


def _peak_pictures(analysis: dict, video: Path | None, landmarks_path: Path | None,
                   stored: bytes | None) -> dict[str, bytes]:
    """Each side's peaks drawn from the landmarks, over the video's frames when given."""
    from hiprom.recording import LandmarkRecording
    from hiprom.report.snapshots import peak_snapshots

    if landmarks_path is not None:
        recording = LandmarkRecording.load(landmarks_path)
    elif stored is not None:
        with tempfile.TemporaryDirectory(prefix="hiprom-") as tmp:
            (Path(tmp) / "session.landmarks.npz").write_bytes(stored)
            recording = LandmarkRecording.load(Path(tmp) / "session.landmarks.npz")
    else:
        raise InputError("--video: the peaks' skeleton needs the landmarks; give --landmarks FILE "
                         "(this session was stored without them)")
    recording.check_made_from(analysis)
    if video is None:
        return peak_snapshots(analysis, recording)
    from hiprom.capture import open_source

    with open_source(video) as source:
        return peak_snapshots(analysis, recording, source)


@click.command()
@click.argument("target")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF to write (default: session-N.pdf, or the analysis file's name with .pdf).")
@click.option("--csv", "csv_prefix", type=click.Path(path_type=Path), default=None,
              help="Also write PREFIX.summary.csv, PREFIX.trials.csv, PREFIX.series.csv and "
                   "PREFIX.exercises.csv.")
@csv_style_option("--csv")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the JSON export (hiprom.export/1) to this file; '-' for stdout "
                   "(the files written are then named on stderr).")
@click.option("--no-pdf", is_flag=True, help="Write only the --csv/--json exports.")
@click.option("--video", type=click.Path(exists=True, path_type=Path), default=None,
              help="The session's video: show each side's peaks with the skeleton drawn over it.")
@click.option("--landmarks", "landmarks_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The session's .landmarks.npz (default: the one stored with the session); "
                   "alone, draws the peaks' skeleton without the video.")
@click.option("--snapshot", "snapshot_specs", multiple=True, metavar="SIDE=PNG",
              help="A ready-made picture of a side's peak (repeat for left and right).")
@click.option("--before", default=None, metavar="SESSION",
              help="Show the before/after table against this earlier session "
                   "(default: the subject's earlier session the same day, if any).")
@paper_option()
@db_option
def report(target: str, output: Path | None, csv_prefix: Path | None, csv_style: CsvStyle, json_path: Path | None,
           no_pdf: bool,
           video: Path | None, landmarks_path: Path | None, snapshot_specs: tuple[str, ...], before: str | None,
           paper: str | None, db: str | None) -> None:
    """Write the PDF report of a stored session (TARGET = its number) or an analysis JSON file."""
    from hiprom.report import ReportData, export_json
    from hiprom.report.exports import csv_files, csv_paths

    path = Path(target)
    number = record_id(target)
    if path.is_file():
        default_pdf = path.with_name(path.name.removesuffix(".json") + ".pdf")
    elif number is not None:
        default_pdf = Path(f"session-{number}.pdf")
    else:
        raise InputError(f"{target}: neither a session number nor an analysis JSON file; "
                         "see 'hiprom sessions list'")
    pdf = None if no_pdf else output or default_pdf
    if pdf is not None:  # a wrong HIPROM_PAPER is said before the snapshots and exports are made
        from hiprom.report.paper import chosen_paper

        paper = chosen_paper(paper).name
    exports = [json_path, *(csv_paths(csv_prefix).values() if csv_prefix is not None else ())]
    check_not_source([pdf, *exports], [path if path.is_file() else None, video, landmarks_path,
                                       *(spec.partition("=")[2] for spec in snapshot_specs)])
    check_replaceable([pdf], "a PDF")
    check_replaceable([json_path], "a JSON file")
    check_replaceable(exports[1:], "a CSV table")
    snapshots = _snapshots(snapshot_specs)
    stored_landmarks: bytes | None = None
    if path.is_file():
        data = ReportData.from_file(path)
    else:
        with open_store(db) as store:
            data = ReportData.from_store(store, number, before=before)
            if video is not None and landmarks_path is None:
                stored_landmarks = store.landmarks(number)
    if video is not None or landmarks_path is not None:
        drawn = _peak_pictures(data.analysis, video, landmarks_path, stored_landmarks)
        snapshots = {**drawn, **snapshots}
    if snapshots:
        data = dataclasses.replace(data, snapshots=snapshots)
    # Made first, then written all or none: a full disk never leaves this report's exports beside the last one's.
    files: dict[Path, str | bytes] = {}
    export = None if json_path is None else json.dumps(export_json([data]), indent=2, ensure_ascii=False) + "\n"
    if json_path is not None and json_path != STDOUT:
        files[json_path] = export
    if csv_prefix is not None:
        files.update(csv_files([data], csv_prefix, csv_style))
    if pdf is not None:
        from hiprom.report import render_pdf

        files[pdf] = render_pdf(data, paper=paper)
    written = write_files(files)
    if json_path == STDOUT:
        write_text(STDOUT, export)
    for p in written:  # beside a JSON export on stdout, the other files are named on stderr
        click.echo(f"Wrote {p}", err=json_path == STDOUT)
