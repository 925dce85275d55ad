"""The figures of an agreement or re-test study, per measure and pooled (pure, no I/O).

:func:`summarize` turns pairs into the ``hiprom.validation/1`` dict that
``hiprom validate --json`` writes and the PDF shows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hiprom import __version__
from hiprom.errors import NotMeasurableError
from hiprom.report.figures import fmt
from hiprom.rounding import counted
from hiprom.store import MEASURES
from hiprom.parsing import folded
from hiprom.validation.pairs import Pair
from hiprom.validation.stats import MIN_PAIRS, agreement

SCHEMA = "hiprom.validation/1"
KINDS = ("agreement", "retest")
FIGURE_KEYS = ("n", "bias_deg", "loa_low_deg", "loa_high_deg", "icc_2_1", "icc_3_1", "sem_deg", "mdc95_deg")
"""The keys every measure (and ``pooled``) has; ``None`` when there are fewer than MIN_PAIRS pairs."""

MEASURE_WORDS = {
    "left_internal": "Left internal rotation",
    "left_external": "Left external rotation",
    "right_internal": "Right internal rotation",
    "right_external": "Right external rotation",
    "pooled": "All measures together",
}

FIGURE_NAMES = {"bias": "Bias", "loa_low": "LoA low", "loa_high": "LoA high", "icc_2_1": "ICC(2,1)",
                "icc_3_1": "ICC(3,1)", "sem": "SEM", "mdc95": "MDC95"}
"""The figures with a 95 % confidence interval, by their key without ``_deg``, as every table names them (the
terminal's rows, the PDF's headings). LoA: the 95 % limits of agreement."""


def figure_texts(figs: dict[str, Any], name: str) -> tuple[str, str] | None:
    """Figure ``name`` (a key of :data:`FIGURE_NAMES`) of a measure's ``figs`` and its 95 % confidence interval,
    as the tables print them: ``("1.4", "0.0, 2.9")``, an ICC to two decimals (``("0.96", "0.81, 0.99")``), the
    interval ``"—"`` when it could not be computed; ``None`` when the figure could not (too few pairs)."""
    digits = 2 if name.startswith("icc") else 1
    key, ci_key = (name, f"{name}_ci") if digits == 2 else (f"{name}_deg", f"{name}_ci_deg")
    if figs.get(key) is None:
        return None
    low, high = figs.get(ci_key) or (None, None)
    interval = "—" if low is None or high is None else f"{fmt(low, digits)}, {fmt(high, digits)}"
    return fmt(figs[key], digits), interval


RECOMMENDED_SUBJECTS = 30
"""Subjects an agreement study should have at least (Koo & Li, J Chiropr Med 2016;15:155-163: >= 30 for an ICC)."""


def figures(pairs: Sequence[Pair], kind: str = "agreement") -> dict[str, Any]:
    """The figures of one set of pairs: :data:`FIGURE_KEYS` and more (``None`` where n < MIN_PAIRS);
    ``kind`` (:data:`KINDS`) words the ``note``."""
    n = len(pairs)
    people = units(pairs)
    n_subjects = counted_people(pairs)
    if n < MIN_PAIRS or len(set(people)) < MIN_PAIRS:
        word = person_word(pairs)
        return {**dict.fromkeys(FIGURE_KEYS), "n": n, "n_subjects": n_subjects,
                "note": f"{counted(n, 'pair')}"
                        + ("" if len(set(people)) == n else f" from {counted(len(set(people)), word)}")
                        + f": at least {MIN_PAIRS} {'are' if len(set(people)) == n else word + 's are'} "
                        "needed for any figure"}
    a = np.array([p.a_deg for p in pairs])
    b = np.array([p.b_deg for p in pairs])
    out = agreement(a, b, subjects=people).to_dict()
    out["n_subjects"] = n_subjects
    notes = []
    if out["sd_diff_deg"] == 0:
        why = ("one recording analysed twice reads alike: a re-test is a second test, the person seated again"
               if kind == "retest" and out["bias_deg"] == 0 else "more people are needed")
        notes.append(f"every pair differed by exactly {fmt(out['bias_deg'])}°, so there is no spread to put an "
                     f"interval on; {why}")
    if out["icc_2_1"] is None:
        notes.append("no ICC: the readings do not differ from one person to another; measure people whose hips "
                     "differ")
    if notes:
        out["note"] = "; ".join(notes)
    ci = out["loa_high_ci_deg"]
    out["loa_ci_half_width_deg"] = (ci[1] - ci[0]) / 2 if None not in ci else None
    return out


def units(pairs: Sequence[Pair]) -> list[str]:
    """Whose each pair is: its subject, else its session (readings of one visit are one person),
    else the row of the pairs file it was read from (a wide sheet's row is one person's visit),
    else the pair itself. Pairs of one unit count as one person in every figure."""
    return [f"subject {p.subject}" if p.subject else f"session {p.session}" if p.session
            else f"row {p.row}" if p.row else f"pair {i}" for i, p in enumerate(pairs)]


def counted_people(pairs: Sequence[Pair]) -> int | None:
    """The people the figures count once each (:func:`units`): the subjects, and a session without
    a subject as one person; ``None`` when no pair names its subject or session (then each row of
    the file counts as a person, and how many people there were is unknown)."""
    if not any(p.subject or p.session for p in pairs):
        return None
    return len(set(units(pairs)))


def person_word(pairs: Sequence[Pair]) -> str:
    """What the figures count as one person (:func:`units`), in words: ``"subject"``, or ``"row"`` for a
    pairs file that names no subject or session."""
    return "subject" if counted_people(pairs) is not None else "row"


def loa_ci_half_width(n: int) -> float:
    """Half-width of the 95 % CI of each limit of agreement, in units of the SD of the differences.

    ``t(0.975, n-1) * sqrt(3 / n)`` (Bland & Altman 1986): 0.81 at n = 20,
    0.66 at 30, 0.45 at 60, 0.34 at 100. Quadrupling n halves it.
    """
    from scipy import stats as sps  # imported when used (see hiprom.validation.stats)

    return float(sps.t.ppf(0.975, n - 1) * math.sqrt(3 / n)) if n >= 2 else math.inf


TODO_IN_A_TERMINAL = {
    "agreement": "add reference readings with 'hiprom sessions reference' or give --pairs FILE.csv",
    "retest": "store two sessions of a subject on the same day",
}
"""What to do about too few pairs, per kind, as the terminal says it (the page names its own form)."""


def shortfall(pairs: Sequence[Pair], kind: str = "agreement", todo: Mapping[str, str] = TODO_IN_A_TERMINAL
              ) -> str | None:
    """Why ``pairs`` are too few for a study (fewer than MIN_PAIRS pairs, or people), in one sentence that says how
    many there are, how many are needed and what to do (``todo[kind]``); ``None`` when they will do. The rule
    :func:`summarize` refuses by, for asking without the figures."""
    people = len(set(units(pairs)))
    if len(pairs) >= MIN_PAIRS and people >= MIN_PAIRS:
        return None
    plural = "" if len(pairs) == 1 else "s"
    found = (f"{len(pairs)} re-test pair{plural} (two sessions of one subject on one day)" if kind == "retest"
             else f"{len(pairs)} pair{plural} of hiprom and reference readings")
    word = person_word(pairs)
    if people < len(pairs):
        found += f" from {counted(people, word)}" + (" (people not named: each row counts as one person)"
                                                      if word == "row" else "")
    need = f"at least {MIN_PAIRS} {'are' if people == len(pairs) else word + 's are'} needed"
    return f"{found} found; {need} ({todo[kind]})"


def summarize(pairs: Sequence[Pair], kind: str = "agreement", filters: Mapping[str, Any] | None = None,
              source: str = "", unpaired: Sequence[Mapping[str, str]] = (),
              todo: Mapping[str, str] = TODO_IN_A_TERMINAL) -> dict[str, Any]:
    """The study's figures (``hiprom.validation/1``): per measure, pooled, the pairs and what they were.

    Args:
        pairs: the pairs (hiprom, reference) or (first, second session).
        kind: ``"agreement"`` (hiprom against a reference) or ``"retest"``.
        filters: what selected the pairs (shown in the report).
        source: where the pairs came from (``store`` location or CSV path).
        unpaired: the instrument's angles with no hiprom figure to pair with
            (:func:`~hiprom.validation.pairs.stored_unpaired`).
        todo: what to do about too few pairs, per kind, in the words of where it is read.

    Raises:
        NotMeasurableError: fewer than MIN_PAIRS pairs, or subjects, in all.
    """
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is unknown, expecting one of {set(KINDS)}")
    short = shortfall(pairs, kind, todo)
    if short is not None:
        raise NotMeasurableError(short)
    by_measure = {m: [p for p in pairs if p.measure == m] for m in MEASURES}
    return {
        "schema": SCHEMA,
        "hiprom_version": __version__,
        "kind": kind,
        "source": source,
        "filters": {k: v for k, v in (filters or {}).items() if v is not None},
        "n_pairs": len(pairs),
        "n_subjects": counted_people(pairs),
        "measures": {m: figures(ps, kind) for m, ps in by_measure.items()},
        "pooled": figures(pairs, kind),
        "pairs": [p.to_dict() for p in pairs],
        "unpaired": [dict(u) for u in unpaired],
    }


def unpaired_text(study: Mapping[str, Any], shown: int = 5) -> str | None:
    """One sentence on the readings left out for want of a pair, or ``None`` when every one paired: the
    instrument's angles with no hiprom figure (stored readings), or the rows of a pairs file with a reading blank."""
    unpaired = study.get("unpaired") or []
    if not unpaired:
        return None
    in_file = "row" in unpaired[0]
    named = "; ".join(f"{'row ' + u['row'] if in_file else 'session ' + u['session']}, "
                      f"{MEASURE_WORDS[u['measure']].lower()}" for u in unpaired[:shown])
    more = f"; and {len(unpaired) - shown} more" if len(unpaired) > shown else ""
    one = len(unpaired) == 1
    if in_file:
        return (f"{counted(len(unpaired), 'row')} of the file {'has' if one else 'have'} hiprom's or the "
                f"{_instrument(study)}'s reading blank or marked not measured ({named}{more}): "
                f"{'it is' if one else 'they are'} left out.")
    return (f"{counted(len(unpaired), 'angle')} read with the instrument {'has' if one else 'have'} no hiprom figure "
            f"to pair with, as hiprom could not measure that side in that session ({named}{more}): "
            f"{'it is' if one else 'they are'} left out.")


