"""Bokföring: the SIE export page (a job; the file is downloaded from the Jobs page), the VAT
report with the VAT settlement, and the daily sales report. Thin: the rules are
services.ledger.sie_export, services.ledger.vat and services.ledger.daily_sales; every endpoint
checks a ledger right on the server (ledger.export, ledger.view, ledger.vat_settle)."""
from __future__ import annotations

import datetime as dt

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from models import db
from services import DomainError
from services.ledger import sie_export
from services.ledger.vouchers import year_of
from views.ledger.ledger import WholeBooks  # the whole books: refused to users limited to assigned customers
from views.platform.base import SecureBaseView

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


def register(admin) -> None:
    admin.add_view(SieExportView(name=_l("SIE export"), category=LEDGER, endpoint="sie_export",
                                 url="/admin/ledger/sie-export"))
