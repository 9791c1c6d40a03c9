"""Payment methods per customer (issue 12 item 11; 11.12, 90.02): a method blocked for a customer
is refused when a payment is registered and when an invoice is finalised as paid by it; a method
carrying its own payment term gives the invoices paid by it that term (due date, term name and
its invoice fee), the customer's term otherwise; warranty payers keep their own."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from models import PaymentMethod, PaymentTerm
from services import DomainError
from services.ledger import LedgerError
from services.ledger import payments as pay
from services.sales import invoicing, orders
from tests import sales_helpers as h

pytestmark = pytest.mark.usefixtures("english")

TODAY = dt.date(2026, 11, 24)


def _order(session, customer):
    order = orders.create_order(session, customer, None, today=TODAY)
    orders.add_line(session, order, "free_text", text="Service", unit_price=D("100"))
    return order


def _method(session, code):
    return session.scalar(select(PaymentMethod).where(PaymentMethod.code == code))


def _terms(session):
    thirty = session.scalar(select(PaymentTerm).where(PaymentTerm.name == "30 dagar netto"))
    thirty.invoice_fee = D("45.00")
    cash = session.scalar(select(PaymentTerm).where(PaymentTerm.name == "Kontant"))
    return thirty, cash


def test_a_method_with_its_own_term_sets_the_invoice_term(session):
    thirty, cash = _terms(session)
    customer = h.customer(session)
    customer.payment_term = thirty
    card = _method(session, "card")
    card.payment_term = cash
    session.commit()
    by_card = invoicing.finalise_invoice(session, _order(session, customer), None, TODAY, h.settings(session),
                                         payment_method=card)
    assert (by_card.due_date, by_card.payment_term_name, by_card.payment_term_days) == (TODAY, "Kontant", 0)
    assert not [l for l in by_card.lines if l.kind == "invoice_fee"]  # the cash term has no invoice fee
    plain = invoicing.finalise_invoice(session, _order(session, customer), None, TODAY, h.settings(session))
    assert (plain.due_date, plain.payment_term_name) == (TODAY + dt.timedelta(days=30), "30 dagar netto")
    assert [l.unit_price for l in plain.lines if l.kind == "invoice_fee"] == [D("45.00")]
    # a method without a term of its own leaves the customer's
    bankgiro = invoicing.finalise_invoice(session, _order(session, customer), None, TODAY, h.settings(session),
                                          payment_method=_method(session, "bankgiro"))
    assert bankgiro.payment_term_name == "30 dagar netto"
    session.commit()


def test_a_blocked_method_is_refused_at_finalisation_and_payment(session):
    customer = h.customer(session)
    card = _method(session, "card")
    pay.set_blocked_methods(session, customer, [card])
    session.commit()
    with pytest.raises(DomainError, match="blocked for this customer") as caught:
        invoicing.finalise_invoice(session, _order(session, customer), None, TODAY, h.settings(session),
                                   payment_method=card)
    assert caught.value.field == "payment_method"
    session.rollback()
    invoice = invoicing.finalise_invoice(session, _order(session, customer), None, TODAY, h.settings(session))
    session.commit()
    with pytest.raises(LedgerError, match="blocked for this customer") as refused:
        pay.register_payment(session, customer, TODAY, "100", card, None, [(invoice, "100")], today=TODAY)
    assert refused.value.field == "method"
    session.rollback()
    assert pay.blocked_methods(session, customer) == {card.id}
    pay.set_blocked_methods(session, customer, [])  # unblocked: the payment goes through
    pay.register_payment(session, customer, TODAY, "100", card, None, [(invoice, "100")], today=TODAY)
    session.commit()
