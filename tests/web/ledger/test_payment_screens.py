"""Payment screens through the test client (issue 12 items 1, 10, 11): the invoice card's status,
remaining amount and "Registrera betalning" form (Swedish amounts, errors next to the field, a
double submit booked once), the invoice list's status column and filter, the payment journal
and card, reversal, customer credit on the customer card, the payment methods register, rights."""
import datetime as dt
import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import Account, Invoice, Order, Payment, PaymentMethod, User, db
from services.ledger import payments as pay
from services.sales import invoicing, orders
from tests import sales_helpers as h
from views.ledger.payments import InvoiceStatusFilter
from tests.factories import csrf_from, make_user

TODAY = dt.date.today()


def _invoice(session, customer, quantity=2) -> Invoice:
    n = session.scalar(select(func.count()).select_from(Order))
    order = orders.create_order(session, customer, None, today=TODAY)
    orders.add_line(session, order, "article", article=h.article(session, number=f"OF-{n}"), quantity=quantity)
    return invoicing.finalise_invoice(session, order, None, TODAY, h.settings(session))


@pytest.fixture
def data(app):
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        customer = h.customer(db.session)
        first, second = _invoice(db.session, customer), _invoice(db.session, customer, quantity=1)
        db.session.commit()
        bankgiro = db.session.scalar(select(PaymentMethod.id).where(PaymentMethod.code == "bankgiro"))
        return {"customer": customer.id, "invoice": first.id, "second": second.id, "bankgiro": bankgiro}


def _card(client, data, key="invoice") -> str:
    page = client.get(f"/admin/invoice/details/?id={data[key]}")
    assert page.status_code == 200
    return page.get_data(as_text=True).replace("\xa0", " ")


def _nonce(html: str) -> str:
    return re.search(r'name="nonce" value="([0-9a-f]+)"', html).group(1)


def _register(client, data, amount, key="invoice", **extra):
    html = _card(client, data, key)
    form = {"csrf_token": csrf_from(html), "invoice_id": data[key], "nonce": _nonce(html), "amount": amount,
            "method_id": data["bankgiro"], "date": TODAY.isoformat(), "reference": ""}
    form.update(extra)
    return client.post("/admin/payment/register", data=form)


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    return re.sub(r"\s+", " ", match.group(1)).replace("\xa0", " ").strip() if match else ""


def test_invoice_card_shows_status_remaining_and_registers_part_and_rest(app, client, auth, admin_user, data):
    auth.login()
    html = _card(client, data)
    assert _text(html, "invoice-payment-status") == "Open"
    assert _text(html, "invoice-remaining") == "500.00 kr"
    assert 'value="500.00"' in html  # the amount is prefilled with the remaining amount
    r = _register(client, data, "200,50")
    assert r.status_code == 302 and f"id={data['invoice']}" in r.headers["Location"]
    html = _card(client, data)
    assert _text(html, "invoice-payment-status") == "Partly paid"
    assert _text(html, "invoice-remaining") == "299.50 kr"
    assert "The payment of 200.50 kr was registered (voucher B1)" in html
    payment_id = int(re.search(r'href="/admin/payment/details/\?id=(\d+)"', html).group(1))
    assert _register(client, data, "299,50").status_code == 302
    html = _card(client, data)
    assert _text(html, "invoice-payment-status") == "Paid"
    assert 'id="register-payment-form"' not in html  # nothing left to pay
    # the payment's card links back to the invoice and shows its voucher
    card = client.get(f"/admin/payment/details/?id={payment_id}").get_data(as_text=True)
    assert f'href="/admin/invoice/details/?id={data["invoice"]}"' in card
    assert _text(card, "payment-voucher") == "B1" and "1930" in card and "1510" in card


def test_a_double_submit_books_once(app, client, auth, admin_user, data):
    auth.login()
    html = _card(client, data)
    form = {"csrf_token": csrf_from(html), "invoice_id": data["invoice"], "nonce": _nonce(html), "amount": "100",
            "method_id": data["bankgiro"], "date": TODAY.isoformat()}
    assert client.post("/admin/payment/register", data=form).status_code == 302
    again = client.post("/admin/payment/register", data=form, follow_redirects=True).get_data(as_text=True)
    assert "already saved; nothing was saved twice" in again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


