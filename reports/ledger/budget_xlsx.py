"""The budget's spreadsheets (20.15): the grid out and in, and the report "budget vs outcome".
The figures come from services.ledger.budget; this module only lays them out and reads them."""
from __future__ import annotations

import io
import zipfile

from flask_babel import gettext as _
from openpyxl import load_workbook

from models import FinancialYear
from services.ledger import LedgerError
from services.ledger import budget as rules
from services.platform.spreadsheets import workbook_of

MAX_ROWS = 2000  # a chart of accounts, not a register


def _save(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def grid_xlsx(session, year: FinancialYear) -> bytes:
    """Account, name, then one column per month ("2026-01"): the budget as the grid shows it."""
    months = rules.months_of(year)
    budgets = rules.budget_of(session, year)
    rows = [[a.number, a.name, *[budgets.get(a.number, {}).get(m) for m in months]]
            for a in rules.grid_accounts(session, year)]
    workbook, _count = workbook_of([_("Account"), _("Name"), *[m.isoformat()[:7] for m in months]], rows,
                                   _("Budget"))
    return _save(workbook)


def read_grid(data: bytes) -> list[tuple]:
    """The first sheet's rows as values; LedgerError when the file is no XLSX workbook."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise LedgerError(_("The file is not an Excel workbook (.xlsx)."), "file") from None
    sheet = book.worksheets[0]
    rows = []
    for row in sheet.iter_rows(values_only=True):
        rows.append(tuple(row))
        if len(rows) > MAX_ROWS:
            raise LedgerError(_("The file has more than %(n)s rows.", n=MAX_ROWS), "file")
    book.close()
    return rows


def report_xlsx(result: rules.BudgetReport) -> bytes:
    """One row per account and month: budget, outcome, difference; then the account's year."""
    rows = []
    for line in result.lines:
        for month, b, o in zip(result.months, line.budget, line.outcome):
            rows.append([line.number, line.name, month.isoformat()[:7], b, o, o - b])
        rows.append([line.number, line.name, _("Total"), line.budget_total, line.outcome_total,
                     line.difference_total])
    workbook, _count = workbook_of([_("Account"), _("Name"), _("Month"), _("Budget"), _("Outcome"), _("Difference")],
                                   rows, _("Budget vs outcome"))
    return _save(workbook)


def file_name(year: FinancialYear, kind: str) -> str:
    return f"{kind}-{year.start_date.isoformat()}-{year.end_date.isoformat()}.xlsx"
