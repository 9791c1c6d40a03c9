"""Vouchers (verifikationer): booked balanced, numbered without gaps per series and financial
year, never changed or deleted; corrected by a reversing voucher.

Every path that books (invoices, credit notes, payments, imports, jobs, the manual form) goes
through ``book_voucher``, which calls ``check_open``; a database trigger on voucher rows refuses
a locked period or a closed year as well (models.ledger_guard_ddl)."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Delete, Update, event, func, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from models import CLOSING_SERIES, FinancialYear, LedgerPeriodLock, NumberSeries, Voucher, VoucherRow, utcnow
from services.ledger import LedgerError
from services.ledger.accounts import accounts_by_number
from services.platform.formatting import number
from services.platform.numbering import take_number

ZERO = Decimal("0")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("10") ** 12  # NUMERIC(14, 2)
SERIES_PREFIX = "voucher:"

# the series automatic vouchers use; others may be added (1-4 capital letters or digits)
INVOICE_SERIES = "F"
CREDIT_NOTE_SERIES = "K"
PAYMENT_SERIES = "B"
MANUAL_SERIES = "M"


@dataclass(frozen=True)
class Row:
    """One transaction of a voucher to be booked: debit positive, credit negative."""

    account: str
    amount: Decimal
    text: str | None = None


# ---- immutability -------------------------------------------------------------------------


def _refusal() -> LedgerError:
    return LedgerError(_("A booked voucher is never changed or deleted; correct it with a reversing voucher."))


def _guard_flush(session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, (Voucher, VoucherRow)):
            raise _refusal()
    for obj in session.dirty:
        if isinstance(obj, (Voucher, VoucherRow)):
            state = inspect(obj)
            if any(state.attrs[a.key].history.has_changes() for a in state.mapper.column_attrs):
                raise _refusal()


def _guard_statement(conn, clauseelement, multiparams, params, execution_options) -> None:
    """Bulk and Core updates and deletes of vouchers are refused too (the database refuses
    updates with a trigger as well)."""
    if isinstance(clauseelement, (Update, Delete)) and getattr(clauseelement.table, "name", None) in (
            "voucher", "voucher_row"):
        raise _refusal()


event.listen(Session, "before_flush", _guard_flush)
event.listen(Engine, "before_execute", _guard_statement)


# ---- financial years and the period lock ----------------------------------------------------


def locked_through(session: Session) -> dt.date | None:
    """The last day of the locked period, or None."""
    return session.scalar(select(func.max(LedgerPeriodLock.locked_through)))


def year_of(session: Session, date: dt.date) -> FinancialYear | None:
    return session.scalar(select(FinancialYear).where(FinancialYear.start_date <= date,
                                                      FinancialYear.end_date >= date))


def ensure_year(session: Session, date: dt.date) -> FinancialYear:
    """The financial year of ``date``; when none covers it, the one of the same pattern as the
    nearest year (twelve months, adjacent years without a gap; the calendar year when there is
    none) is created: automatic bookings (an invoice on 2 January) do not wait for the
    accountant. Safe when two transactions do it at once (INSERT ... ON CONFLICT DO NOTHING)."""
    year = year_of(session, date)
    if year is not None:
        return year
    start = _pattern_start(session, date)
    end = _add_months(start, 12) - dt.timedelta(days=1)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(FinancialYear).values(start_date=start, end_date=end, closed=False)
                    .on_conflict_do_nothing())
    year = year_of(session, date)
    if year is None:  # an overlapping year of another length is in the way
        raise LedgerError(_("No financial year covers %(d)s.", d=date.isoformat()), "date")
    return year


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _pattern_start(session: Session, date: dt.date) -> dt.date:
    later = session.scalar(select(FinancialYear).where(FinancialYear.start_date > date)
                           .order_by(FinancialYear.start_date).limit(1))
    earlier = session.scalar(select(FinancialYear).where(FinancialYear.end_date < date)
                             .order_by(FinancialYear.end_date.desc()).limit(1))
    if earlier is not None:
        start = earlier.end_date + dt.timedelta(days=1)
        while _add_months(start, 12) <= date:
            start = _add_months(start, 12)
        return start
    if later is not None:
        start = later.start_date
        while start > date:
            start = _add_months(start, -12)
        return start
    return dt.date(date.year, 1, 1)


def check_open(session: Session, date: dt.date, create_year: bool = False, closing: bool = False) -> FinancialYear:
    """The one check of every booking path: ``date`` lies after the period lock, in an open
    financial year. Returns that year; raises LedgerError (field "date") otherwise. With
    ``create_year`` a missing year is created (ensure_year) instead of refused. ``closing``:
    the year-end voucher, which the lock does not stop (the year must still be open), as the
    database's guard lets its series through (models.ledger_guard_ddl)."""
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise LedgerError(_("Give the voucher's date."), "date")
    through = locked_through(session)
    if through is not None and date <= through and not closing:
        raise LedgerError(_("The period is locked through %(t)s; %(d)s cannot be booked.",
                            t=through.isoformat(), d=date.isoformat()), "date")
    year = ensure_year(session, date) if create_year else year_of(session, date)
    if year is None:
        raise LedgerError(_("No financial year covers %(d)s.", d=date.isoformat()), "date")
    if year.closed:
        raise LedgerError(_("The financial year %(y)s is closed; %(d)s cannot be booked.",
                            y=str(year), d=date.isoformat()), "date")
    return year


