"""Bokföring > Bokslut (year-end, 20.07): the preview of closing a financial year and "Close the
year". Thin: the rules are in services.ledger.year_end; ledger.lock is checked on the server
(closing books the result and locks the year), ledger.view reads the preview."""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from models import FinancialYear, db
from services import DomainError
from services.ledger import year_end
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


def register(admin) -> None:
    admin.add_view(YearEndView(name=_l("Year-end"), category=LEDGER, endpoint="year_end",
                               url="/admin/ledger/year-end"))
