"""Bokföring > Bokslut (year-end, 20.07): the preview of closing a financial year and "Close the
year"; Periodiseringsmallar (accrual templates, 20.14); Budget (20.15). Thin: the rules are in
services.ledger.year_end, accruals and budget; rights are checked on the server: ledger.lock
closes a year (it books the result and locks the year), ledger.book creates and generates accrual
templates and saves budgets, ledger.view reads."""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from models import Account, AccrualTemplate, FinancialYear, db
from services import DomainError
from reports.ledger import budget_xlsx
from services.ledger import LedgerError, accruals, budget, year_end
from services.platform.formatting import number
from services.platform.settings import load_settings
from views.ledger.ledger import LEDGER, WholeBooks, _need
from views.ledger.reports import XLSX, _download
from views.platform.base import SecureBaseView, has_right


MAX_UPLOAD = 5 * 1024 * 1024  # a budget grid is a few kilobytes


def _year_from(value) -> FinancialYear | None:
    value = str(value or "")
    return db.session.get(FinancialYear, int(value)) if value.isdigit() else None


class YearEndView(WholeBooks, SecureBaseView):
    """Bokslut: per financial year the closing balances, the result and what closing books."""

    right_area = "ledger"
    view_rights = ("view",)

    @expose("/")
    def index(self):
        years = list(db.session.scalars(select(FinancialYear).order_by(FinancialYear.start_date)))
        year = _year_from(request.args.get("year"))
        if year is None and years:  # the earliest open year: the one to close next
            year = next((y for y in years if not y.closed), years[-1])
        settings = load_settings(db.session)
        plan = year_end.preview(db.session, year, settings) if year is not None else None
        return self.render("ledger/year_end.html", years=years, year=year, plan=plan,
                           may_close=has_right("ledger.lock"), equity=year_end.year_end_accounts(settings)[0])

    @expose("/equity", methods=("POST",))
    def equity(self):
        _need("ledger.lock")
        try:
            account = year_end.set_equity_account(db.session, request.form.get("equity"))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("The result of the year is booked to %(a)s.", a=str(account)), "success")
        return redirect(self.get_url(".index", year=request.form.get("year_id") or None))

    @expose("/close", methods=("POST",))
    def close(self):
        _need("ledger.lock")
        year = _year_from(request.form.get("year_id"))
        if year is None:
            abort(404)
        try:
            done = year_end.close_year(db.session, year, current_user, load_settings(db.session))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        except OperationalError:  # SQLite: another user closed it at the same moment
            db.session.rollback()
            flash(_("The books are busy; try again in a moment."), "error")
        else:
            if done.voucher is not None:
                flash(_("The financial year %(y)s is closed; the result was booked on voucher %(v)s.",
                        y=str(done.year), v=done.voucher.label), "success")
            else:
                flash(_("The financial year %(y)s is closed.", y=str(done.year)), "success")
        return redirect(self.get_url(".index", year=year.id))


