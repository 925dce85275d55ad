"""The ``hiprom.analysis/1`` format as one pydantic schema, derived from what :func:`assess` produces.

``docs/formats.md`` is its written form. Every save (``POST /api/sessions``,
``hiprom sessions add``, ``hiprom analyze --save``) and every report checks an
analysis with :func:`validate_analysis`, so a malformed analysis is refused
with the field named instead of being stored and then breaking its report.

Rules:

- Known fields are typed strictly: ``"x"`` is not a number, ``5`` is not a
  list, ``1`` is not ``true`` (an integer is accepted where a float is).
- Unknown keys are kept, at the top level and inside the blocks, so fields
  added later pass through untouched; only the known ones are checked.
- Figures may be ``null`` (not measurable) and, for analyses written by
  older versions, most fields may be absent; ``schema``, ``sides`` (both),
  ``asymmetry`` and ``trials`` are required.
- Bounded: at most :data:`MAX_TRIALS` trials (a seated test has a few dozen),
  whole numbers in sensible ranges (``frames`` at most :data:`MAX_FRAMES`,
  trial counts at most :data:`MAX_TRIALS`; a database integer is 64-bit, a
  JSON one unbounded), angles within ±:data:`MAX_DEG` (a 76-digit angle
  reached a PDF), no NaN or infinity (not JSON), JSON nested at most
  ``MAX_JSON_DEPTH`` deep, text valid Unicode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hiprom.errors import InputError
from hiprom.parsing import check_json_tree, check_text_ok

SCHEMA = "hiprom.analysis/1"
MAX_TRIALS = 1000
"""Most trials one analysis may hold: far above any real session, low enough to bound a report's work."""
MAX_FRAMES = 10_000_000
"""Most frames one analysis may hold: 92 hours at 30 fps, 11 hours at 240 fps (a seated test is minutes)."""
SHA256_PATTERN = "^[0-9a-f]{64}$"
"""A recording's fingerprint (``recording_sha256``): a SHA-256 in 64 lower-case hex digits."""

MAX_DEG = 360.0
"""Largest magnitude of any angle, uncertainty or difference (a total arc is at most a full turn)."""

Side = Literal["left", "right"]
Measure = Literal["internal_rotation", "external_rotation", "total_arc"]
Verdict = Literal["within", "exceeds", "inconclusive"]
"""Left/right verdict: the 95 % interval of the difference is under, over, or straddles the threshold."""
Band = Literal["below", "within", "above", "inconclusive"]
"""Where a figure falls against its normal band, given its uncertainty."""


Degrees = Annotated[float, Field(ge=-MAX_DEG, le=MAX_DEG)]
"""An angle, uncertainty or left/right difference in degrees."""