def month_end(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def lock_through(session: Session, through: dt.date, user) -> LedgerPeriodLock:
    """Lock the books through the end of the month of ``through``. A lock only moves forward.
    Bookings in flight finish first: the voucher series rows are locked (a booker holds its
    series row from taking its number to commit, and checks the lock after taking it)."""
    through = month_end(through)
    current = locked_through(session)
    if current is not None and through <= current:
        raise LedgerError(_("The books are locked through %(t)s already; a lock only moves forward.",
                            t=current.isoformat()), "through")
    series = select(NumberSeries.name).where(NumberSeries.name.startswith(SERIES_PREFIX)).order_by(NumberSeries.name)
    if session.get_bind().dialect.name == "postgresql":
        list(session.scalars(series.with_for_update()))
    lock = LedgerPeriodLock(locked_through=through, created_by=user)
    session.add(lock)
    session.flush()
    return lock


# ---- booking -----------------------------------------------------------------------------


def _series_name(series: str, year: FinancialYear) -> str:
    return f"{SERIES_PREFIX}{series}:{year.id}"


def _ensure_series(session: Session, name: str) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(NumberSeries).values(name=name, prefix="", next_number=1)
                    .on_conflict_do_nothing(index_elements=["name"]))


def _amount(value, field: str) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (int, Decimal, str)):
        raise LedgerError(_("An amount must be a decimal number."), field)
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise LedgerError(_("An amount must be a decimal number."), field) from None
    if not amount.is_finite():
        raise LedgerError(_("An amount must be a finite number."), field)
    if amount != amount.quantize(CENT):
        raise LedgerError(_("An amount takes at most 2 decimals; nothing was rounded."), field)
    if abs(amount) >= MAX_AMOUNT:
        raise LedgerError(_("The amount is too large."), field)
    return amount.quantize(CENT)


def _rows(rows) -> list[Row]:
    result = []
    for n, row in enumerate(rows):
        if isinstance(row, Row):
            account, amount, text = row.account, row.amount, row.text
        elif isinstance(row, dict):
            account, amount, text = row.get("account"), row.get("amount"), row.get("text")
        else:
            account, amount, *rest = row
            text = rest[0] if rest else None
        result.append(Row(str(account or "").strip(), _amount(amount, f"rows-{n}-amount"),
                          (text or None) and str(text).strip()[:200]))
    return result


def _source(source) -> tuple[str, int | None]:
    if isinstance(source, str):
        return source, None
    kind, ident = source
    return str(kind), ident


