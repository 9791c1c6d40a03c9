"""VAT report (momsrapport, 20.10) and VAT settlement (momsavräkning) from the ledger.

The boxes (rutor) of Skatteverket's VAT return come from the period's voucher rows, summed in
SQL (GROUP BY account over voucher_row within the dates, index ix_voucher_row_date) and mapped
to boxes by each account's VAT code (Account.vat_code, seeded from the BAS chart in
services.ledger.accounts.BAS_ACCOUNTS, editable in the chart of accounts):

    05  sales subject to VAT: the net of 3000-3003, 3010, 3041-3043 (goods and labour at 25/12/6 %)
        and the invoice fee 3540
    10, 11, 12  output VAT 25, 12, 6 %: 2611, 2621, 2631
        less the net of confirmed customer losses (the write-offs' 6351, ``write_off_sales``)
    35  goods to another EU country (3108), 36 goods outside the EU (3105)
    39  services to a business in another EU country, main rule (reverse charge, 3308)
    40  other services sold abroad (3305), 42 other sales exempt from VAT (3004, 3044)
    48  input VAT to deduct: 2641
    49  VAT to pay (positive) or to get back (negative) = 10 + 11 + 12 - 48

Sales and output VAT are credit on their accounts (negative rows) and shown positive; input VAT
is debit and shown as it is; a credit note lowers the boxes of its invoice. The boxes are in
kronor and öre as booked (the return itself takes whole kronor: ``whole_kronor``). The
settlement voucher itself (source kind ``vat_settlement``) is left out of the report.

``settle`` books the settlement voucher (the period's VAT accounts moved to 2650, the
redovisningskonto) and locks the books through the period's end, in the caller's one
transaction; a period whose VAT is settled, that is locked, or that has not ended (its last day
not before today) is refused."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import Account, Voucher, VoucherRow, WriteOff
from services.ledger import LedgerError
from services.ledger.accounts import account_for
from services.ledger.vouchers import MANUAL_SERIES, Row, book_voucher, lock_through, locked_through

ZERO = Decimal("0.00")
SETTLEMENT_KIND = "vat_settlement"
SETTLEMENT_SERIES = MANUAL_SERIES
OUTPUT_VAT_BOXES = ("10", "11", "12")
INPUT_VAT_BOX = "48"
RESULT_BOX = "49"
# the boxes shown, in the return's order, and what they are
BOXES: dict[str, object] = {
    "05": _l("Sales subject to VAT"),
    "10": _l("Output VAT 25 %"),
    "11": _l("Output VAT 12 %"),
    "12": _l("Output VAT 6 %"),
    "35": _l("Sales of goods to another EU country"),
    "36": _l("Sales of goods outside the EU"),
    "39": _l("Sales of services to a business in another EU country (main rule)"),
    "40": _l("Other sales of services supplied outside Sweden"),
    "42": _l("Other sales exempt from VAT"),
    "48": _l("Input VAT to deduct"),
    "49": _l("VAT to pay or to get back"),
}
# debit-normal boxes (input VAT): shown as booked; every other box is credit-normal (negated)
DEBIT_BOXES = {"48"}
PERIOD_KINDS = ("month", "quarter", "year")


@dataclass
class VatAccountLine:
    number: str
    name: str
    box: str
    amount: Decimal  # as booked: debit positive


@dataclass
class VatReport:
    start: dt.date
    end: dt.date
    boxes: dict[str, Decimal]
    accounts: list[VatAccountLine] = field(default_factory=list)
    settlement: Voucher | None = None  # the voucher that settled the period, when it is settled

    @property
    def to_pay(self) -> Decimal:
        return self.boxes[RESULT_BOX]

    @property
    def empty(self) -> bool:
        return not self.accounts


# ---- periods ---------------------------------------------------------------------------------


def period_bounds(kind: str, year: int, number: int = 1) -> tuple[dt.date, dt.date]:
    """The first and last day of a month (``number`` 1-12), quarter (1-4) or the calendar year."""
    if kind not in PERIOD_KINDS:
        raise LedgerError(_("Choose month, quarter or year."), "kind")
    if not 1900 <= year <= 9999:
        raise LedgerError(_("Give a year between 1900 and 9999."), "year")
    if kind == "year":
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if kind == "quarter":
        if not 1 <= number <= 4:
            raise LedgerError(_("A quarter is 1 to 4."), "number")
        first = 3 * number - 2
        return dt.date(year, first, 1), dt.date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    if not 1 <= number <= 12:
        raise LedgerError(_("A month is 1 to 12."), "number")
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def parse_period(text: str) -> tuple[str, dt.date, dt.date]:
    """A period as the page names it: "2026-11" (a month), "2026-Q4" (a quarter), "2026" (a year)
    -> (kind, first day, last day); LedgerError (field "period") otherwise."""
    value = (text or "").strip().upper()
    try:
        if len(value) == 4 and value.isdigit():
            return ("year", *period_bounds("year", int(value)))
        year, _sep, part = value.partition("-")
        if part.startswith("Q") and part[1:].isdigit() and year.isdigit():
            return ("quarter", *period_bounds("quarter", int(year), int(part[1:])))
        if part.isdigit() and year.isdigit():
            return ("month", *period_bounds("month", int(year), int(part)))
    except LedgerError as exc:
        raise LedgerError(exc.message, "period") from None
    raise LedgerError(_("%(v)s is not a period; write a month (2026-11), a quarter (2026-Q4) or a year (2026).",
                        v=text or ""), "period")


def period_name(start: dt.date, end: dt.date) -> str:
    """2026-11, 2026-Q4, 2026 or the two dates."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if start.year == end.year and start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]:
        if start.month == end.month:
            return f"{start.year}-{start.month:02d}"
        if end.month - start.month == 2 and start.month % 3 == 1:
            return f"{start.year}-Q{(start.month + 2) // 3}"
    return f"{start.isoformat()} – {end.isoformat()}"


