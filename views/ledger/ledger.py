"""Bokföring: chart of accounts, vouchers (list, card, reversal), the manual voucher form,
account balance summary (saldobalans), general ledger (huvudbok), voucher journal
(verifikationslista) and the period lock.

Thin views: the rules are in services.ledger; every endpoint checks a ledger right on the
server (ledger.view to read, ledger.book to book and keep the chart, ledger.lock to lock)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField

from models import Account, Invoice, Voucher, db
from services import DomainError
from services.ledger import LedgerError, accounts, balances
from services.ledger.vouchers import (MANUAL_SERIES, Row, book_voucher, locked_through, lock_through,
                                      reverse_manual_voucher, why_not_reversed_by_hand)
from services.platform import visibility
from services.platform.audit import history_of
from services.platform.formatting import money
from services.platform.numbers import parse_decimal
from views.platform.base import SecureBaseView, SecureModelView, has_right

LEDGER = _l("Ledger")

ACCOUNT_TYPE_LABELS = {"asset": _l("Asset"), "liability": _l("Liability"), "equity": _l("Equity"),
                       "income": _l("Income"), "expense": _l("Expense")}
# every source kind the ledger's services book (Voucher.source_kind; tests/unit/ledger/test_source_labels.py)
SOURCE_LABELS = {"invoice": _l("Invoice"), "credit_note": _l("Credit note"), "payment": _l("Payment"),
                 "payment_match": _l("Payment match"), "write_off": _l("Customer loss"),
                 "vat_settlement": _l("VAT settlement"), "accrual": _l("Accrual"), "year_end": _l("Year-end"),
                 "manual": _l("Manual voucher"), "reversal": _l("Reversal")}
MANUAL_ROWS = 8  # rows of the manual voucher form (more are added in the browser)


def _need(right: str) -> None:
    if not has_right(right) or visibility.limited(current_user):
        abort(403)


class WholeBooks:
    """The books are the whole company's (voucher texts name customers): a user limited to
    assigned customers gets no ledger screen, whatever his ledger rights."""

    def is_accessible(self) -> bool:
        return super().is_accessible() and not visibility.limited(current_user)


def _today() -> dt.date:
    return dt.date.today()


def _date_arg(name: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return default


def _period() -> tuple[dt.date, dt.date]:
    today = _today()
    date_from = _date_arg("from", dt.date(today.year, 1, 1))
    date_to = _date_arg("to", dt.date(today.year, 12, 31))
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    return date_from, date_to


def source_link(voucher: Voucher):
    """The voucher's source as a link (an invoice or credit note, the voucher it reverses)."""
    label = SOURCE_LABELS.get(voucher.source_kind, voucher.source_kind)
    if voucher.source_kind in ("invoice", "credit_note") and voucher.source_id:
        invoice = db.session.get(Invoice, voucher.source_id)
        if invoice is not None:
            return Markup(f'<a class="voucher-source" href="{url_for("invoice.details_view", id=invoice.id)}">'
                          f'{escape(label)} {escape(invoice.number)}</a>')
    if voucher.reverses is not None:
        return Markup(f'<a class="voucher-source" href="{url_for("voucher.details_view", id=voucher.reverses.id)}">'
                      f'{escape(label)} {escape(voucher.reverses.label)}</a>')
    return label


def _payment_url(voucher: Voucher) -> str | None:
    """The page of the payment that booked the voucher (where it is reversed), if any."""
    if voucher.source_kind in ("payment", "payment_match") and voucher.source_id:
        return url_for("payment.details_view", id=voucher.source_id)
    return None


# ---- chart of accounts -------------------------------------------------------------------


