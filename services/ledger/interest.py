"""Interest invoices (räntefakturor, 000 20.16): late interest (dröjsmålsränta) on invoices paid
after their due date, at Riksbank's reference rate plus 8 percentage points (räntelagen
(1975:635) 6 §; the reference rate of each calendar half-year, 9 §, is the ReferenceRate table).

Arithmetic (the convention, also in the tests with hand-computed values):
- interest runs from the day after the due date through the payment date: paid on the due
  date costs nothing, paid one day late is one day of interest (days = paid − due);
- each day takes the rate of its calendar half-year (1 January–30 June, 1 July–31 December):
  a span across a half-year change is split there, each part ``amount × (rate + 8) / 100 ×
  days / 365`` (365 also in a leap year);
- the parts are summed exactly (Decimal) and the sum is rounded once, half-up to öre;
- a part payment counts from the due date to its own payment date (each late allocation of a
  live payment), so an invoice paid in two late instalments pays interest on each for its days.

A half-year without a reference rate in the table is refused (the office adds it in the
register): a stale rate is never used silently.

An interest invoice is a finalised invoice (services.sales.invoicing.create_charge_invoice) with
one line per late-paid invoice on interest income (8313) at 0 % VAT: interest is compensation
for late payment, outside the scope of VAT (ML 2023:200). One InterestCharge per late-paid
invoice (unique): an invoice is charged interest once. Interest below the minimum (setting
``ledger.interest_minimum``, kr) is not invoiced."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Customer, InterestCharge, Invoice, Payment, PaymentAllocation, ReferenceRate, Reminder
from services.ledger import LedgerError
from services.ledger.accounts import account_for
from services.ledger.payments import balances
from services.platform.locking import lock_rows
from services.platform.numbers import parse_decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")
PENALTY_POINTS = Decimal("8")  # räntelagen 6 §: reference rate + 8 percentage points
DAYS_PER_YEAR = Decimal("365")
MINIMUM_SETTING = "ledger.interest_minimum"
DEFAULT_MINIMUM = Decimal("50.00")

# Riksbank's reference rate (referensränta) per half-year: the policy rate at the end of the
# previous half-year, rounded up to the nearest half percentage point when needed. 2025-01-01:
# policy rate 2.50 % on 31 Dec 2024; 2025-07-01: 2.00 % on 30 June 2025; 2026-01-01: policy rate
# 1.75 % on 31 Dec 2025, rounded up to 2.00 %. Verify against riksbank.se; later half-years are
# added by the office in the register.
DEFAULT_RATES = [
    (dt.date(2025, 1, 1), Decimal("2.50")),
    (dt.date(2025, 7, 1), Decimal("2.00")),
    (dt.date(2026, 1, 1), Decimal("2.00")),
]


def seed_reference_rates(session: Session) -> int:
    """The known reference rates that are missing (by date); returns how many were added."""
    existing = set(session.scalars(select(ReferenceRate.valid_from)))
    added = 0
    for valid_from, rate in DEFAULT_RATES:
        if valid_from not in existing:
            session.add(ReferenceRate(valid_from=valid_from, rate=rate))
            added += 1
    return added


def half_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 1 if day.month <= 6 else 7, 1)


def _next_half_year(start: dt.date) -> dt.date:
    return dt.date(start.year, 7, 1) if start.month == 1 else dt.date(start.year + 1, 1, 1)


def check_rate(valid_from, rate) -> tuple[dt.date, Decimal]:
    """A reference rate as the register stores it: valid from 1 January or 1 July, a finite
    percentage with at most three decimals (through the one number parser)."""
    if not isinstance(valid_from, dt.date) or isinstance(valid_from, dt.datetime):
        raise LedgerError(_("Give the date the rate is valid from."), "valid_from")
    if (valid_from.month, valid_from.day) not in ((1, 1), (7, 1)):
        raise LedgerError(_("A reference rate is valid from 1 January or 1 July."), "valid_from")
    value = parse_decimal(rate, 3, label=_("The rate"), field="rate", required=True, signed=True, precision=6)
    if not (Decimal("-100") < value < Decimal("100")):
        raise LedgerError(_("Give the rate in percent, e.g. 2,00."), "rate")
    return valid_from, value


def rates_of(session: Session) -> dict[dt.date, Decimal]:
    return {r.valid_from: Decimal(r.rate) for r in session.scalars(select(ReferenceRate))}


@dataclass(frozen=True)
class Period:
    start: dt.date  # first day of interest in the period
    end: dt.date  # last day
    days: int
    rate: Decimal  # the reference rate + 8
    interest: Decimal  # exact, unrounded


def interest_periods(amount, due_date: dt.date, paid_date: dt.date, rates) -> list[Period]:
    """The days of interest on ``amount`` from the day after ``due_date`` through ``paid_date``,
    split at each half-year; ``rates`` maps a half-year's first day to its reference rate (a
    dict, or (valid_from, rate) pairs)."""
    amount = Decimal(amount)
    table = dict(rates.items() if isinstance(rates, dict) else rates)
    if paid_date <= due_date or amount <= 0:
        return []
    periods = []
    first = due_date + dt.timedelta(days=1)
    while first <= paid_date:
        start = half_year_start(first)
        last = min(paid_date, _next_half_year(start) - dt.timedelta(days=1))
        if start not in table:
            raise LedgerError(_("There is no reference rate for the half-year from %(d)s; add it to the "
                                "reference rates.", d=start.isoformat()), "rates")
        rate = Decimal(table[start]) + PENALTY_POINTS
        days = (last - first).days + 1
        periods.append(Period(first, last, days, rate, amount * rate / 100 * days / DAYS_PER_YEAR))
        first = last + dt.timedelta(days=1)
    return periods


def round_ore(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def late_interest(amount, due_date: dt.date, paid_date: dt.date, rates) -> Decimal:
    """Dröjsmålsränta on ``amount`` paid on ``paid_date`` that was due on ``due_date``, rounded
    half-up to öre (the convention in the module's docstring)."""
    return round_ore(sum((p.interest for p in interest_periods(amount, due_date, paid_date, rates)), ZERO))


# ---- candidates ------------------------------------------------------------------------------


@dataclass
class Candidate:
    invoice_id: int
    number: str
    customer_id: int
    customer_name: str
    due_date: dt.date
    paid_date: dt.date  # the last payment
    days: int  # days late of the last payment
    late_amount: Decimal  # what was paid late
    interest: Decimal
    periods: list[Period] = field(default_factory=list)


def _charge_invoices():
    """Invoices the ledger made for charges (interest, reminder fees): no interest on them."""
    return select(InterestCharge.interest_invoice_id).union(
        select(Reminder.fee_invoice_id).where(Reminder.fee_invoice_id.is_not(None)))


def candidates(session: Session, date_from: dt.date, date_to: dt.date, customer_ids=None,
               rates: dict | None = None) -> list[Candidate]:
    """Invoices paid in full after their due date, their last payment in [date_from, date_to],
    not interest-invoiced yet, with the interest each would bear (oldest due date first)."""
    if date_from is None or date_to is None or date_to < date_from:
        raise LedgerError(_("Give a period whose end is not before its start."), "date_to")
    session.flush()
    last_paid = func.max(Payment.date)
    query = (select(Invoice.id, last_paid)
             .join(PaymentAllocation, PaymentAllocation.invoice_id == Invoice.id)
             .join(Payment, Payment.id == PaymentAllocation.payment_id)
             .where(Invoice.kind == "invoice", Payment.reversed_at.is_(None), PaymentAllocation.amount > 0,
                    ~exists().where(InterestCharge.invoice_id == Invoice.id),
                    Invoice.id.not_in(_charge_invoices()))
             .group_by(Invoice.id, Invoice.due_date)
             .having(last_paid > Invoice.due_date, last_paid >= date_from, last_paid <= date_to))
    if customer_ids is not None:
        query = query.where(Invoice.customer_id.in_(list(customer_ids)))
    found = dict(session.execute(query).all())
    if not found:
        return []
    state = balances(session, found.keys())
    paid = [i for i in found if state[i].status == "paid"]
    if not paid:
        return []
    table = rates if rates is not None else rates_of(session)
    allocations: dict[int, list[tuple[Decimal, dt.date]]] = {}
    for invoice_id, amount, date in session.execute(
            select(PaymentAllocation.invoice_id, PaymentAllocation.amount, Payment.date)
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(PaymentAllocation.invoice_id.in_(paid), Payment.reversed_at.is_(None))
            .order_by(Payment.date, Payment.id)):
        allocations.setdefault(invoice_id, []).append((Decimal(amount), date))
    result = []
    for invoice in session.scalars(select(Invoice).where(Invoice.id.in_(paid))
                                   .order_by(Invoice.due_date, Invoice.id)):
        periods: list[Period] = []
        late = ZERO
        for amount, date in allocations.get(invoice.id, []):
            if date > invoice.due_date and amount > 0:
                periods += interest_periods(amount, invoice.due_date, date, table)
                late += amount
        last = found[invoice.id]
        result.append(Candidate(invoice.id, invoice.number, invoice.customer_id, invoice.customer_name,
                                invoice.due_date, last, (last - invoice.due_date).days, late,
                                round_ore(sum((p.interest for p in periods), ZERO)), periods))
    return result


def minimum_of(settings: dict | None) -> Decimal:
    raw = (settings or {}).get(MINIMUM_SETTING)
    if raw in (None, ""):
        return DEFAULT_MINIMUM
    try:
        value = Decimal(str(raw).replace(",", ".").replace(" ", ""))
    except ArithmeticError:
        return DEFAULT_MINIMUM
    return value if value.is_finite() and value >= 0 else DEFAULT_MINIMUM


@dataclass
class InterestRun:
    invoices: list[Invoice] = field(default_factory=list)  # the interest invoices made
    below_minimum: list[Candidate] = field(default_factory=list)


def create_interest_invoices(session: Session, chosen, user, today: dt.date, settings: dict,
                             minimum=None) -> InterestRun:
    """One interest invoice per chosen late-paid invoice (``chosen``: Candidate objects or invoice
    ids; recomputed here, nothing the browser sent is trusted) whose interest is at least
    ``minimum`` (the setting when None). Does not commit: the caller commits once."""
    from services.sales.invoicing import create_charge_invoice

    ids = sorted({c.invoice_id if isinstance(c, Candidate) else int(c) for c in chosen or []})
    if not ids:
        raise LedgerError(_("Choose at least one invoice."), "invoices")
    minimum = minimum_of(settings) if minimum is None else parse_decimal(
        minimum, 2, label=_("The minimum amount"), field="minimum", required=True, precision=12)
    invoices = {i.id: i for i in session.scalars(select(Invoice).where(Invoice.id.in_(ids)))}
    customers = sorted({i.customer_id for i in invoices.values()})
    lock_rows(session, Customer, customers)  # two runs at once: the second sees the first's charges
    found = {c.invoice_id: c for c in candidates(session, dt.date(1900, 1, 1), today, customer_ids=customers)}
    run = InterestRun()
    account = account_for("interest_income", settings)
    for ident in ids:
        candidate = found.get(ident)
        if candidate is None:
            name = str(invoices[ident]) if ident in invoices else str(ident)
            raise LedgerError(_("%(i)s was not paid late, or its interest is invoiced already.", i=name), "invoices")
        if candidate.interest <= 0 or candidate.interest < minimum:
            run.below_minimum.append(candidate)
            continue
        source = invoices[ident]
        with force_locale(source.language or "sv"):
            line = _("Late interest on invoice %(n)s, due %(d)s, paid %(p)s (%(x)s days)", n=source.number,
                     d=source.due_date.isoformat(), p=candidate.paid_date.isoformat(), x=candidate.days)
            text = _("Late interest (reference rate + 8 percentage points, Interest Act § 6).")
        interest_invoice = create_charge_invoice(session, source.customer, [(line, candidate.interest, account, 0)],
                                                 user, today, settings, text=text, credit_term=True)
        try:
            with session.begin_nested():
                session.add(InterestCharge(invoice_id=ident, interest_invoice_id=interest_invoice.id,
                                           amount=candidate.interest, days=candidate.days,
                                           created_by_id=getattr(user, "id", None)))
                session.flush()
        except IntegrityError:
            raise LedgerError(_("%(i)s was charged interest already.", i=str(source)), "invoices") from None
        run.invoices.append(interest_invoice)
    return run


# ---- interest invoices as a job ---------------------------------------------------------------
# The screen starts the creation as a job: each interest invoice is a finalised document with
# its voucher; all of them are made in the job's one transaction, or none.

JOB_KIND = "interest_invoices"
RIGHT = "ledger.interest"


def start_job(session: Session, enqueue, user, invoice_ids, today: dt.date):
    """Queue the interest invoices of the late-paid ``invoice_ids``, dated ``today``, as a job of
    ``user`` (LedgerError when none is chosen; PermissionError without the right)."""
    from services.platform import jobs

    ids = sorted({int(i) for i in invoice_ids or []})
    if not ids:
        raise LedgerError(_("Choose at least one invoice."), "invoices")
    if not user.has_right(RIGHT):
        raise PermissionError(RIGHT)
    return jobs.submit(session, enqueue, JOB_KIND, user, {"invoices": ids, "date": today.isoformat()},
                       total=len(ids))


def _interest_job(session: Session, job):
    from services.platform import jobs
    from services.platform.settings import load_settings

    user = job.user
    # checked again: the right may have been taken away while the job was queued
    if user is None or not user.active or not user.has_right(RIGHT):
        raise LedgerError(_("You no longer have the right to create interest invoices; nothing was created."))
    ids = job.params["invoices"]
    jobs.report_progress(job, 0, len(ids))
    run = create_interest_invoices(session, ids, user, dt.date.fromisoformat(job.params["date"]),
                                   load_settings(session))
    jobs.report_progress(job, len(ids), len(ids))
    parts = [_("%(n)s interest invoices created: %(l)s.", n=len(run.invoices),
               l=", ".join(i.number for i in run.invoices) or "–")]
    if run.below_minimum:
        parts.append(_("%(n)s under the minimum amount were not invoiced.", n=len(run.below_minimum)))
    return jobs.Outcome(" ".join(parts))


def _declare_job() -> None:
    from services.platform import jobs

    jobs.handler(JOB_KIND, label=lambda: _("Interest invoices"), rights=lambda params: [RIGHT])(_interest_job)


_declare_job()
