"""The home program: the suggestions a clinician keeps, removes, adds to and doses.

A program is plain JSON (``hiprom.program/1``), stored with the session::

    {"schema": "hiprom.program/1",
     "items": [{"exercise": "chair_rotation_internal", "side": "left", "direction": "internal",
                "reason": "left internal rotation 24°, below the 30–40° band",
                "dose": {"hold_s": 3, "reps": 10, "sets": 2}, "notes": null}],
     "notes": null}

:func:`program_from_recommendations` makes the starting program from a
result's suggestions (each at the catalogue's dose); :func:`check_program`
checks one a clinician edited (page, API or CLI); :func:`edit_program` applies
the CLI's choose / remove / dose edits. All pure: the store keeps the dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from hiprom.assessment.exercises import DOSE_RANGES, Catalogue, Dose, package_catalogue
from hiprom.assessment.trials import DIRECTIONS
from hiprom.errors import ConfigError, InputError
from hiprom.landmarks import SIDES
from hiprom.parsing import check_text
from hiprom.rounding import number

PROGRAM_SCHEMA = "hiprom.program/1"
PROGRAM_SIDES: tuple[str, ...] = (*SIDES, "both")
MAX_ITEMS = 30
MAX_TEXT = 1000


def program_from_recommendations(recommendations: Iterable[Mapping[str, Any]], catalogue: Catalogue) -> dict[str, Any]:
    """The starting home program: every suggestion, at its exercise's catalogue dose."""
    items = [
        {
            "exercise": rec["exercise"],
            "side": rec["side"],
            "direction": rec["direction"],
            "reason": rec.get("reason"),
            "dose": catalogue.get(rec["exercise"]).dose.to_dict(),
            "notes": None,
        }
        for rec in recommendations
    ]
    return {"schema": PROGRAM_SCHEMA, "items": items, "notes": None}