class _Block(BaseModel):
    """A JSON object of the format: known fields strictly typed, unknown keys kept."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)


class SideFigures(_Block):
    """``sides.left`` / ``sides.right``: best IR and ER, total arc (degrees, % of norm)."""

    internal_rotation_deg: Degrees | None = None
    internal_rotation_unc_deg: Degrees | None = None
    internal_rotation_pct_norm: float | None = None
    internal_rotation_reason: str | None = None
    internal_rotation_confirmed: bool | None = None
    internal_trials: int | None = Field(None, ge=0, le=MAX_TRIALS)
    internal_invalid_trials: int | None = Field(None, ge=0, le=MAX_TRIALS)
    internal_spread_deg: Degrees | None = None
    internal_peak_t_s: float | None = None
    external_rotation_deg: Degrees | None = None
    external_rotation_unc_deg: Degrees | None = None
    external_rotation_pct_norm: float | None = None
    external_rotation_reason: str | None = None
    external_rotation_confirmed: bool | None = None
    external_trials: int | None = Field(None, ge=0, le=MAX_TRIALS)
    external_invalid_trials: int | None = Field(None, ge=0, le=MAX_TRIALS)
    external_spread_deg: Degrees | None = None
    external_peak_t_s: float | None = None
    total_arc_deg: Degrees | None = None
    total_arc_unc_deg: Degrees | None = None
    total_arc_pct_norm: float | None = None
    total_arc_reason: str | None = None
    internal_rotation_band: Band | None = None
    external_rotation_band: Band | None = None
    total_arc_band: Band | None = None
    not_measurable: str | None = None


class Sides(_Block):
    """Both sides, in ``SIDES`` order."""

    left: SideFigures
    right: SideFigures


class Asymmetry(_Block):
    """Left minus right per measure, flagged above ``threshold_deg``."""

    internal_rotation_deg: Degrees | None = None
    external_rotation_deg: Degrees | None = None
    total_arc_deg: Degrees | None = None
    internal_rotation_pct: float | None = None
    external_rotation_pct: float | None = None
    total_arc_pct: float | None = None
    internal_rotation_unc_deg: Degrees | None = None
    external_rotation_unc_deg: Degrees | None = None
    total_arc_unc_deg: Degrees | None = None
    threshold_deg: Degrees | None = None
    flagged: bool | None = None
    flagged_measures: list[Measure] | None = None
    verdicts: dict[Measure, Verdict | None] | None = None


class Camera(_Block):
    """Where the camera stood, estimated from the resting pose (null when unknown).

    ``yaw_deg``: + = moved toward the subject's right side, seen from the knees
    (where the camera stands, not where it points); ``height_m``: above
    the floor; ``distance_m``: horizontal, from the knees."""

    yaw_deg: Degrees | None = None
    height_m: float | None = None
    distance_m: float | None = None


class Recommendation(_Block):
    """One suggested exercise (``docs/exercises.md``) and why."""

    exercise: str
    side: Literal["left", "right", "both"]
    direction: Literal["internal", "external"]
    reason: str


class TrialEntry(_Block):
    """One trial found, valid or not (seconds from the recording's start)."""

    side: Side
    direction: Literal["internal", "external"]
    peak_deg: Degrees | None = None
    peak_unc_deg: Degrees | None = None
    peak_t_s: float | None = None
    start_s: float | None = None
    end_s: float | None = None
    hold_s: float | None = None
    hold_start_s: float | None = None
    hold_end_s: float | None = None
    valid: bool = False
    flags: list[str] = []
    reasons: list[str] = []
    method: str | None = None


class NormsBlock(_Block):
    """What the figures were compared against (``docs/norms.md``)."""

    norm_deg: float | None = Field(None, gt=0)
    arc_norm_deg: float | None = Field(None, gt=0)
    asymmetry_threshold_deg: float | None = Field(None, ge=0)
    mdc_deg: list[float] | None = Field(None, min_length=2, max_length=2)
    bands: dict[str, list[float]] | None = None
    sources: list[str] | None = None
    trials: dict[str, float] | None = None


class Quality(_Block):
    """How much of the recording was measurable, rest offsets, notes."""

    measurable_fraction: dict[str, float | None] | None = None
    rest_offset_deg: dict[str, float | None] | None = None
    notes: list[str] | None = None


class Series(_Block):
    """Per-frame lists, all as long as ``t_s`` (signed degrees: + internal, - external)."""

    t_s: list[float | None] | None = None
    left_deg: list[float | None] | None = None
    right_deg: list[float | None] | None = None
    left_raw_deg: list[float | None] | None = None
    right_raw_deg: list[float | None] | None = None
    left_unc_deg: list[float | None] | None = None
    right_unc_deg: list[float | None] | None = None
    left_flags: list[list[str]] | None = None
    right_flags: list[list[str]] | None = None

    @model_validator(mode="after")
    def _same_length(self) -> Series:
        if self.t_s is None:
            return self
        for name in type(self).model_fields:
            column = getattr(self, name)
            if column is not None and len(column) != len(self.t_s):
                raise ValueError(f"{name} has {len(column)} frames but t_s has {len(self.t_s)}")
        return self


class Analysis(_Block):
    """A ``hiprom.analysis/1`` result (field meanings: ``docs/formats.md``)."""

    schema_: Literal["hiprom.analysis/1"] = Field(alias="schema")
    hiprom_version: str | None = None
    created_utc: str | None = None
    source: str | None = None
    tracked_from: str | None = None
    recording_sha256: str | None = Field(None, pattern=SHA256_PATTERN)
    frames: int | None = Field(None, ge=0, le=MAX_FRAMES)
    fps: float | None = Field(None, gt=0)
    duration_s: float | None = Field(None, ge=0)
    mirrored: bool | None = None
    model: str | None = None
    model_sha256: str | None = Field(None, pattern=SHA256_PATTERN)
    software: dict[str, str | None] | None = None
    tracking: Literal["one pass", "two halves"] | None = None
    norm_deg: float | None = Field(None, gt=0)
    norms: NormsBlock | None = None
    measurable: bool | None = None
    not_measurable_reason: str | None = None
    sides: Sides
    asymmetry: Asymmetry
    camera: Camera | None = None
    trials: list[TrialEntry]
    recommendations: list[Recommendation] | None = None
    quality: Quality | None = None
    series: Series | None = None
    verdict: str | None = None

    @field_validator("created_utc")
    @classmethod
    def _utc_time(cls, value: str | None) -> str | None:
        if value is not None and parse_iso_utc(value) is None:
            raise ValueError("must be an ISO 8601 time such as 2026-11-21T21:00:00Z")
        return value

    @field_validator("trials", mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) > MAX_TRIALS:
            raise ValueError(f"{len(value)} trials, at most {MAX_TRIALS} are accepted (a seated test has a few dozen)")
        return value


def parse_iso_utc(value: str) -> datetime | None:
    """A naive UTC datetime from an ISO 8601 string (``...Z`` or with offset); ``None`` if not one.

    Offsets that push the time outside years 1-9999 (``9999-12-31T23:59:59-23:59``) give ``None``.
    """
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if dt.tzinfo is not None:
            dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None
    return dt


# Pydantic's wording for JSON types, in JSON's words.
_PLAIN = {
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "list_type": "must be a list",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a number (NaN and infinity are not JSON numbers; write null for none)",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_parsing_size": "must be a whole number of at most 4300 digits",
    "string_type": "must be text",
    "string_unicode": "must be valid Unicode text (it holds a lone surrogate)",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "date_type": "must be a date as YYYY-MM-DD",
    "date_parsing": "must be a real date as YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a real date as YYYY-MM-DD",
    "date_from_datetime_inexact": "must be a date as YYYY-MM-DD, without a time",
    "string_pattern_mismatch": "is not in the form this field takes (its pattern is in /openapi.json)",
    "missing": "is required",
}


_BOUNDS = {"greater_than": ("gt", "more than"), "greater_than_equal": ("ge", "at least"),
           "less_than": ("lt", "less than"), "less_than_equal": ("le", "at most")}
"""Pydantic's range errors: the bound's key in the error's context, and its words."""

_LENGTHS = {"string_too_long": ("at most", "max_length", "characters"),
            "string_too_short": ("at least", "min_length", "characters"),
            "too_long": ("at most", "max_length", "items"), "too_short": ("at least", "min_length", "items")}
"""Pydantic's length errors: their words, the bound's key in the error's context, and what is counted."""


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, list, dict)) else None