# ---- the report --------------------------------------------------------------------------------


def account_sums(session: Session, start: dt.date, end: dt.date) -> list[tuple[str, str, str, Decimal]]:
    """(account, name, VAT code, sum of its rows) of every account with a VAT code that has rows
    in the period, the settlement vouchers left out: one GROUP BY over voucher_row."""
    settlement_ids = select(Voucher.id).where(Voucher.source_kind == SETTLEMENT_KIND,
                                              Voucher.date >= start, Voucher.date <= end)
    sums = (select(VoucherRow.account_number.label("number"), func.sum(VoucherRow.amount).label("amount"))
            .where(VoucherRow.date >= start, VoucherRow.date <= end, VoucherRow.voucher_id.not_in(settlement_ids))
            .group_by(VoucherRow.account_number)
            .subquery())
    stmt = (select(sums.c.number, Account.name, Account.vat_code, sums.c.amount)
            .join(Account, Account.number == sums.c.number)
            .where(Account.vat_code.is_not(None), Account.vat_code != "")
            .order_by(sums.c.number))
    return [(n, name, code, Decimal(amount)) for n, name, code, amount in session.execute(stmt) if amount]


WRITE_OFF_KIND = "write_off"
CENT = Decimal("0.01")


def write_off_sales(session: Session, start: dt.date, end: dt.date) -> list[VatAccountLine]:
    """A confirmed customer loss (konstaterad kundförlust, services.ledger.write_off) lowers the
    taxable sales (box 05) as well as the output VAT (boxes 10-12, through its VAT rows): the net
    part of each write-off voucher in the period (its debit rows that are not output VAT, 6351),
    as far as it is the net of the invoice's taxed lines (an invoice partly without VAT: in
    proportion to its taxed net), as one line per account in box 05."""
    from services.sales.pricing import PricedLine, totals

    vouchers = session.scalars(select(Voucher).where(Voucher.source_kind == WRITE_OFF_KIND, Voucher.date >= start,
                                                     Voucher.date <= end).options(selectinload(Voucher.rows))).all()
    if not vouchers:
        return []
    vat_accounts = set(session.scalars(select(Account.number).where(Account.vat_code.in_(OUTPUT_VAT_BOXES))))
    sums: dict[str, Decimal] = {}
    for voucher in vouchers:
        record = session.get(WriteOff, voucher.source_id) if voucher.source_id else None
        if record is None:
            continue
        result = totals([PricedLine(l.quantity, l.unit_price, l.vat_percent, l.discount_percent)
                         for l in record.invoice.lines])
        net_total = sum((Decimal(net) for _rate, net, _vat in result.rates), ZERO)
        taxed = sum((Decimal(net) for _rate, net, vat in result.rates if vat), ZERO)
        if not taxed or not net_total:
            continue
        for row in voucher.rows:
            if row.amount > 0 and row.account_number not in vat_accounts:
                part = row.amount if taxed == net_total else (row.amount * taxed / net_total).quantize(CENT)
                sums[row.account_number] = sums.get(row.account_number, ZERO) + part
    names = dict(session.execute(select(Account.number, Account.name).where(Account.number.in_(sums))).all())
    return [VatAccountLine(n, names.get(n, ""), "05", amount) for n, amount in sorted(sums.items()) if amount]


