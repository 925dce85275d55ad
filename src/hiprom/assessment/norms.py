"""Norms and thresholds: the one small place a clinic can override.

Every number the assessment compares against, or uses to decide what counts
as a trial, lives in :class:`Norms` (and its :class:`TrialSettings`). A clinic
overrides any of them with a TOML file, passed as ``--norms FILE`` or named
by the ``HIPROM_NORMS`` environment variable::

    norm_deg = 45.0                  # per direction; the arc norm is twice this
    asymmetry_threshold_deg = 10.0
    mdc_deg = [6.0, 9.0]

    [bands]
    internal = [30.0, 40.0]
    external = [40.0, 60.0]

    [trials]
    min_hold_s = 0.4
    min_excursion_deg = 8.0

Sources of the defaults are in ``docs/norms.md`` and cited beside each field.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hiprom.errors import ConfigError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser as the ``tomli`` package (pip install tomli)
    import tomli as tomllib  # type: ignore[no-redef]

NORMS_ENV = "HIPROM_NORMS"
"""Environment variable naming a clinic's norms TOML file."""

SOURCES: tuple[str, ...] = (
    "Ellison JB, Rose SJ, Sahrmann SA. Patterns of hip rotation range of motion: a comparison "
    "between healthy subjects and patients with low back pain. Phys Ther. 1990;70(9):537-541 "
    "(left and right commonly equal within 10°)",
    "Gradoz MC, Bauer LE, Grindstaff TL, Bagwell JJ. Reliability of hip rotation range of motion "
    "in supine and seated positions. J Sport Rehabil. 2018;27(4) (MDC of supine and seated IR/ER "
    "goniometry 6.1–8.6°)",
    "AMA Guides to the Evaluation of Permanent Impairment (normal hip IR 30–40°, ER 40–60°)",
    "hiprom reference: 45° for each direction, 90° total arc",
)


@dataclass(frozen=True)
class TrialSettings:
    """What counts as a trial and as a held peak (see ``assessment.trials``).

    Attributes:
        min_hold_s: an extreme must be sustained this long to be a held peak;
            a shorter extreme makes the trial invalid ("hold_too_short").
        min_excursion_deg: a held peak below this is measurement noise, not a
            movement; it lies inside the 6-9 deg MDC of seated goniometry (Gradoz 2018).
        active_deg: the angle leaves "neutral" when it is further than this from rest.
        hold_tolerance_deg: samples within this of the sustained level belong to
            the hold (widened automatically for noisier series).
        merge_gap_s: two excursions in the same direction separated by less
            than this (a dip or an unmeasured stretch) are one trial.
        flag_fraction: a quality flag counts for a trial when it is set on at
            least this fraction of the hold's frames.
        posture_fraction: a side whose measurable frames carry a posture flag
            (knee not bent about 90 deg, thigh not toward the camera) at least
            this often is not in the seated test position and gets no figures;
            on a single trial those flags are only warnings.
        max_rest_offset_deg: the largest rest offset from 0 deg that is
            corrected for when finding trials (peaks are still read from 0 deg).
        min_frames: recordings with fewer frames are not measurable.
    """

    min_hold_s: float = 0.4
    min_excursion_deg: float = 8.0
    active_deg: float = 5.0
    hold_tolerance_deg: float = 3.0
    merge_gap_s: float = 0.3
    flag_fraction: float = 0.25
    posture_fraction: float = 0.5
    max_rest_offset_deg: float = 6.0
    min_frames: int = 10


@dataclass(frozen=True)
class Norms:
    """Reference values the figures are compared with.

    Attributes:
        norm_deg: the product's norm for each direction (45 deg); the total
            arc norm is ``2 * norm_deg``.
        asymmetry_threshold_deg: a left-right difference above this is flagged;
            10 deg after Ellison et al. 1990.
        mdc_deg: (low, high) minimal detectable change of seated goniometry,
            6-9 deg after Gradoz et al. 2018; shown beside differences.
        internal_band_deg, external_band_deg: (low, high) normal ranges from
            the AMA Guides, IR 30-40 deg and ER 40-60 deg.
        sources: citations shown in results and reports.
        trials: trial detection settings.
    """

    norm_deg: float = 45.0
    asymmetry_threshold_deg: float = 10.0
    mdc_deg: tuple[float, float] = (6.0, 9.0)
    internal_band_deg: tuple[float, float] = (30.0, 40.0)
    external_band_deg: tuple[float, float] = (40.0, 60.0)
    sources: tuple[str, ...] = SOURCES
    trials: TrialSettings = field(default_factory=TrialSettings)

    @property
    def arc_band_deg(self) -> tuple[float, float]:
        """Normal band of the total arc, degrees: the sum of the internal and external bands."""
        return (self.internal_band_deg[0] + self.external_band_deg[0],
                self.internal_band_deg[1] + self.external_band_deg[1])

    @property
    def arc_norm_deg(self) -> float:
        """Norm of the total rotation arc (internal + external)."""
        return 2.0 * self.norm_deg

    def to_dict(self) -> dict[str, Any]:
        """The ``norms`` block of an analysis result."""
        return {
            "norm_deg": self.norm_deg,
            "arc_norm_deg": self.arc_norm_deg,
            "asymmetry_threshold_deg": self.asymmetry_threshold_deg,
            "mdc_deg": list(self.mdc_deg),
            "bands": {"internal": list(self.internal_band_deg), "external": list(self.external_band_deg)},
            "sources": list(self.sources),
            "trials": dataclasses.asdict(self.trials),
        }


