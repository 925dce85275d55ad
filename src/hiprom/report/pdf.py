"""The PDF report: a Jinja2 HTML template (autoescaped) rendered by WeasyPrint.

``render_html`` needs only Jinja2 and matplotlib; ``render_pdf`` imports
WeasyPrint (the ``report`` extra) when called. The page loads nothing from
the network or the disk: charts are inline SVG, snapshots inline PNG, and a
URL fetcher refuses anything but these and installed font files, so text a
user typed can never pull in a resource (:mod:`hiprom.report.weasy`). The
layouts tried, and the rules that shorten a report, are :mod:`hiprom.report.layouts`.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from hiprom import __version__
from hiprom.assessment.exercises import retest_advice
from hiprom.assessment.reasons import reason_words
from hiprom.assessment.wording import (
    PLUS_MINUS,
    WITHIN_MDC,
    analysed_again,
    asymmetry_pointer,
    cannot_tell,
    quality_notes,
    sent_in_sentence,
    tested_where,
    undecided_asymmetry,
)
from hiprom.atomic import atomic_write
from hiprom.errors import InputError
from hiprom.kinematics import COMPENSATION, flag_names
from hiprom.landmarks import SIDES
from hiprom.report import alt_text, charts
from hiprom.report.data import ReportData, utc_stamp
from hiprom.report.exercises import exercises_done, program_context, retest_context
from hiprom.report.figures import fmt, number, summary
from hiprom.report.layouts import BARS_MM, LIMITS, MAX_PAGES, SHORTER, TIME_MM, layout_limits, mostly_empty
from hiprom.report.paper import chosen_paper
from hiprom.report.rows import (
    BAND_HEADING,
    HISTORY_DIFFERENCE,
    HISTORY_FIGURES,
    RETEST_COLUMNS,
    RETEST_NOTE,
    SIDE_MARKS,
    TRIAL_COLUMNS,
    UNCONFIRMED_NOTE,
    band_cell,
    degrees_cell,
    measure_rows,
    percent,
    plus_minus_cell,
    recording_words,
    share_cell,
    trial_cells,
    trials_cell,
)
from hiprom.report.weasy import pdf_bytes, pdf_layout
from hiprom.rounding import shown
from hiprom.store.records import shown_time

BODY_PT = 10.0
"""Size of the running text of every PDF made from ``report.css`` (the report, the home program, the
validation report), in points: read by older patients. Headings are larger; nothing is made smaller to fit."""
SMALL_PT = 9.0
"""Size of the smallest text there, in points: tables and the page's header and footer."""

ASYMMETRY_HEADING = "Left–right asymmetry"
"""The heading of the section whose box says, once, what the test could not decide (the plain paragraph refers to it)."""


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hiprom.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["percent"] = percent  # "73.0%", "—": as the CLI and the page write it
    # A table's figures with their units ("32.8°", "± 1.8°", "73.0% of 45°", "2 trials"): copied as text, each reads alone.
    env.filters["deg"] = degrees_cell
    env.filters["plus_minus"] = plus_minus_cell
    env.filters["band"] = band_cell
    env.filters["share_of"] = share_cell
    env.filters["trials"] = trials_cell
    env.filters["unit"] = lambda text, unit: text if text in ("", "—") else f"{text}{unit}"  # a cell's text, "37.9" -> "37.9°"
    env.globals["side_marks"] = SIDE_MARKS
    env.filters["signed"] = lambda v: shown(number(v), signed=True) or "—"  # a difference or change: "+6.3", "−4.1"
    env.filters["textdir"] = text_direction
    env.filters["plain"] = lambda v: "—" if v is None or v == "" else v
    env.filters["when"] = shown_time
    env.filters["day"] = lambda v: shown_time(v, with_time=False)
    env.filters["reasons"] = reason_words
    return env


