"""Reading a rendered report back: its text (pdftotext) and its pages as pictures (pdftoppm)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def need_poppler() -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip("poppler-utils (pdftotext, pdftoppm) not installed")


def need_fonts(*families: str) -> None:
    """Skip unless fontconfig knows every family (``.ci/run`` installs them: fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji)."""
    if not shutil.which("fc-list"):
        pytest.skip("fontconfig (fc-list) not installed; apt-get install fontconfig")
    known = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    missing = [f for f in families if f not in known]
    if missing:
        pytest.skip(f"system fonts missing: {', '.join(missing)} (apt-get install fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji)")


def pdf_text(pdf: Path, layout: bool = True) -> str:
    """The text of the PDF, bidi control characters removed."""
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(pdf), "-"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return BIDI_CONTROLS.sub("", out)


def squeeze(text: str) -> str:
    """``text`` without any white space (pdftotext breaks lines inside long names)."""
    return re.sub(r"\s+", "", BIDI_CONTROLS.sub("", text))


def page_images(pdf: Path, dpi: int = 50) -> list[np.ndarray]:
    """Each page as an RGB array (h, w, 3) uint8."""
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
    pages = sorted(pdf.parent.glob(f"{prefix.name}-*.png"))
    return [np.asarray(Image.open(p).convert("RGB")) for p in pages]


def colour_fraction(rgb: np.ndarray, hue_rgb: tuple[int, int, int], tol: int = 40) -> float:
    """Fraction of pixels within ``tol`` of a colour (a chart's left-blue or right-orange)."""
    diff = np.abs(rgb.astype(int) - np.array(hue_rgb)).max(axis=2)
    return float((diff <= tol).mean())


def table_row(text: str, label: str, occurrence: int = 0) -> list[str]:
    """Tokens after ``label`` on the ``occurrence``-th line that starts with it."""
    rows = [line.strip() for line in text.splitlines() if line.strip().startswith(label)]
    return rows[occurrence][len(label):].split()
