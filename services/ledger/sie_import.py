"""SIE 4 import of a chart of accounts and opening balances from another system (issue 12 item 7):
the office moving to Verkstad brings its kontoplan and its ingående balanser.

``preview(session, data)`` reads the file with the independent reader (services.ledger.sie_read:
#KONTO, #KTYP, #SRU, #RAR, #IB; code page 437 as #FORMAT PC8 says, or a file re-saved as UTF-8
with or without a byte-order mark, or as Latin-1/Windows-1252, as the reader detects) and
checks everything against the books without writing: which accounts are new, renamed or
unchanged, the opening balances of year 0 per account. ``apply_import(session, preview, user)``
then writes it in the caller's one transaction: all or nothing.

What is refused (LedgerError with a message naming the line where there is one):
- a file that is not SIE (the reader: it must begin with #FLAGGA) or has a malformed line;
- an account number that is not four digits (BAS), an account without a name;
- an #IB of a year other than 0 is ignored (only year 0 is the new books' opening); an #IB 0 on a
  result account (#KTYP I or K, or an income/expense account here), on an account the file does
  not name and the chart lacks;
- opening balances that do not sum to zero (the file is refused with the sum);
- opening balances without #RAR 0 (the year they open), a year that overlaps another financial
  year without being it, a closed year, a year in the locked period, a year that already has
  vouchers (or any voucher dated before its end: the imported balance stands for the history
  before it), a year after another year whose opening balances were imported before.
Opening balances imported again into the same year (still without vouchers) replace those of the
earlier import.

Existing accounts keep their type (SIE's S covers both liabilities and equity): a renamed account
takes the file's name (and its SRU code when the file has one). An account new to the chart gets
the file's type (T asset, S equity for 20xx and liability otherwise, I income, K expense) or,
without #KTYP, its BAS class's.

A request, not a job: a chart is a few hundred accounts and a few dozen opening balances (the
official sample, 530 accounts, is read and checked in well under a second), and the upload is
capped at MAX_BYTES; the vouchers of a 4E file are read (a malformed one refuses the file) but not
imported."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from models import Account, FinancialYear, LedgerPeriodLock, OpeningBalance, Voucher
from services.ledger import LedgerError
from services.ledger.accounts import default_type
from services.ledger.sie_read import SieFile, SieReadError, read_sie
from services.platform.formatting import money

MAX_BYTES = 5 * 1024 * 1024  # a chart with opening balances is a few kB; a 4E file with a year's vouchers more
ZERO = Decimal("0")
NAME_LENGTH = 100  # Account.name
SRU_LENGTH = 10  # Account.sru_code


@dataclass
class AccountChange:
    number: str
    name: str
    type: str
    sru: str | None
    old_name: str | None = None  # renamed: the chart's name before
    line: int = 0


@dataclass
class OpeningLine:
    number: str
    name: str
    amount: Decimal
    line: int


@dataclass
class SiePreview:
    checksum: str  # sha256 of the file's bytes: "Import" imports the file that was previewed
    company_name: str
    encoding: str
    new: list[AccountChange] = field(default_factory=list)
    renamed: list[AccountChange] = field(default_factory=list)
    unchanged: list[AccountChange] = field(default_factory=list)
    opening: list[OpeningLine] = field(default_factory=list)
    year_start: dt.date | None = None
    year_end: dt.date | None = None
    year_exists: bool = False
    replaces: int = 0  # opening balances of an earlier import into the same year
    vouchers_ignored: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def opening_total(self) -> Decimal:
        return sum((o.amount for o in self.opening), ZERO)

    @property
    def changes(self) -> int:
        return len(self.new) + len(self.renamed) + len(self.opening)


def _type_of(number: str, ktyp: str | None) -> str:
    if ktyp == "T":
        return "asset"
    if ktyp == "S":
        return "equity" if number.startswith("20") else "liability"
    if ktyp == "I":
        return "income"
    if ktyp == "K":
        return "expense"
    return default_type(number)


def read_file(data: bytes) -> SieFile:
    """The file read as SIE (LedgerError naming the line when it cannot be)."""
    if not data or not data.strip():
        raise LedgerError(_("The file is empty."), "file")
    if len(data) > MAX_BYTES:
        raise LedgerError(_("The file is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)), "file")
    try:
        # the vouchers are not imported: one that does not balance is not this import's concern
        return read_sie(data, check_balance=False)
    except SieReadError as exc:
        raise LedgerError(exc.message, "file", exc.value) from None


def preview(session: Session, data: bytes) -> SiePreview:
    """What importing the file would do, checked against the books; nothing is written."""
    import hashlib

    sie = read_file(data)
    if not sie.accounts and not sie.opening.get(0):
        raise LedgerError(_("The file has no accounts (#KONTO) and no opening balances (#IB 0): nothing to import."),
                          "file")
    result = SiePreview(hashlib.sha256(data).hexdigest(), sie.company_name or "", sie.encoding,
                        vouchers_ignored=len(sie.vouchers))
    result.warnings = list(sie.warnings)
    chart = {a.number: a for a in session.scalars(select(Account))}
    types: dict[str, str] = {}
    for number, account in sorted(sie.accounts.items()):
        line = sie.lines.get(("#KONTO", number)) or sie.lines.get(("#KTYP", number), 0)
        if not (number.isdigit() and len(number) == 4):
            raise LedgerError(_("Line %(line)d: account %(n)s is not a four-digit account number (BAS); the chart "
                                "of accounts takes four-digit accounts only.", line=line, n=number), "file", str(line))
        name = " ".join(account.name.split())
        if not name:
            raise LedgerError(_("Line %(line)d: account %(n)s has no name (#KONTO number name).",
                                line=line, n=number), "file", str(line))
        if len(name) > NAME_LENGTH:
            raise LedgerError(_("Line %(line)d: the name of account %(n)s is longer than %(max)d characters.",
                                line=line, n=number, max=NAME_LENGTH), "file", str(line))
        if account.type and account.type not in ("T", "S", "I", "K"):
            type_line = sie.lines.get(("#KTYP", number), line)
            raise LedgerError(_("Line %(line)d: %(t)s is not an account type (#KTYP T, S, I or K).",
                                line=type_line, t=account.type), "file", str(type_line))
        sru = (sie.sru.get(number) or "").strip() or None
        if sru is not None and len(sru) > SRU_LENGTH:
            sru_line = sie.lines.get(("#SRU", number), line)
            raise LedgerError(_("Line %(line)d: %(v)s is not an SRU code.", line=sru_line, v=sru), "file", str(sru_line))
        existing = chart.get(number)
        if existing is None:
            change = AccountChange(number, name, _type_of(number, account.type), sru, line=line)
            result.new.append(change)
            types[number] = change.type
        else:
            types[number] = existing.type
            change = AccountChange(number, name, existing.type, sru or existing.sru_code, line=line)
            if existing.name != name or (sru is not None and sru != existing.sru_code):
                change.old_name = existing.name
                result.renamed.append(change)
            else:
                result.unchanged.append(change)
    for number, code in sie.sru.items():  # an #SRU of an account the file does not name
        if number not in sie.accounts and number not in chart:
            line = sie.lines.get(("#SRU", number), 0)
            raise LedgerError(_("Line %(line)d: account %(n)s is neither in the file (#KONTO) nor in the chart of "
                                "accounts.", line=line, n=number), "file", str(line))
    names = {c.number: c.name for c in (*result.new, *result.renamed, *result.unchanged)}
    opening = sie.opening.get(0, {})
    if any(i != 0 for i in sie.opening):
        result.warnings.append(_("Only the opening balances of the file's year 0 are imported (#IB 0); those of "
                                 "earlier years are not."))
    for number, amount in sorted(opening.items()):
        line = sie.lines.get(("#IB", 0, number), 0)
        type_ = types.get(number) or (chart[number].type if number in chart else None)
        if type_ is None:
            raise LedgerError(_("Line %(line)d: account %(n)s is neither in the file (#KONTO) nor in the chart of "
                                "accounts.", line=line, n=number), "file", str(line))
        if type_ not in ("asset", "liability", "equity"):
            raise LedgerError(_("Line %(line)d: account %(n)s is a result account; opening balances (#IB) are for "
                                "balance sheet accounts only.", line=line, n=number), "file", str(line))
        if amount.as_tuple().exponent < -2:
            raise LedgerError(_("Line %(line)d: %(v)s has more than two decimals.", line=line, v=amount),
                              "file", str(line))
        if amount:
            result.opening.append(OpeningLine(number, names.get(number) or chart[number].name, amount, line))
    if result.opening:
        total = result.opening_total
        if total != 0:
            raise LedgerError(_("The opening balances (#IB 0) sum to %(sum)s, not 0: the file is refused (debit and "
                                "credit must be equal).", sum=money(total)), "file")
        _check_year(session, sie, result)
    return result


def _check_year(session: Session, sie: SieFile, result: SiePreview) -> None:
    year = sie.years.get(0)
    if year is None or year.start is None or year.end is None:
        raise LedgerError(_("The file has opening balances but no financial year (#RAR 0 start end) for them."), "file")
    if year.end <= year.start:
        raise LedgerError(_("The file's financial year (#RAR 0) ends before it starts."), "file")
    result.year_start, result.year_end = year.start, year.end
    existing = session.scalar(select(FinancialYear).where(FinancialYear.start_date == year.start))
    if existing is not None and existing.end_date != year.end:
        raise LedgerError(_("The financial year %(y)s of the books does not match the file's year %(s)s – %(e)s.",
                            y=str(existing), s=year.start.isoformat(), e=year.end.isoformat()), "file")
    if existing is None:
        overlap = session.scalar(select(FinancialYear).where(FinancialYear.start_date <= year.end,
                                                             FinancialYear.end_date >= year.start))
        if overlap is not None:
            raise LedgerError(_("The file's financial year %(s)s – %(e)s overlaps the financial year %(y)s of the "
                                "books.", s=year.start.isoformat(), e=year.end.isoformat(), y=str(overlap)), "file")
    result.year_exists = existing is not None
    label = f"{year.start.isoformat()} – {year.end.isoformat()}"
    if existing is not None and existing.closed:
        raise LedgerError(_("The financial year %(y)s is closed: no opening balances can be imported into it.",
                            y=label), "file")
    through = session.scalar(select(func.max(LedgerPeriodLock.locked_through)))
    if through is not None and through >= year.start:
        raise LedgerError(_("The books are locked through %(t)s: no opening balances can be imported into the "
                            "financial year %(y)s.", t=through.isoformat(), y=label), "file")
    if session.scalar(select(exists().where(Voucher.date <= year.end))):
        raise LedgerError(_("The financial year %(y)s (or one before it) already has vouchers: opening balances can "
                            "only be imported into the books' first year, before anything is booked.", y=label), "file")
    other = session.scalar(select(FinancialYear).join(OpeningBalance, OpeningBalance.financial_year_id == FinancialYear.id)
                           .where(FinancialYear.start_date != year.start).limit(1))
    if other is not None:
        raise LedgerError(_("Opening balances were imported into the financial year %(y)s before; only one year's "
                            "can be imported.", y=str(other)), "file")
    if existing is not None:
        result.replaces = session.scalar(select(func.count()).select_from(OpeningBalance)
                                         .where(OpeningBalance.financial_year_id == existing.id)) or 0


def apply_import(session: Session, data: bytes, user=None) -> SiePreview:
    """Import the file: checked again (the books may have changed since the preview), then the
    accounts created and renamed and the opening balances stored, in the caller's transaction
    (flushed, not committed). Returns the preview of what was done."""
    result = preview(session, data)
    for change in result.new:
        session.add(Account(number=change.number, name=change.name, type=change.type, sru_code=change.sru))
    if result.renamed:
        chart = {a.number: a for a in session.scalars(select(Account).where(
            Account.number.in_([c.number for c in result.renamed])))}
        for change in result.renamed:
            chart[change.number].name = change.name
            chart[change.number].sru_code = change.sru
    session.flush()
    if result.opening:
        year = session.scalar(select(FinancialYear).where(FinancialYear.start_date == result.year_start))
        if year is None:
            year = FinancialYear(start_date=result.year_start, end_date=result.year_end)
            session.add(year)
            session.flush()
        session.execute(delete(OpeningBalance).where(OpeningBalance.financial_year_id == year.id))
        for line in result.opening:
            session.add(OpeningBalance(financial_year_id=year.id, account_number=line.number, amount=line.amount,
                                       created_by_id=getattr(user, "id", None)))
        session.flush()
    return result


def summary(result: SiePreview) -> str:
    text = _("%(new)d accounts created, %(renamed)d renamed, %(unchanged)d unchanged.", new=len(result.new),
             renamed=len(result.renamed), unchanged=len(result.unchanged))
    if result.opening:
        text += " " + _("%(n)d opening balances stored for the financial year %(s)s – %(e)s.", n=len(result.opening),
                        s=result.year_start.isoformat(), e=result.year_end.isoformat())
    return text