def text_direction(value: Any) -> str:
    """``"rtl"`` or ``"ltr"`` from the first strong character (the HTML ``dir="auto"`` rule)."""
    for char in str(value or ""):
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _data_uri(mime: str, payload: bytes | str) -> str:
    raw = payload.encode("utf-8") if isinstance(payload, str) else payload
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def draw_charts(data: ReportData) -> dict[str, str | None]:
    """The report's charts as SVG data URIs: ``bars`` (each side against the norm, :data:`BARS_MM` high),
    ``time`` (angle over time) and ``trend`` (earlier sessions); ``None`` for a chart with nothing to draw."""
    # One point per visit: a recording analysed again is its first analysis's point, ringed when it is this one.
    visits = data.visits if data.earlier else ()
    current = data.session.id if data.session else None
    return {
        "bars": _bars(data, BARS_MM),
        "time": _time(data, TIME_MM),
        "trend": _maybe_svg(charts.trend(visits, data.same_recording_as.get(current, current))),
    }


def build_context(data: ReportData, generated_utc: str | None = None, compact: int = 0,
                  drawn: dict[str, str | None] | None = None, shorter: int = 0) -> dict[str, Any]:
    """Everything the template shows, as plain values (figures rounded by ``figures.summary``).

    ``compact`` (0 = the full layout) lists fewer trials, notes and earlier sessions, and may leave
    out the angle-over-time chart (see :data:`LIMITS`); ``shorter`` (0: not) the same layout made shorter by
    the ``shorter``-th step of :data:`SHORTER`. ``drawn``: the charts of
    :func:`draw_charts`, drawn once for every layout tried (drawn here when ``None``); a chart this
    layout draws at another height is added to it, drawn once too.
    """
    limit = layout_limits(compact, shorter)
    a = data.analysis
    fig = summary(a)
    asym = fig["asymmetry"]
    threshold = fig["asymmetry_threshold_deg"]
    mdc_lo, mdc_hi = fig["mdc_deg"]
    rows = measure_rows(fig)
    quality = a.get("quality") or {}
    invalid = [t for t in fig["trials"] if not t.get("valid")]
    # "Right leg: hip lifted off the seat in 1 trial, which did not count." restates the trials listed, and
    # "Left leg: could be measured in 85% of the frames." the measurable frames: each said once.
    notes = quality_notes(a, in_report=True)
    snapshots = {side: _data_uri("image/png", png) for side, png in data.snapshots.items() if png}
    earlier = data.earlier
    history = data.history if earlier else ()
    # The marks compare with the first visit that measured a figure: its row stays, first.
    first = next((h for h in history if h.id == data.first_visit), history[0] if history else None)
    shown = list(history)[-limit["history"]:] if limit["history"] else []
    if shown and first not in shown:
        shown = [first, *shown[1:]]
    drawn = drawn if drawn is not None else draw_charts(data)
    chart_uris = dict(drawn)
    for name, height, default, draw in (("bars", limit.get("bars_mm"), BARS_MM, _bars),
                                        ("time", limit.get("time_mm"), TIME_MM, _time)):
        if height not in (None, default) and drawn[name]:  # a layout that draws this chart lower
            lower = f"{name}@{height:g}"
            if lower not in drawn:
                drawn[lower] = draw(data, height)
            chart_uris[name] = drawn[lower]
    time_left_out = bool(chart_uris["time"]) and not limit["time_chart"]
    if time_left_out:
        chart_uris["time"] = None
    return {
        "a": a,
        "fig": fig,
        "rows": rows,
        "asym": asym,
        "threshold": threshold,
        "mdc": (mdc_lo, mdc_hi),
        "flagged": bool(asym.get("flagged")),
        # What the test could not decide, said once, in the box ("Cannot tell whether … in internal rotation
        # (measured 5.1°, …) and total arc (…); repeat the test."), its question in bold; the plain
        # paragraph points there rather than say it again.
        "undecided": _lead(undecided_asymmetry(a), cannot_tell(f"{threshold:g}°")),
        "asymmetry_heading": ASYMMETRY_HEADING,
        "asymmetry_pointer": asymmetry_pointer(a, ASYMMETRY_HEADING),
        # The † legend comes only with a † (a side not measured has no figure to mark).
        "unconfirmed_shown": any(c["deg"] is not None and not c["confirmed"] for row in rows
                                 for c in row["sides"].values()),
        "overall": fig["overall"],
        "camera_position": fig["camera_position"],
        "camera_advice": fig["camera_advice"],
        "bands_words": fig["bands_words"],
        "subject": data.subject,
        "session": data.session,
        "age": data.age_years,
        "session_date": data.session_date.isoformat() if data.session_date else None,
        "quality_notes": notes[: limit["quality_notes"]],
        "notes_chars": limit["notes_chars"],
        "compact": compact,
        "shorter": shorter,
        "measurable_pct": {s: None if (f := number((quality.get("measurable_fraction") or {}).get(s))) is None
                           else 100 * f for s in SIDES},
        "not_measurable": {s: fig["sides"][s].get("not_measurable") for s in SIDES},
        "not_measurable_advice": fig["not_measurable_advice"],
        "compensation": reason_words(flag_names(COMPENSATION)),
        "trials": [trial_cells(t, i) for i, t in enumerate(fig["trials"][: limit["trials"]], start=1)],
        "trial_columns": TRIAL_COLUMNS,
        # A counted trial's flags contradict "no quality problem was detected": the list says what they are.
        "flags_on_counted": any(t.get("valid") and t.get("flags") for t in fig["trials"]),
        "unconfirmed_note": UNCONFIRMED_NOTE,
        "within_mdc_words": WITHIN_MDC,
        "plus_minus": PLUS_MINUS,
        "more_trials": max(0, len(fig["trials"]) - limit["trials"]),
        "invalid_trials": invalid[: limit["invalid_trials"]],
        "more_invalid": max(0, len(invalid) - limit["invalid_trials"]),
        "snapshots": snapshots,
        "references": list(data.references)[-limit["references"]:],
        "more_references": max(0, len(data.references) - limit["references"]),
        "charts": chart_uris,
        "time_left_out": time_left_out,
        "box_may_split": limit.get("box_may_split", False),
        "history": shown,
        "history_left_out": len(history) - len(shown),  # sessions of the subject not in the table (said)
        # What a screen reader says for each picture (the tagged PDF's /Alt): what it shows, with its figures.
        "alt": {"bars": alt_text.bars_alt(fig), "time": alt_text.time_alt(fig, number(a.get("duration_s"))),
                "trend": alt_text.trend_alt([shown_time(v.recorded_utc, with_time=False) for v in data.visits],
                                            len(shown)),
                "snapshots": {side: alt_text.snapshot_alt(side) for side in SIDES}},
        "since_first": data.since_first,
        "analysed_again": {h.id: analysed_again(data.same_recording_as[h.id]) for h in shown
                           if h.id in data.same_recording_as},
        "same_recording_shown": any(h.id in data.same_recording_as for h in history),
        # Tests sent in (a patient's self-tests at home) marked on their rows, their files named under the table.
        "sent_in": {h.id: tested_where(h.origin) for h in shown if h.origin is not None},
        "sent_in_sentence": sent_in_sentence({h.id: h.origin for h in shown}),
        # Whether the exercises were done between the visits, as hiprom trend says it under its table.
        "done_at": {h.id: data.done_at[h.id] for h in shown if h.id in data.done_at},
        "first_visit": first,
        "retest_advice": retest_advice(data.session_date),  # with the days it means after this test
        # The legend explains the marks of the rows shown, so it comes only with one of them.
        "changed_since_first": any(v in ("improved", "decreased") for h in shown
                                   for measures in (data.since_first.get(h.id) or {}).values() for v in measures.values()),
        "sources": list((a.get("norms") or {}).get("sources") or []),
        "sources_listed": limit.get("sources", not compact),  # else a line says they are in the JSON export
        "more_quality_notes": max(0, len(notes) - limit["quality_notes"]),
        "version": __version__,
        "max_pages": MAX_PAGES,
        "body_pt": BODY_PT,
        "small_pt": SMALL_PT,
        "generated_utc": generated_utc or utc_stamp(),
        "sides": SIDES,
        "details": detail_rows(_details(data, a)),
        "document_id": document_id(data),
        "replayed_demo": a.get("model") == "synthetic",
        "retest": retest_context(data),
        "retest_columns": RETEST_COLUMNS,
        "band_heading": BAND_HEADING,
        "history_figures": HISTORY_FIGURES,
        "history_difference": HISTORY_DIFFERENCE,
        "retest_note": RETEST_NOTE,
        "exercises_done": exercises_done(data),
        "program": program_context(data),
    }


