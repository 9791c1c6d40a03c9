"""An insurance case clicked through in Chromium (000 90.16): the case entered on the order
screen, the order finalised, the owner's excess invoice and the insurer's invoice opened."""
import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Invoice, db
from services.sales import orders
from tests import sales_helpers as h
from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser


def test_enter_case_finalise_and_open_both_invoices(page, live_app):
    """Issue 9 item 20: a case typed in the browser (Swedish comma in the excess), finalised
    into two invoices that each name the case and open from one another."""
    with live_app.app_context():
        h.customer(db.session, "9001", "Trygg Försäkring AB", is_insurer=True)
        owner = h.customer(db.session, "1301", "Karin Ek", org=None)
        car = h.vehicle(db.session, owner, "KLM456")
        order = orders.create_order(db.session, owner, None, vehicle=car)
        orders.add_line(db.session, order, "free_text", text="Ny stötfångare", quantity=D("1"),
                        unit_price=D("7999.99"), vat_percent=25)
        db.session.commit()
        order_id = order.id

    login(page)
    page.goto(f"/admin/order/details/?id={order_id}")
    page.fill("#case-insurer-search", "Trygg")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#case-insurer-select option'))"
        ".some(o => o.textContent.includes('Trygg'))")
    page.fill("#case-claim-number", "SK-2026-77")
    page.fill("#case-damage-date", "2026-11-01")
    page.fill("#case-excess-input", "1 500,50")
    with page.expect_navigation():
        page.click("#save-case")
    expect(page.locator("#case-claim")).to_have_text("SK-2026-77")
    expect(page.locator("#case-insurer")).to_contain_text("Trygg Försäkring AB")
    shot(page, "insurance-case-order")

    with page.expect_navigation():
        page.click("#finalise")
    page.wait_for_url(re.compile(r".*/admin/invoice/details/.*"))
    with live_app.app_context():
        owner_inv, insurer_inv = db.session.scalars(select(Invoice).order_by(Invoice.sequence)).all()
        numbers = (owner_inv.number, insurer_inv.number)
        assert owner_inv.total == D("1500.50")
        assert owner_inv.total + insurer_inv.total == D("9999.99")
    # the owner's excess invoice, naming the case
    expect(page.locator("#invoice-title")).to_contain_text(numbers[0])
    expect(page.locator("#invoice-insurance-case")).to_contain_text("SK-2026-77")
    expect(page.locator("#invoice-insurance-case")).to_contain_text("Trygg Försäkring AB")
    expect(page.locator("#invoice-total")).to_have_text(re.compile(r"1\s500,50"))
    # from it, the insurer's invoice
    with page.expect_navigation():
        page.click(f"#case-invoice-{numbers[1]}")
    expect(page.locator("#invoice-title")).to_contain_text(numbers[1])
    expect(page.locator("#invoice-insurance-case")).to_contain_text("SK-2026-77")
    expect(page.locator("#invoice-insurance-case")).to_contain_text("KLM456")
    expect(page.locator("#invoice-lines")).to_contain_text("Karin Ek")  # the excess is deducted, owner named
    shot(page, "insurance-case-insurer-invoice")
