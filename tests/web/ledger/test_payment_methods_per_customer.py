"""Payment methods per customer through the screens (issue 12 item 11; 11.12, 90.02): the customer
form's "Spärrade betalsätt" multi-select stores and shows the blocked methods; "Registrera
betalning" refuses a blocked method next to the method field and books nothing; the order's
"Fakturera" takes a payment method whose own term sets the invoice's due date, and does not offer
a blocked one."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import Customer, Invoice, Order, Payment, PaymentMethod, PaymentTerm, db
from services.ledger import payments as pay
from services.sales import invoicing, orders
from tests import sales_helpers as h
from tests.factories import csrf_from, customer_form

TODAY = dt.date.today()


def _ids(app):
    with app.app_context():
        return {m.code: m.id for m in db.session.scalars(select(PaymentMethod))}


def test_the_customer_form_blocks_methods_and_a_payment_by_one_is_refused_beside_the_field(app, client, auth,
                                                                                            admin_user):
    auth.login()
    methods = _ids(app)
    page = client.get("/admin/customer/new/").get_data(as_text=True)
    assert "Spärrade betalsätt" in page and 'id="blocked_payment_methods"' in page
    created = client.post("/admin/customer/new/", data={**customer_form(csrf_from(page)),
                                                        "blocked_payment_methods": [str(methods["card"]),
                                                                                    str(methods["swish"])]})
    assert created.status_code == 302
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert pay.blocked_methods(db.session, customer) == {methods["card"], methods["swish"]}
        order = orders.create_order(db.session, customer, None, today=TODAY)
        orders.add_line(db.session, order, "free_text", text="Service", unit_price=D("100"))
        invoice = invoicing.finalise_invoice(db.session, order, None, TODAY, h.settings(db.session))
        db.session.commit()
        ids = {"customer": customer.id, "invoice": invoice.id}
    edit = client.get(f"/admin/customer/edit/?id={ids['customer']}").get_data(as_text=True)
    selected = re.findall(r'<option selected value="(\d+)"|<option value="(\d+)" selected', edit)
    assert {a or b for a, b in selected} >= {str(methods["card"]), str(methods["swish"])}
    card = client.get(f"/admin/invoice/details/?id={ids['invoice']}").get_data(as_text=True)
    nonce = re.search(r'name="nonce" value="([0-9a-f]+)"', card).group(1)
    refused = client.post("/admin/payment/register", data={
        "csrf_token": csrf_from(card), "invoice_id": ids["invoice"], "nonce": nonce, "amount": "125,00",
        "method_id": methods["card"], "date": TODAY.isoformat(), "reference": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    error = re.search(r'id="payment-method-error">([^<]*)<', html)
    assert error and "är spärrat för den här kunden" in error.group(1), error
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_finalise_with_a_payment_method_uses_its_term(app, client, auth, admin_user):
    auth.login()
    with app.app_context():
        cash = db.session.scalar(select(PaymentTerm).where(PaymentTerm.name == "Kontant"))
        card = db.session.scalar(select(PaymentMethod).where(PaymentMethod.code == "card"))
        card.payment_term = cash
        customer = h.customer(db.session)
        customer.payment_term = db.session.scalar(select(PaymentTerm).where(PaymentTerm.name == "30 dagar netto"))
        pay.set_blocked_methods(db.session, customer, [db.session.scalar(
            select(PaymentMethod).where(PaymentMethod.code == "swish"))])
        order = orders.create_order(db.session, customer, None, today=TODAY)
        orders.add_line(db.session, order, "free_text", text="Service", unit_price=D("100"))
        order.status = "ready"
        db.session.commit()
        ids = {"order": order.id, "card": card.id}
    page = client.get(f"/admin/order/details/?id={ids['order']}").get_data(as_text=True)
    assert 'id="finalise-payment-method"' in page and "Kundens betalningsvillkor" in page
    offered = re.search(r'id="finalise-payment-method".*?</select>', page, re.S).group(0)
    assert "Kort (Kontant)" in offered and "Swish" not in offered  # blocked: not offered
    bad = client.post("/admin/order/finalise", data={"csrf_token": csrf_from(page), "order_id": ids["order"],
                                                      "payment_method_id": "x"})
    assert bad.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
    done = client.post("/admin/order/finalise", data={"csrf_token": csrf_from(page), "order_id": ids["order"],
                                                       "payment_method_id": str(ids["card"])})
    assert done.status_code == 302
    with app.app_context():
        invoice = db.session.scalar(select(Invoice))
        assert (invoice.due_date, invoice.payment_term_name) == (TODAY, "Kontant")
