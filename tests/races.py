"""Races made real on PostgreSQL: N threads start at one moment while a third transaction holds
what they all need, uncommitted; only once all N wait inside the database does it let go, so
they truly overlap (on SQLite, without a holder, they only start together)."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session


def waiting_on_locks(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar_one()


def race(engine, n: int, work: Callable[[int], object], hold: Callable[[Session], object] | None = None) -> list:
    """``work(i)`` in ``n`` threads at once; with ``hold``, a session runs it first and keeps its
    transaction open until the ``n`` wait on locks. Each thread's return value or exception."""
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait(timeout=30)
        try:
            results[i] = work(i)
        except Exception as exc:  # the caller asserts on it
            results[i] = exc

    blocker = Session(engine) if hold is not None else None
    if blocker is not None:
        hold(blocker)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    try:
        if blocker is not None:
            deadline = time.monotonic() + 60
            while waiting_on_locks(engine) < n and time.monotonic() < deadline:
                pass
            assert waiting_on_locks(engine) >= n
    finally:
        if blocker is not None:
            blocker.rollback()
            blocker.close()
        for t in threads:
            t.join(60)
    return results
