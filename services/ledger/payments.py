"""Customer payments (inbetalningar, issue 12 items 1, 10, 11): registering a payment against
one or more invoices, part payments, overpayment kept as customer credit (kundsaldo), credit
applied to another invoice or paid back (20.23), the payment tolerance (20.20), reversal of a
wrong payment (90.20), and an invoice's remaining amount and status.

Every payment is booked by one voucher in series B (book_voucher, so check_open guards every
path): a payment debits its method's account and credits receivables (1510) per invoice and
customer credit (ACCOUNT_MAP "customer_credit") for the rest; a shortfall within the tolerance
is written off to öre rounding (3740) in the same voucher. Applied credit debits customer
credit and credits receivables; a refund debits customer credit and credits the method's
account. A reversal books the mirror voucher (reverse_voucher) and marks the payment reversed:
a reversed payment counts for nothing.

An invoice's remaining amount and status are never stored: remaining = total − its credit
notes − what live (not reversed) payments settled (allocation amount + write-off) − what was
written off as a customer loss (WriteOff), never below zero. A credit note on an invoice that
was paid already (in part or in full) takes more than remained: that part (``Balance.overpaid``)
is the customer's credit (kundtillgodo, ACCOUNT_MAP "customer_credit", 2420), which the credit
note's voucher books there instead of receivables (services.ledger.documents), and which is
applied or refunded like an overpayment. Status:
credited (credit notes cover the total), written_off (a customer loss, services.ledger.write_off,
took the rest), paid (nothing remains), overdue (due date passed and
something remains), partly_paid, open. ``balances`` and the SQL expressions (``remaining_sql``,
``status_sql``) compute it for many invoices at once.

Payment tolerance: setting ``ledger.payment_tolerance`` (kr, default 5,00; 0 turns it off). A
shortfall of at most that much on an invoice that a payment otherwise settles is written off,
and the invoice counts as paid; an overpayment is never written off (it goes to credit when
the user chose so, otherwise the payment is refused).

None of the functions commits; each raises LedgerError (a DomainError with the field it
concerns) and leaves the caller to roll back."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from models import (
    Customer,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    WriteOff,
    customer_blocked_payment_method,
    utcnow,
)
from services.ledger import LedgerError
from services.ledger.accounts import account_for
from services.ledger.vouchers import PAYMENT_SERIES, Row, VoucherEntry, book_voucher, book_vouchers, reverse_voucher
from services.platform.formatting import money
from services.platform.locking import lock_rows
from services.platform.numbers import parse_decimal
from services.platform.settings import load_settings

ZERO = Decimal("0")
CENT = Decimal("0.01")
TOLERANCE_SETTING = "ledger.payment_tolerance"
DEFAULT_TOLERANCE = Decimal("5.00")
STATUSES = ("open", "partly_paid", "paid", "overdue", "credited", "written_off")

# the payment methods every installation starts with: (code, name, account)
DEFAULT_METHODS = [
    ("bankgiro", "Bankgiro", "1930"),
    ("card", "Kort", "1580"),
    ("swish", "Swish", "1940"),
    ("cash", "Kontant", "1910"),
    ("invoice", "Faktura", None),  # pays on invoice: takes no payments itself (blocked per customer, 11.12)
]


def seed_payment_methods(session: Session) -> int:
    """Add the default payment methods that are missing (by code); returns how many."""
    existing = set(session.scalars(select(PaymentMethod.code)))
    added = 0
    for code, name, account in DEFAULT_METHODS:
        if code not in existing:
            session.add(PaymentMethod(code=code, name=name, account_number=account))
            added += 1
    return added


# ---- derived amounts and status --------------------------------------------------------------


def _live():
    return Payment.reversed_at.is_(None)


def settled_sql(invoice_id=Invoice.id):
    """What live payments settled on the invoice (amount + write-off), correlated."""
    return (select(func.coalesce(func.sum(PaymentAllocation.amount + PaymentAllocation.write_off), 0))
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(PaymentAllocation.invoice_id == invoice_id, _live())
            .correlate_except(PaymentAllocation, Payment).scalar_subquery())


def credited_sql(invoice_id=Invoice.id):
    """The total of the credit notes on the invoice, correlated."""
    note = aliased(Invoice)
    return (select(func.coalesce(func.sum(note.total), 0)).where(note.credited_invoice_id == invoice_id)
            .correlate_except(note).scalar_subquery())


def written_off_sql(invoice_id=Invoice.id):
    """What was written off the invoice as a customer loss (kundförlust), correlated."""
    return (select(func.coalesce(func.sum(WriteOff.amount), 0)).where(WriteOff.invoice_id == invoice_id)
            .correlate_except(WriteOff).scalar_subquery())


def remaining_sql():
    """What is left to pay, never below zero (what credit notes took beyond it is credit)."""
    raw = Invoice.total - credited_sql() - settled_sql() - written_off_sql()
    return case((raw < 0, 0), else_=raw)


def status_sql(today: dt.date | None = None):
    """The status of ``Invoice`` rows as an SQL expression (lists sort and filter by it); NULL
    for a credit note."""
    today = today or dt.date.today()
    credited, remaining = credited_sql(), remaining_sql()
    return case(
        (Invoice.kind != "invoice", None),
        (and_(Invoice.total > 0, credited >= Invoice.total), "credited"),
        (and_(remaining <= 0, written_off_sql() > 0), "written_off"),
        (remaining <= 0, "paid"),
        (Invoice.due_date < today, "overdue"),
        (remaining < Invoice.total - credited, "partly_paid"),
        else_="open",
    )


@dataclass(frozen=True)
class Balance:
    total: Decimal
    credited: Decimal
    settled: Decimal
    remaining: Decimal
    status: str | None  # None for a credit note
    written_off: Decimal = Decimal("0")  # a customer loss (services.ledger.write_off)
    overpaid: Decimal = Decimal("0")  # what credit notes took beyond what remained: customer credit


def _status(kind: str, total: Decimal, credited: Decimal, remaining: Decimal, due: dt.date, today: dt.date,
            written_off: Decimal = ZERO):
    if kind != "invoice":
        return None
    if total > 0 and credited >= total:
        return "credited"
    if remaining <= 0 and written_off > 0:
        return "written_off"
    if remaining <= 0:
        return "paid"
    if due < today:
        return "overdue"
    if remaining < total - credited:
        return "partly_paid"
    return "open"


def balances(session: Session, invoice_ids, today: dt.date | None = None) -> dict[int, Balance]:
    """The balance of many invoices at once, aggregated in SQL (three grouped queries)."""
    ids = sorted({i for i in invoice_ids if i is not None})
    if not ids:
        return {}
    today = today or dt.date.today()
    settled = dict(session.execute(
        select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount + PaymentAllocation.write_off))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id.in_(ids), _live()).group_by(PaymentAllocation.invoice_id)).all())
    credited = dict(session.execute(
        select(Invoice.credited_invoice_id, func.sum(Invoice.total))
        .where(Invoice.credited_invoice_id.in_(ids)).group_by(Invoice.credited_invoice_id)).all())
    lost = dict(session.execute(
        select(WriteOff.invoice_id, func.sum(WriteOff.amount))
        .where(WriteOff.invoice_id.in_(ids)).group_by(WriteOff.invoice_id)).all())
    result = {}
    for ident, kind, total, due in session.execute(
            select(Invoice.id, Invoice.kind, Invoice.total, Invoice.due_date).where(Invoice.id.in_(ids))):
        c = Decimal(credited.get(ident) or 0)
        s = Decimal(settled.get(ident) or 0)
        w = Decimal(lost.get(ident) or 0)
        raw = Decimal(total) - c - s - w
        remaining, overpaid = max(raw, ZERO), max(-raw, ZERO)
        result[ident] = Balance(Decimal(total), c, s, remaining, _status(kind, total, c, remaining, due, today, w), w,
                                overpaid)
    return result


def balance(session: Session, invoice: Invoice, today: dt.date | None = None) -> Balance:
    session.flush()
    return balances(session, [invoice.id], today)[invoice.id]


def remaining(session: Session, invoice: Invoice) -> Decimal:
    """What is left to pay on the invoice (zero when credit notes and payments exceed it: the
    excess is the customer's credit)."""
    return balance(session, invoice).remaining


def invoice_status(session: Session, invoice: Invoice, today: dt.date | None = None) -> str | None:
    """open, partly_paid, paid, overdue, credited or written_off (None for a credit note)."""
    return balance(session, invoice, today).status


def credited_beyond(session: Session, customer: Customer) -> Decimal:
    """What credit notes took beyond what remained on the customer's invoices (a credit note
    on a paid invoice): customer credit (kundtillgodo)."""
    note = aliased(Invoice)
    ids = list(session.scalars(select(Invoice.id).where(
        Invoice.customer_id == customer.id, Invoice.kind == "invoice",
        select(note.id).where(note.credited_invoice_id == Invoice.id).exists())))
    found = ZERO
    for chunk in _chunks(ids):
        found += sum((b.overpaid for b in balances(session, chunk).values()), ZERO)
    return found


def customer_credit(session: Session, customer: Customer) -> Decimal:
    """Kundsaldo: overpayments kept for the customer, and what credit notes took beyond what
    remained on paid invoices, less what was applied or refunded."""
    session.flush()
    kept = credited_beyond(session, customer) + session.scalar(
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.customer_id == customer.id, Payment.kind == "payment", _live(),
               PaymentAllocation.invoice_id.is_(None)))
    used = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.customer_id == customer.id, Payment.kind.in_(("credit", "refund")), _live()))
    return Decimal(kept) - Decimal(used)


