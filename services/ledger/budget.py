"""Budget per account and month (reference 000 section 20.15) and the report "budget vs outcome".

A budget is typed as the office thinks of it: income and costs both positive. The books keep
debit positive and credit negative, so the outcome of an income account is shown negated
(``sense``); a budgeted income of 10 000 against sales of 9 000 is 9 000 outcome, -1 000 off.
The outcome of each account and month is aggregated in SQL from the voucher rows (one grouped
query, a CASE sum per month), without the year-end transfer of the result (series BS).

Amounts typed in the grid or read from an XLSX file go through the project's one parser
(services.platform.numbers.parse_decimal); the grid is saved whole or not at all."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from models import Account, Budget, FinancialYear, Voucher, VoucherRow
from services import DomainError
from services.ledger import LedgerError
from services.ledger.vouchers import _add_months
from services.platform.numbers import parse_decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")
RESULT_RANGE = ("3000", "8999")
YEAR_RESULT = "8999"


class BudgetError(LedgerError):
    """A grid or file refused: ``errors`` maps each bad cell ("b-3001-0", or "B3" in a file) to its
    message; nothing was saved."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors.values()))
        super().__init__(first if len(errors) == 1 else _("%(n)s amounts could not be read; nothing was saved.",
                                                           n=len(errors)))
        self.errors = errors


def months_of(year: FinancialYear) -> list[dt.date]:
    """The first day of each month of the financial year (12 for a calendar year)."""
    months, day = [], year.start_date.replace(day=1)
    while day <= year.end_date:
        months.append(day)
        day = _add_months(day, 1)
    return months


def get_year(session: Session, year_id) -> FinancialYear:
    year = session.get(FinancialYear, int(year_id)) if str(year_id or "").isdigit() else None
    if year is None:
        raise LedgerError(_("The financial year does not exist."), "year")
    return year


def _plain(value: Decimal) -> Decimal:
    """No negative zero ("-0,00") from turning a zero's sign."""
    return value if value else abs(value)


def sense(account_type: str) -> int:
    """+1 for costs (debit), -1 for income (credit shown positive)."""
    return -1 if account_type == "income" else 1


def grid_accounts(session: Session, year: FinancialYear) -> list[Account]:
    """The rows of the grid: the active result accounts and every account budgeted in the year."""
    budgeted = select(Budget.account_number).where(Budget.financial_year_id == year.id)
    return list(session.scalars(select(Account).where(or_(
        (Account.number >= RESULT_RANGE[0]) & (Account.number <= RESULT_RANGE[1]) & Account.active.is_(True)
        & (Account.number != YEAR_RESULT),  # 8999 only takes the year-end transfer
        Account.number.in_(budgeted))).order_by(Account.number)))


def budget_of(session: Session, year: FinancialYear) -> dict[str, dict[dt.date, Decimal]]:
    """account -> month -> budgeted amount."""
    result: dict[str, dict[dt.date, Decimal]] = {}
    for row in session.scalars(select(Budget).where(Budget.financial_year_id == year.id)):
        result.setdefault(row.account_number, {})[row.month] = row.amount
    return result


def read_amount(value, label: str, field: str) -> Decimal | None:
    """One budget amount (a typed string, or a number from a spreadsheet cell) or None when blank."""
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        # openpyxl reads 1250.5 as a float: its shortest text is what was typed ("inf" is refused)
        value = str(value)
    return parse_decimal(value, 2, label=label, field=field, signed=True, precision=14)


def save_budget(session: Session, year: FinancialYear, values: dict[tuple[str, int], object]) -> int:
    """Save the grid: ``values`` maps (account number, month index 0-11) to what was typed; a
    blank removes the month's budget. Raises BudgetError with every bad cell; nothing is saved
    then. Returns the count of budgeted months after saving. Does not commit."""
    months = months_of(year)
    numbers = {number for number, _i in values}
    known = {a.number for a in session.scalars(select(Account).where(Account.number.in_(numbers)))} if numbers else set()
    errors: dict[str, str] = {}
    parsed: dict[tuple[str, int], Decimal | None] = {}
    for (number, index), raw in values.items():
        key = f"b-{number}-{index}"
        if number not in known:
            errors[key] = _("Account %(a)s does not exist.", a=number)
            continue
        if not 0 <= index < len(months):
            errors[key] = _("The month is not in the financial year.")
            continue
        try:
            parsed[(number, index)] = read_amount(raw, _("The budget of %(a)s for %(m)s", a=number,
                                                         m=months[index].isoformat()[:7]), key)
        except DomainError as exc:  # every cell's error is shown
            errors[key] = exc.message
    if errors:
        raise BudgetError(errors)
    existing = {(b.account_number, b.month): b for b in session.scalars(
        select(Budget).where(Budget.financial_year_id == year.id, Budget.account_number.in_(numbers or {""})))}
    for (number, index), amount in parsed.items():
        row = existing.get((number, months[index]))
        if amount is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(Budget(financial_year_id=year.id, account_number=number, month=months[index], amount=amount))
        elif row.amount != amount:
            row.amount = amount
    session.flush()
    return session.scalar(select(func.count()).select_from(Budget).where(Budget.financial_year_id == year.id))