def plain_error(err: Mapping[str, Any]) -> str:
    """One pydantic error in JSON's words, with what was given: ``must be a number (got 'x')``.

    The one wording of schema errors for the CLI and the API. Lengths read
    as the pseudonym rule does (``at most 64 characters, but got 65``); a
    choice lists its values (``must be one of 'left' or 'right'``); a field
    the model forbids says to leave it out. Any other error keeps pydantic's
    sentence with "Input should be" said as "must be".
    """
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "string_unicode" and isinstance(err.get("input"), bytes):  # a raw body (a CSV file)
        return "is not UTF-8 text; save the file as UTF-8 (a spreadsheet's \"CSV UTF-8\") and send it again"
    if kind == "extra_forbidden":
        return "is not a field of this request; leave it out (the fields are listed in /openapi.json)"
    length = _LENGTHS.get(kind)
    if length is not None and length[1] in ctx:
        words, key, unit = length
        given = ctx.get("actual_length", _length(err.get("input")))
        return f"{words} {ctx[key]} {unit}" + (f", but got {given}" if given is not None else "")
    got = "" if kind == "missing" or "input" not in err else f" (got {_short(err['input'])})"
    bound = _BOUNDS.get(kind)
    if bound is not None and bound[0] in ctx:
        limit = ctx[bound[0]]
        return f"must be {bound[1]} {f'{limit:g}' if isinstance(limit, float) else limit}{got}"
    if kind in ("literal_error", "enum") and "expected" in ctx:
        return f"must be {ctx['expected']}{got}"
    if kind in _PLAIN:
        return _PLAIN[kind] + got
    return str(err["msg"]).removeprefix("Value error, ").replace("Input should be", "must be", 1) + got


