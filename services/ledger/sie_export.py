"""SIE 4 export of the books (issue 12 item 7, 20.12): the database's accounts, balances and
vouchers of a period as services.ledger.sie.SieExport, written by write_sie; the CLI command
``export-sie`` and the job of the "SIE-export" page both call ``export_to_file``.

What the file holds for the period ``date_from`` .. ``date_to``:

- #RAR for every financial year the period touches (0 the year of ``date_to``, -1 the one
  before, ...); when no financial year covers it, the calendar years of the period.
- #KONTO/#KTYP for every active account and every account the file uses (``used_only``: only
  those with transactions up to ``date_to``).
- per year y, on the part [a, b] of the period inside it: #IB y = the balance of each balance
  account (asset, liability, equity) before a: the sum of all its rows before a plus the opening
  balances imported from another system (the ledger keeps no opening-balance vouchers: a year's
  opening balance is its history, services.ledger.balances.imported_opening);
  #UB y = its balance at the end of b; #RES y = each result account's (income, expense) sum of
  rows from the year's start through b. So #IB + the file's transactions = #UB for every balance
  account, for a month as for a year.
- #VER/#TRANS for every voucher dated in the period, in (date, series, number) order, read by one
  streamed query (server-side cursor on PostgreSQL, yield_per): memory does not grow with the
  number of vouchers. All figures are aggregated in SQL (GROUP BY account).

The file is written to a temporary file beside the target and moved into place when it is
complete: a failed or killed export leaves no partial file."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from models import Account, FinancialYear, OpeningBalance, Voucher, VoucherRow
from services.ledger import LedgerError
from services.ledger.balances import imported_opening
from services.ledger.sie import SieAccount, SieBalance, SieExport, SieRow, SieStats, SieVoucher, SieYear, write_sie

BALANCE_TYPES = ("asset", "liability", "equity")
RESULT_TYPES = ("income", "expense")
STREAM_CHUNK = 2000  # rows fetched from the cursor at a time
PROGRESS_EVERY = 5000  # vouchers between progress reports
CHECKSUM_SETTING = "ledger.sie_checksum"


@dataclass
class ExportResult:
    path: Path
    date_from: dt.date
    date_to: dt.date
    vouchers: int
    rows: int
    accounts: int
    checksum: int | None
    replaced: int  # texts changed to fit code page 437 (or plain ASCII)

    @property
    def empty(self) -> bool:
        return self.vouchers == 0


# ---- input ---------------------------------------------------------------------------------


def parse_date(value, field: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = str(value or "").strip()
    if not text:
        raise LedgerError(_("Give a date (YYYY-MM-DD)."), field)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise LedgerError(_("%(v)s is not a date; write it as YYYY-MM-DD.", v=text), field) from None


def parse_period(date_from, date_to) -> tuple[dt.date, dt.date]:
    """The export period from two ISO dates; LedgerError (field "from" or "to") when a date is
    missing or malformed, or the period ends before it starts."""
    start, end = parse_date(date_from, "from"), parse_date(date_to, "to")
    if end < start:
        raise LedgerError(_("The period ends (%(to)s) before it starts (%(from)s).",
                            to=end.isoformat(), **{"from": start.isoformat()}), "to")
    return start, end


# ---- the parts of the file -------------------------------------------------------------------


def years_of(session: Session, date_from: dt.date, date_to: dt.date) -> list[SieYear]:
    """#RAR: the financial years the period touches, 0 the latest; the calendar years of the
    period when no financial year covers any of it."""
    rows = list(session.execute(
        select(FinancialYear.start_date, FinancialYear.end_date)
        .where(FinancialYear.start_date <= date_to, FinancialYear.end_date >= date_from)
        .order_by(FinancialYear.start_date.desc())))
    spans = [(r.start_date, r.end_date) for r in rows] or [
        (dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in range(date_to.year, date_from.year - 1, -1)]
    return [SieYear(-n, start, end) for n, (start, end) in enumerate(spans)]


def _sie_kind(account_type: str) -> str:
    return {"asset": "T", "liability": "S", "equity": "S", "income": "I", "expense": "K"}[account_type]


def balances(session: Session, years: list[SieYear], date_from: dt.date, date_to: dt.date
             ) -> tuple[list[SieBalance], list[SieBalance], list[SieBalance]]:
    """(#IB, #UB, #RES) of every year, each aggregated in one GROUP BY account query."""
    opening, closing, results = [], [], []
    for year in years:
        a, b = max(date_from, year.start), min(date_to, year.end)
        is_balance = Account.type.in_(BALANCE_TYPES)
        before = func.sum(case((VoucherRow.date < a, VoucherRow.amount), else_=0))
        stmt = (select(VoucherRow.account_number, Account.type, before.label("before"),
                       func.sum(VoucherRow.amount).label("through"))
                .join(Account, Account.number == VoucherRow.account_number)
                .where(VoucherRow.date <= b, or_(is_balance, VoucherRow.date >= year.start))
                .group_by(VoucherRow.account_number, Account.type)
                .order_by(VoucherRow.account_number))
        # the opening balances imported from another system (services.ledger.balances, the one reader)
        imported_a, imported_b = imported_opening(session, a), imported_opening(session, b)
        sums = {number: (type_, Decimal(before_sum or 0) + imported_a.get(number, 0),
                         Decimal(through or 0) + imported_b.get(number, 0))
                for number, type_, before_sum, through in session.execute(stmt)}
        missing = (set(imported_a) | set(imported_b)) - set(sums)
        if missing:
            for number, type_ in session.execute(select(Account.number, Account.type).where(Account.number.in_(missing))):
                sums[number] = (type_, imported_a.get(number, Decimal(0)), imported_b.get(number, Decimal(0)))
        for number in sorted(sums):
            type_, before_sum, through = sums[number]
            if type_ in BALANCE_TYPES:
                if before_sum:
                    opening.append(SieBalance(number, before_sum, year.index))
                if through:
                    closing.append(SieBalance(number, through, year.index))
            elif through:
                results.append(SieBalance(number, through, year.index))
    return opening, closing, results


def accounts(session: Session, date_to: dt.date, used_only: bool = False) -> list[SieAccount]:
    """#KONTO/#KTYP: active accounts and every account with rows up to ``date_to`` (only the
    latter with ``used_only``)."""
    used = select(VoucherRow.account_number).where(VoucherRow.date <= date_to).union(
        select(OpeningBalance.account_number).join(FinancialYear, FinancialYear.id == OpeningBalance.financial_year_id)
        .where(FinancialYear.start_date <= date_to))
    condition = Account.number.in_(used) if used_only else or_(Account.active, Account.number.in_(used))
    return [SieAccount(a.number, a.name, _sie_kind(a.type))
            for a in session.execute(select(Account.number, Account.name, Account.type)
                                     .where(condition).order_by(Account.number))]


def count_vouchers(session: Session, date_from: dt.date, date_to: dt.date) -> int:
    return session.scalar(select(func.count()).select_from(Voucher)
                          .where(Voucher.date >= date_from, Voucher.date <= date_to)) or 0


def vouchers(session: Session, date_from: dt.date, date_to: dt.date,
             progress: Callable[[int], None] | None = None) -> Iterator[SieVoucher]:
    """Every voucher of the period with its rows, in (date, series, number) order, as one
    streamed query over voucher JOIN voucher_row (plain tuples, no ORM objects): one voucher is
    held at a time."""
    stmt = (select(Voucher.id, Voucher.series, Voucher.number, Voucher.date, Voucher.text, Voucher.created_at,
                   VoucherRow.account_number, VoucherRow.amount, VoucherRow.text)
            .join(VoucherRow, VoucherRow.voucher_id == Voucher.id)
            .where(Voucher.date >= date_from, Voucher.date <= date_to)
            .order_by(Voucher.date, Voucher.series, Voucher.number, VoucherRow.id))
    current = None
    head: tuple = ()
    registered = None
    rows: list[SieRow] = []
    done = 0
    # Core on the session's connection (no ORM row processing); a server-side cursor on PostgreSQL
    # (options on the statement: Connection.execution_options would change the session's connection)
    result = session.connection().execute(stmt.execution_options(stream_results=True, yield_per=STREAM_CHUNK))
    try:
        for vid, series, number, date, text, created, account, amount, row_text in _rows_of(result):
            if vid != current:
                if current is not None:
                    yield SieVoucher(*head, rows, registered=registered)
                    done += 1
                    if progress is not None and done % PROGRESS_EVERY == 0:
                        progress(done)
                current = vid
                head = (series, number, date, text or "")
                registered = created.date() if created is not None else None
                rows = []
            rows.append(SieRow(account, amount, row_text or ""))
        if current is not None:
            yield SieVoucher(*head, rows, registered=registered)
            done += 1
    finally:
        result.close()
    if progress is not None:
        progress(done)


def _rows_of(result):
    """The rows of a streamed result, fetched STREAM_CHUNK at a time (fetchmany: one round trip
    per chunk on PostgreSQL's server-side cursor, not one per row)."""
    for partition in result.partitions(STREAM_CHUNK):
        yield from partition


def build_export(session: Session, date_from: dt.date, date_to: dt.date, settings: dict, *,
                 used_only: bool = False, generated_by: str = "",
                 progress: Callable[[int], None] | None = None, today: dt.date | None = None) -> SieExport:
    """The SieExport of the period; its vouchers are a lazy, streamed iterator (consume it once,
    inside the session's transaction)."""
    years = years_of(session, date_from, date_to)
    opening, closing, results = balances(session, years, date_from, date_to)
    return SieExport(
        company_name=str(settings.get("company.name") or ""),
        org_number=org_number_text(str(settings.get("company.org_number") or "")),
        generated=today or dt.date.today(), years=years,
        accounts=accounts(session, date_to, used_only), opening=opening, closing=closing, results=results,
        vouchers=vouchers(session, date_from, date_to, progress), generated_by=generated_by)


def org_number_text(value: str) -> str:
    """556036-0793 as SIE writes it (the number as typed when it is not a Swedish org number)."""
    from stdnum.se import orgnr

    try:
        return orgnr.format(orgnr.validate(value))
    except Exception:  # noqa: BLE001 - an unusual number is written as the office typed it
        return value.strip()


def export_to_file(session: Session, path, date_from: dt.date, date_to: dt.date, settings: dict, *,
                   checksum: bool | None = None, plain: bool = False, used_only: bool = False,
                   generated_by: str = "", progress: Callable[[int], None] | None = None) -> ExportResult:
    """Write the period's SIE 4 file to ``path`` (a temporary file moved into place when done).
    ``checksum`` None: as the setting ledger.sie_checksum says. Raises LedgerError or SieError;
    the target is then untouched."""
    if date_to < date_from:
        raise LedgerError(_("The period ends (%(to)s) before it starts (%(from)s).",
                            to=date_to.isoformat(), **{"from": date_from.isoformat()}), "to")
    if checksum is None:
        checksum = bool(settings.get(CHECKSUM_SETTING))
    path = Path(path)
    export = build_export(session, date_from, date_to, settings, used_only=used_only, generated_by=generated_by,
                          progress=progress)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(tmp, "wb") as out:
            stats: SieStats = write_sie(out, export, checksum=checksum, plain=plain)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return ExportResult(path, date_from, date_to, stats.vouchers, stats.rows, len(export.accounts),
                        stats.checksum, stats.replaced)


def summary(result: ExportResult) -> str:
    if result.empty:
        return _("No vouchers between %(from)s and %(to)s: an empty but valid SIE file was written "
                 "(accounts and balances only).", **{"from": result.date_from.isoformat(),
                                                     "to": result.date_to.isoformat()})
    return _("%(v)s vouchers with %(r)s transactions from %(from)s to %(to)s exported.",
             v=result.vouchers, r=result.rows, **{"from": result.date_from.isoformat(),
                                                  "to": result.date_to.isoformat()})


# ---- the job (the "SIE-export" page) ------------------------------------------------------------

JOB_KIND = "sie_export"
EXPORT_RIGHT = "ledger.export"


def file_name(date_from: dt.date, date_to: dt.date) -> str:
    return f"sie4-{date_from:%Y%m%d}-{date_to:%Y%m%d}.se"


def start_export_job(session: Session, enqueue, user, date_from, date_to, checksum: bool | None = None,
                     plain: bool = False, used_only: bool = False):
    """Queue the export of the period as a job of ``user`` (LedgerError for a bad period)."""
    from services.platform import jobs

    start, end = parse_period(date_from, date_to)
    if not user.has_right(EXPORT_RIGHT):
        raise PermissionError(EXPORT_RIGHT)
    params = {"from": start.isoformat(), "to": end.isoformat(), "checksum": checksum, "plain": bool(plain),
              "used_only": bool(used_only)}
    return jobs.submit(session, enqueue, JOB_KIND, user, params, total=count_vouchers(session, start, end))


def _export_job(session: Session, job):
    from services.platform import jobs
    from services.platform.settings import load_settings

    user = job.user
    # checked again: the right may have been taken away while the job was queued
    if user is None or not user.active or not user.has_right(EXPORT_RIGHT):
        raise LedgerError(_("You no longer have the right to export the books; nothing was exported."))
    params = job.params
    start, end = parse_period(params["from"], params["to"])
    total = count_vouchers(session, start, end)
    jobs.report_progress(job, 0, total)
    path = jobs.job_dir(job.id, create=True) / file_name(start, end)
    result = export_to_file(session, path, start, end, load_settings(session), checksum=params.get("checksum"),
                            plain=bool(params.get("plain")), used_only=bool(params.get("used_only")),
                            generated_by=user.username,
                            progress=lambda done: jobs.report_progress(job, done, total))
    return jobs.Outcome(summary(result), path, file_name(start, end))


def _declare_job() -> None:
    from services.platform import jobs

    jobs.handler(JOB_KIND, label=lambda: _("SIE export"), rights=lambda params: [EXPORT_RIGHT])(_export_job)


_declare_job()