@pytest.mark.parametrize(("amount", "extra", "field", "message"), [
    ("-100", {}, "payment-amount-error", "cannot be negative"),
    ("0", {}, "payment-amount-error", "greater than zero"),
    ("tio", {}, "payment-amount-error", "must be a number"),
    ("1e3", {}, "payment-amount-error", "must be a number"),
    ("100,123", {}, "payment-amount-error", "at most 2 decimals"),
    ("600", {}, "payment-rest-error", "100.00 kr more than the chosen invoices"),
    ("100", {"date": "24/11/2026"}, "payment-date-error", "YYYY-MM-DD"),
    ("100", {"date": ""}, "payment-date-error", "Give the payment date."),  # never today's date silently
    ("100", {"date": "  "}, "payment-date-error", "Give the payment date."),
])
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_booked(app, client, auth, admin_user, data, amount,
                                                                    extra, field, message):
    auth.login()
    r = _register(client, data, amount, **extra)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert message in _text(html, field), _text(html, field)
    assert f'value="{amount}"' in html  # what was typed stays
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_overpayment_to_credit_then_applied_and_refunded_on_the_customer_card(app, client, auth, admin_user, data):
    auth.login()
    assert _register(client, data, "1 000", rest="credit").status_code == 302
    url = f"/admin/customer/details/?id={data['customer']}"
    html = client.get(url).get_data(as_text=True)
    assert _text(html, "customer-credit-amount") == "500.00 kr"
    token = csrf_from(html)
    r = client.post("/admin/payment/credit/apply", data={"csrf_token": token, "customer_id": data["customer"],
                                                         "invoice_id": data["second"], "amount": ""})
    assert r.status_code == 302
    with app.app_context():
        second = db.session.get(Invoice, data["second"])
        assert pay.invoice_status(db.session, second) == "paid"
    html = client.get(url).get_data(as_text=True)
    assert _text(html, "customer-credit-amount") == "250.00 kr"
    bad = client.post("/admin/payment/credit/refund", data={"csrf_token": token, "customer_id": data["customer"],
                                                           "amount": "250,01", "method_id": data["bankgiro"]},
                      follow_redirects=True).get_data(as_text=True)
    assert "more than that" in bad
    r = client.post("/admin/payment/credit/refund", data={"csrf_token": token, "customer_id": data["customer"],
                                                         "amount": "250,00", "method_id": data["bankgiro"]})
    assert r.status_code == 302
    assert _text(client.get(url).get_data(as_text=True), "customer-credit-amount") == "0.00 kr"


def test_reverse_a_payment_from_its_card(app, client, auth, admin_user, data):
    auth.login()
    _register(client, data, "500")
    with app.app_context():
        payment_id = db.session.scalar(select(Payment.id))
    url = f"/admin/payment/details/?id={payment_id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    r = client.post("/admin/payment/reverse", data={"csrf_token": token, "id": payment_id,
                                                    "date": TODAY.isoformat(), "reason": "Fel faktura"},
                    follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "The payment was reversed (voucher B2)" in html
    assert _text(html, "payment-reversal-voucher") == "B2" and 'id="reverse-payment"' not in html
    assert _text(_card(client, data), "invoice-payment-status") == "Open"
    again = client.post("/admin/payment/reverse", data={"csrf_token": token, "id": payment_id},
                        follow_redirects=True).get_data(as_text=True)
    assert "reversed already" in again


def test_invoice_list_status_column_and_filter(app, client, auth, admin_user, data):
    auth.login()
    _register(client, data, "100")
    html = client.get("/admin/invoice/").get_data(as_text=True)
    assert html.count('class="badge badge-warning invoice-status" data-status="partly_paid"') == 1
    assert html.count('data-status="open"') == 1
    listing = client.get("/admin/invoice/?" + _status_filter(app, "partly_paid")).get_data(as_text=True)
    with app.app_context():
        first = db.session.get(Invoice, data["invoice"]).number
        second = db.session.get(Invoice, data["second"]).number
    assert first in listing and second not in listing


def _status_filter(app, status: str) -> str:
    """The query string of the invoice list's "Payment status equals" filter."""
    with app.test_request_context():
        view = next(v for v in app.extensions["verkstad_admin"]._views if getattr(v, "endpoint", "") == "invoice")
        view._refresh_filters_cache()
        for index, flt in enumerate(view._filters):
            if isinstance(flt, InvoiceStatusFilter):
                return f"flt0_{index}={status}"
    raise AssertionError("no payment status filter")