def payments_of(session: Session, invoice: Invoice) -> list[PaymentAllocation]:
    """The allocations that settle the invoice, reversed payments included (the card shows them
    struck through), oldest first."""
    return list(session.scalars(
        select(PaymentAllocation).join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == invoice.id).order_by(Payment.date, Payment.id)))


# ---- payment methods per customer (11.12) -------------------------------------------------------


def blocked_methods(session: Session, customer: Customer) -> set[int]:
    return set(session.scalars(select(customer_blocked_payment_method.c.payment_method_id)
                               .where(customer_blocked_payment_method.c.customer_id == customer.id)))


def set_blocked_methods(session: Session, customer: Customer, methods) -> None:
    """Block exactly these payment methods for the customer."""
    wanted = {m.id for m in methods}
    current = blocked_methods(session, customer)
    if current - wanted:
        session.execute(customer_blocked_payment_method.delete().where(
            customer_blocked_payment_method.c.customer_id == customer.id,
            customer_blocked_payment_method.c.payment_method_id.in_(current - wanted)))
    for ident in sorted(wanted - current):
        session.execute(customer_blocked_payment_method.insert().values(customer_id=customer.id,
                                                                        payment_method_id=ident))


def _method(session: Session, method, customer: Customer | None, field: str = "method") -> PaymentMethod:
    if isinstance(method, str):
        method = session.scalar(select(PaymentMethod).where(PaymentMethod.code == method))
    elif isinstance(method, int):
        method = session.get(PaymentMethod, method)
    if not isinstance(method, PaymentMethod):
        raise LedgerError(_("Choose a payment method."), field)
    if not method.active:
        raise LedgerError(_("The payment method %(m)s is inactive.", m=method.name), field)
    if not method.account_number:
        raise LedgerError(_("The payment method %(m)s books no payments (it has no account).", m=method.name), field)
    if customer is not None and method.id in blocked_methods(session, customer):
        raise LedgerError(_("The payment method %(m)s is blocked for this customer.", m=method.name), field)
    return method