def _opt_text(where: str, value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InputError(f"{where}: must be text of at most {MAX_TEXT} characters")
    return check_text(value.strip(), where)


def check_dose(where: str, value: Any, base: Dose) -> Dose:
    """A dose from ``{"hold_s", "reps", "sets"}`` (missing fields keep ``base``'s); ``InputError`` if out of range."""
    if not isinstance(value, Mapping):
        raise InputError(f"{where}: dose must be an object {{hold_s, reps, sets}}")
    extra = sorted(set(value) - set(DOSE_RANGES))
    if extra:
        raise InputError(f"{where}: unknown dose field {extra[0]!r}, expecting one of {{hold_s, reps, sets}}")
    out = base.to_dict()
    for key, (low, high) in DOSE_RANGES.items():
        if key in value:
            v = value[key]
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                raise InputError(f"{where}: dose {key} must be a whole number from {low} to {high}, but got {v!r}")
            out[key] = v
    return Dose(**out)


def check_item(item: Any, catalogue: Catalogue, where: str = "item") -> dict[str, Any]:
    """One program item checked and completed (catalogue dose and first target when omitted)."""
    if not isinstance(item, Mapping):
        raise InputError(f"{where}: must be an object with exercise, side, direction, dose")
    extra = sorted(set(item) - {"exercise", "side", "direction", "reason", "dose", "notes", "name"})
    if extra:
        raise InputError(f"{where}: unknown field {extra[0]!r}")
    ex_id = item.get("exercise")
    known = {ex.id: ex for ex in catalogue.exercises}
    if not isinstance(ex_id, str) or ex_id not in known:
        raise InputError(f"{where}: unknown exercise {ex_id!r}, expecting one of {{{', '.join(known)}}}")
    ex = known[ex_id]
    side = item.get("side", "both" if ex.sides == "both" else None)
    if side not in PROGRAM_SIDES:
        raise InputError(f"{where}: side must be one of {{{', '.join(PROGRAM_SIDES)}}}, but got {side!r}")
    direction = item.get("direction") or ex.targets[0]
    if direction not in DIRECTIONS:
        raise InputError(f"{where}: direction must be one of {{{', '.join(DIRECTIONS)}}}, but got {direction!r}")
    dose = check_dose(where, item.get("dose") or {}, ex.dose)
    return {
        "exercise": ex.id,
        "side": side,
        "direction": direction,
        "reason": _opt_text(f"{where}: reason", item.get("reason")),
        "dose": dose.to_dict(),
        "notes": _opt_text(f"{where}: notes", item.get("notes")),
    }


def check_program(program: Any, catalogue: Catalogue) -> dict[str, Any]:
    """An edited program, checked against the catalogue; ``InputError`` naming the item and field.

    Accepts ``{"items": [...], "notes": ...}`` (``schema`` optional; ``exercises``: definitions of exercises
    ``catalogue`` may not have, :meth:`Catalogue.with_program`); returns the normalised ``hiprom.program/1``
    dict. It carries the definition of every exercise of its items that is not the package's own (a clinic's,
    from its catalogue file), so that the patient's hiprom, which has only the package's, can take it in,
    show it and print it.
    """
    if not isinstance(program, Mapping):
        raise InputError("program: must be an object with 'items'")
    schema = program.get("schema", PROGRAM_SCHEMA)
    if schema != PROGRAM_SCHEMA:
        raise InputError(f"program: schema is {schema!r}, expecting {PROGRAM_SCHEMA!r}")
    extra = sorted(set(program) - {"schema", "items", "notes", "exercises", "edited", "updated_utc"})
    if extra:
        raise InputError(f"program: unknown field {extra[0]!r}, expecting items and notes")
    items = program.get("items")
    if not isinstance(items, list):
        raise InputError("program: 'items' must be a list")
    if len(items) > MAX_ITEMS:
        raise InputError(f"program: at most {MAX_ITEMS} items, but got {len(items)}")
    try:
        catalogue = catalogue.with_program(program)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    checked = [check_item(item, catalogue, f"program item {i + 1}") for i, item in enumerate(items)]
    kept = {"schema": PROGRAM_SCHEMA, "items": checked, "notes": _opt_text("program: notes", program.get("notes"))}
    own = {ex.id for ex in package_catalogue().exercises}
    carried = list(dict.fromkeys(item["exercise"] for item in checked if item["exercise"] not in own))
    if carried:
        kept["exercises"] = [catalogue.get(ex_id).to_dict() for ex_id in carried]
    return kept


def parse_target(spec: str) -> tuple[str, str | None]:
    """``"chair_rotation_internal:left"`` -> (exercise, side); the side is optional."""
    ex_id, _, side = spec.partition(":")
    return ex_id.strip(), (side.strip() or None)


def edit_program(
    program: Mapping[str, Any],
    catalogue: Catalogue,
    *,
    add: Sequence[tuple[str, str | None]] = (),
    remove: Sequence[tuple[str, str | None]] = (),
    doses: Mapping[str, Mapping[str, int]] | None = None,
    notes: str | None = None,
) -> dict[str, Any]:
    """The program with exercises removed, added and re-dosed (the CLI's edits), checked.

    Args:
        program: the current program.
        add: (exercise, side) to add; side None = "both" for both-legs exercises,
            else one item per side (left, right).
        remove: (exercise, side) to remove; side None removes every side's item.
        doses: exercise -> ``{"hold_s", "reps", "sets"}`` (fields given replace the item's).
        notes: new program notes (None keeps them).
    """
    items = [dict(item) for item in program.get("items", [])]
    for ex_id, side in remove:  # no catalogue check: an exercise a clinic dropped can still be removed
        before = len(items)
        items = [it for it in items if not (it["exercise"] == ex_id and side in (None, it["side"]))]
        if len(items) == before:
            raise InputError(f"remove {ex_id}{':' + side if side else ''}: not in this program")
    for ex_id, side in add:
        ex = catalogue.get(ex_id)
        sides = [side] if side else (["both"] if ex.sides == "both" else list(SIDES))
        for s in sides:
            items.append({"exercise": ex.id, "side": s, "direction": ex.targets[0], "reason": None,
                          "dose": ex.dose.to_dict(), "notes": None})
    for ex_id, dose in (doses or {}).items():
        matched = [it for it in items if it["exercise"] == ex_id]
        if not matched:
            raise InputError(f"dose {ex_id}: not in this program; add it first")
        for it in matched:
            it["dose"] = {**it["dose"], **dose}
    return check_program({"items": items, "notes": program.get("notes") if notes is None else notes,
                          "exercises": program.get("exercises")}, catalogue)


def current_program(
    analysis: Mapping[str, Any], stored: Mapping[str, Any] | None, catalogue: Catalogue
) -> dict[str, Any]:
    """The program in force for a session: the clinician's (``stored``), else the starting one.

    The starting program is made from the analysis's ``recommendations``
    (recomputed for results saved before suggestions existed); ``edited``
    says which it is. Suggestions of exercises a clinic has since removed from
    its catalogue are left out.
    """
    if stored is not None:
        return {**stored, "edited": True}
    if "recommendations" in analysis:
        recs = analysis["recommendations"]
    else:
        from hiprom.assessment.recommend import recommend

        recs = recommend(analysis, catalogue)
    known = {ex.id for ex in catalogue.exercises}
    program = program_from_recommendations([r for r in recs if r.get("exercise") in known], catalogue)
    return {**program, "edited": False}


def done_by_exercise(records: Sequence[Mapping[str, Any]], days: Sequence[date | None]) -> list[dict[str, Any]]:
    """Counted exercises (``hiprom.exercise/1`` records) summed per exercise and leg, in the order first done:
    ``{"exercise", "side", "times", "days", "first_day", "last_day", "reps_done", "reps_target", "reps_refused",
    "timed", "hold_min_s", "hold_max_s"}`` (``timed``: every one was done with the page's timer, none counted by the
    camera; the shortest and longest hold of any rep, seconds, ``None`` without holds). ``days[i]`` is
    the day record ``i`` was done on, on the caller's clock (the visit's for ``hiprom trend``, the patient's for the
    page's "Today"), or None; ``days`` counts the distinct ones, ``first_day`` and ``last_day`` are the earliest
    and latest (``None`` without). What a visit's line, a day's checklist and the PDF's home days show."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    seen: dict[tuple[str, str], set[date]] = {}
    for record, day in zip(records, days, strict=True):
        key = (str(record["exercise"]), str(record["side"]))
        row = out.setdefault(key, {"exercise": key[0], "side": key[1], "times": 0, "days": 0, "first_day": None,
                                   "last_day": None, "reps_done": 0, "reps_target": 0, "reps_refused": 0,
                                   "timed": True, "hold_min_s": None, "hold_max_s": None})
        row["times"] += 1
        holds = [h for h in map(number, record.get("holds_s") or []) if h is not None]
        if holds:
            kept = [h for h in (row["hold_min_s"], row["hold_max_s"]) if h is not None]
            row["hold_min_s"], row["hold_max_s"] = min(holds + kept), max(holds + kept)
        row["timed"] = row["timed"] and record.get("timed") is True
        for total in ("reps_done", "reps_target", "reps_refused"):
            row[total] += int(record.get(total) or 0)
        if day is not None:
            seen.setdefault(key, set()).add(day)
            row["days"], row["first_day"], row["last_day"] = len(seen[key]), min(seen[key]), max(seen[key])
    return list(out.values())
