"""The reminder, reminder-level, reference-rate, interest-invoice and customer-loss screens
(Bokföring): rights on every endpoint, bad input next to its field, and what each books."""
import datetime as dt
import io
from decimal import Decimal as D

from pypdf import PdfReader
from sqlalchemy import func, select

from models import (Customer, Invoice, OutboxMessage, PaymentTerm, ReferenceRate, Reminder, ReminderLevel,
                    WriteOff, db)
from services.ledger import payments as pay
from tests.factories import make_user, run_jobs
from tests.unit.ledger import dunning_helpers as dh

TODAY = dt.date.today()
REMINDERS = "/admin/ledger/reminders/"
LEVELS = "/admin/ledger/reminder-levels/"
RATES = "/admin/ledger/reference-rates/"
INTEREST = "/admin/ledger/interest/"
WRITE_OFF = "/admin/ledger/write-off/"


def _overdue(app, n=1, email="kund@example.se", fee=True) -> list[int]:
    """``n`` customers with an invoice 40 days overdue; their ids."""
    ids = []
    with app.app_context():
        for k in range(n):
            c = dh.customer(db.session, str(2000 + k), f"Kund {k} AB", fee=fee, email=email)
            dh.invoice(db.session, c, date=TODAY - dt.timedelta(days=70))
            ids.append(c.id)
        db.session.commit()
    return ids


def test_rights_on_every_screen(app, client, auth):
    make_user(app, "saljare", {"sales.view"})
    auth.login("saljare")
    for url in (REMINDERS, LEVELS, RATES, INTEREST, f"{WRITE_OFF}?invoice=1", f"{REMINDERS}pdf/1"):
        assert client.get(url).status_code == 403, url
    for url in (f"{REMINDERS}create", f"{REMINDERS}send", LEVELS, RATES, INTEREST, WRITE_OFF):
        assert client.post(url, data={}).status_code in (400, 403), url
    auth.logout()
    make_user(app, "paminnare", {"ledger.reminders"})
    auth.login("paminnare")
    assert client.get(REMINDERS).status_code == 200 and client.get(LEVELS).status_code == 200
    assert client.get(INTEREST).status_code == 403 and client.get(RATES).status_code == 403
    assert client.get(f"{WRITE_OFF}?invoice=1").status_code == 403


def test_reminders_are_created_shown_as_pdf_and_e_mailed(app, client, auth):
    [cid] = _overdue(app)
    make_user(app, "ekonom", {"ledger.reminders", "sales.view"})
    auth.login("ekonom")
    page = client.get(REMINDERS).get_data(as_text=True)
    assert "Kund 0 AB" in page and "Nivå 3" not in page and f'value="{cid}"' in page
    bad = client.get(REMINDERS + "?min_days=abc").get_data(as_text=True)
    assert 'id="min_days-error"' in bad
    token = auth.token(REMINDERS)
    none = client.post(f"{REMINDERS}create", data={"csrf_token": token})
    assert none.status_code == 303
    assert "Välj minst en kund" in client.get(REMINDERS).get_data(as_text=True)
    made = client.post(f"{REMINDERS}create", data={"csrf_token": token, "customer": str(cid)})
    assert made.status_code == 303 and "/admin/jobs/" in made.headers["Location"]  # one customer: a job too
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0  # nothing in the request
    assert run_jobs(app) == 1
    jobs_page = client.get("/admin/jobs/").get_data(as_text=True)
    assert "1 påminnelser skapade" in jobs_page
    again = client.post(f"{REMINDERS}create", data={"csrf_token": token, "customer": str(cid)})
    assert again.status_code == 303
    assert run_jobs(app) == 1
    assert "redan" in client.get("/admin/jobs/").get_data(as_text=True)  # reminded today already: the job failed
    with app.app_context():
        [reminder] = db.session.scalars(select(Reminder)).all()
        rid, number = reminder.id, db.session.scalar(select(Invoice.number).order_by(Invoice.id))
    pdf = client.get(f"{REMINDERS}pdf/{rid}")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert number in text and "BETALNINGSPÅMINNELSE" in text
    sent = client.post(f"{REMINDERS}send", data={"csrf_token": token, "reminder": str(rid), "how": "email"})
    assert sent.status_code == 303 and "/admin/jobs/" in sent.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # the job puts it there
    assert run_jobs(app) == 1
    assert "1 påminnelser lades i utkorgen" in client.get("/admin/jobs/").get_data(as_text=True)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.recipient == "kund@example.se" and message.attachment.startswith(b"%PDF")
        assert db.session.get(Reminder, rid).delivery == "email"