def outcome_of(session: Session, year: FinancialYear) -> dict[str, list[Decimal]]:
    """account -> the sum of its rows per month of the year (the books' sign), in one grouped
    query over the voucher rows of the year, without the year-end transfer."""
    months = months_of(year)
    columns = [func.sum(case(((VoucherRow.date >= m) & (VoucherRow.date < _add_months(m, 1)), VoucherRow.amount),
                             else_=0)) for m in months]
    query = (select(VoucherRow.account_number, *columns)
             .join(Voucher, Voucher.id == VoucherRow.voucher_id)
             .where(VoucherRow.date >= year.start_date, VoucherRow.date <= year.end_date,
                    Voucher.source_kind != "year_end")
             .group_by(VoucherRow.account_number))
    return {number: [Decimal(v or 0).quantize(CENT) for v in sums]  # SQLite sums as floats
            for number, *sums in session.execute(query)}


@dataclass
class ReportLine:
    """One account of the report: per month budget and outcome, both in the budget's sense."""

    number: str
    name: str
    budget: list[Decimal]
    outcome: list[Decimal]

    @property
    def difference(self) -> list[Decimal]:
        return [_plain(o - b) for o, b in zip(self.outcome, self.budget)]

    @property
    def budget_total(self) -> Decimal:
        return sum(self.budget, ZERO)

    @property
    def outcome_total(self) -> Decimal:
        return sum(self.outcome, ZERO)

    @property
    def difference_total(self) -> Decimal:
        return _plain(self.outcome_total - self.budget_total)


@dataclass
class BudgetReport:
    year: FinancialYear
    months: list[dt.date]
    lines: list[ReportLine] = field(default_factory=list)


def report(session: Session, year: FinancialYear) -> BudgetReport:
    """Budget vs outcome: every account with a budget or with result rows in the year."""
    months = months_of(year)
    budgets = budget_of(session, year)
    outcome = outcome_of(session, year)
    numbers = set(budgets) | {n for n in outcome if RESULT_RANGE[0] <= n <= RESULT_RANGE[1]}
    result = BudgetReport(year, months)
    if not numbers:
        return result
    for account in session.scalars(select(Account).where(Account.number.in_(numbers)).order_by(Account.number)):
        sign = sense(account.type)
        result.lines.append(ReportLine(
            account.number, account.name, [budgets.get(account.number, {}).get(m, ZERO) for m in months],
            [_plain(sign * v) for v in outcome.get(account.number, [ZERO] * len(months))]))
    return result


# ---- XLSX: the grid out and in (openpyxl) --------------------------------------------------


def read_grid_rows(session: Session, year: FinancialYear, rows: list[tuple]) -> dict[tuple[str, int], object]:
    """The grid of a spreadsheet: a header row (account, name, then one column per month
    "YYYY-MM"), then a row per account. Returns what save_budget takes; raises BudgetError naming
    the cell (e.g. "C4") of a bad header, account or month."""
    if not rows:
        raise LedgerError(_("The file has no rows."), "file")
    months = [m.isoformat()[:7] for m in months_of(year)]
    header = [str(v).strip() if v is not None else "" for v in rows[0]]
    columns: dict[int, int] = {}
    for c, title in enumerate(header[2:], start=2):
        title = title[:7]
        if title in months:
            columns[c] = months.index(title)
        elif title:
            raise BudgetError({_cell(c, 1): _("The column %(t)s is not a month of the financial year %(y)s.",
                                              t=title, y=str(year))})
    if not columns:
        raise LedgerError(_("The first row names no month of the financial year %(y)s (YYYY-MM).", y=str(year)),
                          "file")
    values: dict[tuple[str, int], object] = {}
    errors: dict[str, str] = {}
    for r, row in enumerate(rows[1:], start=2):
        number = str(row[0]).strip() if row and row[0] is not None else ""
        if number.endswith(".0"):
            number = number[:-2]
        if not number:
            continue
        for c, index in columns.items():
            value = row[c] if c < len(row) else None
            try:
                read_amount(value, _("Cell %(c)s", c=_cell(c, r)), _cell(c, r))
            except DomainError as exc:
                errors[_cell(c, r)] = exc.message
                continue
            values[(number, index)] = value
    if errors:
        raise BudgetError(errors)
    # a missing account is named by its cell
    known = set(session.scalars(select(Account.number).where(Account.number.in_({n for n, _i in values}))))
    missing = {n for n, _i in values if n not in known}
    if missing:
        raise BudgetError({f"A{r}": _("Account %(a)s does not exist.", a=str(row[0]).strip())
                           for r, row in enumerate(rows[1:], start=2)
                           if row and row[0] is not None and str(row[0]).strip().removesuffix(".0") in missing})
    return values


def _cell(column: int, row: int) -> str:
    return f"{chr(ord('A') + column)}{row}"
