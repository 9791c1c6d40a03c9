"""What the books say, aggregated in SQL: account balance summary (saldobalans, 20.26), the
general ledger of an account (huvudbok) with keyset paging on (account, date, id), and the
voucher journal (verifikationslista).

Balances are carried forward by summing history: a balance account's (asset, liability,
equity) opening balance on a date is the sum of all its rows before it, plus the opening
balances brought in from another system (OpeningBalance, SIE #IB imported by
services.ledger.sie_import) of every financial year that began on or before that date; a result
account's (income, expense) is the sum of its rows since the start of that date's financial
year. So year-end books the result transfer, never opening-balance vouchers. ``imported_opening``
is the one place that reads the imported balances (the screens here and the SIE export)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models import Account, FinancialYear, OpeningBalance, Voucher, VoucherRow
from services.ledger.accounts import account_for
from services.platform.settings import get_setting

ZERO = Decimal("0")
CENT = Decimal("0.01")
BALANCE_TYPES = ("asset", "liability", "equity")
EQUITY_SETTING = "ledger.account.equity"  # the account a year-end moves the result to (services.ledger.year_end)


def _year_start(session: Session, day: dt.date) -> dt.date:
    """The first day of the financial year of ``day`` (1 January when no year covers it)."""
    start = session.scalar(select(FinancialYear.start_date).where(FinancialYear.start_date <= day,
                                                                  FinancialYear.end_date >= day))
    return start or dt.date(day.year, 1, 1)


def imported_opening(session: Session, day: dt.date, number: str | None = None) -> dict[str, Decimal]:
    """Account number -> what a balance account's opening balance on ``day`` holds besides its
    rows: the imported opening balances of the financial years that began on or before ``day``,
    and, on the equity account, the result of earlier years not yet moved there by a year-end
    (``carried_result``), so that opening balances sum to zero while last year is still open."""
    query = (select(OpeningBalance.account_number, func.sum(OpeningBalance.amount))
             .join(FinancialYear, FinancialYear.id == OpeningBalance.financial_year_id)
             .where(FinancialYear.start_date <= day).group_by(OpeningBalance.account_number))
    if number is not None:
        query = query.where(OpeningBalance.account_number == number)
    opening = {n: Decimal(a) for n, a in session.execute(query) if a}
    equity = account_for("equity", {EQUITY_SETTING: get_setting(session, EQUITY_SETTING)})
    if number is None or number == equity:
        carried = carried_result(session, day)
        if carried:
            opening[equity] = opening.get(equity, ZERO) + carried
    return opening


def carried_result(session: Session, day: dt.date) -> Decimal:
    """The result of the financial years before ``day``'s that no year-end has moved to equity:
    the sum of the result accounts' rows before the year's start (zero once every earlier year
    is closed, as a closing voucher brings them to zero). Debit positive: a profit is negative."""
    total = session.scalar(select(func.coalesce(func.sum(VoucherRow.amount), 0))
                           .join(Account, Account.number == VoucherRow.account_number)
                           .where(~Account.type.in_(BALANCE_TYPES), VoucherRow.date < _year_start(session, day)))
    return Decimal(total).quantize(CENT)  # SQLite sums its numbers as floats


def _opening_condition(session: Session, date_from: dt.date):
    """Rows before ``date_from`` that make up an opening balance on it."""
    start = _year_start(session, date_from)
    return and_(VoucherRow.date < date_from,
                or_(Account.type.in_(BALANCE_TYPES), VoucherRow.date >= start))


@dataclass
class BalanceLine:
    number: str
    name: str
    type: str
    opening: Decimal
    movement: Decimal

    @property
    def closing(self) -> Decimal:
        return self.opening + self.movement


@dataclass
class BalanceSummary:
    lines: list[BalanceLine] = field(default_factory=list)

    @property
    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        opening = sum((l.opening for l in self.lines), ZERO)
        movement = sum((l.movement for l in self.lines), ZERO)
        return opening, movement, opening + movement


def balance_summary(session: Session, date_from: dt.date, date_to: dt.date) -> BalanceSummary:
    """Per account with rows: the opening balance on ``date_from``, the movement of the
    period and the closing balance on ``date_to``. One grouped query over the rows."""
    opening = func.coalesce(func.sum(case((_opening_condition(session, date_from), VoucherRow.amount), else_=0)), 0)
    movement = func.coalesce(func.sum(case((VoucherRow.date >= date_from, VoucherRow.amount), else_=0)), 0)
    query = (select(Account.number, Account.name, Account.type, opening, movement)
             .join(VoucherRow, VoucherRow.account_number == Account.number)
             .where(VoucherRow.date <= date_to)
             .group_by(Account.number, Account.name, Account.type)
             .order_by(Account.number))
    imported = imported_opening(session, date_from)
    lines = {}
    for number, name, type_, o, m in session.execute(query):
        lines[number] = BalanceLine(number, name, type_, Decimal(o) + imported.pop(number, ZERO), Decimal(m))
    for account in (session.scalars(select(Account).where(Account.number.in_(imported))) if imported else ()):
        lines[account.number] = BalanceLine(account.number, account.name, account.type, imported[account.number], ZERO)
    result = BalanceSummary()
    result.lines = [line for _n, line in sorted(lines.items()) if line.opening or line.movement]
    return result


def _opening(session: Session, account: Account, date_from: dt.date) -> list:
    """The conditions on an account's rows that make up its opening balance on ``date_from``."""
    conditions = [VoucherRow.date < date_from]
    if account.type not in BALANCE_TYPES:
        conditions.append(VoucherRow.date >= _year_start(session, date_from))
    return conditions


