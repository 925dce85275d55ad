"""``hiprom track SOURCE -o OUT.landmarks.npz``: pose landmarks of a video, folder or camera."""

from __future__ import annotations

import os
from pathlib import Path

import click
import numpy as np

from hiprom.atomic import check_not_source
from hiprom.cli.options import model_option
from hiprom.errors import InputError, OutputError
from hiprom.overwrite import check_replaceable
from hiprom.rounding import percent


def _check_output(output: Path, source: str) -> None:
    if output.is_dir():
        raise InputError(f"{output}: is a folder; give a file name such as {output / 'clip.landmarks.npz'}")
    check_not_source([output], [source], hint=" (e.g. ending .landmarks.npz)")
    check_replaceable([output], "a landmarks recording")
    parent = output.parent if str(output.parent) else Path(".")
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK):
        raise OutputError(f"{output}: cannot write ({existing} is not writable); choose a place you can write to")


@click.command()
@click.argument("source")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Where to write the landmarks recording (e.g. clip.landmarks.npz).")
@model_option()
@click.option("--mirrored", is_flag=True, help="The picture is left-right flipped (selfie view).")
@click.option("--duration", type=float, default=None, metavar="S",
              help="Seconds to record when SOURCE is a camera index.")
@click.option("--fps", type=float, default=None,
              help="Frame rate of an image folder (default 30); videos carry their own.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
def track(ctx: click.Context, source: str, output: Path, model: str | None, mirrored: bool,
          duration: float | None, fps: float | None, quiet: bool) -> None:
    """Track the pose in SOURCE and save its landmarks (no video) in the -o file.

    SOURCE is a video file, a folder of images (in name order), or a camera
    index such as 0 (then give --duration).
    """
    from hiprom.capture import open_source, parse_camera_index
    from hiprom.cli.progress import frame_progress
    from hiprom.pose import PoseTracker
    from hiprom.pipeline import tracked_from
    from hiprom.pose import track as track_source

    camera = parse_camera_index(source)
    if camera is not None and duration is None:
        raise InputError(f"recording from camera {camera} needs --duration SECONDS")
    _check_output(output, source)
    with open_source(source, fps=fps, duration_s=duration) as frames:
        with PoseTracker(model) as tracker:
            label = f"tracking {frames.name}" if not frames.is_live else f"recording {frames.name} for {duration:g} s"
            with frame_progress(label, enabled=not quiet) as progress:
                recording = tracked_from(track_source(frames, tracker, progress, mirrored=mirrored), frames)
        recording.save(output)
    for note in recording.notes:
        click.echo(f"hiprom: warning: {note}", err=True)
    found = 100.0 * float((recording.n_people > 0).mean())
    subject = 100.0 * float((~np.isnan(recording.image[:, 0, 0])).mean())
    span_s = (recording.t_ms[-1] - recording.t_ms[0]) / 1000.0 if recording.n_frames > 1 else 0.0
    w, h = recording.size_wh
    click.echo(
        f"{output}: {recording.n_frames} frames ({span_s:.1f} s, {recording.fps:.3g} fps, {w}x{h}), "
        f"subject's pose in {percent(subject, 0)} of frames (someone seen in {percent(found, 0)}), "
        f"model {recording.model}"
    )

