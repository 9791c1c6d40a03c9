"""The SIE-export page (Bokföring > SIE-export): needs ledger.export; starts a job whose file is
downloaded from the Jobs page with the same right; a bad period is shown next to its field."""
import datetime as dt

from models import db
from services.ledger.sie_read import read_sie, verify
from services.ledger.vouchers import book_voucher, ensure_year
from tests.factories import make_user, run_jobs

URL = "/admin/ledger/sie-export/"


def _books(app):
    with app.app_context():
        ensure_year(db.session, dt.date(2026, 3, 1))
        book_voucher(db.session, "M", dt.date(2026, 3, 2), [("1930", "125.00"), ("3001", "-100.00"), ("2611", "-25.00")],
                     "Kontantförsäljning på Åre", None)
        db.session.commit()


def test_the_page_starts_a_job_and_the_file_is_downloaded_from_the_jobs_page(app, client, auth):
    _books(app)
    make_user(app, "ekonom", {"ledger.export"})
    make_user(app, "saljare", {"sales.view"})
    auth.login("saljare")
    assert client.get(URL).status_code == 403
    assert client.post(URL, data={"from": "2026-01-01", "to": "2026-12-31"}).status_code in (400, 403)
    auth.logout()

    auth.login("ekonom")
    page = client.get(URL).get_data(as_text=True)
    assert "SIE-export" in page and 'name="from"' in page
    token = auth.token(URL)
    bad = client.post(URL, data={"from": "2026-12-31", "to": "2026-01-01", "csrf_token": token})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and 'id="to-error"' in html and "slutar (2026-01-01) innan den börjar" in html
    started = client.post(URL, data={"from": "2026-01-01", "to": "2026-12-31", "checksum": "on", "csrf_token": token})
    assert started.status_code == 303 and "/admin/jobs/" in started.headers["Location"]
    assert run_jobs(app) == 1
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert "SIE-export" in page and "1 verifikationer med 3 transaktioner" in page
    job_id = int(started.headers["Location"].rsplit("job-", 1)[1])
    state = client.get(f"/admin/jobs/{job_id}/status").get_json()
    assert state["status"] == "done"
    with client.get(state["result_url"]) as download:
        assert download.status_code == 200 and "sie4-20260101-20261231.se" in download.headers["Content-Disposition"]
        sie = read_sie(download.data)
    assert verify(sie) == [] and len(sie.vouchers) == 1 and sie.checksum is not None
    assert sie.vouchers[0].text == "Kontantförsäljning på Åre"
    auth.logout()

    # the right taken away: the download is refused (the Jobs page asks the job's rights)
    with app.app_context():
        from models import RoleRight, User

        user = db.session.query(User).filter_by(username="ekonom").one()
        db.session.delete(db.session.query(RoleRight).filter_by(role_id=user.role_id, right="ledger.export").one())
        db.session.commit()
    auth.login("ekonom")
    assert client.get(f"/admin/jobs/{job_id}/result").status_code == 403
    assert client.get(URL).status_code == 403
