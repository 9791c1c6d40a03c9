"""Typed numbers through the screens (issue 9 item 6): the order screen, the admin forms of the
registers and the manual credit note all read numbers with services.platform.numbers."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import Article, Invoice, Order, OrderLine, User, VatRate, db
from tests import sales_helpers as h
from tests.factories import csrf_from


@pytest.fixture
def order_id(app, admin_user):
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        customer = h.customer(db.session)
        order = Order(kind="order", status="in_progress", customer=customer, order_date=dt.date(2026, 11, 24),
                      lines=[])
        db.session.add(order)
        db.session.commit()
        return order.id


@pytest.mark.parametrize(("name", "typed", "reason"), [
    ("quantity", "Infinity", "The quantity must be a number"),
    ("quantity", "NaN", "The quantity must be a number"),
    ("quantity", "1e3", "The quantity must be a number"),
    ("quantity", "0,333", "The quantity takes at most 2 decimals; nothing was rounded."),
    ("unit_price", "-Infinity", "The unit price must be a number"),
    ("unit_price", "199,505", "The unit price takes at most 2 decimals"),
    ("unit_price", "12 50", "The unit price: put spaces only between groups of three digits"),
    ("discount_percent", "NaN", "The discount must be a number"),
])
def test_order_line_refuses_bad_numbers_next_to_the_field(app, client, auth, order_id, name, typed, reason):
    """Issue 9 item 6: "Infinity", "NaN", "1e3" and "0,333" on an order line are refused with
    the reason under the input, what was typed kept; nothing is saved and the page still opens."""
    auth.login()
    url = f"/admin/order/details/?id={order_id}"
    token = auth.token(url)
    data = {"csrf_token": token, "order_id": order_id, "kind": "free_text", "text": "Spolarvätska",
            "quantity": "1", "unit_price": "10"}
    data[name] = typed
    r = client.post("/admin/order/line/add", data=data, follow_redirects=True)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert re.search(rf'<input name="{name}"[^>]*is-invalid[^>]*value="{re.escape(typed)}">\s*'
                     rf'<div class="invalid-feedback d-block" id="line-error">{re.escape(reason)}', html), html[-3000:]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderLine)) == 0
    assert client.get(url).status_code == 200


def test_order_line_takes_spaced_thousands_and_either_separator(app, client, auth, order_id):
    """Issue 9 item 6: "1 250,50" (also with a non-breaking space) and "2.5" are read exactly."""
    auth.login()
    url = f"/admin/order/details/?id={order_id}"
    token = auth.token(url)
    for quantity, price in (("2.5", "1 250,50"), ("1", "1\u00a0250,50"), ("3", "1\u202f000")):
        r = client.post("/admin/order/line/add", data={
            "csrf_token": token, "order_id": order_id, "kind": "free_text", "text": "Rad", "quantity": quantity,
            "unit_price": price, "vat_percent": "25"})
        assert r.status_code == 302
    with app.app_context():
        lines = db.session.scalars(select(OrderLine).order_by(OrderLine.position)).all()
        assert [(l.quantity, l.unit_price) for l in lines] == [(D("2.5"), D("1250.50")), (D("1"), D("1250.50")),
                                                               (D("3"), D("1000.00"))]
    assert client.get(url).status_code == 200


def test_register_form_reads_numbers_with_the_parser(app, client, auth, admin_user):
    """Issue 9 item 6: a Numeric column of an admin form (the article's price) is a text input
    read by the parser: "Infinity" and "0,333" are refused next to the field, "1 250,50" is saved."""
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        db.session.commit()
        vat = str(db.session.scalar(select(VatRate.id).where(VatRate.percent == 25)))
    auth.login()
    page = client.get("/admin/article/new/").get_data(as_text=True)
    price_input = re.search(r'<input[^>]*id="price"[^>]*>', page).group(0)
    assert 'type="text"' in price_input and 'inputmode="decimal"' in price_input
    for n, (typed, reason) in enumerate((("Infinity", "Price excl. VAT must be a number"),
                                         ("0,333", "Price excl. VAT takes at most 2 decimals"),
                                         ("1e3", "Price excl. VAT must be a number"))):
        token = csrf_from(client.get("/admin/article/new/").get_data(as_text=True))
        r = client.post("/admin/article/new/", data={"csrf_token": token, "number": f"A-{n}", "name": "Filter",
                                                     "unit": "st", "price": typed, "purchase_price": "1",
                                                     "vat_rate": vat, "stock_quantity": "0", "form_nonce": f"x{n}"})
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert re.search(r'id="price"[^>]*value="' + re.escape(typed) + r'"', html)
        assert re.search(r"text-danger[^>]*>\s*<li>" + re.escape(reason), html), reason
    token = csrf_from(client.get("/admin/article/new/").get_data(as_text=True))
    r = client.post("/admin/article/new/", data={"csrf_token": token, "number": "A-OK", "name": "Filter", "unit": "st",
                                                 "price": "1 250,50", "purchase_price": "99.5", "vat_rate": vat,
                                                 "stock_quantity": "12", "form_nonce": "ok"})
    assert r.status_code == 302
    with app.app_context():
        article = db.session.scalar(select(Article))
        assert (article.number, article.price, article.purchase_price) == ("A-OK", D("1250.50"), D("99.50"))
        article_id = article.id
    edit = client.get(f"/admin/article/edit/?id={article_id}").get_data(as_text=True)
    assert re.search(r'id="price"[^>]*value="1250.50"', edit)  # English: a point, read back unchanged


def test_manual_credit_note_takes_spaced_thousands(app, client, auth, admin_user):
    """Issue 9 item 6: the manual credit note took "1 250,50" as not a number; "0,333" is refused."""
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        h.customer(db.session)
        db.session.commit()
    auth.login()
    url = "/admin/manual-credit-note/"
    base = {"customer_number": "1001", "vat_percent": "25", "account": "3010", "text": "Goodwill"}
    r = client.post(url, data={**base, "csrf_token": auth.token(url), "amount": "0,333"})
    assert r.status_code == 200
    assert re.search(r'id="amount" value="0,333">\s*<div class="invalid-feedback">The amount takes at most 2 decimals',
                     r.get_data(as_text=True))
    r = client.post(url, data={**base, "csrf_token": auth.token(url), "amount": "Infinity"})
    assert "The amount must be a number" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
    r = client.post(url, data={**base, "csrf_token": auth.token(url), "amount": "1 250,50"})
    assert r.status_code == 302
    with app.app_context():
        note = db.session.scalar(select(Invoice))
        assert note.kind == "credit_note" and note.net_total == D("1250.50")
