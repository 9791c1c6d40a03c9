"""The year-end screen (issue 12 item 12, 20.07): the preview, "Close the year" booking once, and
the rights (ledger.view reads, ledger.lock closes; the screen is refused to others)."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import FinancialYear, LedgerPeriodLock, Voucher, db
from services.ledger.vouchers import Row, book_voucher, ensure_year
from services.platform.rights import DEFAULT_ROLES
from tests.factories import csrf_from, make_user

URL = "/admin/ledger/year-end/"


def _books(app) -> int:
    with app.app_context():
        year = ensure_year(db.session, dt.date(2026, 1, 1))
        book_voucher(db.session, "M", dt.date(2026, 4, 1), [Row("1930", D("1250")), Row("3001", D("-1000")),
                                                            Row("2611", D("-250"))], "Försäljning", None)
        db.session.commit()
        return year.id


def _year_end_vouchers(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Voucher).where(Voucher.source_kind == "year_end"))


def test_preview_then_close_books_once(app, client, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    year_id = _books(app)
    auth.login("ebba")
    page = client.get(URL).get_data(as_text=True)
    assert 'id="close-year-form"' in page
    assert re.search(r'id="result-amount">1\s000,00', page)  # the result (a profit)
    assert 'id="voucher-row-8999"' in page and 'id="voucher-row-2099"' in page
    assert re.search(r'id="closing-1930">.*?1\s250,00', page, re.S)
    assert "Årets resultat" in page or "Result of the year" in page
    token = csrf_from(page)
    first = client.post(f"{URL}close", data={"csrf_token": token, "year_id": year_id})
    assert first.status_code == 302
    # a double click's second request: refused with a message, nothing booked twice
    second = client.post(f"{URL}close", data={"csrf_token": token, "year_id": year_id}, follow_redirects=True)
    text = second.get_data(as_text=True)
    assert "är redan stängt" in text
    assert _year_end_vouchers(app) == 1
    with app.app_context():
        assert db.session.get(FinancialYear, year_id).closed
        assert db.session.scalar(select(FinancialYear).where(FinancialYear.start_date == dt.date(2027, 1, 1)))
        assert db.session.scalar(select(func.max(LedgerPeriodLock.locked_through))) == dt.date(2026, 12, 31)
    page = client.get(f"{URL}?year={year_id}").get_data(as_text=True)
    assert 'id="year-closed"' in page and 'id="close-year-form"' not in page
    assert "BS1" in page


def test_the_screen_is_swedish(app, client, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    _books(app)
    auth.login("ebba")
    page = client.get(URL).get_data(as_text=True)
    for swedish in ("Bokslut", "Stäng året", "Årets resultat (konton 3000-8999)", "Nästa räkenskapsår",
                    "Vad bokslutet bokför", "Resultaträkning"):
        assert swedish in page, swedish


def test_rights_view_reads_lock_closes(app, client, auth):
    make_user(app, "vera", {"ledger.view"})
    make_user(app, "olle", {"customer.view", "sales.view"})
    year_id = _books(app)
    auth.login("olle")
    assert client.get(URL).status_code == 403
    auth.logout()
    auth.login("vera")
    page = client.get(URL).get_data(as_text=True)
    assert 'id="result-amount"' in page and 'id="close-year-form"' not in page
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.post(f"{URL}close", data={"csrf_token": token, "year_id": year_id}).status_code == 403
    assert _year_end_vouchers(app) == 0
    with app.app_context():
        assert not db.session.get(FinancialYear, year_id).closed


def test_an_open_previous_year_is_shown_and_closing_refused(app, client, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    with app.app_context():
        ensure_year(db.session, dt.date(2025, 1, 1))
        db.session.commit()
    year_id = _books(app)
    auth.login("ebba")
    page = client.get(f"{URL}?year={year_id}").get_data(as_text=True)
    assert "year-end-problem" in page and 'id="close-year-form"' not in page
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    answer = client.post(f"{URL}close", data={"csrf_token": token, "year_id": year_id}, follow_redirects=True)
    assert "Det föregående räkenskapsåret 2025-01-01 – 2025-12-31 är inte stängt" in answer.get_data(as_text=True)
    assert _year_end_vouchers(app) == 0
    assert client.post(f"{URL}close", data={"csrf_token": token, "year_id": "999"}).status_code == 404


def test_the_equity_account_is_set_on_the_page(app, client, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    make_user(app, "vera", {"ledger.view"})
    year_id = _books(app)
    auth.login("ebba")
    page = client.get(URL).get_data(as_text=True)
    assert 'id="equity" value="2099"' in page
    token = csrf_from(page)
    bad = client.post(f"{URL}equity", data={"csrf_token": token, "equity": "1930", "year_id": year_id},
                      follow_redirects=True).get_data(as_text=True)
    assert "fyra siffror som börjar med 20" in bad
    client.post(f"{URL}equity", data={"csrf_token": token, "equity": "2091", "year_id": year_id})
    page = client.get(URL).get_data(as_text=True)
    assert 'id="equity" value="2091"' in page and 'id="voucher-row-2091"' in page
    auth.logout()
    auth.login("vera")
    assert 'id="equity-form"' not in client.get(URL).get_data(as_text=True)
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.post(f"{URL}equity", data={"csrf_token": token, "equity": "2099"}).status_code == 403
    auth.logout()
    auth.login("ebba")
    assert 'id="equity" value="2091"' in client.get(URL).get_data(as_text=True)