class AccrualView(WholeBooks, SecureBaseView):
    """Periodiseringsmallar (20.14): the templates with what has been booked; a new template;
    "Generate" books its monthly vouchers. ledger.view reads, ledger.book creates and generates."""

    right_area = "ledger"
    view_rights = ("view",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        errors: dict[str, str] = {}
        if request.method == "POST":
            _need("ledger.book")
            try:
                template = accruals.create_template(db.session, request.form, current_user)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
            else:
                flash(_("The accrual template %(t)s was saved.", t=template.name), "success")
                return redirect(self.get_url(".index"))
        accounts = list(db.session.execute(select(Account.number, Account.name).where(Account.active.is_(True))
                                           .order_by(Account.number)).all())
        return self.render("ledger/accruals.html", lines=accruals.template_lines(db.session), errors=errors,
                           form=request.form, accounts=accounts, may_book=has_right("ledger.book"),
                           schedule=accruals.schedule, series=accruals.ACCRUAL_SERIES)

    @expose("/generate", methods=("POST",))
    def generate(self):
        _need("ledger.book")
        value = request.form.get("template_id") or ""
        template = db.session.get(AccrualTemplate, int(value)) if value.isdigit() else None
        if template is None:
            abort(404)
        try:
            booked = accruals.generate(db.session, template, current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        except OperationalError:
            db.session.rollback()
            flash(_("The books are busy; try again in a moment."), "error")
        else:
            flash(_("%(n)s vouchers were booked for %(t)s: %(r)s.", n=len(booked), t=template.name,
                    r=accruals.voucher_ranges(db.session, [template.id]).get(template.id, "")), "success")
        return redirect(self.get_url(".index"))


def _budget_year(value) -> FinancialYear | None:
    years = list(db.session.scalars(select(FinancialYear).order_by(FinancialYear.start_date)))
    if value:
        return _year_from(value)
    today = dt.date.today()
    return next((y for y in years if y.start_date <= today <= y.end_date), years[-1] if years else None)


def _grid_values(form) -> dict[tuple[str, int], str]:
    values = {}
    for key, value in form.items():
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "b" and parts[2].isdigit():
            values[(parts[1], int(parts[2]))] = value
    return values


class BudgetView(WholeBooks, SecureBaseView):
    """Budget (20.15): a grid of accounts by the months of a financial year; XLSX out and in.
    ledger.view reads, ledger.book saves."""

    right_area = "ledger"
    view_rights = ("view",)

    def _page(self, year, errors=None, typed=None, status=200):
        years = list(db.session.scalars(select(FinancialYear).order_by(FinancialYear.start_date)))
        context = {"years": years, "year": year, "errors": errors or {}, "may_book": has_right("ledger.book")}
        if year is not None:
            budgets = budget.budget_of(db.session, year)
            months = budget.months_of(year)
            shown = {f"b-{n}-{i}": number(by_month[m]) for n, by_month in budgets.items()
                     for i, m in enumerate(months) if m in by_month}
            shown.update(typed or {})
            context.update(months=months, accounts=budget.grid_accounts(db.session, year), shown=shown)
        return self.render("ledger/budget.html", **context), status

    @expose("/")
    def index(self):
        value = request.args.get("year")
        year = _budget_year(value)
        if value and year is None:
            flash(_("The financial year does not exist."), "error")
        return self._page(year)

    def _posted_year(self):
        """The financial year the form names, or None with the reason flashed."""
        try:
            return budget.get_year(db.session, request.form.get("year_id"))
        except DomainError as exc:
            flash(exc.message, "error")
            return None

    @expose("/save", methods=("POST",))
    def save(self):
        _need("ledger.book")
        year = self._posted_year()
        if year is None:
            return redirect(self.get_url(".index"))
        try:
            count = budget.save_budget(db.session, year, _grid_values(request.form))
            db.session.commit()
        except budget.BudgetError as exc:
            db.session.rollback()
            return self._page(year, exc.errors, {k: v for k, v in request.form.items() if k.startswith("b-")}, 422)
        flash(_("The budget of %(y)s is saved (%(n)s months with amounts).", y=str(year), n=count), "success")
        return redirect(self.get_url(".index", year=year.id))

    @expose("/export")
    def export(self):
        year = _year_from(request.args.get("year"))
        if year is None:
            abort(404)
        return _download(budget_xlsx.grid_xlsx(db.session, year), XLSX, budget_xlsx.file_name(year, "budget"))

    @expose("/import", methods=("POST",))
    def upload(self):
        _need("ledger.book")
        year = self._posted_year()
        if year is None:
            return redirect(self.get_url(".index"))
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise LedgerError(_("Choose a file."), "file")
            data = upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise LedgerError(_("The file is larger than %(mb)s MB.", mb=MAX_UPLOAD // (1024 * 1024)), "file")
            rows = budget_xlsx.read_grid(data)
            count = budget.save_budget(db.session, year, budget.read_grid_rows(db.session, year, rows))
            db.session.commit()
        except budget.BudgetError as exc:
            db.session.rollback()
            flash(_("Nothing was imported: %(e)s", e="; ".join(f"{k}: {v}" for k, v in exc.errors.items())), "error")
        except DomainError as exc:
            db.session.rollback()
            flash(_("Nothing was imported: %(e)s", e=exc.message), "error")
        else:
            flash(_("The budget of %(y)s is saved (%(n)s months with amounts).", y=str(year), n=count), "success")
        return redirect(self.get_url(".index", year=year.id))


class BudgetReportView(WholeBooks, SecureBaseView):
    """Budget mot utfall (20.15): per account and month, as a page and as XLSX (ledger.view)."""

    right_area = "ledger"
    view_rights = ("view",)

    @expose("/")
    def index(self):
        value = request.args.get("year")
        year = _budget_year(value)
        if value and year is None:
            flash(_("The financial year does not exist."), "error")
        result = budget.report(db.session, year) if year is not None else None
        if result is not None and request.args.get("format") == "xlsx":
            return _download(budget_xlsx.report_xlsx(result), XLSX, budget_xlsx.file_name(year, "budget-utfall"))
        years = list(db.session.scalars(select(FinancialYear).order_by(FinancialYear.start_date)))
        return self.render("ledger/budget_report.html", years=years, year=year, report=result)


def register(admin) -> None:
    admin.add_view(YearEndView(name=_l("Year-end"), category=LEDGER, endpoint="year_end",
                               url="/admin/ledger/year-end"))
    admin.add_view(AccrualView(name=_l("Accrual templates"), category=LEDGER, endpoint="accruals",
                               url="/admin/ledger/accruals"))
    admin.add_view(BudgetView(name=_l("Budget"), category=LEDGER, endpoint="budget", url="/admin/ledger/budget"))
    admin.add_view(BudgetReportView(name=_l("Budget vs outcome"), category=LEDGER, endpoint="budget_report",
                                    url="/admin/ledger/budget-report"))