def boxes_of(lines: list[VatAccountLine]) -> dict[str, Decimal]:
    boxes = {box: ZERO for box in BOXES}
    for line in lines:
        if line.box in boxes and line.box != RESULT_BOX:
            boxes[line.box] += line.amount if line.box in DEBIT_BOXES else -line.amount
    boxes[RESULT_BOX] = sum((boxes[b] for b in OUTPUT_VAT_BOXES), ZERO) - boxes[INPUT_VAT_BOX]
    return boxes


def settlement_of(session: Session, start: dt.date, end: dt.date) -> Voucher | None:
    """The settlement voucher dated in the period, if its VAT is settled."""
    return session.scalar(select(Voucher).where(Voucher.source_kind == SETTLEMENT_KIND, Voucher.date >= start,
                                                Voucher.date <= end).order_by(Voucher.id).limit(1))


def vat_report(session: Session, start: dt.date, end: dt.date) -> VatReport:
    if end < start:
        raise LedgerError(_("The period ends (%(to)s) before it starts (%(from)s).",
                            to=end.isoformat(), **{"from": start.isoformat()}), "period")
    lines = [VatAccountLine(n, name, code, amount) for n, name, code, amount in account_sums(session, start, end)]
    lines = sorted(lines + write_off_sales(session, start, end), key=lambda line: (line.number, line.box))
    return VatReport(start, end, boxes_of(lines), lines, settlement_of(session, start, end))


def whole_kronor(amount: Decimal) -> Decimal:
    """An amount as the return takes it: whole kronor, the öre dropped."""
    return amount.quantize(Decimal("1"), rounding=ROUND_DOWN)


# ---- the settlement -----------------------------------------------------------------------------


def unfinished(end: dt.date, today: dt.date | None = None) -> str | None:
    """Why a period ending ``end`` cannot be settled yet (its last day is today or later), or None."""
    today = today or dt.date.today()
    if end >= today:
        return _("The period has not ended yet: its VAT can be settled from %(d)s, after its last day %(e)s "
                 "(the settlement locks the books through that day).",
                 d=(end + dt.timedelta(days=1)).isoformat(), e=end.isoformat())
    return None


def settle(session: Session, start: dt.date, end: dt.date, user, settings: dict | None = None,
           today: dt.date | None = None) -> Voucher:
    """Momsavräkning: book the voucher that moves the period's output and input VAT (the
    accounts of boxes 10, 11, 12 and 48, as the report sums them) to the VAT settlement account
    (2650, ACCOUNT_MAP "vat_settlement") dated on the period's last day, and lock the books through
    that day. Both in the caller's transaction (commit once, or roll back both). Refused: a period
    settled already, a period (partly) locked, a period without VAT, a period that has not ended
    (its last day must be before ``today``: settling locks the books, and a running month must stay open)."""
    done = settlement_of(session, start, end)
    if done is not None:
        raise LedgerError(_("The VAT of %(p)s is settled already (voucher %(v)s of %(d)s).",
                            p=period_name(start, end), v=done.label, d=done.date.isoformat()), "period")
    through = locked_through(session)
    if through is not None and through >= start:
        raise LedgerError(_("The books are locked through %(t)s; the VAT of %(p)s cannot be settled.",
                            t=through.isoformat(), p=period_name(start, end)), "period")
    reason = unfinished(end, today)
    if reason:
        raise LedgerError(reason, "settle")
    report = vat_report(session, start, end)
    rows: list[Row] = []
    for line in report.accounts:
        if line.box in (*OUTPUT_VAT_BOXES, INPUT_VAT_BOX) and line.amount:
            rows.append(Row(line.number, -line.amount, None))
    if not rows:
        raise LedgerError(_("No VAT was booked in %(p)s: there is nothing to settle.", p=period_name(start, end)),
                          "period")
    to_pay = report.to_pay
    if to_pay:
        rows.append(Row(account_for("vat_settlement", settings), -to_pay, None))
    text = _("VAT settlement %(p)s", p=period_name(start, end))
    voucher = book_voucher(session, SETTLEMENT_SERIES, end, rows, text, user, source=(SETTLEMENT_KIND, None))
    lock_through(session, end, user)
    return voucher
