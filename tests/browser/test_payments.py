"""An invoice paid in two steps in Chromium (issue 12 item 1): a part payment typed the Swedish
way ("1 000,50") shows "Delvis betald" and the remaining amount, the rest makes it "Betald"."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from models import Order, Payment, db
from services.sales import invoicing, orders
from tests import sales_helpers as h
from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser


def test_part_payment_then_the_rest(page, live_app):
    with live_app.app_context():
        customer = h.customer(db.session, "4712", "Sundby Åkeri AB")
        order = orders.create_order(db.session, customer, None, today=dt.date.today())
        orders.add_line(db.session, order, "article", article=h.article(db.session, "OF-9", "Oljefilter", "1000.00"),
                        quantity=2)  # 2 000 + 25 % VAT = 2 500,00
        invoice = invoicing.finalise_invoice(db.session, order, None, dt.date.today(), h.settings(db.session))
        db.session.commit()
        invoice_id, total = invoice.id, invoice.total
    assert str(total) == "2500.00"

    login(page)
    page.goto(f"/admin/invoice/details/?id={invoice_id}")
    expect(page.locator("#invoice-payment-status")).to_have_text("Öppen")
    expect(page.locator("#payment-amount")).to_have_value(re.compile(r"^2\s500,00$"))
    page.fill("#payment-amount", "1 000,50")
    shot(page, "payment-form")
    with page.expect_navigation():
        page.dblclick("#register-payment")  # a double click books once
    expect(page.locator("#invoice-payment-status")).to_have_text("Delvis betald")
    assert page.inner_text("#invoice-remaining").replace("\xa0", " ") == "1 499,50 kr"
    expect(page.locator("#payment-amount")).to_have_value(re.compile(r"^1\s499,50$"))  # the rest, prefilled
    with page.expect_navigation():
        page.click("#register-payment")
    expect(page.locator("#invoice-payment-status")).to_have_text("Betald")
    assert page.inner_text("#invoice-remaining").replace("\xa0", " ") == "0,00 kr"
    expect(page.locator("#register-payment-form")).to_have_count(0)
    assert page.locator("#invoice-payment-rows a.payment-link").count() == 2
    shot(page, "payment-paid")
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 2
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