def validate_rows(session: Session, rows) -> list[Row]:
    """The rows as they would be booked, or LedgerError naming the row ("rows-N-account",
    "rows-N-amount") or "rows" for the whole: at least two rows, known active accounts, finite
    amounts of at most two decimals, balanced to zero. Zero rows are dropped."""
    rows = _rows(rows)
    accounts = accounts_by_number(session, {r.account for r in rows})
    for n, row in enumerate(rows):
        account = accounts.get(row.account)
        if not row.account:
            raise LedgerError(_("Give an account."), f"rows-{n}-account")
        if account is None:
            raise LedgerError(_("Account %(a)s does not exist.", a=row.account), f"rows-{n}-account")
        if not account.active:
            raise LedgerError(_("Account %(a)s is inactive.", a=row.account), f"rows-{n}-account")
    booked = [r for r in rows if r.amount != 0]
    if len(booked) < 2:
        raise LedgerError(_("A voucher needs at least two rows with amounts."), "rows")
    difference = sum((r.amount for r in booked), ZERO)
    if difference != 0:
        raise LedgerError(_("The voucher does not balance: debit and credit differ by %(d)s.",
                            d=number(difference)), "rows")
    return booked


def book_voucher(session: Session, series: str, date: dt.date, rows, text: str, user, source=("manual", None),
                 reverses: Voucher | None = None, create_year: bool = False) -> Voucher:
    """Book a voucher: ``rows`` are Row objects, (account, amount[, text]) tuples or dicts;
    debit positive, credit negative, balanced to zero. ``source`` is (kind, id) or a kind
    ("invoice", 12). Numbered next in ``series`` and the date's financial year, without gaps
    (the series row stays locked until commit). Does not commit; raises LedgerError."""
    series = (series or "").strip().upper()
    if not (1 <= len(series) <= 4 and series.isalnum() and series.isascii()):
        raise LedgerError(_("A voucher series is one to four letters or digits."), "series")
    closing = series == CLOSING_SERIES
    year = check_open(session, date, create_year=create_year, closing=closing)
    booked = validate_rows(session, rows)
    kind, ident = _source(source)
    name = _series_name(series, year)
    _ensure_series(session, name)
    number = take_number(session, name)
    # the series row is held from here to commit: a period lock taken meanwhile is seen now
    check_open(session, date, closing=closing)
    voucher = Voucher(series=series, financial_year_id=year.id, number=number, date=date,
                      text=(text or "").strip()[:200], source_kind=kind, source_id=ident,
                      reverses_id=reverses.id if reverses is not None else None, created_by=user)
    voucher.rows = [VoucherRow(account_number=r.account, amount=r.amount, text=r.text, date=date) for r in booked]
    session.add(voucher)
    session.flush()
    return voucher


def reverse_voucher(session: Session, voucher: Voucher, date: dt.date, user, text: str | None = None) -> Voucher:
    """Vänd verifikation: a new voucher in the same series with every row negated, referring
    to the one it reverses. A voucher is reversed once; a reversal is not reversed again, and
    an invoice's or credit note's voucher is corrected by a credit note."""
    if voucher.reverses_id is not None:
        raise LedgerError(_("A reversing voucher cannot be reversed; book the entry again instead."))
    if voucher.source_kind in ("invoice", "credit_note"):
        raise LedgerError(_("The voucher of an invoice or credit note is corrected by a credit note."))
    if session.scalar(select(Voucher.id).where(Voucher.reverses_id == voucher.id)) is not None:
        raise LedgerError(_("Voucher %(v)s is reversed already.", v=voucher.label))
    rows = [Row(r.account_number, -r.amount, r.text) for r in voucher.rows]
    text = text or _("Reversal of %(v)s: %(t)s", v=voucher.label, t=voucher.text)
    return book_voucher(session, voucher.series, date, rows, text, user, source=("reversal", voucher.id),
                        reverses=voucher)


def why_not_reversed_by_hand(voucher: Voucher) -> str | None:
    """Why the voucher screen's "Vänd verifikation" may not reverse ``voucher`` (None: it may).
    Only a manual voucher (series M, source manual) is reversed there: every voucher booked by
    a document, a payment, a write-off, a VAT settlement, an accrual or the year-end is reversed
    or corrected on its own screen, which undoes what it settled as well (a payment's invoice is
    unpaid again); reversing its voucher alone leaves the ledger and the customer ledger apart."""
    kind = voucher.source_kind
    if voucher.reverses_id is not None or kind == "reversal":
        return _("A reversing voucher cannot be reversed; book the entry again instead.")
    if kind in ("invoice", "credit_note"):
        return _("The voucher of an invoice or credit note is corrected by a credit note.")
    if kind in ("payment", "payment_match"):
        return _("Voucher %(v)s was booked by a payment: reverse the payment on the payment's page.",
                 v=voucher.label)
    if kind == "manual" and voucher.series == MANUAL_SERIES:
        return None
    return _("Voucher %(v)s was not booked by hand: only manual vouchers (series M) are reversed here; "
             "correct it on the screen that booked it.", v=voucher.label)


