"""Norms: defaults with their sources, clinic TOML overrides, one-line config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hiprom.assessment import NORMS_ENV, Norms, load_norms
from hiprom.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "norms.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_the_cited_sources(monkeypatch):
    monkeypatch.delenv(NORMS_ENV, raising=False)
    norms = load_norms()
    assert norms == Norms()
    assert (norms.norm_deg, norms.arc_norm_deg, norms.asymmetry_threshold_deg) == (45.0, 90.0, 10.0)
    assert norms.mdc_deg == (6.0, 9.0)
    assert norms.internal_band_deg == (30.0, 40.0) and norms.external_band_deg == (40.0, 60.0)
    text = " ".join(norms.sources)
    assert "Ellison" in text and "Gradoz" in text and "AMA" in text
    block = norms.to_dict()
    assert block["bands"] == {"internal": [30.0, 40.0], "external": [40.0, 60.0]}
    assert block["trials"]["min_hold_s"] == norms.trials.min_hold_s


@pytest.mark.parametrize(
    "text, attr, value",
    [
        ("norm_deg = 40", "norm_deg", 40.0),
        ("asymmetry_threshold_deg = 8.5", "asymmetry_threshold_deg", 8.5),
        ("mdc_deg = [5, 7]", "mdc_deg", (5.0, 7.0)),
        ("[bands]\ninternal = [25, 45]", "internal_band_deg", (25.0, 45.0)),
        ("[trials]\nmin_hold_s = 1.0", "trials.min_hold_s", 1.0),
        ("[trials]\nmin_frames = 20", "trials.min_frames", 20),
    ],
)
def test_toml_overrides_one_value(tmp_path, text, attr, value):
    norms = load_norms(write(tmp_path, text))
    obj = norms
    for part in attr.split("."):
        obj = getattr(obj, part)
    assert obj == value
    # everything else keeps its default
    assert norms.external_band_deg == Norms().external_band_deg


def test_env_variable_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(NORMS_ENV, str(write(tmp_path, "asymmetry_threshold_deg = 12")))
    assert load_norms().asymmetry_threshold_deg == 12.0


@pytest.mark.parametrize(
    "text, message",
    [
        ("norm_deg = 'wide'", "norm_deg must be a number"),
        ("norm_deg = -3", "norm_deg must be between 1 and 180"),
        ("asymmetry_threshold_deg = true", "must be a number"),
        ("threshold = 10", "unknown setting 'threshold'"),
        ("[bands]\ninternal = [40, 30]", "low <= high"),
        ("[bands]\nhip = [1, 2]", "unknown setting bands.'hip'"),
        ("[trials]\nmin_hold_s = 99", "trials.min_hold_s must be between 0 and 10"),
        ("mdc_deg = 6", "list of two numbers"),
        ("norm_deg = = 4", "not a valid TOML norms file"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_norms(write(tmp_path, text))
    assert "\n" not in str(info.value)
    assert "norms.toml" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="norms file not found"):
        load_norms(tmp_path / "nope.toml")
