"""The Dask backend gives the same summary as the local pool (a LocalCluster here)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

from hiprom.batch import dask_backend, read_summary, run_batch
from hiprom.errors import ConfigError

from . import fakes
from .conftest import undated
from .fakes import stand_in

distributed = pytest.importorskip("distributed", reason="the Dask backend needs hiprom[cluster]")


@pytest.fixture(scope="module")
def cluster():
    """A two-process Dask cluster on this machine."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as c:
        yield c


def test_dask_summary_equals_local_summary(recordings: Path, tmp_path: Path, cluster) -> None:
    (recordings / "broken.landmarks.npz").write_bytes(b"not a zip")
    (recordings / "a (1).landmarks.npz").write_bytes((recordings / "a.landmarks.npz").read_bytes())  # a copy
    local = run_batch([recordings], tmp_path / "local", workers=2, progress=False)
    remote = run_batch([recordings], tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False)
    assert [r.status for r in local.rows].count("failed") == 1
    local_rows = read_summary(local.summary_path)
    remote_rows = read_summary(remote.summary_path)
    assert len(local_rows) == 6
    assert [(r["file"], r["status"]) for r in remote_rows if r["status"] == "duplicate"] == [
        ("a (1).landmarks.npz", "duplicate")]  # found at discovery: never sent to a worker
    assert undated(remote_rows) == undated(local_rows)
    # Outputs written by the client, and resumable like the local ones.
    again = run_batch([recordings], tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False)
    assert [r.status for r in again.rows] == ["skipped" if r.status == "ok" else r.status for r in local.rows]


