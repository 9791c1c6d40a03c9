"""Jobs (services.platform.jobs) without a consumer: the life of a job as plain functions over a session,
with the customer import as the work. The queue is the app's real one (Huey's SQLite storage in
the test's instance/), read but not consumed here; tests/unit/test_jobs_consumer.py runs a
consumer process."""
import os
import time

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app import create_app
from models import Customer, Job, Notification, User, db
from services import DomainError
from services.platform import jobs
from services.registers import customer_import as ci
from tests.conftest import _config
from tests.factories import customers_csv, upload_for_import, user


def _customers(session) -> int:
    return session.scalar(select(func.count()).select_from(Customer))


@pytest.fixture
def office(session):
    u = user(session, "ulla", {"customer.create", "customer.edit", "customer.view"}, language="en")
    session.commit()
    return u


def _submit(app, session, office, data, valid_only=False, name="import.csv"):
    path = upload_for_import(app, data, name)
    return ci.start_import_job(session, app.extensions["jobs"].enqueue, office, path, name, update=False,
                               valid_only=valid_only, default_kind=None)


def test_a_started_import_is_queued_and_run_writes_it_with_its_result(app, session, office):
    job = _submit(app, session, office, customers_csv(600))
    assert job.status == "queued" and job.user_id == office.id
    assert app.extensions["jobs"].huey.pending_count() == 1  # the task is on the real queue
    assert _customers(session) == 0

    jobs.run(session, job.id)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "done", job.error
    assert (job.progress_done, job.progress_total) == (600, 600)
    assert job.started_at and job.finished_at and job.started_at <= job.finished_at
    assert job.summary == "Created: 600, updated: 0, unchanged: 0, skipped: 0"  # in the user's language
    assert _customers(session) == 600
    result = jobs.result_file(job)
    assert result is not None and job.result_name == f"customer-import-{job.id}.csv"
    lines = result.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Sheet;Row;Result;Errors" and len(lines) == 601 and lines[1].endswith(";created;")
    assert not (jobs.files_dir() / "imports" / "import.csv").exists()  # the upload goes once imported
    note = session.scalar(select(Notification).where(Notification.user_id == office.id))
    assert note.message == "Customer import is done: " + job.summary and note.link == f"/admin/jobs/#job-{job.id}"


def test_an_import_with_errors_fails_with_the_message_and_writes_nothing(app, session, office):
    job = _submit(app, session, office, customers_csv(20, bad_rows=(3, 7)))
    jobs.run(session, job.id)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed"
    assert job.error == "2 rows have errors; nothing was imported."
    assert _customers(session) == 0 and jobs.result_file(job) is None
    note = session.scalar(select(Notification).where(Notification.user_id == office.id))
    assert note.message.startswith("Customer import failed: 2 rows have errors")
    assert (jobs.files_dir() / "imports" / "import.csv").exists()  # kept: it can be run again

    again = jobs.run_again(session, app.extensions["jobs"].enqueue, office, job.id)
    again.params = {**again.params, "valid_only": True}  # as "import the valid rows only" would
    session.commit()
    jobs.run(session, again.id)
    session.expire_all()
    assert session.get(Job, again.id).status == "done" and _customers(session) == 18


def test_a_queued_job_cancelled_never_runs(app, session, office):
    job = _submit(app, session, office, customers_csv(5))
    jobs.cancel(session, office, job.id)
    assert session.get(Job, job.id).status == "cancelled"
    assert jobs.run(session, job.id) is None  # the consumer takes the task and does nothing
    assert _customers(session) == 0
    with pytest.raises(DomainError, match="redan avslutat"):
        jobs.cancel(session, office, job.id)


def test_a_running_import_cancelled_is_rolled_back(app, session, office):
    job = _submit(app, session, office, customers_csv(600))
    job = jobs.start_job(session, job.id)
    assert job.status == "running"
    jobs.cancel(session, office, job.id)  # a running job: asked to stop at its next step
    assert session.get(Job, job.id).status == "running"
    jobs.execute(session, job)
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "cancelled" and job.finished_at is not None
    assert _customers(session) == 0


