"""Customer losses (kundförluster, 000 20.19): what remains of an invoice written off as a
konstaterad kundförlust, with the VAT correction (ML 2023:200 15 kap. 7 §: the output VAT of a
loss is reduced), in one voucher (series B, source "write_off"):

    debit  6351 Konstaterade förluster på kundfordringar   the net part
    debit  2611/2621/2631 output VAT per rate               the VAT part
    credit 1510 Kundfordringar                              the remaining amount

The VAT part of each rate is the remaining amount's share of the invoice's VAT of that rate
(remaining × VAT of the rate / the invoice's total), rounded half-up to öre; the net part is the
rest, so the voucher balances to the öre. An invoice without VAT (reverse charge, export, 0 %)
books the whole remaining amount to 6351.

The write-off is a WriteOff row (one per invoice, unique) that services.ledger.payments counts:
the remaining amount becomes zero and the status "written_off". Does not commit."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Customer, Invoice, WriteOff
from services.ledger import LedgerError
from services.ledger.accounts import account_for
from services.ledger.documents import _rate_key
from services.ledger.payments import balance
from services.ledger.vouchers import PAYMENT_SERIES, Row, book_voucher, check_open
from services.platform.locking import lock_rows
from services.sales.pricing import PricedLine, totals

ZERO = Decimal("0")
CENT = Decimal("0.01")
WRITE_OFF_SERIES = PAYMENT_SERIES  # settles receivables like a payment does


def vat_parts(invoice: Invoice, amount: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(rate, VAT part of ``amount``) per VAT rate of the invoice, in proportion to its VAT."""
    if not invoice.total or invoice.vat_total <= 0:
        return []
    result = totals([PricedLine(l.quantity, l.unit_price, l.vat_percent, l.discount_percent) for l in invoice.lines])
    parts = []
    for rate, _net, vat in result.rates:
        if vat:
            share = (Decimal(amount) * Decimal(vat) / Decimal(invoice.total)).quantize(CENT, rounding=ROUND_HALF_UP)
            if share:
                parts.append((Decimal(rate), share))
    return parts


def write_off_rows(invoice: Invoice, amount: Decimal, settings: dict | None = None) -> list[Row]:
    with force_locale("sv"):  # the books are kept in Swedish
        label = _("Customer loss %(n)s", n=invoice.number)
    parts = vat_parts(invoice, amount)
    net = amount - sum((v for _r, v in parts), ZERO)
    rows = [Row(account_for("customer_loss", settings), net, label)] if net else []
    rows += [Row(account_for(f"output_vat.{_rate_key(rate)}", settings), vat, label) for rate, vat in parts]
    rows.append(Row(account_for("receivables", settings), -amount, label))
    return rows


def write_off(session: Session, invoice: Invoice, user, date: dt.date, reason: str,
              settings: dict | None = None) -> WriteOff:
    """Write off what remains of ``invoice`` as a customer loss on ``date`` (the period must be
    open), with ``reason`` (required). Refused for a credit note, an invoice with nothing left,
    and an invoice written off already."""
    if not isinstance(invoice, Invoice) or invoice.kind != "invoice":
        raise LedgerError(_("Only an invoice can be written off."), "invoice")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise LedgerError(_("Give the date of the write-off."), "date")
    reason = " ".join((reason or "").split())
    if not reason:
        raise LedgerError(_("Give the reason for the write-off."), "reason")
    if len(reason) > 300:
        raise LedgerError(_("The reason is at most 300 characters."), "reason")
    check_open(session, date)  # a locked period is refused before anything is written
    # payments of the customer queue behind the same row lock: the remaining amount holds
    lock_rows(session, Customer, [invoice.customer_id])
    state = balance(session, invoice, date)
    if state.written_off > 0:
        raise LedgerError(_("%(i)s is written off already.", i=str(invoice)), "invoice")
    if state.status == "credited" or state.remaining <= 0:
        raise LedgerError(_("%(i)s has nothing left to write off.", i=str(invoice)), "invoice")
    amount = state.remaining
    rows = write_off_rows(invoice, amount, settings)
    record = WriteOff(invoice_id=invoice.id, date=date, amount=amount, reason=reason, created_by=user,
                      vat_amount=sum((v for _r, v in vat_parts(invoice, amount)), ZERO))
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        raise LedgerError(_("%(i)s is written off already.", i=str(invoice)), "invoice") from None
    with force_locale("sv"):
        text = _("Customer loss %(n)s, %(c)s: %(r)s", n=invoice.number, c=invoice.customer_name, r=reason)
    record.voucher = book_voucher(session, WRITE_OFF_SERIES, date, rows, text[:200], user,
                                  source=("write_off", record.id))
    session.flush()
    return record
