"""Bokföring: the SIE export page (a job; the file is downloaded from the Jobs page), the VAT
report with the VAT settlement, and the daily sales report. Thin: the rules are
services.ledger.sie_export, services.ledger.vat and services.ledger.daily_sales; every endpoint
checks a ledger right on the server (ledger.export, ledger.view, ledger.vat_settle)."""
from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from models import db
from services import DomainError
from services.ledger import daily_sales, sie_export, vat
from services.ledger.vouchers import year_of
from views.ledger.ledger import WholeBooks  # the whole books: refused to users limited to assigned customers
from views.platform.base import SecureBaseView, has_right

LEDGER = _l("Ledger")


def _year_span() -> tuple[dt.date, dt.date]:
    today = dt.date.today()
    year = year_of(db.session, today)
    if year is not None:
        return year.start_date, year.end_date
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)


class SieExportView(WholeBooks, SecureBaseView):
    """SIE-export: choose the period and the options; the export runs as a job."""

    right_area = "ledger"
    view_rights = ("export",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        errors: dict[str, str] = {}
        start, end = _year_span()
        form = {"from": start.isoformat(), "to": end.isoformat()}
        from services.platform.settings import load_settings

        checksum_default = bool(load_settings(db.session).get(sie_export.CHECKSUM_SETTING))
        if request.method == "POST":
            form = request.form
            try:
                job = sie_export.start_export_job(
                    db.session, current_app.extensions["jobs"].enqueue, current_user, form.get("from"), form.get("to"),
                    checksum="checksum" in form, plain="plain" in form, used_only="used_only" in form)
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
            else:
                flash(Markup('%s <a href="%s" id="sie-job-link">%s</a>') % (
                    _("The SIE export is started."), url_for("jobs.index", _anchor=f"job-{job.id}"),
                    _("Download the file from the Jobs page when it is done.")), "info")
                return redirect(url_for("jobs.index", _anchor=f"job-{job.id}"), 303)
        return self.render("ledger/sie_export.html", form=form, errors=errors, checksum_default=checksum_default,
                           posted=request.method == "POST")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(data: bytes, mimetype: str, name: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _recent_periods(today: dt.date) -> list[str]:
    """The periods offered as links: the last 12 months, the last 4 quarters, this and last year."""
    months, quarters = [], []
    year, month = today.year, today.month
    for _n in range(12):
        months.append(f"{year}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    q_year, quarter = today.year, (today.month + 2) // 3
    for _n in range(4):
        quarters.append(f"{q_year}-Q{quarter}")
        quarter -= 1
        if quarter == 0:
            q_year, quarter = q_year - 1, 4
    return months + quarters + [str(today.year), str(today.year - 1)]


def _vat_period(text: str | None):
    """vat.parse_period, a blank period asked for in words (not "  is not a period; ...")."""
    if not (text or "").strip():
        raise DomainError(_("Choose a period."), "period")
    return vat.parse_period(text)


class VatReportView(WholeBooks, SecureBaseView):
    """Momsrapport: the boxes of the VAT return for a month, quarter or year; PDF, XLSX; the
    VAT settlement (ledger.vat_settle)."""

    right_area = "ledger"
    view_rights = ("reports",)

    def _period(self, value: str | None):
        today = dt.date.today()
        text = value if value is not None else f"{today.year}-{today.month:02d}"
        return text, _vat_period(text)

    @expose("/")
    def index(self):
        return self._page(request.args.get("period"))

    def _page(self, text, settle_error: str | None = None, status: int = 200):
        errors, report = {}, None
        try:
            text, (_kind, start, end) = self._period(text)
            report = vat.vat_report(db.session, start, end)
        except DomainError as exc:
            errors[exc.field or "period"] = exc.message
        fmt = request.args.get("format")
        if report is not None and fmt in ("pdf", "xlsx"):
            from reports.ledger import ledger_reports as lr
            from services.platform.settings import load_settings

            if fmt == "pdf":
                return _download(lr.vat_pdf(report, load_settings(db.session)), "application/pdf",
                                 lr.vat_file_name(report, "pdf"))
            return _download(lr.vat_xlsx(report), XLSX, lr.vat_file_name(report, "xlsx"))
        # a period not ended yet is never settled (the settlement locks the books through its last day)
        not_ended = vat.unfinished(report.end, dt.date.today()) if report else None
        return self.render("ledger/vat_report.html", report=report, period=text or "", errors=errors,
                           boxes=vat.BOXES, periods=_recent_periods(dt.date.today()),
                           period_name=vat.period_name(report.start, report.end) if report else "",
                           may_settle=has_right("ledger.vat_settle"), whole=vat.whole_kronor,
                           not_ended=not_ended, settle_error=settle_error), status

    @expose("/settle", methods=("POST",))
    def settle(self):
        if not has_right("ledger.vat_settle"):
            abort(403)
        text = request.form.get("period") or ""
        try:
            _kind, start, end = _vat_period(text)
            from services.platform.settings import load_settings

            voucher = vat.settle(db.session, start, end, current_user, load_settings(db.session),
                                 today=dt.date.today())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            # the reason beside the button, on the period's page; nothing booked, nothing locked
            return self._page(text, settle_error=exc.message, status=400)
        flash(_("The VAT of %(p)s is settled: voucher %(v)s booked, the books are locked through %(d)s.",
                p=vat.period_name(start, end), v=voucher.label, d=end.isoformat()), "success")
        return redirect(url_for(".index", period=text), 303)


class DailySalesView(WholeBooks, SecureBaseView):
    """Dagsrapport: per day, invoiced net, VAT per rate, gross, credit notes, payments per method."""

    right_area = "ledger"
    view_rights = ("reports",)

    @expose("/")
    def index(self):
        today = dt.date.today()
        errors, report = {}, None
        raw = {"from": request.args.get("from") or dt.date(today.year, today.month, 1).isoformat(),
               "to": request.args.get("to") or today.isoformat()}
        try:
            start, end = sie_export.parse_period(raw["from"], raw["to"])
            from services.platform.settings import load_settings

            report = daily_sales.daily_sales(db.session, start, end, load_settings(db.session))
        except DomainError as exc:
            errors[exc.field or "from"] = exc.message
        fmt = request.args.get("format")
        if report is not None and fmt in ("pdf", "xlsx"):
            from reports.ledger import ledger_reports as lr
            from services.platform.settings import load_settings

            if fmt == "pdf":
                return _download(lr.daily_pdf(report, load_settings(db.session)), "application/pdf",
                                 lr.daily_file_name(report, "pdf"))
            return _download(lr.daily_xlsx(report), XLSX, lr.daily_file_name(report, "xlsx"))
        rates = daily_sales.RATES
        return self.render("ledger/daily_sales.html", report=report, form=raw, errors=errors, rates=rates)


def register(admin) -> None:
    admin.add_view(SieExportView(name=_l("SIE export"), category=LEDGER, endpoint="sie_export",
                                 url="/admin/ledger/sie-export"))
    admin.add_view(VatReportView(name=_l("VAT report"), category=LEDGER, endpoint="vat_report",
                                 url="/admin/ledger/vat-report"))
    admin.add_view(DailySalesView(name=_l("Daily sales report"), category=LEDGER, endpoint="daily_sales",
                                  url="/admin/ledger/daily-sales"))