# ---- input -----------------------------------------------------------------------------------


def _amount(value, field: str = "amount", label=None) -> Decimal:
    """Through the one number parser: finite, two decimals at most, fits NUMERIC(12, 2); > 0."""
    amount = parse_decimal(value, 2, label=label or _("The amount"), field=field, required=True, precision=12)
    if amount <= 0:
        raise LedgerError(_("The amount must be greater than zero."), field)
    return amount


def _date(value, field: str = "date") -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise LedgerError(_("Give the payment's date."), field)
    return value


def _tolerance(settings: dict | None) -> Decimal:
    raw = (settings or {}).get(TOLERANCE_SETTING)
    if raw in (None, ""):
        return DEFAULT_TOLERANCE
    try:
        value = Decimal(str(raw).replace(",", ".").replace(" ", ""))
    except ArithmeticError:
        return DEFAULT_TOLERANCE
    return value if value.is_finite() and value >= 0 else DEFAULT_TOLERANCE


# ---- booking ---------------------------------------------------------------------------------


def _insert(session: Session, payment: Payment) -> None:
    """Insert the payment inside a savepoint: a bank reference another user registered first
    (the unique constraint, not a check-then-insert) is refused with the domain's message."""
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        if payment.bank_reference and session.scalar(
                select(Payment.id).where(Payment.bank_reference == payment.bank_reference)) is not None:
            raise LedgerError(_("The bank payment %(r)s is registered already; nothing was booked twice.",
                                r=payment.bank_reference), "bank_reference") from None
        raise


