"""Assessment: trials and held peaks, per-side figures, asymmetry, norms, the result dict.

Pure numpy, like the kernel below it: no OpenCV, MediaPipe or FastAPI.

- :func:`assess` turns :class:`~hiprom.kinematics.Kinematics` into the
  ``hiprom.analysis/1`` dict (``docs/formats.md``).
- :func:`load_norms` gives the norm values, a clinic's TOML file overriding the defaults.
- :func:`find_trials` finds the trials and held peaks of one side's angle series.
- :func:`load_catalogue` gives the exercise catalogue (a clinic's TOML file changing
  the package's); :func:`recommend` suggests exercises from a result; the home
  program (:mod:`~hiprom.assessment.program`) is what a clinician keeps of them.
- :func:`find_reps` / :class:`RepCounter` count and time the repetitions of a
  camera-followed exercise; :func:`compare` and :func:`trend` judge a re-test.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hiprom.assessment.exercises import EXERCISES_ENV, Catalogue, Dose, Exercise, load_catalogue
from hiprom.assessment.export import result_json, series_csv, series_csv_file
from hiprom.assessment.norms import NORMS_ENV, Norms, TrialSettings, load_norms
from hiprom.assessment.program import (
    PROGRAM_SCHEMA,
    check_program,
    current_program,
    edit_program,
    program_from_recommendations,
)
from hiprom.assessment.recommend import findings, recommend
from hiprom.assessment.retest import RETEST_SCHEMA, compare, trend
from hiprom.assessment.summary import asymmetry_verdicts
from hiprom.assessment.trials import FlagRules, Trial, find_trials
from hiprom.assessment.verdict import verdict

if TYPE_CHECKING:
    from hiprom.assessment.reps import Rep, RepCounter, RepSettings, exercise_result, find_reps
    from hiprom.assessment.result import SCHEMA, assess, not_measurable

_LAZY: dict[str, str] = {
    **dict.fromkeys(("Rep", "RepCounter", "RepSettings", "exercise_result", "find_reps"), "reps"),
    **dict.fromkeys(("SCHEMA", "assess", "not_measurable"), "result"),
}
"""Names imported from their submodule on first use (PEP 562): these two need the
kernel (and SciPy) underneath, which a caller after only the norms, the catalogue
or the wording (``hiprom analyze`` before it starts tracking) should not pay for."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])

__all__ = [
    "EXERCISES_ENV",
    "NORMS_ENV",
    "PROGRAM_SCHEMA",
    "RETEST_SCHEMA",
    "SCHEMA",
    "Catalogue",
    "Dose",
    "Exercise",
    "FlagRules",
    "Norms",
    "Rep",
    "RepCounter",
    "RepSettings",
    "Trial",
    "TrialSettings",
    "assess",
    "asymmetry_verdicts",
    "check_program",
    "compare",
    "current_program",
    "edit_program",
    "exercise_result",
    "find_reps",
    "find_trials",
    "findings",
    "load_catalogue",
    "load_norms",
    "not_measurable",
    "program_from_recommendations",
    "recommend",
    "result_json",
    "series_csv",
    "series_csv_file",
    "trend",
    "verdict",
]