def people_and_pairs(study: Mapping[str, Any]) -> str:
    """``"12 people, 36 pairs of readings"`` (a re-test: ``"12 people, 36 re-test pairs"``), or
    ``"36 pairs of readings (people not named: each pair counts as one person)"``, or for a wide sheet
    ``"24 pairs of readings from 6 rows (people not named: each row counts as one person)"``.

    A pairs CSV may leave its subjects out: then their number is unknown,
    not 0, and the study is not called a pilot for it.
    """
    people, n = study["n_subjects"], study["n_pairs"]
    pairs = counted(n, "re-test pair") if study["kind"] == "retest" else counted(n, "pair") + " of readings"
    if people:
        return f"{counted(people, 'person', 'people')}, {pairs}"
    rows = _rows(study)
    if rows < n:
        return f"{pairs} from {counted(rows, 'row')} (people not named: each row counts as one person)"
    return f"{pairs} (people not named: each pair counts as one person)"


def _rows(study: Mapping[str, Any]) -> int:
    """The rows of the pairs file the study's pairs were read from (a pair of no known row as one)."""
    return len({p.get("row") or f"pair {i}" for i, p in enumerate(study["pairs"])})


def labels(study: Mapping[str, Any]) -> tuple[str, str]:
    """Names of the two readings: ``("hiprom", "goniometer")``, or the sessions of a re-test."""
    if study["kind"] == "retest":
        return "first session", "re-test"
    instruments = {p.get("instrument") for p in study["pairs"]} - {None}
    return "hiprom", instruments.pop() if len(instruments) == 1 else "reference"


