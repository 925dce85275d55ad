"""A real Dask cluster: a ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1.

The summary must equal the local pool's, also when one worker is killed
(SIGKILL) while it analyses an input: the scheduler gives that input to the
other worker and nothing is lost or counted twice.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from hiprom.batch import read_summary, run_batch, runner

from .conftest import FAKE_ANALYZER, REPO, undated
from .fakes import stand_in

distributed = pytest.importorskip("distributed", reason="the Dask backend needs hiprom[cluster]")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")]

SLOW = [f"slow{i}.landmarks.npz" for i in range(6)]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tests"), str(REPO), str(REPO / "src"), env.get("PYTHONPATH", "")])
    return env


class Cluster:
    """A scheduler process and worker processes (no nanny: killing one kills the worker).

    ``envs`` gives each worker its own environment variables (a machine set up otherwise), and
    ``hidden`` its own folders that it does not see (a machine without that mount).
    """

    def __init__(self, folder: Path, n_workers: int = 2, envs: Sequence[Mapping[str, str]] = (),
                 hidden: Sequence[Sequence[Path]] = ()) -> None:
        self.file = folder / "scheduler.json"
        self.logs = folder / "dask-logs"
        self.logs.mkdir()
        self.scheduler = self._spawn("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0",
                                                    "--no-dashboard", "--scheduler-file", str(self.file)])
        self._wait(lambda: self.file.is_file() and self.file.stat().st_size > 0, "the scheduler file")
        self.address = json.loads(self.file.read_text())["address"]
        self.workers: list[subprocess.Popen] = []
        for i in range(n_workers):
            self.start_worker(envs[i] if i < len(envs) else None, hidden[i] if i < len(hidden) else ())
        if n_workers:
            with distributed.Client(self.address, timeout=30) as client:
                client.wait_for_workers(n_workers, timeout=60)

    def start_worker(self, env: Mapping[str, str] | None = None, hidden: Sequence[Path] = ()) -> None:
        """One more worker, named ``w<index>``, with ``env`` added to its environment, not seeing ``hidden``."""
        i = len(self.workers)
        self.workers.append(self._spawn(f"worker{i}", ["worker", self.address, "--host", "127.0.0.1", "--nthreads",
                                                       "1", "--no-nanny", "--no-dashboard", "--name", f"w{i}"], env,
                                        _without_folders(hidden)))

    def _spawn(self, name: str, args: list[str], env: Mapping[str, str] | None = None,
               prefix: Sequence[str] = ()) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        return subprocess.Popen([*prefix, sys.executable, "-m", "dask", *args], env=_env(**(env or {})), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def _wait(self, ready, what: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if self.scheduler.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {what}: {(self.logs / 'scheduler.log').read_text()[-2000:]}")
            time.sleep(0.1)

    def address_of(self, client, i: int) -> str:
        """The address of worker ``i``."""
        return next(a for a, w in client.scheduler_info(n_workers=-1)["workers"].items() if w["name"] == f"w{i}")

    def busy_worker(self, client) -> subprocess.Popen | None:
        """The process of a worker running a task now, if any (workers are named by their index)."""
        info = client.scheduler_info()["workers"]
        for address, tasks in client.processing().items():
            if tasks and address in info:
                return self.workers[int(str(info[address]["name"]).removeprefix("w"))]
        return None

    def stop(self) -> None:
        """The workers first, then the scheduler: a worker closing while the scheduler does
        sometimes hangs in Dask's own shutdown until killed (20 s)."""
        for group in (self.workers, [self.scheduler]):
            for proc in group:
                if proc.poll() is None:
                    proc.terminate()
            for proc in group:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _without_folders(folders: Sequence[Path]) -> list[str]:
    """A command prefix running the rest in its own mount namespace, with an empty folder mounted over each
    of ``folders``: a machine that does not share them, as far as one machine allows."""
    if not folders:
        return []
    mounts = " && ".join(f"mount -t tmpfs none '{folder}'" for folder in folders)
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", f'{mounts} && exec "$@"', "sh"]


def _can_hide_folders() -> bool:
    try:
        return subprocess.run([*_without_folders([Path("/tmp")]), "true"], capture_output=True).returncode == 0
    except OSError:  # no unshare
        return False


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def inputs(recordings: Path) -> Path:
    """The four recordings, one broken file and six slow ones (about 1 s each)."""
    (recordings / "broken.landmarks.npz").write_bytes(b"not a zip")
    for name in SLOW:
        stand_in(recordings / name, b"slow")
    return recordings


