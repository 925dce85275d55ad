"""Options that several commands share, each defined once: the same name, metavar and words everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

MODEL_HELP = "Pose model for videos and cameras: lite, full (default) or heavy, or a .task file (see 'hiprom models')."
PAPER_HELP = ("Paper of the PDF: a4 or letter (US Letter) (default: $HIPROM_PAPER, else the locale's: "
              "letter in the US, Canada, Mexico, the Philippines and parts of Latin America, a4 elsewhere).")
CSV_STYLE_HELP = ("commas and a decimal point (for scripts), or semicolons and a decimal comma (31,5), "
                  "which Excel opens by a double-click where the decimal mark is a comma.")
DB_HELP = ("an SQLite file, or a URL such as postgresql://user@host/hiprom "
           "(default: $HIPROM_DB_URL, else hiprom.db in $HIPROM_DATA_DIR or ~/.local/share/hiprom).")


def model_option(**extra: Any) -> Decorator:
    """``--model VARIANT|FILE`` (``extra``: more ``click.option`` settings, e.g. an ``envvar``)."""
    return click.option("--model", "model", default=None, metavar="VARIANT|FILE", help=MODEL_HELP, **extra)


def csv_style_option(lead: str) -> Decorator:
    """``--csv-style commas|semicolons``, given to the command as a :class:`~hiprom.tables.CsvStyle`;
    ``lead`` names the tables it shapes (``"summary.csv and trials.csv"``)."""
    from hiprom.tables import CSV_STYLES

    return click.option("--csv-style", "csv_style", type=click.Choice(sorted(CSV_STYLES)), default="commas",
                        callback=lambda _ctx, _param, name: CSV_STYLES[name], help=f"{lead}: {CSV_STYLE_HELP}")


def db_option(func: Callable[..., Any] | None = None, *, lead: str = "Records store", **extra: Any) -> Any:
    """``--db URL_OR_PATH``: ``@db_option``, or ``@db_option(lead="With --save, the records store", envvar=...)``."""
    decorator = click.option("--db", "db", default=None, metavar="URL_OR_PATH", help=f"{lead}: {DB_HELP}", **extra)
    return decorator if func is None else decorator(func)


def recorded_option(func: Callable[..., Any] | None = None, *, lead: str = "When the test took place") -> Any:
    """``--recorded WHEN``: the visit's time, for a recording analysed on a later day
    (read by ``hiprom.store.records.parse_visit_time``)."""
    decorator = click.option(
        "--recorded", default=None, metavar="WHEN",
        help=f"{lead} (YYYY-MM-DD or 'YYYY-MM-DD HH:MM', this computer's clock); default: when it was analysed. "
             "Give it for a video recorded on an earlier day, so the visit is dated and compared by its own day.")
    return decorator if func is None else decorator(func)


yes_option: Decorator = click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
"""``--yes``: a delete goes ahead without its question (:func:`hiprom.cli.store_cmd.require_yes`)."""


def paper_option(**extra: Any) -> Decorator:
    """``--paper a4|letter`` (``None`` when not given: the machine's setting, ``hiprom.report.paper``)."""
    return click.option("--paper", "paper", type=click.Choice(["a4", "letter"], case_sensitive=False), default=None,
                        help=PAPER_HELP, **extra)
