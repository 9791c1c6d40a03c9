"""SIE 4 export from the database (issue 12 item 7, services.ledger.sie_export and `flask export-sie`):
a month with invoices, a credit note and manual vouchers, read back by the independent reader
(services.ledger.sie_read): every #VER balances, #IB + transactions = #UB for every balance
account, names with quotes and å ä ö decode, the counts match the database; an empty period;
the command's errors."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from models import Account, Customer, Order, Voucher, VoucherRow
from services.ledger import LedgerError, sie_export
from services.ledger.sie_read import read_sie, verify
from services.ledger.vouchers import book_voucher, ensure_year
from services.sales import invoicing, orders
from tests import sales_helpers as h

pytestmark = pytest.mark.usefixtures("english")

OCT = dt.date(2026, 10, 15)
NOV = [dt.date(2026, 11, d) for d in (3, 10, 24)]
BANK_NAME = 'Företagskonto "Nordea" – Åre {huvud}'


def _invoice(session, day, n):
    cust = session.scalar(select(Customer).where(Customer.customer_number == "1001")) or h.customer(session)
    order = orders.create_order(session, cust, None, today=day)
    orders.add_line(session, order, "article", article=h.article(session, number=f"OF-{n}"), quantity=2)
    orders.add_line(session, order, "labour", labour=h.labour(session, code=f"SERV-{n}"))
    orders.add_line(session, order, "free_text", text="Handbok", unit_price=D("50"), vat_percent=6)
    return invoicing.finalise_invoice(session, order, None, day, h.settings(session))


def _books(session):
    """An invoice in October (the opening balance of November), two invoices, a credit note and
    two manual vouchers in November, one in December (outside the export)."""
    ensure_year(session, OCT)
    session.scalar(select(Account).where(Account.number == "1930")).name = BANK_NAME
    session.scalar(select(Account).where(Account.number == "3041")).name = "Försäljning tjänst \"Åkes\" ö"
    _invoice(session, OCT, 0)
    book_voucher(session, "M", OCT, [("1930", "5000.00"), ("2010", "-5000.00")], "Insättning eget kapital", None)
    first = _invoice(session, NOV[0], 1)
    _invoice(session, NOV[1], 2)
    invoicing.create_credit_note(session, first, None, NOV[1], h.settings(session))
    book_voucher(session, "M", NOV[2], [("1930", "1000.00"), ("1510", "-1000.00", 'Betalning "delvis" på ÅÄÖ')],
                 'Inbetalning – kund "Åkes"', None)
    book_voucher(session, "M", NOV[2], [("6570", "25.00"), ("1930", "-25.00")], "Bankavgift", None)
    book_voucher(session, "M", dt.date(2026, 12, 1), [("6570", "10.00"), ("1930", "-10.00")], "December", None)
    session.commit()


def _export(session, tmp_path, start, end, **options):
    path = tmp_path / "books.se"
    result = sie_export.export_to_file(session, path, start, end, h.settings(session), **options)
    return result, read_sie(path.read_bytes())


def test_a_month_is_exported_and_reads_back_balanced(session, tmp_path):
    _books(session)
    start, end = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    result, sie = _export(session, tmp_path, start, end, checksum=True)
    assert verify(sie) == []
    db_vouchers = session.scalar(select(func.count()).select_from(Voucher).where(Voucher.date.between(start, end)))
    db_rows = session.scalar(select(func.count()).select_from(VoucherRow).where(VoucherRow.date.between(start, end)))
    assert db_vouchers == 5 and (result.vouchers, len(sie.vouchers)) == (5, 5)
    assert result.rows == sie.transaction_count == db_rows
    assert sie.checksum == result.checksum is not None
    # (date, series, number) order; the series as booked
    assert [(v.date, v.series) for v in sie.vouchers] == [(NOV[0], "F"), (NOV[1], "F"), (NOV[1], "K"),
                                                          (NOV[2], "M"), (NOV[2], "M")]
    assert [v.number for v in sie.vouchers if v.series == "M"] == ["2", "3"]
    assert sie.company_name == "Verkstad AB" and sie.org_number == "556036-0793"
    assert (sie.years[0].start, sie.years[0].end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    # names with quotes, braces, å ä ö decode; "–" is outside code page 437 and becomes "-"
    assert sie.accounts["1930"].name == 'Företagskonto "Nordea" - Åre {huvud}'
    assert sie.accounts["1930"].type == "T" and sie.accounts["3041"].type == "I" and sie.accounts["2611"].type == "S"
    assert sie.accounts["3041"].name == 'Försäljning tjänst "Åkes" ö'
    payment = sie.vouchers[3]
    assert payment.text == 'Inbetalning - kund "Åkes"'
    assert [t.text for t in payment.transactions] == ["", 'Betalning "delvis" på ÅÄÖ']
    # #IB: the balance before November (the October invoice and deposit); #UB: IB + November
    october = session.scalars(select(VoucherRow).where(VoucherRow.date == OCT)).all()
    ib_1510 = sum(r.amount for r in october if r.account_number == "1510")
    assert sie.opening[0]["1510"] == ib_1510 and sie.opening[0]["1930"] == D("5000.00")
    assert sie.opening[0]["2010"] == D("-5000.00")
    moved = {}
    for v in sie.vouchers:
        for t in v.transactions:
            moved[t.account] = moved.get(t.account, D(0)) + t.amount
    for number in ("1510", "1930", "2611", "2621", "2631", "2010"):
        assert sie.opening[0].get(number, D(0)) + moved.get(number, D(0)) == sie.closing[0].get(number, D(0))
    assert sie.closing[0]["1930"] == D("5975.00")  # 5000 + 1000 - 25; December's 10 not yet
    # #RES: a result account's sum from the year's start through the period's end
    res = session.scalar(select(func.sum(VoucherRow.amount)).where(VoucherRow.account_number == "3041",
                                                                   VoucherRow.date <= end))
    assert sie.result[0]["3041"] == res
    assert "3041" not in sie.opening.get(0, {}) and "3041" not in sie.closing.get(0, {})
    # the streamed query leaves the session's connection as it was (PostgreSQL: no cursor mode left on)
    book_voucher(session, "M", NOV[2], [("1910", "1.00"), ("1930", "-1.00")], "Efter exporten", None)
    session.commit()


def test_the_whole_year_and_the_options(session, tmp_path):
    _books(session)
    result, sie = _export(session, tmp_path, dt.date(2026, 1, 1), dt.date(2026, 12, 31), plain=True,
                          used_only=True, checksum=False)
    assert verify(sie) == [] and sie.checksum is None
    assert result.vouchers == session.scalar(select(func.count()).select_from(Voucher)) == 8
    assert sie.opening.get(0, {}) == {}  # nothing before the first year
    assert sie.accounts["1930"].name == 'Foretagskonto "Nordea" - Are {huvud}'  # plain ASCII
    used = set(session.scalars(select(VoucherRow.account_number).distinct()))
    assert set(sie.accounts) == used  # only the accounts used
    _result, full = _export(session, tmp_path, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    active = set(session.scalars(select(Account.number).where(Account.active)))
    assert set(full.accounts) == active | used


def test_an_empty_period_gives_an_empty_but_valid_file(session, tmp_path):
    _books(session)
    result, sie = _export(session, tmp_path, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert result.empty and sie.vouchers == [] and verify(sie) == []
    assert sie.accounts and sie.years[0].start == dt.date(2026, 1, 1)
    assert "empty but valid" in sie_export.summary(result)
    # a fresh database without a financial year for the period: the calendar year as #RAR
    result, sie = _export(session, tmp_path, dt.date(2030, 3, 1), dt.date(2030, 3, 31))
    assert result.empty and (sie.years[0].start, sie.years[0].end) == (dt.date(2030, 1, 1), dt.date(2030, 12, 31))
    # the balances at that date: everything booked before it
    assert sie.opening[0]["1930"] == sie.closing[0]["1930"] == D("5965.00")


def test_a_period_spanning_two_financial_years_has_a_rar_and_balances_per_year(session, tmp_path):
    _books(session)
    book_voucher(session, "M", dt.date(2027, 1, 5), [("1930", "100.00"), ("3001", "-100.00")], "Januari", None,
                 create_year=True)
    session.commit()
    _result, sie = _export(session, tmp_path, dt.date(2026, 12, 1), dt.date(2027, 1, 31))
    assert verify(sie) == []
    assert {i: (y.start, y.end) for i, y in sie.years.items()} == {
        0: (dt.date(2027, 1, 1), dt.date(2027, 12, 31)), -1: (dt.date(2026, 1, 1), dt.date(2026, 12, 31))}
    assert sie.opening[0]["1930"] == D("5965.00") and sie.closing[0]["1930"] == D("6065.00")
    assert sie.opening[-1]["1930"] == D("5975.00") and sie.closing[-1]["1930"] == D("5965.00")
    assert sie.result[0] == {"3001": D("-100.00")}


def test_the_vouchers_are_streamed_lazily(session, tmp_path):
    _books(session)
    export = sie_export.build_export(session, dt.date(2026, 1, 1), dt.date(2026, 12, 31), h.settings(session))
    assert not isinstance(export.vouchers, (list, tuple))
    first = next(iter(export.vouchers))
    assert (first.date, first.series) == (OCT, "F")
    export.vouchers.close()


@pytest.mark.parametrize("start, end, field, message", [
    ("2026-13-01", "2026-12-31", "from", "2026-13-01 is not a date"),
    ("", "2026-12-31", "from", "Give a date"),
    ("2026-12-31", "2026-01-01", "to", "ends (2026-01-01) before it starts (2026-12-31)"),
])
def test_a_bad_period_is_refused(start, end, field, message):
    with pytest.raises(LedgerError, match=message.replace("(", r"\(").replace(")", r"\)")) as exc:
        sie_export.parse_period(start, end)
    assert exc.value.field == field


def test_the_command_writes_the_file_and_refuses_bad_input(app, session, runner, tmp_path):
    _books(session)
    out = tmp_path / "export.se"
    done = runner.invoke(args=["export-sie", "--from", "2026-11-01", "--to", "2026-11-30", "-o", str(out), "--ksumma"])
    assert done.exit_code == 0, done.output
    assert "5 vouchers" in done.output and "#KSUMMA" in done.output
    sie = read_sie(out.read_bytes())
    assert verify(sie) == [] and len(sie.vouchers) == 5 and sie.checksum is not None
    empty = tmp_path / "empty.se"
    done = runner.invoke(args=["export-sie", "--from", "2026-02-01", "--to", "2026-02-28", "-o", str(empty), "--plain"])
    assert done.exit_code == 0 and "empty but valid" in done.output
    assert read_sie(empty.read_bytes()).vouchers == []
    for args, message in (
            (["--from", "2026-02-30", "--to", "2026-03-01"], "--from: 2026-02-30 is not a date"),
            (["--from", "2026-12-01", "--to", "2026-11-01"], "--to: The period ends (2026-11-01) before it starts"),
            (["--from", "1.1.2026", "--to", "2026-11-01"], "1.1.2026 is not a date")):
        bad = tmp_path / "bad.se"
        done = runner.invoke(args=["export-sie", *args, "-o", str(bad)])
        assert done.exit_code != 0 and message in done.output, done.output
        assert not bad.exists()
    done = runner.invoke(args=["export-sie", "--from", "2026-01-01", "--to", "2026-01-31",
                               "-o", str(tmp_path / "no" / "such" / "x.se")])
    assert done.exit_code != 0 and "does not exist" in done.output
    done = runner.invoke(args=["export-sie", "--to", "2026-01-31", "-o", str(out)])
    assert done.exit_code != 0 and "--from" in done.output
