"""``hiprom models``: what a user sees when listing and fetching models."""

from __future__ import annotations

import pytest

from hiprom.cli.main import main


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("HIPROM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HIPROM_OFFLINE", raising=False)
    return monkeypatch


@pytest.mark.model
def test_list_shows_each_variant_and_where_it_is(env, model_path, tmp_path, capsys):
    env.setenv("HIPROM_MODEL_DIR", str(model_path.parent))
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.split()[0] in ("lite", "full", "heavy")}
    assert set(lines) == {"lite", "full", "heavy"}
    assert str(model_path) in lines["full"] and "own copy, used as given" in lines["full"] and "(default)" in lines["full"]
    assert "not found" in lines["lite"] and "30.7 MB" in lines["heavy"]
    assert str(tmp_path / "cache" / "models") in out  # where downloads would go


def test_list_when_nothing_is_there(env, tmp_path, capsys):
    env.setenv("HIPROM_MODEL_DIR", str(tmp_path / "none"))
    env.setenv("HIPROM_OFFLINE", "1")
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert out.count("not found") == 3 and "downloads: off (HIPROM_OFFLINE is set)" in out


@pytest.mark.model
def test_fetch_of_a_model_already_found_does_nothing(env, model_path, capsys):
    env.setenv("HIPROM_MODEL_DIR", str(model_path.parent))
    assert main(["models", "fetch", "full"]) == 0
    assert f"already found at {model_path}" in capsys.readouterr().out


def test_fetch_offline_and_unknown_variant_fail_in_one_line(env, tmp_path, capsys):
    env.setenv("HIPROM_MODEL_DIR", str(tmp_path / "none"))
    env.setenv("HIPROM_OFFLINE", "1")
    assert main(["models", "fetch", "lite"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "HIPROM_OFFLINE is set" in err[0]
    assert main(["models", "fetch", "medium"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["hiprom: error: unknown model 'medium', expecting one of lite, full, heavy or a path to a .task file"]
    assert list((tmp_path / "cache").glob("**/*")) == []