def _imported(session: Session, account: Account, date_from: dt.date) -> Decimal:
    """The account's opening balance imported from another system (balance accounts only)."""
    if account.type not in BALANCE_TYPES:
        return ZERO
    return imported_opening(session, date_from, account.number).get(account.number, ZERO)


def opening_balance(session: Session, account: Account, date_from: dt.date) -> Decimal:
    return _imported(session, account, date_from) + Decimal(session.scalar(
        select(func.coalesce(func.sum(VoucherRow.amount), 0))
        .where(VoucherRow.account_number == account.number, *_opening(session, account, date_from)))).quantize(CENT)


@dataclass
class LedgerRow:
    id: int
    date: dt.date
    voucher_id: int
    voucher: str  # F12
    text: str
    amount: Decimal
    balance: Decimal


@dataclass
class LedgerPage:
    account: Account
    date_from: dt.date
    date_to: dt.date
    opening: Decimal | None  # on the first page
    closing: Decimal | None  # on the last page
    rows: list[LedgerRow]
    next_cursor: LedgerCursor | None  # the last row when more follow


@dataclass(frozen=True)
class LedgerCursor:
    """Where a general-ledger page ends: the last row's date and id, and the running balance
    after it, so that the next page sums nothing (the view signs it into the link)."""
    date: dt.date
    id: int
    balance: Decimal


def _from(date_column, id_column, date_from: dt.date, cursor: tuple[dt.date, int] | None):
    """Rows from ``date_from``, or after the cursor, written so that the date has one lower
    bound, an index range (SQLite ranges on one bound only, and never on a row value)."""
    if cursor is None or cursor[0] < date_from:
        return date_column >= date_from
    return and_(date_column >= cursor[0], or_(date_column > cursor[0], id_column > cursor[1]))


def parse_cursor(cursor: str | None) -> tuple[dt.date, int] | None:
    try:
        day, _colon, ident = (cursor or "").partition(":")
        return dt.date.fromisoformat(day), int(ident)
    except ValueError:
        return None


def general_ledger(session: Session, account: Account, date_from: dt.date, date_to: dt.date,
                   after: LedgerCursor | None = None, limit: int = 100) -> LedgerPage:
    """Huvudbok: one page of the account's rows in the period by (date, id) with the running
    balance; the first page has the opening balance, the last the closing balance. A page
    after the first starts from its cursor's balance: no page sums the rows before it (at
    180,000 rows that sum alone took longer than a page may)."""
    opening = opening_balance(session, account, date_from) if after is None else None
    running = opening if after is None else after.balance
    query = (select(VoucherRow.id, VoucherRow.date, VoucherRow.voucher_id, Voucher.series, Voucher.number,
                    func.coalesce(VoucherRow.text, Voucher.text), VoucherRow.amount)
             .join(Voucher, Voucher.id == VoucherRow.voucher_id)
             .where(VoucherRow.account_number == account.number, VoucherRow.date <= date_to,
                    _from(VoucherRow.date, VoucherRow.id, date_from, (after.date, after.id) if after else None))
             .order_by(VoucherRow.date, VoucherRow.id).limit(limit + 1))
    fetched = session.execute(query).all()
    rows = []
    for ident, day, voucher_id, series, number, text, amount in fetched[:limit]:
        running += amount
        rows.append(LedgerRow(ident, day, voucher_id, f"{series}{number}", text or "", amount, running))
    more = len(fetched) > limit
    next_cursor = LedgerCursor(rows[-1].date, rows[-1].id, running) if more and rows else None
    return LedgerPage(account, date_from, date_to, opening, None if more else running, rows, next_cursor)


def journal(session: Session, date_from: dt.date, date_to: dt.date, series: str | None = None,
            after: str | None = None, limit: int = 50) -> tuple[list[Voucher], str | None]:
    """Verifikationslista: the vouchers of the period with their rows, by date and id, one page
    after the cursor ("YYYY-MM-DD:id")."""
    query = (select(Voucher).where(_from(Voucher.date, Voucher.id, date_from, parse_cursor(after)),
                                   Voucher.date <= date_to)
             .options(selectinload(Voucher.rows).selectinload(VoucherRow.account))
             .order_by(Voucher.date, Voucher.id).limit(limit + 1))
    if series:
        query = query.where(Voucher.series == series)
    vouchers = list(session.scalars(query))
    more = len(vouchers) > limit
    vouchers = vouchers[:limit]
    next_cursor = f"{vouchers[-1].date.isoformat()}:{vouchers[-1].id}" if more and vouchers else None
    return vouchers, next_cursor
