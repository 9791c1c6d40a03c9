"""Year-end (bokslut, årsrutiner, reference 000 section 20.07): close a financial year.

``preview`` shows what closing would do; ``close_year`` does it in the caller's transaction:

- the year's result (årets resultat) is the sum of the result accounts 3000-8999 over the year
  (debit positive: a profit is negative); a voucher in series ``YEAR_END_SERIES`` on the year's
  last day moves it to the equity account (setting ``ledger.account.equity``, default 2099
  "Årets resultat") against 8999 "Årets resultat", so the result accounts sum to zero;
- the next financial year is created when missing; its opening balances (ingående balans, IB)
  are the closing balances (utgående balans, UB) of the balance-sheet accounts 1000-2999. The
  ledger has one source of truth for them: a balance account's opening balance is the sum of its
  history (services.ledger.balances, services.ledger.sie_export), so nothing is copied: once the
  result is transferred, the next year opens with exactly the closing balances shown here;
- the books are locked through the year's last day (LedgerPeriodLock) and the year is marked
  closed (the change is in the audit log; the database refuses rows in a closed year).

The closing voucher is the one booking a period lock does not stop: the VAT settlement of
December locks the year's last day weeks before the accounts are closed (models.CLOSING_SERIES).
Refused with a LedgerError: a year already closed, an earlier year still open, a voucher that does
not balance, a balance sheet that does not balance with the result."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import CLOSING_SERIES, Account, FinancialYear, Voucher, VoucherRow
from services.ledger import LedgerError
from services.ledger.accounts import BAS_ACCOUNTS, account_for, default_type
from services.ledger.balances import EQUITY_SETTING, imported_opening
from services.ledger.vouchers import Row, book_voucher, ensure_year, locked_through, lock_through
from services.platform.formatting import number as fmt_number
from services.platform.settings import set_setting

ZERO = Decimal("0")
CENT = Decimal("0.01")
YEAR_END_SERIES = CLOSING_SERIES  # bokslut: booked into a locked period too (the VAT settlement locks December)
BALANCE_RANGE = ("1000", "2999")  # balansräkningens konton
RESULT_RANGE = ("3000", "8999")  # resultaträkningens konton


@dataclass
class ClosingLine:
    """One account's closing balance (utgående balans) at the year's end."""

    number: str
    name: str
    closing: Decimal


@dataclass
class YearEndPreview:
    """What closing ``year`` would do (or did, when ``year.closed``)."""

    year: FinancialYear
    balance_lines: list[ClosingLine] = field(default_factory=list)  # 1000-2999: the next year's IB
    result_lines: list[ClosingLine] = field(default_factory=list)  # 3000-8999
    result: Decimal = ZERO  # debit positive: a profit is negative
    rows: list[Row] = field(default_factory=list)  # the result voucher to book (none when zero)
    next_year: FinancialYear | None = None
    next_start: dt.date | None = None
    problems: list[str] = field(default_factory=list)  # why it cannot be closed now
    voucher: Voucher | None = None  # the result's voucher of a closed year

    @property
    def balance_total(self) -> Decimal:
        return sum((l.closing for l in self.balance_lines), ZERO)

    @property
    def profit(self) -> Decimal:
        """The result as a profit (vinst) positive, a loss negative."""
        return -self.result

    @property
    def can_close(self) -> bool:
        return not self.problems and not self.year.closed


def year_end_accounts(settings: dict | None) -> tuple[str, str]:
    """(the equity account that takes the result, the result account it is moved from)."""
    return account_for("equity", settings), account_for("year_result", settings)


def set_equity_account(session: Session, number) -> Account:
    """The setting ``ledger.account.equity``: a four-digit equity account (20xx) that exists, or
    one of the BAS chart's (seeded). Does not commit; raises LedgerError (field "equity")."""
    number = str(number or "").strip()
    if not (number.isdigit() and len(number) == 4 and number.startswith("20")):
        raise LedgerError(_("Give an equity account, four digits beginning with 20 (e.g. 2099)."), "equity")
    try:
        account = _ensure_account(session, number)
    except LedgerError as exc:
        raise LedgerError(exc.message, "equity") from None
    if account.type != "equity":
        raise LedgerError(_("Account %(a)s is not an equity account.", a=number), "equity")
    set_setting(session, EQUITY_SETTING, number)
    session.flush()
    return account


def _ensure_account(session: Session, number: str) -> Account:
    """The account, seeded from the BAS chart when it is one of its accounts and missing."""
    account = session.scalar(select(Account).where(Account.number == number))
    if account is not None:
        if not account.active:
            raise LedgerError(_("Account %(a)s is inactive.", a=number))
        return account
    bas = next((a for a in BAS_ACCOUNTS if a[0] == number), None)
    if bas is None:
        raise LedgerError(_("Account %(a)s does not exist.", a=number))
    account = Account(number=bas[0], name=bas[1], vat_code=bas[2], type=bas[3] or default_type(bas[0]))
    session.add(account)
    session.flush()
    return account


