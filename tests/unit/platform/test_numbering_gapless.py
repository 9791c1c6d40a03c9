"""Issue 18 item 1: invoice numbers have no gaps. A number taken in a transaction that rolls
back is given to the next invoice (services.platform.numbering.take_number: the UPDATE of the series row
belongs to the caller's transaction). Runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import Invoice, Order
from services import DomainError
from services.sales import invoicing, orders
from services.platform.numbering import ensure_series, peek_number, take_number
from tests import sales_helpers as h

TODAY = dt.date(2026, 11, 24)


def test_a_number_taken_in_a_rolled_back_transaction_is_taken_again(session):
    ensure_series(session, "gapless", 7)
    session.commit()
    assert take_number(session, "gapless") == 7
    assert take_number(session, "gapless") == 8
    session.rollback()
    # a new transaction (a fresh connection from the pool on PostgreSQL) sees the series unmoved
    assert peek_number(session, "gapless") == 7
    assert take_number(session, "gapless") == 7
    session.commit()
    assert take_number(session, "gapless") == 8
    session.commit()
    assert peek_number(session, "gapless") == 9


def _order(session, cust, text):
    order = orders.create_order(session, cust, None, today=TODAY)
    orders.add_line(session, order, "free_text", text=text, unit_price=D("100"))
    return order


def test_an_invoice_refused_after_its_number_was_taken_leaves_no_gap(session):
    """The payer's invoice takes number N, then the warranty payer's invoice is refused (the
    warranty payer is inactive) and the whole finalisation rolls back: the next invoice is N,
    and the series holds N + 1 after it, not N + 2."""
    cust = h.customer(session)
    warrantor = h.customer(session, number="2002", name="Garanti AB", org="5560160680")
    refused = _order(session, cust, "Service")
    orders.add_line(session, refused, "free_text", text="Garantiarbete", unit_price=D("50"),
                    charge_to="warranty", warranty_payer=warrantor)
    warrantor.active = False
    good = _order(session, cust, "Däckbyte")
    settings = h.settings(session)
    invoicing.ensure_sales_series(session, settings)
    session.commit()
    refused_id, good_id = refused.id, good.id
    first = peek_number(session, invoicing.INVOICE_SERIES)

    with pytest.raises(DomainError) as exc:
        invoicing.finalise_order(session, refused, None, TODAY, settings)
    assert exc.value.field == "customer"
    # the payer's invoice had its number when the warranty invoice was refused
    assert peek_number(session, invoicing.INVOICE_SERIES) == first + 1
    session.rollback()
    assert peek_number(session, invoicing.INVOICE_SERIES) == first
    assert session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert session.get(Order, refused_id).status == "in_progress"

    invoice = invoicing.finalise_invoice(session, session.get(Order, good_id), None, TODAY, h.settings(session))
    session.commit()
    assert invoice.number == str(first) and invoice.sequence == first
    assert peek_number(session, invoicing.INVOICE_SERIES) == first + 1
    assert [i.number for i in session.scalars(select(Invoice).order_by(Invoice.id))] == [str(first)]
