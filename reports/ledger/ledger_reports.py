"""The VAT report (momsrapport) and the daily sales report (dagsrapport) as PDF (xhtml2pdf, from
templates/reports/ledger/) and XLSX (openpyxl, services.platform.spreadsheets): the figures come
from services.ledger.vat and services.ledger.daily_sales; this module only lays them out."""
from __future__ import annotations

import datetime as dt
import io

from flask import render_template
from flask_babel import gettext as _
from xhtml2pdf import pisa

from services.ledger import vat
from services.ledger.daily_sales import RATES, DailySales
from services.platform.formatting import number
from services.platform.spreadsheets import workbook_of


def _pdf(html: str) -> bytes:
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if result.err:
        raise RuntimeError("the PDF could not be rendered")
    return out.getvalue()


def _xlsx(titles: list[str], rows: list[list], sheet: str) -> bytes:
    workbook, _count = workbook_of(titles, rows, sheet)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ---- VAT report ----------------------------------------------------------------------------


def vat_rows(report: vat.VatReport) -> list[list]:
    return [[box, str(label), report.boxes[box]] for box, label in vat.BOXES.items()]


def vat_pdf(report: vat.VatReport, settings: dict) -> bytes:
    return _pdf(render_template("reports/ledger/vat_report.html", r=report, s=settings, boxes=vat.BOXES,
                                period=vat.period_name(report.start, report.end), amount=lambda v: number(v, 2),
                                whole=lambda v: number(vat.whole_kronor(v), 0), today=dt.date.today()))


def vat_xlsx(report: vat.VatReport) -> bytes:
    rows = vat_rows(report)
    rows.append([])
    rows.append([_("Account"), _("Name"), _("Amount"), _("Box")])
    rows += [[line.number, line.name, line.amount, line.box] for line in report.accounts]
    return _xlsx([_("Box"), _("Description"), _("Amount")], rows, _("VAT report"))


def vat_file_name(report: vat.VatReport, ext: str) -> str:
    return f"momsrapport-{vat.period_name(report.start, report.end).replace(' – ', '_')}.{ext}"


# ---- daily sales report -----------------------------------------------------------------------


def daily_titles(report: DailySales) -> list[str]:
    return [_("Date"), _("Invoiced net"), *[_("VAT %(r)s %%", r=r) for r in RATES], _("Invoiced gross"),
            _("Credit notes"), *report.methods, _("Payments received")]


def daily_row(report: DailySales, d, label=None) -> list:
    return [label or d.day.isoformat(), d.invoiced_net, *[d.vat[r] for r in RATES], d.invoiced_gross,
            d.credited_gross, *[d.payments.get(m, vat.ZERO) for m in report.methods], d.payments_total]


def daily_pdf(report: DailySales, settings: dict) -> bytes:
    return _pdf(render_template("reports/ledger/daily_sales.html", r=report, s=settings, titles=daily_titles(report),
                                rows=[daily_row(report, d) for d in report.days],
                                total=daily_row(report, report.totals, _("Total")),
                                amount=lambda v: v if isinstance(v, str) else number(v, 2), today=dt.date.today()))


def daily_xlsx(report: DailySales) -> bytes:
    rows = [daily_row(report, d) for d in report.days]
    rows.append(daily_row(report, report.totals, _("Total")))
    return _xlsx(daily_titles(report), rows, _("Daily sales"))


def daily_file_name(report: DailySales, ext: str) -> str:
    return f"dagsrapport-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{ext}"