def test_many_customers_are_reminded_by_a_job(app, client, auth):
    ids = _overdue(app, n=11, fee=False)
    make_user(app, "ekonom", {"ledger.reminders"})
    auth.login("ekonom")
    token = auth.token(REMINDERS)
    started = client.post(f"{REMINDERS}create", data={"csrf_token": token, "customer": [str(i) for i in ids]})
    assert started.status_code == 303 and "/admin/jobs/" in started.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0
    assert run_jobs(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 11
    assert "11 påminnelser skapade" in client.get("/admin/jobs/").get_data(as_text=True)


def test_reminder_levels_refuse_a_fee_over_60_kr(app, client, auth):
    make_user(app, "ekonom", {"ledger.reminders"})
    auth.login("ekonom")
    token = auth.token(LEVELS)
    form = {"csrf_token": token}
    for n, days, fee in ((1, "10", "0"), (2, "20", "60,01"), (3, "30", "60")):
        form.update({f"{n}-days_after_due": days, f"{n}-fee": fee, f"{n}-active": "on", f"{n}-text_sv": f"Text {n}",
                     f"{n}-text_de": "", f"{n}-text_en": ""})
    bad = client.post(LEVELS, data=form)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and 'id="2-fee-error"' in html and "högst 60,00 kr" in html
    with app.app_context():
        assert db.session.scalar(select(ReminderLevel.days_after_due).where(ReminderLevel.level == 1)) == 8
    form["2-fee"] = "45,50"
    assert client.post(LEVELS, data=form).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(ReminderLevel.fee).where(ReminderLevel.level == 2)) == D("45.50")
        assert db.session.scalar(select(ReminderLevel.text_sv).where(ReminderLevel.level == 3)) == "Text 3"


def test_reference_rates_and_interest_invoices(app, client, auth):
    make_user(app, "ekonom", {"ledger.interest"})
    auth.login("ekonom")
    token = auth.token(RATES)
    bad = client.post(RATES, data={"csrf_token": token, "valid_from": "2026-03-01", "rate": "2"})
    assert 'id="valid_from-error"' in bad.get_data(as_text=True)
    bad = client.post(RATES, data={"csrf_token": token, "valid_from": "2026-07-01", "rate": "två"})
    assert 'id="rate-error"' in bad.get_data(as_text=True)
    assert client.post(RATES, data={"csrf_token": token, "valid_from": "2026-07-01", "rate": "1,75"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(ReferenceRate.rate).where(ReferenceRate.valid_from == dt.date(2026, 7, 1))) \
            == D("1.75")
        c = dh.customer(db.session, "3001", "Sen Betalare AB")
        inv = dh.invoice(db.session, c, quantity=40, date=dt.date(2026, 8, 1))  # 10 000, due 2026-08-31
        pay.register_payment(db.session, c, dt.date(2026, 10, 30), "10000", "bankgiro", None, [(inv, None)])
        db.session.commit()
        number = inv.number
    # 60 days at 1,75 + 8 = 9,75 %: 10 000 × 0,0975 × 60/365 = 160,27
    page = client.get(INTEREST + "?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert number in page and "160,27" in page
    bad = client.get(INTEREST + "?from=2026-10-31&to=2026-10-01").get_data(as_text=True)
    assert 'id="to-error"' in bad
    token = auth.token(INTEREST + "?from=2026-10-01&to=2026-10-31")
    with app.app_context():
        inv_id = db.session.scalar(select(Invoice.id).where(Invoice.number == number))
    created = client.post(INTEREST, data={"csrf_token": token, "from": "2026-10-01", "to": "2026-10-31",
                                          "invoice": str(inv_id)})
    assert created.status_code == 303 and "/admin/jobs/" in created.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1  # nothing in the request
    assert run_jobs(app) == 1
    assert "1 räntefakturor skapade" in client.get("/admin/jobs/").get_data(as_text=True)
    with app.app_context():
        interest = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
        assert interest.total == D("160.27") and interest.lines[0].account == "8313"
    none = client.post(INTEREST, data={"csrf_token": token, "from": "2026-10-01", "to": "2026-10-31"})
    assert 'id="invoices-error"' in none.get_data(as_text=True)


def test_customer_loss_from_the_invoice_card(app, client, auth):
    with app.app_context():
        inv = dh.invoice(db.session, dh.customer(db.session), date=TODAY - dt.timedelta(days=90))
        db.session.commit()
        inv_id = inv.id
    make_user(app, "saljare", {"sales.view"})
    auth.login("saljare")
    card = client.get(f"/admin/invoice/details/?id={inv_id}").get_data(as_text=True)
    assert 'id="write-off-invoice"' not in card
    auth.logout()
    make_user(app, "ekonom", {"sales.view", "ledger.write_off"})
    auth.login("ekonom")
    card = client.get(f"/admin/invoice/details/?id={inv_id}").get_data(as_text=True)
    assert 'id="write-off-invoice"' in card
    page = client.get(f"{WRITE_OFF}?invoice={inv_id}").get_data(as_text=True)
    assert "500,00" in page and "100,00" in page  # remaining and the VAT correction
    token = auth.token(f"{WRITE_OFF}?invoice={inv_id}")
    data = {"csrf_token": token, "invoice": str(inv_id), "date": TODAY.isoformat(), "reason": ""}
    html = client.post(WRITE_OFF, data=data).get_data(as_text=True)
    assert 'id="confirm-error"' in html
    data["confirm"] = "yes"
    html = client.post(WRITE_OFF, data=data).get_data(as_text=True)
    assert 'id="reason-error"' in html
    data["date"] = "igår"
    assert 'id="date-error"' in client.post(WRITE_OFF, data={**data, "reason": "Konkurs"}).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WriteOff)) == 0
    done = client.post(WRITE_OFF, data={**data, "date": TODAY.isoformat(), "reason": "Konkurs"})
    assert done.status_code == 303 and f"id={inv_id}" in done.headers["Location"]
    with app.app_context():
        assert pay.invoice_status(db.session, db.session.get(Invoice, inv_id)) == "written_off"
    assert client.get(f"{WRITE_OFF}?invoice=999").status_code == 404


