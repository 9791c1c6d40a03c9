"""Jobs (jobb): long work a user starts, run by the job queue's consumer, seen on the Jobs page.

The life of a job, as plain functions over a session (testable without Huey):
``submit`` (a row, queued, then the queue's task) -> ``start_job`` (running, by whom) -> the
work, which calls ``report_progress`` -> ``finish`` (done, summary, result file) or ``fail``
(the message in the user's language) or, when the user asked for it, cancelled. ``run`` is all of
it for one job and is what the queue's task calls. The user is notified when the job ends.

The work of a kind is a handler ``func(session, job) -> Outcome`` declared with ``handler(kind)``
in its own service module; it does all its writes in the session's one transaction and leaves
the commit to ``run``: a job that fails, is cancelled or whose consumer is killed writes nothing.

Live progress and a cancel request are files beside the job's result (``FILES_DIR/jobs/<id>/``),
not the job's row: on SQLite the work's transaction holds the database's write lock until it
ends, so nothing else could write the row meanwhile. The files directory is shared by every
machine (README), so any app server reads the progress of a job any consumer runs. The progress
file is touched at least every HEARTBEAT seconds while the job runs; a running job whose process
is gone (on this machine) or whose file is older than STALE is failed by ``fail_abandoned``."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Job, User, utcnow
from services import DomainError
from services.platform.notifications import notify

log = logging.getLogger(__name__)

JOBS_PAGE = "/admin/jobs/"
HEARTBEAT = 5.0  # seconds between touches of a running job's progress file
STALE = 60.0  # a running job whose progress file is older than this has lost its process


class JobCancelled(Exception):
    """Raised inside the work by report_progress when the user cancelled the job."""


@dataclass
class Outcome:
    """What a job's work gives back: a short summary for the user and, maybe, a result file
    (a path under the job's folder, ``job_dir(job.id)``) with the name it is downloaded as."""

    summary: str
    result_path: Path | None = None
    result_name: str | None = None
    remove: tuple[Path, ...] = ()  # files the work no longer needs once its writes are committed
    # run once the work and the job's end are committed (e.g. put the e-mails the work queued on
    # the job queue); a failure here is logged, the work stays done
    after: Callable[[], None] | None = None


HANDLERS: dict[str, Callable[[Session, Job], Outcome]] = {}
# names of the kinds, in the user's language when asked (the Jobs page)
KIND_LABELS: dict[str, Callable[[], str]] = {}
# the rights a user needs to start a job of a kind with given params (to run it again)
KIND_RIGHTS: dict[str, Callable[[dict], list[str]]] = {}
STATUS_LABELS = {"queued": _l("Queued"), "running": _l("Running"), "done": _l("Done"), "failed": _l("Failed"),
                 "cancelled": _l("Aborted")}


def handler(kind: str, label: Callable[[], str], rights: Callable[[dict], list[str]] = lambda params: []):
    """Declare ``func(session, job) -> Outcome`` as the work of jobs of ``kind``; ``rights(params)``
    are those a user needs to start one."""
    def decorator(func):
        HANDLERS[kind] = func
        KIND_LABELS[kind] = label
        KIND_RIGHTS[kind] = rights
        return func
    return decorator


def may_start(user: User, kind: str, params: dict) -> bool:
    return kind in HANDLERS and all(user.has_right(r) for r in KIND_RIGHTS[kind](params))


def run_again(session: Session, enqueue: Callable, user: User, job_id: int) -> Job:
    """A new job with the params of an ended job that did not get done (failed, cancelled)."""
    job = session.get(Job, job_id)
    if job is None or not may_see(user, job):
        raise PermissionError(job_id)
    if job.status not in ("failed", "cancelled"):
        raise DomainError(_("Only a failed or cancelled job can be started again."))
    if not may_start(user, job.kind, job.params):
        raise PermissionError(job_id)
    return submit(session, enqueue, job.kind, user, dict(job.params), total=job.progress_total)


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return label() if label else kind


# ---- files of a job ------------------------------------------------------------------------

def files_dir() -> Path:
    return Path(current_app.config["FILES_DIR"]) if has_app_context() else Path("instance/files")


def job_dir(job_id: int, create: bool = False) -> Path:
    path = files_dir() / "jobs" / str(int(job_id))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def _progress_file(job_id: int) -> Path:
    return job_dir(job_id) / "progress"


def _cancel_file(job_id: int) -> Path:
    return job_dir(job_id) / "cancel"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def result_file(job: Job) -> Path | None:
    """The job's result file on disk, or None when it has none (or it is gone)."""
    if not job.result_path:
        return None
    path = files_dir() / job.result_path
    return path if path.is_file() else None


# ---- rights --------------------------------------------------------------------------------

def may_see(user: User, job: Job) -> bool:
    """A user sees (and downloads, cancels) their own jobs; an administrator every job."""
    return bool(user and (user.is_admin or job.user_id == user.id))


def visible(session: Session, user: User, limit: int = 200) -> list[Job]:
    stmt = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if not user.is_admin:
        stmt = stmt.where(Job.user_id == user.id)
    return list(session.scalars(stmt))


def get_visible(session: Session, user: User, job_id: int) -> Job | None:
    """The job if ``user`` may see it; None when it does not exist; PermissionError otherwise."""
    job = session.get(Job, job_id)
    if job is None:
        return None
    if not may_see(user, job):
        raise PermissionError(job_id)
    return job


# ---- the life of a job ---------------------------------------------------------------------

@contextmanager
def in_language_of(user: User | None):
    """Texts made inside are in ``user``'s language (also in the consumer, outside a request)."""
    if user is None or not user.language or not has_app_context():
        yield
        return
    with force_locale(user.language):
        yield


def worker_name() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def submit(session: Session, enqueue: Callable, kind: str, user: User, params: dict,
           total: int | None = None) -> Job:
    """A queued job of ``kind`` for ``user`` (committed), and its task on the queue. When the
    queue does not take it, the row is deleted again and DomainError tells the user: nothing is
    half-started."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for jobs of kind {kind!r}")
    job = Job(kind=kind, user_id=user.id, status="queued", params=params, progress_total=total)
    session.add(job)
    session.commit()  # the consumer may take the task at once: the row must be there
    from services.platform.job_queue import QueueUnavailable

    try:
        enqueue("run_job", job.id)
    except QueueUnavailable as exc:
        log.warning("job %s not queued: %s", job.id, exc)
        session.delete(job)
        session.commit()
        raise DomainError(_("The job queue does not answer, so nothing was started. Try again in a "
                            "moment; if it goes on, tell your administrator.")) from exc
    return job


def start_job(session: Session, job_id: int, worker: str | None = None) -> Job | None:
    """Mark a queued job running (committed) and return it; None when it is not queued (cancelled
    before it started, or taken by another consumer)."""
    taken = session.execute(
        update(Job).where(Job.id == job_id, Job.status == "queued")
        .values(status="running", started_at=utcnow(), worker=worker or worker_name(), progress_done=0)
    ).rowcount
    session.commit()
    if not taken:
        return None
    job = session.get(Job, job_id)
    session.refresh(job)
    _write_atomic(_progress_file(job_id), f"0 {job.progress_total or 0}")
    return job


def report_progress(job: Job, done: int, total: int | None) -> None:
    """The work has done ``done`` of ``total``; raises JobCancelled when the user cancelled."""
    _write_atomic(_progress_file(job.id), f"{int(done)} {int(total or 0)}")
    if _cancel_file(job.id).exists():
        raise JobCancelled(job.id)


def live_progress(job: Job) -> tuple[int, int | None]:
    """(done, total) of a job: a running job's from its progress file, else the row's."""
    if job.status == "running":
        try:
            done, total = (int(x) for x in _progress_file(job.id).read_text().split())
            return done, total or job.progress_total
        except (OSError, ValueError):
            pass
    return job.progress_done, job.progress_total


def _notify_end(session: Session, job: Job) -> None:
    if job.user is None:
        return
    with in_language_of(job.user):
        label = kind_label(job.kind)
        message = {
            "done": _("%(job)s is done: %(summary)s", job=label, summary=job.summary or ""),
            "failed": _("%(job)s failed: %(error)s", job=label, error=job.error or ""),
            "cancelled": _("%(job)s was cancelled; nothing was written.", job=label),
        }[job.status]
    notify(session, job.user, message[:500], f"{JOBS_PAGE}#job-{job.id}")


def _end(session: Session, job_id: int, status: str, **values) -> Job | None:
    """Write a job's end (committed) unless it has ended already; notify its user."""
    job = session.get(Job, job_id)
    if job is None:
        return None
    session.refresh(job)
    if job.ended:
        return job
    for key, value in values.items():
        setattr(job, key, value)
    job.status = status
    job.finished_at = utcnow()
    _notify_end(session, job)
    session.commit()
    for path in (_progress_file(job_id), _cancel_file(job_id)):
        path.unlink(missing_ok=True)
    return job


def finish(session: Session, job: Job, outcome: Outcome) -> Job:
    """The work is done: its writes and the job's end are committed together."""
    done, total = live_progress(job)
    result_path = None
    if outcome.result_path is not None:
        result_path = str(Path(outcome.result_path).resolve().relative_to(files_dir().resolve()))
    total = total if total is not None else done
    ended = _end(session, job.id, "done", summary=outcome.summary[:500], result_path=result_path,
                 result_name=outcome.result_name, progress_done=total, progress_total=total)
    for path in outcome.remove:
        Path(path).unlink(missing_ok=True)
    if outcome.after is not None:
        try:
            outcome.after()
        except Exception:
            log.exception("job %s: the work after the commit failed", job.id)
    return ended


def fail(session: Session, job_id: int, message: str) -> Job | None:
    """The job failed with ``message`` (for the user); whatever its work wrote is rolled back."""
    session.rollback()
    job = session.get(Job, job_id)
    done, total = live_progress(job) if job else (0, None)
    return _end(session, job_id, "failed", error=message, progress_done=done, progress_total=total)


def cancel(session: Session, user: User, job_id: int) -> Job:
    """Cancel a job: a queued one at once, a running one at its work's next progress report
    (its writes are rolled back). Only its user or an administrator may."""
    job = session.get(Job, job_id)
    if job is None or not may_see(user, job):
        raise PermissionError(job_id)
    if job.ended:
        raise DomainError(_("The job has ended already."))
    cancelled = session.execute(
        update(Job).where(Job.id == job_id, Job.status == "queued")
        .values(status="cancelled", finished_at=utcnow())).rowcount
    if cancelled:
        session.refresh(job)
        _notify_end(session, job)
        session.commit()
        return job
    session.rollback()
    _write_atomic(_cancel_file(job_id), str(user.id))  # the running work sees it and stops
    return job


class _Heartbeat:
    """Touches a running job's progress file every HEARTBEAT seconds (a long step without
    progress reports still shows the job alive)."""

    def __init__(self, job_id: int):
        self.path = _progress_file(job_id)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"job-{job_id}-heartbeat")

    def _beat(self):
        while not self.stop.wait(HEARTBEAT):
            try:
                os.utime(self.path)
            except OSError:
                pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def run(session: Session, job_id: int) -> Job | None:
    """Run one job from start to end (what the queue's task calls): start it, run its kind's
    work, commit the work with the job's end, or roll it back and record why."""
    job = start_job(session, job_id)
    if job is None:
        return None
    return execute(session, job)