def _lock_customer(session: Session, customer: Customer) -> Customer:
    """Payments of one customer queue (row lock until commit): two users paying the same
    invoice at once cannot both settle its remaining amount."""
    if customer.id is None:
        session.flush()
    return lock_rows(session, Customer, [customer.id])[0]


def register_payment(session: Session, customer: Customer, date: dt.date, amount, method, reference: str | None,
                     allocations, rest: str | None = None, user=None, *, payer_name: str | None = None,
                     bank_reference: str | None = None, bgmax_import=None, settings: dict | None = None,
                     write_off: bool = True, today: dt.date | None = None) -> Payment:
    """Register an incoming payment of ``customer``: ``allocations`` is a list of (invoice,
    amount) where amount None takes what remains of the invoice (up to what is left of the
    payment); what the invoices do not take goes to the customer's credit when ``rest`` is
    "credit" and is refused otherwise. A shortfall within the tolerance (``settings``) is
    written off unless ``write_off`` is False. ``bank_reference`` is unique (a second
    registration of the same bank payment is refused). Books one voucher in series B."""
    if customer is None:
        raise LedgerError(_("Choose the customer who paid."), "customer")
    date = _date(date)
    amount = _amount(amount)
    if rest not in (None, "credit"):
        raise LedgerError(_("Choose what to do with the rest of the payment."), "rest")
    customer = _lock_customer(session, customer)
    method = _method(session, method, customer)
    if settings is None:
        settings = load_settings(session)
    tolerance = _tolerance(settings) if write_off else ZERO
    wanted = list(allocations or [])
    current = {i: b.remaining for i, b in balances(session, [inv.id for inv, _a in wanted
                                                             if isinstance(inv, Invoice)], today).items()}
    rows = [PaymentAllocation(invoice=a.invoice, amount=a.amount, write_off=a.write_off)
            for a in _allocate(customer, amount, wanted, rest, current, tolerance)]
    payment = Payment(kind="payment", date=date, amount=amount, method=method,
                      reference=(reference or "").strip()[:60] or None, payer_name=(payer_name or "").strip()[:200]
                      or None, customer=customer, bank_reference=(bank_reference or "").strip()[:80] or None,
                      bgmax_import=bgmax_import, created_by=user, allocations=rows)
    _insert(session, payment)
    entries, text = _payment_voucher(payment.amount, payment.reference, rows, method, customer, settings)
    payment.voucher = book_voucher(session, PAYMENT_SERIES, date, entries, text, user, source=("payment", payment.id))
    session.flush()
    return payment


