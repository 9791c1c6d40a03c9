"""Sales screens through the test client: order form and lines, finalisation, read-only
invoices (form and direct POST refused), credit notes, collective invoicing, rights."""
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import Customer, Invoice, Order, OutboxMessage, User, db
from services.sales import orders
from tests import sales_helpers as h
from tests.factories import csrf_from, make_user, run_jobs
from tests.card_tabs import opened_card


@pytest.fixture
def data(app):
    with app.app_context():
        # the messages are asserted in English
        for user in db.session.scalars(select(User)):
            user.language = "en"
        cust = h.customer(db.session, email="kund@example.se")
        art = h.article(db.session)
        op = h.labour(db.session)
        pkg = h.package(db.session)
        db.session.commit()
        return {"customer": cust.id, "article": art.id, "labour": op.id, "package": pkg.id}


def _token(auth, url):
    return auth.token(url)


def _order_with_lines(client, auth, data):
    page = client.get("/admin/order/new/")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/admin/order/new/", data={
        "csrf_token": token, "kind": "order", "customer": str(data["customer"]),
        "order_date": "2026-11-24", "customer_order_number": "PO-1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    order_id = int(re.search(r"id=(\d+)", response.headers["Location"]).group(1))
    url = f"/admin/order/details/?id={order_id}"
    token = auth.token(url)
    for kind, item in (("article", data["article"]), ("labour", data["labour"]), ("package", data["package"])):
        r = client.post("/admin/order/line/add", data={"csrf_token": token, "order_id": order_id, "kind": kind,
                                                       "item_id": item, "quantity": "1"})
        assert r.status_code == 302
    return order_id, token


def test_order_screen_end_to_end(app, client, auth, admin_user, data):
    auth.login()
    order_id, token = _order_with_lines(client, auth, data)
    page = client.get(f"/admin/order/details/?id={order_id}").get_data(as_text=True)
    assert "Oljefilter" in page and "Motorolja 5W-30" in page and "Oljebyte" in page
    # bad input: refused, nothing added; the reason is under the input, with what was typed
    for name, bad, reason in (("quantity", "-1", "cannot be negative"), ("discount_percent", "150", "between 0"),
                              ("unit_price", "tio", "must be a number")):
        r = client.post("/admin/order/line/add", data={"csrf_token": token, "order_id": order_id, "kind": "free_text",
                                                       "text": "Spolarvätska", "unit_price": "10", name: bad},
                        follow_redirects=True)
        html = r.get_data(as_text=True)
        assert re.search(rf'<input name="{name}"[^>]*is-invalid[^>]*value="{bad}">\s*<div class="invalid-feedback d-block" '
                         rf'id="line-error">[^<]*{reason}', html), name
        assert 'value="Spolarvätska"' in html and '<option value="free_text" selected>' in html
    assert 'id="line-error"' not in client.get(f"/admin/order/details/?id={order_id}").get_data(as_text=True)
    with app.app_context():
        assert len(db.session.get(Order, order_id).lines) == 4
    # no CSRF token: refused
    assert client.post("/admin/order/line/add", data={"order_id": order_id, "kind": "free_text"}).status_code == 400
    r = client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id})
    assert r.status_code == 302 and "/admin/invoice/details/" in r.headers["Location"]
    # double click: the second finalisation is refused, one invoice exists
    r = client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id}, follow_redirects=True)
    assert "already invoiced" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1
        invoice = db.session.scalar(select(Invoice))
        invoice_id, number = invoice.id, invoice.number
    page = client.get(f"/admin/invoice/details/?id={invoice_id}").get_data(as_text=True)
    assert number in page and "Oljefilter" in page
    pdf = client.get(f"/admin/invoice/pdf?id={invoice_id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # customer card shows the order and the invoice
    card = opened_card(client, data['customer'])
    assert 'id="tab-link-orders"' in card and f'>{number}</a>' in card


def test_order_form_requires_what_the_customer_requires(app, client, auth, admin_user, data):
    with app.app_context():
        strict = h.customer(db.session, "6006", "Strikt AB", vehicle_required=True)
        db.session.commit()
        strict_id = strict.id
    auth.login()
    page = client.get("/admin/order/new/")
    token = csrf_from(page.get_data(as_text=True))
    r = client.post("/admin/order/new/", data={"csrf_token": token, "kind": "order", "customer": str(strict_id),
                                               "order_date": "2026-11-24"})
    assert r.status_code == 200 and "requires a vehicle" in r.get_data(as_text=True)
    r = client.post("/admin/order/new/", data={"csrf_token": token, "kind": "quote", "customer": str(strict_id),
                                               "order_date": "2026-11-24"})
    assert r.status_code == 302  # a quote may be made before the vehicle is known
    with app.app_context():
        assert [o.kind for o in db.session.scalars(select(Order))] == ["quote"]


def test_finalised_invoice_cannot_be_edited_or_deleted_through_the_web(app, client, auth, admin_user, data):
    auth.login()
    order_id, token = _order_with_lines(client, auth, data)
    client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id})
    with app.app_context():
        invoice = db.session.scalar(select(Invoice))
        invoice_id, total = invoice.id, invoice.total
    assert client.get(f"/admin/invoice/edit/?id={invoice_id}").status_code == 403
    assert client.post(f"/admin/invoice/edit/?id={invoice_id}", data={"csrf_token": token, "total": "1"}).status_code == 403
    assert client.post("/admin/invoice/delete/", data={"csrf_token": token, "id": invoice_id}).status_code == 403
    assert client.get("/admin/invoice/new/").status_code == 403
    # the invoiced order: the edit form is refused, a direct POST changes nothing, lines stay
    r = client.get(f"/admin/order/edit/?id={order_id}")
    assert r.status_code == 302
    r = client.post(f"/admin/order/edit/?id={order_id}", data={"csrf_token": token, "customer_order_number": "CHANGED"})
    assert r.status_code == 302
    client.post("/admin/order/line/add", data={"csrf_token": token, "order_id": order_id, "kind": "free_text",
                                               "text": "late", "unit_price": "1"})
    client.post("/admin/order/delete/", data={"csrf_token": token, "id": order_id})
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order is not None and order.customer_order_number == "PO-1" and len(order.lines) == 4
        assert db.session.get(Invoice, invoice_id).total == total


