"""Booking prints (PDF via xhtml2pdf) in the customer's language, and the logbook as PDF/XLSX."""
from __future__ import annotations

import base64
import datetime as dt
import io
import itertools

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from xhtml2pdf import pisa

from models import Booking
from services import DomainError
from services.bookings.bookings import KIND_LABELS, STATUS_LABELS, status_of

TEMPLATES = {"confirmation": "reports/bookings/booking_confirmation.html", "contract": "reports/bookings/booking_contract.html",
             "return": "reports/bookings/booking_return.html", "certificate": "reports/bookings/booking_certificate.html"}


def _pdf(html: str) -> bytes:
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if result.err:
        raise DomainError(_("The PDF could not be produced."))
    return out.getvalue()


def check_printable(booking: Booking, doc: str, settings: dict) -> None:
    """Confirmation any time; contract after issue (before, when the setting allows); return
    confirmation after the return; test-drive certificate for test drives after the issue."""
    if doc == "contract" and booking.issued_at is None and not settings.get("booking.contract_before_issue"):
        raise DomainError(_("The contract can be printed after the issue."))
    if doc == "return" and booking.returned_at is None:
        raise DomainError(_("The return confirmation can be printed after the return."))
    if doc == "certificate" and (booking.kind != "test_drive" or booking.issued_at is None):
        raise DomainError(_("The test-drive certificate is for issued test drives."))


def booking_pdf(booking: Booking, doc: str, settings: dict, now: dt.datetime) -> bytes:
    check_printable(booking, doc, settings)
    language = (booking.customer.language if booking.customer else None) or "sv"
    signature = None
    if doc == "return" and booking.return_signature:
        signature = "data:image/png;base64," + base64.b64encode(booking.return_signature).decode()
    with force_locale(language if language in ("sv", "de", "en") else "sv"):
        html = render_template(TEMPLATES[doc], b=booking, settings=settings, now=now, signature=signature,
                               status=status_of(booking.issued_at, booking.returned_at, booking.end_at,
                                                booking.billing is not None, now))
    return _pdf(html)


def logbook_groups(rows: list[Booking], key) -> list[dict]:
    """The rows (ordered by group) cut into their groups: name, rows, number and km driven."""
    groups = []
    for name, members in itertools.groupby(rows, key=key):
        members = list(members)
        km = sum(b.km_driven for b in members if b.km_driven is not None)
        groups.append({"name": name or "–", "rows": members, "km": km})
    return groups


def logbook_pdf(rows: list[Booking], key, grouping: str, settings: dict, now: dt.datetime) -> bytes:
    """The logbook as the screen groups it: a heading row per vehicle (or plate) with its
    number of bookings and km driven, its bookings under it."""
    html = render_template("reports/bookings/booking_logbook.html", groups=logbook_groups(rows, key), grouping=grouping,
                           total=len(rows), settings=settings, now=now, status_of=status_of)
    return _pdf(html)


def logbook_xlsx(rows: list[Booking], now: dt.datetime) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Logbook"
    ws.append([_("Number"), _("Kind"), _("Vehicle"), _("Trade plate"), _("Customer"), _("Driver"), _("Start"),
               _("End"), _("Issued"), _("Odometer at issue (km)"), _("Returned"), _("Odometer at return (km)"),
               _("Km driven"), _("Status")])
    for b in rows:
        ws.append([b.number, str(KIND_LABELS[b.kind]), b.vehicle.registration_number if b.vehicle else "", str(b.trade_plate or ""),
                   b.customer_name, b.driver_name or "", b.start_at, b.end_at, b.issued_at, b.issue_odometer,
                   b.returned_at, b.return_odometer, b.km_driven,
                   str(STATUS_LABELS[status_of(b.issued_at, b.returned_at, b.end_at, b.billing is not None, now)])])
    for column in "GHIK":
        for cell in ws[column][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm"
        ws.column_dimensions[column].width = 17
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
