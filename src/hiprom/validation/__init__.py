"""Evidence from the clinic: hiprom against the clinic's own instrument, and hiprom against itself.

``stats`` holds the pure statistics (Bland-Altman, ICC, SEM, MDC95);
``pairs`` gathers paired readings (store, CSV, same-day re-tests);
``study`` turns pairs into the ``hiprom.validation/1`` figures; ``retest``
says which MDC is in force; ``pdf`` lays out the validation report. See
``docs/validation.md``. Sits beside ``report`` in the one-way flow: it reads
the store and reuses the report's PDF machinery.
"""

from hiprom.validation.pairs import (
    Pair,
    read_pairs_csv,
    retest_pairs,
    stored_pairs,
    stored_retest_pairs,
    stored_readings,
    stored_unpaired,
)
from hiprom.validation.retest import MIN_RETEST_SUBJECTS, MdcInForce, mdc_from_sessions, mdc_in_force
from hiprom.validation.study import FIGURE_KEYS, SCHEMA, summarize

__all__ = [
    "FIGURE_KEYS",
    "MIN_RETEST_SUBJECTS",
    "SCHEMA",
    "MdcInForce",
    "Pair",
    "mdc_from_sessions",
    "mdc_in_force",
    "read_pairs_csv",
    "retest_pairs",
    "stored_pairs",
    "stored_retest_pairs",
    "stored_readings",
    "stored_unpaired",
    "summarize",
]
