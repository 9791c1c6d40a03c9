"""A real consumer process (`flask --app app jobs-worker`) on each job storage we ship (Huey's
SQLite storage; Huey's PostgreSQL storage on TEST_DATABASE_URL) runs a real customer import end
to end; a consumer killed (kill -9) in the middle of an import leaves nothing written, the next
consumer marks the job failed with a message, and running it again imports every row."""
from pathlib import Path

from sqlalchemy import func, select

from models import Customer, Job, User, db
from services.platform import jobs
from services.registers import customer_import as ci
from tests.factories import AuthActions, csrf_from, customers_csv, make_user, upload_for_import
from tests.integration.conftest import wait_until


def _submit(app, user_id: int, rows: int, name: str) -> int:
    with app.app_context():
        path = upload_for_import(app, customers_csv(rows), name)
        job = ci.start_import_job(db.session, app.extensions["jobs"].enqueue, db.session.get(User, user_id), path,
                                  name, update=False, valid_only=False, default_kind=None)
        return job.id


def _job(app, job_id: int) -> dict:
    """The job's row as the database has it now (a fresh session: nothing cached), with its
    live progress."""
    with app.app_context():
        try:
            job = db.session.get(Job, job_id)
            done, total = jobs.live_progress(job)
            return {"status": job.status, "error": job.error, "worker": job.worker, "summary": job.summary, "done": done, "total": total,
                    "result": str(jobs.result_file(job) or "")}
        finally:
            db.session.remove()


def _customers(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(Customer))
        finally:
            db.session.remove()


def test_a_consumer_process_runs_an_import_job_end_to_end(stack):
    app = stack.app
    user_id = make_user(app, "anna", {"customer.view", "customer.create"})
    assert stack.storage_tables() == set()  # a new installation: no job storage yet
    consumer = stack.consumer()
    assert stack.storage_tables() >= ({"task", "schedule", "kv"} if stack.kind == "sqlite" else
                                      {"huey_task", "huey_schedule", "huey_kv"})  # made by the consumer
    job_id = _submit(app, user_id, 300, "kunder.csv")
    state = wait_until(lambda: (s := _job(app, job_id))["status"] in ("done", "failed", "cancelled") and s, 60,
                       "the import job to end")
    assert state["status"] == "done", (state, stack.logs())
    assert state["worker"].endswith(f" {consumer.popen.pid}")  # run by the consumer process
    assert state["summary"] == "Skapade: 300, uppdaterade: 0, oförändrade: 0, överhoppade: 0"
    assert (state["done"], state["total"]) == (300, 300)
    assert _customers(app) == 300
    lines = Path(state["result"]).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Blad;Rad;Resultat;Fel" and len(lines) == 301 and lines[1].endswith(";skapad;")


def test_a_killed_consumer_writes_nothing_and_the_next_fails_the_job_which_runs_again(stack):
    app = stack.app
    user_id = make_user(app, "anna", {"customer.view", "customer.create"})
    consumer = stack.consumer()
    rows = 3000
    job_id = _submit(app, user_id, rows, "stor.csv")
    # in the middle of the writing: some batches flushed in the job's transaction, not committed
    wait_until(lambda: _job(app, job_id)["done"] > 0, 120, "the import to report progress")
    consumer.kill()
    state = _job(app, job_id)
    assert state["status"] == "running" and 0 < state["done"] < rows, state  # killed before its end
    assert _customers(app) == 0

    stack.consumer()  # at its start it fails the jobs whose consumer is gone
    state = wait_until(lambda: (s := _job(app, job_id))["status"] != "running" and s, 30,
                       "the new consumer to fail the abandoned job")
    assert state["status"] == "failed"
    assert state["error"] == ("Jobbet stoppades innan det var klart (dess arbetsprocess stoppades); "
                              "ingenting skrevs. Starta det igen.")
    assert _customers(app) == 0

    client = app.test_client()  # "Start again" on the Jobs page
    auth = AuthActions(client)
    auth.login("anna")
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert f'action="/admin/jobs/{job_id}/again"' in page and state["error"] in page
    response = client.post(f"/admin/jobs/{job_id}/again", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with app.app_context():
        again = db.session.scalar(select(func.max(Job.id)))
        db.session.remove()
    assert again != job_id
    state = wait_until(lambda: (s := _job(app, again))["status"] in ("done", "failed", "cancelled") and s, 120,
                       "the job started again to end")
    assert state["status"] == "done", state
    assert _customers(app) == rows
    assert _job(app, job_id)["status"] == "failed"  # the first stays as it ended