def test_separate_processes_give_the_local_summary(inputs: Path, tmp_path: Path, cluster: Cluster) -> None:
    local = run_batch([inputs], tmp_path / "local", workers=2, progress=False, analyzer=FAKE_ANALYZER)
    remote = run_batch([inputs], tmp_path / "dask", scheduler=cluster.address, progress=False, analyzer=FAKE_ANALYZER)
    local_rows = read_summary(local.summary_path)
    assert len(local_rows) == 11 and [r["status"] for r in local_rows].count("failed") == 1
    assert undated(read_summary(remote.summary_path)) == undated(local_rows)
    for name in ("a.analysis.json", "slow0.analysis.json"):
        remote_analysis, local_analysis = (json.loads((tmp_path / where / name).read_text()) for where in ("dask", "local"))
        assert {**remote_analysis, "created_utc": None} == {**local_analysis, "created_utc": None}



CLINIC_BANDS = {"internal_rotation": ("25.0", "35.0"), "external_rotation": ("35.0", "50.0"),
                "total_arc": ("60.0", "85.0")}
"""The normal bands of a clinic's norms file (IR 25-35°, ER 35-50°), and the total arc's, their sum."""


def test_a_clinics_bands_are_in_every_row_of_the_summary_locally_and_on_dask(recordings: Path, tmp_path: Path,
                                                                            cluster: Cluster) -> None:
    """A study run with a clinic's norms file: ``summary.csv`` named the reference (45°) and the threshold, not
    the bands its ``below``/``within``/``above`` were judged against (only each ``analysis.json`` had them), so
    a summary read alone was read against the AMA bands. Now each row says them, the same on Dask as locally."""
    norms = tmp_path / "clinic-norms.toml"
    norms.write_text("[bands]\ninternal = [25.0, 35.0]\nexternal = [35.0, 50.0]\n")
    local = read_summary(run_batch([recordings], tmp_path / "local", workers=2, norms=norms, progress=False)
                         .summary_path)
    remote = read_summary(run_batch([recordings], tmp_path / "dask", scheduler=cluster.address, norms=norms,
                                    progress=False).summary_path)
    assert undated(remote) == undated(local) and [r["status"] for r in local] == ["ok"] * 4
    judged = []
    for row in local:
        for measure, (low, high) in CLINIC_BANDS.items():
            assert (row[f"{measure}_band_low_deg"], row[f"{measure}_band_high_deg"]) == (low, high), row["file"]
            for side in ("left", "right"):  # each verdict reads true against the bands its row names
                deg, band = float(row[f"{side}_{measure}_deg"]), row[f"{side}_{measure}_band"]
                reach = 1.96 * float(row[f"{side}_{measure}_unc_deg"]) + 0.1  # the 95 % interval, and rounding
                judged.append(band)
                assert {"below": deg < float(low), "above": deg > float(high),
                        "within": float(low) - reach <= deg <= float(high) + reach}.get(band, True), (
                    row["file"], side, measure, deg, band)
    assert {"below", "within", "above"} & set(judged)

def test_a_worker_killed_mid_batch_loses_nothing(inputs: Path, tmp_path: Path, cluster: Cluster) -> None:
    local = run_batch([inputs], tmp_path / "local", workers=2, progress=False, analyzer=FAKE_ANALYZER)
    result: dict = {}
    batch = threading.Thread(target=lambda: result.update(r=run_batch(
        [inputs], tmp_path / "dask", scheduler=cluster.address, progress=False, analyzer=FAKE_ANALYZER)))
    batch.start()
    deadline = time.monotonic() + 60
    busy = None
    with distributed.Client(cluster.address, timeout=30) as client:
        while busy is None and batch.is_alive() and time.monotonic() < deadline:
            busy = cluster.busy_worker(client)
            time.sleep(0.05)
    assert busy is not None, "no worker was ever busy"
    busy.send_signal(signal.SIGKILL)
    assert busy.wait(timeout=10) == -signal.SIGKILL
    batch.join(timeout=240)
    assert not batch.is_alive()
    assert undated(read_summary(result["r"].summary_path)) == undated(read_summary(local.summary_path))


