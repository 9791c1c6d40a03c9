"""Customer payments (issue 12 items 1, 10, 11): part payments, several invoices in one payment,
overpayment kept as customer credit, credit applied and refunded, the payment tolerance,
reversal, the derived status, the vouchers they book, the period lock, and the bank
reference taken once when two users register it at the same moment (PostgreSQL)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import Invoice, Order, Payment, PaymentMethod, Voucher, db
from services import DomainError
from services.ledger import LedgerError
from services.ledger import payments as pay
from services.ledger.vouchers import lock_through
from services.sales import invoicing, orders
from tests import sales_helpers as h
from tests.races import race

pytestmark = pytest.mark.usefixtures("english")

TODAY = dt.date(2026, 11, 24)  # invoices are due 30 days later: 2026-12-24
DUE = TODAY + dt.timedelta(days=30)


def _customer(session, number="1001", name="Bygg AB"):
    from models import Customer

    found = session.scalar(select(Customer).where(Customer.customer_number == number))
    return found or h.customer(session, number, name)


def _invoice(session, quantity=2, customer=None) -> Invoice:
    """``quantity`` × 200 goods at 25 %: 500.00 for two."""
    n = session.scalar(select(func.count()).select_from(Order))
    order = orders.create_order(session, customer or _customer(session), None, today=TODAY)
    orders.add_line(session, order, "article", article=h.article(session, number=f"OF-{n}"), quantity=quantity)
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, h.settings(session))
    session.flush()
    return invoice


def _method(session, code="bankgiro") -> PaymentMethod:
    return session.scalar(select(PaymentMethod).where(PaymentMethod.code == code))


def _rows(voucher) -> list[tuple[str, D]]:
    return sorted((r.account_number, r.amount) for r in voucher.rows)


def _balanced(voucher) -> bool:
    return sum((r.amount for r in voucher.rows), D(0)) == 0


def test_default_payment_methods_are_seeded_with_their_accounts(session):
    methods = {m.code: m.account_number for m in session.scalars(select(PaymentMethod))}
    assert methods == {"bankgiro": "1930", "card": "1580", "swish": "1940", "cash": "1910", "invoice": None}
    assert pay.seed_payment_methods(session) == 0  # idempotent


def test_a_part_payment_then_the_rest(session):
    invoice = _invoice(session)
    assert invoice.total == D("500.00")
    assert pay.invoice_status(session, invoice, TODAY) == "open"
    first = pay.register_payment(session, invoice.customer, TODAY, "200,50", "bankgiro", invoice.ocr,
                                 [(invoice, None)], user=None)
    assert pay.remaining(session, invoice) == D("299.50")
    assert pay.invoice_status(session, invoice, TODAY) == "partly_paid"
    assert (first.voucher.series, first.voucher.number, first.voucher.source_kind) == ("B", 1, "payment")
    assert first.voucher.source_id == first.id
    assert _rows(first.voucher) == [("1510", D("-200.50")), ("1930", D("200.50"))]
    second = pay.register_payment(session, invoice.customer, TODAY, D("299.50"), _method(session, "swish"), None,
                                  [(invoice, D("299.50"))])
    assert _rows(second.voucher) == [("1510", D("-299.50")), ("1940", D("299.50"))]
    assert second.voucher.number == 2
    assert pay.remaining(session, invoice) == 0
    assert pay.invoice_status(session, invoice, TODAY) == "paid"
    assert [a.payment for a in pay.payments_of(session, invoice)] == [first, second]
    session.commit()


def test_two_invoices_in_one_payment(session):
    a, b = _invoice(session), _invoice(session, quantity=1)
    payment = pay.register_payment(session, a.customer, TODAY, "750", "bankgiro", "två fakturor",
                                   [(a, None), (b, None)])
    assert [(x.invoice, x.amount) for x in payment.allocations] == [(a, D("500.00")), (b, D("250.00"))]
    assert _rows(payment.voucher) == [("1510", D("-500.00")), ("1510", D("-250.00")), ("1930", D("750.00"))]
    statuses = pay.balances(session, [a.id, b.id], TODAY)
    assert {k: v.status for k, v in statuses.items()} == {a.id: "paid", b.id: "paid"}


def test_overpayment_needs_a_choice_and_then_goes_to_customer_credit(session):
    invoice = _invoice(session)
    customer = invoice.customer
    with pytest.raises(LedgerError) as refused:
        pay.register_payment(session, customer, TODAY, "600", "bankgiro", None, [(invoice, None)])
    assert refused.value.field == "rest" and "100.00\xa0kr more" in refused.value.message
    assert session.scalar(select(func.count()).select_from(Payment)) == 0
    with pytest.raises(LedgerError) as nothing_chosen:
        pay.register_payment(session, customer, TODAY, "600", "bankgiro", None, [])
    assert nothing_chosen.value.field == "rest"
    payment = pay.register_payment(session, customer, TODAY, "600", "bankgiro", None, [(invoice, None)],
                                   rest="credit")
    assert payment.credit_amount == D("100.00")
    assert _rows(payment.voucher) == [("1510", D("-500.00")), ("1930", D("600.00")), ("2420", D("-100.00"))]
    assert pay.customer_credit(session, customer) == D("100.00")
    assert pay.invoice_status(session, invoice, TODAY) == "paid"


def test_credit_applied_to_another_invoice_and_the_rest_refunded(session):
    first, second = _invoice(session), _invoice(session)
    customer = first.customer
    pay.register_payment(session, customer, TODAY, "800", "bankgiro", None, [(first, None)], rest="credit")
    assert pay.customer_credit(session, customer) == D("300.00")
    with pytest.raises(LedgerError) as too_much:
        pay.apply_credit(session, customer, second, "300,01", None, TODAY)
    assert too_much.value.field == "amount"
    used = pay.apply_credit(session, customer, second, "200", None, TODAY)
    assert used.kind == "credit" and used.method is None
    assert _rows(used.voucher) == [("1510", D("-200.00")), ("2420", D("200.00"))]
    assert pay.customer_credit(session, customer) == D("100.00")
    assert pay.remaining(session, second) == D("300.00")
    assert pay.invoice_status(session, second, TODAY) == "partly_paid"
    with pytest.raises(LedgerError):
        pay.refund_credit(session, customer, "100,01", "bankgiro", None, TODAY)
    refund = pay.refund_credit(session, customer, "100", "bankgiro", None, TODAY)
    assert _rows(refund.voucher) == [("1930", D("-100.00")), ("2420", D("100.00"))]
    assert pay.customer_credit(session, customer) == 0
    with pytest.raises(LedgerError, match="no credit"):
        pay.apply_credit(session, customer, second, None, None, TODAY)
    assert all(_balanced(v) for v in session.scalars(select(Voucher)))


def test_a_shortfall_within_the_tolerance_is_written_off_in_the_same_voucher(session):
    invoice = _invoice(session)
    payment = pay.register_payment(session, invoice.customer, TODAY, "495", "bankgiro", None, [(invoice, None)])
    assert payment.allocations[0].write_off == D("5.00")
    assert _rows(payment.voucher) == [("1510", D("-500.00")), ("1930", D("495.00")), ("3740", D("5.00"))]
    assert pay.invoice_status(session, invoice, TODAY) == "paid" and pay.remaining(session, invoice) == 0
    # more than the tolerance stays a part payment; the setting changes it; write_off=False turns it off
    other = _invoice(session)
    part = pay.register_payment(session, other.customer, TODAY, "494,99", "bankgiro", None, [(other, None)])
    assert part.allocations[0].write_off == 0 and pay.remaining(session, other) == D("5.01")
    third = _invoice(session)
    settings = h.settings(session, ledger__payment_tolerance="10")
    assert pay.register_payment(session, third.customer, TODAY, "490", "bankgiro", None, [(third, None)],
                                settings=settings).allocations[0].write_off == D("10.00")
    fourth = _invoice(session)
    pay.register_payment(session, fourth.customer, TODAY, "499", "bankgiro", None, [(fourth, None)], write_off=False)
    assert pay.invoice_status(session, fourth, TODAY) == "partly_paid"


def test_reversal_books_the_mirror_voucher_and_the_invoice_is_open_again(session):
    invoice = _invoice(session)
    payment = pay.register_payment(session, invoice.customer, TODAY, "500", "card", None, [(invoice, None)])
    assert pay.invoice_status(session, invoice, TODAY) == "paid"
    pay.reverse_payment(session, payment, None, TODAY, reason="Fel kund")
    reversal = payment.reversal_voucher
    assert reversal.reverses is payment.voucher and payment.voucher.reversed_by is reversal  # both ways
    assert (reversal.series, reversal.number, reversal.source_kind) == ("B", 2, "reversal")
    assert _rows(reversal) == [("1510", D("500.00")), ("1580", D("-500.00"))]
    assert reversal.text.endswith("Fel kund")
    assert payment.reversed and pay.invoice_status(session, invoice, TODAY) == "open"
    with pytest.raises(LedgerError, match="reversed already"):
        pay.reverse_payment(session, payment, None, TODAY)
    session.commit()


def test_a_payment_whose_credit_was_used_is_not_reversed_before_the_use(session):
    first, second = _invoice(session), _invoice(session)
    payment = pay.register_payment(session, first.customer, TODAY, "700", "bankgiro", None, [(first, None)],
                                   rest="credit")
    used = pay.apply_credit(session, first.customer, second, None, None, TODAY)
    assert used.amount == D("200.00")
    with pytest.raises(LedgerError, match="reverse that first"):
        pay.reverse_payment(session, payment, None, TODAY)
    pay.reverse_payment(session, used, None, TODAY)
    assert pay.customer_credit(session, first.customer) == D("200.00")
    pay.reverse_payment(session, payment, None, TODAY)
    assert pay.customer_credit(session, first.customer) == 0
    assert pay.invoice_status(session, first, TODAY) == "open"


def test_status_overdue_and_credited(session):
    invoice = _invoice(session)
    later = DUE + dt.timedelta(days=1)
    assert pay.invoice_status(session, invoice, DUE) == "open"
    assert pay.invoice_status(session, invoice, later) == "overdue"
    pay.register_payment(session, invoice.customer, TODAY, "100", "bankgiro", None, [(invoice, None)])
    assert pay.invoice_status(session, invoice, TODAY) == "partly_paid"
    assert pay.invoice_status(session, invoice, later) == "overdue"  # something remains after the due date
    note = invoicing.create_credit_note(session, invoice, None, TODAY, h.settings(session))
    session.flush()
    balance = pay.balance(session, invoice, later)
    # the credit note took 100 more than remained: the customer's credit, nothing left to pay
    assert (balance.credited, balance.settled, balance.remaining, balance.overpaid) == (
        D("500.00"), D("100.00"), D("0.00"), D("100.00"))
    assert balance.status == "credited" and pay.customer_credit(session, invoice.customer) == D("100.00")
    assert pay.invoice_status(session, note, TODAY) is None
    # half credited, the rest paid: paid
    other = _invoice(session)
    line = other.lines[0]
    invoicing.create_credit_note(session, other, None, TODAY, h.settings(session), quantities={line.id: D(1)})
    session.flush()
    assert pay.remaining(session, other) == D("250.00")
    with pytest.raises(LedgerError):
        pay.register_payment(session, other.customer, TODAY, "300", "bankgiro", None, [(other, D("300"))])
    pay.register_payment(session, other.customer, TODAY, "250", "bankgiro", None, [(other, None)])
    assert pay.invoice_status(session, other, later) == "paid"


def test_the_sql_status_agrees_with_the_python_one(session):
    paid, part, untouched, credited = (_invoice(session) for _ in range(4))
    pay.register_payment(session, paid.customer, TODAY, "500", "bankgiro", None, [(paid, None)])
    pay.register_payment(session, part.customer, TODAY, "100", "bankgiro", None, [(part, None)])
    invoicing.create_credit_note(session, credited, None, TODAY, h.settings(session))
    session.flush()
    for day in (TODAY, DUE + dt.timedelta(days=3)):
        in_sql = dict(session.execute(select(Invoice.id, pay.status_sql(day))).all())
        remaining = dict(session.execute(select(Invoice.id, pay.remaining_sql())).all())
        python = pay.balances(session, in_sql, day)
        assert in_sql == {k: v.status for k, v in python.items()}
        assert {k: D(v) for k, v in remaining.items()} == {k: v.remaining for k, v in python.items()}
    overdue = set(session.scalars(select(Invoice.id).where(pay.status_sql(DUE + dt.timedelta(days=3)) == "overdue")))
    assert overdue == {part.id, untouched.id}


@pytest.mark.parametrize("amount", ["-100", "0", "0,00", "NaN", "Infinity", "1e3", "12,345", "abc", "",
                                    D("NaN"), 1.5, "10000000000"])
def test_bad_amounts_are_refused_by_the_one_parser(session, amount):
    invoice = _invoice(session)
    with pytest.raises(DomainError) as refused:
        pay.register_payment(session, invoice.customer, TODAY, amount, "bankgiro", None, [(invoice, None)])
    assert refused.value.field == "amount"
    assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_other_bad_input(session):
    invoice = _invoice(session)
    customer = invoice.customer
    other_customer = _customer(session, "2002", "Annan AB")
    with pytest.raises(LedgerError, match="no payments"):
        pay.register_payment(session, customer, TODAY, "100", "invoice", None, [(invoice, None)])
    card = _method(session, "card")
    pay.set_blocked_methods(session, customer, [card])
    with pytest.raises(LedgerError, match="blocked") as blocked:
        pay.register_payment(session, customer, TODAY, "100", card, None, [(invoice, None)])
    assert blocked.value.field == "method"
    with pytest.raises(LedgerError, match="not an invoice of this customer"):
        pay.register_payment(session, other_customer, TODAY, "100", "bankgiro", None, [(invoice, None)])
    with pytest.raises(LedgerError, match="left to pay"):
        pay.register_payment(session, customer, TODAY, "600", "bankgiro", None, [(invoice, D("600"))], rest="credit")
    with pytest.raises(LedgerError, match="more than the payment"):
        pay.register_payment(session, customer, TODAY, "100", "bankgiro", None, [(invoice, D("200"))])
    with pytest.raises(LedgerError, match="chosen twice"):
        pay.register_payment(session, customer, TODAY, "100", "bankgiro", None, [(invoice, None), (invoice, None)])
    with pytest.raises(LedgerError, match="Only an invoice"):
        note = invoicing.create_credit_note(session, invoice, None, TODAY, h.settings(session))
        pay.register_payment(session, customer, TODAY, "100", "bankgiro", None, [(note, None)])


def test_a_locked_period_is_refused_on_every_path(session):
    invoice = _invoice(session)
    payment = pay.register_payment(session, invoice.customer, TODAY, "600", "bankgiro", None, [(invoice, None)],
                                   rest="credit")
    other = _invoice(session, customer=invoice.customer)
    session.commit()
    lock_through(session, TODAY, None)
    session.commit()
    count = session.scalar(select(func.count()).select_from(Payment))
    for attempt in (
        lambda: pay.register_payment(session, invoice.customer, TODAY, "100", "bankgiro", None, [(other, None)]),
        lambda: pay.apply_credit(session, invoice.customer, other, None, None, TODAY),
        lambda: pay.refund_credit(session, invoice.customer, "50", "bankgiro", None, TODAY),
        lambda: pay.reverse_payment(session, payment, None, TODAY),
    ):
        with pytest.raises(LedgerError, match="locked") as refused:
            attempt()
        assert refused.value.field == "date"
        session.rollback()
    assert session.scalar(select(func.count()).select_from(Payment)) == count
    assert session.get(Payment, payment.id).reversed_at is None
    # after the lock it books
    later = dt.date(2026, 12, 1)
    assert pay.reverse_payment(session, session.get(Payment, payment.id), None, later).reversal_voucher.date == later


def test_the_same_bank_reference_is_booked_once(session):
    a, b = _invoice(session), _invoice(session)
    pay.register_payment(session, a.customer, TODAY, "500", "bankgiro", a.ocr, [(a, None)], bank_reference="BG-1")
    session.commit()
    with pytest.raises(LedgerError, match="registered already") as refused:
        pay.register_payment(session, b.customer, TODAY, "500", "bankgiro", b.ocr, [(b, None)],
                             bank_reference="BG-1")
    assert refused.value.field == "bank_reference"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    assert session.scalar(select(func.count()).select_from(Voucher).where(Voucher.series == "B")) == 1


@pytest.mark.pg
def test_two_users_registering_the_same_bank_payment_at_once_book_it_once(app):
    """Two sessions insert the same bank reference while a third holds it uncommitted: both wait
    inside the database on the unique index; when it lets go, one books and the other is told."""
    with app.app_context():
        ids = []
        for number in ("1001", "1002"):
            ids.append(_invoice(db.session, customer=_customer(db.session, number, f"Kund {number}")).id)
        db.session.commit()
        engine = db.engine

    def register(n):
        with app.app_context(), Session(engine) as session:
            invoice = session.get(Invoice, ids[n])
            payment = pay.register_payment(session, invoice.customer, TODAY, "500", "bankgiro", invoice.ocr,
                                           [(invoice, None)], bank_reference="BGMAX-0001")
            session.commit()
            return payment.id

    results = race(engine, 2, register, hold=lambda blocker: blocker.execute(text(
        "INSERT INTO payment (kind, date, amount, bank_reference, created_at) "
        "VALUES ('payment', :d, 1, 'BGMAX-0001', now())"), {"d": TODAY}))
    booked = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, LedgerError)]
    assert len(booked) == 1 and len(refused) == 1, results
    assert refused[0].field == "bank_reference"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        assert db.session.scalar(select(func.count()).select_from(Voucher).where(Voucher.series == "B")) == 1
        assert [v.number for v in db.session.scalars(select(Voucher).where(Voucher.series == "B"))] == [1]


def _rows(voucher) -> list[tuple[str, D]]:
    return sorted((r.account_number, r.amount) for r in voucher.rows)


def _account_sum(session, account: str) -> D:
    from models import VoucherRow

    return session.scalar(select(func.coalesce(func.sum(VoucherRow.amount), 0))
                          .where(VoucherRow.account_number == account))


def test_a_credit_note_on_a_paid_invoice_makes_the_overpaid_amount_customer_credit(session):
    """Issue 12 item 1: 500 paid in full, then credited in full: the invoice is credited with
    nothing left (not -500), the credit note's voucher credits customer credit (2420) instead of
    receivables, the customer's credit is 500, refundable and applicable, and the payment can no
    longer be reversed (its money is the credit now)."""
    from services.ledger.documents import voucher_of

    invoice = _invoice(session)
    payment = pay.register_payment(session, invoice.customer, TODAY, "500", "bankgiro", None, [(invoice, None)])
    note = invoicing.create_credit_note(session, invoice, None, TODAY, h.settings(session))
    session.flush()
    state = pay.balance(session, invoice, TODAY)
    assert (state.status, state.remaining, state.overpaid) == ("credited", D("0.00"), D("500.00"))
    assert session.scalar(select(pay.remaining_sql()).where(Invoice.id == invoice.id)) == 0
    assert session.scalar(select(pay.status_sql(TODAY)).where(Invoice.id == invoice.id)) == "credited"
    assert _rows(voucher_of(session, note)) == [("2420", D("-500.00")), ("2611", D("100.00")), ("3001", D("400.00"))]
    assert _account_sum(session, "1510") == 0 and _account_sum(session, "2420") == D("-500.00")
    assert pay.customer_credit(session, invoice.customer) == D("500.00")
    with pytest.raises(LedgerError, match="customer credit"):
        pay.reverse_payment(session, payment, None, TODAY)
    other = _invoice(session, quantity=1, customer=invoice.customer)  # 250.00
    pay.apply_credit(session, invoice.customer, other, None, None, TODAY)
    assert pay.balance(session, other, TODAY).status == "paid"
    pay.refund_credit(session, invoice.customer, "250", "bankgiro", None, TODAY)
    assert pay.customer_credit(session, invoice.customer) == 0
    assert _account_sum(session, "2420") == 0 and _account_sum(session, "1510") == 0


def test_a_credit_note_on_a_part_paid_invoice_credits_only_what_was_paid(session):
    """300 of 500 paid, then credited in full: 200 off receivables, 300 to customer credit; a
    second (partial) credit note on a paid invoice puts all of it in credit; a credit note on an
    unpaid invoice none."""
    from services.ledger.documents import voucher_of

    invoice = _invoice(session)
    pay.register_payment(session, invoice.customer, TODAY, "300", "bankgiro", None, [(invoice, None)])
    note = invoicing.create_credit_note(session, invoice, None, TODAY, h.settings(session))
    session.flush()
    assert ("1510", D("-200.00")) in _rows(voucher_of(session, note))
    assert ("2420", D("-300.00")) in _rows(voucher_of(session, note))
    assert pay.customer_credit(session, invoice.customer) == D("300.00")
    paid = _invoice(session, customer=invoice.customer)
    pay.register_payment(session, paid.customer, TODAY, "500", "bankgiro", None, [(paid, None)])
    half = invoicing.create_credit_note(session, paid, None, TODAY, h.settings(session),
                                        quantities={paid.lines[0].id: D(1)})
    session.flush()
    assert _rows(voucher_of(session, half)) == [("2420", D("-250.00")), ("2611", D("50.00")), ("3001", D("200.00"))]
    state = pay.balance(session, paid, TODAY)
    assert (state.status, state.remaining) == ("paid", D("0.00"))
    assert pay.customer_credit(session, invoice.customer) == D("550.00")
    unpaid = _invoice(session, customer=invoice.customer)
    plain = invoicing.create_credit_note(session, unpaid, None, TODAY, h.settings(session))
    session.flush()
    assert ("1510", D("-500.00")) in _rows(voucher_of(session, plain))
    assert pay.customer_credit(session, invoice.customer) == D("550.00")
    assert _account_sum(session, "1510") == 0


def test_amounts_in_messages_and_labels_are_written_the_swedish_way(session):
    """Issue 13 item 1: "Betalningen är 100,00 kr mer …", "Kundens tillgodo är 100,00 kr; 1 000,00 kr
    är mer än så." and the payment's record label "2026-11-24 600,00 kr" (not 100.00 / 600.00)."""
    from flask_babel import force_locale

    invoice = _invoice(session)
    customer = invoice.customer
    with force_locale("sv"):
        with pytest.raises(LedgerError) as refused:
            pay.register_payment(session, customer, TODAY, "600", "bankgiro", None, [(invoice, None)])
        assert "100,00\xa0kr mer" in refused.value.message and "100.00" not in refused.value.message
        payment = pay.register_payment(session, customer, TODAY, "600", "bankgiro", None, [(invoice, None)],
                                       rest="credit")
        assert str(payment) == "2026-11-24 600,00\xa0kr"
        with pytest.raises(LedgerError) as too_much:
            pay.refund_credit(session, customer, "1000", "bankgiro", None, TODAY)
        assert "100,00\xa0kr" in too_much.value.message and "1\xa0000,00\xa0kr" in too_much.value.message


def test_the_ledger_records_are_labelled_with_swedish_amounts(session):
    """Issue 13 item 1: the record labels of allocations, write-offs, voucher rows and budgets
    (breadcrumbs, history) write money as "500,00 kr"."""
    from flask_babel import force_locale

    from models import Budget, PaymentAllocation, VoucherRow, WriteOff

    invoice = _invoice(session)
    with force_locale("sv"):
        assert str(PaymentAllocation(invoice=invoice, amount=D("1250.5"))) == f"{invoice} 1\xa0250,50\xa0kr"
        assert str(WriteOff(invoice=invoice, amount=D("500"))) == f"{invoice} 500,00\xa0kr"
        assert str(VoucherRow(account_number="1930", amount=D("-12.5"))) == "1930 -12,50\xa0kr"
        assert str(Budget(account_number="3001", month=dt.date(2026, 11, 1), amount=D("1000"))) == \
            "3001 2026-11 1\xa0000,00\xa0kr"
