"""Daily sales report (dagsrapport, 20.21): per day of a period, what was invoiced (net, VAT
per rate, gross), what was credited, and the payments received per payment method.

Invoices and credit notes are read from their vouchers (series F and K, booked at finalisation
in services.ledger.documents), summed in SQL per day and account: gross is the receivables
account, VAT the output VAT accounts per rate, net the income accounts but the öre rounding.
Payments come from the payment register (services.ledger.payments), kind "payment", not
reversed, summed per day and payment method."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Account, Payment, PaymentMethod, Voucher, VoucherRow
from services.ledger import LedgerError
from services.ledger.accounts import account_for

ZERO = Decimal("0.00")
RATES = ("25", "12", "6")
MAX_DAYS = 366


@dataclass
class DayLine:
    day: dt.date
    invoiced_net: Decimal = ZERO
    vat: dict[str, Decimal] = field(default_factory=lambda: {r: ZERO for r in RATES})  # of the invoices
    invoiced_gross: Decimal = ZERO
    credited_net: Decimal = ZERO  # credit notes, negative
    credited_gross: Decimal = ZERO
    payments: dict[str, Decimal] = field(default_factory=dict)  # payment method's name -> amount

    @property
    def vat_total(self) -> Decimal:
        return sum(self.vat.values(), ZERO)

    @property
    def payments_total(self) -> Decimal:
        return sum(self.payments.values(), ZERO)


@dataclass
class DailySales:
    start: dt.date
    end: dt.date
    days: list[DayLine]
    methods: list[str]  # the payment methods with payments in the period, in name order

    @property
    def totals(self) -> DayLine:
        total = DayLine(self.end)
        for d in self.days:
            total.invoiced_net += d.invoiced_net
            total.invoiced_gross += d.invoiced_gross
            total.credited_net += d.credited_net
            total.credited_gross += d.credited_gross
            for rate in RATES:
                total.vat[rate] += d.vat[rate]
            for name, amount in d.payments.items():
                total.payments[name] = total.payments.get(name, ZERO) + amount
        return total


def daily_sales(session: Session, start: dt.date, end: dt.date, settings: dict | None = None) -> DailySales:
    if end < start:
        raise LedgerError(_("The period ends (%(to)s) before it starts (%(from)s).",
                            to=end.isoformat(), **{"from": start.isoformat()}), "to")
    if (end - start).days >= MAX_DAYS:
        raise LedgerError(_("The daily sales report covers at most %(n)s days.", n=MAX_DAYS), "to")
    receivables = account_for("receivables", settings)
    rounding = account_for("rounding", settings)
    vat_accounts = {account_for(f"output_vat.{r}", settings): r for r in RATES}
    days: dict[dt.date, DayLine] = {}

    def line(day: dt.date) -> DayLine:
        if day not in days:
            days[day] = DayLine(day)
        return days[day]

    stmt = (select(VoucherRow.date, Voucher.source_kind, VoucherRow.account_number, Account.type,
                   func.sum(VoucherRow.amount))
            .join(Voucher, Voucher.id == VoucherRow.voucher_id)
            .join(Account, Account.number == VoucherRow.account_number)
            .where(VoucherRow.date >= start, VoucherRow.date <= end,
                   Voucher.source_kind.in_(("invoice", "credit_note")))
            .group_by(VoucherRow.date, Voucher.source_kind, VoucherRow.account_number, Account.type))
    for day, kind, account, type_, amount in session.execute(stmt):
        amount = Decimal(amount or 0)
        d = line(day)
        if kind == "invoice":
            if account == receivables:
                d.invoiced_gross += amount
            elif account in vat_accounts:
                d.vat[vat_accounts[account]] -= amount
            elif type_ == "income" and account != rounding:
                d.invoiced_net -= amount
        else:  # a credit note's voucher is its invoice's mirror image: shown negative, beside
            if account == receivables:
                d.credited_gross += amount
            elif account not in vat_accounts and type_ == "income" and account != rounding:
                d.credited_net -= amount
    methods: set[str] = set()
    other = _("No payment method")
    pay = (select(Payment.date, PaymentMethod.name, func.sum(Payment.amount))
           .outerjoin(PaymentMethod, PaymentMethod.id == Payment.method_id)
           .where(Payment.date >= start, Payment.date <= end, Payment.kind == "payment",
                  Payment.reversed_at.is_(None))
           .group_by(Payment.date, PaymentMethod.name))
    for day, name, amount in session.execute(pay):
        name = name or other
        methods.add(name)
        d = line(day)
        d.payments[name] = d.payments.get(name, ZERO) + Decimal(amount or 0)
    return DailySales(start, end, [days[k] for k in sorted(days)], sorted(methods))
