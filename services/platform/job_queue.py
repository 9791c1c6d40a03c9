"""The job queue: Huey, with its storage chosen by ``VERKSTAD_JOBS_URL`` (Config.JOBS_URL).

| URL | storage |
| --- | --- |
| unset | Huey's SQLite storage in ``instance/jobs.sqlite`` (embedded, nothing to install) |
| ``sqlite:///path/file.sqlite`` | Huey's SQLite storage in that file (relative to the working directory) |
| ``postgresql://user@host/db`` (also ``postgresql+psycopg://``) | Huey's PostgreSQL storage (psycopg 3, tables ``huey_*``; LISTEN/NOTIFY wakes the consumer) |
| ``redis://host:6379/0`` | Huey's Redis storage (needs ``pip install redis``) |
| ``immediate:`` | Huey's immediate mode (tasks run inside the caller, in memory): unit tests only |

The Huey object is made by ``create_app`` (one per app, nothing at import time) and kept in
``app.extensions["jobs"]``. Tasks are declared here with ``task(name)`` as plain functions; ``build``
registers each on the app's Huey under its name, wrapped in the app's context, so the web process
that enqueues and the consumer (``flask --app app jobs-worker``) that runs know the same names.
The work of a task is a function in services/ (testable without Huey): the task only calls it."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from huey import Huey, MemoryHuey
from huey.exceptions import TaskLockedException
from huey.storage import PostgresStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

QUEUE_NAME = "verkstad"
# name -> (function(*args), Huey task options): filled by the task modules (services.platform.tasks)
TASKS: dict[str, tuple[Callable, dict]] = {}


def task(name: str, schedule=None, **options):
    """Declare ``func`` as the task ``name`` (options: Huey's, e.g. retries=3, retry_delay=60);
    with ``schedule`` (a huey.crontab) a periodic task: the consumers run it once per schedule."""
    def decorator(func):
        TASKS[name] = (func, dict(options, schedule=schedule))
        return func
    return decorator


def enqueue(name: str, *args):
    """Put the task ``name`` on the current app's queue (from a request or from a task)."""
    from flask import current_app

    return current_app.extensions["jobs"].enqueue(name, *args)


class QueueUnavailable(Exception):
    """The job storage does not answer."""


def storage_for(url: str | None, instance_path: str) -> tuple[type[Huey] | None, type | None, dict]:
    """(Huey class, storage class, storage arguments) for a jobs URL. Raises ValueError on an
    unknown scheme. The storage makes no tables when built (``create_tables=False``): a queue that
    is down does not stop the app from starting; ``JobQueue.ready`` makes them on first use."""
    if not url:
        return Huey, SqliteStorage, {"filename": str(Path(instance_path) / "jobs.sqlite"), "create_tables": False}
    scheme, _, rest = url.partition(":")
    scheme = scheme.lower()
    if scheme == "immediate":
        return MemoryHuey, None, {}
    if scheme == "sqlite":
        filename = rest[3:] if rest.startswith("///") else rest.lstrip("/")
        if not filename:
            raise ValueError("VERKSTAD_JOBS_URL: sqlite:///path/to/file.sqlite names no file")
        return Huey, SqliteStorage, {"filename": filename, "create_tables": False}
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return Huey, PostgresStorage, {"dsn": "postgresql:" + rest, "create_tables": False}
    if scheme in ("redis", "rediss"):
        return Huey, RedisStorage, {"url": url}
    raise ValueError(f"VERKSTAD_JOBS_URL: unknown kind of storage {scheme!r} "
                     "(sqlite:///file, postgresql://..., redis://... or immediate:)")


@dataclass
class JobQueue:
    """The app's Huey and its tasks by name."""

    huey: Huey
    tasks: dict = field(default_factory=dict)
    _ready: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ready(self) -> None:
        """Make the storage's tables once per process (idempotent DDL); QueueUnavailable when the
        storage does not answer."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            try:
                if hasattr(self.huey.storage, "initialize_schema"):
                    self.huey.storage.initialize_schema()
            except Exception as exc:
                raise QueueUnavailable(str(exc)) from exc
            self._ready = True

    def enqueue(self, name: str, *args):
        """Put the task ``name`` with ``args`` on the queue; QueueUnavailable when it cannot."""
        self.ready()
        try:
            return self.tasks[name](*args)
        except QueueUnavailable:
            raise
        except Exception as exc:
            if self.huey.immediate:
                raise  # the task itself failed, inside the caller
            raise QueueUnavailable(str(exc)) from exc

    def available(self) -> bool:
        """True when the job storage answers (a read of the queue's length)."""
        try:
            self.ready()
            self.huey.storage.queue_size()
            return True
        except Exception:
            self._ready = False
            return False

    def close(self) -> None:
        close = getattr(self.huey.storage, "close", None)
        if close:
            close()


def build(app) -> JobQueue:
    """The app's Huey from its config, with every declared task registered under its name."""
    import services.platform.tasks  # noqa: F401  (declares the tasks)

    huey_class, storage_class, kwargs = storage_for(app.config.get("JOBS_URL"), app.instance_path)
    options = {"utc": True, "results": False}
    if huey_class is MemoryHuey:
        huey = MemoryHuey(QUEUE_NAME, immediate=True, **options)
    else:
        huey = huey_class(QUEUE_NAME, storage_class=storage_class, **options, **kwargs)
    queue = JobQueue(huey)
    for name, (func, task_options) in TASKS.items():
        task_options = dict(task_options)
        schedule = task_options.pop("schedule")
        decorate = huey.periodic_task(schedule, name=name, **task_options) if schedule else \
            huey.task(name=name, **task_options)
        work = _in_app_context(app, func)
        queue.tasks[name] = decorate(run_once(huey, name, work) if schedule else work)
    return queue


# a periodic task's lock older than this was left by a consumer killed in the middle of it
# (SQLite and PostgreSQL storage keep Huey's locks without a time to live)
PERIODIC_LOCK_STALE_AFTER = 3600


def run_once(huey: Huey, name: str, func: Callable, stale_after: float = PERIODIC_LOCK_STALE_AFTER):
    """``func`` under Huey's lock ``name`` (huey.lock_task): every consumer that runs the scheduler
    puts a periodic task on the queue, so with several consumers the runs meet; the one that takes
    the lock does the work, the others raise TaskLockedException (Huey logs "not run"). The lock
    holds the time it was taken, so one left by a killed consumer is taken over after ``stale_after``
    seconds instead of stopping the task for good."""
    lock = huey.lock_task(name)
    key = lock._key  # the storage key of Huey's lock (what lock_task and flush_locks use)

    def acquire():
        if huey.put_if_empty(key, time.time()):
            return
        taken_at = huey.get(key, peek=True)
        if isinstance(taken_at, (int, float)) and time.time() - taken_at > stale_after:
            log.warning("periodic task %s: lock taken %.0f s ago, taken over", name, time.time() - taken_at)
            lock.clear()
            if huey.put_if_empty(key, time.time()):
                return
        raise TaskLockedException(f"unable to acquire lock {name}")

    def run(*args, **kwargs):
        acquire()
        try:
            return func(*args, **kwargs)
        finally:
            lock.clear()
    run.__name__ = getattr(func, "__name__", name)
    run.lock = lock
    return run


def _in_app_context(app, func):
    def run(*args, **kwargs):
        with app.app_context():
            return func(*args, **kwargs)
    run.__name__ = func.__name__
    return run