@dataclass(frozen=True)
class Share:
    """What a payment settles on one invoice (None: the customer's credit), before it is stored."""

    invoice: Invoice | None
    amount: Decimal
    write_off: Decimal = ZERO


def _allocate(customer: Customer, amount: Decimal, wanted: list, rest: str | None, current: dict[int, Decimal],
              tolerance: Decimal, prefix: str = "") -> list[Share]:
    """The allocations of one payment (register_payment's rules); ``current`` holds the
    invoices' remaining amounts and is lowered by what this payment settles."""
    ids = [inv.id for inv, _a in wanted]
    if len(set(ids)) != len(ids):
        raise LedgerError(_("An invoice is chosen twice."), f"{prefix}allocations")
    left = amount
    rows: list[Share] = []
    for n, (invoice, value) in enumerate(wanted):
        field = f"{prefix}allocations-{n}-amount"
        if not isinstance(invoice, Invoice) or invoice.kind != "invoice":
            raise LedgerError(_("Only an invoice can be paid."), f"{prefix}allocations-{n}-invoice")
        if invoice.customer_id != customer.id:
            raise LedgerError(_("%(i)s is not an invoice of this customer.", i=str(invoice)),
                              f"{prefix}allocations-{n}-invoice")
        open_amount = current[invoice.id]
        if open_amount <= 0:
            raise LedgerError(_("%(i)s has nothing left to pay.", i=str(invoice)), f"{prefix}allocations-{n}-invoice")
        share = min(open_amount, left) if value is None else _amount(value, field)
        if share > open_amount:
            raise LedgerError(_("%(i)s has %(r)s left to pay; %(a)s is more than that.", i=str(invoice),
                                r=money(open_amount), a=money(share)), field)
        if share > left:
            raise LedgerError(_("The invoices take more than the payment's %(a)s.", a=money(amount)), field)
        if share <= 0:
            raise LedgerError(_("%(i)s gets nothing of the payment.", i=str(invoice)), field)
        shortfall = open_amount - share
        rows.append(Share(invoice, share, shortfall if ZERO < shortfall <= tolerance else ZERO))
        left -= share
    if left > 0:
        if rest != "credit":
            if not wanted:
                raise LedgerError(_("Choose the invoices the payment settles, or keep it as customer credit."),
                                  f"{prefix}rest")
            raise LedgerError(_("The payment is %(x)s more than the chosen invoices' remaining amounts; "
                                "choose to keep the rest as customer credit or change the amount.",
                                x=money(left)), f"{prefix}rest")
        rows.append(Share(None, left))
    for a in rows:
        if a.invoice is not None:
            current[a.invoice.id] -= a.amount + a.write_off
    return rows


def _voucher_texts(method: PaymentMethod) -> dict[str, str]:
    """The texts of a payment's voucher, in Swedish whoever books (the books are kept in
    Swedish); "text" and "tolerance" are templates (%(c)s customer, %(r)s reference, %(i)s invoice)."""
    with force_locale("sv"):
        return {"method": _("Payment %(m)s", m=method.name), "credit": _("Customer credit"),
                "tolerance": _("Payment tolerance %(i)s"), "text": _("Payment %(c)s %(r)s")}


