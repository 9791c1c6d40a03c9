"""Accrual templates (periodiseringsmallar, reference 000 section 20.14): spread an amount over N
months with one voucher a month.

``create_template`` checks what the office typed; ``generate`` books the template's vouchers in
series ``ACCRUAL_SERIES``, one on the last day of each month, the amounts split so that they sum
exactly to the total (each month the total divided by N, rounded down to öre; the last month
takes the rest). Every month must be open: one locked month refuses the whole and nothing is
booked. A template is generated once (claimed by a conditional UPDATE, so a double click or two
users at once book it once)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import ACCRUAL_KINDS, AccrualTemplate, FinancialYear, Voucher, utcnow
from services.ledger import LedgerError
from services.ledger.accounts import accounts_by_number
from services.ledger.vouchers import VoucherEntry, _add_months, book_vouchers, check_open, month_end, year_of
from services.platform.numbers import parse_decimal, parse_int

ACCRUAL_SERIES = "P"
CENT = Decimal("0.01")
MAX_MONTHS = 120


def split(total: Decimal, months: int) -> list[Decimal]:
    """``total`` in ``months`` parts of whole öre summing exactly to it; the last takes the rest."""
    part = (total / months).quantize(CENT, rounding=ROUND_DOWN)
    return [part] * (months - 1) + [total - part * (months - 1)]


def schedule(template: AccrualTemplate) -> list[tuple[dt.date, Decimal]]:
    """(the month's last day, the amount) for each month of the template."""
    amounts = split(template.total, template.months)
    return [(month_end(_add_months(template.start_month, n)), amount) for n, amount in enumerate(amounts)]


def _month(value) -> dt.date:
    if isinstance(value, dt.date):
        return value.replace(day=1)
    try:
        year, month = (int(p) for p in str(value or "").strip().split("-")[:2])
        return dt.date(year, month, 1)
    except ValueError:
        raise LedgerError(_("Choose the first month."), "start_month") from None


def create_template(session: Session, data: dict, user) -> AccrualTemplate:
    """A new template from the form's strings (name, kind, accrual_account, result_account,
    total "12 000,00", start_month "2026-01", months). Raises LedgerError naming the field."""
    name = (data.get("name") or "").strip()
    if not name:
        raise LedgerError(_("A name is required."), "name")
    kind = data.get("kind") or "cost"
    if kind not in ACCRUAL_KINDS:
        raise LedgerError(_("Choose cost or revenue."), "kind")
    numbers = {}
    for field in ("accrual_account", "result_account"):
        number = (data.get(field) or "").strip()
        if not number:
            raise LedgerError(_("Give an account."), field)
        numbers[field] = number
    known = accounts_by_number(session, numbers.values())
    for field, number in numbers.items():
        if number not in known:
            raise LedgerError(_("Account %(a)s does not exist.", a=number), field)
        if not known[number].active:
            raise LedgerError(_("Account %(a)s is inactive.", a=number), field)
    if numbers["accrual_account"] == numbers["result_account"]:
        raise LedgerError(_("The accrual account and the cost or revenue account must differ."), "result_account")
    total = parse_decimal(data.get("total"), 2, label=_("The total"), field="total", required=True, precision=14)
    months = parse_int(data.get("months"), label=_("The number of months"), field="months", required=True,
                       minimum=1, maximum=MAX_MONTHS)
    template = AccrualTemplate(name=name[:100], kind=kind, accrual_account_number=numbers["accrual_account"],
                               result_account_number=numbers["result_account"], total=total,
                               start_month=_month(data.get("start_month")), months=int(months),
                               created_by_id=getattr(user, "id", None))
    if total < template.months * CENT:  # zero too
        raise LedgerError(_("The total is less than one öre a month."), "total")
    session.add(template)
    session.flush()
    return template


def _rows(template: AccrualTemplate, amount: Decimal) -> list[tuple[str, Decimal]]:
    if template.kind == "cost":  # the prepaid cost becomes this month's cost
        return [(template.result_account_number, amount), (template.accrual_account_number, -amount)]
    return [(template.accrual_account_number, amount), (template.result_account_number, -amount)]


def generate(session: Session, template: AccrualTemplate, user) -> list:
    """Book the template's vouchers (does not commit). Refused when generated already, when a
    month is locked or in a closed year, or when a month lies in no financial year (the years are
    created on the financial years screen, never here: payments would refuse such a year's dates
    all the same); then nothing is booked."""
    claimed = session.execute(update(AccrualTemplate).where(AccrualTemplate.id == template.id,
                                                            AccrualTemplate.generated_at.is_(None))
                              .values(generated_at=utcnow(), generated_by_id=getattr(user, "id", None)))
    if claimed.rowcount != 1:
        raise LedgerError(_("The vouchers of %(t)s are booked already.", t=template.name))
    plan = schedule(template)
    for n, (day, _amount) in enumerate(plan, start=1):  # every month open before anything is booked
        if year_of(session, day) is None:
            raise LedgerError(_("No financial year covers %(m)s (month %(n)s of %(t)s): create the financial year "
                                "first; nothing was booked.", m=day.isoformat()[:7], n=n, t=template.name),
                              "start_month")
        check_open(session, day)
    text = _("Accrual %(t)s, month %(n)s of %(m)s")
    entries = [VoucherEntry(day, _rows(template, amount), text % {"t": template.name, "n": n, "m": template.months},
                            ("accrual", template.id)) for n, (day, amount) in enumerate(plan, start=1)]
    booked = book_vouchers(session, ACCRUAL_SERIES, entries, user)
    session.expire(template)
    return booked


@dataclass
class TemplateLine:
    """A template in the list, with what has been booked."""

    template: AccrualTemplate
    vouchers: int
    booked: Decimal
    first: str | None
    last: str | None
    ranges: str = ""  # the vouchers per financial year: "P1 (2026), P1 – P2 (2027)"


def year_label(year: FinancialYear) -> str:
    """2026, or 2026/2027 for a year that is not a calendar year."""
    start, end = year.start_date.year, year.end_date.year
    return str(start) if start == end else f"{start}/{end}"


def voucher_ranges(session: Session, template_ids=None) -> dict[int, str]:
    """Per template, its vouchers named per financial year (numbers start again each year):
    "P1 (2026), P1 – P2 (2027)"."""
    stmt = (select(Voucher.source_id, FinancialYear, func.min(Voucher.number), func.max(Voucher.number))
            .join(FinancialYear, FinancialYear.id == Voucher.financial_year_id)
            .where(Voucher.source_kind == "accrual", Voucher.series == ACCRUAL_SERIES)
            .group_by(Voucher.source_id, FinancialYear.id)
            .order_by(Voucher.source_id, FinancialYear.start_date))
    if template_ids is not None:
        stmt = stmt.where(Voucher.source_id.in_(list(template_ids)))
    parts: dict[int, list[str]] = {}
    for tid, year, first, last in session.execute(stmt):
        numbers = f"{ACCRUAL_SERIES}{first}" if first == last else f"{ACCRUAL_SERIES}{first} – {ACCRUAL_SERIES}{last}"
        parts.setdefault(tid, []).append(f"{numbers} ({year_label(year)})")
    return {tid: ", ".join(p) for tid, p in parts.items()}


def template_lines(session: Session) -> list[TemplateLine]:
    """Every template, newest first, with its count of vouchers and the amount booked."""
    booked = dict((tid, (count, first, last)) for tid, count, first, last in session.execute(
        select(Voucher.source_id, func.count(Voucher.id), func.min(Voucher.number), func.max(Voucher.number))
        .where(Voucher.source_kind == "accrual").group_by(Voucher.source_id)))
    ranges = voucher_ranges(session)
    lines = []
    for template in session.scalars(select(AccrualTemplate).order_by(AccrualTemplate.id.desc())):
        count, first, last = booked.get(template.id, (0, None, None))
        amounts = split(template.total, template.months)
        lines.append(TemplateLine(template, count, sum(amounts[:count], Decimal("0")),
                                  f"{ACCRUAL_SERIES}{first}" if first else None,
                                  f"{ACCRUAL_SERIES}{last}" if last else None, ranges.get(template.id, "")))
    return lines