def test_a_scheduler_gone_mid_batch_keeps_what_finished_and_says_so(inputs: Path, tmp_path: Path, cluster: Cluster,
                                                                    monkeypatch, caplog, capfd) -> None:
    """Not a Dask traceback and every unfinished input 'failed' as an internal error: one line, and a summary.

    The scheduler is killed while the batch fetches a result from it, after two have arrived: there Dask's
    background fetch printed a ``CommClosedError`` traceback (``tornado.application``) above the batch's line
    (2 of 3 tries of a real batch with the scheduler killed at a random moment)."""
    out = tmp_path / "dask"
    errors: list[BaseException] = []
    gathers = []
    real_gather = distributed.Client._gather_remote

    async def gather_then_lose_the_scheduler(self, *args, **kwargs):
        gathers.append(1)
        if len(gathers) == 3:
            cluster.scheduler.send_signal(signal.SIGKILL)
            cluster.scheduler.wait()
        return await real_gather(self, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "_gather_remote", gather_then_lose_the_scheduler)

    def batch() -> None:
        try:
            run_batch([inputs], out, scheduler=cluster.address, progress=False, analyzer=FAKE_ANALYZER)
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    thread = threading.Thread(target=batch)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert len(gathers) >= 3
    assert [type(e).__name__ for e in errors] == ["SchedulerLostError"]
    assert "lost the connection to the Dask scheduler" in str(errors[0]) and errors[0].exit_code == 2
    summary = {r["file"]: r for r in read_summary(out / "summary.csv")}
    done = {p.relative_to(out).as_posix().removesuffix(".done.json") + ".landmarks.npz" for p in out.rglob("*.done.json")}
    assert {f for f, r in summary.items() if r["status"] == "ok"} == done and done
    unfinished = {f for f, r in summary.items() if r["status"] not in ("ok", "failed")}
    assert unfinished and {summary[f]["status"] for f in unfinished} == {"interrupted"}
    assert not [r["error"] for r in summary.values() if "internal error" in r["error"]]
    assert errors[0].batch_result.counts["interrupted"] == len(unfinished)  # the CLI says them before the line
    # Dask's loggers write to stderr, or to the root logger where something (here pytest) listens there first.
    assert "Traceback" not in capfd.readouterr().err
    assert not [(r.name, r.getMessage()) for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]


# -- a worker set up otherwise -------------------------------------------------------------

N_CLIPS = 6
CLIP_FRAMES = 10


