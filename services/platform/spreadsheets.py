"""Rows into an .xlsx workbook in openpyxl's write-only mode (issue 9 item 21, issue 11 item 3):
each row goes to openpyxl's temporary file as it comes, none is kept, so a whole register costs
the same memory as ten rows. Used by the list's export (reports.platform.xlsx, streamed to the
browser) and by the export job (services.platform.list_jobs, written to the job's file)."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# a sheet holds 1,048,576 rows: the header and this many rows, then the next sheet
ROWS_PER_SHEET = 1_048_575


def cell(sheet, value):
    """A write-only cell: amounts stay numbers (the spreadsheet shows them with the reader's
    decimal comma), text is text (a name typed as "=HYPERLINK(...)" is no formula), characters
    XML cannot hold are dropped."""
    if value is None:
        return None
    if not isinstance(value, (int, float, Decimal)) or isinstance(value, bool):
        value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    written = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        written.data_type = "s"
    return written


def workbook_of(titles: list[str], rows: Iterable[list], sheet_title: str = "Export") -> tuple[Workbook, int]:
    """A write-only workbook with ``titles`` and every one of ``rows`` (read once, in order),
    and the number of rows; a new sheet after every ROWS_PER_SHEET rows."""
    sheet_title = sheet_title[:28] or "Export"
    workbook = Workbook(write_only=True)
    sheet, count, number, written = None, ROWS_PER_SHEET, 0, 0
    for row in rows:
        if count == ROWS_PER_SHEET:
            number += 1
            sheet = workbook.create_sheet(sheet_title if number == 1 else f"{sheet_title} {number}")
            sheet.append([cell(sheet, t) for t in titles])
            count = 0
        sheet.append([cell(sheet, v) for v in row])
        count += 1
        written += 1
    if sheet is None:
        sheet = workbook.create_sheet(sheet_title)
        sheet.append([cell(sheet, t) for t in titles])
    return workbook, written
