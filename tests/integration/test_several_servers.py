"""Several machines (issue 11 item 8): two app servers (two gunicorn processes on two ports) and
one consumer process on one PostgreSQL database, one job storage (Huey's PostgreSQL storage in
that database), one files directory and one SECRET_KEY. A log-in on A is valid on B; an import
uploaded through A is run by the consumer and followed through B; a customer file uploaded
through A downloads through B."""
import re

import pytest
import requests
from sqlalchemy import func, select

from models import Customer, CustomerFile, Job, db
from tests.factories import PASSWORD, PDF, customers_csv, make_user
from tests.factories import customer as customer_builder
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.pg

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf(response: requests.Response) -> str:
    assert response.status_code == 200, (response.url, response.status_code)
    tokens = TOKEN.findall(response.text)
    assert tokens, f"no CSRF token on {response.url}"
    return tokens[-1]


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_two_app_servers_and_one_consumer_share_sessions_jobs_and_files(request, stack):
    app = stack.app
    make_user(app, "admin", admin=True, full_name="Admin Istratör")
    with app.app_context():
        customer_id = customer_builder(db.session, "500", "Bilia AB").id
        db.session.commit()
    consumer = stack.consumer()
    a, b = stack.servers(2)

    # a log-in on A is valid on B: the session is a cookie signed with the shared SECRET_KEY
    on_a, on_b = requests.Session(), requests.Session()
    request.addfinalizer(on_a.close)
    request.addfinalizer(on_b.close)
    response = on_a.post(f"{a}/login", data={"username": "admin", "password": PASSWORD,
                                             "csrf_token": csrf(on_a.get(f"{a}/login"))}, allow_redirects=False)
    assert response.status_code == 302 and "/admin" in response.headers["Location"], response.text[:500]
    assert requests.get(f"{b}/admin/", allow_redirects=False).status_code == 302  # without it: to the log-in
    on_b.cookies.update(on_a.cookies)
    response = on_b.get(f"{b}/admin/", allow_redirects=False)
    assert response.status_code == 200 and "Admin Istratör" in response.text

    # an import uploaded and started through A, run by the consumer, followed through B
    rows = 3000
    page = on_a.get(f"{a}/admin/customer-import/")
    response = on_a.post(f"{a}/admin/customer-import/upload", data={"csrf_token": csrf(page)},
                         files={"file": ("kunder.csv", customers_csv(rows), "text/csv")})
    assert response.status_code == 200 and 'id="run-form"' in response.text, response.text[-2000:]
    form = {"csrf_token": csrf(response), "token": hidden(response.text, "token"),
            "suffix": hidden(response.text, "suffix"), "kind": "", "update": "0", "mode": "all"}
    response = on_a.post(f"{a}/admin/customer-import/run", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 202, response.text
    status_url = response.json()["status_url"]
    seen = []

    def ended():
        state = on_b.get(f"{b}{status_url}", headers={"Accept": "application/json"}).json()
        seen.append(state)
        return state["ended"] and state
    state = wait_until(ended, 120, "the import to end, seen through B", interval=0.05)
    assert state["status"] == "done", (state, stack.logs())
    assert (state["done"], state["total"], state["percent"]) == (rows, rows, 100)
    assert any(s["status"] == "running" for s in seen), [s["status"] for s in seen]
    progress = [s["done"] for s in seen if s["status"] == "running"]
    assert progress == sorted(progress)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == rows + 1
        assert db.session.get(Job, state["id"]).worker.endswith(f" {consumer.popen.pid}")  # not a web server
    result = on_b.get(f"{b}{state['result_url']}")  # the result file too, written by the consumer
    assert result.status_code == 200
    assert result.content.decode("utf-8-sig").splitlines()[0] == "Blad;Rad;Resultat;Fel"

    # a customer file uploaded through A downloads through B (one files directory)
    card = on_a.get(f"{a}/admin/customer/details/?id={customer_id}")
    response = on_a.post(f"{a}/admin/customer/files/upload/", data={"csrf_token": csrf(card), "customer_id": customer_id},
                         files={"file": ("Avtal.pdf", PDF, "application/pdf")}, allow_redirects=False)
    assert response.status_code == 302
    with app.app_context():
        file_id = db.session.scalar(select(CustomerFile.id).where(CustomerFile.customer_id == customer_id))
    assert file_id is not None
    download = on_b.get(f"{b}/admin/customer/files/{file_id}/")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "Avtal.pdf" in on_b.get(f"{b}/admin/customer/tab/?id={customer_id}&tab=files").text  # the Files tab
