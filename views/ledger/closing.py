"""Bokföring > Bokslut (year-end, 20.07): the preview of closing a financial year and "Close the
year"; Periodiseringsmallar (accrual templates, 20.14); Budget (20.15). Thin: the rules are in
services.ledger.year_end, accruals and budget; rights are checked on the server: ledger.lock
closes a year (it books the result and locks the year), ledger.book creates and generates accrual
templates and saves budgets, ledger.view reads."""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from models import Account, AccrualTemplate, FinancialYear, db
from services import DomainError
from services.ledger import accruals, year_end
from services.platform.settings import load_settings
from views.ledger.ledger import LEDGER, WholeBooks, _need
from views.platform.base import SecureBaseView, has_right


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
        plan = year_end.preview(db.session, year, load_settings(db.session)) if year is not None else None
        return self.render("ledger/year_end.html", years=years, year=year, plan=plan,
                           may_close=has_right("ledger.lock"))

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
            flash(_("%(n)s vouchers were booked for %(t)s (%(a)s – %(b)s).", n=len(booked), t=template.name,
                    a=booked[0].label, b=booked[-1].label), "success")
        return redirect(self.get_url(".index"))


def register(admin) -> None:
    admin.add_view(YearEndView(name=_l("Year-end"), category=LEDGER, endpoint="year_end",
                               url="/admin/ledger/year-end"))
    admin.add_view(AccrualView(name=_l("Accrual templates"), category=LEDGER, endpoint="accruals",
                               url="/admin/ledger/accruals"))
