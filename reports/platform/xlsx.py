"""Spreadsheet exports written row by row (openpyxl's write-only mode, issue 9 item 21).

A write-only workbook keeps no rows in memory: they go to a temporary file as they come, so an
export of a whole register costs the same memory as one of ten rows."""
from __future__ import annotations

import tempfile
from decimal import Decimal
from collections.abc import Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# a sheet holds 1,048,576 rows: the header and this many rows, then the next sheet
ROWS_PER_SHEET = 1_048_575
CHUNK_BYTES = 64 * 1024


def _cell(sheet, value):
    if value is None:
        return None
    # amounts stay numbers (Decimal): the spreadsheet writes them with the reader's decimal comma
    if not isinstance(value, (int, float, Decimal)) or isinstance(value, bool):
        value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text as text: "=HYPERLINK(...)" typed into a name is no formula
    return cell


def stream_workbook(titles: list[str], rows: Iterable[list], sheet_title: str = "Export") -> Iterator[bytes]:
    """The bytes of an .xlsx file with ``titles`` and every one of ``rows``; the rows are read
    once, in order, and written to a temporary file before the file is sent."""
    workbook = Workbook(write_only=True)
    sheet, count, number = None, ROWS_PER_SHEET, 0
    for row in rows:
        if count == ROWS_PER_SHEET:
            number += 1
            sheet = workbook.create_sheet(sheet_title if number == 1 else f"{sheet_title} {number}")
            sheet.append([_cell(sheet, t) for t in titles])
            count = 0
        sheet.append([_cell(sheet, v) for v in row])
        count += 1
    if sheet is None:
        sheet = workbook.create_sheet(sheet_title)
        sheet.append([_cell(sheet, t) for t in titles])
    with tempfile.TemporaryFile() as fh:
        workbook.save(fh)
        fh.seek(0)
        while chunk := fh.read(CHUNK_BYTES):
            yield chunk