def test_credit_screen(app, client, auth, admin_user, data):
    auth.login()
    order_id, token = _order_with_lines(client, auth, data)
    client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id})
    with app.app_context():
        invoice = db.session.scalar(select(Invoice))
        invoice_id, first_line = invoice.id, invoice.lines[0].id
    url = f"/admin/invoice/credit/?id={invoice_id}"
    token = auth.token(url)
    r = client.post(url, data={"csrf_token": token, "id": invoice_id, f"qty-{first_line}": "5", "full": "0"})
    assert "at most" in r.get_data(as_text=True)
    r = client.post(url, data={"csrf_token": token, "id": invoice_id, f"qty-{first_line}": "1", "full": "0"})
    assert r.status_code == 302
    with app.app_context():
        note = db.session.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
        assert note.credited_invoice_id == invoice_id and [l.quantity for l in note.lines] == [D(1)]


def test_rights_are_checked_on_the_server(app, client, auth, data):
    make_user(app, "viewer", {"sales.view", "customer.view"}, language="en")
    with app.app_context():
        order = orders.create_order(db.session, db.session.get(Customer, data["customer"]))
        orders.add_line(db.session, order, "free_text", text="X", unit_price=D(10))
        db.session.commit()
        order_id = order.id
    auth.login("viewer")
    page = client.get(f"/admin/order/details/?id={order_id}")
    assert page.status_code == 200 and 'id="finalise"' not in page.get_data(as_text=True)
    token = auth.token(f"/admin/order/details/?id={order_id}")
    assert client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id}).status_code == 403
    assert client.post("/admin/order/line/add", data={"csrf_token": token, "order_id": order_id}).status_code == 403
    assert client.get("/admin/manual-credit-note/").status_code == 403
    assert client.get("/admin/collective-invoicing/").status_code == 403
    assert client.get("/admin/order/new/").status_code == 403
    make_user(app, "nobody", {"customer.view"}, language="en")
    auth.logout()
    auth.login("nobody")
    assert client.get("/admin/order/").status_code == 403
    assert client.get("/admin/invoice/").status_code == 403
    assert client.get("/admin/order/lookup?kind=article").status_code == 403


