"""The accrual templates screen (issue 12 item 12, 20.14): a template saved from the form (errors
beside the field), "Generate" books its months once, a locked month refuses with a message;
ledger.view reads, ledger.book creates and generates."""
import datetime as dt

from sqlalchemy import func, select

from models import AccrualTemplate, Voucher, db
from services.ledger.vouchers import ensure_year, lock_through
from services.platform.rights import DEFAULT_ROLES
from tests.factories import csrf_from, make_user

URL = "/admin/ledger/accruals/"
FORM = {"name": "Hyra kv 1", "kind": "cost", "accrual_account": "1930", "result_account": "6990",
        "total": "1 250,50", "start_month": "2026-01", "months": "3"}


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_save_generate_once_and_see_what_was_booked(app, client, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    with app.app_context():
        ensure_year(db.session, dt.date(2026, 1, 1))
        db.session.commit()
    auth.login("ebba")
    page = client.get(URL).get_data(as_text=True)
    assert "Periodiseringsmallar" in page and 'id="no-templates"' in page
    token = csrf_from(page)
    bad = client.post(URL, data={"csrf_token": token, **FORM, "total": "Infinity"}).get_data(as_text=True)
    assert 'id="total-error"' in bad and "Totalbeloppet" in bad
    assert 'value="Hyra kv 1"' in bad  # what was typed stays
    assert _count(app, AccrualTemplate) == 0
    blank = client.post(URL, data={"csrf_token": token, **FORM, "total": ""}).get_data(as_text=True)
    assert 'id="total-error"' in blank
    assert client.post(URL, data={"csrf_token": token, **FORM}).status_code == 302
    page = client.get(URL).get_data(as_text=True)
    assert "Ej bokförd" in page and "416,83" in page and "416,84" in page  # the plan before generating
    with app.app_context():
        template_id = db.session.scalar(select(AccrualTemplate.id))
    assert client.post(f"{URL}generate", data={"csrf_token": token, "template_id": template_id}).status_code == 302
    again = client.post(f"{URL}generate", data={"csrf_token": token, "template_id": template_id},
                        follow_redirects=True).get_data(as_text=True)
    assert "redan bokförda" in again
    assert _count(app, Voucher, Voucher.source_kind == "accrual") == 3
    page = client.get(URL).get_data(as_text=True)
    assert "3 verifikationer" in page and "P1 – P3" in page and f'id="generate-{template_id}"' not in page


def test_a_month_without_a_financial_year_is_refused_and_the_vouchers_are_named_per_year(app, client, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    with app.app_context():
        ensure_year(db.session, dt.date(2026, 1, 1))
        db.session.commit()
    auth.login("ebba")
    token = csrf_from(client.get(URL).get_data(as_text=True))
    client.post(URL, data={"csrf_token": token, **FORM, "name": "Försäkring", "start_month": "2026-12"})
    with app.app_context():
        template_id = db.session.scalar(select(AccrualTemplate.id))
    refused = client.post(f"{URL}generate", data={"csrf_token": token, "template_id": template_id},
                          follow_redirects=True).get_data(as_text=True)
    assert "Inget räkenskapsår omfattar 2027-01 (månad 2 av Försäkring): lägg upp räkenskapsåret först" in refused
    assert _count(app, Voucher, Voucher.source_kind == "accrual") == 0
    with app.app_context():
        ensure_year(db.session, dt.date(2027, 1, 1))
        db.session.commit()
    done = client.post(f"{URL}generate", data={"csrf_token": token, "template_id": template_id},
                       follow_redirects=True).get_data(as_text=True)
    assert "3 verifikationer bokfördes för Försäkring: P1 (2026), P1 – P2 (2027)." in done


def test_a_locked_month_is_refused_with_a_message(app, client, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    with app.app_context():
        ensure_year(db.session, dt.date(2026, 1, 1))
        lock_through(db.session, dt.date(2026, 2, 1), None)
        db.session.commit()
    auth.login("ebba")
    token = csrf_from(client.get(URL).get_data(as_text=True))
    client.post(URL, data={"csrf_token": token, **FORM})
    with app.app_context():
        template_id = db.session.scalar(select(AccrualTemplate.id))
    answer = client.post(f"{URL}generate", data={"csrf_token": token, "template_id": template_id},
                         follow_redirects=True).get_data(as_text=True)
    assert "Perioden är låst till och med 2026-02-28" in answer
    assert _count(app, Voucher, Voucher.source_kind == "accrual") == 0


def test_rights(app, client, auth):
    make_user(app, "vera", {"ledger.view"})
    make_user(app, "olle", {"customer.view"})
    auth.login("olle")
    assert client.get(URL).status_code == 403
    auth.logout()
    auth.login("vera")
    page = client.get(URL).get_data(as_text=True)
    assert 'id="accrual-form"' not in page
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.post(URL, data={"csrf_token": token, **FORM}).status_code == 403
    assert client.post(f"{URL}generate", data={"csrf_token": token, "template_id": "1"}).status_code == 403
    assert _count(app, AccrualTemplate) == 0
