"""Year-end (issue 12 item 12, 20.07): the result moved to equity, the next year opening with the
closing balances, the year locked; refusals (services.ledger.year_end)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text

from models import Account, AuditLog, FinancialYear, OpeningBalance, Voucher, VoucherRow
from services.ledger import LedgerError, balances, sie_export
from services.ledger.vouchers import Row, book_voucher, check_open, ensure_year, lock_through, locked_through
from services.ledger.year_end import YEAR_END_SERIES, close_year, preview, set_equity_account

pytestmark = pytest.mark.usefixtures("english")

Y1 = dt.date(2025, 1, 1)
Y2 = dt.date(2026, 1, 1)


def _year(session, day=Y2) -> FinancialYear:
    year = ensure_year(session, day)
    session.commit()
    return year


def _sale(session, day, amount="1000.00"):
    """A cash sale with 25 % VAT: 1930 debit, 3001 and 2611 credit."""
    net = D(amount)
    book_voucher(session, "M", day, [Row("1930", net * D("1.25")), Row("3001", -net), Row("2611", -net * D("0.25"))],
                 "Försäljning", None)


def _cost(session, day, amount="300.00"):
    book_voucher(session, "M", day, [Row("6990", D(amount)), Row("1930", -D(amount))], "Kostnad", None)


def test_closing_books_the_result_creates_the_next_year_and_locks(session):
    year = _year(session)
    _sale(session, dt.date(2026, 3, 10))
    _cost(session, dt.date(2026, 12, 31))
    session.commit()
    plan = preview(session, year)
    assert plan.result == D("-700.00") and plan.profit == D("700.00")
    assert plan.can_close and plan.next_year is None
    assert [(r.account, r.amount) for r in plan.rows] == [("8999", D("700.00")), ("2099", D("-700.00"))]
    closed = close_year(session, year, None)
    session.commit()
    voucher = closed.voucher
    assert (voucher.series, voucher.number, voucher.date, voucher.source_kind) == (
        YEAR_END_SERIES, 1, dt.date(2026, 12, 31), "year_end")
    assert sorted((r.account_number, r.amount) for r in voucher.rows) == [("2099", D("-700.00")), ("8999", D("700.00"))]
    assert year.closed
    assert locked_through(session) == dt.date(2026, 12, 31)
    nxt = closed.next_year
    assert (nxt.start_date, nxt.end_date, nxt.closed) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31), False)
    # the result accounts sum to zero after the transfer; the balance sheet balances
    result_sum = session.scalar(select(func.sum(VoucherRow.amount)).where(
        VoucherRow.account_number >= "3000", VoucherRow.account_number <= "8999"))
    assert D(result_sum) == 0
    # the next year's opening balances (balances.py and the SIE export) are the closing balances
    summary = balances.balance_summary(session, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    opening = {l.number: l.opening for l in summary.lines}
    assert opening == {"1930": D("950.00"), "2611": D("-250.00"), "2099": D("-700.00")}
    sie_years = sie_export.years_of(session, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    ib, _ub, _res = sie_export.balances(session, sie_years, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert {(b.account, b.amount) for b in ib if b.year == 0} == set(opening.items())
    # the year takes no more vouchers, whatever the path
    with pytest.raises(LedgerError, match="locked"):
        check_open(session, dt.date(2026, 12, 31))
    # the change of the year is in the audit log
    assert session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.table_name == "financial_year", AuditLog.record_id == str(year.id),
        AuditLog.field == "closed", AuditLog.action == "update")) == 1


def test_a_loss_is_booked_the_other_way(session):
    year = _year(session)
    _cost(session, dt.date(2026, 5, 5), "400.00")
    session.commit()
    closed = close_year(session, year, None)
    assert sorted((r.account_number, r.amount) for r in closed.voucher.rows) == [
        ("2099", D("400.00")), ("8999", D("-400.00"))]
    assert preview(session, year).profit == D("-400.00")  # the closed year still shows its result


def test_a_zero_result_books_nothing_but_closes(session):
    year = _year(session)
    book_voucher(session, "M", dt.date(2026, 2, 2), [Row("1930", D("50")), Row("1910", D("-50"))], "Kassa", None)
    session.commit()
    closed = close_year(session, year, None)
    session.commit()
    assert closed.voucher is None and year.closed
    assert session.scalar(select(func.count()).select_from(Voucher).where(Voucher.series == YEAR_END_SERIES)) == 0


def test_closing_twice_is_refused_and_books_once(session):
    year = _year(session)
    _sale(session, dt.date(2026, 3, 10))
    session.commit()
    close_year(session, year, None)
    session.commit()
    with pytest.raises(LedgerError, match="closed already"):
        close_year(session, year, None)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Voucher).where(Voucher.source_kind == "year_end")) == 1


def test_the_previous_year_must_be_closed_first(session):
    first = _year(session, Y1)
    second = _year(session, Y2)
    _sale(session, dt.date(2025, 6, 1))
    session.commit()
    plan = preview(session, second)
    assert not plan.can_close and "previous financial year" in plan.problems[0]
    with pytest.raises(LedgerError, match="previous financial year 2025-01-01"):
        close_year(session, second, None)
    session.rollback()
    assert not session.get(FinancialYear, second.id).closed
    close_year(session, session.get(FinancialYear, first.id), None)
    session.commit()
    close_year(session, session.get(FinancialYear, second.id), None)  # 2026 has no result of its own
    session.commit()
    assert session.get(FinancialYear, second.id).closed


def test_an_unbalanced_balance_sheet_is_refused(session):
    """Opening balances that do not sum to zero (written past the SIE import, which refuses
    them) leave the balance sheet off by their sum: closing is refused and nothing is booked.
    (An earlier year left open is no such case: its result opens on equity, see below.)"""
    second = _year(session, Y2)
    session.add(OpeningBalance(financial_year_id=second.id, account_number="1930", amount=D("1000.00")))
    _cost(session, dt.date(2026, 2, 1))
    session.commit()
    with pytest.raises(LedgerError, match="balance sheet does not balance with the result: they differ by 1,000.00"):
        close_year(session, second, None)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Voucher).where(Voucher.source_kind == "year_end")) == 0
    assert locked_through(session) is None


def test_an_unbalanced_voucher_is_refused(session):
    year = _year(session)
    _sale(session, dt.date(2026, 3, 10))
    session.commit()
    # a row slipped in past the service (an import gone wrong): the voucher no longer balances
    voucher = session.scalar(select(Voucher))
    session.execute(text("INSERT INTO voucher_row (voucher_id, account_number, amount, date) "
                         "VALUES (:v, '1930', 1, :d)"), {"v": voucher.id, "d": dt.date(2026, 3, 10)})
    session.commit()
    with pytest.raises(LedgerError, match="do not balance: M1"):
        close_year(session, year, None)
    session.rollback()
    assert not session.get(FinancialYear, year.id).closed


def test_the_year_closes_after_the_december_vat_settlement_locked_its_last_day(session):
    """The usual order: December's VAT is settled in February (the lock goes through 2026-12-31),
    the accounts are closed in March. The closing voucher is booked on 2026-12-31 all the same
    (the database's guard lets its series through); any other voucher on that day is refused,
    by the service and by the database."""
    year = _year(session)
    _sale(session, dt.date(2026, 3, 10))
    session.commit()
    lock_through(session, dt.date(2026, 12, 1), None)
    session.commit()
    with pytest.raises(LedgerError, match="locked through 2026-12-31"):
        book_voucher(session, "M", dt.date(2026, 12, 31), [Row("1930", D("1")), Row("3001", D("-1"))], "Sent", None)
    session.rollback()
    voucher = session.scalar(select(Voucher).where(Voucher.series == "M").limit(1))
    with pytest.raises(Exception, match="locked"):  # past the service: a manual voucher's row on the locked day
        session.execute(text("INSERT INTO voucher_row (voucher_id, account_number, amount, date) "
                             "VALUES (:v, '1930', 1, :d)"), {"v": voucher.id, "d": dt.date(2026, 12, 31)})
    session.rollback()
    assert preview(session, year).problems == []
    closed = close_year(session, year, None)
    session.commit()
    assert (closed.voucher.series, closed.voucher.date) == (YEAR_END_SERIES, dt.date(2026, 12, 31))
    assert sum(r.amount for r in closed.voucher.rows) == 0 and session.get(FinancialYear, year.id).closed


def test_the_equity_account_is_a_setting_and_seeded_when_missing(session):
    year = _year(session)
    _sale(session, dt.date(2026, 3, 10))
    session.commit()
    session.execute(text("DELETE FROM account WHERE number = '2099'"))
    session.commit()
    closed = close_year(session, year, None)
    assert session.scalar(select(Account.name).where(Account.number == "2099")) == "Årets resultat"
    assert {r.account_number for r in closed.voucher.rows} == {"2099", "8999"}
    session.rollback()
    closed = close_year(session, session.get(FinancialYear, year.id), None, {"ledger.account.equity": "2091"})
    assert {r.account_number for r in closed.voucher.rows} == {"2091", "8999"}
    session.rollback()
    with pytest.raises(LedgerError, match="Account 2097 does not exist"):
        close_year(session, session.get(FinancialYear, year.id), None, {"ledger.account.equity": "2097"})


def test_the_equity_setting_is_checked_and_used(session):
    from services.platform.settings import load_settings

    year = _year(session)
    _sale(session, dt.date(2026, 3, 10))
    session.commit()
    for bad, message in (("", "four digits beginning with 20"), ("1930", "four digits beginning with 20"),
                         ("2097", "Account 2097 does not exist")):
        with pytest.raises(LedgerError, match=message):
            set_equity_account(session, bad)
        session.rollback()
    session.add(Account(number="2097", name="Fel typ", type="liability"))
    session.commit()
    with pytest.raises(LedgerError, match="not an equity account"):
        set_equity_account(session, "2097")
    session.rollback()
    set_equity_account(session, "2091")
    session.commit()
    settings = load_settings(session)
    assert settings["ledger.account.equity"] == "2091"
    assert [r.account for r in preview(session, year, settings).rows] == ["8999", "2091"]


def test_while_last_year_is_open_its_result_opens_on_equity_and_opening_balances_sum_to_zero(session):
    """The walk's defect: with 2025 not closed, the saldobalans' opening balances of 2026 summed to
    the 2025 result, and the SIE export's #IB with them (our own SIE import refused the file).
    The result not yet moved opens on 2099; once 2025 is closed it is there by its voucher, once."""
    from services.platform.settings import load_settings

    ensure_year(session, Y1)
    year = _year(session)
    _sale(session, dt.date(2025, 6, 1))  # 2025: a profit of 1 000
    _cost(session, dt.date(2025, 6, 2))  # and 300 of costs: the result is -700 (credit)
    _sale(session, dt.date(2026, 2, 1), "200.00")
    session.commit()
    equity = session.scalar(select(Account).where(Account.number == "2099"))

    def figures():
        summary = balances.balance_summary(session, Y2, dt.date(2026, 12, 31))
        opening = {l.number: l.opening for l in summary.lines}
        export = sie_export.build_export(session, Y2, dt.date(2026, 12, 31), load_settings(session))
        ib = {b.account: b.amount for b in export.opening if b.year == 0}
        return opening, ib, balances.general_ledger(session, equity, Y2, dt.date(2026, 12, 31)).opening

    opening, ib, ledger_opening = figures()
    assert summary_total(opening) == 0 and sum(ib.values()) == 0
    assert opening["2099"] == ib["2099"] == ledger_opening == D("-700.00")
    assert opening["3001"] == 0  # a result account opens each year at zero (it moves in 2026)
    close_year(session, session.get(FinancialYear, ensure_year(session, Y1).id), None)
    session.commit()
    assert figures() == (opening, ib, ledger_opening)  # the same figures, now from the closing voucher
    assert balances.carried_result(session, Y2) == 0


def summary_total(opening: dict) -> D:
    return sum(opening.values(), D(0))
