"""Spreadsheet exports written row by row (openpyxl's write-only mode, issue 9 item 21), and
the same rows as CSV.

A write-only workbook keeps no rows in memory: they go to a temporary file as they come, so an
export of a whole register costs the same memory as one of ten rows. The CSV is sent as it is
written, in the form a spreadsheet of the user's language opens: in Swedish and German
semicolons and a decimal comma (1250,50), with a byte-order mark so that å, ä and ö survive."""
from __future__ import annotations

import csv
import io
import re
import tempfile
from decimal import Decimal
from collections.abc import Iterable, Iterator

from babel.numbers import get_decimal_symbol

from services.platform import spreadsheets

CHUNK_BYTES = 64 * 1024


def stream_workbook(titles: list[str], rows: Iterable[list], sheet_title: str = "Export") -> Iterator[bytes]:
    """The bytes of an .xlsx file with ``titles`` and every one of ``rows``; the rows are read
    once, in order, and written to a temporary file before the file is sent."""
    workbook, _count = spreadsheets.workbook_of(titles, rows, sheet_title)
    with tempfile.TemporaryFile() as fh:
        workbook.save(fh)
        fh.seek(0)
        while chunk := fh.read(CHUNK_BYTES):
            yield chunk


# text a spreadsheet would run as a formula (=, @, or + and - not starting a number or a phone)
FORMULA_START = re.compile(r"^(?:[=@\t\r]|[+-](?![\d ]))")


def _csv_value(value, comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = f"{value:f}"
        return text.replace(".", ",") if comma else text
    text = str(value)
    return "'" + text if FORMULA_START.match(text) else text


def stream_csv(titles: list[str], rows: Iterable[list], locale: str = "sv", chunk_rows: int = 500) -> Iterator[str]:
    """A CSV file with ``titles`` and every one of ``rows``, a chunk of rows at a time; in a
    language with a decimal comma the fields are separated by semicolons."""
    comma = get_decimal_symbol(locale) == ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if comma else ",", lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow([_csv_value(t, comma) for t in titles])
    count = 0
    for row in rows:
        writer.writerow([_csv_value(v, comma) for v in row])
        count += 1
        if count % chunk_rows == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
