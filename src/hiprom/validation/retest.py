"""The minimal detectable change (MDC) in force: the clinic's own once it has re-tested enough subjects.

A change between two sessions, or a left-right difference, smaller than the
MDC may be measurement error. Until a clinic has re-tested
:data:`MIN_RETEST_SUBJECTS` subjects (two hiprom sessions of one subject on
one day), the published MDC of seated goniometry from the norms is used;
from then on, hiprom's own MDC95 measured at that clinic. Every caller says
which one it used (``MdcInForce.text``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hiprom.assessment.norms import Norms
from hiprom.report.figures import fmt
from hiprom.store import MEASURES, SessionFigures, SessionRecord, Store
from hiprom.validation.pairs import retest_pairs
from hiprom.validation.study import figures

MIN_RETEST_SUBJECTS = 20
"""Re-tested subjects a clinic needs before its own MDC replaces the published one."""


@dataclass(frozen=True)
class MdcInForce:
    """The MDC to judge a change or an asymmetry with, and where it comes from.

    Attributes:
        low_deg, high_deg: the MDC95 in degrees; a range for the published
            figure (6-9 deg), equal ends for the clinic's own.
        source: ``"clinic"`` (this clinic's re-tests) or ``"published"`` (the norms).
        n_subjects: re-tested subjects at this clinic so far.
        per_measure: the clinic's MDC95 per measure (``left_internal`` ...),
            empty when the published figure is in force.
        text: one sentence for a page or a PDF saying which MDC was used.
    """

    low_deg: float
    high_deg: float
    source: str
    n_subjects: int
    per_measure: dict[str, float] = field(default_factory=dict)
    text: str = ""

    def for_measure(self, measure: str) -> float:
        """The MDC of one measure (the clinic's per-measure figure when known, else ``low_deg``)."""
        return self.per_measure.get(measure, self.low_deg)


def mdc_from_sessions(sessions: Sequence[SessionFigures | SessionRecord], norms: Norms | None = None,
                      min_subjects: int = MIN_RETEST_SUBJECTS, clinic: bool = True) -> MdcInForce:
    """The MDC in force given a clinic's stored sessions (pure: no database). ``clinic`` False: the records of one
    person at home (``Store.patients_own``), whose text says nothing of a clinic's re-tested subjects."""
    published = (norms or Norms()).mdc_deg
    pairs = retest_pairs(sessions)
    subjects = len({p.subject for p in pairs})
    if subjects < min_subjects:
        progress = (f" (this clinic has re-tested {subjects} of the {min_subjects} subjects needed to use its own)"
                    if clinic else "")
        return MdcInForce(
            low_deg=published[0], high_deg=published[1], source="published", n_subjects=subjects,
            text=(f"Published minimal detectable change of seated goniometry, {fmt(published[0], 0)}–"
                  f"{fmt(published[1], 0)}°{progress}."),
        )
    pooled_figures = figures(pairs)
    if pooled_figures["sd_diff_deg"] == 0:  # an MDC of 0 would call every change real
        return MdcInForce(
            low_deg=published[0], high_deg=published[1], source="published", n_subjects=subjects,
            text=(f"Published minimal detectable change of seated goniometry, {fmt(published[0], 0)}–"
                  f"{fmt(published[1], 0)}° (this clinic's {subjects} re-tested subjects read exactly alike in both "
                  "sessions, as one recording analysed twice does; a re-test is a second test, the person "
                  "seated again)."),
        )
    pooled, (low, high) = pooled_figures["mdc95_deg"], pooled_figures["mdc95_ci_deg"]
    known = "" if low is None or high is None else f" (95% confidence: {fmt(low)} to {fmt(high)}°)"
    per_measure = {}
    for m in MEASURES:
        figs = figures([p for p in pairs if p.measure == m])
        if figs["mdc95_deg"] is not None and figs["sd_diff_deg"] != 0:  # None: pairs from too few people
            per_measure[m] = figs["mdc95_deg"]
    return MdcInForce(
        low_deg=pooled, high_deg=pooled, source="clinic", n_subjects=subjects, per_measure=per_measure,
        text=(f"This clinic's own minimal detectable change of hiprom, {fmt(pooled)}°{known}, "
              f"from same-day re-tests of {subjects} subjects."),
    )


def mdc_in_force(store: Store, norms: Norms | None = None, min_subjects: int = MIN_RETEST_SUBJECTS) -> MdcInForce:
    """The MDC in force for the clinic whose records are in ``store`` (see :func:`mdc_from_sessions`), from the
    sessions its re-tests can be made of (``Store.retest_figures``), read as they stand at each call. One patient's
    store at home (``Store.one_patient``) is told no clinic's progress: a patient read on their page "this clinic
    has re-tested 0 of the 20 subjects needed to use its own"."""
    return mdc_from_sessions(store.retest_figures(), norms, min_subjects, clinic=not store.one_patient())