def _closing(session: Session, low: str, high: str, date_from: dt.date | None, date_to: dt.date) -> list[ClosingLine]:
    """Per account numbered low-high: the sum of its rows (from ``date_from`` when given) through
    ``date_to``, aggregated in SQL."""
    total = func.sum(VoucherRow.amount)
    query = (select(Account.number, Account.name, total)
             .join(VoucherRow, VoucherRow.account_number == Account.number)
             .where(Account.number >= low, Account.number <= high, VoucherRow.date <= date_to)
             .group_by(Account.number, Account.name).order_by(Account.number))
    if date_from is not None:  # a result: before its transfer to equity (the year-end voucher)
        query = query.where(VoucherRow.date >= date_from, ~VoucherRow.voucher_id.in_(
            select(Voucher.id).where(Voucher.source_kind == "year_end")))
    sums = {n: [name, Decimal(s).quantize(CENT)] for n, name, s in session.execute(query)}  # SQLite: floats
    if date_from is None:  # a balance: with the opening balances imported from another system
        imported = {n: a for n, a in imported_opening(session, date_to).items() if low <= n <= high}
        for n, name in session.execute(select(Account.number, Account.name).where(Account.number.in_(imported))):
            sums.setdefault(n, [name, ZERO])[1] += imported[n]
    return [ClosingLine(n, name, s) for n, (name, s) in sorted(sums.items()) if s != 0]


def previous_year(session: Session, year: FinancialYear) -> FinancialYear | None:
    return session.scalar(select(FinancialYear).where(FinancialYear.end_date < year.start_date)
                          .order_by(FinancialYear.end_date.desc()).limit(1))


def next_year_of(session: Session, year: FinancialYear) -> FinancialYear | None:
    return session.scalar(select(FinancialYear).where(FinancialYear.start_date > year.end_date)
                          .order_by(FinancialYear.start_date).limit(1))


def preview(session: Session, year: FinancialYear, settings: dict | None = None) -> YearEndPreview:
    """The closing balances, the year's result, the voucher that would be booked and what stands
    in the way of closing (``problems``). Reads only."""
    result = YearEndPreview(year=year)
    result.balance_lines = _closing(session, *BALANCE_RANGE, None, year.end_date)
    result.result_lines = _closing(session, *RESULT_RANGE, year.start_date, year.end_date)
    result.result = sum((l.closing for l in result.result_lines), ZERO)
    result.next_year = next_year_of(session, year)
    result.next_start = year.end_date + dt.timedelta(days=1)
    equity, year_result = year_end_accounts(settings)
    if result.result != 0:
        result.rows = [Row(year_result, -result.result, _("Result of the year")),
                       Row(equity, result.result, _("Result of the year"))]
    if year.closed:
        result.voucher = session.scalar(select(Voucher).where(Voucher.source_kind == "year_end",
                                                              Voucher.source_id == year.id))
        return result
    problems = result.problems
    earlier = previous_year(session, year)
    if earlier is not None and not earlier.closed:
        problems.append(_("The previous financial year %(y)s is not closed; close it first.", y=str(earlier)))
    unbalanced = list(session.execute(
        select(Voucher.series, Voucher.number).join(VoucherRow, VoucherRow.voucher_id == Voucher.id)
        .where(Voucher.financial_year_id == year.id).group_by(Voucher.id, Voucher.series, Voucher.number)
        .having(func.abs(func.sum(VoucherRow.amount)) > 0.005).order_by(Voucher.id).limit(10)))
    if unbalanced:
        problems.append(_("These vouchers do not balance: %(v)s.", v=", ".join(f"{s}{n}" for s, n in unbalanced)))
    # assets = liabilities + equity + the result: the balance sheet and the result sum to zero
    difference = result.balance_total + result.result
    if not unbalanced and difference != 0:
        problems.append(_("The balance sheet does not balance with the result: they differ by %(d)s. "
                          "Check the opening balances and the earlier years' results.", d=fmt_number(difference)))
    return result


@dataclass
class ClosedYear:
    """What close_year did."""

    year: FinancialYear
    voucher: Voucher | None
    next_year: FinancialYear
    result: Decimal


def close_year(session: Session, year: FinancialYear, user, settings: dict | None = None) -> ClosedYear:
    """Bokslut: book the result to equity, create the next year, lock the books through the
    year's end and mark the year closed; all in the caller's transaction (does not commit).
    Two users closing at once: the year's row is locked (PostgreSQL) or the database's write lock
    is taken first (SQLite), so the second sees the year closed and is refused."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(FinancialYear.id).where(FinancialYear.id == year.id).with_for_update())
    else:  # the write lock first: the transaction then reads what was committed before it
        session.execute(update(FinancialYear).where(FinancialYear.id == year.id)
                        .values(closed=FinancialYear.closed))
    session.refresh(year)
    if year.closed:
        raise LedgerError(_("The financial year %(y)s is closed already.", y=str(year)))
    equity, year_result = year_end_accounts(settings)
    _ensure_account(session, equity)
    _ensure_account(session, year_result)
    plan = preview(session, year, settings)
    if plan.problems:
        raise LedgerError(" ".join(plan.problems))
    voucher = None
    if plan.rows:
        voucher = book_voucher(session, YEAR_END_SERIES, year.end_date, plan.rows,
                               _("Result of the year %(y)s", y=str(year)), user, source=("year_end", year.id))
    next_year = ensure_year(session, plan.next_start)
    through = locked_through(session)
    if through is None or through < year.end_date:
        lock_through(session, year.end_date, user)
    year.closed = True
    session.flush()
    return ClosedYear(year, voucher, next_year, plan.result)
