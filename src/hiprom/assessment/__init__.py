"""Assessment: trials and held peaks, per-side figures, asymmetry, norms, the result dict.

Pure numpy, like the kernel below it: no OpenCV, MediaPipe or FastAPI.

- :func:`assess` turns :class:`~hiprom.kinematics.Kinematics` into the
  ``hiprom.analysis/1`` dict (``docs/formats.md``).
- :func:`load_norms` gives the norm values, a clinic's TOML file overriding the defaults.
- :func:`find_trials` finds the trials and held peaks of one side's angle series.
"""

from hiprom.assessment.export import result_json, series_csv
from hiprom.assessment.norms import NORMS_ENV, Norms, TrialSettings, load_norms
from hiprom.assessment.result import SCHEMA, assess, not_measurable
from hiprom.assessment.trials import FlagRules, Trial, find_trials
from hiprom.assessment.verdict import verdict

__all__ = [
    "NORMS_ENV",
    "SCHEMA",
    "FlagRules",
    "Norms",
    "Trial",
    "TrialSettings",
    "assess",
    "find_trials",
    "load_norms",
    "not_measurable",
    "result_json",
    "series_csv",
    "verdict",
]
