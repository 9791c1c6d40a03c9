"""Bokföring > BgMax-inläsning (issue 12 item 2, step 2): the upload starts a job that books the
file, the page shows what was booked and what waits for matching; the same file again, a broken
file and a file of another type are refused next to the file field and nothing is booked; the
manual match (with the open-invoice look-up); every endpoint refused without payments.register,
and a user limited to assigned customers finds and matches only their invoices."""
import datetime as dt
import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.ledger_data import GenPayment, write_bgmax
from models import BgMaxImport, Customer, Invoice, Job, NumberSeries, Order, Payment, Voucher, db
from services.ledger import payments as pay
from services.ledger.vouchers import ensure_year
from services.platform.rights import DEFAULT_ROLES
from services.sales import invoicing, orders
from tests import sales_helpers as h
from tests.factories import csrf_from, make_user, run_jobs

URL = "/admin/ledger/bgmax/"
DAY = dt.date(2026, 11, 30)
TODAY = dt.date(2026, 11, 24)
EXAMPLE = Path("/work/shared/formats/bgmax/bankgirot_exempelfil_ocr-kontroll_checksiffra_langd_2sections_SEK.txt")


def _invoice(session, customer, sequence, price="200.00", quantity=2) -> Invoice:
    settings = h.settings(session)
    invoicing.ensure_sales_series(session, settings)
    session.get(NumberSeries, invoicing.INVOICE_SERIES).next_number = sequence
    n = session.scalar(select(func.count()).select_from(Order))
    order = orders.create_order(session, customer, None, today=TODAY)
    orders.add_line(session, order, "article", article=h.article(session, number=f"W-{n}", price=price),
                    quantity=quantity)
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, settings)
    session.flush()
    return invoice


@pytest.fixture
def world(app):
    """Two customers with an invoice of 500.00 each (OCR of 6559 and 6578) and a year to book in."""
    with app.app_context():
        ensure_year(db.session, DAY)
        kalle = h.customer(db.session, "1001", "Kalles Plåt AB", org="5500001234")
        berit = h.customer(db.session, "1002", "Berits Garn", org="5500002222")
        ids = {"kalle_invoice": _invoice(db.session, kalle, 6559).id,
               "berit_invoice": _invoice(db.session, berit, 6578).id, "kalle": kalle.id, "berit": berit.id}
        db.session.commit()
        return ids


def _file(*payments) -> bytes:
    out = io.BytesIO()
    write_bgmax(out, [list(payments)], date=DAY)
    return out.getvalue()


PAYS_KALLE = _file(GenPayment(D("500.00"), "655969", name="Kalles Plåt AB"),
                   GenPayment(D("500.00"), "", reference_code="1", name="Berits Garn", organisation_number="5500002222"))


@pytest.fixture
def accountant(app, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"], full_name="Ebba Ek")
    auth.login("ebba")


def _token(client) -> str:
    return csrf_from(client.get(URL).get_data(as_text=True))


def _upload(client, data: bytes, name="bgmax.txt", json=True):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(URL + "upload", data={"csrf_token": _token(client), "file": (io.BytesIO(data), name)},
                       headers=headers, content_type="multipart/form-data")


def _counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (BgMaxImport, Payment, Voucher))


def test_upload_runs_the_import_as_a_job_and_shows_the_result(app, client, accountant, world):
    page = client.get(URL).get_data(as_text=True)
    assert 'name="file"' in page and 'name="csrf_token"' in page and "BgMax-inläsning" in page
    response = _upload(client, PAYS_KALLE)
    assert response.status_code == 202, response.get_data(as_text=True)
    state = response.get_json()
    assert state["status"] == "queued" and state["status_url"] and state["page_url"]
    assert _counts(app)[0] == 0  # nothing booked in the request
    assert run_jobs(app) == 1
    status = client.get(state["status_url"], headers={"Accept": "application/json"}).get_json()
    assert status["status"] == "done", status
    assert "bokförda: 1" in status["summary"] and "ej matchade: 1" in status["summary"]
    html = client.get(state["page_url"]).get_data(as_text=True)
    assert 'id="bgmax-booked"' in html and "Kalles Plåt AB" in html and "6559: 500,00" in html
    assert 'id="bgmax-unmatched"' in html and "Betalningen saknar referens." in html
    # the suggestion: Berit's invoice, the same amount and the same payer (organisation number)
    assert "6578 · Berits Garn · 500,00\xa0kr · samma belopp · samma betalare" in html
    assert 'id="bgmax-imports"' in html and "bgmax.txt" in html and "Ebba Ek" in html
    with app.app_context():
        invoice = db.session.get(Invoice, world["kalle_invoice"])
        assert pay.invoice_status(db.session, invoice, TODAY) == "paid"
        assert db.session.scalar(select(BgMaxImport)).imported_by.username == "ebba"


def test_without_the_script_the_upload_goes_to_the_jobs_page(app, client, accountant, world):
    response = _upload(client, PAYS_KALLE, json=False)
    assert response.status_code == 302 and "/admin/jobs/" in response.headers["Location"]


def test_the_same_file_again_is_refused_next_to_the_file_field(app, client, accountant, world):
    _upload(client, PAYS_KALLE)
    run_jobs(app)
    before = _counts(app)
    response = _upload(client, PAYS_KALLE, json=False)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="file-error"' in html and "Filen är redan inläst" in html and "Ebba Ek" in html
    assert 'aria-invalid="true"' in html
    assert _upload(client, PAYS_KALLE).get_json()["field"] == "file"
    assert _counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 1


