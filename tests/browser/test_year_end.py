"""An accountant closes a financial year in Chromium (issue 12 item 12, 20.07): the preview shows
the result and the voucher to book, a double click on "Stäng året" books the result once, the
year shows as closed with its voucher and the next year exists."""
import datetime as dt
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from models import FinancialYear, Voucher, db
from services.ledger.vouchers import Row, book_voucher, ensure_year
from services.platform.rights import DEFAULT_ROLES
from tests.browser.conftest import axe, login, shot
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_preview_and_close_the_year(page, live_app):
    with live_app.app_context():
        ensure_year(db.session, dt.date(2026, 1, 1))
        book_voucher(db.session, "M", dt.date(2026, 6, 1), [Row("1930", D("2500")), Row("3001", D("-2000")),
                                                            Row("2611", D("-500"))], "Försäljning", None)
        book_voucher(db.session, "M", dt.date(2026, 7, 1), [Row("6990", D("750.50")), Row("1930", D("-750.50"))],
                     "Kostnad", None)
        db.session.commit()
    make_user(live_app, "ebba", DEFAULT_ROLES["Accountant"])
    login(page, "ebba")
    page.goto("/admin/")
    page.click("a.dropdown-toggle:has-text('Bokföring')")
    page.click("a:has-text('Bokslut')")
    page.wait_for_url("**/admin/ledger/year-end/**")
    expect(page.locator("#year-end-heading")).to_contain_text("2026-01-01 – 2026-12-31")
    expect(page.locator("#result-amount")).to_have_text("1\u00a0249,50\u00a0kr")
    expect(page.locator("#voucher-row-8999")).to_contain_text("1\u00a0249,50")
    expect(page.locator("#voucher-row-2099")).to_contain_text("1\u00a0249,50")
    expect(page.locator("#next-year")).to_contain_text("2027-01-01")
    assert axe(page) == []
    shot(page, "ledger-year-end-preview")
    page.on("dialog", lambda dialog: dialog.accept())
    page.dblclick("#close-year")
    expect(page.locator("#year-closed")).to_be_visible()
    expect(page.locator("#year-end-voucher-link")).to_have_text("BS1")
    expect(page.locator("#close-year")).to_have_count(0)
    shot(page, "ledger-year-end-closed")
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Voucher).where(Voucher.source_kind == "year_end")) == 1
        years = list(db.session.scalars(select(FinancialYear).order_by(FinancialYear.start_date)))
        assert [(y.start_date, y.closed) for y in years] == [(dt.date(2026, 1, 1), True), (dt.date(2027, 1, 1), False)]
    page.click("#year-end-voucher-link")
    page.wait_for_url("**/admin/voucher/details/**")
    expect(page.locator("#voucher-title")).to_have_text("Verifikation BS1")
