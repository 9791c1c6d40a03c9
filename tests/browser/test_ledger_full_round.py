"""Issue 12's full round in Chromium, clicked as an accountant works it (tests.ledger_round has
the dates and the figures computed by hand): the two orders finalised on their cards; the BgMax
page reads a file built on Bankgirot's example file and pays the first invoice; on the 30th the
second is overdue: the reminder levels get a fee, the reminder is created (a job) and its PDF
opened (pypdf: the customer, the invoice number, the fee); the late payment is registered on the
invoice card; the interest invoice is created (a job); the VAT report of October shows the boxes;
the SIE export is downloaded from the Jobs page and read back. The app's clock travels
(time_machine, ticking); nothing sleeps."""
import io
import re

import pytest
import time_machine
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from models import InterestCharge, Invoice, Reminder, db
from services.ledger import payments as pay
from services.platform.formatting import money
from services.platform.rights import DEFAULT_ROLES
from tests import ledger_round as r
from tests.browser.conftest import login, shot
from tests.factories import make_user

pytestmark = pytest.mark.browser


def _wait_for_job(page, kind: str):
    """On the Jobs page (where a started job sends the user): the newest job of ``kind`` done."""
    page.wait_for_url("**/admin/jobs/**")
    expect(page.locator("#job-link, #sie-job-link").first).to_be_visible()  # the screen's line links to it
    row = page.locator("#jobs tr[data-job]", has_text=kind).first
    expect(row.locator(".job-status")).to_have_text("Klar")  # the page reads itself again at the end
    return row


def _amount(page, selector: str) -> str:
    return page.inner_text(selector).replace("\xa0", " ")