def _lead(sentence: str | None, lead: str) -> tuple[str, str] | None:
    """``sentence`` split after its opening words ``lead`` (in any case), to print them in bold."""
    if sentence is None:
        return None
    n = len(lead) if sentence.lower().startswith(lead.lower()) else 0
    return sentence[:n], sentence[n:]


def document_id(data: ReportData) -> str:
    """What tells this document from the subject's others, as the page header prints it:
    ``"P-0042 · session #12 · 2026-03-02"`` (the parts known); also the PDF's title."""
    parts = [data.subject.pseudonym if data.subject else None,
             f"session #{data.session.id}" if data.session else None,
             data.session_date.isoformat() if data.session_date else None]
    return " · ".join(p for p in parts if p)


def _details(data: ReportData, a: dict[str, Any]) -> list[tuple[str, str]]:
    """The header's label/value pairs that have a value (no empty Name or Operator rows): the subject and
    when it was assessed first, the recording last."""
    subject, session = data.subject, data.session
    rows: list[tuple[str, str]] = [("Subject", subject.pseudonym if subject else "—"),
                                   ("Assessed", shown_time(data.assessed_utc))]
    if subject and getattr(subject, "name", None):
        rows.append(("Name", subject.name))
    if subject and getattr(subject, "date_of_birth", None):
        age = f" (age {data.age_years})" if data.age_years is not None else ""
        rows.append(("Date of birth", f"{subject.date_of_birth}{age}"))
    if session and getattr(session, "operator", None):
        rows.append(("Operator", session.operator))
    if session and getattr(session, "origin", None):
        rows.append(("Tested", f"{tested_where(session.origin)}: {session.origin} (at home, or at another clinic)"))
    if a.get("source"):
        rows.append(("Source", str(a["source"])))
    if session and getattr(session, "camera", None):
        rows.append(("Camera", str(session.camera)))
    model = a.get("model")
    if model == "synthetic":
        rows.append(("Landmarks", "demo subject (synthetic, no pose model)"))
    elif model:
        rows.append(("Pose model", str(model)))
    rows.append(("Recording", recording_words(a)))
    return rows


