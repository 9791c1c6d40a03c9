"""The Jobs page (/admin/jobs/) and its endpoints: a user sees, follows, downloads and cancels
their own jobs only (another user's: 403), an administrator everyone's; the customer import
screen starts a job; /healthz reports the job queue and stays 200 without it."""
import re

import pytest

from app import create_app
from models import Job, db
from services.registers import customer_import as ci
from tests.conftest import _config
from tests.factories import csrf_from, customers_csv, make_user, run_jobs, upload_for_import


def _start_import(app, user_id: int, rows: int = 3) -> int:
    with app.app_context():
        from models import User

        path = upload_for_import(app, customers_csv(rows), f"u{user_id}.csv")
        job = ci.start_import_job(db.session, app.extensions["jobs"].enqueue, db.session.get(User, user_id), path,
                                  f"u{user_id}.csv", update=False, valid_only=False, default_kind=None)
        return job.id


@pytest.fixture
def two_users(app):
    rights = {"customer.view", "customer.create"}
    return make_user(app, "anna", rights), make_user(app, "bengt", rights)


def test_a_user_sees_follows_and_downloads_their_own_jobs_only(app, client, auth, two_users, admin_user):
    anna, bengt = two_users
    job_id = _start_import(app, anna)
    run_jobs(app)
    auth.login("anna")
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert f'id="job-{job_id}"' in page and "Kundimport" in page and "Klar" in page
    assert "Skapade: 3, uppdaterade: 0, oförändrade: 0, överhoppade: 0" in page
    state = client.get(f"/admin/jobs/{job_id}/status").get_json()
    assert state["status"] == "done" and (state["done"], state["total"], state["percent"]) == (3, 3, 100)
    with client.get(state["result_url"]) as download:
        assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
        assert download.data.decode("utf-8-sig").splitlines()[0] == "Blad;Rad;Resultat;Fel"
    auth.logout()

    auth.login("bengt")
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert f'id="job-{job_id}"' not in page and 'id="no-jobs"' in page
    assert client.get(f"/admin/jobs/{job_id}/status").status_code == 403
    assert client.get(f"/admin/jobs/{job_id}/result").status_code == 403
    token = csrf_from(page, last=False)
    assert client.post(f"/admin/jobs/{job_id}/cancel", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/admin/jobs/{job_id}/again", data={"csrf_token": token}).status_code == 403
    assert client.get("/admin/jobs/999/status").status_code == 404
    auth.logout()

    auth.login("admin")  # an administrator sees everyone's, with whose they are
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert f'id="job-{job_id}"' in page and "Anna" in page
    with client.get(f"/admin/jobs/{job_id}/result") as download:
        assert download.status_code == 200


def test_cancel_a_queued_job_needs_its_token_and_notifies(app, client, auth, two_users):
    anna, _bengt = two_users
    job_id = _start_import(app, anna)
    auth.login("anna")
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert client.post(f"/admin/jobs/{job_id}/cancel").status_code == 400  # no CSRF token
    response = client.post(f"/admin/jobs/{job_id}/cancel", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    run_jobs(app)  # the consumer takes the task and does nothing
    with app.app_context():
        assert db.session.get(Job, job_id).status == "cancelled"
    notes = client.get("/notifications/").get_json()["items"]
    assert notes[0]["message"] == "Kundimport avbröts; ingenting skrevs." and notes[0]["link"].endswith(f"#job-{job_id}")
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert "Avbruten" in page and f'action="/admin/jobs/{job_id}/again"' in page
    client.post(f"/admin/jobs/{job_id}/again", data={"csrf_token": csrf_from(page)})
    assert run_jobs(app) == 1
    with app.app_context():
        again = db.session.query(Job).order_by(Job.id.desc()).first()
        assert again.id != job_id and again.status == "done"


def _checked_and_run(client, rows: int, headers: dict | None = None):
    """The import screen's two steps: a file of ``rows`` customers checked, then "Importera"."""
    import io

    token = csrf_from(client.get("/admin/customer-import/").get_data(as_text=True))
    html = client.post("/admin/customer-import/upload", data={
        "csrf_token": token, "kind": "company", "file": (io.BytesIO(customers_csv(rows)), "k.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    run_token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    return client.post("/admin/customer-import/run", headers=headers or {}, data={
        "csrf_token": token, "token": run_token, "suffix": ".csv", "kind": "", "update": "0", "mode": "all"})


def test_the_import_screen_starts_a_job_and_follows_it(app, client, auth, admin_user):
    auth.login()
    started = _checked_and_run(client, 4)
    assert started.status_code == 202
    body = started.get_json()
    assert body["status"] == "queued" and body["jobs_url"] == f"/admin/jobs/#job-{body['id']}"
    assert client.get(body["status_url"]).get_json()["status"] == "queued"
    run_jobs(app)
    assert client.get(body["status_url"]).get_json()["summary"].startswith("Skapade: 4,")


def test_healthz_reports_the_job_queue_and_stays_200_without_it(request, tmp_path, app):
    config = {**_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path),
              "JOBS_URL": f"sqlite:///{tmp_path}/no/such/folder/jobs.sqlite"}
    down = create_app(config)
    response = down.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "jobs": "unavailable"}
    assert app.test_client().get("/healthz").get_json() == {"status": "ok", "jobs": "ok"}
    with down.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_jobs_page_is_headed_once(client, auth, admin_user):
    """The console's page title (Flask-Admin's) heads the page; the template had a second 'Jobb'."""
    auth.login()
    page = client.get("/admin/jobs/").get_data(as_text=True)
    headings = [re.sub(r"<[^>]+>|\s+", "", h) for h in re.findall(r"<h[1-6][^>]*>.*?</h[1-6]>", page, re.S)]
    assert headings.count("Jobb") == 1


def test_an_import_started_before_the_screens_script_ran_goes_to_the_jobs_page(app, client, auth, admin_user):
    """A hurried click posts the run form as the browser does (Accept: text/html): the import
    starts once and the answer is the Jobs page, not a page of JSON."""
    auth.login()
    started = _checked_and_run(client, 3, headers={"Accept": "text/html,*/*;q=0.8"})
    assert started.status_code == 302 and re.search(r"/admin/jobs/#job-\d+$", started.headers["Location"])
    assert run_jobs(app) == 1
