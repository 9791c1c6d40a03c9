"""Momsavräkning in Chromium: the running month's button is disabled with the reason beside it
(Swedish); an ended month asks for confirmation naming the period and the lock date, and a
dismissed dialog books nothing."""
import datetime as dt
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Voucher, db
from services.ledger.vouchers import Row, book_voucher, ensure_year, locked_through
from services.platform.rights import DEFAULT_ROLES
from tests.browser.conftest import axe, login, shot
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_the_running_month_cannot_be_settled_and_an_ended_one_asks_first(page, live_app):
    today = dt.date.today()
    last = today.replace(day=1) - dt.timedelta(days=1)  # the last day of last month
    with live_app.app_context():
        for day in (last, today):
            ensure_year(db.session, day)
            book_voucher(db.session, "M", day, [Row("1910", D("125")), Row("3001", D("-100")), Row("2611", D("-25"))],
                         "Kontant", None)
        db.session.commit()
    make_user(live_app, "ebba", DEFAULT_ROLES["Accountant"])
    login(page, "ebba")
    running = f"{today.year}-{today.month:02d}"
    page.goto(f"/admin/ledger/vat-report/?period={running}")
    expect(page.locator("#vat-settle")).to_be_disabled()
    expect(page.locator("#vat-settle-reason")).to_contain_text("Perioden är inte slut än")
    assert axe(page) == []
    shot(page, "ledger-vat-running-month")
    ended = f"{last.year}-{last.month:02d}"
    page.goto(f"/admin/ledger/vat-report/?period={ended}")
    messages = []

    def dismiss(dialog):
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("#vat-settle")
    expect(page.locator("#vat-settle")).to_be_enabled()
    assert messages and ended in messages[0] and last.isoformat() in messages[0] and "låses" in messages[0]
    with live_app.app_context():
        assert locked_through(db.session) is None
        assert db.session.scalar(select(Voucher).where(Voucher.source_kind == "vat_settlement")) is None
