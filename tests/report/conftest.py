"""Fixtures of the report tests: analyses (see tests/store/conftest.py) and a store."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from hiprom.store import Store

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "demo_seated_test.landmarks.npz"
FIXTURE = REPO / "tests" / "store" / "data" / "analysis.json"


@pytest.fixture(scope="session")
def _real_analysis() -> dict:
    from hiprom.pipeline import analyze_path

    _, result = analyze_path(SAMPLE)
    return result


@pytest.fixture
def analysis(_real_analysis: dict) -> dict:
    """The analysis of samples/demo_seated_test.landmarks.npz (a fresh copy)."""
    return copy.deepcopy(_real_analysis)


@pytest.fixture
def fixture_analysis() -> dict:
    """A hand-made analysis that follows docs/formats.md exactly."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def store(tmp_path: Path):
    """An empty SQLite store in the test's folder."""
    with Store(tmp_path / "hiprom.db") as s:
        yield s
