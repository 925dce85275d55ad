"""Reading a rendered report back: its text (pdftotext) and its pages as pictures (pdftoppm)."""

from __future__ import annotations

import bisect
import html
import itertools
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hiprom.report.paper import Paper
from hiprom.report.pdf import SMALL_PT

EDGE_PT = 5 / 25.4 * 72  # printers leave about 5 mm of each edge blank: nothing may be printed there
SIDE_MARGIN_PT = 14 / 25.4 * 72  # report.css's left and right page margins: no text runs into them
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


@dataclass(frozen=True)
class Page:
    """A page as pdftotext reads it: its size and its words, in points from the top left corner, and
    its text as drawn (pypdf): each run of text with its size as printed, in points."""

    width_pt: float
    height_pt: float
    words: list[tuple[str, float, float, float, float]]  # (text, x_min, y_min, x_max, y_max)
    runs: list[tuple[str, float]]  # (text, size_pt)

    def lines(self) -> list[str]:
        """The words joined into lines, top to bottom (words whose baselines are within 2 pt)."""
        rows: dict[float, list[tuple[float, str]]] = {}
        for text, x0, _, _, y1 in self.words:
            key = next((k for k in rows if abs(k - y1) < 2), y1)
            rows.setdefault(key, []).append((x0, text))
        return [" ".join(t for _, t in sorted(rows[k])) for k in sorted(rows)]


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>')


def pdf_pages(pdf: Path) -> list[Page]:
    """Each page's size (what a printer takes the sheet to be), where every word is (``pdftotext -bbox``)
    and the size of its text (:func:`text_runs`)."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    return [Page(float(w), float(h), [(html.unescape(m[4]), *map(float, m[:4])) for m in _WORD.findall(body)], runs)
            for (w, h, body), runs in zip(_PAGE.findall(out), text_runs(pdf), strict=True)]


def text_runs(pdf: Path) -> list[list[tuple[str, float]]]:
    """Each page's runs of text with their size as printed, in points: the font size scaled by the
    text and drawing matrices (``pdffonts`` gives no sizes; a word's box from pdftotext is taller
    than its size, by the font's ascent and descent)."""
    import pypdf

    pages = []
    for page in pypdf.PdfReader(pdf).pages:
        runs: list[tuple[str, float]] = []

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
            if text.strip():  # the vertical scale of the text matrix times the drawing matrix
                c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
                runs.append((text, round(size * math.hypot(c, d), 2)))

        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


def size_of(pages: list[Page], words: str) -> float:
    """The smallest size, in points, of the runs of text that hold ``words`` (white space ignored), on any
    of ``pages``: a run is one line at most, so ``words`` may run on over the next runs, wherever the
    paragraph happens to wrap."""
    wanted = squeeze(words)
    sizes = []
    for page in pages:
        texts = [squeeze(text) for text, _ in page.runs]
        ends = list(itertools.accumulate(len(text) for text in texts))
        joined = "".join(texts)
        for found in re.finditer(re.escape(wanted), joined):
            first = bisect.bisect_right(ends, found.start())
            last = bisect.bisect_left(ends, found.end())
            sizes.append(min(size for _, size in page.runs[first:last + 1]))
    assert sizes, words
    return min(sizes)


def page_numbers(pages: list[Page]) -> list[str]:
    """Each page's number as its footer (the last line) prints it: ``"Page 2 of 3"``, ``"Exercise sheet 1 of 2"``."""
    found = [re.search(r"(?:Page|Exercise sheet) \d+ of \d+$", page.lines()[-1]) for page in pages]
    assert all(found), [page.lines()[-1] for page, f in zip(pages, found) if not f]
    return [f.group(0) for f in found]


def on_the_sheet(pages: list[Page], sheet: Paper) -> None:
    """Every page is ``sheet``; every word, the footer's page number too, is printed inside it and
    no word runs into its side margins; no text is smaller than :data:`SMALL_PT` (every PDF hiprom makes).
    The pages are numbered in order, the report's ("Page 1 of 3") and then the home program's sheets
    ("Exercise sheet 1 of 2") each as their own."""
    assert pages
    for kind, run in itertools.groupby(page_numbers(pages), key=lambda n: n.rsplit(" ", 3)[0]):  # "Page", "Exercise sheet"
        run = list(run)
        assert run == [f"{kind} {i} of {len(run)}" for i in range(1, len(run) + 1)], run
    for number, page in enumerate(pages, 1):
        assert (page.width_pt, page.height_pt) == pytest.approx(sheet.size_pt, abs=0.5)
        for text, x0, y0, x1, y1 in page.words:
            assert EDGE_PT < y0 and y1 < page.height_pt - EDGE_PT, (number, text, (x0, y0, x1, y1))
            assert SIDE_MARGIN_PT - 1 < x0 and x1 < page.width_pt - SIDE_MARGIN_PT + 1, (number, text, (x0, y0, x1, y1))
        _nothing_overlaps(page, number)
        small = [(text, size) for text, size in page.runs if size < SMALL_PT - 0.01]
        assert not small, (number, small[:5])


def _nothing_overlaps(page: Page, number: int) -> None:
    """No two words of a line print over each other, and no table cell runs into the next one
    (pdftotext reads text drawn over the next cell as one word: "0.56]0.30")."""
    x0, x1, y1 = (np.array([w[k] for w in page.words]) for k in (1, 3, 4))
    same_line = np.abs(y1[:, None] - y1[None, :]) < 1.5
    shared_pt = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])
    clash = np.triu(same_line & (shared_pt > 0.5), k=1)
    assert not clash.any(), [(number, page.words[a][0], page.words[b][0]) for a, b in zip(*np.nonzero(clash))][:5]
    assert not [w[0] for w in page.words if re.search(r"\][^\s,.;:)]", w[0])], number


