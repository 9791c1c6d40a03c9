"""Issue 18 item 1: rules that no test guarded when they were removed one at a time.

- the lines of an invoiced (or cancelled) order cannot be updated or deleted
  (/admin/order/line/update, /admin/order/line/delete);
- /admin/order/status moves an order only along services.sales.orders.TRANSITIONS, stated here again;
- "%" and "_" typed in the customer search, in the search over custom text fields, in a custom
  text field's "contains" filter and in the insurer look-up are taken literally
  (services.platform.search.like_escape).

Which right guards which endpoint is in test_rights_table.py."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from models import Customer, Invoice, Order, OrderLine, User, db
from services.sales import invoicing, orders
from services.registers import register_config as rc
from tests import sales_helpers as h
from tests.factories import csrf_from

TODAY = dt.date(2026, 11, 24)


def _english(app):
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        db.session.commit()


def _flashes(html: str) -> str:
    return " ".join(re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S))


# ---- the lines of an order that is no longer open ------------------------------------------


def test_lines_of_an_invoiced_or_cancelled_order_cannot_be_updated_or_deleted(app, client, auth, admin_user):
    _english(app)
    with app.app_context():
        s = db.session
        cust = h.customer(s)
        invoiced = orders.create_order(s, cust, None, today=TODAY)
        orders.add_line(s, invoiced, "free_text", text="Service", unit_price=D("100"))
        cancelled = orders.create_order(s, cust, None, today=TODAY)
        orders.add_line(s, cancelled, "free_text", text="Däck", unit_price=D("200"))
        s.flush()
        invoice = invoicing.finalise_invoice(s, invoiced, None, TODAY, h.settings(s))
        orders.set_status(cancelled, "cancelled")
        s.commit()
        cases = [(invoiced.id, invoiced.lines[0].id, "Service", D("100")),
                 (cancelled.id, cancelled.lines[0].id, "Däck", D("200"))]
        invoice_id, invoice_total, customer_id = invoice.id, invoice.total, cust.id
    auth.login()
    token = csrf_from(client.get("/admin/").get_data(as_text=True), last=False)
    for order_id, line_id, text, price in cases:
        update = client.post("/admin/order/line/update", data={
            "csrf_token": token, "order_id": order_id, "line_id": line_id, "quantity": "5",
            "unit_price": "1", "discount_percent": "50", "text": "Ändrad"}, follow_redirects=True)
        assert update.status_code == 200
        assert "can no longer be changed" in _flashes(update.get_data(as_text=True)), order_id
        delete = client.post("/admin/order/line/delete", data={
            "csrf_token": token, "order_id": order_id, "line_id": line_id}, follow_redirects=True)
        assert delete.status_code == 200
        assert "can no longer be changed" in _flashes(delete.get_data(as_text=True)), order_id
        with app.app_context():
            line = db.session.get(OrderLine, line_id)
            assert line is not None and line.order_id == order_id
            assert (line.quantity, line.unit_price, line.discount_percent, line.text) == (D(1), price, D(0), text)
            assert len(db.session.get(Order, order_id).lines) == 1
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice.total == invoice_total and [l.text for l in invoice.lines] == ["Service"]
    # the same requests on an open order do change it: the refusal above is the rule, not a bad request
    with app.app_context():
        open_order = orders.create_order(db.session, db.session.get(Customer, customer_id), None, today=TODAY)
        orders.add_line(db.session, open_order, "free_text", text="Tvätt", unit_price=D("100"))
        db.session.commit()
        open_id, open_line = open_order.id, open_order.lines[0].id
    client.post("/admin/order/line/update", data={"csrf_token": token, "order_id": open_id, "line_id": open_line,
                                                  "quantity": "5", "text": "Ändrad"})
    with app.app_context():
        line = db.session.get(OrderLine, open_line)
        assert (line.quantity, line.text) == (D(5), "Ändrad")
    client.post("/admin/order/line/delete", data={"csrf_token": token, "order_id": open_id, "line_id": open_line})
    with app.app_context():
        assert db.session.get(OrderLine, open_line) is None


# ---- status transitions ---------------------------------------------------------------------

STATUSES = ("quote", "accepted", "in_progress", "ready", "invoiced", "cancelled")
# the table of services/sales/orders.py, written out: a change there must be made here as well
ALLOWED = {
    "quote": {"accepted", "cancelled"},
    "accepted": {"in_progress", "cancelled", "quote"},
    "in_progress": {"ready", "cancelled"},
    "ready": {"in_progress", "cancelled"},
    "invoiced": set(),
    "cancelled": set(),
}


def test_the_transition_table_is_the_one_stated_here():
    assert orders.TRANSITIONS == ALLOWED


def test_order_status_moves_only_along_the_table(app, client, auth, admin_user):
    """Every (from, to) pair of statuses, posted to /admin/order/status: an allowed move is
    made, every other is refused with a message and leaves the order as it was; nothing moves
    an order to "invoiced" by hand."""
    _english(app)
    with app.app_context():
        s = db.session
        cust = h.customer(s)
        billed = orders.create_order(s, cust, None, today=TODAY)
        orders.add_line(s, billed, "free_text", text="Service", unit_price=D("100"))
        s.flush()
        invoice = invoicing.finalise_invoice(s, billed, None, TODAY, h.settings(s))
        pairs = {}
        for source in STATUSES:
            for target in STATUSES:
                kind = "quote" if source in ("quote", "accepted") else "order"
                order = Order(kind=kind, status=source, customer=cust, order_date=TODAY,
                              invoice=invoice if source == "invoiced" else None)
                s.add(order)
                s.flush()
                pairs[(source, target)] = order.id
        s.commit()
    auth.login()
    token = csrf_from(client.get("/admin/").get_data(as_text=True), last=False)
    wrong = []
    for (source, target), order_id in pairs.items():
        response = client.post("/admin/order/status", data={"csrf_token": token, "order_id": order_id,
                                                            "status": target}, follow_redirects=True)
        assert response.status_code == 200, (source, target)
        refused_message = "cannot move" in _flashes(response.get_data(as_text=True))
        with app.app_context():
            status = db.session.get(Order, order_id).status
        allowed = target in ALLOWED[source]
        if allowed and (status != target or refused_message):
            wrong.append(f"{source} -> {target} refused")
        if not allowed and (status != source or not refused_message):
            wrong.append(f"{source} -> {target} allowed ({status})")
    assert not wrong, wrong
    with app.app_context():
        # an accepted quote put in progress becomes an order; sent back to "quote" it stays a quote
        assert db.session.get(Order, pairs[("accepted", "in_progress")]).kind == "order"
        assert db.session.get(Order, pairs[("accepted", "quote")]).kind == "quote"
        assert db.session.get(Order, pairs[("accepted", "cancelled")]).kind == "quote"


# ---- "%" and "_" are literal ------------------------------------------------------------------

NAMES = {"pct": "100% Bil Ystad", "digits": "1000 Bilar Ystad", "under": "A_B Motor Ystad", "x": "AXB Motor Ystad"}


def _listed(client, url) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    return {key for key, name in NAMES.items() if name in html}


@pytest.fixture
def literal_world(app):
    """Four customers whose names and custom-field values differ only where a "%" or "_"
    would stand for other characters, and a custom text field "Notering"."""
    with app.app_context():
        s = db.session
        field = rc.save_custom_field(s, "customer", "notering", "text", "Notering")
        s.flush()
        notes = {"pct": "rabatt 50%", "digits": "rabatt 500", "under": "kod x_y", "x": "kod xqy"}
        ids = {}
        for i, (key, name) in enumerate(NAMES.items()):
            c = h.customer(s, number=f"90{i}", name=name, org=None)
            c.is_insurer = True  # found by the order screen's insurer look-up as well
            ids[key] = c.id
        s.commit()
        config = rc.current(s)
        for key, cid in ids.items():
            rc.set_values(s, config, "customer", cid, {"cf_notering": notes[key]}, audit=False)
        s.commit()
        return {"field": field.id, "ids": ids}


SEARCHES = [
    ("100%", {"pct"}), ("0%", {"pct"}), ("%", {"pct"}),
    ("a_b", {"under"}), ("a_", {"under"}), ("_", {"under"}),
    # through the custom text field's values (the names do not hold these)
    ("50%", {"pct"}), ("x_y", {"under"}),
    # and the plain case, so that the search is seen to find several
    ("ystad", set(NAMES)), ("motor", {"under", "x"}),
]


def test_percent_and_underscore_are_literal_in_the_customer_search(app, client, auth, admin_user, literal_world):
    auth.login()
    found = {typed: _listed(client, f"/admin/customer/?search={typed.replace('%', '%25')}") for typed, _e in SEARCHES}
    assert found == dict(SEARCHES)


def test_percent_and_underscore_are_literal_in_a_custom_field_filter(app, client, auth, admin_user, literal_world):
    auth.login()
    client.get("/admin/customer/")
    view = next(v for v in app.extensions["verkstad_admin"]._views if v.endpoint == "customer")
    index = next(i for i, f in enumerate(view._filters)
                 if str(f.name) == "Notering" and f.operation() == "contains")
    for typed, expected in (("50%", {"pct"}), ("%", {"pct"}), ("x_y", {"under"}), ("_", {"under"}),
                            ("rabatt", {"pct", "digits"})):
        assert _listed(client, f"/admin/customer/?flt0_{index}={typed.replace('%', '%25')}") == expected, typed


def test_percent_and_underscore_are_literal_in_the_insurer_lookup(app, client, auth, admin_user, literal_world):
    auth.login()

    def found(typed):
        response = client.get("/admin/order/lookup", query_string={"kind": "insurer", "q": typed})
        assert response.status_code == 200
        return {key for key, name in NAMES.items() if any(name in r["text"] for r in response.get_json()["results"])}

    for typed, expected in (("100%", {"pct"}), ("%", {"pct"}), ("a_b", {"under"}), ("_", {"under"}),
                            ("ystad", set(NAMES))):
        assert found(typed) == expected, typed