def _closed_port() -> str:
    """The address of a port nothing listens at."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


def test_a_closed_port_is_said_within_seconds_before_the_inputs_are_searched(recordings: Path, tmp_path: Path,
                                                                              monkeypatch) -> None:
    """Dask's client tried the refused connection again and again: 20 s before the one line. And it came only
    after the inputs were searched and the outputs done checked: 28-38 s for 5,000 files on this machine,
    minutes on a network share."""
    import time

    from hiprom.batch import runner

    searched: list = []
    monkeypatch.setattr(runner, "discover", lambda *args: searched.append(args) or [])
    address = _closed_port()
    t0 = time.monotonic()
    with pytest.raises(ConfigError) as err:
        run_batch([recordings], tmp_path / "out", scheduler=address, progress=False)
    assert time.monotonic() - t0 < 3
    assert str(err.value).startswith(f"cannot connect to the Dask scheduler at '{address}' (Connection refused); "
                                     "check the address"), err.value
    assert not searched


def test_a_finished_batch_is_run_again_with_its_scheduler_down(recordings: Path, tmp_path: Path) -> None:
    """Nothing to do needs no scheduler (the batch's summary is written again); anything to do says it is down."""
    out = tmp_path / "out"
    (recordings / "b (1).landmarks.npz").write_bytes((recordings / "b.landmarks.npz").read_bytes())  # never analysed
    run_batch([recordings], out, workers=1, progress=False)
    again = run_batch([recordings], out, scheduler=_closed_port(), progress=False)
    assert [r.status for r in again.rows] == ["skipped", "duplicate", "skipped", "skipped", "skipped"]
    fakes.make_recordings(recordings, ["new.landmarks.npz"], seed=1)
    with pytest.raises(ConfigError, match="cannot connect to the Dask scheduler"):
        run_batch([recordings], out, scheduler=_closed_port(), progress=False)


def _slow_door(to: str, refused_s: float, silent_s: float) -> str:
    """The address of a port that refuses connections for ``refused_s``, then passes them on to ``to``
    (a Dask scheduler) after ``silent_s``: a scheduler starting up, then busy."""
    import socket
    import threading
    import time

    host, port = to.removeprefix("tcp://").rsplit(":", 1)
    door = socket.socket()
    door.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused

    def pipe(a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def join(conn: socket.socket) -> None:
        time.sleep(silent_s)
        upstream = socket.create_connection((host, int(port)))
        for a, b in ((conn, upstream), (upstream, conn)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    def serve() -> None:
        time.sleep(refused_s)
        door.listen()
        while True:
            threading.Thread(target=join, args=(door.accept()[0],), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return f"tcp://127.0.0.1:{door.getsockname()[1]}"


def test_a_scheduler_starting_up_then_slow_to_answer_is_waited_for(recordings: Path, tmp_path: Path,
                                                                   cluster) -> None:
    """A refusal is tried again for a moment (a scheduler started at the same time), and a scheduler that
    takes the connection has its time to answer (a busy one)."""
    address = _slow_door(cluster.scheduler_address, refused_s=0.5, silent_s=1.0)
    result = run_batch([recordings], tmp_path / "out", scheduler=address, progress=False)
    assert {r.status for r in result.rows} == {"ok"}


def test_a_refused_connection_says_so() -> None:
    """Dask's 'Timed out trying to connect' hid the reason it kept retrying: nothing listens at that port."""
    refused = ConnectionRefusedError(111, "Connection refused")
    closed = OSError("in <distributed.comm.tcp.TCPConnector object at 0x7f99>: ConnectionRefusedError: ...")
    closed.__cause__ = refused
    timed_out = OSError("Timed out trying to connect to tcp://127.0.0.1:9 after 20 s")
    timed_out.__cause__ = closed
    message = str(dask_backend._cannot_connect("tcp://127.0.0.1:9", timed_out))
    assert message.startswith("cannot connect to the Dask scheduler at 'tcp://127.0.0.1:9' (Timed out trying to "
                              "connect to tcp://127.0.0.1:9 after 20 s: Connection refused); check the address")


def test_missing_dask_says_what_to_install(recordings: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ConfigError, match=r"pip install 'hiprom\[cluster\]'"):
        run_batch([recordings], tmp_path / "out", scheduler="tcp://127.0.0.1:8786", progress=False)


def test_a_full_disk_stops_a_dask_batch_at_once(recordings: Path, tmp_path: Path, cluster, monkeypatch) -> None:
    """The client writes the outputs: a full disk stops the batch (exit 6) instead of failing every input."""
    import errno

    import hiprom.recording
    from hiprom.atomic import output_error
    from hiprom.errors import OutputPlaceError

    def full(path, mode="wb"):
        raise output_error(path, OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(hiprom.recording, "atomic_write", full)
    out = tmp_path / "dask"
    with pytest.raises(OutputPlaceError, match="No space left on device") as err:
        run_batch([recordings], out, scheduler=cluster.scheduler_address, progress=False)
    assert err.value.exit_code == 6
    assert {r["status"] for r in read_summary(out / "summary.csv")} == {"interrupted"}


def test_a_worker_without_the_model_is_named(cluster, footage_dir: Path) -> None:
    """The model is there on the client's machine: the message must say which machine lacks it."""
    from hiprom.batch import BatchOptions, discover
    from hiprom.batch.dask_backend import remote_analyze

    job = discover([footage_dir / "rendered" / "gt01.mp4"])[0]
    options = BatchOptions.create(model="/nowhere/pose.task", model_spec="/nowhere/pose.task")
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        status, worker, fault = client.submit(remote_analyze, job, options, pure=False).result()
        workers = set(client.scheduler_info()["workers"])
    assert status == "unfit" and worker in workers  # the worker's setup, not the input: set aside
    assert str(fault).startswith("the pose model cannot be used there: model file /nowhere/pose.task not found")
    assert fault.exit_code == 3


def test_a_scheduler_without_workers_says_so_while_it_waits(recordings: Path, tmp_path: Path, capfd) -> None:
    """A scheduler started without 'dask worker' made the batch wait forever without a word."""
    import threading
    import time

    with distributed.LocalCluster(n_workers=0, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as empty:
        result: dict = {}
        thread = threading.Thread(target=lambda: result.update(r=run_batch(
            [recordings], tmp_path / "out", scheduler=empty.scheduler_address, progress=False)))
        thread.start()
        said, deadline = "", time.monotonic() + 60
        while "has no workers yet" not in said and time.monotonic() < deadline:
            time.sleep(0.1)
            said += capfd.readouterr().err
        assert f"hiprom: the Dask scheduler at {empty.scheduler_address} has no workers yet" in said
        assert f"dask worker {empty.scheduler_address} --nthreads 1" in said
        empty.scale(1)  # a worker arrives: the batch goes on
        thread.join(timeout=120)
    assert {r.status for r in result["r"].rows} == {"ok"}


def test_a_worker_with_another_hiprom_version_refuses_the_task(cluster, recordings: Path) -> None:
    """Its numbers could differ from the batch's: it says so instead of mixing versions in one summary."""
    from hiprom.batch import BatchOptions, discover
    from hiprom.batch.dask_backend import remote_analyze

    job = discover([recordings])[0]
    options = BatchOptions.create(hiprom_version="0.0.1")  # the batch process runs another version
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        status, worker, fault = client.submit(remote_analyze, job, options, pure=False).result()
    assert status == "unfit" and worker.startswith("tcp://")
    assert str(fault).endswith("the batch hiprom 0.0.1; install the same hiprom version on every worker")


def test_an_interrupted_batch_frees_the_cluster_at_once(tmp_path: Path, cluster) -> None:
    """Ctrl-C or SIGTERM only released the tasks: each worker went on analysing its video to the end
    (a minute here, an hour for a long recording), and the next run queued behind it."""
    import operator
    import os
    import signal
    import threading
    import time

    from .conftest import FAKE_ANALYZER

    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("endless1.mp4", "endless2.mp4"):
        stand_in(inputs / name, b"x")
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        def stop_once_both_analyse() -> None:
            deadline = time.monotonic() + 60
            while sum(map(len, client.processing().values())) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=stop_once_both_analyse, daemon=True).start()
        result = run_batch([inputs], tmp_path / "out", scheduler=cluster.scheduler_address, progress=False,
                           analyzer=FAKE_ANALYZER)
        assert result.stop_signal == signal.SIGTERM
        assert {r.status for r in result.rows} == {"interrupted"}
        t0 = time.monotonic()
        assert [f.result(timeout=20) for f in client.map(operator.add, [1, 2], [1, 1], pure=False)] == [2, 3]
        assert time.monotonic() - t0 < 5  # both workers free again


@pytest.mark.parametrize("greeting", [None, b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"], ids=["silent", "ssh"])
def test_a_port_that_is_not_a_dask_scheduler_is_a_plain_error(recordings: Path, tmp_path: Path, monkeypatch,
                                                               greeting: bytes | None) -> None:
    """The dashboard's port (8787, printed beside the scheduler's) or any service that waits for a request
    made the batch wait forever without a word; one that greets first (ssh) ended in a MemoryError traceback."""
    import socket
    import threading
    import time

    monkeypatch.setattr(dask_backend, "CONNECT_TIMEOUT_S", 2)
    server = socket.create_server(("127.0.0.1", 0))
    clients: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed at the end of the test
                return
            clients.append(conn)
            if greeting:
                conn.sendall(greeting)

    threading.Thread(target=serve, daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    errors: list[BaseException] = []

    def batch() -> None:
        try:
            run_batch([recordings], tmp_path / "out", scheduler=address, progress=False)
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    t0 = time.monotonic()
    thread = threading.Thread(target=batch, daemon=True)
    thread.start()
    thread.join(timeout=30)
    server.close()
    for conn in clients:
        conn.close()
    assert not thread.is_alive(), "still waiting for an answer after 30 s"
    assert [type(e).__name__ for e in errors] == ["ConfigError"], errors
    assert time.monotonic() - t0 < 15
    assert str(errors[0]).startswith(f"{address} does not answer as a Dask scheduler"), errors[0]
    assert "8786" in str(errors[0])


def test_a_worker_that_cannot_see_the_input_is_named(cluster, tmp_path: Path) -> None:
    """'/data/x.mp4: no such file or folder; check the path' while the file was there on the batch's machine:
    the worker's machine, which does not share the folder, was the one to fix."""
    from hiprom.batch import BatchOptions, Job
    from hiprom.batch.dask_backend import remote_analyze

    elsewhere = tmp_path / "only-on-the-client" / "x.mp4"
    job = Job(path=elsewhere, rel="x.mp4", stem="x")
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        status, worker, fault = client.submit(remote_analyze, job, BatchOptions.create(), pure=False).result()
    assert status == "unseen" and worker.startswith("tcp://"), fault  # that input goes to another worker
    assert str(fault) == (f"it does not see {elsewhere}; every Dask worker must see each input at the path the "
                          "batch found it (a shared or identically mounted folder)")


def test_an_input_gone_since_the_batch_found_it_is_its_own_failure(tmp_path: Path, cluster, capfd) -> None:
    """A worker that does not see an input is set aside only while the batch still sees it: an input
    deleted in the meantime is that input's failure, and the batch goes on with every worker."""
    import threading
    import time

    from .conftest import FAKE_ANALYZER

    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(2):
        stand_in(inputs / f"slow{i}.mp4", b"x")  # videos go first, keeping both workers busy about 1 s
    gone = inputs / "gone.landmarks.npz"
    gone.write_bytes(b"x")
    result: dict = {}
    batch = threading.Thread(target=lambda: result.update(r=run_batch(
        [inputs], tmp_path / "out", scheduler=cluster.scheduler_address, progress=False, analyzer=FAKE_ANALYZER)))
    batch.start()
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        deadline = time.monotonic() + 30
        while not any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.02)
    gone.unlink()
    batch.join(timeout=60)
    assert "r" in result, "the batch stopped"
    rows = {r.file: r for r in result["r"].rows}
    assert rows["gone.landmarks.npz"].status == "failed", rows["gone.landmarks.npz"]
    assert rows["gone.landmarks.npz"].error == "cannot read the file (No such file or directory)"
    assert rows["slow0.mp4"].status == rows["slow1.mp4"].status == "ok"
    assert "set aside" not in capfd.readouterr().err


def test_workers_all_gone_mid_batch_are_said_while_it_waits(tmp_path: Path, capfd, monkeypatch) -> None:
    """Workers killed, or ended by their job's time limit, left the batch waiting without a word."""
    import threading
    import time

    from .conftest import FAKE_ANALYZER

    monkeypatch.setattr(dask_backend, "WORKER_CHECK_S", 0.5)
    monkeypatch.setattr(dask_backend, "WORKERS_GONE_S", 1.0)
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(6):
        stand_in(inputs / f"slow{i}.mp4", b"x")
    errors: list[BaseException] = []

    def batch(address: str) -> None:
        try:
            run_batch([inputs], tmp_path / "out", scheduler=address, progress=False, analyzer=FAKE_ANALYZER)
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as shrinking:
        thread = threading.Thread(target=batch, args=(shrinking.scheduler_address,))
        thread.start()
        deadline = time.monotonic() + 60
        while not list((tmp_path / "out").glob("*.done.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        shrinking.scale(0)
        said = ""
        while "has no workers left" not in said and time.monotonic() < deadline:
            time.sleep(0.1)
            said += capfd.readouterr().err
        assert f"hiprom: the Dask scheduler at {shrinking.scheduler_address} has no workers left; waiting" in said
    thread.join(timeout=60)  # the scheduler closed: the batch ends, keeping what finished
    assert [type(e).__name__ for e in errors] == ["SchedulerLostError"]



def test_a_tls_scheduler_without_certificates_says_what_to_set(recordings: Path, tmp_path: Path) -> None:
    """tls://… without Dask's TLS configuration ended in a TypeError traceback (exit 1)."""
    with pytest.raises(ConfigError) as err:
        run_batch([recordings], tmp_path / "out", scheduler="tls://127.0.0.1:9", progress=False)
    assert str(err.value).startswith("tls://127.0.0.1:9: a tls:// scheduler needs Dask's TLS settings on this machine")
    assert "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT" in str(err.value)


def test_a_worker_check_that_hangs_sets_the_worker_aside(monkeypatch) -> None:
    """A folder on a stale network mount can block a look for ever: the batch, waiting for the check, with it."""
    import asyncio
    import time

    from hiprom.batch import BatchOptions, dask_workers

    monkeypatch.setattr(dask_workers, "CHECK_TIMEOUT_S", 0.2)
    monkeypatch.setattr(dask_workers, "check_worker", lambda options, samples: time.sleep(1))
    fault, unseen, model = asyncio.run(dask_workers._check_here(BatchOptions.create(), [Path("/data/site1/p.mp4")]))
    assert isinstance(fault, ConfigError) and unseen == [] and model is None
    assert str(fault).startswith("it did not finish the batch's check of its setup within 0 s")


def test_a_worker_where_hiprom_cannot_run_is_set_aside(tmp_path: Path) -> None:
    """A worker without hiprom (or with a broken install) cannot even run the batch's check of its setup: it
    is set aside with one line, not looked at again every 5 s without a word (the batch waiting for ever if it
    is the only worker)."""
    from types import SimpleNamespace

    from hiprom.batch import BatchOptions, Job
    from hiprom.batch.dask_workers import Tasks
    from hiprom.batch.progress import Reporter

    notes: list[str] = []
    submitted: list[list[str]] = []
    client = SimpleNamespace(
        loop=None,
        scheduler_info=lambda n_workers: {"workers": {"tcp://bare:1": {"nthreads": 1}, "tcp://good:2": {"nthreads": 1}}},
        run=lambda *args, **kwargs: {"tcp://bare:1": Exception("ModuleNotFoundError('No module named hiprom')"),
                                     "tcp://good:2": (None, [], None)},
        submit=lambda *args, workers, **kwargs: submitted.append(workers) or object())
    reporter = Reporter()
    reporter.note = notes.append
    job = Job(path=tmp_path / "p.mp4", rel="p.mp4", stem="p")
    tasks = Tasks(SimpleNamespace(as_completed=lambda **kwargs: SimpleNamespace(add=lambda fut: None)), client,
                  BatchOptions.create(), "tcp://s:8786", reporter, [job], remote=None, refuse=None)
    tasks.queue.append(job)
    assert tasks.look()
    assert submitted == [["tcp://good:2"]]
    assert notes == ["Dask worker tcp://bare:1: the batch cannot run there (ModuleNotFoundError('No module named "
                     "hiprom')); install hiprom " + BatchOptions.create().hiprom_version + " with its dependencies on "
                     "every worker (pip install 'hiprom[cluster]'); set aside for this batch, its inputs go to the "
                     "other workers"]



@pytest.mark.parametrize("looks, said", [
    # A nanny restarts a crashed worker between two looks (twice), then all go for good: said once, at the
    # second look without any. Before: said at each look that found none after one that found some, 3 times here.
    ([True, False, True, False, True, False, False, False, True], ["left"]),
    ([False, False, True, False, False, True, False, False], ["yet", "left", "left"]),  # each episode once
])
def test_workers_gone_for_a_moment_are_not_said(monkeypatch, looks: list[bool], said: list[str]) -> None:
    """The batch's looks at the cluster (5 s apart, as by default) and what it says of them."""
    from types import SimpleNamespace

    from hiprom.batch.progress import Reporter

    now = [0.0]

    def look() -> bool:
        now[0] += dask_backend.WORKER_CHECK_S
        return left.pop(0)

    monkeypatch.setattr(dask_backend, "time", SimpleNamespace(monotonic=lambda: now[0], sleep=lambda s: None))
    left = list(looks)
    notes: list[str] = []
    reporter = Reporter()
    reporter.note = notes.append
    tasks = SimpleNamespace(
        pending=SimpleNamespace(is_empty=lambda: not left, next_batch=lambda block: []), queue=[],
        client=SimpleNamespace(status="running"), look=look, set_aside={}, address="tcp://s:8786")
    assert list(dask_backend._completed(tasks, reporter)) == []
    assert [n.split(" has no workers ")[1].split(";")[0] for n in notes] == said, notes