def test_a_broken_file_is_refused_with_its_line_and_nothing_is_booked(app, client, accountant, world):
    before = _counts(app)
    lines = EXAMPLE.read_bytes().split(b"\n")
    lines[12] = lines[12].rstrip(b"\r") + b"XXXXXXXXXXXXXX\r"
    response = _upload(client, b"\n".join(lines), json=False)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="file-error"' in html and "Rad 13" in html
    other = _upload(client, b"PK\x03\x04 not a bgmax file", name="kunder.xlsx").get_json()
    assert other["field"] == "file" and "BgMax" in other["error"]
    not_bgmax = _upload(client, b"hello\nworld\n", name="hello.txt").get_json()
    assert "Rad 1" in not_bgmax["error"]
    assert _counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_every_endpoint_needs_the_payments_right(app, client, auth, world):
    make_user(app, "olle", {"customer.view", "sales.view", "ledger.view"})
    auth.login("olle")
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "invoices?q=65").status_code == 403
    assert client.post(URL + "upload", data={"csrf_token": token, "file": (io.BytesIO(PAYS_KALLE), "b.txt")},
                       content_type="multipart/form-data").status_code == 403
    assert client.post(URL + "match", data={"csrf_token": token, "payment_id": 1,
                                           "invoice_id": world["kalle_invoice"]}).status_code == 403
    assert "BgMax" not in client.get("/admin/").get_data(as_text=True)
    assert _counts(app)[0] == 0


def test_manual_match_with_the_look_up(app, client, accountant, world):
    _upload(client, PAYS_KALLE)
    run_jobs(app)
    with app.app_context():
        unmatched = db.session.scalar(select(Payment).where(Payment.customer_id.is_(None)))
        payment_id = unmatched.id
    found = client.get(URL + "invoices?q=Berit").get_json()["results"]
    assert [r["id"] for r in found] == [world["berit_invoice"]] and found[0]["remaining"] == "500.00"
    assert client.get(URL + "invoices?q=6559").get_json()["results"] == []  # paid: not open any more
    token = _token(client)
    missing = client.post(URL + "match", data={"csrf_token": token, "payment_id": payment_id, "invoice_id": ""})
    assert missing.status_code == 400
    assert 'id="error-%d"' % payment_id in missing.get_data(as_text=True)
    assert "Välj fakturan som betalningen gäller." in missing.get_data(as_text=True)
    response = client.post(URL + "match", data={"csrf_token": token, "payment_id": payment_id,
                                                "invoice_id": world["berit_invoice"]}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Betalningen på 500,00\xa0kr är matchad mot Faktura 6578." in html
    assert "matchad manuellt" in html
    with app.app_context():
        invoice = db.session.get(Invoice, world["berit_invoice"])
        assert pay.invoice_status(db.session, invoice, TODAY) == "paid"
        payment = db.session.get(Payment, payment_id)
        assert payment.customer_id == world["berit"] and payment.match_voucher is not None
    again = client.post(URL + "match", data={"csrf_token": token, "payment_id": payment_id,
                                             "invoice_id": world["berit_invoice"]})
    assert again.status_code == 400
    assert 'id="bgmax-row-error"' in again.get_data(as_text=True) and "redan matchad" in again.get_data(as_text=True)


def test_a_user_limited_to_assigned_customers_gets_no_bgmax_screen(app, client, auth, world):
    """Like the other ledger screens: unidentified payments name any payer."""
    make_user(app, "sune", {"payments.register", "customer.view_assigned"})
    auth.login("sune")
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "invoices?q=").status_code == 403
    assert client.post(URL + "match", data={"csrf_token": token, "payment_id": 1,
                                           "invoice_id": world["berit_invoice"]}).status_code == 403


def test_stored_utc_moments_show_in_swedish_time_on_the_bgmax_list_and_the_payment_card(app, client, accountant,
                                                                                       world):
    """Issue 13 item 2: a moment stored 01:54 UTC on 4 December (CET, UTC+1) shows as 02:54 on the
    BgMax list and on the payment card, as the voucher's "Bokförd av" and the Jobs page do."""
    assert _upload(client, PAYS_KALLE).status_code == 202
    assert run_jobs(app) == 1
    moment = dt.datetime(2026, 12, 4, 1, 54)
    with app.app_context():
        imported = db.session.scalar(select(BgMaxImport))
        imported.imported_at = moment
        payment = db.session.scalar(select(Payment).where(Payment.bgmax_import_id == imported.id))
        payment.created_at = moment
        db.session.commit()
        ids = imported.id, payment.id
    listing = client.get(URL).get_data(as_text=True)
    assert "2026-12-04 02:54" in listing and "01:54" not in listing
    assert "2026-12-04 02:54" in client.get(f"{URL}?id={ids[0]}").get_data(as_text=True)
    card = client.get(f"/admin/payment/details/?id={ids[1]}").get_data(as_text=True)
    assert "2026-12-04 02:54" in card and "01:54" not in card


def test_the_bgmax_list_links_its_vouchers_and_says_when_a_file_was_read_in(app, client, accountant, world):
    """Issue 13 item 7: the payments' B-voucher numbers open the voucher; the list's column is "Inläst"."""
    assert _upload(client, PAYS_KALLE).status_code == 202
    assert run_jobs(app) == 1
    with app.app_context():
        imported = db.session.scalar(select(BgMaxImport))
        booked = db.session.scalar(select(Payment).where(Payment.bgmax_import_id == imported.id,
                                                         Payment.customer_id.is_not(None)))
        ids = imported.id, booked.voucher_id, booked.voucher.label
    html = client.get(f"{URL}?id={ids[0]}").get_data(as_text=True)
    assert f'<a class="voucher-link" href="/admin/voucher/details/?id={ids[1]}">{ids[2]}</a>' in html
    assert "<th>Inläst</th>" in html and "<th>Läs in</th>" not in html
