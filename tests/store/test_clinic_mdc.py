"""The clinic's MDC from its re-tests alone, on SQLite and PostgreSQL, and never stale."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from hiprom.store import Store
from hiprom.validation import MIN_RETEST_SUBJECTS, mdc_in_force, retest_pairs


def _save(store: Store, analysis: dict, subject: str | None, when: str, figs, video: str | None = None) -> int:
    a = copy.deepcopy(analysis)
    a["recording_sha256"] = video
    for k, side in enumerate(("left", "right")):
        a["sides"][side]["internal_rotation_deg"] = float(figs[2 * k])
        a["sides"][side]["external_rotation_deg"] = float(figs[2 * k + 1])
    return store.save_analysis(a, subject=subject, recorded_utc=when).id


@pytest.mark.usefixtures("sydney_clock")
def test_the_mdc_reads_the_retests_and_finds_every_pair_that_all_sessions_give(db_url: str,
                                                                            fixture_analysis: dict) -> None:
    """A trend, a re-test table and a report each read the figures of every session of the clinic for its
    MDC (0.9-1.8 s of a trend's 2.2 s at 10,000 sessions). Now they read the sessions with another of the
    same person within two days, and those of the same recording: the same pairs, also across midnight
    UTC (a Sydney morning), with a re-analysis stored without a subject, and after exercises."""
    rng = np.random.default_rng(3)
    with Store(db_url) as store:
        _save(store, fixture_analysis, "A", "2026-03-01T23:30:00Z", rng.uniform(20, 50, 4), f"{1:064x}")
        _save(store, fixture_analysis, "A", "2026-03-02T00:10:00Z", rng.uniform(20, 50, 4), f"{2:064x}")  # same visit
        _save(store, fixture_analysis, "A", "2026-04-02T00:10:00Z", rng.uniform(20, 50, 4), f"{3:064x}")  # alone
        _save(store, fixture_analysis, None, "2026-02-01T09:00:00Z", rng.uniform(20, 50, 4), f"{4:064x}")
        _save(store, fixture_analysis, "B", "2026-03-05T09:00:00Z", rng.uniform(20, 50, 4), f"{4:064x}")  # again
        _save(store, fixture_analysis, "B", "2026-03-05T09:30:00Z", rng.uniform(20, 50, 4), f"{5:064x}")
        _save(store, fixture_analysis, "C", "2026-03-05T01:00:00Z", rng.uniform(20, 50, 4))
        _save(store, fixture_analysis, "C", "2026-03-05T22:00:00Z", rng.uniform(20, 50, 4))  # the next day there
        _save(store, fixture_analysis, "D", "2026-03-06T09:00:00Z", rng.uniform(20, 50, 4))
        _save(store, fixture_analysis, "D", "2026-03-06T09:20:00Z", rng.uniform(20, 50, 4))
        _save(store, fixture_analysis, "D", "2026-03-06T09:40:00Z", rng.uniform(20, 50, 4))
        every = retest_pairs(store.figures())
        assert {p.subject for p in every} == {"A", "D"}  # B's first is a re-analysis; C's are two days there
        read = store.retest_figures()
        assert retest_pairs(read) == every
        # A's first two, B's two with the recording of B's first stored before, C's two and D's three
        assert len(read) == 10


def test_a_retest_saved_by_another_program_is_in_the_mdc_at_once(db_url: str, fixture_analysis: dict) -> None:
    """Two laptops on one store: the re-test saved on the second moves the MDC the first gives next."""
    rng = np.random.default_rng(4)
    with Store(db_url) as first, Store(db_url) as second:
        for i in range(MIN_RETEST_SUBJECTS - 1):
            truth = rng.uniform(20, 50, 4)
            for minute in (0, 30):
                _save(first, fixture_analysis, f"R-{i}", f"2026-05-01T09:{minute:02d}:00Z",
                      truth + rng.normal(0, 1.0, 4))
        before = mdc_in_force(first)
        assert (before.source, before.n_subjects) == ("published", MIN_RETEST_SUBJECTS - 1)
        truth = rng.uniform(20, 50, 4)
        _save(second, fixture_analysis, "R-last", "2026-05-02T09:00:00Z", truth)
        assert mdc_in_force(first).n_subjects == MIN_RETEST_SUBJECTS - 1
        last = _save(second, fixture_analysis, "R-last", "2026-05-02T09:30:00Z", truth + 1.0)
        now = mdc_in_force(first)
        assert (now.source, now.n_subjects) == ("clinic", MIN_RETEST_SUBJECTS)
        second.delete_session(last)
        assert mdc_in_force(first).n_subjects == MIN_RETEST_SUBJECTS - 1


def test_the_mdc_reads_no_session_in_full_on_sqlite(tmp_path, fixture_analysis: dict) -> None:
    """At 10,000 sessions the MDC of every trend, re-test table and report took 0.11-0.14 s of SQLite reading
    each session's whole row (its analysis too) twice, for the sessions of a re-tested recording (no index of
    the fingerprint) and for those with another the same days. Now it searches indexes only (schema version 9:
    0.04-0.05 s): SQLite's own plan of the query scans no session row."""
    from sqlalchemy import event

    rng = np.random.default_rng(5)
    with Store(tmp_path / "clinic.db") as store:
        for i in range(3):
            for minute in (0, 30):
                _save(store, fixture_analysis, f"R-{i}", f"2026-05-01T09:{minute:02d}:00Z", rng.uniform(20, 50, 4),
                      f"{2 * i + minute:064x}")
        plan: list[str] = []

        @event.listens_for(store.engine, "before_cursor_execute")
        def explain(conn, _cursor, statement, parameters, _context, _many) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                plan.extend(step for *_ids, step in conn.connection.driver_connection.execute(
                    f"EXPLAIN QUERY PLAN {statement}", parameters))

        assert len(store.retest_figures()) == 6
    assert plan and not [step for step in plan if step.startswith("SCAN sessions") and "INDEX" not in step], plan
