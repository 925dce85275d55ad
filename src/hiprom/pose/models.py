"""Pose model bundles: the manifest, where hiprom looks for them, ``resolve_model``.

Lookup order (also in ``docs/models.md``) for a variant name such as ``full``:

1. an explicit path given by the user (``--model PATH``), used as given;
2. the folder named by ``$HIPROM_MODEL_DIR``;
3. the download folder: ``$HIPROM_CACHE_DIR/models`` if set, else the
   ``models/`` folder of a source checkout, else the user's cache folder
   (``$XDG_CACHE_HOME/hiprom/models`` or ``~/.cache/hiprom/models``);
4. a download into that folder (unless ``HIPROM_OFFLINE=1``), checked
   against the manifest's size and SHA-256 before it is renamed into place.

A file found in 1-3 is the user's choice and is accepted once it proves to
be a readable model bundle (a zip of ``.tflite`` files); only downloads must
match the pinned checksum.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hiprom.errors import ModelError

MANIFEST_FORMAT = "hiprom.models/1"
ENV_MODEL_DIR = "HIPROM_MODEL_DIR"
ENV_CACHE_DIR = "HIPROM_CACHE_DIR"
ENV_OFFLINE = "HIPROM_OFFLINE"
MODEL_SUFFIX = ".task"


@dataclass(frozen=True)
class ModelVariant:
    """One official model bundle of the manifest.

    Attributes:
        name (str): short variant name (``lite``, ``full``, ``heavy``).
        file (str): file name (``pose_landmarker_full.task``).
        url (str): pinned download address.
        size (int): exact size in bytes of the official file.
        sha256 (str): SHA-256 of the official file, lowercase hex.
    """

    name: str
    file: str
    url: str
    size: int
    sha256: str

    @property
    def model_name(self) -> str:
        """The name recordings carry (``pose_landmarker_full``)."""
        return self.file.removesuffix(MODEL_SUFFIX)


@dataclass(frozen=True)
class Manifest:
    """The model variants hiprom knows, and which one is used by default."""

    variants: Mapping[str, ModelVariant]
    default: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.variants)

    def find(self, name: str) -> ModelVariant | None:
        """The variant called ``name`` (``full``, ``pose_landmarker_full`` or its file name)."""
        key = name.strip().lower()
        for variant in self.variants.values():
            if key in (variant.name, variant.model_name, variant.file):
                return variant
        return None

    def get(self, name: str) -> ModelVariant:
        """Like ``find`` but raises ``ModelError`` listing the valid names."""
        variant = self.find(name)
        if variant is None:
            raise ModelError(
                f"unknown model {name!r}, expecting one of {', '.join(self.names)} or a path to a {MODEL_SUFFIX} file"
            )
        return variant

    @property
    def default_variant(self) -> ModelVariant:
        return self.variants[self.default]


def load_manifest(path: Path | None = None) -> Manifest:
    """Read the manifest (the packaged ``hiprom/pose/manifest.json`` by default)."""
    text = path.read_text() if path is not None else resources.files("hiprom.pose").joinpath("manifest.json").read_text()
    data = json.loads(text)
    if data.get("format") != MANIFEST_FORMAT:
        raise ModelError(f"model manifest has format {data.get('format')!r}, expecting {MANIFEST_FORMAT!r}")
    variants = {
        name: ModelVariant(name=name, file=v["file"], url=v["url"], size=int(v["size"]), sha256=v["sha256"].lower())
        for name, v in data["variants"].items()
    }
    return Manifest(variants=variants, default=data["default"])


@dataclass(frozen=True)
class ModelDir:
    """A folder hiprom looks in, and how to name it in messages."""

    label: str
    path: Path


def checkout_models_dir() -> Path | None:
    """``models/`` of the source checkout this package runs from, if it does.

    A checkout is recognised by ``src/hiprom/../../models/README.md``; an
    installed package (site-packages) has no such folder.
    """
    repo = Path(__file__).resolve().parents[3]
    folder = repo / "models"
    return folder if (folder / "README.md").is_file() and (repo / "src" / "hiprom").is_dir() else None


def user_cache_dir() -> Path:
    """The per-user cache folder for models, by the platform's convention."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / "hiprom" / "Cache" / "models"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "hiprom" / "models"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".cache"
    return base / "hiprom" / "models"


