"""``hiprom validate``: agreement of hiprom with the clinic's own instrument, or hiprom's own repeatability.

Pairs come from the store's reference readings (filtered by subject, dates,
instrument, rater), from ``--pairs FILE.csv``, or with ``--retest`` from
same-day pairs of hiprom sessions. Prints the figures per measure and pooled;
``--json`` and ``-o`` write them (``hiprom.validation/1``) and the PDF.
See ``docs/validation.md``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.text import Text

from hiprom.atomic import write_files
from hiprom.cli.options import db_option, paper_option
from hiprom.cli.store_cmd import DAY, STDOUT, console, make_table, open_store, write_text
from hiprom.errors import InputError
from hiprom.overwrite import check_replaceable

INSTRUMENT_CHOICES = ("goniometer", "inclinometer", "other")


@click.command()
@click.option("--pairs", "pairs_csv", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A CSV of pairs (measure, hiprom_deg, reference_deg[, subject, session, rater]), or one row per "
                   "person and visit with columns such as 'hiprom L IR' and 'Goniometer L IR', instead of the store.")
@click.option("--retest", is_flag=True,
              help="hiprom's own repeatability: two sessions of one subject on one day (from the store).")
@click.option("--subject", default=None, help="Only this subject (pseudonym).")
@click.option("--since", type=DAY, default=None, help="Sessions on or after YYYY-MM-DD.")
@click.option("--until", type=DAY, default=None, help="Sessions on or before YYYY-MM-DD.")
@click.option("--instrument", type=click.Choice(INSTRUMENT_CHOICES, case_sensitive=False), default=None,
              help="Only readings of this instrument.")
@click.option("--rater", default=None, help="Only readings of this rater (in any capitals or accents).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the figures as JSON (hiprom.validation/1); '-' for stdout.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the validation report PDF.")
@paper_option()
@db_option
def validate(pairs_csv: Path | None, retest: bool, subject: str | None, since: date | None, until: date | None,
             instrument: str | None, rater: str | None, json_out: Path | None, output: Path | None,
             paper: str | None, db: str | None) -> None:
    """Bias, limits of agreement, ICC, SEM and MDC95 of hiprom against a reference (or a re-test)."""
    from hiprom.validation import read_pairs_csv, stored_readings, stored_retest_pairs, summarize

    if output is not None:  # a wrong HIPROM_PAPER is said before the pairs are read
        from hiprom.report.paper import chosen_paper

        paper = chosen_paper(paper).name
    check_replaceable([output], "a PDF")
    check_replaceable([json_out], "a JSON file")
    filters = {"subject": subject, "since": since and since.isoformat(), "until": until and until.isoformat(),
               "instrument": instrument, "rater": rater}
    unpaired: list[dict[str, str]] = []
    if pairs_csv is not None:
        if retest or any(v is not None for v in filters.values()) or db is not None:
            raise InputError("--pairs reads every pair from the file; give no --retest, filters or --db with it")
        (pairs, unpaired), source, kind = read_pairs_csv(pairs_csv), str(pairs_csv), "agreement"
    elif retest:
        if instrument is not None or rater is not None:
            raise InputError("--retest pairs hiprom sessions with each other; --instrument and --rater do not apply")
        with open_store(db) as store:
            pairs = stored_retest_pairs(store, subject=subject, since=since, until=until)
            source = store.where
        kind = "retest"
    else:
        with open_store(db) as store:
            chosen = {"subject": subject, "since": since, "until": until, "instrument": instrument,
                      "rater": rater}
            pairs, unpaired = stored_readings(store, **chosen)
            source = store.where
        kind = "agreement"
    study = summarize(pairs, kind=kind, filters=filters, source=source, unpaired=unpaired)
    text = json.dumps(study, indent=2, ensure_ascii=False) + "\n"
    files: dict[Path, str | bytes] = {json_out: text} if json_out is not None and json_out != STDOUT else {}
    if output is not None:
        from hiprom.validation.pdf import render_pdf

        files[output] = render_pdf(study, paper=paper)
    for path in write_files(files):  # both or neither (a full disk)
        click.echo(f"Wrote {path}", err=True)
    if json_out == STDOUT:
        write_text(STDOUT, text)
    if json_out != STDOUT:
        _print(study)


def _print(study: dict[str, Any]) -> None:
    from hiprom.validation.stats import MIN_PAIRS
    from hiprom.validation.study import (
        FIGURE_NAMES,
        MEASURE_WORDS,
        RECOMMENDED_SUBJECTS,
        counting_text,
        labels,
        people_and_pairs,
        unpaired_text,
    )

    what = "Re-test of hiprom" if study["kind"] == "retest" else f"hiprom against the {labels(study)[1]}"
    columns = {**study["measures"], "pooled": study["pooled"]}
    # One column a measure, one row a figure with its interval beneath: seven intervals side by side
    # needed some 150 columns, and a narrower terminal broke them across lines. Five columns of an
    # interval such as "−27.3, −14.6" (12 characters) fit 80 columns with two spaces between them
    # (the blank rule and one of padding) and no rules, headings a word a line: ruled and bracketed ("[−27.3, −14.6] │") they needed 94, and
    # Rich, narrowing the one-line headings, broke intervals after the comma.
    table = make_table(f"{what}: {people_and_pairs(study)} (degrees)",
                       ["", *(("\n".join(MEASURE_WORDS[key].split()), "right") for key in columns)])
    table.box, table.padding = box.SIMPLE_HEAD, (0, 0, 0, 1)  # a space between columns, one before each
    table.add_row("Pairs", *(str(f["n"]) for f in columns.values()))
    table.add_row("People", *(Text("—", style="dim") if f.get("n_subjects") is None else str(f["n_subjects"])
                              for f in columns.values()))
    for name, words in FIGURE_NAMES.items():
        cells = [_with_ci(f, name) for f in columns.values()]
        below = "\n95% CI" if any("\n" in cell.plain for cell in cells) else ""
        table.add_row(Text(words) + Text(below, style="dim"), *cells)
    out = console()
    out.print(table)
    order = " minus ".join(labels(study))
    out.print(Text(counting_text(study)))
    for key, f in columns.items():  # too few pairs (0 shows in the table), or no spread to put an interval on
        if f.get("note") and f["n"]:
            out.print(Text(f"{MEASURE_WORDS[key]}: {f['note']}."))
    left_out = unpaired_text(study)
    if left_out:
        out.print(Text(left_out))
    mdc = ("" if study["kind"] == "retest" else
           " MDC95: of a change from one instrument's reading to the other's; hiprom's own is its re-test's "
           "(hiprom validate --retest).")
    out.print(Text(f"Under each figure its 95% confidence interval. Bias and limits of agreement: {order}. "
                   "ICC(2,1): two-way random effects, absolute agreement; ICC(3,1): two-way mixed effects, "
                   f"consistency; both of single readings (Shrout & Fleiss 1979).{mdc} A measure needs pairs from at "
                   f"least {MIN_PAIRS} people; a study at least {RECOMMENDED_SUBJECTS} (docs/validation.md).",
                   style="dim"))


def _with_ci(figs: dict[str, Any], name: str) -> Text:
    """A figure with its 95 % confidence interval beneath (``2.2`` over ``0.6, 3.8``, dim), or a dim dash
    (:func:`~hiprom.validation.study.figure_texts`; ``name`` a key of its ``FIGURE_NAMES``)."""
    from hiprom.validation.study import figure_texts

    texts = figure_texts(figs, name)
    if texts is None:
        return Text("—", style="dim")
    return Text(texts[0]) + Text("\n" + texts[1], style="dim")