def _instrument(study: Mapping[str, Any]) -> str:
    """The reference instrument in words: ``"goniometer"``, or ``"reference instrument"`` when unnamed."""
    return labels(study)[1].replace("reference", "reference instrument")


def repeats(study: Mapping[str, Any]) -> dict[str, int]:
    """Each person (:func:`units`) who gave several pairs of one measure -> the most pairs of one measure."""
    pairs = [Pair(**p) for p in study["pairs"]]
    most: dict[str, int] = {}
    for m in MEASURES:
        for unit, k in Counter(units([p for p in pairs if p.measure == m])).items():
            if k > 1:
                most[unit] = max(k, most.get(unit, 0))
    return most


def counting_text(study: Mapping[str, Any]) -> str:
    """Plain sentences on what a pair is and who counts as one person (the "people" of the figures)."""
    instrument = _instrument(study)
    text = ("A re-test pair is one measure of one person in the first two hiprom tests of a day (a recording "
            "analysed twice is one test)."
            if study["kind"] == "retest" else
            f"A pair is hiprom's reading and the {instrument}'s of one measure of one person at one visit.")
    if not study["n_subjects"]:
        unit = "row" if _rows(study) < study["n_pairs"] else "pair"
        return text + (f" The file names no subject or session, so each {unit} counts as one person: a person "
                       f"with several {unit}s counts as several, and the figures look surer than the people "
                       "support; add a subject column to count each person once.")
    again = repeats(study)
    if again:
        text += (f" {counted(len(again), 'person', 'people')} gave more than one pair of a measure (up to "
                 f"{max(again.values())}): each person counts once in every figure, however many pairs.")
    unnamed = len({p["session"] for p in study["pairs"] if not p["subject"] and p["session"]})
    if unnamed:
        each = "counts as one person" if unnamed == 1 else "count as one person each"
        text += f" {counted(unnamed, 'session')} without a subject {each}."
    alike = spelled_alike(study)
    if alike:
        shown = "; ".join(" and ".join(repr(name) for name in names) for names in alike[:3])
        text += (f" Subjects written alike but for case, spaces or dashes count as different people ({shown}"
                 f"{'; and more' if len(alike) > 3 else ''}): if one person, give them one spelling and run again.")
    return text


def spelled_alike(study: Mapping[str, Any]) -> list[list[str]]:
    """Groups of the pairs' subjects that differ only in case, accents, spaces, dashes or dots
    (``P-0042``, ``p-0042``, ``P 0042``): most likely one person typed two ways."""
    spellings: dict[str, set[str]] = {}
    for p in study["pairs"]:
        if p["subject"]:
            spellings.setdefault(re.sub(r"[\s._-]+", "", folded(p["subject"])), set()).add(p["subject"])
    return [sorted(names) for names in spellings.values() if len(names) > 1]
