"""The validation report: the study's figures, plots and plain words, as PDF (WeasyPrint).

Uses the session report's machinery (:mod:`hiprom.report.pdf`): the same
stylesheet (type sizes and colours), rounding filter, inline-only resources and
a URL fetcher that loads nothing from outside.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from hiprom import __version__
from hiprom.atomic import atomic_write
from hiprom.report.alt_text import agreement_alt
from hiprom.report.data import utc_stamp
from hiprom.report.figures import fmt
from hiprom.report.paper import chosen_paper
from hiprom.report.pdf import BODY_PT, SMALL_PT, _data_uri, stop_if
from hiprom.report.weasy import pdf_bytes, pdf_layout
from hiprom.store import MEASURES
from hiprom.store.records import shown_time
from hiprom.validation.charts import agreement_chart
from hiprom.validation.stats import MIN_PAIRS
from hiprom.validation.study import (
    FIGURE_NAMES,
    MEASURE_WORDS,
    RECOMMENDED_SUBJECTS,
    counting_text,
    figure_texts,
    labels,
    loa_ci_half_width,
    people_and_pairs,
    repeats,
    unpaired_text,
)

SAMPLE_SIZES = (10, 20, 30, 50, 100)


def meaning(study: Mapping[str, Any]) -> list[str]:
    """Plain sentences on what the pooled figures say."""
    a, b = labels(study)
    a, b = (f"the {a}" if study["kind"] == "retest" else a), f"the {b}"
    f = study["pooled"]
    if f["bias_deg"] is None:
        return ["Too few pairs for any figure yet."]
    lines = [f"{f['note'][0].upper()}{f['note'][1:]}."] if f.get("note") else []
    lines += [
        (f"On average {a} reads the same as {b}" if fmt(abs(f["bias_deg"])) == fmt(0.0) else
         f"On average {a} reads {fmt(abs(f['bias_deg']))}° {'more' if f['bias_deg'] > 0 else 'less'} than {b}")
        + _confidence(f["bias_ci_deg"], "°") + ".",
        f"For 95% of people, {a} reads between {fmt(f['loa_low_deg'])}° and {fmt(f['loa_high_deg'])}° "
        f"from {b}: a difference inside these limits is what the two normally disagree by."
        + ("" if None in f["loa_low_ci_deg"] + f["loa_high_ci_deg"] else
           f" With 95% confidence the lower limit is {_range(f['loa_low_ci_deg'])}° and the upper "
           f"{_range(f['loa_high_ci_deg'])}°."),
        (f"A change between two readings must exceed the MDC95 of {fmt(f['mdc95_deg'])}°" if study["kind"] == "retest"
         else f"A change between a reading of one instrument and a later one of the other must exceed the MDC95 of "
              f"{fmt(f['mdc95_deg'])}°")
        + _confidence(f["mdc95_ci_deg"], "°") + " before it can be called real rather than measurement error"
        + ("" if None in f["mdc95_ci_deg"] else "; with more people the interval narrows") + "."
        + ("" if study["kind"] == "retest" else
           " A change read by hiprom both times is judged by hiprom's own MDC95, from its same-day re-tests "
           "('hiprom validate --retest')."),
    ]
    if f["icc_2_1"] is not None:
        lines.append(f"ICC(2,1) of {fmt(f['icc_2_1'], 2)}{_confidence(f['icc_2_1_ci'], '', 2)}: 1 is perfect "
                     "agreement, above 0.75 is usually called good and above 0.9 excellent (Koo & Li 2016); the "
                     "confidence interval, not the single figure, says what the data support.")
    if study["kind"] == "agreement":
        lines.append("Published seated goniometry of hip rotation reaches ICC 0.64–0.93 and an MDC of 5–9° between "
                     "raters; figures in that range mean hiprom agrees with the instrument about as well as two "
                     "clinicians agree with each other.")
    below_0 = [MEASURE_WORDS[key] for key, figs in (*study["measures"].items(), ("pooled", f))
               if figs["icc_2_1"] is not None and figs["icc_2_1"] < 0]
    if below_0:
        lines.append(f"An ICC below 0 ({', '.join(below_0)}) is no agreement at all: the two readings of a person "
                     "differ more than the people differ from each other, as when few, much alike hips were "
                     "measured. Read the limits of agreement there, not the ICC.")
    p = f.get("proportional_bias_p")
    if p is not None and p < 0.05:
        lines.append(f"The difference changes with the size of the angle (slope {fmt(f['proportional_bias_slope'], 2)}, "
                     f"p {p_value(p)}): a single bias does not describe the agreement across the range.")
    return lines


def p_value(p: float | None) -> str:
    """A p-value as papers give it: ``"0.042"``, ``"< 0.001"`` (not ``"0.000"``), or ``"—"``."""
    return "—" if p is None else "< 0.001" if p < 0.0005 else fmt(p, 3)


def _confidence(interval: list[float | None], unit: str, digits: int = 1) -> str:
    """``" (95% confidence: -3.5 to -1.0°)"``, or nothing when the interval could not be computed."""
    return "" if None in interval else f" (95% confidence: {_range(interval, digits)}{unit})"


def _range(interval: list[float | None], digits: int = 1) -> str:
    """``"-3.5 to -1.0"``, or ``"—"`` when the interval could not be computed."""
    return "—" if None in interval else f"{fmt(interval[0], digits)} to {fmt(interval[1], digits)}"


def sample_size(study: Mapping[str, Any]) -> list[str]:
    """Plain sentences on whether n is enough and how many pairs would be."""
    f = study["pooled"]
    n, subjects = f["n"], study["n_subjects"]
    half_deg, sd = f.get("loa_ci_half_width_deg"), f.get("sd_diff_deg")
    half_sd = half_deg / sd if half_deg is not None and sd else loa_ci_half_width(n)
    lines = [
        f"This study has {people_and_pairs(study)}. Each limit of agreement is itself uncertain: with n "
        f"people it is known to about ± t × √(3/n) standard deviations of the differences "
        f"(Bland & Altman 1986), ± {fmt(half_sd, 2)} SD here"
        + (f", that is ± {fmt(half_deg)}°." if half_deg is not None else "."),
        f"Quadrupling the people halves that uncertainty. An agreement study needs at least {RECOMMENDED_SUBJECTS} "
        "subjects covering the range of hips the clinic sees (Koo & Li 2016); 50–100 pairs give limits of agreement "
        "known to about ± 0.5 SD or better.",
    ]
    left_out = unpaired_text(study)
    if left_out:
        lines.append(left_out)
    if repeats(study):
        lines.append("Some people gave several pairs of one measure (repeated readings or several visits): every "
                     "figure and its interval counts each person once, not each pair (the limits of agreement by "
                     "Zou 2013; the ICC, SEM and MDC95 from the spread of one pair person by person, Bland & "
                     "Altman 1999).")
    if subjects is not None and subjects < RECOMMENDED_SUBJECTS:
        lines.append(f"With fewer than {RECOMMENDED_SUBJECTS} subjects, treat these figures as a pilot.")
    return lines


def figure_cell(figs: Mapping[str, Any], name: str) -> str:
    """A figure of the PDF's tables with its unit and its 95 % confidence interval, on one line: "1.4° [0.0, 2.9]",
    "0.96 [0.81, 0.99]" (an ICC), "—". One line, so that the table copied out as text (pdftotext, a viewer's
    select-all) reads each figure with its interval after its measure's name, where a figure wrapped over its
    interval pasted as "−2.9 0.96 0.97 1.8 [−5.4, −0.3] [0.81, 0.99] …"."""
    texts = figure_texts(dict(figs), name)
    if texts is None:
        return "—"
    unit = "" if name.startswith("icc") else "°"
    return f"{texts[0]}{unit} [{texts[1]}]"


def build_context(study: Mapping[str, Any], generated_utc: str | None = None) -> dict[str, Any]:
    """Everything the template shows."""
    names = labels(study)
    rows = []
    for key in (*MEASURES, "pooled"):
        f = study["pooled"] if key == "pooled" else study["measures"][key]
        pairs = [p for p in study["pairs"] if key == "pooled" or p["measure"] == key]
        chart = None
        if f["bias_deg"] is not None:
            chart = _data_uri("image/svg+xml", agreement_chart(pairs, f, names))
        rows.append({"key": key, "label": MEASURE_WORDS[key], "f": f, "chart": chart,
                     "alt": agreement_alt(MEASURE_WORDS[key], f, names),
                     "cells": {name: figure_cell(f, name) for name in FIGURE_NAMES}})
    retest = study["kind"] == "retest"
    return {
        "study": study,
        "people_and_pairs": people_and_pairs(study),
        "counting": counting_text(study),
        "title": "Repeatability of hiprom: same-day re-test" if retest else f"Agreement of hiprom with the {names[1]}",
        "subtitle": ("Two hiprom sessions of the same person on the same day" if retest else
                     "hiprom's reading of each hip against the clinic's own instrument, for the same visit"),
        "labels": names,
        "figure_names": FIGURE_NAMES,
        "rows": rows,
        "meaning": meaning(study),
        "sample_size": sample_size(study),
        "loa_table": [(n, loa_ci_half_width(n)) for n in SAMPLE_SIZES],
        "min_pairs": MIN_PAIRS,
        "version": __version__,
        "body_pt": BODY_PT,
        "small_pt": SMALL_PT,
        "generated_utc": generated_utc or utc_stamp(),
    }


def render_html(study: Mapping[str, Any], generated_utc: str | None = None) -> str:
    """The validation report as one self-contained HTML page, styled by the session report's ``report.css``."""
    loader = jinja2.ChoiceLoader([jinja2.PackageLoader("hiprom.validation", "templates"),
                                  jinja2.PackageLoader("hiprom.report", "templates")])
    env = jinja2.Environment(loader=loader, autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = fmt
    env.filters["p_value"] = p_value
    env.filters["when"] = shown_time
    return env.get_template("validation.html").render(**build_context(study, generated_utc))


def render_pdf(study: Mapping[str, Any], generated_utc: str | None = None, paper: str | None = None,
               cancelled: Callable[[], bool] | None = None) -> bytes:
    """The validation report as PDF bytes on ``paper`` (``"a4"`` or ``"letter"``; ``None``: the
    machine's setting, :func:`hiprom.report.paper.default_paper`). ``cancelled`` is asked between the
    stages (plots and page, layout, PDF writing), as the session report's :func:`hiprom.report.pdf.render_pdf`.

    Raises:
        HipromError: WeasyPrint is not installed, or the paper is unknown.
        RenderCancelled: ``cancelled()`` became true.
    """
    sheet = chosen_paper(paper)
    html = render_html(study, generated_utc)
    stop_if(cancelled)
    with pdf_layout(sheet) as layout:
        document = layout(html)
        stop_if(cancelled)
        return pdf_bytes(document)


def write_pdf(study: Mapping[str, Any], path: str | Path, generated_utc: str | None = None,
              paper: str | None = None) -> Path:
    """Render the validation report on ``paper`` and write it atomically to ``path``."""
    pdf = render_pdf(study, generated_utc, paper)
    with atomic_write(path) as fh:
        fh.write(pdf)
    return Path(path)