def test_only_its_user_or_an_administrator_sees_or_cancels_a_job(app, session, office):
    other = user(session, "olle", {"customer.create"})
    boss = user(session, "boss", admin=True)
    session.commit()
    job = _submit(app, session, office, customers_csv(3))
    assert jobs.may_see(office, job) and jobs.may_see(boss, job) and not jobs.may_see(other, job)
    assert [j.id for j in jobs.visible(session, other)] == []
    assert [j.id for j in jobs.visible(session, boss)] == [job.id]
    with pytest.raises(PermissionError):
        jobs.get_visible(session, other, job.id)
    with pytest.raises(PermissionError):
        jobs.cancel(session, other, job.id)
    with pytest.raises(PermissionError):
        jobs.run_again(session, app.extensions["jobs"].enqueue, other, job.id)
    assert session.get(Job, job.id).status == "queued"


def test_a_running_job_whose_process_is_gone_is_failed(app, session, office):
    job = _submit(app, session, office, customers_csv(3))
    job = jobs.start_job(session, job.id, worker=f"{jobs.socket.gethostname()} 999999999")  # no such pid
    alive = _submit(app, session, office, customers_csv(3, start=40000), name="b.csv")
    alive = jobs.start_job(session, alive.id)  # this process: alive, its progress file fresh
    failed = jobs.fail_abandoned(session)
    assert [j.id for j in failed] == [job.id]
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed" and job.error.startswith("The job stopped before it was done")
    assert session.get(Job, alive.id).status == "running"
    # on another machine the age of the progress file tells: older than STALE is gone
    alive.worker = "another-host 1"
    session.commit()
    assert not jobs.abandoned(alive)
    old = time.time() - jobs.STALE - 5
    os.utime(jobs.job_dir(alive.id) / "progress", (old, old))
    assert jobs.abandoned(alive)


def test_the_failure_message_is_in_the_users_language(app, session, office):
    office.language = "sv"
    session.commit()
    job = _submit(app, session, office, customers_csv(4, bad_rows=(0,)))
    with force_locale("en"):
        jobs.run(session, job.id)
    session.expire_all()
    assert session.get(Job, job.id).error == "1 rader har fel; ingenting importerades."


def test_a_queue_that_does_not_answer_starts_nothing(request, tmp_path, backend, session, office):
    config = {**app_config(request, tmp_path), "JOBS_URL": f"sqlite:///{tmp_path}/no/such/folder/jobs.sqlite"}
    down = create_app(config)
    with down.app_context():
        clerk = db.session.get(User, office.id)
        path = upload_for_import(down, customers_csv(2))
        with pytest.raises(DomainError, match="Jobbkön svarar inte"):
            ci.start_import_job(db.session, down.extensions["jobs"].enqueue, clerk, path, "import.csv",
                                update=False, valid_only=False, default_kind=None)
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
        assert not down.extensions["jobs"].available()
        db.session.remove()


def app_config(request, tmp_path) -> dict:
    app = request.getfixturevalue("app")
    return _config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)


def test_the_work_after_the_commit_runs_once_the_job_is_done_and_a_failure_there_keeps_it(app, session, office):
    """Outcome.after (the reminder e-mails put on the queue once their outbox rows are committed):
    it runs after the commit (it sees the job done in a session of its own) and, when it fails,
    the job and its work stay done."""
    seen = []

    def after():
        with app.app_context():
            other = db.session.get(Job, job_id)
            seen.append((other.status, _customers(db.session)))
        raise RuntimeError("the queue is away")

    def work(session_, job_):
        session_.add(Customer(customer_number="A-1", name="Efter AB", kind="company"))
        return jobs.Outcome("done", after=after)

    jobs.handler("test_after", label=lambda: "Test")(work)
    try:
        job_id = jobs.submit(session, app.extensions["jobs"].enqueue, "test_after", office, {}).id
        jobs.run(session, job_id)
    finally:
        jobs.HANDLERS.pop("test_after", None)
        jobs.KIND_LABELS.pop("test_after", None)
        jobs.KIND_RIGHTS.pop("test_after", None)
    session.expire_all()
    assert seen == [("done", 1)]
    assert session.get(Job, job_id).status == "done" and _customers(session) == 1