@dataclass(frozen=True)
class Structure:
    """What a screen reader is given of a PDF: the catalogue's language, the title it shows, whether the
    PDF is tagged, and its structure tree: the tags in reading order, each picture's alt text, and how
    many table cells under column headings also have a heading in their own row (``th scope="row"``)."""

    lang: str | None
    title: str | None
    shows_title: bool
    marked: bool
    tags: list[str]
    alts: list[str | None]
    cells_with_row_heading: int


def _row(heading: object) -> int:
    """The row of a table heading by its id, which WeasyPrint writes ``<table>-<row>-<column>``."""
    return int(str(heading).split("-")[1])


def structure(pdf: Path) -> Structure:
    """Read ``pdf``'s accessibility structure back (pypdf)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    root = reader.trailer["/Root"]
    tags: list[str] = []
    alts: list[str | None] = []
    row_headed = 0

    def walk(node: object) -> None:
        nonlocal row_headed
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for kid in node:
                walk(kid)
        if not isinstance(node, dict):
            return  # an array done above, or a marked-content id (the text itself)
        kind = node.get("/S")
        if kind:
            tags.append(str(kind))
        if kind == "/Figure":
            alts.append(node.get("/Alt"))
        if kind == "/TD":
            # WeasyPrint lists a cell's row headings first, then its column headings from the top down:
            # a first heading further down than the last is in the cell's own row.
            headings = (node.get("/A") or {}).get("/Headers") or []
            row_headed += len(headings) > 1 and _row(headings[0]) > _row(headings[-1])
        if "/K" in node:
            walk(node["/K"])

    if "/StructTreeRoot" in root:
        walk(root["/StructTreeRoot"])
    info = reader.metadata or {}
    prefs = root.get("/ViewerPreferences") or {}
    return Structure(lang=str(root["/Lang"]) if "/Lang" in root else None, title=info.get("/Title"),
                     shows_title=bool(prefs.get("/DisplayDocTitle")),
                     marked=bool((root.get("/MarkInfo") or {}).get("/Marked")), tags=tags, alts=alts,
                     cells_with_row_heading=row_headed)