def test_the_customer_loss_page_opened_without_an_invoice_sends_to_the_invoice_list(app, client, auth, admin_user):
    auth.login()
    response = client.get(WRITE_OFF)
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/invoice/")
    assert client.get(WRITE_OFF + "?invoice=999999").status_code == 404


def test_the_reminder_run_job_is_all_or_nothing(app, client, auth):
    """One customer of the run cannot be reminded (reminded today already): the job fails and
    none of the others gets a reminder or a fee invoice either; the e-mail job stops at a
    customer without an address and queues nothing."""
    first, second, third = _overdue(app, n=3)
    make_user(app, "ekonom", {"ledger.reminders"})
    auth.login("ekonom")
    token = auth.token(REMINDERS)
    client.post(f"{REMINDERS}create", data={"csrf_token": token, "customer": str(second)})
    assert run_jobs(app) == 1
    with app.app_context():
        invoices_before = db.session.scalar(select(func.count()).select_from(Invoice))
    client.post(f"{REMINDERS}create", data={"csrf_token": token, "customer": [str(first), str(second), str(third)]})
    assert run_jobs(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder)) == 1
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == invoices_before  # no fee invoice
        from models import Job

        job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
        assert job.status == "failed" and "redan" in job.error
    client.post(f"{REMINDERS}create", data={"csrf_token": token, "customer": [str(first), str(third)]})
    assert run_jobs(app) == 1
    with app.app_context():
        ids = [r.id for r in db.session.scalars(select(Reminder).order_by(Reminder.id))]
        assert len(ids) == 3
        db.session.get(Customer, third).email = None
        db.session.commit()
    client.post(f"{REMINDERS}send", data={"csrf_token": token, "reminder": [str(i) for i in ids], "how": "email"})
    assert run_jobs(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert all(r.delivery is None for r in db.session.scalars(select(Reminder)))
        job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
        assert job.status == "failed" and "Kund 2 AB" in job.error and "Inget skickades" in job.error


def test_the_interest_job_is_all_or_nothing_and_checks_the_right_again(app, client, auth):
    """Two late-paid invoices and one paid in time: the job for all three fails on the one paid
    in time and creates no interest invoice; the right taken away while queued creates none."""
    with app.app_context():
        db.session.add(ReferenceRate(valid_from=dt.date(2026, 7, 1), rate=D("2.00")))
        c = dh.customer(db.session, "3001", "Sen Betalare AB")
        late = [dh.invoice(db.session, c, quantity=40, date=dt.date(2026, 8, 1)) for _k in range(2)]
        early = dh.invoice(db.session, c, quantity=40, date=dt.date(2026, 8, 1))
        for inv in late:
            pay.register_payment(db.session, c, dt.date(2026, 10, 30), "10000", "bankgiro", None, [(inv, None)])
        pay.register_payment(db.session, c, dt.date(2026, 8, 20), "10000", "bankgiro", None, [(early, None)])
        db.session.commit()
        ids = [str(i.id) for i in (*late, early)]
        count = db.session.scalar(select(func.count()).select_from(Invoice))
    make_user(app, "ekonom", {"ledger.interest"})
    auth.login("ekonom")
    token = auth.token(INTEREST)
    form = {"csrf_token": token, "from": "2026-10-01", "to": "2026-10-31"}
    assert client.post(INTEREST, data={**form, "invoice": ids}).status_code == 303
    assert run_jobs(app) == 1
    with app.app_context():
        from models import InterestCharge, Job, RoleRight, User

        assert db.session.scalar(select(func.count()).select_from(Invoice)) == count
        assert db.session.scalar(select(func.count()).select_from(InterestCharge)) == 0
        assert db.session.scalars(select(Job).order_by(Job.id.desc())).first().status == "failed"
    started = client.post(INTEREST, data={**form, "invoice": ids[:2]})
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "ekonom"))
        db.session.delete(db.session.scalar(select(RoleRight).where(RoleRight.role_id == user.role_id)))
        db.session.commit()
    assert started.status_code == 303 and run_jobs(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InterestCharge)) == 0
        job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
        assert job.status == "failed" and "behörighet" in job.error


