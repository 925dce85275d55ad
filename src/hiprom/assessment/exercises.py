"""The exercise catalogue: data in ``exercises.toml``, overridable by a clinic like the norms.

The package's catalogue (``hiprom/assessment/exercises.toml``) lists each
exercise's id, name, position, the rotation it aims to improve, dose, steps,
cautions and whether the camera can follow it, plus the safety notes shown
with every program. A clinic's TOML file, passed as ``--exercises FILE`` or
named by ``HIPROM_EXERCISES``, changes it::

    replace = false            # true: use only the clinic's exercises
    remove = ["band_leg_turn"] # drop these from the package's list
    safety = ["..."]           # replaces the safety notes

    [[exercise]]               # a known id: only the fields given change
    id = "chair_rotation_internal"
    dose = {hold_s = 5, reps = 8, sets = 2}

    [[exercise]]               # a new id: every field is needed
    id = "clinic_stretch"
    ...

Bad files stop with one ``ConfigError`` line naming the file, the exercise,
the field and the allowed values.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from hiprom.assessment.norms import clinic_file, tomllib
from hiprom.assessment.trials import DIRECTIONS
from hiprom.errors import ConfigError

EXERCISES_ENV = "HIPROM_EXERCISES"
"""Environment variable naming a clinic's exercise catalogue TOML file."""

KINDS = ("active", "stretch")
SIDE_MODES = ("each", "both")
_ID = re.compile(r"^[a-z0-9_]{1,40}$")
DOSE_RANGES: dict[str, tuple[int, int]] = {"hold_s": (0, 600), "reps": (1, 100), "sets": (1, 20)}
"""Allowed dose values (inclusive): hold in seconds (0 = no hold), repetitions, sets."""
MAX_CARRIED = 30
"""The most exercise definitions a home program carries (as many as its items)."""


@dataclass(frozen=True)
class Dose:
    """How much of an exercise: hold each repetition ``hold_s`` seconds (0: no hold), ``reps`` times, ``sets`` sets."""

    hold_s: int
    reps: int
    sets: int

    def to_dict(self) -> dict[str, int]:
        """``{"hold_s", "reps", "sets"}``."""
        return {"hold_s": self.hold_s, "reps": self.reps, "sets": self.sets}

    def words(self) -> str:
        """The dose as a person reads it: "hold 3 s, 10 times, 2 sets"."""
        parts = [f"hold {self.hold_s} s"] if self.hold_s else []
        parts.append("once" if self.reps == 1 else f"{self.reps} times")
        parts.append("1 set" if self.sets == 1 else f"{self.sets} sets")
        return ", ".join(parts)


