"""Automatic vouchers of sales documents: a finalised invoice (series F) and a credit note
(series K) are booked in the transaction that finalises them (services.sales.invoicing).

Invoice: debit receivables (1510) the total; credit the sales account of each line's kind and
VAT rate net (labour 3041.., goods and other lines 3001.., invoice fee 3540, a manual credit
note's own account, reverse charge 3108/3308, export 3105/3305); credit output VAT per rate
(2611/2621/2631); the öre rounding to 3740. A credit note is the mirror image. The accounts
come from services.ledger.accounts.ACCOUNT_MAP (settings override)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Invoice, Voucher
from services.ledger import LedgerError
from services.ledger.accounts import account_for
from services.ledger.vouchers import CREDIT_NOTE_SERIES, INVOICE_SERIES, Row, book_voucher
from services.platform.formatting import money
from services.sales.pricing import PricedLine, totals

ZERO = Decimal("0")


def _rate_key(rate: Decimal) -> str:
    rate = Decimal(rate)
    return str(rate.quantize(Decimal(1))) if rate == rate.to_integral() else str(rate.normalize())


def line_account(line, treatment: str, settings: dict | None) -> str:
    """The sales account of an invoice line."""
    if line.kind == "manual" and line.account:
        return line.account
    if line.kind == "invoice_fee":
        return account_for("invoice_fee", settings)
    group = "labour" if line.kind == "labour" else "sales"
    if treatment in ("reverse_charge", "export"):
        return account_for(f"{group}.{treatment}", settings)
    return account_for(f"{group}.{_rate_key(line.vat_percent)}", settings)


def document_rows(invoice: Invoice, settings: dict | None = None) -> list[Row]:
    """The rows of an invoice's voucher (a credit note's are the mirror image), balanced."""
    sign = -1 if invoice.is_credit_note else 1
    net_by_account: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in invoice.lines:
        net_by_account[line_account(line, invoice.vat_treatment, settings)] += line.net_amount
    result = totals([PricedLine(l.quantity, l.unit_price, l.vat_percent, l.discount_percent) for l in invoice.lines])
    rows = [Row(account_for("receivables", settings), sign * invoice.total)]
    rows += [Row(account, -sign * net) for account, net in sorted(net_by_account.items()) if net]
    for rate, _net, vat in result.rates:
        if vat:
            rows.append(Row(account_for(f"output_vat.{_rate_key(rate)}", settings), -sign * vat))
    if invoice.rounding:
        rows.append(Row(account_for("rounding", settings), -sign * invoice.rounding))
    difference = sum((r.amount for r in rows), ZERO)
    if difference:
        # the document's stored VAT differs from its lines' (never expected): say so, book nothing
        raise LedgerError(_("%(d)s does not balance in the ledger (difference %(x)s).", d=str(invoice),
                            x=money(difference)))
    return [r for r in rows if r.amount]


def _text(invoice: Invoice) -> str:
    with force_locale("sv"):  # the books are kept in Swedish whoever books
        if invoice.is_credit_note:
            return _("Credit note %(n)s, %(c)s", n=invoice.number, c=invoice.customer_name)[:200]
        return _("Invoice %(n)s, %(c)s", n=invoice.number, c=invoice.customer_name)[:200]


def _credit_beyond_remaining(session: Session, note: Invoice, rows: list[Row], settings: dict | None) -> list[Row]:
    """A credit note on an invoice paid already: the part of the note beyond what remained on the
    invoice is credited to customer credit (kundtillgodo, 2420) instead of receivables, so the
    receivables of the invoice come to zero and the customer's credit holds what was overpaid."""
    from services.ledger.payments import balance

    if not note.total or note.total <= 0:
        return rows
    state = balance(session, session.get(Invoice, note.credited_invoice_id))  # the note included
    before = max(state.overpaid - note.total, ZERO)  # what earlier credit notes took beyond it
    beyond = min(state.overpaid - before, note.total)
    if beyond <= 0:
        return rows
    receivables, credit = account_for("receivables", settings), account_for("customer_credit", settings)
    with force_locale("sv"):
        text = _("Customer credit")
    result = []
    for row in rows:
        if row.account == receivables and row.amount < 0:
            result.append(Row(receivables, row.amount + beyond))
            result.append(Row(credit, -beyond, text))
        else:
            result.append(row)
    return [r for r in result if r.amount]


def book_document(session: Session, invoice: Invoice, user, settings: dict | None = None) -> Voucher | None:
    """Book the voucher of a finalised invoice or credit note dated its invoice date (the
    financial year is created when missing); None for a document of nothing (total and lines
    zero). Does not commit."""
    rows = document_rows(invoice, settings)
    if rows and invoice.is_credit_note and invoice.credited_invoice_id is not None:
        rows = _credit_beyond_remaining(session, invoice, rows, settings)
    if not rows:
        return None
    kind = "credit_note" if invoice.is_credit_note else "invoice"
    series = CREDIT_NOTE_SERIES if invoice.is_credit_note else INVOICE_SERIES
    if invoice.id is None:
        session.flush()
    return book_voucher(session, series, invoice.invoice_date, rows, _text(invoice), user,
                        source=(kind, invoice.id), create_year=True)


def voucher_of(session: Session, invoice: Invoice) -> Voucher | None:
    return session.scalar(select(Voucher).where(Voucher.source_kind == invoice.kind, Voucher.source_id == invoice.id))


@dataclass
class HistoryResult:
    booked_invoices: int = 0
    booked_credit_notes: int = 0
    already: int = 0  # had their voucher
    empty: int = 0  # nothing to book (a document of zero)


def book_history(session: Session, user=None, settings: dict | None = None, progress=None) -> HistoryResult:
    """Vouchers for every finalised invoice and credit note that has none, in date order (so
    the numbers follow the dates within a series and year). Idempotent. Does not commit: the
    caller commits once (all or nothing)."""
    result = HistoryResult()
    booked = {(k, i) for k, i in session.execute(
        select(Voucher.source_kind, Voucher.source_id).where(Voucher.source_kind.in_(("invoice", "credit_note"))))}
    ids = session.execute(select(Invoice.id, Invoice.kind).order_by(Invoice.invoice_date, Invoice.id)).all()
    for done, (invoice_id, kind) in enumerate(ids, start=1):
        if (kind, invoice_id) in booked:
            result.already += 1
            continue
        invoice = session.get(Invoice, invoice_id)
        try:
            voucher = book_document(session, invoice, user, settings)
        except LedgerError as exc:
            raise LedgerError(f"{invoice}: {exc.message}", exc.field) from exc
        if voucher is None:
            result.empty += 1
        elif kind == "credit_note":
            result.booked_credit_notes += 1
        else:
            result.booked_invoices += 1
        if progress:
            progress(done, len(ids))
    return result
