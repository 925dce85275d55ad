"""``hiprom batch``: analyse many videos and recordings, in parallel, resumably."""

from __future__ import annotations

import contextlib
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import click

from hiprom.cli.options import csv_style_option, model_option
from hiprom.rounding import counted
from hiprom.tables import CsvStyle


@click.command(context_settings={"show_default": True})
@click.argument("inputs", nargs=-1, required=True, type=click.Path())  # str: Path("") would read as "."
@click.option("-o", "--out", "out_dir", required=True, metavar="OUT_DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: per input <stem>.analysis.json, .series.csv, .landmarks.npz; and summary.csv, trials.csv.")
@click.option("--workers", type=click.IntRange(min=1), default=None, show_default="the cores available",
              help="Worker processes, one pose model each.")
@click.option("--redo", is_flag=True, help="Analyse every input again, even those already done.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Run on a Dask cluster (e.g. tcp://host:8786); needs hiprom[cluster].")
@model_option()
@click.option("--mirrored/--not-mirrored", default=None, show_default="as recorded",
              help="The videos are left-right flipped (selfie view).")
@click.option("--norms", type=click.Path(dir_okay=False, path_type=Path), default=None,
              show_default="$HIPROM_NORMS, else built-in", help="TOML file overriding norms and thresholds.")
@click.option("--glob", "patterns", multiple=True, metavar="PATTERN",
              help="Take files in folders matching this pattern (repeatable) instead of the video endings.")
@csv_style_option("summary.csv and trials.csv")
@click.option("--progress/--no-progress", default=True, help="Show the progress bar.")
def batch(inputs: tuple[str, ...], out_dir: Path, workers: int | None, redo: bool, scheduler: str | None,
          model: str | None, mirrored: bool | None, norms: Path | None, patterns: tuple[str, ...],
          csv_style: CsvStyle, progress: bool) -> None:
    """Analyse every video and .landmarks.npz in INPUT files and folders (recursively).

    Folders are searched for the video endings of 'hiprom analyze' (.mp4 .mov
    .avi .mkv .mts ..., any case) and .landmarks.npz; other files are left out
    (said in one line; --glob chooses them), hidden ones silently.

    Run the same command again to continue: inputs already done into the
    same folder are skipped unless --redo; failed ones are tried again.

    Byte-identical copies of an input under other names are analysed once
    (listed as duplicate in summary.csv).

    Exit code 0 when every input is ok (or a copy), 1 when any failed (the
    reasons are in summary.csv), 2 bad arguments (or another batch writing to
    OUT_DIR), 3 the pose model cannot be found or loaded, 6 OUT_DIR cannot be
    written (read-only, full disk), 130 when interrupted (Ctrl-C), 143 by
    SIGTERM, 129 by SIGHUP; finished outputs are kept and summary.csv lists
    every input.
    """
    from hiprom.batch.runner import BatchFailedError, run_batch
    from hiprom.errors import HipromError

    try:
        result = run_batch(inputs, out_dir, model=model, mirrored=mirrored, norms=norms,
                           workers=workers, redo=redo, scheduler=scheduler, patterns=patterns, progress=progress,
                           csv_style=csv_style)
    except HipromError as exc:  # stopped part way (the scheduler lost, a full disk): what was done, then why
        done = getattr(exc, "batch_result", None)
        if done is not None:
            _say_counts(done)
        raise
    _say_counts(result)
    if result.interrupted:  # exit 128 + the signal, as for any program a signal ends
        signum = result.stop_signal if result.stop_signal is not None else signal.SIGINT
        how = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
        with contextlib.suppress(OSError):  # after SIGHUP there may be no terminal left to say it on
            click.echo(f"hiprom: {how}; run the same command again to continue", err=True)
        raise click.exceptions.Exit(128 + signum)
    if result.failed:
        n = len(result.failed)
        raise BatchFailedError(
            f"{n} of {counted(len(result.rows), 'input')} failed; "
            f"the reasons are in {result.summary_path}"
        )


def _say_counts(result: Any) -> None:
    """The counts of a batch on stderr (``120 inputs: 45 ok, 0 already done, 0 failed, 2 copies of another
    input, 73 not finished -> …``) and of its verdicts."""
    c = result.counts
    parts = [f"{c['ok']} ok", f"{c['skipped']} already done", f"{c['failed']} failed"]
    if c["duplicate"]:  # not failures: each copy's figures are those of the input it copies
        parts.append(f"{counted(c['duplicate'], 'copy', 'copies')} of another input")
    if c["interrupted"]:
        parts.append(f"{c['interrupted']} not finished")
    rate = f", {result.frames / result.seconds:.1f} frames/s" if result.seconds > 0 and result.frames else ""
    click.echo(f"{len(result.rows)} inputs: {', '.join(parts)}{rate} -> {result.summary_path}", err=True)
    verdicts = _verdict_counts(result.rows)
    if verdicts:
        click.echo(verdicts, err=True)
    placed = sum(1 for r in result.rows if r.status in ("ok", "skipped") and r.figures.get("camera_advice"))
    if placed:
        from hiprom.assessment.wording import validated_camera_words

        click.echo(f"camera: {placed} filmed from outside where accuracy was checked ({validated_camera_words()}): "
                   "their readings are less certain; summary.csv's camera_advice says what to move", err=True)


def _verdict_counts(rows: list[Any]) -> str:
    """The left/right verdicts of the analysed inputs in one line (the columns of summary.csv, counted).

    ``left/right: 3 differ by more than 10°, 40 cannot tell, 55 within 10°; 2 not measurable``.
    """
    from hiprom.assessment.summary import MEASURES, overall_verdict

    done = [r for r in rows if r.status in ("ok", "skipped")]
    if not done:
        return ""
    counts = Counter(
        overall_verdict({m: r.figures.get(f"asymmetry_{m}_verdict") for m in MEASURES})
        if r.figures.get("measurable") else "not measurable"
        for r in done
    )
    t = next((f"{r.figures['asymmetry_threshold_deg']:g}°" for r in done if r.figures.get("asymmetry_threshold_deg")),
             "the threshold")
    line = (f"left/right: {counts['exceeds']} differ by more than {t}, {counts['inconclusive']} cannot tell, "
            f"{counts['within']} within {t}")
    extra = [f"{counts[None]} with a side not measured"] if counts[None] else []
    extra += [f"{counts['not measurable']} not measurable"] if counts["not measurable"] else []
    return line + (f"; {', '.join(extra)}" if extra else "")