def _payment_voucher(amount: Decimal, reference: str | None, shares, method: PaymentMethod, customer: Customer,
                     settings, texts: dict[str, str] | None = None) -> tuple[list, str]:
    """The rows and text of a payment's voucher: the method's account debited, receivables
    credited per invoice (a write-off to öre rounding beside it), customer credit for the rest."""
    texts = texts or _voucher_texts(method)
    receivables, credit = account_for("receivables", settings), account_for("customer_credit", settings)
    rounding = account_for("rounding", settings)
    entries = [Row(method.account_number, amount, texts["method"])]
    for a in shares:
        if a.invoice is not None:
            entries.append(Row(receivables, -(a.amount + a.write_off), str(a.invoice)))
            if a.write_off:
                entries.append(Row(rounding, a.write_off, texts["tolerance"] % {"i": str(a.invoice)}))
        else:
            entries.append(Row(credit, -a.amount, texts["credit"]))
    return entries, (texts["text"] % {"c": customer.name, "r": reference or ""}).strip()


@dataclass
class PaymentItem:
    """One payment of a batch (register_payments): register_payment's arguments."""

    customer: Customer
    date: dt.date
    amount: Decimal
    reference: str | None
    allocations: list  # (invoice, amount or None)
    rest: str | None = None
    payer_name: str | None = None
    payer_org_number: str | None = None
    bank_reference: str | None = None


BATCH = 500  # ids per IN list


def _chunks(values: list, size: int = BATCH):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def register_payments(session: Session, items: list[PaymentItem], method, user=None, *, bgmax_import=None,
                      settings: dict | None = None, write_off: bool = True, today: dt.date | None = None,
                      load: bool = True) -> list[Payment] | list[int]:
    """Register many payments by one method at once, each as register_payment would (the same
    checks and allocations, one voucher each in series B, in the given order; a later item sees
    what the earlier ones settled), with a few queries per 500 payments instead of a dozen per
    payment: the BgMax import of thousands of payments uses it. All or nothing: the first item
    refused raises LedgerError with the field prefixed "items-N-" (the caller rolls back); a
    bank reference registered before is refused like in register_payment. Returns the payments
    (their ids only with ``load`` False: loading thousands of objects costs a second)."""
    if not items:
        return []
    if settings is None:
        settings = load_settings(session)
    tolerance = _tolerance(settings) if write_off else ZERO
    for k, item in enumerate(items):
        if item.customer is None:
            raise LedgerError(_("Choose the customer who paid."), f"items-{k}-customer")
        item.date = _date(item.date, f"items-{k}-date")
        item.amount = _amount(item.amount, f"items-{k}-amount")
        if item.rest not in (None, "credit"):
            raise LedgerError(_("Choose what to do with the rest of the payment."), f"items-{k}-rest")
    for chunk in _chunks(sorted({item.customer.id for item in items})):
        lock_rows(session, Customer, chunk)
    method = _method(session, method, None)
    blocked = set()
    for chunk in _chunks(sorted({item.customer.id for item in items})):
        blocked |= set(session.scalars(select(customer_blocked_payment_method.c.customer_id).where(
            customer_blocked_payment_method.c.payment_method_id == method.id,
            customer_blocked_payment_method.c.customer_id.in_(chunk))))
    current: dict[int, Decimal] = {}
    for chunk in _chunks(sorted({inv.id for item in items for inv, _a in item.allocations if isinstance(inv, Invoice)})):
        current.update({i: b.remaining for i, b in balances(session, chunk, today).items()})
    rows, shares = [], []
    now = utcnow()
    for k, item in enumerate(items):
        if item.customer.id in blocked:
            raise LedgerError(_("The payment method %(m)s is blocked for this customer.", m=method.name),
                              f"items-{k}-method")
        shares.append(_allocate(item.customer, item.amount, list(item.allocations or []), item.rest, current,
                                tolerance, f"items-{k}-"))
        rows.append({
            "kind": "payment", "date": item.date, "amount": item.amount, "method_id": method.id,
            "reference": (item.reference or "").strip()[:60] or None,
            "payer_name": (item.payer_name or "").strip()[:200] or None,
            "payer_org_number": (item.payer_org_number or "").strip()[:12] or None, "customer_id": item.customer.id,
            "bank_reference": (item.bank_reference or "").strip()[:80] or None,
            "bgmax_import_id": bgmax_import.id if bgmax_import is not None else None,
            "created_by_id": user.id if user is not None else None, "created_at": now})
    ids = insert_payments(session, rows)
    allocation = PaymentAllocation.__table__
    session.execute(allocation.insert(), [
        {"payment_id": ident, "invoice_id": a.invoice.id if a.invoice is not None else None, "amount": a.amount,
         "write_off": a.write_off} for ident, payment_shares in zip(ids, shares) for a in payment_shares])
    entries = []
    texts = _voucher_texts(method)
    for ident, row, item, payment_shares in zip(ids, rows, items, shares):
        voucher_rows, text = _payment_voucher(row["amount"], row["reference"], payment_shares, method, item.customer,
                                              settings, texts)
        entries.append(VoucherEntry(item.date, voucher_rows, text, ("payment", ident)))
    set_vouchers(session, ids, book_vouchers(session, PAYMENT_SERIES, entries, user))
    return load_payments(session, ids) if load else ids