@dataclass(frozen=True)
class Exercise:
    """One exercise of the catalogue (fields as in ``exercises.toml``)."""

    id: str
    name: str
    position: str
    targets: tuple[str, ...]
    kind: str
    sides: str
    camera_followed: bool
    steps: tuple[str, ...]
    cautions: tuple[str, ...]
    dose: Dose

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (lists for tuples)."""
        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "targets": list(self.targets),
            "kind": self.kind,
            "sides": self.sides,
            "camera_followed": self.camera_followed,
            "steps": list(self.steps),
            "cautions": list(self.cautions),
            "dose": self.dose.to_dict(),
        }


@dataclass(frozen=True)
class Catalogue:
    """The exercises, in catalogue order, and the safety notes shown with every program."""

    exercises: tuple[Exercise, ...]
    safety: tuple[str, ...]
    source: str = "hiprom"

    def get(self, exercise_id: str) -> Exercise:
        """The exercise with this id; ``ConfigError`` naming the known ids if none."""
        for ex in self.exercises:
            if ex.id == exercise_id:
                return ex
        known = ", ".join(ex.id for ex in self.exercises)
        raise ConfigError(f"unknown exercise {exercise_id!r}, expecting one of {{{known}}}")

    def with_program(self, program: Any) -> Catalogue:
        """This catalogue and the exercises a kept home program brought with it (its ``exercises``: a clinic's
        own, which another hiprom's catalogue does not have); this catalogue's own stand where both have one.
        ``ConfigError`` for a definition that is not an exercise's."""
        carried = program.get("exercises") if isinstance(program, Mapping) else None
        if not carried:
            return self
        if not isinstance(carried, list) or len(carried) > MAX_CARRIED or not all(isinstance(d, dict) for d in carried):
            raise ConfigError(f"program: exercises must be a list of at most {MAX_CARRIED} exercises")
        known = {ex.id for ex in self.exercises}
        more = [exercise_from_mapping(d, "program: exercises") for d in carried]
        return replace(self, exercises=self.exercises + tuple(ex for ex in more if ex.id not in known))

    def targeting(self, direction: str) -> tuple[Exercise, ...]:
        """Exercises that aim to improve ``direction`` ("internal" or "external"), in catalogue order."""
        return tuple(ex for ex in self.exercises if direction in ex.targets)

    def to_dict(self) -> dict[str, Any]:
        """``{"source", "safety", "retest", "exercises"}``: what ``hiprom exercises --json`` and ``/api/exercises``
        give (``retest``: :data:`RETEST_ADVICE`, a sentence)."""
        return {
            "source": self.source,
            "safety": list(self.safety),
            "retest": f"{RETEST_ADVICE}.",
            "exercises": [ex.to_dict() for ex in self.exercises],
        }


RETEST_WEEKS = (4, 6)
"""When to measure again after a test, in weeks: what :data:`RETEST_ADVICE` says and the calendar reminder
(``hiprom.report.reminder``) falls in the middle of."""
_RETEST_WORDS = "Repeat the test the same way {when}, or sooner if pain or stiffness changes"
RETEST_ADVICE = _RETEST_WORDS.format(when=f"in about {RETEST_WEEKS[0]}–{RETEST_WEEKS[1]} weeks")
"""When to measure again, in the words the report, the home program's sheet and the page after a test all say
(before: "in about 4–6 weeks" on the report, "after a few weeks ... (hiprom: 'Test again')" on the sheet, where
the page's Test again is the same day's re-test, and nothing on the page). Weeks, not days: a change must pass
the minimal detectable change of 6–9° (docs/exercises.md) to be told from the measurement's error."""


def retest_window(tested: date) -> tuple[date, date]:
    """The days to test again after a test on ``tested`` (its day on the person's clock): :data:`RETEST_WEEKS`
    after it, the first and the last."""
    return tested + timedelta(weeks=RETEST_WEEKS[0]), tested + timedelta(weeks=RETEST_WEEKS[1])


def retest_advice(tested: date | None) -> str:
    """:data:`RETEST_ADVICE` with the days it means after a test on ``tested`` ("Repeat the test the same way from
    2027-01-04 to 2027-01-18, or sooner …"), as the report and the program's sheet print it (in the weeks' place,
    so the sheet keeps its one line); the advice in weeks when the day is not known."""
    if tested is None:
        return RETEST_ADVICE
    first, last = retest_window(tested)
    return _RETEST_WORDS.format(when=f"from {first.isoformat()} to {last.isoformat()}")


def last_test_words(tested: date, today: date) -> str:
    """What a patient's own page says between tests of their last one (``tested``, its day on their clock):
    how long ago, and from when to test again (:data:`RETEST_WEEKS` after it), or that it is time now. The
    page said only "Press Start test" to someone back weeks later for their re-test, or back too soon."""
    days = (today - tested).days
    ago = ("today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago" if days < 14
           else f"{days // 7} weeks ago")
    said = f"Your last test was {ago} ({tested.isoformat()})"
    due = retest_window(tested)[0]
    if today >= due:
        return f"{said}: time to test again, the same way (same chair, same camera place)."
    return f"{said}. Test again from {due.isoformat()}, {RETEST_WEEKS[0]}–{RETEST_WEEKS[1]} weeks after it."


_FIELDS = {f.name for f in fields(Exercise)}


def _text(where: str, key: str, value: Any, max_len: int = 400) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise ConfigError(f"{where}: {key} must be non-empty text of at most {max_len} characters, but got {value!r}")
    return value.strip()


def _texts(where: str, key: str, value: Any, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise ConfigError(f"{where}: {key} must be a list of sentences, but got {value!r}")
    return tuple(_text(where, key, v) for v in value)


def _dose(where: str, value: Any, base: Dose | None) -> Dose:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: dose must be a table {{hold_s, reps, sets}}, but got {value!r}")
    extra = sorted(set(value) - set(DOSE_RANGES))
    if extra:
        raise ConfigError(f"{where}: unknown dose field {extra[0]!r}, expecting one of {{hold_s, reps, sets}}")
    out: dict[str, int] = {} if base is None else base.to_dict()
    for key, (low, high) in DOSE_RANGES.items():
        if key not in value:
            if key not in out:
                raise ConfigError(f"{where}: dose.{key} is missing")
            continue
        v = value[key]
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise ConfigError(f"{where}: dose.{key} must be a whole number from {low} to {high}, but got {v!r}")
        out[key] = v
    return Dose(**out)


def exercise_from_mapping(data: dict[str, Any], where: str, base: Exercise | None = None) -> Exercise:
    """An ``Exercise`` from a TOML table; with ``base``, the fields given replace the base's."""
    ex_id = data.get("id")
    if not isinstance(ex_id, str) or not _ID.match(ex_id):
        raise ConfigError(f"{where}: id must be 1-40 lower-case letters, digits or '_', but got {ex_id!r}")
    where = f"{where}: exercise {ex_id!r}"
    extra = sorted(set(data) - _FIELDS)
    if extra:
        raise ConfigError(f"{where}: unknown field {extra[0]!r}, expecting one of {{{', '.join(sorted(_FIELDS))}}}")
    if base is None:
        missing = sorted(_FIELDS - set(data))
        if missing:
            raise ConfigError(f"{where}: field {missing[0]!r} is missing (a new exercise needs every field)")
    values: dict[str, Any] = {}
    for key in ("name", "position"):
        if key in data:
            values[key] = _text(where, key, data[key], 120)
    if "targets" in data:
        targets = data["targets"]
        if not isinstance(targets, list) or not targets or any(t not in DIRECTIONS for t in targets):
            raise ConfigError(f"{where}: targets must be a list of {{internal, external}}, but got {targets!r}")
        values["targets"] = tuple(dict.fromkeys(targets))
    if "kind" in data and data["kind"] not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {{{', '.join(KINDS)}}}, but got {data['kind']!r}")
    if "sides" in data and data["sides"] not in SIDE_MODES:
        raise ConfigError(f"{where}: sides must be one of {{{', '.join(SIDE_MODES)}}}, but got {data['sides']!r}")
    values.update({k: data[k] for k in ("kind", "sides") if k in data})
    if "camera_followed" in data:
        if not isinstance(data["camera_followed"], bool):
            raise ConfigError(f"{where}: camera_followed must be true or false, but got {data['camera_followed']!r}")
        values["camera_followed"] = data["camera_followed"]
    if "steps" in data:
        values["steps"] = _texts(where, "steps", data["steps"])
    if "cautions" in data:
        values["cautions"] = _texts(where, "cautions", data["cautions"], allow_empty=True)
    if "dose" in data:
        values["dose"] = _dose(where, data["dose"], base.dose if base else None)
    if base is None:
        return Exercise(id=ex_id, **values)
    return replace(base, **values)


def catalogue_from_mapping(data: dict[str, Any], where: str, base: Catalogue | None = None) -> Catalogue:
    """A ``Catalogue`` from a parsed TOML mapping, changing ``base`` (the package's) when given."""
    allowed = {"exercise", "safety", "remove", "replace"}
    extra = sorted(set(data) - allowed)
    if extra:
        raise ConfigError(f"{where}: unknown setting {extra[0]!r}, expecting one of {{{', '.join(sorted(allowed))}}}")
    replace_all = data.get("replace", False)
    if not isinstance(replace_all, bool):
        raise ConfigError(f"{where}: replace must be true or false, but got {replace_all!r}")
    start = () if base is None or replace_all else base.exercises
    by_id = {ex.id: ex for ex in start}
    remove = data.get("remove", [])
    if not isinstance(remove, list) or any(r not in by_id for r in remove):
        unknown = [r for r in remove if r not in by_id] if isinstance(remove, list) else remove
        raise ConfigError(f"{where}: remove lists an exercise not in the catalogue: {unknown!r}")
    for r in remove:
        del by_id[r]
    tables = data.get("exercise", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{where}: exercises must be [[exercise]] tables")
    seen: set[str] = set()
    for table in tables:
        ex = exercise_from_mapping(table, where, by_id.get(str(table.get("id"))))
        if ex.id in seen:
            raise ConfigError(f"{where}: exercise {ex.id!r} is listed twice")
        seen.add(ex.id)
        by_id[ex.id] = ex
    if not by_id:
        raise ConfigError(f"{where}: the catalogue has no exercises left")
    if "safety" in data:
        safety = _texts(where, "safety", data["safety"])
    elif base is not None:
        safety = base.safety
    else:
        raise ConfigError(f"{where}: safety notes are missing")
    return Catalogue(exercises=tuple(by_id.values()), safety=safety, source=where)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: exercise catalogue not found; check --exercises or {EXERCISES_ENV}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML exercise catalogue ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the exercise catalogue ({exc.strerror})") from None


@functools.lru_cache(maxsize=1)
def package_catalogue() -> Catalogue:
    """The catalogue shipped with hiprom (``hiprom/assessment/exercises.toml``)."""
    text = resources.files("hiprom.assessment").joinpath("exercises.toml").read_text(encoding="utf-8")
    return catalogue_from_mapping(tomllib.loads(text), "hiprom")


@functools.lru_cache(maxsize=8)
def _clinic_catalogue(path: str, mtime_ns: int) -> Catalogue:
    return catalogue_from_mapping(_read_toml(Path(path)), path, package_catalogue())


def load_catalogue(path: str | os.PathLike[str] | None = None) -> Catalogue:
    """The package's catalogue, changed by a clinic's TOML file.

    Args:
        path: the clinic's file; when ``None``, the file named by
            ``HIPROM_EXERCISES`` if set, else the package's catalogue alone.

    Raises:
        ConfigError: the file is missing, is not TOML, or holds a bad value.
    """
    p = clinic_file(path, EXERCISES_ENV, "exercise catalogue", "--exercises")
    if p is None:
        return package_catalogue()
    return _clinic_catalogue(str(p), p.stat().st_mtime_ns)


def catalogue_or_none() -> Catalogue | None:
    """:func:`load_catalogue`, or ``None`` when a clinic's file cannot be read: for what only names exercises
    (a subject's visits), which then names a clinic's own by the names their kept programs carry, or by id,
    rather than fail."""
    try:
        return load_catalogue()
    except ConfigError:
        return None