def test_collective_invoicing_screen_starts_a_job_and_follows_it(app, client, auth, admin_user, data):
    with app.app_context():
        cust = db.session.get(Customer, data["customer"])
        bad = h.customer(db.session, "8008", "Kräver Ordernr AB", order_number_required=True)
        for c in (cust, cust, bad):
            o = orders.create_order(db.session, c)
            orders.add_line(db.session, o, "free_text", text="X", unit_price=D(100))
            o.status = "ready"
        db.session.commit()
        bad_order = db.session.scalar(select(Order.id).where(Order.customer_id == bad.id))
    auth.login()
    page = client.get("/admin/collective-invoicing/?preview=1").get_data(as_text=True)
    assert page.count('data-payer="') == 2 and 'id="collective-run-form"' in page
    token = csrf_from(page)
    started = client.post("/admin/collective-invoicing/run", data={"csrf_token": token},
                          headers={"Accept": "application/json"})
    assert started.status_code == 202
    state = started.get_json()
    assert state["status"] == "queued" and state["total"] == 2 and state["kind"] == "Collective invoicing"
    assert state["status_url"] == f"/admin/jobs/{state['id']}/status"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0  # not in the request
    run_jobs(app)
    # all or nothing: the payer without an order number fails the run, no invoice is written
    state = client.get(state["status_url"]).get_json()
    assert state["status"] == "failed" and state["error"].startswith("8008 Kräver Ordernr AB: ")
    assert "order number" in state["error"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
        db.session.get(Order, bad_order).customer_order_number = "PO-8"
        db.session.commit()
    state = client.post("/admin/collective-invoicing/run", data={"csrf_token": token}).get_json()
    run_jobs(app)
    state = client.get(state["status_url"]).get_json()
    assert state["status"] == "done", state["error"]
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Invoice.number)))
        assert len(numbers) == 2
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.status == "invoiced")) == 3
    assert state["summary"].startswith(f"2 invoices created: {numbers[0]}, {numbers[1]}")
    # nothing left to invoice: the screen says so and starts nothing
    again = client.post("/admin/collective-invoicing/run", data={"csrf_token": token})
    assert again.status_code == 400 and again.get_json()["error"] == "No ready orders match."


def test_collective_invoicing_needs_the_invoicing_right(app, client, auth, data):
    make_user(app, "seller", {"sales.view", "sales.edit", "customer.view"}, language="en")
    auth.login("seller")
    token = auth.token("/admin/order/")
    assert client.get("/admin/collective-invoicing/?preview=1").status_code == 403
    assert client.post("/admin/collective-invoicing/run", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        from models import Job

        assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_manual_credit_send_outbox_and_settings_pages(app, client, auth, admin_user, data):
    auth.login()
    url = "/admin/manual-credit-note/"
    token = auth.token(url)
    r = client.post(url, data={"csrf_token": token, "customer_number": "1001", "amount": "-5", "vat_percent": "25",
                               "account": "3010", "text": "Justering"})
    assert "above zero" in r.get_data(as_text=True)
    r = client.post(url, data={"csrf_token": token, "customer_number": "1001", "amount": "100", "vat_percent": "25",
                               "account": "3010", "text": "Justering"})
    assert r.status_code == 302
    with app.app_context():
        note_id = db.session.scalar(select(Invoice.id))
    token = auth.token(f"/admin/invoice/details/?id={note_id}")
    r = client.post("/admin/invoice/send", data={"csrf_token": token, "invoice_id": note_id}, follow_redirects=True)
    assert "outbox" in r.get_data(as_text=True)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.recipient == "kund@example.se" and message.status == "queued"
        assert message.attachment.startswith(b"%PDF")
    assert "kund@example.se" in client.get("/admin/outboxmessage/").get_data(as_text=True)
    for page in ("/admin/order/", "/admin/order/?search=ABC123", "/admin/invoice/", "/admin/sales-settings/",
                 "/admin/delete-old-documents/", "/admin/documentrecipient/", "/admin/order/new/"):
        assert client.get(page).status_code == 200, page
    token = auth.token("/admin/sales-settings/")
    r = client.post("/admin/sales-settings/", data={"csrf_token": token, "sales.env_fee_percent": "abc"})
    assert "must be a number" in r.get_data(as_text=True)