def _describe(exc: ValidationError, limit: int = 3) -> str:
    """The first errors as ``field.path: message (got 'x')``, joined with ``; ``."""
    parts = []
    for err in exc.errors(include_url=False)[:limit]:
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        parts.append(f"{path}: {plain_error(err)}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _short(value: Any) -> str:
    if isinstance(value, str) and not check_text_ok(value):
        return "text that is not valid Unicode"
    if isinstance(value, (dict, list)):
        return f"a {'list' if isinstance(value, list) else 'JSON object'}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def validate_analysis(analysis: Any, where: str = "analysis",
                      prepare: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Return ``analysis`` (a shallow copy) when it follows ``hiprom.analysis/1``, else raise ``InputError``.

    The message names the field (``analysis: sides.left.total_arc_deg: must
    be a number (got 'x')``). ``prepare`` (e.g. NumPy values to plain JSON)
    runs after the bounds are checked and before the types are.
    """
    if not isinstance(analysis, Mapping):
        raise InputError(f"{where}: expecting a JSON object (an analysis result), but got {type(analysis).__name__}")
    schema = analysis.get("schema")
    newer = re.fullmatch(r"hiprom\.analysis/(\d+)", schema) if isinstance(schema, str) else None
    if newer and int(newer.group(1)) > int(SCHEMA.rsplit("/", 1)[1]):  # a patient's newer hiprom at home, say
        raise InputError(f"{where}: schema is {_short(schema)}, from a newer hiprom than this one (expecting "
                         f"{SCHEMA!r}); upgrade hiprom to read it")
    if schema != SCHEMA:
        raise InputError(f"{where}: schema is {_short(schema)}, expecting {SCHEMA!r}; "
                         "give the JSON written by 'hiprom analyze --json'")
    trials = analysis.get("trials")
    if isinstance(trials, list) and len(trials) > MAX_TRIALS:  # before walking a huge tree
        raise InputError(f"{where}: trials: {len(trials)} trials, at most {MAX_TRIALS} are accepted "
                         "(a seated test has a few dozen)")
    check_json_tree(analysis, where)
    if prepare is not None:
        analysis = prepare(analysis)
    try:
        Analysis.model_validate(dict(analysis))
    except ValidationError as exc:
        raise InputError(f"{where}: {_describe(exc)}") from None
    return dict(analysis)


__all__ = ["MAX_FRAMES", "MAX_TRIALS", "SCHEMA", "Analysis", "parse_iso_utc", "plain_error", "validate_analysis"]
