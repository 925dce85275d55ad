"""Model lookup: the manifest's pinned facts, the lookup order, and the one clear failure."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from hiprom.errors import ModelError
from hiprom.pose import load_manifest, resolve_model
from hiprom.pose.models import checkout_models_dir, download_dir, user_cache_dir

from .conftest import make_bundle

REPO = Path(__file__).resolve().parents[2]
OFFICIAL = {
    "lite": (5_777_746, "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a"),
    "full": (9_398_198, "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1"),
    "heavy": (30_664_242, "64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b"),
}


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_manifest_pins_the_official_version_1_files(name):
    variant = load_manifest().get(name)
    assert variant.file == f"pose_landmarker_{name}.task"
    assert variant.url == (
        "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
        f"pose_landmarker_{name}/float16/1/pose_landmarker_{name}.task"
    )
    assert (variant.size, variant.sha256) == OFFICIAL[name]


def test_default_is_full_and_names_are_forgiving():
    manifest = load_manifest()
    assert manifest.default_variant.name == "full"
    assert manifest.get("pose_landmarker_heavy").name == "heavy"
    assert manifest.get("pose_landmarker_lite.task").name == "lite"
    with pytest.raises(ModelError, match=r"unknown model 'medium', expecting one of lite, full, heavy"):
        manifest.get("medium")


def _place(folder: Path, name: str = "pose_landmarker_full.task", seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(make_bundle(seed))
    return path


def test_explicit_path_wins_over_every_folder(model_env, tmp_path):
    _place(model_env.model_dir)
    _place(model_env.cache_dir)
    mine = _place(tmp_path / "mine", "my_model.task")
    assert resolve_model(mine) == mine
    assert resolve_model(str(mine)) == mine


def test_model_dir_comes_before_the_download_folder(model_env):
    first = _place(model_env.model_dir)
    _place(model_env.cache_dir)
    assert resolve_model("full") == first
    assert resolve_model(None) == first


def test_download_folder_is_used_when_model_dir_lacks_the_file(model_env):
    cached = _place(model_env.cache_dir)
    assert resolve_model("full") == cached


def test_model_dir_naming_the_file_itself_says_to_name_its_folder(model_env, monkeypatch):
    """It said '$HIPROM_MODEL_DIR …/pose_landmarker_full.task/pose_landmarker_full.task (no such folder)'."""
    model = _place(model_env.model_dir)
    monkeypatch.setenv("HIPROM_MODEL_DIR", str(model))
    monkeypatch.setenv("HIPROM_OFFLINE", "1")
    with pytest.raises(ModelError) as err:
        resolve_model(None)
    assert f"$HIPROM_MODEL_DIR {model} (a file, not a folder: name the folder {model_env.model_dir})" in str(err.value)


def test_checkout_models_folder_is_the_download_folder_of_a_source_tree(monkeypatch):
    monkeypatch.delenv("HIPROM_CACHE_DIR", raising=False)
    assert checkout_models_dir() == REPO / "models"
    assert download_dir().path == REPO / "models"
    assert "checkout" in download_dir().label


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG layout is the Linux convention")
def test_user_cache_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache_dir() == tmp_path / "hiprom" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert user_cache_dir() == Path.home() / ".cache" / "hiprom" / "models"


def test_shared_model_with_its_own_checksum_is_accepted(model_path, monkeypatch):
    official = load_manifest().get("full").sha256
    assert hashlib.sha256(model_path.read_bytes()).hexdigest() != official  # rebuilt, not the download
    assert resolve_model(model_path) == model_path
    monkeypatch.setenv("HIPROM_MODEL_DIR", str(model_path.parent))
    assert resolve_model("full") == model_path


def test_missing_explicit_path_is_an_error_not_a_search(model_env, tmp_path):
    _place(model_env.model_dir)
    with pytest.raises(ModelError, match=r"model file .*nowhere\.task not found; check the path"):
        resolve_model(tmp_path / "nowhere.task")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"this is text, not a model", "not a MediaPipe model bundle"),
        (make_bundle()[:3000], "not a MediaPipe model bundle"),  # truncated zip
    ],
    ids=["text", "truncated-zip"],
)
def test_broken_file_in_model_dir_is_named(model_env, content, says):
    bad = model_env.model_dir / "pose_landmarker_full.task"
    bad.write_bytes(content)
    with pytest.raises(ModelError) as err:
        resolve_model("full")
    assert str(bad) in str(err.value) and says in str(err.value)


def test_zip_without_networks_is_refused(model_env, tmp_path):
    import zipfile

    odd = tmp_path / "odd.task"
    with zipfile.ZipFile(odd, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ModelError, match="holds no .tflite network"):
        resolve_model(odd)


def test_nothing_reachable_gives_one_message_with_what_was_tried_and_how_to_fix(model_env, monkeypatch):
    monkeypatch.setenv("HIPROM_OFFLINE", "1")
    # A leftover partial download is never taken for the model.
    model_env.cache_dir.mkdir(parents=True)
    (model_env.cache_dir / ".pose_landmarker_full.task.abc123.part").write_bytes(make_bundle())
    with pytest.raises(ModelError) as err:
        resolve_model("full")
    message = str(err.value)
    assert message.startswith("pose model pose_landmarker_full.task not found")
    assert str(model_env.model_dir / "pose_landmarker_full.task") in message
    assert str(model_env.cache_dir / "pose_landmarker_full.task") in message
    assert "HIPROM_OFFLINE=1 is set" in message
    for how in ("HIPROM_MODEL_DIR", "--model PATH", "network access", "hiprom models fetch full"):
        assert how in message
    assert "\n" not in message


def test_model_here_finds_without_downloading(model_env, tmp_path):
    """For a batch on a Dask cluster: the submitting machine may lack the model (downloads are allowed
    here, yet none is tried)."""
    from hiprom.pose.models import model_here

    assert model_here(None) is None and model_here("lite") is None
    assert not model_env.cache_dir.exists()  # nothing downloaded
    assert model_here(str(tmp_path / "only-on-workers.task")) is None
    with pytest.raises(ModelError, match="unknown model 'fulll'"):
        model_here("fulll")
    placed = _place(model_env.model_dir)
    assert model_here(None) == placed


def test_model_id_tells_files_of_one_name_and_size_apart(tmp_path):
    """What a batch's marker records of the model: two files of the same name and size are different
    models when their bytes differ; a marker of before the hash (name:size) still matches its file."""
    import hashlib

    from hiprom.pose.models import model_id, same_model

    a, b = _place(tmp_path / "a", seed=0), _place(tmp_path / "b", seed=1)
    assert a.stat().st_size == b.stat().st_size
    ida, idb = model_id(a), model_id(b)
    assert ida == f"pose_landmarker_full.task:{a.stat().st_size}:sha256={hashlib.sha256(a.read_bytes()).hexdigest()}"
    assert ida != idb and not same_model(ida, idb)
    assert same_model(f"pose_landmarker_full.task:{a.stat().st_size}", ida)
    assert not same_model(f"pose_landmarker_full.task:{a.stat().st_size + 1}", ida)
    assert not same_model(None, ida) and same_model(None, None)