class AccountView(WholeBooks, SecureModelView):
    """Kontoplan: an account with transactions is never deleted, only inactivated; its
    number stays."""

    right_area = "ledger"
    view_rights = ("view",)
    edit_rights = ("book",)
    column_list = ("number", "name", "type", "vat_code", "active")
    column_labels = {"number": _l("Account"), "name": _l("Name"), "type": _l("Account type"),
                     "vat_code": _l("VAT code"), "sru_code": _l("SRU code"), "active": _l("Active")}
    column_formatters = {"type": lambda v, c, m, n: ACCOUNT_TYPE_LABELS.get(m.type, m.type)}
    column_formatters_export = column_formatters
    column_searchable_list = ("number", "name")
    column_filters = ("active", FilterEqual(Account.type, _l("Account type"),
                                            options=[(k, v) for k, v in ACCOUNT_TYPE_LABELS.items()]))
    column_default_sort = ("number", False)
    column_details_list = ("number", "name", "type", "vat_code", "sru_code", "active")
    form_columns = ("number", "name", "type", "vat_code", "sru_code", "active")
    form_overrides = {"type": SelectField}
    form_args = {"type": {"choices": [(k, v) for k, v in ACCOUNT_TYPE_LABELS.items()], "label": _l("Account type")}}
    page_size = 50

    @property
    def can_create(self):
        return self.has("book")

    @property
    def can_delete(self):
        return self.has("book")

    @property
    def can_export(self):
        return self.has("view")

    def is_action_allowed(self, name):
        return self.has("book") and super().is_action_allowed(name)

    def on_form_prefill(self, form, id):
        # the number of an account with transactions stays what the rows say
        if accounts.has_rows(db.session, form.number.data or ""):
            form.number.render_kw = {"readonly": True}

    def on_model_change(self, form, model, is_created):
        model.number, model.name = accounts.check_account(model.number, model.name, model.type)
        if not is_created:
            from sqlalchemy import inspect

            old = inspect(model).attrs.number.history.deleted
            if old and old[0] != model.number and accounts.has_rows(db.session, old[0]):
                raise LedgerError(_("Account %(n)s has transactions; its number cannot change.", n=old[0]),
                                  "number")
        model.vat_code = (model.vat_code or "").strip() or None
        model.sru_code = (model.sru_code or "").strip() or None

    def on_model_delete(self, model):
        if accounts.has_rows(db.session, model.number):
            raise LedgerError(_("Account %(n)s has transactions; it cannot be deleted, only inactivated.",
                                n=model.number))


# ---- vouchers --------------------------------------------------------------------------


def _fmt_voucher_amount(view, context, model, name):
    return money(model.amount)