def test_payment_journal_searches_by_amount_reference_and_payer(app, client, auth, admin_user, data):
    auth.login()
    _register(client, data, "123,45", reference="REF-777")
    _register(client, data, "50", key="second")
    listing = client.get("/admin/payment/").get_data(as_text=True)
    assert "123.45" in listing and "50.00" in listing
    by_amount = client.get("/admin/payment/?search=123,45").get_data(as_text=True)
    assert "REF-777" in by_amount and "50.00 kr" not in by_amount
    by_reference = client.get("/admin/payment/?search=ref-777").get_data(as_text=True)
    assert "123.45" in by_reference and "50.00 kr" not in by_reference


def test_payment_methods_register_under_settings(app, client, auth, admin_user, data):
    auth.login()
    html = client.get("/admin/paymentmethod/").get_data(as_text=True)
    assert "Bankgiro" in html and "Swish" in html and "1930" in html
    page = client.get("/admin/paymentmethod/new/").get_data(as_text=True)
    with app.app_context():
        account = db.session.scalar(select(PaymentMethod.account_number).where(PaymentMethod.code == "cash"))
        card_account = db.session.scalar(select(Account.id).where(Account.number == "1580"))
    r = client.post("/admin/paymentmethod/new/", data={"csrf_token": csrf_from(page), "code": "klarna",
                                                        "name": "Klarna", "account": card_account, "active": "y",
                                                        "form_nonce": re.search(r'name="form_nonce"[^>]*value="([^"]*)"', page).group(1)})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    with app.app_context():
        method = db.session.scalar(select(PaymentMethod).where(PaymentMethod.code == "klarna"))
        assert method.account_number == "1580" and account == "1910"


def test_rights(app, client, auth, data):
    make_user(app, "viewer", {"sales.view", "payments.view", "customer.view"}, language="en")
    make_user(app, "seller", {"sales.view", "customer.view"}, language="en")
    auth.login("viewer")
    html = _card(client, data)
    assert _text(html, "invoice-payment-status") == "Open" and 'id="register-payment-form"' not in html
    assert client.get("/admin/payment/").status_code == 200
    token = csrf_from(html)
    assert client.post("/admin/payment/register", data={"csrf_token": token, "invoice_id": data["invoice"],
                                                        "amount": "100", "method_id": data["bankgiro"]}).status_code == 403
    for url in ("/admin/payment/reverse", "/admin/payment/credit/apply", "/admin/payment/credit/refund"):
        assert client.post(url, data={"csrf_token": token, "id": 1, "customer_id": data["customer"]}).status_code == 403
    assert client.get("/admin/paymentmethod/").status_code == 403
    auth.logout()
    auth.login("seller")
    html = _card(client, data)
    assert 'id="invoice-payments"' not in html
    assert client.get("/admin/payment/").status_code == 403
    assert client.get("/admin/payment/details/?id=1").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_the_shipped_roles_get_the_payment_rights():
    from services.platform.rights import DEFAULT_ROLES

    for role in ("Accountant", "Service advisor"):
        assert {"payments.view", "payments.register"} <= DEFAULT_ROLES[role]
    assert "payments.register" not in DEFAULT_ROLES["Technician"]


def test_a_credit_note_on_a_paid_invoice_becomes_customer_credit_on_the_card(app, client, auth, admin_user, data):
    """The invoice paid in full is credited in full on the credit-note screen: its card shows
    Credited and nothing remaining (not -500), the customer card's balance shows the 500 as credit,
    which is applied to the second invoice and the rest refunded; the credit note's voucher books
    customer credit (2420), not receivables."""
    from models import Voucher

    auth.login()
    assert _register(client, data, "500").status_code == 302
    url = f"/admin/invoice/credit/?id={data['invoice']}"
    r = client.post(url, data={"csrf_token": auth.token(url), "id": data["invoice"], "full": "1"})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    html = _card(client, data)
    assert _text(html, "invoice-payment-status") == "Credited"
    assert _text(html, "invoice-remaining") == "0.00 kr"
    assert 'id="register-payment-form"' not in html
    with app.app_context():
        note = db.session.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
        voucher = db.session.scalar(select(Voucher).where(Voucher.source_kind == "credit_note",
                                                          Voucher.source_id == note.id))
        assert sorted((row.account_number, row.amount) for row in voucher.rows) == [
            ("2420", D("-500.00")), ("2611", D("100.00")), ("3001", D("400.00"))]
    customer = f"/admin/customer/details/?id={data['customer']}"
    html = client.get(customer).get_data(as_text=True)
    assert _text(html, "customer-credit-amount") == "500.00 kr"
    token = csrf_from(html)
    r = client.post("/admin/payment/credit/apply", data={"csrf_token": token, "customer_id": data["customer"],
                                                         "invoice_id": data["second"], "amount": ""})
    assert r.status_code == 302
    assert _text(client.get(customer).get_data(as_text=True), "customer-credit-amount") == "250.00 kr"
    assert _text(_card(client, data, "second"), "invoice-payment-status") == "Paid"
    r = client.post("/admin/payment/credit/refund", data={"csrf_token": token, "customer_id": data["customer"],
                                                          "amount": "250,00", "method_id": data["bankgiro"]})
    assert r.status_code == 302
    assert _text(client.get(customer).get_data(as_text=True), "customer-credit-amount") == "0.00 kr"
    # the invoice list shows the credited invoice with nothing remaining
    with app.app_context():
        assert pay.balance(db.session, db.session.get(Invoice, data["invoice"])).remaining == 0


