"""Peak accuracy of ``hiprom analyze`` on clips with ground truth.

Runs the whole pipeline (video -> pose -> kernel -> assessment) on the
rendered clips of ``../shared/footage/rendered`` and compares the reported
held peaks, per side and direction, with ``truth.json``::

    HIPROM_MODEL_DIR=../shared/models python benchmarks/bench_accuracy.py [gt01 gt06 ...]

prints one row per clip, side and direction and the mean absolute error.
``--augment`` adds variants of every clip made with OpenCV (mirrored, camera
rolled by +-8 deg, half resolution, half frame rate) whose true peaks are the
same, to check that accuracy holds for the variations the hidden clips have.
``peak_errors`` and ``accuracy_table`` are also used by ``tests/test_pipeline.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RENDERED = Path(os.environ.get("HIPROM_SHARED_DIR", REPO.parent / "shared")) / "footage" / "rendered"
KEYS = [(side, direction) for side in ("right", "left") for direction in ("internal", "external")]


def peak_errors(result: dict[str, Any], truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Measured vs true held peak for each side and direction of one clip.

    Args:
        result: a ``hiprom.analysis/1`` dict.
        truth: the clip's entry of ``truth.json`` (``peaks[side][direction]`` magnitudes).

    Returns:
        Rows ``{side, direction, true_deg, measured_deg, error_deg}``; ``measured_deg``
        and ``error_deg`` (measured - true) are None when the side's figure is missing.
    """
    rows = []
    for side, direction in KEYS:
        true = truth["peaks"].get(side, {}).get(direction)
        if true is None:
            continue
        measured = result["sides"][side].get(f"{direction}_rotation_deg")
        rows.append(
            {
                "side": side,
                "direction": direction,
                "true_deg": float(true),
                "measured_deg": measured,
                "error_deg": None if measured is None else round(measured - float(true), 2),
            }
        )
    return rows


def mean_abs_error(rows: list[dict[str, Any]]) -> float | None:
    """Mean |error| over the rows that were measured (None if none were)."""
    errors = [abs(r["error_deg"]) for r in rows if r["error_deg"] is not None]
    return sum(errors) / len(errors) if errors else None


def accuracy_table(per_clip: dict[str, list[dict[str, Any]]]) -> str:
    """A plain-text table of every clip's rows, each clip's MAE and the overall MAE."""
    lines = [f"{'clip':<16}{'side':<7}{'direction':<10}{'true':>7}{'measured':>10}{'error':>8}"]
    everything: list[dict[str, Any]] = []
    for clip, rows in per_clip.items():
        for r in rows:
            measured = "—" if r["measured_deg"] is None else f"{r['measured_deg']:.1f}"
            error = "missing" if r["error_deg"] is None else f"{r['error_deg']:+.1f}"
            lines.append(f"{clip:<16}{r['side']:<7}{r['direction']:<10}{r['true_deg']:>7.1f}{measured:>10}{error:>8}")
        mae = mean_abs_error(rows)
        lines.append(f"{clip:<16}{'MAE':<17}{'':>7}{'':>10}{'—' if mae is None else f'{mae:.2f}':>8}")
        everything += rows
    total = mean_abs_error(everything)
    missing = sum(1 for r in everything if r["error_deg"] is None)
    lines.append(f"overall MAE {'—' if total is None else f'{total:.2f}'} deg over {len(everything) - missing} peaks"
                 + (f", {missing} missing" if missing else ""))
    return "\n".join(lines)


AUGMENTS = ("mirror", "roll+8", "roll-8", "half-size", "half-fps")


def augment_clip(src: Path, kind: str, out: Path) -> Path:
    """Write a variant of ``src`` to ``out`` whose true peaks are unchanged.

    ``mirror`` flips left-right (analyse it with mirrored=True), ``roll+N``
    rotates the picture N degrees counter-clockwise about its centre, ``half-size``
    halves width and height, ``half-fps`` keeps every second frame.
    """
    import cv2

    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    size = (w // 2, h // 2) if kind == "half-size" else (w, h)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps / 2 if kind == "half-fps" else fps, size)
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if kind == "mirror":
            frame = cv2.flip(frame, 1)
        elif kind.startswith("roll"):
            matrix = cv2.getRotationMatrix2D((w / 2, h / 2), float(kind[4:]), 1.0)
            frame = cv2.warpAffine(frame, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)
        elif kind == "half-size":
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        if kind != "half-fps" or index % 2 == 0:
            writer.write(frame)
        index += 1
    writer.release()
    cap.release()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("clips", nargs="*", help="clip ids of truth.json (default: all)")
    parser.add_argument("--rendered", type=Path, default=RENDERED, help="folder with the clips and truth.json")
    parser.add_argument("--model", default=None, help="pose model variant or .task file")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    parser.add_argument("--augment", action="store_true", help="also measure mirrored, rolled, smaller and slower variants")
    args = parser.parse_args(argv)

    from hiprom.pipeline import analyze_path

    truth = json.loads((args.rendered / "truth.json").read_text())
    per_clip: dict[str, list[dict[str, Any]]] = {}
    jobs: list[tuple[str, Path, str, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for clip in args.clips or sorted(truth):
            src = args.rendered / truth[clip]["file"]
            jobs.append((clip, src, clip, bool(truth[clip].get("mirrored", False))))
            for kind in AUGMENTS if args.augment else ():
                variant = augment_clip(src, kind, Path(tmp) / f"{clip}-{kind}.mp4")
                jobs.append((f"{clip}-{kind}", variant, clip, kind == "mirror"))
        for name, path, clip, mirrored in jobs:
            start = time.perf_counter()
            _, result = analyze_path(path, model=args.model, mirrored=mirrored)
            per_clip[name] = peak_errors(result, truth[clip])
            print(f"{name}: analysed in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    print(accuracy_table(per_clip))
    if args.json:
        args.json.write_text(json.dumps(per_clip, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
