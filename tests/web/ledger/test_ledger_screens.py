"""The ledger's screens (issue 12 item 6): chart of accounts, vouchers and their card with the
reversal, the manual voucher form, account balances, general ledger, voucher journal and the
period lock; every one refused without its ledger right."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import Account, LedgerPeriodLock, Order, Voucher, db
from services.ledger.vouchers import Row, book_voucher, ensure_year
from services.platform.rights import DEFAULT_ROLES
from services.sales import invoicing, orders
from tests import sales_helpers as h
from tests.factories import csrf_from, make_user

DAY = dt.date(2026, 11, 24)
PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}
SCREENS = ["/admin/voucher/", "/admin/account/", "/admin/ledger/balances/", "/admin/ledger/general-ledger/",
           "/admin/ledger/journal/", "/admin/ledger/manual-voucher/", "/admin/ledger/period-lock/"]


@pytest.fixture
def accountant(app, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    auth.login("ebba")


def _book(app, rows=None, day=DAY, text="Kontantförsäljning"):
    with app.app_context():
        ensure_year(db.session, day)
        voucher = book_voucher(db.session, "M", day, rows or [Row("1930", D("125")), Row("3001", D("-100")),
                                                               Row("2611", D("-25"))], text, None)
        db.session.commit()
        return voucher.id


def test_every_screen_answers_the_accountant_and_refuses_others(app, client, auth):
    make_user(app, "ebba", DEFAULT_ROLES["Accountant"])
    make_user(app, "olle", {"customer.view", "sales.view"})
    make_user(app, "vera", {"ledger.view"})
    voucher_id = _book(app)
    auth.login("ebba")
    for url in SCREENS + [f"/admin/voucher/details/?id={voucher_id}"]:
        assert client.get(url).status_code == 200, url
    html = client.get("/admin/").get_data(as_text=True)
    assert "Bokföring" in html
    auth.logout()
    auth.login("olle")
    for url in SCREENS:
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/voucher/reverse", data={"csrf_token": token, "voucher_id": voucher_id,
                                                       "date": "2026-11-25"}).status_code == 403
    auth.logout()
    # view only: reads the books, books nothing, locks nothing, keeps no accounts
    auth.login("vera")
    for url in ("/admin/voucher/", "/admin/ledger/balances/", "/admin/ledger/general-ledger/", "/admin/account/"):
        assert client.get(url).status_code == 200, url
    for url in ("/admin/ledger/manual-voucher/", "/admin/ledger/period-lock/", "/admin/account/new/"):
        assert client.get(url).status_code in (302, 403), url
    card = client.get(f"/admin/voucher/details/?id={voucher_id}").get_data(as_text=True)
    assert 'id="reverse-voucher"' not in card
    token = csrf_from(client.get("/admin/voucher/").get_data(as_text=True))
    for url, data in (("/admin/voucher/reverse", {"voucher_id": voucher_id, "date": "2026-11-25"}),
                      ("/admin/ledger/manual-voucher/", {"date": "2026-11-24", "text": "x"}),
                      ("/admin/ledger/period-lock/", {"month": "2026-01"})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Voucher)) == 1
        assert db.session.scalar(select(func.count()).select_from(LedgerPeriodLock)) == 0


def test_a_manual_voucher_is_booked_and_its_errors_are_shown_next_to_the_row(app, client, accountant):
    with app.app_context():
        ensure_year(db.session, DAY)
        db.session.commit()
    url = "/admin/ledger/manual-voucher/"
    token = csrf_from(client.get(url).get_data(as_text=True))
    base = {"csrf_token": token, "date": "2026-11-24", "text": "Insättning kassa"}
    r = client.post(url, data={**base, "rows-0-account": "1930", "rows-0-debit": "1 000,00",
                               "rows-1-account": "1910", "rows-1-credit": "999,99"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "balanserar inte" in html and 'id="rows-error"' in html
    r = client.post(url, data={**base, "rows-0-account": "1930", "rows-0-debit": "100",
                               "rows-1-account": "9999", "rows-1-credit": "100"})
    html = r.get_data(as_text=True)
    # the error stands under the row's account, which is marked invalid
    cell = html[html.index('name="rows-1-account"') - 80:]
    cell = cell[:cell.index("</td>")]
    assert "is-invalid" in cell and 'value="9999"' in cell
    assert '<div class="invalid-feedback">Konto 9999 finns inte.</div>' in cell
    r = client.post(url, data={**base, "rows-0-account": "1930", "rows-0-debit": "abc",
                               "rows-1-account": "1910", "rows-1-credit": "100"})
    assert "Debet måste vara ett tal" in r.get_data(as_text=True)
    r = client.post(url, data={**base, "rows-0-account": "1930", "rows-0-debit": "1 000,00",
                               "rows-2-account": "1910", "rows-2-credit": "1000"})
    assert r.status_code == 302
    with app.app_context():
        voucher = db.session.scalar(select(Voucher))
        assert (voucher.series, voucher.number, voucher.text) == ("M", 1, "Insättning kassa")
        assert [(row.account_number, row.amount) for row in voucher.rows] == [("1930", D("1000.00")),
                                                                           ("1910", D("-1000.00"))]
        assert voucher.created_by.username == "ebba"


def test_voucher_card_reversal_links_both_ways(app, client, accountant):
    voucher_id = _book(app, text="Felbokning")
    card = client.get(f"/admin/voucher/details/?id={voucher_id}").get_data(as_text=True)
    assert "Kontantförsäljning" not in card and "Felbokning" in card
    assert "Företagskonto/checkkonto/affärskonto" in card and 'id="reverse-voucher"' in card
    r = client.post("/admin/voucher/reverse", data={"csrf_token": csrf_from(card), "voucher_id": voucher_id,
                                                    "date": "2026-11-25"})
    assert r.status_code == 302
    reversal = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Vändning av M1: Felbokning" in reversal and 'id="voucher-reverses"' in reversal
    card = client.get(f"/admin/voucher/details/?id={voucher_id}").get_data(as_text=True)
    assert 'id="voucher-reversed-by"' in card and "M2" in card and 'id="reverse-voucher"' not in card
    listing = client.get("/admin/voucher/").get_data(as_text=True)
    assert "Vändning" in listing and "125,00" in listing


def test_an_invoice_voucher_links_to_its_invoice_and_back(app, client, accountant):
    with app.app_context():
        cust = h.customer(db.session)
        order = orders.create_order(db.session, cust, None, today=DAY)
        orders.add_line(db.session, order, "article", article=h.article(db.session))
        invoice = invoicing.finalise_invoice(db.session, order, None, DAY, h.settings(db.session))
        db.session.commit()
        invoice_id, number = invoice.id, invoice.number
        voucher_id = db.session.scalar(select(Voucher.id).where(Voucher.source_kind == "invoice"))
    card = client.get(f"/admin/voucher/details/?id={voucher_id}").get_data(as_text=True)
    assert f'href="/admin/invoice/details/?id={invoice_id}">Faktura {number}</a>' in card
    assert 'id="reverse-voucher"' not in card  # corrected by a credit note
    invoice_card = client.get(f"/admin/invoice/details/?id={invoice_id}").get_data(as_text=True)
    assert f'/admin/voucher/details/?id={voucher_id}' in invoice_card and "F1" in invoice_card


def test_an_account_with_rows_is_inactivated_not_deleted(app, client, accountant):
    _book(app)
    with app.app_context():
        used = db.session.scalar(select(Account).where(Account.number == "1930")).id
        unused = db.session.scalar(select(Account).where(Account.number == "6570")).id
    token = csrf_from(client.get("/admin/account/").get_data(as_text=True))
    r = client.post("/admin/account/delete/", data={"csrf_token": token, "id": used}, follow_redirects=True)
    assert "Konto 1930 har transaktioner; det kan inte tas bort, bara inaktiveras." in r.get_data(as_text=True)
    client.post("/admin/account/delete/", data={"csrf_token": token, "id": unused})
    with app.app_context():
        assert db.session.get(Account, used) is not None and db.session.get(Account, unused) is None
    page = client.get("/admin/account/new/")
    r = client.post("/admin/account/new/", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                 "number": "39", "name": "Fel", "type": "income"})
    assert "Ange ett fyrsiffrigt kontonummer (BAS)." in r.get_data(as_text=True)
    r = client.post("/admin/account/new/", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                 "number": "3915", "name": "Hyresintäkter lokal", "type": "income",
                                                 "active": "y"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Account.name).where(Account.number == "3915")) == "Hyresintäkter lokal"


def test_balances_general_ledger_and_journal(app, client, accountant):
    _book(app, [Row("1930", D("500")), Row("2099", D("-500"))], day=dt.date(2025, 12, 30), text="Förra året")
    _book(app, [Row("1930", D("125")), Row("3001", D("-100")), Row("2611", D("-25"))], text="Försäljning")
    _book(app, [Row("6570", D("30")), Row("1930", D("-30"))], day=dt.date(2026, 11, 25), text="Bankavgift")
    html = client.get("/admin/ledger/balances/", query_string=PERIOD).get_data(as_text=True)
    row = html[html.index('id="balance-1930"'):]
    row = row[:row.index("</tr>")]
    assert "500,00" in row and "95,00" in row and "595,00" in row  # opening, movement, closing
    assert 'id="balance-2099"' in html and 'id="balance-3001"' in html
    page = client.get("/admin/ledger/general-ledger/", query_string={"account": "1930", **PERIOD})
    html = page.get_data(as_text=True)
    assert 'id="opening-balance"' in html and html.count('class="ledger-row"') == 2
    closing = html[html.index('id="closing-balance"'):]
    assert "595,00" in closing[:closing.index("</tr>")]
    html = client.get("/admin/ledger/journal/", query_string=PERIOD).get_data(as_text=True)
    assert 'id="journal-M1"' in html and 'id="journal-M2"' in html and "Förra året" not in html
    assert '>Debet</th>' in html and '>Kredit</th>' in html  # the columns, not the customer's "tillgodo"
    html = client.get("/admin/ledger/journal/", query_string={"from": "2025-01-01", "to": "2025-12-31"}).get_data(
        as_text=True)
    assert 'id="journal-M1"' in html and "Förra året" in html and "Bankavgift" not in html
    # a result account starts each financial year at zero: last year's sales are not its opening
    _book(app, [Row("2099", D("40")), Row("3001", D("-40"))], day=dt.date(2025, 12, 30), text="Förra årets försäljning")
    html = client.get("/admin/ledger/general-ledger/", query_string={"account": "3001", **PERIOD}).get_data(as_text=True)
    opening = html[html.index('id="opening-balance"'):]
    assert "0,00" in opening[:opening.index("</tr>")] and "40,00" not in opening[:opening.index("</tr>")]
    closing = html[html.index('id="closing-balance"'):]
    assert "-100,00" in closing[:closing.index("</tr>")].replace("\u2212", "-")


def test_general_ledger_pages_by_keyset(app, client, accountant):
    with app.app_context():
        ensure_year(db.session, DAY)
        for n in range(105):
            book_voucher(db.session, "M", DAY - dt.timedelta(days=n % 30), [Row("1930", D("1")), Row("3001", D("-1"))],
                         f"Rad {n}", None)
        db.session.commit()
    html = client.get("/admin/ledger/general-ledger/", query_string={"account": "1930", **PERIOD}).get_data(
        as_text=True)
    assert html.count('class="ledger-row"') == 100 and 'id="next-page"' in html and 'id="closing-balance"' not in html
    after = html[html.index('id="next-page" href="') + len('id="next-page" href="'):]
    after = after[:after.index('"')].replace("&amp;", "&")
    html = client.get(after).get_data(as_text=True)
    assert html.count('class="ledger-row"') == 5 and 'id="closing-balance"' in html
    closing = html[html.index('id="closing-balance"'):]
    assert "105,00" in closing[:closing.index("</tr>")]
    # the last row's running balance is the closing balance
    rows = html.split('class="ledger-row"')
    assert "105,00" in rows[-1]
    # the link carries the running balance, signed: edited, or taken to another account, it is the first page
    signed = after.split("after=")[1].split("&")[0]
    for query in ({"account": "1930", "after": signed[:-2] + "xx", **PERIOD}, {"account": "3001", "after": signed, **PERIOD},
                  {"account": "1930", "after": signed, "from": "2026-02-01", "to": PERIOD["to"]}):
        html = client.get("/admin/ledger/general-ledger/", query_string=query).get_data(as_text=True)
        assert 'id="opening-balance"' in html and html.count('class="ledger-row"') == 100, query


def test_the_journal_pages_by_keyset_without_a_voucher_twice(app, client, accountant):
    with app.app_context():
        ensure_year(db.session, DAY)
        for n in range(55):  # several a day: the cursor's id decides within its date
            book_voucher(db.session, "M", DAY - dt.timedelta(days=n % 7), [Row("1930", D("1")), Row("3001", D("-1"))],
                         f"Rad {n}", None)
        db.session.commit()
    html = client.get("/admin/ledger/journal/", query_string=PERIOD).get_data(as_text=True)
    first = set(re.findall(r'id="journal-(M\d+)"', html))
    after = html[html.index('id="next-page" href="') + len('id="next-page" href="'):]
    html = client.get(after[:after.index('"')].replace("&amp;", "&")).get_data(as_text=True)
    second = set(re.findall(r'id="journal-(M\d+)"', html))
    assert len(first) == 50 and len(second) == 5 and not first & second
    assert first | second == {f"M{n}" for n in range(1, 56)}
    assert 'id="next-page"' not in html


def test_the_period_lock_screen_locks_through_a_month_and_only_forward(app, client, accountant):
    url = "/admin/ledger/period-lock/"
    token = csrf_from(client.get(url).get_data(as_text=True))
    r = client.post(url, data={"csrf_token": token, "month": "2026-03"})
    assert r.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "Bokföringen är låst till och med 2026-03-31." in html or "31 mars 2026" in html
    r = client.post(url, data={"csrf_token": token, "month": "2026-02"})
    assert "en låsning flyttas bara framåt" in r.get_data(as_text=True)
    r = client.post(url, data={"csrf_token": token, "month": "mars"})
    assert "Välj en månad." in r.get_data(as_text=True)
    # the manual form is refused in the locked month, next to the date
    form = client.get("/admin/ledger/manual-voucher/").get_data(as_text=True)
    r = client.post("/admin/ledger/manual-voucher/", data={
        "csrf_token": csrf_from(form), "date": "2026-03-15", "text": "Sent", "rows-0-account": "1930",
        "rows-0-debit": "10", "rows-1-account": "1910", "rows-1-credit": "10"})
    assert "Perioden är låst till och med 2026-03-31" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Voucher)) == 0
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
