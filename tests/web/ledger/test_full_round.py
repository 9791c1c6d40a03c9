"""Issue 12's full round through the test client, as an accountant works it (tests.ledger_round
has the dates and the figures computed by hand): two orders finalised; a BgMax file built on
Bankgirot's example file pays the first invoice; the second goes overdue and gets a reminder
with a fee (its PDF read with pypdf); it is paid late on its card; an interest invoice for the
late days; the VAT report of the month; the SIE export of the month read back with sie_read.
The app's clock travels from day to day (time_machine), nothing sleeps."""
import io
import re
from decimal import Decimal as D

import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from models import InterestCharge, Invoice, InvoiceLine, PaymentMethod, Reminder, db
from services.ledger import payments as pay
from services.ledger.sie_read import read_sie
from services.platform.formatting import money
from services.platform.rights import DEFAULT_ROLES
from tests import ledger_round as r
from tests.factories import csrf_from, make_user, run_jobs


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, element_id
    return re.sub(r"<[^>]+>", " ", match.group(1)).replace("\xa0", " ")


def _invoice_of(order_id: int) -> Invoice:
    return db.session.scalar(select(Invoice).join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
                             .where(InvoiceLine.order_id == order_id, Invoice.kind == "invoice"))


def _status(app, invoice_id: int):
    with app.app_context():
        state = pay.balance(db.session, db.session.get(Invoice, invoice_id))
        return state.status, state.remaining


