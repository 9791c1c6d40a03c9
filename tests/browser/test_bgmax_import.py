"""An accountant reads in a BgMax file in Chromium (issue 12 item 2): the upload starts the
import's job, the page follows it and then shows the payment booked to its invoice, which is
"Betald"; the same file again is refused beside the file field."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from bench.ledger_data import GenPayment, write_bgmax
from models import Order, Payment, db
from services.ledger.vouchers import ensure_year
from services.platform.rights import DEFAULT_ROLES
from services.sales import invoicing, orders
from tests import sales_helpers as h
from tests.browser.conftest import login, shot
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_upload_a_bgmax_file_and_see_the_invoice_paid(page, live_app, tmp_path):
    today = dt.date.today()
    with live_app.app_context():
        ensure_year(db.session, today)
        customer = h.customer(db.session, "1001", "Kalles Plåt AB", org="5500001234")
        order = orders.create_order(db.session, customer, None, today=today)
        orders.add_line(db.session, order, "article", article=h.article(db.session), quantity=2)
        invoice = invoicing.finalise_invoice(db.session, order, None, today, h.settings(db.session))
        db.session.commit()
        number, ocr, total = invoice.number, invoice.ocr, invoice.total
    path = tmp_path / "bgmax-inbetalningar.txt"
    out = io.BytesIO()
    write_bgmax(out, [[GenPayment(total, ocr, name="Kalles Plåt AB"),
                       GenPayment(D("99.00"), "99999999", name="Okänd Betalare")]], date=today)
    path.write_bytes(out.getvalue())
    make_user(live_app, "ebba", DEFAULT_ROLES["Accountant"])
    login(page, "ebba")
    page.goto("/admin/ledger/bgmax/")
    expect(page.locator("#bgmax-no-imports")).to_be_visible()
    page.set_input_files("#file", str(path))
    page.click("#bgmax-upload")
    page.wait_for_url("**/admin/ledger/bgmax/?checksum=*")
    booked = page.locator("#bgmax-booked")
    expect(booked).to_contain_text("Kalles Plåt AB")
    expect(booked.locator(f".invoice-status[data-invoice='{number}']")).to_have_text("(Betald)")
    expect(page.locator("#bgmax-unmatched")).to_contain_text("Ingen faktura har referensen.")
    expect(page.locator("#bgmax-summary")).to_contain_text("bokförda: 1, ej matchade: 1")
    shot(page, "bgmax-import-result")
    # the same file again: refused beside the file field, nothing booked twice
    page.set_input_files("#file", str(path))
    page.click("#bgmax-upload")
    expect(page.locator("#file-error")).to_contain_text("Filen är redan inläst")
    expect(page.locator("#file")).to_have_attribute("aria-invalid", "true")
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 2
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