@pytest.fixture(scope="module")
def short_clips(footage_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six clips of 10 frames of the rendered gt01 (a seated man, 640x480), cut with OpenCV once; clip i starts
    at frame i, so that none is a copy of another (a batch analyses copies once)."""
    import cv2

    cap = cv2.VideoCapture(str(footage_dir / "rendered" / "gt01.mp4"))
    fps, frames = cap.get(cv2.CAP_PROP_FPS), [cap.read()[1] for _ in range(CLIP_FRAMES + N_CLIPS)]
    cap.release()
    folder = tmp_path_factory.mktemp("short-clips") / "in"
    folder.mkdir()
    for i in range(N_CLIPS):
        writer = cv2.VideoWriter(str(folder / f"clip{i}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                 (frames[0].shape[1], frames[0].shape[0]))
        for frame in frames[i:i + CLIP_FRAMES]:
            writer.write(frame)
        writer.release()
    return folder


def _without_model(folder: Path) -> dict[str, str]:
    """The environment of a machine without the pose model: HIPROM_MODEL_DIR names an empty folder,
    the model cache is empty, and it may not download."""
    (folder / "empty").mkdir(exist_ok=True)
    return {"HIPROM_MODEL_DIR": str(folder / "empty"), "HIPROM_CACHE_DIR": str(folder / "cache"), "HIPROM_OFFLINE": "1"}


@pytest.fixture(scope="module")
def model_less(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Iterator[Cluster]:
    """Worker w0 set up right; worker w1 on a machine without the pose model."""
    folder = tmp_path_factory.mktemp("model-less")
    c = Cluster(folder, envs=[{"HIPROM_MODEL_DIR": str(model_path.parent)}, _without_model(folder)])
    try:
        yield c
    finally:
        c.stop()


def _batch_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **changes) -> None:
    """The model file the batch resolves is at a path only its own machine has (the user's model
    cache, say), so each worker finds its own; ``changes`` to the options as well."""
    real = runner.make_options

    def elsewhere(*args, **kwargs):
        options = real(*args, **kwargs)
        model = str(tmp_path / "batch-machine" / Path(options.model).name)
        return dataclasses.replace(options, model=model, **changes)

    monkeypatch.setattr(runner, "make_options", elsewhere)


@pytest.mark.footage
@pytest.mark.model
def test_a_worker_without_the_model_is_set_aside_and_its_inputs_run_elsewhere(
        short_clips: Path, model_less: Cluster, tmp_path: Path, monkeypatch, capfd) -> None:
    """Before: the worker without the model failed each task in milliseconds and took the next one, so it
    failed 4 of the 6 inputs ('on the Dask worker …: pose model … not found …'), exit 1, while the other
    worker analysed one; a 2,000-file night ended with most files failed. Then it was set aside, but
    only after 3 to 7 tasks; now it is checked when the batch first sees it, and gets none."""
    _batch_options(monkeypatch, tmp_path)
    with distributed.Client(model_less.address, timeout=30) as client:
        bad = model_less.address_of(client, 1)
        with distributed.get_task_stream(client) as stream:
            result = run_batch([short_clips], tmp_path / "out", scheduler=model_less.address, progress=False)
    err = capfd.readouterr().err
    assert [r.status for r in result.rows] == ["ok"] * N_CLIPS, [r.error for r in result.rows]
    # Checked before it got an input: before, it took 3 to 7 of them, each failed in milliseconds and run again.
    assert not [t["key"] for t in stream.data if t["worker"] == bad], stream.data
    said = [line for line in err.splitlines() if "set aside" in line]
    assert len(said) == 1, err
    assert said[0].startswith(f"hiprom: Dask worker {bad}: the pose model cannot be used there: pose model "), said
    assert "HIPROM_MODEL_DIR" in said[0]
    assert said[0].endswith("; set aside for this batch, its inputs go to the other workers"), said


@pytest.mark.footage
@pytest.mark.model
def test_no_fit_worker_stops_the_batch_at_once_charging_no_input(
        short_clips: Path, model_less: Cluster, tmp_path: Path, monkeypatch, capfd) -> None:
    """Both workers run another hiprom than the batch: before, every input 'failed', exit 1."""
    from hiprom import __version__
    from hiprom.batch.dask_backend import NoWorkerFitError

    _batch_options(monkeypatch, tmp_path, hiprom_version="0.0.1")
    out = tmp_path / "out"
    t0 = time.monotonic()
    with pytest.raises(NoWorkerFitError) as caught:
        run_batch([short_clips], out, scheduler=model_less.address, progress=False)
    assert time.monotonic() - t0 < 20
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"no Dask worker at {model_less.address} can run this batch (worker tcp://")
    assert f"it runs hiprom {__version__}, the batch hiprom 0.0.1" in str(caught.value)
    assert str(caught.value).endswith("then run the same command again to continue")
    assert {r["status"] for r in read_summary(out / "summary.csv")} == {"interrupted"}
    assert not list(out.glob("*.done.json"))
    assert len([line for line in capfd.readouterr().err.splitlines() if "set aside" in line]) == 1


@pytest.mark.footage
@pytest.mark.model
def test_the_machine_submitting_to_a_cluster_needs_no_model(short_clips: Path, model_less: Cluster,
                                                           tmp_path: Path, monkeypatch, capsys) -> None:
    """A researcher's laptop without the pose model submits to workers that have it: before, the batch
    stopped at once with exit 3 ('hiprom: error: pose model pose_landmarker_full.task not found; tried
    $HIPROM_MODEL_DIR …'), or downloaded the model it would never use. Now the workers load theirs, and
    the same command again from that laptop finds both inputs done."""
    from hiprom.cli.main import main

    for name, value in _without_model(tmp_path).items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    argv = ["batch", str(short_clips / "clip0.mp4"), str(short_clips / "clip1.mp4"), "-o", str(out),
            "--scheduler", model_less.address, "--no-progress"]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 0, err
    assert "2 inputs: 2 ok, 0 already done, 0 failed" in err, err
    assert main(argv) == 0
    assert "2 inputs: 0 ok, 2 already done, 0 failed" in capsys.readouterr().err


def _repacked(model_path: Path, folder: Path) -> Path:
    """A folder holding another file under the official name: the model re-packed (a zip comment added),
    loadable, of another size and hash; what a clinic's own copy of the model may be."""
    import zipfile

    folder.mkdir()
    copy = folder / model_path.name
    copy.write_bytes(model_path.read_bytes())
    with zipfile.ZipFile(copy, "a") as bundle:
        bundle.comment = b"re-packed"
    return folder


@pytest.mark.footage
@pytest.mark.model
def test_what_the_workers_did_stays_done_until_the_model_really_changes(
        short_clips: Path, tmp_path: Path, model_path: Path, monkeypatch, capsys) -> None:
    """The worker's model is another file under the official name. Before, the marker recorded the
    client's idea of the model (its own file's name and size, else the official size): the same command
    from a laptop without the model analysed both inputs again ('2 inputs: 2 ok, 0 already done'), although
    the worker's model had not changed. Now the marker records the hash of the file the worker used."""
    from hiprom.cli.main import main

    repacked = _repacked(model_path, tmp_path / "repacked")
    cluster = Cluster(tmp_path, n_workers=1, envs=[{"HIPROM_MODEL_DIR": str(repacked)}])
    out = tmp_path / "out"
    argv = ["batch", str(short_clips / "clip0.mp4"), str(short_clips / "clip1.mp4"), "-o", str(out),
            "--scheduler", cluster.address, "--no-progress"]

    def run(model_dir: Path) -> str:
        monkeypatch.setenv("HIPROM_MODEL_DIR", str(model_dir))
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 0, err
        return next(line for line in err.splitlines() if " inputs: " in line)

    try:
        for name, value in _without_model(tmp_path).items():
            monkeypatch.setenv(name, value)
        laptop = tmp_path / "empty"
        assert run(repacked).startswith("2 inputs: 2 ok, 0 already done")  # the client has the worker's file
        assert run(laptop).startswith("2 inputs: 0 ok, 2 already done")  # before: 2 ok, redone
        assert run(repacked).startswith("2 inputs: 0 ok, 2 already done")
        # The official file, at a path the worker sees too: the worker uses it, the model really changed.
        assert run(model_path.parent).startswith("2 inputs: 2 ok, 0 already done")
        marker = json.loads((out / "clip0.done.json").read_text())
        assert marker["settings"]["model"].startswith(f"{model_path.name}:{model_path.stat().st_size}:sha256=")
        # From the laptop again the worker would use its re-packed file: redone (before: skipped).
        assert run(laptop).startswith("2 inputs: 2 ok, 0 already done")
    finally:
        cluster.stop()


@pytest.mark.model
def test_once_a_worker_is_set_aside_the_tasks_follow_workers_that_come_and_go(
        tmp_path: Path, model_path: Path, monkeypatch, capfd) -> None:
    """After the bad worker is set aside, the good one ends (an HPC job's time limit) and another
    starts: the tasks, restricted to the workers of that moment, must go to the new one, not wait forever."""
    from hiprom.batch import dask_backend

    monkeypatch.setattr(dask_backend, "WORKER_CHECK_S", 0.5)
    good = {"HIPROM_MODEL_DIR": str(model_path.parent)}
    cluster = Cluster(tmp_path, envs=[good, _without_model(tmp_path)])
    try:
        inputs = tmp_path / "in"
        inputs.mkdir()
        for i in range(4):
            stand_in(inputs / f"slow-model{i}.mp4", b"x")  # the fake finds the pose model, then is slow
        result: dict = {}
        batch = threading.Thread(target=lambda: result.update(r=run_batch(
            [inputs], tmp_path / "out", scheduler=cluster.address, progress=False, analyzer=FAKE_ANALYZER)))
        batch.start()
        said, deadline = "", time.monotonic() + 60
        while "set aside" not in said and time.monotonic() < deadline:
            time.sleep(0.05)
            said += capfd.readouterr().err
        assert "set aside" in said, said
        cluster.workers[0].send_signal(signal.SIGKILL)
        cluster.start_worker(good)
        batch.join(timeout=120)
        assert not batch.is_alive(), "the batch waits for workers gone"
        assert [r.status for r in result["r"].rows] == ["ok"] * 4
    finally:
        cluster.stop()


def _inputs_by_key(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The input (``Job.rel``) of each task key the batch submits, filled as it submits them."""
    from hiprom.batch.dask_workers import Tasks

    inputs: dict[str, str] = {}
    real = Tasks.fill

    def fill(self: Tasks) -> None:
        before = set(self.jobs)
        real(self)
        inputs.update({fut.key: self.jobs[fut].rel for fut in set(self.jobs) - before})

    monkeypatch.setattr(Tasks, "fill", fill)
    return inputs


@pytest.mark.skipif(not _can_hide_folders(), reason="needs unshare (a mount namespace) to hide a folder from a worker")
def test_a_worker_without_one_folder_is_kept_for_the_others(recordings: Path, tmp_path: Path, capfd,
                                                           monkeypatch) -> None:
    """Worker w1 does not see site2 (a mount missing on its machine): before, it was set aside for the whole
    batch at its first site2 input, and its share of site1 went to the other worker. Now only site2's inputs
    are kept off it, said once, and it is checked before it gets any. No worker sees site3: its input fails."""
    for site, names in (("site1", [f"slow{i}.landmarks.npz" for i in range(4)]), ("site2", ["slow8.landmarks.npz",
                                                                                          "slow9.landmarks.npz"])):
        (recordings / site).mkdir()
        for name in names:
            stand_in(recordings / site / name, b"slow")  # about 1 s each
    site2, site3 = recordings / "site2", recordings / "site3"
    site3.mkdir()
    stand_in(site3 / "p.landmarks.npz", b"slow")
    inputs_of = _inputs_by_key(monkeypatch)
    cluster = Cluster(tmp_path, hidden=[(site3,), (site2, site3)])
    try:
        with distributed.Client(cluster.address, timeout=30) as client:
            hides = cluster.address_of(client, 1)
            with distributed.get_task_stream(client) as stream:
                result = run_batch([recordings], tmp_path / "out", scheduler=cluster.address, progress=False,
                                   analyzer=FAKE_ANALYZER)
    finally:
        cluster.stop()
    rows = {r.file: r for r in result.rows}
    assert rows.pop("site3/p.landmarks.npz").error == (
        f"no Dask worker sees {site3 / 'p.landmarks.npz'}, which the batch found on its own machine; every Dask "
        "worker must see each input at that path (a shared or identically mounted folder)")
    assert {r.status for r in rows.values()} == {"ok"}, [(r.file, r.error) for r in rows.values()]
    ran = [inputs_of.get(t["key"], t["key"]) for t in stream.data if t["worker"] == hides]
    assert ran and not [f for f in ran if f.startswith("site2/")], ran  # kept for the others, given none of site2
    err = capfd.readouterr().err
    said = [line for line in err.splitlines() if "does not see" in line]
    assert len(said) == 2, err  # once for each worker: w0 lacks site3, w1 site2 and site3
    said = [line for line in said if line.startswith(f"hiprom: Dask worker {hides}: ")]
    assert len(said) == 1 and said[0].startswith(f"hiprom: Dask worker {hides}: it does not see {site2}/slow"), err
    assert said[0].endswith(".landmarks.npz; every Dask worker must see each input at the path the batch found it (a "
                            "shared or identically mounted folder); the inputs of that folder (and those of 1 other "
                            "folder) go to the other workers")
    assert "set aside" not in err


def test_a_file_that_kills_its_worker_on_a_cluster_that_restarts_it(recordings: Path, tmp_path: Path,
                                                                     monkeypatch, capfd) -> None:
    """The worker under a nanny comes back (under a new address) after the file kills it. That file alone gets
    the crash message, after about Dask's allowed failures (1 here, to keep the test short; 3 by default): not
    tried for ever on the new worker (each task is restricted to the workers of the moment), and not the
    innocent inputs beside it. While the nanny restarts it, the batch does not say it has no workers left
    (before: 'has no workers left; waiting for some' at each look that found it gone, 3 times for 2 crash files,
    though the batch went on by itself); only after WORKERS_GONE_S (5 s) without one. Looks every 0.5 s here,
    so that one falls into each restart."""
    import dask

    from hiprom.batch import dask_backend

    monkeypatch.setattr(dask_backend, "WORKER_CHECK_S", 0.5)
    stand_in(recordings / "crash.mp4", b"x")  # the fake analyser's worker process dies at once
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "1")  # the scheduler's
    cluster = Cluster(tmp_path, n_workers=0)
    try:
        cluster.workers.append(cluster._spawn("nanny", ["worker", cluster.address, "--host", "127.0.0.1",
                                                        "--nworkers", "1", "--nthreads", "1", "--no-dashboard"]))
        with distributed.Client(cluster.address, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
        capfd.readouterr()
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}):  # the batch's
            result = run_batch([recordings], tmp_path / "out", scheduler=cluster.address, progress=False,
                               analyzer=FAKE_ANALYZER)
    finally:
        cluster.stop()
    rows = {r.file: r for r in result.rows}
    assert rows.pop("crash.mp4").error.startswith("the analysis process crashed while reading this file")
    assert {r.status for r in rows.values()} == {"ok"}, [(r.file, r.error) for r in rows.values()]
    log = (cluster.logs / "nanny.log").read_text()
    deaths = log.count("exited with status 70")
    assert 1 <= deaths <= 3, deaths
    gone = _longest_without_workers(log)
    assert gone > 0.3, log  # the restarts the batch saw
    if gone < dask_backend.WORKERS_GONE_S - 1:  # a slower restart is said, as it should be
        assert "has no workers" not in capfd.readouterr().err

def _longest_without_workers(log: str) -> float:
    """The longest time, in seconds, during which none of a nanny's workers was registered, once one was
    (from its log)."""
    from datetime import datetime

    registered, since, longest = 0, None, 0.0
    for line in log.splitlines():
        if "exited with status" not in line and "Registered to:" not in line:
            continue
        at = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        registered += -1 if "exited with status" in line else 1
        if registered == 0 and since is None:
            since = at
        elif registered > 0 and since is not None:
            longest, since = max(longest, at - since), None
    return longest


def _other_library_version(folder: Path, name: str, version: str) -> dict[str, str]:
    """The environment of a machine where ``name`` is installed at another ``version``, as far as its version
    shows: a distribution's metadata of that version ahead of the real one on the path (the code is the same)."""
    meta = folder / "other-versions" / f"{name}-{version}.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return {"PYTHONPATH": str(meta.parent)}


@pytest.mark.footage
@pytest.mark.model
def test_a_worker_with_another_mediapipe_is_set_aside_and_every_route_gives_the_same_files(
        short_clips: Path, model_path: Path, tmp_path: Path, capfd) -> None:
    """A cluster whose worker runs another MediaPipe (an older image, a machine upgraded by hand) took its share of
    a study's videos, whose figures could differ from the others', and nothing said so: the summary's rows held
    one MediaPipe's figures and another's. Set aside now, with one line; and whichever route analyses a video
    (one or two local workers, one Dask worker), every output but the analysis's date is the same, to the bit."""
    from importlib.metadata import version

    model_dir = {"HIPROM_MODEL_DIR": str(model_path.parent)}
    cluster = Cluster(tmp_path, envs=[model_dir, {**model_dir, **_other_library_version(tmp_path, "mediapipe",
                                                                                           "0.10.0")}])
    try:
        with distributed.Client(cluster.address, timeout=30) as client:
            other = cluster.address_of(client, 1)
            with distributed.get_task_stream(client) as stream:
                dask = run_batch([short_clips], tmp_path / "dask", scheduler=cluster.address, progress=False)
    finally:
        cluster.stop()
    assert [r.status for r in dask.rows] == ["ok"] * N_CLIPS, [r.error for r in dask.rows]
    assert not [t["key"] for t in stream.data if t["worker"] == other], stream.data
    said = [line for line in capfd.readouterr().err.splitlines() if "set aside" in line]
    assert said == [f"hiprom: Dask worker {other}: it runs mediapipe 0.10.0, the batch mediapipe "
                    f"{version('mediapipe')}, which can change the figures; install the batch's versions of "
                    "mediapipe, opencv, numpy on every worker; set aside for this batch, its inputs go to the other "
                    "workers"], said
    for workers in (1, 2):
        local = run_batch([short_clips], tmp_path / f"local{workers}", workers=workers, progress=False)
        assert undated(read_summary(local.summary_path)) == undated(read_summary(dask.summary_path))
        for row in local.rows:
            stem = row.file.removesuffix(".mp4")
            for ending in (".landmarks.npz", ".series.csv"):
                assert ((tmp_path / f"local{workers}" / (stem + ending)).read_bytes()
                        == (tmp_path / "dask" / (stem + ending)).read_bytes()), (stem, ending)
            local_json, dask_json = (json.loads((tmp_path / where / f"{stem}.analysis.json").read_text())
                                     for where in (f"local{workers}", "dask"))
            assert {**local_json, "created_utc": None} == {**dask_json, "created_utc": None}