def test_the_customer_loss_page_sits_under_bookkeeping_and_the_card_shows_the_write_off(app, client, auth,
                                                                                           admin_user):
    """Issue 13 item 5: breadcrumbs "Hem / Bokföring / Kundförlust", and after the write-off the
    invoice card's payment table has its row: date, amount and a link to its voucher."""
    import re

    with app.app_context():
        inv = dh.invoice(db.session, dh.customer(db.session), date=TODAY - dt.timedelta(days=90))
        db.session.commit()
        inv_id = inv.id
    auth.login()
    page = client.get(f"{WRITE_OFF}?invoice={inv_id}").get_data(as_text=True)
    crumbs = re.sub(r"<[^>]+>|\s+", " ", re.search(r'id="breadcrumbs".*?</ol>', page, re.S).group(0))
    assert "Bokföring" in crumbs and "Kundförlust" in crumbs
    token = auth.token(f"{WRITE_OFF}?invoice={inv_id}")
    assert client.post(WRITE_OFF, data={"csrf_token": token, "invoice": str(inv_id), "date": TODAY.isoformat(),
                                        "reason": "Konkurs", "confirm": "yes"}).status_code == 303
    with app.app_context():
        record = db.session.scalar(select(WriteOff))
        voucher_id, label = record.voucher_id, record.voucher.label
    card = client.get(f"/admin/invoice/details/?id={inv_id}").get_data(as_text=True)
    row = re.search(r'<tr id="invoice-write-off-row">.*?</tr>', card, re.S).group(0)
    assert TODAY.isoformat() in row and "500,00\xa0kr" in row and "Kundförlust" in row
    assert f'href="/admin/voucher/details/?id={voucher_id}"' in row and label in row


def test_reminder_days_that_are_not_a_whole_number_are_refused_with_a_days_example(app, client, auth):
    """Issue 13 item 8: days are explained with "t.ex. 30", not with the amount example 12 000."""
    make_user(app, "ekonom2", {"ledger.reminders"})
    auth.login("ekonom2")
    form = {"csrf_token": auth.token(LEVELS)}
    for n, days in ((1, "10,5"), (2, "20"), (3, "30")):
        form.update({f"{n}-days_after_due": days, f"{n}-fee": "0", f"{n}-active": "on", f"{n}-text_sv": f"Text {n}",
                     f"{n}-text_de": "", f"{n}-text_en": ""})
    html = client.post(LEVELS, data=form).get_data(as_text=True)
    assert 'id="1-days_after_due-error"' in html and "måste vara ett heltal, t.ex. 30." in html
    assert "12 000" not in html
    page = client.get(REMINDERS + "?min_days=3,5").get_data(as_text=True)
    assert "t.ex. 30." in page and "12 000" not in page