def insert_payments(session: Session, rows: list[dict]) -> list[int]:
    """Insert payment rows (Core, many at a time) inside a savepoint; their ids in order. A bank
    reference registered before (or by another user meanwhile) is refused with the domain's
    message, naming it. (The caller's transaction has written already: pysqlite's SAVEPOINT
    would otherwise begin and, on release, commit a transaction of its own.)"""
    if not rows:
        return []
    table = Payment.__table__
    try:
        with session.begin_nested():
            ids = list(session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True),
                                       rows).scalars())
    except IntegrityError:
        references = [r["bank_reference"] for r in rows if r.get("bank_reference")]
        for chunk in _chunks(references):
            taken = session.scalar(select(Payment.bank_reference).where(Payment.bank_reference.in_(chunk)).limit(1))
            if taken is not None:
                raise LedgerError(_("The bank payment %(r)s is registered already; nothing was booked twice.",
                                    r=taken), "bank_reference") from None
        raise
    return ids


def set_vouchers(session: Session, payment_ids: list[int], vouchers) -> None:
    """Each payment's voucher (one UPDATE statement executed for many rows)."""
    table = Payment.__table__
    if payment_ids:
        session.execute(table.update().where(table.c.id == bindparam("pid")).values(voucher_id=bindparam("vid")),
                        [{"pid": p, "vid": v.id} for p, v in zip(payment_ids, vouchers)])


def load_payments(session: Session, ids: list[int]) -> list[Payment]:
    """The payments of these ids as objects, in the given order (500 per query)."""
    found: dict[int, Payment] = {}
    for chunk in _chunks(ids):
        found.update({p.id: p for p in session.scalars(select(Payment).where(Payment.id.in_(chunk))
                                                       .execution_options(populate_existing=True))})
    return [found[i] for i in ids]


def apply_credit(session: Session, customer: Customer, invoice: Invoice, amount, user, date: dt.date | None = None,
                 settings: dict | None = None) -> Payment:
    """Use the customer's credit (kundsaldo) for an invoice of theirs: at most the credit and
    the invoice's remaining amount. ``amount`` None takes as much as both allow."""
    date = _date(date or dt.date.today())
    customer = _lock_customer(session, customer)
    if not isinstance(invoice, Invoice) or invoice.kind != "invoice" or invoice.customer_id != customer.id:
        raise LedgerError(_("Choose an invoice of this customer."), "invoice")
    available = customer_credit(session, customer)
    open_amount = balance(session, invoice).remaining
    if available <= 0:
        raise LedgerError(_("The customer has no credit."), "amount")
    if open_amount <= 0:
        raise LedgerError(_("%(i)s has nothing left to pay.", i=str(invoice)), "invoice")
    amount = min(available, open_amount) if amount is None else _amount(amount)
    if amount > available:
        raise LedgerError(_("The customer's credit is %(c)s; %(a)s is more than that.", c=money(available),
                            a=money(amount)), "amount")
    if amount > open_amount:
        raise LedgerError(_("%(i)s has %(r)s left to pay; %(a)s is more than that.", i=str(invoice),
                            r=money(open_amount), a=money(amount)), "amount")
    payment = Payment(kind="credit", date=date, amount=amount, customer=customer, created_by=user,
                      allocations=[PaymentAllocation(invoice=invoice, amount=amount)])
    _insert(session, payment)
    with force_locale("sv"):
        rows = [Row(account_for("customer_credit", settings), amount, _("Customer credit")),
                Row(account_for("receivables", settings), -amount, str(invoice))]
        text = _("Customer credit applied to %(i)s, %(c)s", i=str(invoice), c=customer.name)
    payment.voucher = book_voucher(session, PAYMENT_SERIES, date, rows, text, user, source=("payment", payment.id))
    session.flush()
    return payment


