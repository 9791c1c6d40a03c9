"""Periodic tasks (services.platform.tasks, scheduled work): when each one is due, and Huey's lock
that makes two consumers' runs of one schedule do the work once (services.platform.job_queue.run_once).
The queue is the app's real one (Huey's SQLite storage in the test's instance/)."""
import datetime as dt
import threading
import time

import pytest
from huey.exceptions import TaskLockedException
from sqlalchemy import func, select

from models import Order
from services.platform.job_queue import run_once
from services.platform.settings import set_setting
from services.sales import orders
from tests import sales_helpers as h


def _due(huey, when: dt.datetime) -> set[str]:
    return {task.name for task in huey.read_periodic(when)}


def test_the_schedule_of_the_periodic_tasks(app):
    huey = app.extensions["jobs"].huey
    assert _due(huey, dt.datetime(2026, 12, 3, 2, 30)) == {"fail_abandoned_jobs", "outbox_retry",
                                                           "delete_old_documents"}
    assert _due(huey, dt.datetime(2026, 12, 3, 14, 35)) == {"fail_abandoned_jobs", "outbox_retry"}
    assert _due(huey, dt.datetime(2026, 12, 3, 14, 36)) == {"fail_abandoned_jobs"}


def _old_quote(session) -> int:
    quote = orders.create_order(session, h.customer(session), kind="quote", today=dt.date(2020, 1, 1))
    set_setting(session, "sales.delete_old_automatically", True)
    session.commit()
    return quote.id


def _orders(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Order))


def test_a_periodic_task_whose_lock_is_held_by_another_consumer_does_nothing(app, session):
    queue = app.extensions["jobs"]
    queue.ready()
    _old_quote(session)
    nightly = queue.tasks["delete_old_documents"]
    with queue.huey.lock_task("delete_old_documents"):  # another consumer's run of this schedule
        with pytest.raises(TaskLockedException):
            nightly.call_local()
        assert _orders(session) == 1
    nightly.call_local()
    assert _orders(session) == 0
    assert not queue.huey.lock_task("delete_old_documents").is_locked()  # released after the work


def test_two_runs_at_once_do_the_work_once(app):
    """Two consumers' workers run the same periodic task at the same moment: the second finds
    the lock held while the first works, and skips."""
    huey = app.extensions["jobs"].huey
    app.extensions["jobs"].ready()
    started, second_tried, work_done = threading.Event(), threading.Event(), []

    def work():
        started.set()
        assert second_tried.wait(10)  # hold the lock until the other run has tried
        work_done.append(1)

    task = run_once(huey, "test_periodic", work)
    outcome = {}

    def first():
        task()
        outcome["first"] = "ran"

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    try:
        task()
        outcome["second"] = "ran"
    except TaskLockedException:
        outcome["second"] = "locked"
    second_tried.set()
    thread.join(10)
    assert outcome == {"first": "ran", "second": "locked"} and work_done == [1]
    task()  # the next schedule's run takes the lock again
    assert work_done == [1, 1]


def test_a_lock_left_by_a_killed_consumer_is_taken_over_when_stale(app):
    huey = app.extensions["jobs"].huey
    app.extensions["jobs"].ready()
    done = []
    task = run_once(huey, "test_stale", lambda: done.append(1), stale_after=600)
    lock = huey.lock_task("test_stale")
    huey.put_if_empty(lock._key, time.time() - 60)  # a run a minute ago, still going
    with pytest.raises(TaskLockedException):
        task()
    lock.clear()
    huey.put_if_empty(lock._key, time.time() - 3600)  # its consumer was killed an hour ago
    task()
    assert done == [1] and not lock.is_locked()
