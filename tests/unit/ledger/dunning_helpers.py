"""Builders shared by the reminder, interest and write-off tests: invoices of a customer, late."""
import datetime as dt
from decimal import Decimal as D

from sqlalchemy import func, select

from models import Customer, Invoice, Order, PaymentTerm, Voucher
from services.sales import invoicing, orders
from tests import sales_helpers as h

INVOICE_DATE = dt.date(2026, 5, 21)  # 30 days: due 2026-06-20
DUE = INVOICE_DATE + dt.timedelta(days=30)


def fee_term(session) -> PaymentTerm:
    term = session.scalar(select(PaymentTerm).where(PaymentTerm.name == "30 dagar, påminnelseavgift"))
    if term is None:
        term = PaymentTerm(name="30 dagar, påminnelseavgift", days=30, reminder_fee_allowed=True)
        session.add(term)
        session.flush()
    return term


def customer(session, number="1001", name="Bygg AB", fee=False, **fields) -> Customer:
    found = session.scalar(select(Customer).where(Customer.customer_number == number))
    if found is not None:
        return found
    if fee:
        fields["payment_term"] = fee_term(session)
    return h.customer(session, number, name, **fields)


def invoice(session, who=None, quantity=2, extra=None, date=INVOICE_DATE) -> Invoice:
    """``quantity`` × 200 goods at 25 % (500.00 for two); ``extra``: (price, VAT percent) of one
    more article line."""
    n = session.scalar(select(func.count()).select_from(Order))
    order = orders.create_order(session, who or customer(session), None, today=date)
    orders.add_line(session, order, "article", article=h.article(session, number=f"OF-{n}"), quantity=quantity)
    if extra:
        price, percent = extra
        orders.add_line(session, order, "article", article=h.article(session, number=f"EX-{n}", price=price,
                                                                      percent=percent), quantity=1)
    result = invoicing.finalise_invoice(session, order, None, date, h.settings(session))
    session.flush()
    return result


def all_balanced(session) -> bool:
    vouchers = list(session.scalars(select(Voucher)))
    return bool(vouchers) and all(sum((r.amount for r in v.rows), D(0)) == 0 for v in vouchers)


def rows(voucher) -> list[tuple[str, D]]:
    return sorted((r.account_number, r.amount) for r in voucher.rows)