def reverse_manual_voucher(session: Session, voucher: Voucher, date: dt.date, user) -> Voucher:
    """Vänd verifikation from the voucher screen: a manual voucher only (why_not_reversed_by_hand)."""
    reason = why_not_reversed_by_hand(voucher)
    if reason:
        raise LedgerError(reason)
    return reverse_voucher(session, voucher, date, user)


@dataclass(frozen=True)
class VoucherEntry:
    """One voucher of a batch (book_vouchers): what book_voucher takes for one voucher."""

    date: dt.date
    rows: list
    text: str
    source: tuple = ("manual", None)


def book_vouchers(session: Session, series: str, entries: list[VoucherEntry], user) -> list["BookedVoucher"]:
    """Book many vouchers in ``series`` at once, as book_voucher would one by one (the same
    checks, numbered in the given order without gaps), with a few queries per distinct date and
    year instead of several per voucher: imports of thousands of payments use it. Does not
    commit; raises LedgerError (field "date", or "rows" naming the entry: "entries-N-rows-M-...")."""
    series = (series or "").strip().upper()
    if not (1 <= len(series) <= 4 and series.isalnum() and series.isascii()):
        raise LedgerError(_("A voucher series is one to four letters or digits."), "series")
    if not entries:
        return []
    years = {day: check_open(session, day) for day in sorted({e.date for e in entries})}
    parsed = [_rows(e.rows) for e in entries]
    accounts = accounts_by_number(session, {r.account for rows in parsed for r in rows})
    booked_rows = []
    for n, rows in enumerate(parsed):
        booked = [r for r in rows if r.amount != 0]
        if (len(booked) < 2 or sum((r.amount for r in booked), ZERO) != 0
                or any(not r.account or r.account not in accounts or not accounts[r.account].active for r in rows)):
            try:  # the one-voucher check names the problem in its own words
                validate_rows(session, rows)
            except LedgerError as exc:
                raise LedgerError(exc.message, f"entries-{n}-{exc.field}") from None
        booked_rows.append(booked)
    # numbers per financial year, one UPDATE each: the series row stays locked until commit
    counts: dict[int, int] = {}
    for e in entries:
        counts[years[e.date].id] = counts.get(years[e.date].id, 0) + 1
    next_number: dict[int, int] = {}
    for year_id, count in sorted(counts.items()):
        year = next(y for y in years.values() if y.id == year_id)
        name = _series_name(series, year)
        _ensure_series(session, name)
        next_number[year_id] = session.execute(  # ``count`` numbers at once
            update(NumberSeries).where(NumberSeries.name == name)
            .values(next_number=NumberSeries.next_number + count)
            .returning(NumberSeries.next_number)).scalar_one() - count
    for day in years:  # a period lock taken meanwhile is seen now
        check_open(session, day)
    values = []
    now = utcnow()
    for e in entries:
        year_id = years[e.date].id
        kind, ident = _source(e.source)
        values.append({"series": series, "financial_year_id": year_id, "number": next_number[year_id], "date": e.date,
                       "text": (e.text or "").strip()[:200], "source_kind": kind, "source_id": ident,
                       "reverses_id": None, "created_by_id": user.id if user is not None else None,
                       "created_at": now})
        next_number[year_id] += 1
    # Core statements, many rows each (the ORM's unit of work costs more than the database here)
    table, row_table = Voucher.__table__, VoucherRow.__table__
    ids = list(session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), values).scalars())
    session.execute(row_table.insert(), [
        {"voucher_id": ident, "account_number": r.account, "amount": r.amount, "text": r.text, "date": e.date}
        for ident, e, rows in zip(ids, entries, booked_rows) for r in rows])
    return [BookedVoucher(ident, series, v["number"]) for ident, v in zip(ids, values)]


@dataclass(frozen=True)
class BookedVoucher:
    """A voucher book_vouchers booked (load it with session.get(Voucher, id) when needed)."""

    id: int
    series: str
    number: int

    @property
    def label(self) -> str:
        return f"{self.series}{self.number}"
