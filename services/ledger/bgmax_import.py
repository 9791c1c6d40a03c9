"""The BgMax import (issue 12 item 2): a BgMax file of incoming bankgiro payments booked in one
transaction.

``import_bgmax(session, data, filename, user, settings)``:

1. the file is parsed (services.ledger.bgmax): a BgMaxError rejects it with its line number
   before anything is written;
2. the BgMaxImport row is inserted first: its unique checksum makes a second import of the same
   file, or two users importing it at once, fail there (the second waits on the unique index
   until the first commits), and that is turned into "The file has been imported already
   (date, who)" with nothing booked;
3. each payment (record 20) is matched to open invoices by its references (its own and those of
   its records 22/23, in order): the OCR reference exactly, then the reference without leading
   zeros, then the invoice number; looked up 500 references per query;
4. matched payments are booked through services.ledger.payments.register_payments (the batch
   form of register_payment: the same rules, one voucher each in series B): method bankgiro,
   the deposit date as the payment date, the parser's bank reference (unique: a payment that
   was registered before is left out and noted). A payment larger than what its invoices have
   left goes to customer credit, a smaller one is a part payment (a shortfall within the
   payment tolerance is written off as register_payment does);
5. a payment nothing could be matched to (no or an unknown reference, invoices with nothing
   left to pay, another customer's invoices only, bankgiro blocked for the customer) is money
   in the bank all the same: it is stored as a Payment without customer and allocations and
   booked bank (1930) to the suspense account for unidentified payments, BAS 2999 "OBS-konto"
   (ACCOUNT_MAP "unidentified_payments"; a setting ledger.account.unidentified_payments moves
   it). 2999 rather than 1510: the money is not yet known to settle any receivable, and 1510's
   subledger (the invoices) must agree with the account; 2999 is BAS's observation account for
   entries to be cleared, a liability until the payer is known. It is listed for manual
   matching with suggestions (``suggestions``), and ``match_payment`` moves it from 2999 to the
   invoices (and customer credit for any rest) with a voucher of its own;
6. a deduction (record 21) is money the bank took off the deposit: booked 2999 against the bank
   (it waits there for the accountant) and noted on the import; a section in another currency
   than SEK is left out and noted (the ledger is kept in SEK and the file gives no rate).

Everything happens in the caller's transaction: nothing commits here, and a crash (a killed
job) before the caller's commit leaves nothing booked. The period lock refuses the whole file.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only

from models import (
    BgMaxImport,
    Customer,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    customer_blocked_payment_method,
    utcnow,
)
from services.ledger import LedgerError
from services.ledger import payments as pay
from services.ledger.accounts import account_for
from services.ledger.bgmax import BgMaxFile, parse_bgmax
from services.ledger.vouchers import PAYMENT_SERIES, Row, VoucherEntry, book_voucher, book_vouchers
from services.platform.formatting import money
from services.platform.locking import lock_rows
from services.platform.settings import load_settings

BATCH = 500  # references per IN query
CURRENCY = "SEK"
METHOD = "bankgiro"
MAX_BYTES = 10 * 1024 * 1024  # as the app's upload limit; a file of 10,000 payments is about 3 MB
JOB_KIND = "bgmax_import"
RIGHT = "payments.register"

# why a payment was not matched (BgMaxImport.notes "unmatched" entries): reason_text


def reason_text(code: str) -> str:
    return {
        "no_reference": _("The payment has no reference."),
        "unknown": _("No invoice has the reference."),
        "closed": _("The invoice has nothing left to pay."),
        "blocked": _("Bankgiro is blocked for the customer."),
    }.get(code, code)


@dataclass
class ImportResult:
    bgmax_import: BgMaxImport
    payments: int  # records 20 in the file
    booked: list[int] = field(default_factory=list)  # ids of the payments matched to invoices
    unmatched: list[int] = field(default_factory=list)  # ids of those booked to the suspense account
    deductions: list[dict] = field(default_factory=list)  # records 21, booked to the suspense account
    skipped: list[dict] = field(default_factory=list)  # left out: another currency, registered before
    total: Decimal = Decimal("0.00")  # what was booked in: payments less deductions
    booked_amount: Decimal = Decimal("0.00")
    unmatched_amount: Decimal = Decimal("0.00")


def _chunks(values: list, size: int = BATCH):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _fmt(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def register_file(session: Session, parsed: BgMaxFile, filename: str, user) -> BgMaxImport:
    """Insert the import's row first: the unique checksum refuses a file imported before or by
    another user at this moment (who waits on the unique index until the first one commits or
    rolls back), with who imported it and when. On that refusal the session is rolled back (the
    import is its own transaction; no savepoint: pysqlite's SAVEPOINT before the transaction's
    first write would commit on release)."""
    row = BgMaxImport(checksum=parsed.checksum, filename=(filename or "bgmax.txt")[:255], imported_by=user,
                      imported_at=utcnow(), notes=[])
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        earlier = session.scalar(select(BgMaxImport).where(BgMaxImport.checksum == parsed.checksum))
        if earlier is None:
            raise
        who = earlier.imported_by.full_name or earlier.imported_by.username if earlier.imported_by else "?"
        raise LedgerError(_("The file has been imported already (%(date)s, %(who)s); nothing was booked.",
                            date=_fmt(earlier.imported_at), who=who), "file") from None
    return row


def _keys(reference: str) -> list[str]:
    """What a reference is looked up as, in order: itself, without leading zeros."""
    stripped = reference.lstrip("0")
    return [reference] + ([stripped] if stripped and stripped != reference else [])


def _invoices_by_reference(session: Session, references: set[str]) -> dict[str, list[Invoice]]:
    """Invoices (not credit notes) per reference: by OCR (exactly, then without the reference's
    leading zeros) before the invoice number; one query per 500 references."""
    keys = sorted({k for r in references for k in _keys(r)})
    by_ocr: dict[str, list[Invoice]] = {}
    by_number: dict[str, Invoice] = {}
    columns = load_only(Invoice.id, Invoice.kind, Invoice.number, Invoice.ocr, Invoice.customer_id,
                        Invoice.currency, Invoice.total, Invoice.due_date)
    for chunk in _chunks(keys):
        for invoice in session.scalars(select(Invoice).options(columns).where(
                Invoice.kind == "invoice", or_(Invoice.ocr.in_(chunk), Invoice.number.in_(chunk)))
                .order_by(Invoice.id)):
            if invoice.ocr in chunk:
                by_ocr.setdefault(invoice.ocr, []).append(invoice)
            if invoice.number in chunk:
                by_number[invoice.number] = invoice
    result = {}
    for reference in references:
        found: list[Invoice] = []
        for key in _keys(reference):
            found += by_ocr.get(key, [])
        if not found:
            for key in _keys(reference):
                if key in by_number:
                    found.append(by_number[key])
                    break
        result[reference] = list(dict.fromkeys(found))
    return result


def import_bgmax(session: Session, data: bytes, filename: str, user, settings: dict | None = None,
                 today: dt.date | None = None, progress=None) -> ImportResult:
    """Parse and book the file (see the module's doc). Raises BgMaxError (a malformed file,
    with its line) or LedgerError (imported before, a locked period, ...); the caller commits
    or rolls back. ``progress(done, total)`` is told along the way."""
    parsed = parse_bgmax(data)
    if settings is None:
        settings = load_settings(session)
    method = session.scalar(select(PaymentMethod).where(PaymentMethod.code == METHOD))
    if method is None or not method.account_number or not method.active:
        raise LedgerError(_("The payment method Bankgiro is missing, inactive or has no account."), "file")
    row = register_file(session, parsed, filename, user)
    result = ImportResult(bgmax_import=row, payments=len(parsed.payments))
    notes: list[dict] = []
    report = progress or (lambda done, total: None)

    # the payments and deductions in SEK sections, those of other currencies noted
    wanted, deductions = [], []
    for section in parsed.sections:
        for p in sorted(section.payments + section.deductions, key=lambda x: x.line_number):
            if section.currency != CURRENCY:
                result.skipped.append(_note("currency", p, section.deposit_date, currency=section.currency))
            elif p.amount <= 0:
                result.skipped.append(_note("zero", p, section.deposit_date))
            elif p.is_deduction:
                deductions.append((p, section.deposit_date))
            else:
                wanted.append((p, section.deposit_date))
    # bank references registered before (the same payments in a file sent again) are left out
    taken: set[str] = set()
    references = [p.bank_reference for p, _d in wanted]
    for chunk in _chunks(references):
        taken |= set(session.scalars(select(Payment.bank_reference).where(Payment.bank_reference.in_(chunk))))
    fresh = []
    for p, day in wanted:
        if p.bank_reference in taken:
            result.skipped.append(_note("registered", p, day))
        else:
            fresh.append((p, day))
    report(0, len(fresh))

    # match: invoices per reference, their remaining amounts, the customers and their blocks
    found = _invoices_by_reference(session, {r for p, _d in fresh for r in p.references})
    invoice_ids = sorted({i.id for invoices in found.values() for i in invoices})
    remaining: dict[int, Decimal] = {}
    for chunk in _chunks(invoice_ids):
        remaining.update({i: b.remaining for i, b in pay.balances(session, chunk, today).items()})
    customer_ids = sorted({i.customer_id for invoices in found.values() for i in invoices})
    customers: dict[int, Customer] = {}
    blocked: set[int] = set()
    for chunk in _chunks(customer_ids):
        customers.update({c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(chunk)))})
        blocked |= set(session.scalars(select(customer_blocked_payment_method.c.customer_id).where(
            customer_blocked_payment_method.c.payment_method_id == method.id,
            customer_blocked_payment_method.c.customer_id.in_(chunk))))
    tolerance = pay._tolerance(settings)
    items, unmatched = [], []
    for p, day in fresh:
        invoices = [i for r in p.references for i in found.get(r, [])]
        invoices = list(dict.fromkeys(i for i in invoices if i.currency == CURRENCY))
        open_ = [i for i in invoices if remaining.get(i.id, Decimal(0)) > 0]
        reason = "no_reference" if not p.references else "unknown" if not invoices else "closed" if not open_ \
            else None
        if reason is None:
            customer_id = open_[0].customer_id
            if customer_id in blocked:
                reason = "blocked"
        if reason is not None:
            unmatched.append((p, day, reason))
            continue
        chosen = [i for i in open_ if i.customer_id == customer_id]
        left = p.amount
        allocations = []
        for invoice in chosen:  # each takes what it has left, up to what is left of the payment
            if left <= 0:
                break
            share = min(left, remaining[invoice.id])
            allocations.append((invoice, None))
            left -= share
            shortfall = remaining[invoice.id] - share  # as register_payments will see it: within
            remaining[invoice.id] = Decimal(0) if shortfall <= tolerance else shortfall  # the tolerance, paid
        items.append(pay.PaymentItem(
            customer=customers[customer_id], date=day, amount=p.amount, reference=p.reference or None,
            allocations=allocations, rest="credit", payer_name=p.payer_name or None,
            payer_org_number=p.payer_organisation_number or None, bank_reference=p.bank_reference))
    result.booked = pay.register_payments(session, items, method, user, bgmax_import=row, settings=settings,
                                          today=today, load=False)
    result.booked_amount = sum((i.amount for i in items), Decimal("0.00"))
    report(len(result.booked), len(fresh))

    # the rest: the bank against the suspense account
    suspense = account_for("unidentified_payments", settings)
    now = utcnow()
    other_rows = [{"kind": "payment", "date": day, "amount": p.amount, "method_id": method.id,
                   "reference": (p.reference or "")[:60] or None, "payer_name": (p.payer_name or "")[:200] or None,
                   "payer_org_number": (p.payer_organisation_number or "")[:12] or None, "customer_id": None,
                   "bank_reference": p.bank_reference, "bgmax_import_id": row.id,
                   "created_by_id": user.id if user is not None else None, "created_at": now}
                  for p, day, _r in unmatched]
    other_ids = pay.insert_payments(session, other_rows)
    with force_locale("sv"):  # the books are kept in Swedish
        entries = [VoucherEntry(r["date"], [Row(method.account_number, r["amount"], _("Payment %(m)s", m=method.name)),
                                            Row(suspense, -r["amount"], _("Unidentified payment"))],
                                _("Unidentified payment %(r)s %(n)s", r=r["reference"] or "",
                                  n=r["payer_name"] or "").strip(), ("payment", ident))
                   for ident, r in zip(other_ids, other_rows)]
        entries += [VoucherEntry(day, [Row(suspense, p.amount, _("Deduction")),
                                       Row(method.account_number, -p.amount, _("Deduction %(m)s", m=method.name))],
                                 _("Deduction in BgMax deposit %(r)s", r=p.reference or p.bank_reference).strip(),
                                 ("bgmax_deduction", row.id))
                    for p, day in deductions]
    vouchers = book_vouchers(session, PAYMENT_SERIES, entries, user)
    pay.set_vouchers(session, other_ids, vouchers)
    for (p, day), voucher in zip(deductions, vouchers[len(other_ids):]):
        result.deductions.append(_note("deduction", p, day, voucher=voucher.label))
    result.unmatched = other_ids
    result.unmatched_amount = sum((r["amount"] for r in other_rows), Decimal("0.00"))
    for (p, day, reason), ident in zip(unmatched, other_ids):
        notes.append(_note("unmatched", p, day, reason=reason, payment_id=ident))
    notes += result.deductions + result.skipped
    result.total = result.booked_amount + result.unmatched_amount - sum(
        (Decimal(d["amount"]) for d in result.deductions), Decimal("0.00"))
    row.payment_count = result.payments
    row.booked_count = len(result.booked)
    row.unmatched_count = len(result.unmatched)
    row.total_amount = result.total
    row.notes = notes
    session.flush()
    report(len(fresh), len(fresh))
    return result


def _note(kind: str, p, day: dt.date | None, **extra) -> dict:
    return {"kind": kind, "line": p.line_number, "amount": f"{p.amount:.2f}", "reference": p.reference,
            "bank_reference": p.bank_reference, "payer": p.payer_name, "date": day.isoformat() if day else None,
            **extra}


# ---- unidentified payments: the list, suggestions and manual matching ---------------------------


def _unmatched_filter():
    return (Payment.bgmax_import_id.is_not(None), Payment.customer_id.is_(None), Payment.reversed_at.is_(None),
            Payment.match_voucher_id.is_(None), Payment.kind == "payment")


def unmatched_payments(session: Session, bgmax_import: BgMaxImport | None = None, limit: int = 200) -> list[Payment]:
    """Unidentified BgMax payments waiting in the suspense account, oldest first."""
    query = select(Payment).where(*_unmatched_filter()).order_by(Payment.date, Payment.id).limit(limit)
    if bgmax_import is not None:
        query = query.where(Payment.bgmax_import_id == bgmax_import.id)
    return list(session.scalars(query))


def is_unmatched(payment: Payment) -> bool:
    return (payment.bgmax_import_id is not None and payment.customer_id is None and payment.reversed_at is None
            and payment.match_voucher_id is None and payment.kind == "payment")


@dataclass
class Suggestion:
    invoice: Invoice
    remaining: Decimal
    same_amount: bool
    same_payer: bool


def _digits(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit())


def open_invoices_query(today: dt.date | None = None):
    """Invoices with something left to pay (for look-ups); remaining as a column."""
    remaining = pay.remaining_sql()
    return select(Invoice, remaining.label("remaining")).where(Invoice.kind == "invoice", remaining > 0)


def suggestions(session: Session, payment: Payment, limit: int = 5, visible=None) -> list[Suggestion]:
    """Open invoices an unidentified payment may be for: those whose remaining amount is the
    payment's, and those of the customer with the payer's organisation number or name; both
    first. ``visible`` (a Customer filter or None) limits them to customers the user sees."""
    payer_customers: set[int] = set()
    org = _digits(payment.payer_org_number)[-10:]
    conditions = []
    if len(org) == 10:
        conditions.append(Customer.org_number == org)
    if payment.payer_name:
        conditions.append(func.lower(Customer.name) == payment.payer_name.strip().lower())
    if conditions:
        query = select(Customer.id).where(or_(*conditions)).limit(20)
        if visible is not None:
            query = query.where(visible)
        payer_customers = set(session.scalars(query))
    found: dict[int, tuple[Invoice, Decimal]] = {}
    base = open_invoices_query()
    if visible is not None:
        base = base.join(Customer, Customer.id == Invoice.customer_id).where(visible)
    remaining = pay.remaining_sql()
    for invoice, left in session.execute(base.where(remaining == payment.amount).order_by(Invoice.due_date)
                                         .limit(limit)):
        found[invoice.id] = (invoice, Decimal(left))
    if payer_customers:
        for invoice, left in session.execute(base.where(Invoice.customer_id.in_(payer_customers))
                                             .order_by(Invoice.due_date).limit(limit)):
            found[invoice.id] = (invoice, Decimal(left))
    result = [Suggestion(i, left, left == payment.amount, i.customer_id in payer_customers)
              for i, left in found.values()]
    result.sort(key=lambda s: (not (s.same_amount and s.same_payer), not s.same_amount, s.invoice.due_date))
    return result[:limit]


def match_payment(session: Session, payment: Payment, invoices, user, date: dt.date | None = None,
                  settings: dict | None = None, today: dt.date | None = None) -> Payment:
    """Match an unidentified BgMax payment to invoices of one customer by hand: each invoice
    takes what it has left (in order) up to the payment, the rest becomes the customer's credit;
    a shortfall within the payment tolerance is written off as register_payment does. One
    voucher in series B on ``date`` (today by default) moves the amount from the suspense
    account to receivables (and customer credit); the payment gets the customer, the
    allocations and that voucher (``match_voucher``). Two users matching it at once: the
    payment row is locked, the second is told it is matched already."""
    date = pay._date(date or dt.date.today())
    if settings is None:
        settings = load_settings(session)
    invoices = [i for i in (invoices or []) if i is not None]
    if not invoices:
        raise LedgerError(_("Choose the invoice the payment is for."), "invoice")
    locked = lock_rows(session, Payment, [payment.id])
    payment = locked[0] if locked else payment
    if not is_unmatched(payment):
        raise LedgerError(_("The payment is matched or reversed already."), "invoice")
    customer = invoices[0].customer
    if customer is None:
        raise LedgerError(_("Choose the invoice the payment is for."), "invoice")
    customer = pay._lock_customer(session, customer)
    if any(i.currency != CURRENCY for i in invoices):
        raise LedgerError(_("Only an invoice in SEK can be matched to a bankgiro payment."), "invoice")
    current = {i: b.remaining for i, b in pay.balances(session, [i.id for i in invoices if isinstance(i, Invoice)],
                                                       today).items()}
    rows = [PaymentAllocation(invoice=a.invoice, amount=a.amount, write_off=a.write_off)
            for a in pay._allocate(customer, payment.amount, [(i, None) for i in invoices], "credit", current,
                                   pay._tolerance(settings))]
    if not any(a.invoice is not None for a in rows):
        raise LedgerError(_("%(i)s has nothing left to pay.", i=str(invoices[0])), "invoice")
    payment.customer = customer
    payment.allocations = rows
    payment.matched_by = user
    payment.matched_at = utcnow()
    session.flush()
    suspense = account_for("unidentified_payments", settings)
    receivables, credit = account_for("receivables", settings), account_for("customer_credit", settings)
    rounding = account_for("rounding", settings)
    with force_locale("sv"):
        entries = [Row(suspense, payment.amount, _("Unidentified payment"))]
        for a in rows:
            if a.invoice is not None:
                entries.append(Row(receivables, -(a.amount + a.write_off), str(a.invoice)))
                if a.write_off:
                    entries.append(Row(rounding, a.write_off, _("Payment tolerance %(i)s", i=str(a.invoice))))
            else:
                entries.append(Row(credit, -a.amount, _("Customer credit")))
        text = _("Matched payment %(r)s to %(c)s", r=payment.reference or payment.bank_reference or "",
                 c=customer.name)
    payment.match_voucher = book_voucher(session, PAYMENT_SERIES, date, entries, text, user,
                                         source=("payment_match", payment.id))
    session.flush()
    return payment


def booked_payments(session: Session, bgmax_import: BgMaxImport, visible=None, limit: int = 500) -> list[Payment]:
    """The import's payments that went to invoices (at the import or matched by hand since),
    in file order; ``visible`` a Customer filter for a user limited to assigned customers."""
    query = (select(Payment).join(Customer, Customer.id == Payment.customer_id)
             .where(Payment.bgmax_import_id == bgmax_import.id).order_by(Payment.id).limit(limit))
    if visible is not None:
        query = query.where(visible)
    return list(session.scalars(query))


def find_open_invoices(session: Session, text: str, visible=None, limit: int = 20) -> list[tuple[Invoice, Decimal]]:
    """Open invoices (something left to pay) whose number or OCR starts with ``text`` or whose
    customer's name contains it, with what they have left: the look-up of the "Match" action."""
    text = (text or "").strip()
    query = open_invoices_query().join(Customer, Customer.id == Invoice.customer_id)
    if text:
        query = query.where(or_(Invoice.number.startswith(text, autoescape=True),
                                Invoice.ocr.startswith(text, autoescape=True),
                                func.lower(Customer.name).contains(text.lower(), autoescape=True)))
    if visible is not None:
        query = query.where(visible)
    return [(i, Decimal(left)) for i, left in session.execute(query.order_by(Invoice.due_date, Invoice.id).limit(limit))]