# Allowed range of every numeric setting: (low, high), inclusive.
_NORM_RANGES: dict[str, tuple[float, float]] = {
    "norm_deg": (1.0, 180.0),
    "asymmetry_threshold_deg": (0.0, 90.0),
}
_TRIAL_RANGES: dict[str, tuple[float, float]] = {
    "min_hold_s": (0.0, 10.0),
    "min_excursion_deg": (0.0, 90.0),
    "active_deg": (0.5, 45.0),
    "hold_tolerance_deg": (0.1, 30.0),
    "merge_gap_s": (0.0, 10.0),
    "flag_fraction": (0.0, 1.0),
    "posture_fraction": (0.0, 1.0),
    "max_rest_offset_deg": (0.0, 30.0),
    "min_frames": (2, 100000),
}


def _number(where: str, key: str, value: Any, bounds: tuple[float, float]) -> float:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}: {key} must be a number, but got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{where}: {key} must be between {low:g} and {high:g}, but got {value!r}")
    return float(value)


def _pair(where: str, key: str, value: Any) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ConfigError(f"{where}: {key} must be a list of two numbers [low, high], but got {value!r}")
    low, high = (_number(where, key, v, (0.0, 180.0)) for v in value)
    if low > high:
        raise ConfigError(f"{where}: {key} must be [low, high] with low <= high, but got {value!r}")
    return (low, high)


def _unknown(where: str, table: str, keys: set[str], allowed: set[str]) -> None:
    extra = sorted(keys - allowed)
    if extra:
        raise ConfigError(
            f"{where}: unknown setting {table}{extra[0]!r}, expecting one of {{{', '.join(sorted(allowed))}}}"
        )


def norms_from_mapping(data: dict[str, Any], where: str = "norms") -> Norms:
    """Build ``Norms`` from a parsed TOML mapping, defaults for what it omits.

    Raises ``ConfigError`` naming the file, the key, its value and the allowed
    range for any unknown key or out-of-range value.
    """
    top = {"norm_deg", "asymmetry_threshold_deg", "mdc_deg", "bands", "trials", "sources"}
    _unknown(where, "", set(data), top)
    changes: dict[str, Any] = {}
    for key, bounds in _NORM_RANGES.items():
        if key in data:
            changes[key] = _number(where, key, data[key], bounds)
    if "mdc_deg" in data:
        changes["mdc_deg"] = _pair(where, "mdc_deg", data["mdc_deg"])
    if "sources" in data:
        src = data["sources"]
        if not isinstance(src, list) or not all(isinstance(s, str) for s in src):
            raise ConfigError(f"{where}: sources must be a list of strings, but got {src!r}")
        changes["sources"] = tuple(src)
    bands = data.get("bands", {})
    if not isinstance(bands, dict):
        raise ConfigError(f"{where}: [bands] must be a table, but got {bands!r}")
    _unknown(where, "bands.", set(bands), {"internal", "external"})
    if "internal" in bands:
        changes["internal_band_deg"] = _pair(where, "bands.internal", bands["internal"])
    if "external" in bands:
        changes["external_band_deg"] = _pair(where, "bands.external", bands["external"])
    trials = data.get("trials", {})
    if not isinstance(trials, dict):
        raise ConfigError(f"{where}: [trials] must be a table, but got {trials!r}")
    _unknown(where, "trials.", set(trials), set(_TRIAL_RANGES))
    trial_changes = {k: _number(where, f"trials.{k}", v, _TRIAL_RANGES[k]) for k, v in trials.items()}
    if "min_frames" in trial_changes:
        trial_changes["min_frames"] = int(trial_changes["min_frames"])
    changes["trials"] = dataclasses.replace(TrialSettings(), **trial_changes)
    return dataclasses.replace(Norms(), **changes)


def clinic_file(path: str | os.PathLike[str] | None, env: str, what: str, option: str) -> Path | None:
    """The clinic's override file: ``path``, else the file named by ``env``, else None (the package's own).

    Raises:
        ConfigError: the file named does not exist (the message names ``option`` and ``env``).
    """
    if path is None:
        path = os.environ.get(env, "").strip() or None
        if path is None:
            return None
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: {what} not found; check {option} or {env}")
    return p


def load_norms(path: str | Path | None = None) -> Norms:
    """Defaults, overridden by a clinic's TOML file.

    Args:
        path: the TOML file; when ``None``, the file named by ``HIPROM_NORMS``
            is used if that variable is set, else the defaults.

    Raises:
        ConfigError: the file is missing, is not TOML, or holds a bad value.
    """
    p = clinic_file(path, NORMS_ENV, "norms file", "--norms")
    if p is None:
        return Norms()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not a valid TOML norms file ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read norms file ({exc.strerror})") from None
    return norms_from_mapping(data, where=str(p))