def test_the_full_round_in_the_browser(page, live_app, tmp_path):
    ids = r.prepare(live_app)
    make_user(live_app, "ebba", DEFAULT_ROLES["Accountant"], full_name="Ebba Ek")
    with time_machine.travel(r.moment(r.INVOICE_DAY), tick=True) as clock:
        login(page, "ebba")
        # 1. the two orders finalised on their cards on 2026-10-01
        numbers = {}
        for key in ("order_a", "order_b"):
            page.goto(f"/admin/order/details/?id={ids[key]}")
            with page.expect_navigation():
                page.click("#finalise")
            page.wait_for_url(re.compile(r".*/admin/invoice/details/.*"))
            numbers[key] = re.search(r"id=(\d+)", page.url).group(1)
        with live_app.app_context():
            a, b = (db.session.get(Invoice, int(numbers[k])) for k in ("order_a", "order_b"))
            a_id, b_id, a_number, b_number, a_ocr = a.id, b.id, a.number, b.number, a.ocr
            assert (a.total, b.total, b.due_date) == (r.A_TOTAL, r.B_TOTAL, r.B_DUE)

        # 2. 2026-10-05: Bankgirot's file read in on the BgMax page pays A
        clock.move_to(r.moment(r.DEPOSIT_DAY))
        path = tmp_path / "bgmax-20261005.txt"
        path.write_bytes(r.bgmax_file(a_ocr, r.A_TOTAL))
        page.goto("/admin/ledger/bgmax/")
        page.set_input_files("#file", str(path))
        page.click("#bgmax-upload")
        page.wait_for_url("**/admin/ledger/bgmax/?checksum=*")
        booked = page.locator("#bgmax-booked")
        expect(booked).to_contain_text("Kalles Plåt AB")
        expect(booked.locator(f".invoice-status[data-invoice='{a_number}']")).to_have_text("(Betald)")
        expect(page.locator("#bgmax-summary")).to_contain_text("bokförda: 1, ej matchade: 0")

        # 3. 2026-10-30: B is 19 days overdue; level 1 gets a fee of 60 kr, the reminder is made
        clock.move_to(r.moment(r.LATE_DAY))
        page.goto("/admin/ledger/reminder-levels/")
        page.fill("[id='1-fee']", "60,00")
        with page.expect_navigation():
            page.click("#save-levels")
        expect(page.locator(".alert-success")).to_be_visible()
        page.goto("/admin/ledger/reminders/")
        row = page.locator("#overdue tbody tr", has_text=b_number)
        expect(row).to_contain_text("Berits Garn")
        expect(row).to_contain_text("Nivå 1")
        expect(page.locator("#overdue")).not_to_contain_text(a_number)  # paid by the BgMax file
        page.check(f"#customer-{ids['berit']}")
        page.click("#create-reminders")  # a job: followed on the Jobs page
        expect(_wait_for_job(page, "Påminnelser").locator(".job-result")).to_contain_text(
            "1 påminnelser skapade, 1 med avgiftsfaktura")
        page.goto("/admin/ledger/reminders/")
        with live_app.app_context():
            reminder = db.session.scalar(select(Reminder))
            reminder_id, fee_number = reminder.id, reminder.fee_invoice.number
        expect(page.locator(f"#reminder-{reminder_id}")).to_contain_text(fee_number)
        with page.context.expect_page() as new_tab:
            page.click(f"#reminder-{reminder_id} a.reminder-pdf")
        pdf_page = new_tab.value
        pdf_page.wait_for_load_state()
        body = pdf_page.request.get(pdf_page.url).body()
        pdf_page.close()
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages).replace("\xa0", " ")
        assert "Berits Garn" in text and b_number in text and "60,00" in text and a_number not in text

        # 4. B paid late on its card (the amount is prefilled with what remains, the date is today)
        page.goto(f"/admin/invoice/details/?id={b_id}")
        expect(page.locator("#payment-date")).to_have_value(r.LATE_DAY.isoformat())
        page.fill("#payment-amount", "20 000,00")
        with page.expect_navigation():
            page.click("#register-payment")
        expect(page.locator("#invoice-payment-status")).to_have_text("Betald")
        with live_app.app_context():
            assert pay.balance(db.session, db.session.get(Invoice, b_id)).remaining == 0

        # 5. the interest invoice for B's 19 late days (the page's period: this month so far)
        page.goto("/admin/ledger/interest/")
        candidate = page.locator("#candidates tbody tr", has_text=b_number)
        expect(candidate).to_contain_text(str(r.LATE_DAYS))
        assert money(r.INTEREST).replace("\xa0", " ") in candidate.inner_text().replace("\xa0", " ")
        page.click("#create-interest")  # a job: followed on the Jobs page
        expect(_wait_for_job(page, "Räntefakturor").locator(".job-result")).to_contain_text(
            "1 räntefakturor skapade")
        with live_app.app_context():
            charge = db.session.scalar(select(InterestCharge))
            assert (charge.invoice_id, charge.amount, charge.days) == (b_id, r.INTEREST, r.LATE_DAYS)
            interest_number = db.session.get(Invoice, charge.interest_invoice_id).number

        # 6. the VAT report of October
        page.goto("/admin/ledger/vat-report/")
        page.fill("#period", r.MONTH)
        with page.expect_navigation():
            page.click("#show-vat")
        for box, amount in (("05", r.BOX_05), ("10", r.BOX_10), ("49", r.BOX_49)):
            expect(page.locator(f"#box-{box}")).to_contain_text(money(amount).replace("\xa0kr", ""))
        shot(page, "ledger-full-round-vat")

        # 7. the SIE export of October, downloaded from the Jobs page
        page.goto("/admin/ledger/sie-export/")
        page.fill("#from", r.MONTH_FROM.isoformat())
        page.fill("#to", r.MONTH_TO.isoformat())
        page.click("#start-export")
        row = _wait_for_job(page, "SIE-export")
        with page.expect_download() as download:
            row.locator("a.job-download").click()
        data = download.value.path().read_bytes()
    from services.ledger.sie_read import read_sie

    r.check_sie(read_sie(data), a_number, b_number, fee_number, interest_number)
