"""Budget per account and month (issue 12 item 12, 20.15): the grid saved whole or not at all
through the one amount parser, the outcome aggregated from the voucher rows in the budget's sense,
the XLSX grid read back (services.ledger.budget, reports.ledger.budget_xlsx)."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from models import Budget
from reports.ledger import budget_xlsx
from services.ledger import LedgerError
from services.ledger.budget import BudgetError, get_year, months_of, read_grid_rows, report, save_budget
from services.ledger.vouchers import Row, book_voucher, ensure_year
from services.ledger.year_end import close_year

pytestmark = pytest.mark.usefixtures("english")


def _year(session):
    year = ensure_year(session, dt.date(2026, 1, 1))
    session.commit()
    return year


def _budgets(session):
    return {(b.account_number, b.month): b.amount for b in session.scalars(select(Budget))}


def test_the_grid_is_saved_changed_and_cleared(session):
    year = _year(session)
    assert len(months_of(year)) == 12 and months_of(year)[11] == dt.date(2026, 12, 1)
    assert save_budget(session, year, {("3001", 0): "10 000", ("3001", 1): "1 250,50", ("6990", 0): "",
                                       ("6990", 11): "300"}) == 3
    session.commit()
    assert _budgets(session) == {("3001", dt.date(2026, 1, 1)): D("10000.00"),
                                 ("3001", dt.date(2026, 2, 1)): D("1250.50"),
                                 ("6990", dt.date(2026, 12, 1)): D("300.00")}
    save_budget(session, year, {("3001", 0): "9 000", ("3001", 1): " ", ("6990", 11): "300"})
    session.commit()
    assert _budgets(session) == {("3001", dt.date(2026, 1, 1)): D("9000.00"), ("6990", dt.date(2026, 12, 1)): D("300.00")}


@pytest.mark.parametrize("typed, message", [
    ("Infinity", "must be a number"), ("NaN", "must be a number"), ("1e3", "must be a number"),
    ("12,345", "decimals|must be a number"), ("1.250,50", "must be a number"), ("tio", "must be a number"),
])
def test_a_bad_cell_saves_nothing_and_is_named(session, typed, message):
    year = _year(session)
    with pytest.raises(BudgetError) as caught:
        save_budget(session, year, {("3001", 0): "100", ("3001", 1): typed})
    assert list(caught.value.errors) == ["b-3001-1"]
    assert pytest.importorskip("re").search(message, caught.value.errors["b-3001-1"])
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Budget)) == 0


def test_an_unknown_account_or_year_is_refused(session):
    year = _year(session)
    with pytest.raises(BudgetError, match="Account 9997 does not exist"):
        save_budget(session, year, {("9997", 0): "100"})
    with pytest.raises(LedgerError, match="financial year does not exist"):
        get_year(session, "999")
    with pytest.raises(LedgerError, match="financial year does not exist"):
        get_year(session, "")


def test_budget_vs_outcome_per_month_in_the_budgets_sense(session):
    year = _year(session)
    save_budget(session, year, {("3001", 0): "1 000", ("3001", 2): "500", ("6990", 0): "200"})
    book_voucher(session, "M", dt.date(2026, 1, 15), [Row("1930", D("1125")), Row("3001", D("-900")),
                                                      Row("2611", D("-225"))], "Försäljning", None)
    book_voucher(session, "M", dt.date(2026, 1, 31), [Row("6990", D("250.25")), Row("1930", D("-250.25"))], "K", None)
    book_voucher(session, "M", dt.date(2026, 2, 1), [Row("6990", D("10")), Row("1930", D("-10"))], "K", None)
    session.commit()
    close_year(session, year, None)  # the year-end transfer (8999/2099) is no outcome
    session.commit()
    result = report(session, year)
    lines = {l.number: l for l in result.lines}
    assert set(lines) == {"3001", "6990"}
    sales, cost = lines["3001"], lines["6990"]
    assert sales.budget[:3] == [D("1000.00"), D("0"), D("500.00")]
    assert sales.outcome[:3] == [D("900.00"), D("0"), D("0")]  # income shown positive
    assert sales.difference[:3] == [D("-100.00"), D("0"), D("-500.00")]
    assert (sales.budget_total, sales.outcome_total, sales.difference_total) == (D("1500.00"), D("900.00"), D("-600.00"))
    assert cost.outcome[:2] == [D("250.25"), D("10.00")] and cost.difference[0] == D("50.25")
    # the XLSX of the report: a row per account and month, and the account's total
    book = load_workbook(io.BytesIO(budget_xlsx.report_xlsx(result)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("Account", "Name", "Month", "Budget", "Outcome", "Difference")
    assert rows[1][:3] == ("3001", "Försäljning inom Sverige, 25 % moms", "2026-01")
    assert [D(str(v)) for v in rows[1][3:]] == [D("1000"), D("900"), D("-100")]
    assert rows[13][2] == "Total" and D(str(rows[13][5])) == D("-600")


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_grid_goes_out_and_comes_back_in_as_xlsx(session):
    year = _year(session)
    save_budget(session, year, {("3001", 0): "1 250,50", ("6990", 5): "300"})
    session.commit()
    out = load_workbook(io.BytesIO(budget_xlsx.grid_xlsx(session, year)), read_only=True)
    rows = list(out.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("Account", "Name", "2026-01") and rows[0][-1] == "2026-12"
    row = next(r for r in rows if r[0] == "3001")
    assert D(str(row[2])) == D("1250.50")
    # changed in the spreadsheet: numbers as numbers, a Swedish text amount, a blank clears
    data = _xlsx([rows[0], ["3001", "x", 1300.5, "2 000,00"], ["6990", "y", None, None, None, None, None, ""]])
    values = read_grid_rows(session, year, budget_xlsx.read_grid(data))
    save_budget(session, year, values)
    session.commit()
    assert _budgets(session) == {("3001", dt.date(2026, 1, 1)): D("1300.50"), ("3001", dt.date(2026, 2, 1)): D("2000.00")}


@pytest.mark.parametrize("rows, cell, message", [
    ([["Konto", "Namn", "2026-01"], ["3001", "x", "Infinity"]], "C2", "must be a number"),
    ([["Konto", "Namn", "2026-01"], ["3001", "x", "1 250,5 kr"]], "C2", "must be a number"),
    ([["Konto", "Namn", "2027-01"], ["3001", "x", 5]], "C1", "not a month of the financial year"),
    ([["Konto", "Namn", "2026-01"], ["9996", "x", 5]], "A2", "Account 9996 does not exist"),
])
def test_a_bad_file_is_refused_naming_the_cell(session, rows, cell, message):
    year = _year(session)
    with pytest.raises(BudgetError, match=message) as caught:
        read_grid_rows(session, year, budget_xlsx.read_grid(_xlsx(rows)))
    assert cell in caught.value.errors


def test_a_file_that_is_no_workbook_is_refused(session):
    with pytest.raises(LedgerError, match="not an Excel workbook"):
        budget_xlsx.read_grid(b"Konto;Namn\n3001;x\n")