HALF_ROW_CHARS = 46
"""The most characters a header label and its value print on one line in half the row (10 pt, A4 or Letter):
a longer pair (a name with its titles, an e-mail address as operator) takes the whole row."""


def detail_rows(pairs: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The header's label/value ``pairs`` laid out as its rows, in their order: two short ones side by side,
    a long one (label and value more than :data:`HALF_ROW_CHARS`) alone on its row. Side by side, a value wrapped on three
    lines beside a one-line one was read, and pasted as text, interleaved with it ("Dr. Bartholomew
    Konstantinos / Source / Papadopoulos-Richardson"), and a long name wrapped at its hyphen lost it
    ("FitzgeraldWorthington")."""
    def short(pair: tuple[str, str]) -> bool:
        return len(pair[0]) + 1 + len(pair[1]) <= HALF_ROW_CHARS

    rows: list[list[tuple[str, str]]] = []
    for pair in pairs:
        if short(pair) and rows and len(rows[-1]) == 1 and short(rows[-1][0]):
            rows[-1].append(pair)
        else:
            rows.append([pair])
    return rows


def _bars(data: ReportData, height_mm: float) -> str:
    return _data_uri("image/svg+xml", charts.side_bars(summary(data.analysis), height_mm=height_mm))


def _time(data: ReportData, height_mm: float) -> str | None:
    return _maybe_svg(charts.angle_over_time(data.analysis, height_mm=height_mm))


def _maybe_svg(svg: str | None) -> str | None:
    return None if svg is None else _data_uri("image/svg+xml", svg)


def render_html(data: ReportData, generated_utc: str | None = None, compact: int = 0,
                drawn: dict[str, str | None] | None = None, shorter: int = 0) -> str:
    """The report as one self-contained HTML page (every user text escaped); ``compact``, ``drawn`` and
    ``shorter`` as in :func:`build_context`."""
    context = build_context(data, generated_utc, compact=compact, drawn=drawn, shorter=shorter)
    return _environment().get_template("report.html").render(**context)


class RenderCancelled(Exception):
    """``render_pdf`` stopped because its ``cancelled`` check said so (the client has gone)."""


def stop_if(cancelled: Callable[[], bool] | None) -> None:
    """Raise :class:`RenderCancelled` when ``cancelled()`` says so: a renderer's check between its stages."""
    if cancelled is not None and cancelled():
        raise RenderCancelled


def render_pdf(data: ReportData, generated_utc: str | None = None,
               cancelled: Callable[[], bool] | None = None, paper: str | None = None) -> bytes:
    """The report as PDF bytes: up to :data:`MAX_PAGES` pages, then the home program's sheets, on ``paper`` (``"a4"`` or
    ``"letter"``; ``None``: the machine's setting, :func:`hiprom.report.paper.default_paper`).

    The first layout of :data:`LIMITS` that fits is taken, unless its last page would be mostly empty
    (:func:`mostly_empty`) and the same layout made :data:`SHORTER` takes a page fewer.

    The sheets are laid out as the program alone (:func:`render_program_pdf`), numbered as their own
    ("Exercise sheet 1 of 2"), and the report's pages as its own ("Page 3 of 3"): a patient who keeps
    only the sheets has them in order, and the same sheets however they were printed.

    ``cancelled`` is asked between the stages (charts and page, layout,
    compact layout, PDF writing); when it returns true, rendering stops with
    ``RenderCancelled``, so a server never finishes a report nobody will read.

    Raises:
        ConfigError: WeasyPrint is not installed, or ``HIPROM_PAPER`` names no paper.
        InputError: ``paper`` names no paper.
        RenderCancelled: ``cancelled()`` became true.
    """

    sheet = chosen_paper(paper)
    stamp = generated_utc or utc_stamp()
    drawn = draw_charts(data)
    with pdf_layout(sheet) as layout:

        def laid_out(compact: int, shorter: int = 0) -> Any:
            stop_if(cancelled)
            html = render_html(data, stamp, compact=compact, drawn=drawn, shorter=shorter)
            stop_if(cancelled)
            return layout(html)

        for compact in range(len(LIMITS)):
            document = laid_out(compact)
            if len(document.pages) <= MAX_PAGES:
                break
        for shorter in range(1, len(SHORTER) + 1):
            if len(document.pages) == 1 or not mostly_empty(document.pages[-1]):
                break
            fewer = laid_out(compact, shorter)
            if len(fewer.pages) < len(document.pages):
                document = fewer
        pages = list(document.pages)
        if program_context(data) is not None:
            stop_if(cancelled)
            pages += layout(render_program_html(data, stamp, drawn)).pages
        stop_if(cancelled)
        return pdf_bytes(document.copy(pages))  # the report's title, author and dates


def render_program_html(data: ReportData, generated_utc: str | None = None,
                        drawn: dict[str, str | None] | None = None) -> str:
    """The home program alone as one self-contained HTML page (``drawn`` as in :func:`build_context`);
    ``InputError`` if it is empty."""
    program = program_context(data)
    if program is None:
        raise InputError("the home program is empty: no exercise was suggested or kept for this session; "
                         "add one with 'hiprom program edit'")
    context = {**build_context(data, generated_utc, drawn=drawn), "program": program}
    return _environment().get_template("program_doc.html").render(**context)


def render_program_pdf(data: ReportData, paper: str | None = None,
                       cancelled: Callable[[], bool] | None = None) -> bytes:
    """The home program as PDF bytes (one page, or two for a long one), to print and hand to the person (``paper`` and
    ``cancelled`` as in :func:`render_pdf`)."""
    html = render_program_html(data)
    stop_if(cancelled)
    with pdf_layout(chosen_paper(paper)) as layout:
        document = layout(html)
        stop_if(cancelled)
        return pdf_bytes(document)


def write_program_pdf(data: ReportData, path: str | Path, paper: str | None = None) -> Path:
    """Render the home program and write it atomically to ``path``; returns the path."""
    pdf = render_program_pdf(data, paper)
    with atomic_write(path) as fh:
        fh.write(pdf)
    return Path(path)


def write_pdf(data: ReportData, path: str | Path, generated_utc: str | None = None,
              paper: str | None = None) -> Path:
    """Render the report on ``paper`` (as in :func:`render_pdf`) and write it atomically to ``path``."""
    pdf = render_pdf(data, generated_utc, paper=paper)
    with atomic_write(path) as fh:
        fh.write(pdf)
    return Path(path)
