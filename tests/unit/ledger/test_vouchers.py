"""Vouchers (issue 12 item 6): balanced, known active accounts, finite amounts, open periods,
gapless numbers per series and year, reversal, immutability (services.ledger.vouchers)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import delete, func, select, text, update

from models import Account, FinancialYear, Voucher, VoucherRow
from services import DomainError
from services.ledger import LedgerError
from services.ledger.vouchers import (Row, book_voucher, check_open, ensure_year, lock_through, locked_through,
                                      reverse_manual_voucher, reverse_voucher)

pytestmark = pytest.mark.usefixtures("english")

DAY = dt.date(2026, 11, 24)
CASH_SALE = [Row("1930", D("125.00")), Row("3001", D("-100.00")), Row("2611", D("-25.00"))]


def _year(session):
    return ensure_year(session, DAY)


def test_a_balanced_voucher_is_booked_with_its_rows_and_date(session):
    _year(session)
    voucher = book_voucher(session, "M", DAY, CASH_SALE, "Kontantförsäljning", None)
    session.commit()
    assert (voucher.series, voucher.number, voucher.date, voucher.source_kind) == ("M", 1, DAY, "manual")
    assert [(r.account_number, r.amount, r.date) for r in voucher.rows] == [
        ("1930", D("125.00"), DAY), ("3001", D("-100.00"), DAY), ("2611", D("-25.00"), DAY)]
    assert voucher.amount == D("125.00") and voucher.label == "M1"
    second = book_voucher(session, "m", DAY, [("1910", "10.00"), ("1930", "-10.00", "Insättning")], "Insättning", None)
    assert (second.series, second.number) == ("M", 2)
    assert second.rows[1].text == "Insättning"


@pytest.mark.parametrize("rows, field, message", [
    ([Row("1930", D("100")), Row("3001", D("-99.99"))], "rows", "does not balance: debit and credit differ by 0.01"),
    ([Row("1930", D("100")), Row("9999", D("-100"))], "rows-1-account", "Account 9999 does not exist"),
    ([Row("", D("100")), Row("3001", D("-100"))], "rows-0-account", "Give an account"),
    ([Row("1930", D("NaN")), Row("3001", D("-100"))], "rows-0-amount", "finite"),
    ([Row("1930", D("Infinity")), Row("3001", D("-Infinity"))], "rows-0-amount", "finite"),
    ([Row("1930", 100.0), Row("3001", D("-100"))], "rows-0-amount", "decimal number"),
    ([Row("1930", D("100.001")), Row("3001", D("-100.001"))], "rows-0-amount", "at most 2 decimals"),
    ([Row("1930", D("100")), Row("3001", D("0"))], "rows", "at least two rows"),
    ([], "rows", "at least two rows"),
])
def test_bad_vouchers_are_refused_and_nothing_is_booked(session, rows, field, message):
    _year(session)
    session.commit()
    with pytest.raises(LedgerError) as exc:
        book_voucher(session, "M", DAY, rows, "Fel", None)
    assert isinstance(exc.value, DomainError)
    assert exc.value.field == field and message in exc.value.message
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Voucher)) == 0


def test_an_inactive_account_and_a_bad_series_are_refused(session):
    _year(session)
    session.scalar(select(Account).where(Account.number == "3001")).active = False
    session.commit()
    with pytest.raises(LedgerError, match="Account 3001 is inactive") as exc:
        book_voucher(session, "M", DAY, CASH_SALE, "Fel", None)
    assert exc.value.field == "rows-1-account"
    for series in ("", "MANUAL", "Å", "M-1"):
        with pytest.raises(LedgerError) as exc:
            book_voucher(session, series, DAY, CASH_SALE, "Fel", None)
        assert exc.value.field == "series"


def test_a_date_outside_any_year_or_in_a_closed_year_is_refused(session):
    year = _year(session)
    with pytest.raises(LedgerError, match="No financial year covers 2031-01-05") as exc:
        book_voucher(session, "M", dt.date(2031, 1, 5), CASH_SALE, "Fel", None)
    assert exc.value.field == "date"
    year.closed = True
    session.commit()
    with pytest.raises(LedgerError, match="is closed"):
        book_voucher(session, "M", DAY, CASH_SALE, "Fel", None)
    with pytest.raises(LedgerError, match="is closed"):
        check_open(session, DAY)


def test_automatic_bookings_create_the_missing_year_in_the_pattern_of_the_others(session):
    seeded = session.scalar(select(FinancialYear))  # init-db's calendar year
    assert (seeded.start_date, seeded.end_date) == (dt.date(dt.date.today().year, 1, 1),
                                                    dt.date(dt.date.today().year, 12, 31))
    session.delete(seeded)
    session.flush()
    session.add(FinancialYear(start_date=dt.date(2025, 7, 1), end_date=dt.date(2026, 6, 30)))
    session.flush()
    later = ensure_year(session, dt.date(2027, 8, 3))
    assert (later.start_date, later.end_date) == (dt.date(2027, 7, 1), dt.date(2028, 6, 30))
    earlier = book_voucher(session, "F", dt.date(2024, 3, 1), CASH_SALE, "Gammal", None, create_year=True)
    assert (earlier.financial_year.start_date, earlier.financial_year.end_date) == (
        dt.date(2023, 7, 1), dt.date(2024, 6, 30))


def test_numbers_are_per_series_and_financial_year(session):
    _year(session)
    session.add(FinancialYear(start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31)))
    session.flush()
    got = [(v.series, v.number, v.financial_year.start_date.year) for v in (
        book_voucher(session, "M", DAY, CASH_SALE, "a", None),
        book_voucher(session, "B", DAY, CASH_SALE, "b", None),
        book_voucher(session, "M", DAY, CASH_SALE, "c", None),
        book_voucher(session, "M", dt.date(2027, 1, 2), CASH_SALE, "d", None),
        book_voucher(session, "M", DAY, CASH_SALE, "e", None),
    )]
    assert got == [("M", 1, 2026), ("B", 1, 2026), ("M", 2, 2026), ("M", 1, 2027), ("M", 3, 2026)]


def test_a_refused_voucher_gives_its_number_back(session):
    _year(session)
    book_voucher(session, "M", DAY, CASH_SALE, "a", None)
    session.commit()
    book_voucher(session, "M", DAY, CASH_SALE, "b", None)
    session.rollback()
    assert book_voucher(session, "M", DAY, CASH_SALE, "c", None).number == 2


def test_a_locked_period_refuses_every_booking_and_the_database_refuses_it_too(session):
    _year(session)
    book_voucher(session, "M", dt.date(2026, 3, 31), CASH_SALE, "före", None)
    lock = lock_through(session, dt.date(2026, 3, 12), None)
    session.commit()
    assert lock.locked_through == locked_through(session) == dt.date(2026, 3, 31)
    with pytest.raises(LedgerError, match="locked through 2026-03-31") as exc:
        book_voucher(session, "M", dt.date(2026, 3, 31), CASH_SALE, "låst", None)
    assert exc.value.field == "date"
    assert book_voucher(session, "M", dt.date(2026, 4, 1), CASH_SALE, "öppen", None).number == 2
    session.commit()
    # a lock moves only forward
    with pytest.raises(LedgerError, match="only moves forward"):
        lock_through(session, dt.date(2026, 2, 1), None)
    # a path that bypasses the service is refused by the database's trigger
    voucher_id = session.scalar(select(Voucher.id).where(Voucher.number == 2))
    with pytest.raises(Exception, match="locked"):
        session.execute(VoucherRow.__table__.insert().values(voucher_id=voucher_id, account_number="1930",
                                                             amount=D("1"), date=dt.date(2026, 1, 5)))
    session.rollback()


def test_a_reversal_negates_every_row_and_refers_both_ways(session):
    _year(session)
    original = book_voucher(session, "M", DAY, CASH_SALE, "Felbokning", None)
    reversal = reverse_voucher(session, original, dt.date(2026, 11, 25), None)
    session.commit()
    assert (reversal.series, reversal.number, reversal.reverses_id, reversal.source_kind) == (
        "M", 2, original.id, "reversal")
    assert original.reversed_by is reversal
    assert [(r.account_number, r.amount) for r in reversal.rows] == [
        ("1930", D("-125.00")), ("3001", D("100.00")), ("2611", D("25.00"))]
    assert reversal.text == "Reversal of M1: Felbokning"
    balances = dict(session.execute(select(VoucherRow.account_number, func.sum(VoucherRow.amount))
                                    .group_by(VoucherRow.account_number)).all())
    assert set(balances.values()) == {0}
    with pytest.raises(LedgerError, match="reversed already"):
        reverse_voucher(session, original, DAY, None)
    with pytest.raises(LedgerError, match="cannot be reversed"):
        reverse_voucher(session, reversal, DAY, None)


def test_only_a_manual_voucher_is_reversed_by_hand(session):
    """The voucher screen's reversal (reverse_manual_voucher) takes series M, source manual only:
    a payment's, an accrual's (series P), a VAT settlement's or a write-off's voucher is refused
    with where to reverse it, nothing booked."""
    _year(session)
    manual = book_voucher(session, "M", DAY, CASH_SALE, "Felbokning", None)
    payment = book_voucher(session, "B", DAY, [Row("1930", D("125")), Row("1510", D("-125"))], "Betalning", None,
                           source=("payment", 7))
    accrual = book_voucher(session, "P", DAY, [Row("6351", D("100")), Row("1930", D("-100"))], "Försäkring", None)
    settlement = book_voucher(session, "M", DAY, [Row("2611", D("25")), Row("2650", D("-25"))], "Moms", None,
                              source=("vat_settlement", None))
    write_off = book_voucher(session, "B", DAY, [Row("6351", D("100")), Row("1510", D("-100"))], "Förlust", None,
                             source=("write_off", 3))
    session.commit()
    with pytest.raises(LedgerError, match=r"Voucher B1 was booked by a payment: reverse the payment on the payment's"):
        reverse_manual_voucher(session, payment, DAY, None)
    for voucher in (accrual, settlement, write_off):
        with pytest.raises(LedgerError, match=f"Voucher {voucher.label} was not booked by hand"):
            reverse_manual_voucher(session, voucher, DAY, None)
    assert session.scalar(select(func.count()).select_from(Voucher).where(Voucher.reverses_id.is_not(None))) == 0
    reversal = reverse_manual_voucher(session, manual, DAY, None)
    assert reversal.reverses_id == manual.id
    with pytest.raises(LedgerError, match="cannot be reversed"):
        reverse_manual_voucher(session, reversal, DAY, None)


def test_no_code_path_changes_or_deletes_a_voucher(session):
    _year(session)
    voucher = book_voucher(session, "M", DAY, CASH_SALE, "Orörd", None)
    session.commit()
    row = voucher.rows[0]
    attempts = [
        lambda: (session.delete(voucher), session.flush()),
        lambda: (session.delete(row), session.flush()),
        lambda: (setattr(row, "amount", D("1")), session.flush()),
        lambda: (setattr(voucher, "text", "Ändrad"), session.flush()),
        lambda: session.execute(delete(VoucherRow)),
        lambda: session.execute(update(Voucher).values(text="x")),
        lambda: session.connection().execute(VoucherRow.__table__.update().values(amount=D("2"))),
    ]
    for attempt in attempts:
        with pytest.raises(LedgerError):
            attempt()
        session.rollback()
    # raw SQL past the ORM: the database's trigger
    for statement in ("UPDATE voucher_row SET amount = 7", "UPDATE voucher SET text = 'x'"):
        with pytest.raises(Exception, match="never changed"):
            session.execute(text(statement))
        session.rollback()
    session.expire_all()
    assert [(r.account_number, r.amount) for r in session.get(Voucher, voucher.id).rows] == [
        ("1930", D("125.00")), ("3001", D("-100.00")), ("2611", D("-25.00"))]
    assert session.get(Voucher, voucher.id).text == "Orörd"