def refund_credit(session: Session, customer: Customer, amount, method, user, date: dt.date | None = None,
                  reference: str | None = None, settings: dict | None = None) -> Payment:
    """Återbetalning (20.23): pay the customer's credit back by ``method`` (its account is
    credited)."""
    date = _date(date or dt.date.today())
    amount = _amount(amount)
    customer = _lock_customer(session, customer)
    method = _method(session, method, None)
    available = customer_credit(session, customer)
    if amount > available:
        raise LedgerError(_("The customer's credit is %(c)s; %(a)s is more than that.", c=money(available),
                            a=money(amount)), "amount")
    payment = Payment(kind="refund", date=date, amount=amount, method=method, customer=customer, created_by=user,
                      reference=(reference or "").strip()[:60] or None)
    _insert(session, payment)
    with force_locale("sv"):
        rows = [Row(account_for("customer_credit", settings), amount, _("Customer credit")),
                Row(method.account_number, -amount, _("Refund %(m)s", m=method.name))]
        text = _("Refund of customer credit, %(c)s", c=customer.name)
    payment.voucher = book_voucher(session, PAYMENT_SERIES, date, rows, text, user, source=("payment", payment.id))
    session.flush()
    return payment


def reverse_payment(session: Session, payment: Payment, user, date: dt.date | None = None,
                    reason: str | None = None) -> Payment:
    """Återför felaktig betalning (90.20): a reversing voucher (referring to the payment's
    voucher; the payment refers to it in turn) and the payment counts for nothing from then on.
    A payment whose credit was used since is refused (reverse the use first)."""
    date = _date(date or dt.date.today())
    if payment.customer is not None:
        _lock_customer(session, payment.customer)
    session.refresh(payment)
    if payment.reversed:
        raise LedgerError(_("The payment is reversed already."))
    if payment.voucher is None:
        raise LedgerError(_("The payment has no voucher to reverse."))
    credited = [a.invoice for a in payment.allocations if a.invoice is not None]
    if payment.kind == "payment" and credited and any(
            b.overpaid > 0 for b in balances(session, [i.id for i in credited]).values()):
        # a credit note turned what this payment settled into customer credit (2420)
        raise LedgerError(_("A credit note has made this payment customer credit; refund or apply the credit "
                            "instead of reversing the payment."))
    if payment.kind == "payment" and payment.credit_amount and payment.customer is not None:
        if customer_credit(session, payment.customer) < payment.credit_amount:
            raise LedgerError(_("The customer credit of this payment has been used or refunded; "
                                "reverse that first."))
    with force_locale("sv"):
        text = _("Reversal of payment %(v)s", v=payment.voucher.label)
        if reason:
            text = f"{text}: {reason.strip()}"
    if payment.match_voucher is not None:  # a BgMax payment matched by hand: its move out of suspense too
        reverse_voucher(session, payment.match_voucher, date, user, text=text[:200])
    payment.reversal_voucher = reverse_voucher(session, payment.voucher, date, user, text=text[:200])
    payment.reversed_at = utcnow()
    payment.reversed_by = user
    session.flush()
    return payment