def execute(session: Session, job: Job) -> Job | None:
    """Run a started job's work and record its end (``run`` without the start)."""
    job_id = job.id
    session.info["user_id"] = job.user_id  # history rows name the user who started the job
    try:
        with _Heartbeat(job_id), in_language_of(job.user):
            outcome = HANDLERS[job.kind](session, job)
            return finish(session, job, outcome)
    except JobCancelled:
        session.rollback()
        return _end(session, job_id, "cancelled")
    except DomainError as exc:
        return fail(session, job_id, exc.message)
    except Exception:
        log.exception("job %s (%s) failed", job_id, job.kind)
        session.rollback()
        user = session.get(Job, job_id).user
        with in_language_of(user):
            message = _("The job stopped on an unexpected error; nothing was written. Start it again; "
                        "if it fails again, tell your administrator.")
        return fail(session, job_id, message)
    finally:
        session.info.pop("user_id", None)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned(job: Job, now: float | None = None) -> bool:
    """True for a running job whose process is gone: on this machine its pid is not alive; on
    any machine its progress file has not been touched for STALE seconds."""
    if job.status != "running":
        return False
    host, _sep, pid = (job.worker or "").rpartition(" ")
    if host == socket.gethostname() and pid.isdigit() and not _process_alive(int(pid)):
        return True
    try:
        age = (now or time.time()) - _progress_file(job.id).stat().st_mtime
    except OSError:
        started = job.started_at or job.created_at
        age = (utcnow() - started).total_seconds()
    return age > STALE


def fail_abandoned(session: Session, jobs: list[Job] | None = None) -> list[Job]:
    """Fail the running jobs whose process is gone (a consumer killed or its machine down):
    their work wrote nothing, as it was never committed. Returns the jobs failed."""
    if jobs is None:
        jobs = list(session.scalars(select(Job).where(Job.status == "running")))
    failed = []
    for job in jobs:
        if not abandoned(job):
            continue
        with in_language_of(job.user):
            message = _("The job stopped before it was done (its worker was stopped); nothing was "
                        "written. Start it again.")
        ended = _end(session, job.id, "failed", error=message)
        if ended is not None:
            failed.append(ended)
    return failed