class VoucherView(WholeBooks, SecureModelView):
    """Verifikationer: read-only; a voucher is corrected by a reversing voucher."""

    right_area = "ledger"
    view_rights = ("view",)
    edit_rights = ("book",)
    details_template = "ledger/voucher_details.html"
    column_list = ("series", "number", "date", "text", "amount", "source_kind")
    column_labels = {"series": _l("Series"), "number": _l("Number"), "date": _l("Date"), "text": _l("Text"),
                     "amount": _l("Amount"), "source_kind": _l("Source")}
    column_formatters = {"amount": _fmt_voucher_amount, "source_kind": lambda v, c, m, n: source_link(m)}
    column_formatters_export = {"amount": lambda v, c, m, n: m.amount,
                                "source_kind": lambda v, c, m, n: str(SOURCE_LABELS.get(m.source_kind, m.source_kind))}
    column_sortable_list = ("series", "number", "date")
    column_default_sort = [("date", True), ("id", True)]
    column_searchable_list = ("text",)
    column_filters = (FilterEqual(Voucher.series, _l("Series")),
                      FilterEqual(Voucher.source_kind, _l("Source"), options=[(k, v) for k, v in SOURCE_LABELS.items()]),
                      DateBetweenFilter(Voucher.date, _l("Date")))
    column_export_list = ("series", "number", "date", "text", "amount", "source_kind")
    can_create = False
    can_edit = False
    can_delete = False

    @property
    def can_export(self):
        return self.has("view")

    def get_query(self):
        return super().get_query().options(selectinload(Voucher.rows), selectinload(Voucher.reverses))

    @expose("/details/")
    def details_view(self):
        voucher = db.session.get(Voucher, int(request.args.get("id") or 0)) if (
            request.args.get("id") or "").isdigit() else None
        if voucher is None:
            return redirect(self.get_url(".index_view"))
        names = dict(db.session.execute(select(Account.number, Account.name).where(
            Account.number.in_({r.account_number for r in voucher.rows}))).all())
        not_here = why_not_reversed_by_hand(voucher)
        may_reverse = has_right("ledger.book") and voucher.reversed_by is None and not_here is None
        return self.render(self.details_template, voucher=voucher, names=names, source=source_link(voucher),
                           may_reverse=may_reverse, not_here=not_here if voucher.reversed_by is None else None,
                           payment_url=_payment_url(voucher), today=_today(), return_url=self.get_url(".index_view"),
                           history=history_of(db.session, Voucher.__tablename__, voucher.id),
                           debit=sum(r.amount for r in voucher.rows if r.amount > 0),
                           credit=-sum(r.amount for r in voucher.rows if r.amount < 0))

    @expose("/reverse", methods=("POST",))
    def reverse(self):
        _need("ledger.book")
        voucher = db.session.get(Voucher, int(request.form.get("voucher_id") or 0)) if (
            request.form.get("voucher_id") or "").isdigit() else None
        if voucher is None:
            abort(404)
        try:
            day = dt.date.fromisoformat(request.form.get("date") or "")
        except ValueError:
            flash(_("Give the date of the reversal."), "error")
            return redirect(self.get_url(".details_view", id=voucher.id))
        try:
            reversal = reverse_manual_voucher(db.session, voucher, day, current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(self.get_url(".details_view", id=voucher.id))
        flash(_("Voucher %(v)s reverses %(o)s.", v=reversal.label, o=voucher.label), "success")
        return redirect(self.get_url(".details_view", id=reversal.id))


# ---- manual voucher (20.05) ------------------------------------------------------------------


def _manual_rows(form) -> tuple[list[dict], int]:
    count = max(MANUAL_ROWS, sum(1 for k in form if k.startswith("rows-") and k.endswith("-account")))
    rows = [{"account": (form.get(f"rows-{n}-account") or "").strip(), "debit": form.get(f"rows-{n}-debit") or "",
             "credit": form.get(f"rows-{n}-credit") or "", "text": form.get(f"rows-{n}-text") or ""}
            for n in range(count)]
    return rows, count


class ManualVoucherView(WholeBooks, SecureBaseView):
    """Kontering (20.05): a voucher typed in as rows of account, debit and credit (series M)."""

    right_area = "ledger"
    view_rights = ("book",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        errors: dict[str, str] = {}
        form = request.form
        typed, count = _manual_rows(form)
        if request.method == "POST":
            try:
                booked_rows, positions = [], []
                for n, row in enumerate(typed):
                    debit = parse_decimal(row["debit"], 2, label=_("The debit"), field=f"rows-{n}-debit", precision=14)
                    credit = parse_decimal(row["credit"], 2, label=_("The credit"), field=f"rows-{n}-credit",
                                           precision=14)
                    if not row["account"] and not debit and not credit:
                        continue
                    if debit and credit:
                        raise LedgerError(_("A row is either debit or credit."), f"rows-{n}-credit")
                    if not debit and not credit:
                        raise LedgerError(_("Give the row's debit or credit."), f"rows-{n}-debit")
                    booked_rows.append(Row(row["account"], (debit or 0) - (credit or 0), row["text"]))
                    positions.append(n)
                try:
                    day = dt.date.fromisoformat(form.get("date") or "")
                except ValueError:
                    raise LedgerError(_("Give the voucher's date."), "date") from None
                if not (form.get("text") or "").strip():
                    raise LedgerError(_("A text is required."), "text")
                try:
                    voucher = book_voucher(db.session, MANUAL_SERIES, day, booked_rows, form.get("text"),
                                           current_user, source=("manual", None))
                except LedgerError as exc:
                    # the service names its rows by their place among the booked ones
                    field = exc.field or ""
                    if field.startswith("rows-") and field.count("-") == 2:
                        _rows, index, part = field.split("-")
                        n = positions[int(index)]
                        field = f"rows-{n}-account" if part == "account" else f"rows-{n}-debit"
                    raise LedgerError(exc.message, field) from exc
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
            else:
                flash(_("Voucher %(v)s was booked.", v=voucher.label), "success")
                return redirect(url_for("voucher.details_view", id=voucher.id))
        names = dict(db.session.execute(select(Account.number, Account.name).where(Account.active.is_(True))).all())
        return self.render("ledger/manual_voucher.html", errors=errors, form=form, rows=typed, names=names,
                           today=_today(), locked=locked_through(db.session))


# ---- reports -------------------------------------------------------------------------------


class BalanceSummaryView(WholeBooks, SecureBaseView):
    """Kontosaldo sammanställning (20.26): per account opening balance, movement, closing."""

    right_area = "ledger"

    @expose("/")
    def index(self):
        date_from, date_to = _period()
        summary = balances.balance_summary(db.session, date_from, date_to)
        return self.render("ledger/balance_summary.html", summary=summary, date_from=date_from, date_to=date_to,
                           type_labels=ACCOUNT_TYPE_LABELS)


class GeneralLedgerView(WholeBooks, SecureBaseView):
    """Huvudbok: one account's opening balance, transactions and closing balance."""

    right_area = "ledger"

    @expose("/")
    def index(self):
        date_from, date_to = _period()
        number = (request.args.get("account") or "").strip()
        account = db.session.scalar(select(Account).where(Account.number == number)) if number else None
        page = None
        if account is not None:
            after = _read_cursor(request.args.get("after"), account, date_from, date_to)
            page = balances.general_ledger(db.session, account, date_from, date_to, after)
        elif number:
            flash(_("Account %(a)s does not exist.", a=number), "error")
        choices = list(db.session.execute(select(Account.number, Account.name).order_by(Account.number)).all())
        next_page = (_write_cursor(page.next_cursor, account, date_from, date_to)
                     if page is not None and page.next_cursor else None)
        return self.render("ledger/general_ledger.html", page=page, account=account, number=number,
                           date_from=date_from, date_to=date_to, choices=choices, next_page=next_page)


def _cursors() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="general-ledger-page")


def _write_cursor(cursor: balances.LedgerCursor, account: Account, date_from: dt.date, date_to: dt.date) -> str:
    """The next page's link carries the running balance, signed with the account and the
    period, so that an edited or borrowed link cannot show a wrong balance."""
    return _cursors().dumps([account.number, date_from.isoformat(), date_to.isoformat(), cursor.date.isoformat(),
                             cursor.id, str(cursor.balance)])


def _read_cursor(value: str | None, account: Account, date_from: dt.date, date_to: dt.date):
    """The cursor of a next-page link, or None (the first page) for a missing, tampered or
    foreign one."""
    if not value:
        return None
    try:
        number, start, end, day, ident, balance = _cursors().loads(value)
        if (number, start, end) != (account.number, date_from.isoformat(), date_to.isoformat()):
            return None
        return balances.LedgerCursor(dt.date.fromisoformat(day), int(ident), Decimal(balance))
    except (BadSignature, ValueError, TypeError, ArithmeticError):
        return None


class JournalView(WholeBooks, SecureBaseView):
    """Verifikationslista: every voucher of a period with its rows."""

    right_area = "ledger"

    @expose("/")
    def index(self):
        date_from, date_to = _period()
        series = (request.args.get("series") or "").strip().upper() or None
        vouchers, next_cursor = balances.journal(db.session, date_from, date_to, series, request.args.get("after"))
        return self.render("ledger/journal.html", vouchers=vouchers, next_cursor=next_cursor, date_from=date_from,
                           date_to=date_to, series=series or "")


class PeriodLockView(WholeBooks, SecureBaseView):
    """Periodlåsning: lock the books through a month (after the VAT report)."""

    right_area = "ledger"
    view_rights = ("lock",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        errors = {}
        if request.method == "POST":
            try:
                try:
                    year, month = (int(p) for p in (request.form.get("month") or "").split("-"))
                    through = dt.date(year, month, 1)
                except ValueError:
                    raise LedgerError(_("Choose a month."), "through") from None
                lock = lock_through(db.session, through, current_user)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
            else:
                flash(_("The books are locked through %(t)s.", t=lock.locked_through.isoformat()), "success")
                return redirect(self.get_url(".index"))
        from models import LedgerPeriodLock

        history = list(db.session.scalars(select(LedgerPeriodLock).order_by(LedgerPeriodLock.id.desc()).limit(24)))
        locked = locked_through(db.session)
        return self.render("ledger/period_lock.html", locked=locked, history=history,
                           errors=errors, form=request.form)


def register(admin) -> None:
    admin.add_view(VoucherView(Voucher, db, name=_l("Vouchers"), category=LEDGER, endpoint="voucher"))
    admin.add_view(ManualVoucherView(name=_l("Manual voucher"), category=LEDGER, endpoint="manual_voucher",
                                     url="/admin/ledger/manual-voucher"))
    admin.add_view(BalanceSummaryView(name=_l("Account balances"), category=LEDGER, endpoint="balance_summary",
                                      url="/admin/ledger/balances"))
    admin.add_view(GeneralLedgerView(name=_l("General ledger"), category=LEDGER, endpoint="general_ledger",
                                     url="/admin/ledger/general-ledger"))
    admin.add_view(JournalView(name=_l("Voucher journal"), category=LEDGER, endpoint="voucher_journal",
                               url="/admin/ledger/journal"))
    admin.add_view(AccountView(Account, db, name=_l("Chart of accounts"), category=LEDGER, endpoint="account"))
    admin.add_view(PeriodLockView(name=_l("Period lock"), category=LEDGER, endpoint="period_lock",
                                  url="/admin/ledger/period-lock"))