def download_dir() -> ModelDir:
    """Where downloaded models go (and are looked for after ``$HIPROM_MODEL_DIR``)."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return ModelDir(f"${ENV_CACHE_DIR}/models", Path(override).expanduser() / "models")
    checkout = checkout_models_dir()
    if checkout is not None:
        return ModelDir("the source checkout's models/", checkout)
    return ModelDir("the user cache", user_cache_dir())


def search_dirs() -> list[ModelDir]:
    """The folders searched for a variant, in order."""
    dirs = []
    env = os.environ.get(ENV_MODEL_DIR)
    if env:
        dirs.append(ModelDir(f"${ENV_MODEL_DIR}", Path(env).expanduser()))
    dirs.append(download_dir())
    return dirs


def is_offline() -> bool:
    """True when ``HIPROM_OFFLINE`` forbids downloads (``1``, ``true``, ``yes``, ``on``)."""
    return os.environ.get(ENV_OFFLINE, "").strip().lower() in ("1", "true", "yes", "on")


def model_name(path: Path) -> str:
    """The name a recording carries for a model file (``pose_landmarker_full``)."""
    return path.name.removesuffix(MODEL_SUFFIX)


def check_model_file(path: Path, hint: str = "full") -> Path:
    """Return ``path`` if it is a readable MediaPipe model bundle, else raise ``ModelError``.

    A ``.task`` bundle is a zip of ``.tflite`` networks; the zip's own CRCs
    catch a truncated or damaged copy. Whether MediaPipe accepts the networks
    is known only when ``PoseTracker`` loads it (which also says so clearly).
    """
    if not path.is_file():
        raise ModelError(f"model file {path} not found; check the path, or give a variant name instead (hiprom models lists them)")
    fix = f"replace it (hiprom models fetch {hint}) or pass another file with --model PATH"
    try:
        with zipfile.ZipFile(path) as bundle:
            names = bundle.namelist()
            damaged = bundle.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ModelError(f"{path}: not a MediaPipe model bundle (not a readable .task zip: {exc}); {fix}") from None
    if not any(n.endswith(".tflite") for n in names):
        raise ModelError(f"{path}: not a MediaPipe model bundle (holds no .tflite network); {fix}")
    if damaged is not None:
        raise ModelError(f"{path}: damaged model bundle ({damaged} fails its checksum); {fix}")
    return path


def locate(variant: ModelVariant) -> tuple[Path | None, list[str]]:
    """The first existing file of ``variant`` in ``search_dirs()``, and what was tried."""
    tried = []
    for folder in search_dirs():
        candidate = folder.path / variant.file
        if candidate.is_file():
            return candidate, tried
        if folder.path.is_file():  # e.g. HIPROM_MODEL_DIR set to the .task file itself
            tried.append(f"{folder.label} {folder.path} (a file, not a folder: name the folder {folder.path.parent})")
            continue
        state = "missing" if folder.path.is_dir() else "no such folder"
        tried.append(f"{folder.label} {candidate} ({state})")
    return None, tried


def _named(spec: str | os.PathLike[str] | None, manifest: Manifest) -> ModelVariant | Path:
    """The variant ``spec`` names, or the file it names (a path, or a file there under a variant's name).

    Raises:
        ModelError: an unknown variant name (listing the valid ones).
    """
    if spec is None:
        return manifest.default_variant
    if isinstance(spec, os.PathLike):
        return Path(spec)
    given = Path(spec).expanduser()
    found = manifest.find(spec)
    if found is None or (_looks_like_path(spec) and given.is_file()):
        if found is None and not _looks_like_path(spec) and not given.is_file():
            manifest.get(spec)  # raises: unknown variant, listing the valid ones
        return given
    return found


def model_here(spec: str | os.PathLike[str] | None = None) -> Path | None:
    """The model file ``spec`` names if this machine has it (a readable bundle), else ``None``; nothing is downloaded.

    For a batch on a Dask cluster: the workers load the model, so the machine that submits it may lack one.

    Raises:
        ModelError: an unknown variant name, or a file here that is not a readable model bundle.
    """
    variant = _named(spec, load_manifest())
    path = variant if isinstance(variant, Path) else locate(variant)[0]
    return check_model_file(path) if path is not None and path.is_file() else None


def model_id(path: str | os.PathLike[str]) -> str:
    """What a batch records of the model file it analysed with: ``file name:size in bytes:sha256=HEX``.

    The hash tells a file of the official name that is not the official download (another
    version, a re-packed bundle) from it, whatever machine reads it. Hashed once per process
    (about 20 ms for the full model), again only when the file's size or time changes.
    Raises ``OSError`` when the file cannot be read.
    """
    st = Path(path).stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _MODEL_IDS:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        _MODEL_IDS[key] = f"{Path(path).name}:{st.st_size}:sha256={digest.hexdigest()}"
    return _MODEL_IDS[key]


_MODEL_IDS: dict[tuple[str, int, int], str] = {}


def model_sha256_of(recorded: str | None) -> str | None:
    """The SHA-256 (hex) a :func:`model_id` names (``None``: none given, or a marker written before hashes were)."""
    if recorded is None or ":sha256=" not in recorded:
        return None
    return recorded.rpartition(":sha256=")[2]


def same_model(recorded: str | None, used: str | None) -> bool:
    """Whether a marker's ``recorded`` model is the file of :func:`model_id` ``used``.

    A marker written before hashes were recorded (``file name:size``) counts as the same
    when name and size agree (all that was compared then), so an upgrade redoes nothing.
    """
    if recorded is None or used is None:
        return recorded == used
    return recorded == used or (":sha256=" not in recorded and used.startswith(recorded + ":sha256="))


def _looks_like_path(spec: str) -> bool:
    return spec.endswith(MODEL_SUFFIX) or "/" in spec or "\\" in spec or spec.startswith((".", "~"))


def resolve_model(
    spec: str | os.PathLike[str] | None = None,
    *,
    manifest: Manifest | None = None,
    show_progress: bool = True,
) -> Path:
    """The model file to use, found (or downloaded) in the documented order.

    Args:
        spec: a variant name (``lite``, ``full``, ``heavy``), a path to a
            ``.task`` file, or ``None`` for the manifest's default variant.
        manifest: the variants to choose from (the packaged manifest by default).
        show_progress: draw a progress bar on stderr while downloading.

    Returns:
        Path to a model bundle that passed ``check_model_file``.

    Raises:
        ModelError: one line naming the missing file, each place tried, and
            how to provide it.
    """
    from hiprom.pose.download import download_model

    manifest = manifest or load_manifest()
    variant = _named(spec, manifest)
    if isinstance(variant, Path):
        return check_model_file(variant)
    path, tried = locate(variant)
    if path is not None:
        return check_model_file(path, variant.name)
    target = download_dir()
    if is_offline():
        tried.append(f"no download ({ENV_OFFLINE}={os.environ.get(ENV_OFFLINE)} is set)")
    else:
        try:
            return download_model(variant, target.path, show_progress=show_progress)
        except ModelError as exc:
            tried.append(str(exc))
    raise ModelError(
        f"pose model {variant.file} not found; tried {'; '.join(tried)}; provide it by setting "
        f"{ENV_MODEL_DIR} to a folder that holds {variant.file}, by passing --model PATH, "
        f"or by allowing network access once (hiprom models fetch {variant.name})"
    )
