"""One clinic's store used by several programs at once: two laptops saving, a command correcting or erasing.

Each race is made to happen, not hoped for: one store holds its transaction open at the point that
matters while a second store (its own connections, as another program would have) runs the other
side; on PostgreSQL the test waits until the server shows that side queued on a lock before letting
the first one commit. On SQLite write transactions are one at a time (``BEGIN IMMEDIATE``), so the
races that need two writers inside at once are PostgreSQL's.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from hiprom.errors import HipromError
from hiprom.store import Store
from hiprom.store.location import resolve_url
from hiprom.store.records import RecordNotFound
from hiprom.store.sessions import SessionStore


class _Other(threading.Thread):
    """``call()`` run in a thread of its own, keeping what it returned or raised."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.call, self.result, self.error = call, None, None

    def run(self) -> None:
        try:
            self.result = self.call()
        except HipromError as exc:
            self.error = exc


@pytest.fixture
def two(pg_url: str) -> Iterator[tuple[Store, Store]]:
    """Two stores on one PostgreSQL database, as two laptops (or a laptop and a command) have."""
    a, b = Store(pg_url), Store(pg_url)
    yield a, b
    a.close()
    b.close()


def _queued_or_done(url: str, other: _Other, timeout_s: float = 60) -> None:
    """Wait until ``other`` is queued on a lock in the server, or has ended."""
    engine = create_engine(resolve_url(url))
    deadline = time.monotonic() + timeout_s
    try:
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                            " AND wait_event_type = 'Lock'")).scalar()
                if waiting or not other.is_alive():
                    return
                time.sleep(0.02)
    finally:
        engine.dispose()
    raise AssertionError(f"the other program neither queued nor ended within {timeout_s} s")


def _while_open(first: Store, do_first: Callable[[], Any], other: _Other, url: str) -> None:
    """``do_first()`` inside a transaction of ``first`` left open until ``other`` queues or ends."""
    with first.transaction():
        do_first()
        other.start()
        _queued_or_done(url, other)
    other.join(timeout=60)
    assert not other.is_alive()


def test_two_laptops_saving_one_new_person_in_other_capitals_make_one_subject(two, pg_url, analysis,
                                                                              filmed_again) -> None:
    """Before: both found 'P-0042' free (neither had committed) and the person got two subjects, p-0042
    and P-0042, their visits split. Now the second waits for the first and joins its subject."""
    a, b = two
    other = _Other(lambda: b.save_analysis(filmed_again(analysis), subject="P-0042"))
    _while_open(a, lambda: a.save_analysis(analysis, subject="p-0042"), other, pg_url)
    assert other.error is None
    assert [(s.pseudonym, s.n_sessions) for s in a.subjects()] == [("p-0042", 2)]
    assert other.result.subject == "p-0042"


def test_a_subject_added_while_another_is_renamed_to_it_is_refused(two, pg_url) -> None:
    a, b = two
    a.add_subject("P-0024")
    other = _Other(lambda: b.add_subject("P-0042"))
    _while_open(a, lambda: a.rename_subject("P-0024", "p-0042"), other, pg_url)
    assert "already exists" in str(other.error)
    assert [s.pseudonym for s in a.subjects()] == ["p-0042"]


def test_a_save_meeting_an_erasure_is_kept_under_the_pseudonym(two, pg_url, analysis, filmed_again) -> None:
    """Before: the laptop's save failed on the deleted subject (503 'the change conflicts with what is
    stored (insert or update on table "sessions" violates foreign key constraint ...)') and the test just
    measured was lost. Now it waits for the erasure, then saves as for a new person of that pseudonym;
    nothing of the erased one is left."""
    a, b = two
    a.save_analysis(analysis, subject="E-1")
    other = _Other(lambda: b.save_analysis(filmed_again(analysis), subject="E-1"))
    _while_open(a, lambda: a.delete_subject("E-1"), other, pg_url)
    assert other.error is None, other.error
    subject = a.subject("E-1")
    assert subject.id != 1 and subject.n_sessions == 1
    assert [s.id for s in a.sessions()] == [other.result.id]
    assert len(a.session(other.result.id).analysis["trials"]) == len(analysis["trials"])


def test_a_move_to_a_subject_being_erased_says_there_is_none(two, pg_url, analysis) -> None:
    a, b = two
    a.save_analysis(analysis, subject="P-1")
    a.add_subject("P-2")
    other = _Other(lambda: b.move_session(1, "P-2"))
    _while_open(a, lambda: a.delete_subject("P-2"), other, pg_url)
    assert isinstance(other.error, RecordNotFound), other.error
    assert "no subject 'P-2'" in str(other.error)
    assert a.session(1, with_analysis=False).subject == "P-1"


def test_an_export_holds_the_person_as_at_one_moment(db_url, analysis, filmed_again, hiprom, tmp_path: Path,
                                                     monkeypatch) -> None:
    """A session moved to another person while 'hiprom subjects export' reads: before, the export of
    P-0042 held session 2 as P-0043's (another person's visit in their file). Now the whole export is
    read in one snapshot: both visits, as P-0042's when the export began."""
    with Store(db_url) as setup:
        setup.save_analysis(analysis, subject="P-0042")
        setup.save_analysis(filmed_again(analysis), subject="P-0042")
        setup.add_subject("P-0043")
    listed = SessionStore.sessions

    def sessions_then_moved(self: Store, *args: Any, **kwargs: Any) -> Any:
        found = listed(self, *args, **kwargs)
        monkeypatch.setattr(SessionStore, "sessions", listed)
        with Store(db_url) as other:  # the other laptop corrects a visit now
            other.move_session(2, "P-0043")
        return found

    monkeypatch.setattr(SessionStore, "sessions", sessions_then_moved)
    out = tmp_path / "p-0042.json"
    code, _, err = hiprom("subjects", "export", "P-0042", "-o", str(out), "--db", db_url)
    assert code == 0, err
    items = json.loads(out.read_text())
    assert [(i["session"]["id"], i["subject"]["pseudonym"]) for i in items] == [(1, "P-0042"), (2, "P-0042")]
    with Store(db_url) as after:
        assert after.session(2, with_analysis=False).subject == "P-0043"