def imports(session: Session, limit: int = 50) -> list[BgMaxImport]:
    """The latest imports, newest first."""
    return list(session.scalars(select(BgMaxImport).order_by(BgMaxImport.imported_at.desc(), BgMaxImport.id.desc())
                                .limit(limit)))


def find_import(session: Session, checksum: str) -> BgMaxImport | None:
    return session.scalar(select(BgMaxImport).where(BgMaxImport.checksum == checksum))


def check_upload(session: Session, data: bytes) -> BgMaxFile:
    """What the upload page checks before it starts the job: a BgMax file (BgMaxError with its
    line otherwise) not imported before (LedgerError "file"); the job checks both again."""
    parsed = parse_bgmax(data)
    earlier = find_import(session, parsed.checksum)
    if earlier is not None:
        who = (earlier.imported_by.full_name or earlier.imported_by.username) if earlier.imported_by else "?"
        raise LedgerError(_("The file has been imported already (%(date)s, %(who)s); nothing was booked.",
                            date=_fmt(earlier.imported_at), who=who), "file")
    return parsed


# ---- the import as a job (services.platform.jobs): the page checks the file, the job books it ----------


def start_import_job(session: Session, enqueue, user, upload_path: str, filename: str, total: int | None = None):
    """Queue the import of an uploaded file (``upload_path``: under FILES_DIR) as a job of ``user``."""
    from services.platform import jobs

    return jobs.submit(session, enqueue, JOB_KIND, user, {"file": upload_path, "filename": filename}, total=total)


def _import_job(session: Session, job):
    """The work of a BgMax import job: the whole file in the job's one transaction (a failure, a
    cancel or a killed consumer books nothing)."""
    from services.platform import jobs

    path = jobs.files_dir() / job.params["file"]
    if not path.is_file():
        raise LedgerError(_("The uploaded file is gone; upload it again."), "file")
    result = import_bgmax(session, path.read_bytes(), job.params.get("filename") or path.name, job.user,
                          progress=lambda done, total: jobs.report_progress(job, done, total))
    summary = _("Payments: %(payments)s, booked: %(booked)s, unmatched: %(unmatched)s, total: %(total)s",
                payments=result.payments, booked=len(result.booked), unmatched=len(result.unmatched),
                total=money(result.total))
    return jobs.Outcome(summary, remove=(path,))


def _declare_job() -> None:
    from services.platform import jobs

    jobs.handler(JOB_KIND, label=lambda: _("BgMax import"), rights=lambda params: [RIGHT])(_import_job)


_declare_job()
