"""An accountant books a manual voucher in Chromium (issue 12 item 6): the balance follows the
typed rows live, an unbalanced voucher is refused by the server with the difference, the
balanced one is booked as M1 and shows in the general ledger of its account."""
import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Voucher, db
from services.ledger.vouchers import ensure_year
from services.platform.rights import DEFAULT_ROLES
from tests.browser.conftest import login, shot
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_book_a_manual_voucher_and_see_it_in_the_general_ledger(page, live_app):
    today = dt.date.today()
    with live_app.app_context():
        ensure_year(db.session, today)
        db.session.commit()
    make_user(live_app, "ebba", DEFAULT_ROLES["Accountant"])
    login(page, "ebba")
    page.goto("/admin/ledger/manual-voucher/")
    page.fill("#text", "Insättning av kassa")
    page.fill("#rows-0-account", "1930")
    page.fill("#rows-0-debit", "1 250,50")
    page.fill("#rows-1-account", "1910")
    page.fill("#rows-1-credit", "1 250")
    expect(page.locator("#balance")).to_have_text("Differens 0,50")
    page.click("#book-voucher")
    expect(page.locator("#rows-error")).to_contain_text("skiljer sig med 0,50")
    expect(page.locator("#rows-0-debit")).to_have_value("1 250,50")  # what was typed stays
    page.fill("#rows-1-credit", "1 250,50")
    expect(page.locator("#balance")).to_have_text("Balanserar")
    expect(page.locator("#total-debit")).to_have_text("1\u00a0250,50")
    shot(page, "ledger-manual-voucher")
    page.click("#book-voucher")
    page.wait_for_url("**/admin/voucher/details/**")
    expect(page.locator("#voucher-title")).to_have_text("Verifikation M1")
    with live_app.app_context():
        voucher = db.session.scalar(select(Voucher))
        assert (voucher.series, voucher.number, voucher.created_by.username) == ("M", 1, "ebba")

    page.click("#voucher-rows a:has-text('1930')")
    page.wait_for_url("**/admin/ledger/general-ledger/**")
    row = page.locator("#general-ledger tr.ledger-row")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("M1")
    expect(row.first).to_contain_text("Insättning av kassa")
    expect(row.first).to_contain_text("1 250,50")
    expect(page.locator("#closing-balance")).to_contain_text("1 250,50")
    shot(page, "ledger-general-ledger")