def test_the_full_round_of_an_accountant(app, client, auth):
    ids = r.prepare(app)
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"], full_name="Ebba Ek")
    with time_machine.travel(r.moment(r.INVOICE_DAY), tick=False) as clock:
        auth.login("ebba")
        # 1. the two orders are finalised on 2026-10-01
        for key in ("order_a", "order_b"):
            token = auth.token(f"/admin/order/details/?id={ids[key]}")
            done = client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": ids[key]})
            assert done.status_code in (302, 303), done.get_data(as_text=True)[:500]
        with app.app_context():
            a, b = _invoice_of(ids["order_a"]), _invoice_of(ids["order_b"])
            assert (a.invoice_date, a.total, b.total, b.due_date) == (r.INVOICE_DAY, r.A_TOTAL, r.B_TOTAL, r.B_DUE)
            a_id, b_id, a_ocr, a_number, b_number = a.id, b.id, a.ocr, a.number, b.number
        assert a_ocr and _status(app, a_id) == ("open", r.A_TOTAL)

        # 2. Bankgirot's file of 2026-10-05 pays invoice A by its OCR on the BgMax page
        clock.move_to(r.moment(r.DEPOSIT_DAY))
        token = csrf_from(client.get("/admin/ledger/bgmax/").get_data(as_text=True))
        upload = client.post("/admin/ledger/bgmax/upload", content_type="multipart/form-data",
                             headers={"Accept": "application/json"},
                             data={"csrf_token": token, "file": (io.BytesIO(r.bgmax_file(a_ocr, r.A_TOTAL)),
                                                                 "bgmax-20261005.txt")})
        assert upload.status_code == 202, upload.get_data(as_text=True)
        assert run_jobs(app) == 1
        state = client.get(upload.get_json()["status_url"], headers={"Accept": "application/json"}).get_json()
        assert state["status"] == "done" and "bokförda: 1" in state["summary"], state
        assert _status(app, a_id) == ("paid", D("0.00"))
        with app.app_context():
            [payment] = [al.payment for al in pay.payments_of(db.session, db.session.get(Invoice, a_id))]
            assert (payment.date, payment.amount) == (r.DEPOSIT_DAY, r.A_TOTAL)

        # 3. on 2026-10-30 invoice B is 19 days overdue: a level-1 reminder with a fee of 60,00
        clock.move_to(r.moment(r.LATE_DAY))
        assert _status(app, b_id) == ("overdue", r.B_TOTAL)
        levels = "/admin/ledger/reminder-levels/"
        form = {"csrf_token": auth.token(levels)}
        for n, days, fee in ((1, "8", "60,00"), (2, "22", "60,00"), (3, "36", "60,00")):
            form.update({f"{n}-days_after_due": days, f"{n}-fee": fee, f"{n}-active": "on",
                         f"{n}-text_sv": f"Påminnelse {n}", f"{n}-text_de": "", f"{n}-text_en": ""})
        assert client.post(levels, data=form).status_code == 303
        page = client.get("/admin/ledger/reminders/").get_data(as_text=True)
        assert "Berits Garn" in page and "Kalles Plåt AB" not in page  # A is paid
        made = client.post("/admin/ledger/reminders/create",
                           data={"csrf_token": csrf_from(page), "customer": str(ids["berit"])})
        assert made.status_code == 303 and "/admin/jobs/" in made.headers["Location"]  # the reminder run: a job
        assert run_jobs(app) == 1
        with app.app_context():
            [reminder] = db.session.scalars(select(Reminder)).all()
            fee_invoice = reminder.fee_invoice
            assert (reminder.level, reminder.fee, reminder.date) == (1, r.FEE, r.LATE_DAY)
            assert (fee_invoice.total, fee_invoice.vat_total, fee_invoice.invoice_date) == (r.FEE, 0, r.LATE_DAY)
            reminder_id, fee_number = reminder.id, fee_invoice.number
        pdf = client.get(f"/admin/ledger/reminders/pdf/{reminder_id}")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).replace("\xa0", " ")
        assert "Berits Garn" in text and b_number in text and "60,00" in text
        assert a_number not in text

        # 4. B is paid late, on 2026-10-30, on its card
        card = client.get(f"/admin/invoice/details/?id={b_id}").get_data(as_text=True)
        with app.app_context():
            bankgiro = db.session.scalar(select(PaymentMethod.id).where(PaymentMethod.code == "bankgiro"))
        nonce = re.search(r'name="nonce" value="([0-9a-f]+)"', card).group(1)
        paid = client.post("/admin/payment/register", data={
            "csrf_token": csrf_from(card), "invoice_id": b_id, "nonce": nonce, "amount": "20 000,00",
            "method_id": bankgiro, "date": r.LATE_DAY.isoformat(), "reference": "Internetbank"})
        assert paid.status_code == 302, paid.get_data(as_text=True)[:800]
        assert _status(app, b_id) == ("paid", D("0.00"))

        # 5. the interest invoice for the 19 late days at 2,00 % + 8 points
        interest = f"/admin/ledger/interest/?from={r.MONTH_FROM.isoformat()}&to={r.LATE_DAY.isoformat()}"
        page = client.get(interest).get_data(as_text=True)
        assert b_number in page and money(r.INTEREST).replace("\xa0kr", "") in page.replace("&nbsp;", "\xa0")
        created = client.post("/admin/ledger/interest/", data={
            "csrf_token": csrf_from(page), "from": r.MONTH_FROM.isoformat(), "to": r.LATE_DAY.isoformat(),
            "invoice": str(b_id)})
        assert created.status_code == 303 and "/admin/jobs/" in created.headers["Location"]  # a job
        assert run_jobs(app) == 1
        with app.app_context():
            [charge] = db.session.scalars(select(InterestCharge)).all()
            assert (charge.invoice_id, charge.days, charge.amount) == (b_id, r.LATE_DAYS, r.INTEREST)
            interest_invoice = db.session.get(Invoice, charge.interest_invoice_id)
            assert (interest_invoice.total, interest_invoice.vat_total) == (r.INTEREST, 0)
            interest_number = interest_invoice.number

        # 6. the VAT report of October: 05, 10 and 49 as computed by hand
        page = client.get(f"/admin/ledger/vat-report/?period={r.MONTH}").get_data(as_text=True)
        assert money(r.BOX_05).replace("\xa0", " ") in _text(page, "box-05")
        assert money(r.BOX_10).replace("\xa0", " ") in _text(page, "box-10")
        assert money(r.BOX_49).replace("\xa0", " ") in _text(page, "box-49")
        assert "0,00" in _text(page, "box-48")

        # 7. the SIE export of October, downloaded from the Jobs page and read back
        page = client.get("/admin/ledger/sie-export/").get_data(as_text=True)
        started = client.post("/admin/ledger/sie-export/", data={
            "csrf_token": csrf_from(page), "from": r.MONTH_FROM.isoformat(), "to": r.MONTH_TO.isoformat()})
        assert started.status_code == 303 and "/admin/jobs/" in started.headers["Location"]
        assert run_jobs(app) == 1
        job_id = int(started.headers["Location"].rsplit("job-", 1)[1])
        state = client.get(f"/admin/jobs/{job_id}/status").get_json()
        assert state["status"] == "done", state
        with client.get(state["result_url"]) as download:
            assert download.status_code == 200
            sie = read_sie(download.data)
    r.check_sie(sie, a_number, b_number, fee_number, interest_number)

