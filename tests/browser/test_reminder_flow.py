"""A full reminder round in the browser: an overdue invoice of a customer whose terms allow a
reminder fee -> Bokföring > Påminnelser -> create the reminder (level with a fee) -> the PDF opens
(pypdf reads the invoice number and the fee) -> sent by e-mail: the customer's mail is in the outbox.
Creating and e-mailing are jobs: each click leads to the Jobs page, where the job ends."""
import datetime as dt
import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from models import Invoice, OutboxMessage, Reminder, ReminderLevel, db
from tests.browser.conftest import login, shot
from tests.unit.ledger import dunning_helpers as dh


def _job_done(page, kind: str, summary: str) -> None:
    """The screen sent the user to the Jobs page, whose line links to the job; it ends there."""
    page.wait_for_url("**/admin/jobs/**")
    expect(page.locator("#job-link")).to_be_visible()
    row = page.locator("#jobs tr[data-job]", has_text=kind).first
    expect(row.locator(".job-status")).to_have_text("Klar")
    expect(row.locator(".job-result")).to_contain_text(summary)


def test_overdue_invoice_to_reminder_with_fee_to_the_outbox(page, live_app):
    with live_app.app_context():
        customer = dh.customer(db.session, "5001", "Sen Betalare AB", fee=True, email="ekonomi@senbetalare.se")
        invoice = dh.invoice(db.session, customer, date=dt.date.today() - dt.timedelta(days=45))  # 15 days overdue
        db.session.scalar(select(ReminderLevel).where(ReminderLevel.level == 1)).fee = 60
        db.session.commit()
        number, customer_id = invoice.number, customer.id
    login(page)
    page.goto("/admin/ledger/reminders/")
    row = page.locator("#overdue tbody tr", has_text=number)
    expect(row).to_contain_text("Sen Betalare AB")
    expect(row).to_contain_text("Nivå 1")
    page.check(f"#customer-{customer_id}")
    page.click("#create-reminders")
    _job_done(page, "Påminnelser", "1 påminnelser skapade, 1 med avgiftsfaktura")
    page.goto("/admin/ledger/reminders/")
    with live_app.app_context():
        reminder = db.session.scalar(select(Reminder))
        fee_number = db.session.scalar(select(Invoice.number).where(Invoice.id == reminder.fee_invoice_id))
        reminder_id = reminder.id
    expect(page.locator(f"#reminder-{reminder_id}")).to_contain_text(fee_number)
    shot(page, "ledger-reminders")

    with page.context.expect_page() as new_tab:
        page.click(f"#reminder-{reminder_id} a.reminder-pdf")
    pdf_page = new_tab.value
    pdf_page.wait_for_load_state()
    body = pdf_page.request.get(pdf_page.url).body()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert number in text and "60,00" in text and "BETALNINGSPÅMINNELSE" in text and fee_number in text
    pdf_page.close()

    page.check(f"#reminder-{reminder_id} input[name=reminder]")
    page.click("#send-email")
    _job_done(page, "Påminnelser med e-post", "1 påminnelser lades i utkorgen")
    page.goto("/admin/ledger/reminders/")
    expect(page.locator(f"#reminder-{reminder_id}")).to_contain_text("Med e-post")
    with live_app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.recipient == "ekonomi@senbetalare.se"
        assert re.fullmatch(r"paminnelse-5001-\d{4}-\d{2}-\d{2}\.pdf", message.attachment_name)
        assert number in message.body
    page.goto("/admin/outboxmessage/")
    expect(page.locator("body")).to_contain_text("ekonomi@senbetalare.se")