def test_a_blank_payment_date_is_refused_in_swedish(app, client, auth, admin_user, data):
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "admin")).language = "sv"
        db.session.commit()
    auth.login()
    html = _register(client, data, "100", date="").get_data(as_text=True)
    assert _text(html, "payment-date-error") == "Ange betalningsdatum."


def test_a_payment_voucher_is_not_reversed_on_the_voucher_screen(app, client, auth, admin_user, data):
    """Vänd verifikation is for manual vouchers: a payment's B voucher shows no button but where to
    reverse it (a link to the payment); a post anyway is refused, the invoice stays paid, and the
    payment is still reversed from its own page."""
    auth.login()
    _register(client, data, "500")
    with app.app_context():
        payment = db.session.scalar(select(Payment))
        payment_id, voucher_id = payment.id, payment.voucher.id
    card = client.get(f"/admin/voucher/details/?id={voucher_id}").get_data(as_text=True)
    assert 'id="reverse-voucher"' not in card
    assert "reverse the payment on the payment&#39;s page" in card
    assert f'href="/admin/payment/details/?id={payment_id}" id="reverse-elsewhere-link"' in card
    r = client.post("/admin/voucher/reverse", data={"csrf_token": csrf_from(card), "voucher_id": voucher_id,
                                                    "date": TODAY.isoformat()}, follow_redirects=True)
    assert "reverse the payment on the payment" in r.get_data(as_text=True)
    with app.app_context():
        from models import Voucher

        assert db.session.scalar(select(func.count()).select_from(Voucher).where(
            Voucher.reverses_id == voucher_id)) == 0
    assert _text(_card(client, data), "invoice-payment-status") != "Open"
    url = f"/admin/payment/details/?id={payment_id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    done = client.post("/admin/payment/reverse", data={"csrf_token": token, "id": payment_id,
                                                       "date": TODAY.isoformat(), "reason": "Fel"},
                       follow_redirects=True).get_data(as_text=True)
    assert "The payment was reversed" in done
    assert _text(_card(client, data), "invoice-payment-status") == "Open"

def test_reversing_a_payment_asks_first(app, client, auth, admin_user, data):
    """Issue 13 item 6: "Återför betalning" asks before it books, as voucher reversal does."""
    auth.login()
    _register(client, data, "500")
    with app.app_context():
        payment_id = db.session.scalar(select(Payment.id))
    html = client.get(f"/admin/payment/details/?id={payment_id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="reverse-payment-form"[^>]*>', html, re.S).group(0)
    assert 'onsubmit="return confirm(this.dataset.confirm);"' in form
    asked = re.search(r'data-confirm="([^"]*)"', form).group(1).replace("\xa0", " ")
    assert asked == f"Reverse the payment {TODAY.isoformat()} 500.00 kr (voucher B1)?"


def test_voucher_numbers_link_to_the_voucher_and_the_journal_names_the_invoices(app, client, auth, admin_user,
                                                                                 data):
    """Issue 13 item 7: B-voucher numbers on the invoice card and in the payment journal open the
    voucher's card; the journal has a column of the invoices a payment settled, linked."""
    from models import Voucher

    auth.login()
    _register(client, data, "200")
    with app.app_context():
        voucher_id = db.session.scalar(select(Voucher.id).where(Voucher.source_kind == "payment"))
        number = db.session.get(Invoice, data["invoice"]).number
    link = f'<a class="voucher-link" href="/admin/voucher/details/?id={voucher_id}">B1</a>'
    assert link in _card(client, data)
    listing = client.get("/admin/payment/").get_data(as_text=True)
    assert link in listing and re.search(r'class="column-header col-allocations">\s*Invoices\s*<', listing)
    assert f'<a class="invoice-link" href="/admin/invoice/details/?id={data["invoice"]}">{number}</a>' in listing
