"""Payments (inbetalningar, issue 12 items 1, 10, 11): the payment journal (20.22) and a
payment's card (trace a payment, 20.27), registering a payment from an invoice's card,
reversal (90.20), customer credit applied or refunded from the customer's card, the payment
methods register (Settings) and the invoice list's payment status.

Thin: every rule is in services.ledger.payments; rights payments.view and payments.register
are checked here on the server for each endpoint."""
from __future__ import annotations

import datetime as dt
import uuid

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.babel import lazy_gettext as admin_l
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, DateBetweenFilter, FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from models import Customer, Invoice, Payment, PaymentMethod, SubmittedForm, WriteOff, db
from services import DomainError
from services.ledger import payments as pay
from services.platform import search as search_service
from services.platform.audit import history_of
from services.platform.formatting import money, number
from services.platform.numbers import parse_decimal
from services.platform.settings import load_settings
from views.platform.base import SecureModelView, has_right, visible_or_404
from views.platform.settings import SettingsView

LEDGER = _l("Ledger")

# the invoice's payment status (msgctxt "payment status": "Open" is a verb elsewhere)
STATUS_LABELS = {"open": lazy_pgettext("payment status", "Open"),
                 "partly_paid": lazy_pgettext("payment status", "Partly paid"),
                 "paid": lazy_pgettext("payment status", "Paid"),
                 "overdue": lazy_pgettext("payment status", "Overdue"),
                 "credited": lazy_pgettext("payment status", "Credited"),
                 "written_off": lazy_pgettext("payment status", "Written off")}
KIND_LABELS = {"payment": _l("Payment"), "credit": _l("Customer credit applied"), "refund": _l("Refund")}
# the form input each refusal is about (DomainError.field -> input name)
INPUTS = {"amount": "amount", "date": "date", "method": "method_id", "reference": "reference", "rest": "rest",
          "bank_reference": "reference", "allocations-0-amount": "amount", "allocations-0-invoice": "amount",
          "customer": "amount", "invoice": "invoice_id"}


def _today() -> dt.date:
    return dt.date.today()


def _need(right: str) -> None:
    if not has_right(right):
        abort(403)


def _date(raw, field: str = "date", required: bool = False) -> dt.date:
    """A date of the form; blank is today, or refused next to the field when ``required``."""
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise DomainError(_("Give the payment date."), field)
        return _today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("Give the date as YYYY-MM-DD."), field) from None


def amount_input(value) -> str:
    """An amount as the form shows it: "1 250,50" in the user's locale (the parser reads it back)."""
    return "" if value is None else number(value, 2)


def _methods():
    return list(db.session.scalars(select(PaymentMethod).where(PaymentMethod.active.is_(True),
                                                               PaymentMethod.account_number.is_not(None))
                                   .order_by(PaymentMethod.id)))


# ---- the invoice list's payment status and the invoice card ----------------------------------


def invoice_balances(rows) -> None:
    """For a page of the invoice list: the balances of its invoices in one query."""
    g.invoice_balances = pay.balances(db.session, [r.id for r in rows])


def fmt_invoice_status(view, context, model, name):
    balance = getattr(g, "invoice_balances", {}).get(model.id)
    if balance is None or balance.status is None:
        return ""
    css = {"paid": "success", "overdue": "danger", "partly_paid": "warning", "credited": "secondary",
           "written_off": "dark"}.get(
        balance.status, "light")
    return Markup(f'<span class="badge badge-{css} invoice-status" data-status="{balance.status}">'
                  f'{escape(STATUS_LABELS.get(balance.status, balance.status))}</span>')


def fmt_invoice_remaining(view, context, model, name):
    balance = getattr(g, "invoice_balances", {}).get(model.id)
    if balance is None or balance.status is None:
        return ""
    return money(balance.remaining, model.currency)


class InvoiceStatusFilter(BaseSQLAFilter):
    """The invoice list's filter by payment status, computed in SQL (services.ledger.payments.status_sql)."""

    def __init__(self, name=_l("Payment status")):
        super().__init__(Invoice.id, name, options=list(STATUS_LABELS.items()))

    def apply(self, query, value, alias=None):
        return query.filter(pay.status_sql(_today()) == value)

    def operation(self):
        return admin_l("equals")


def invoice_payment_context(invoice: Invoice, form=None, errors=None) -> dict:
    """What the invoice card shows of payments: status, remaining, payments (both ways), the form."""
    if not has_right("payments.view") or invoice.is_credit_note:
        return {}
    balance = pay.balance(db.session, invoice)
    form = form or {}
    return {"balance": balance, "status_label": STATUS_LABELS.get(balance.status or "", ""),
            "allocations": pay.payments_of(db.session, invoice),
            "write_off": db.session.scalar(select(WriteOff).where(WriteOff.invoice_id == invoice.id)),
            "voucher_links": has_right("ledger.view"),
            "may_register": has_right("payments.register") and balance.remaining > 0,
            "methods": _methods(), "form": form, "errors": errors or {},
            "nonce": form.get("nonce") or uuid.uuid4().hex,
            "amount": form.get("amount") or amount_input(balance.remaining if balance.remaining > 0 else None),
            "today": _today().isoformat()}


def customer_credit_context(customer: Customer) -> dict:
    """The customer card's "Kundsaldo / tillgodo": the credit, open invoices to apply it to."""
    if not has_right("payments.view"):
        return {}
    credit = pay.customer_credit(db.session, customer)
    invoices = []
    if credit > 0 and has_right("payments.register"):
        candidates = list(db.session.scalars(select(Invoice).where(Invoice.customer_id == customer.id,
                                                                   Invoice.kind == "invoice")
                                             .order_by(Invoice.due_date, Invoice.id).limit(200)))
        balances = pay.balances(db.session, [i.id for i in candidates])
        invoices = [(i, balances[i.id]) for i in candidates if balances[i.id].remaining > 0]
    return {"credit": credit, "invoices": invoices, "methods": _methods(),
            "may_register": has_right("payments.register")}


# ---- the payment journal and card -----------------------------------------------------------


def _fmt_amount(view, context, model, name):
    return money(model.amount)


def _fmt_kind(view, context, model, name):
    return KIND_LABELS.get(model.kind, model.kind)


def _fmt_voucher(view, context, model, name):
    return model.voucher.label if model.voucher else ""


def _fmt_voucher_link(view, context, model, name):
    """The voucher's number linked to its card (for a user who may see the books)."""
    if model.voucher is None:
        return ""
    if not has_right("ledger.view"):
        return model.voucher.label
    return Markup(f'<a class="voucher-link" href="{url_for("voucher.details_view", id=model.voucher_id)}">'
                  f'{escape(model.voucher.label)}</a>')


def _fmt_invoices(view, context, model, name):
    """The invoices the payment settled, each linked to its card."""
    seen = {a.invoice_id: a.invoice for a in model.allocations if a.invoice is not None}
    return Markup(", ").join(
        Markup(f'<a class="invoice-link" href="{url_for("invoice.details_view", id=i.id)}">{escape(i.number)}</a>')
        for i in seen.values())


def _fmt_reversed(view, context, model, name):
    if not model.reversed:
        return ""
    return Markup(f'<span class="badge badge-secondary">{escape(_("Reversed"))}</span>')


def _fmt_customer(view, context, model, name):
    if model.customer is None:
        return ""
    return Markup(f'<a href="{url_for("customer.details_view", id=model.customer_id)}">'
                  f'{escape(model.customer.customer_number)} {escape(model.customer.name)}</a>')


class AmountFilter(BaseSQLAFilter):
    """The amount typed as users type numbers (the one parser: "1 250,50")."""

    def clean(self, value):
        return parse_decimal(value, 2, label=_("The amount"), precision=12)

    def validate(self, value):
        try:
            return self.clean(value) is not None
        except DomainError:
            return False

    def apply(self, query, value, alias=None):
        return query.filter(Payment.amount == value)

    def operation(self):
        return admin_l("equals")


class PaymentView(SecureModelView):
    """Betalningsjournal (20.22): every payment, applied credit and refund; find one by amount,
    date, OCR or reference, payer; its card shows what it settled and its voucher (20.27)."""

    right_area = "payments"
    details_template = "ledger/payments/payment_details.html"
    own_card = True
    column_list = ("date", "kind", "amount", "method", "reference", "payer_name", "customer", "allocations",
                   "voucher", "reversed_at")
    column_labels = {"date": _l("Date"), "kind": _l("Kind"), "amount": _l("Amount"), "method": _l("Payment method"),
                     "reference": _l("OCR / reference"), "payer_name": _l("Payer"), "customer": _l("Customer"),
                     "allocations": _l("Invoices"), "voucher": _l("Voucher"), "reversed_at": _l("Reversed"), "bank_reference": _l("Bank reference")}
    column_formatters = {"amount": _fmt_amount, "kind": _fmt_kind, "voucher": _fmt_voucher_link,
                         "allocations": _fmt_invoices,
                         "reversed_at": _fmt_reversed, "customer": _fmt_customer}
    column_formatters_export = {"kind": _fmt_kind, "voucher": _fmt_voucher,
                                "customer": lambda v, c, m, n: str(m.customer or "")}
    column_sortable_list = ("date", "amount", "reference", "payer_name")
    column_default_sort = ("id", True)
    column_searchable_list = ("reference", "payer_name", "bank_reference")
    column_filters = (DateBetweenFilter(Payment.date, _l("Date")),
                      AmountFilter(Payment.amount, _l("Amount")),
                      FilterEqual(Payment.kind, _l("Kind"), options=list(KIND_LABELS.items())),
                      FilterEqual(Payment.customer_id, _l("Customer id")))
    column_export_list = ("date", "kind", "amount", "method", "reference", "payer_name", "customer", "voucher",
                          "bank_reference", "reversed_at")
    can_create = False
    can_edit = False
    can_delete = False

    @property
    def can_export(self):
        return self.has("view")

    def _apply_search(self, query, count_query, joins, count_joins, text):
        """Reference (OCR), payer and bank reference as text; an amount when the text is one."""
        term = search_service.like_escape(text.strip().lower())
        conditions = [Payment.reference.ilike(f"%{term}%", escape="\\"),
                      Payment.payer_name.ilike(f"%{term}%", escape="\\"),
                      Payment.bank_reference.ilike(f"%{term}%", escape="\\")]
        try:
            amount = parse_decimal(text, 2, label=_("The amount"), precision=12)
        except DomainError:
            amount = None
        if amount is not None:
            conditions.append(Payment.amount == amount)
        condition = or_(*conditions)
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    @expose("/details/")
    def details_view(self):
        payment = visible_or_404(Payment, request.args.get("id"))
        if payment is None:
            return redirect(self.get_url(".index_view"))
        return self.render(self.details_template, payment=payment, kind_labels=KIND_LABELS,
                           history=history_of(db.session, Payment.__tablename__, payment.id),
                           may_reverse=self.has("register") and not payment.reversed and payment.voucher is not None,
                           return_url=self.get_url(".index_view"), today=_today().isoformat())

    def _submitted(self, nonce: str) -> bool:
        """The form was booked already (a double click): the SubmittedForm row of its nonce."""
        return bool(nonce) and db.session.get(SubmittedForm, nonce) is not None

    @expose("/register", methods=("GET", "POST"))
    def register(self):
        """Registrera betalning on an invoice: the invoice card's form posts here; a refusal is
        shown on this page next to its field; a double click books once (the form's nonce)."""
        _need("payments.register")
        invoice = visible_or_404(Invoice, request.values.get("invoice_id"))
        if invoice is None or invoice.is_credit_note:
            abort(404)
        errors: dict = {}
        form = request.form if request.method == "POST" else {}
        if request.method == "POST":
            nonce = (request.form.get("nonce") or "").strip()[:64]
            if self._submitted(nonce):
                flash(_("This form was already saved; nothing was saved twice."), "warning")
                return redirect(url_for("invoice.details_view", id=invoice.id))
            try:
                if nonce:
                    db.session.add(SubmittedForm(nonce=nonce, table_name="payment"))
                    db.session.flush()
                method = db.session.get(PaymentMethod, int(request.form.get("method_id") or 0))
                payment = pay.register_payment(
                    db.session, invoice.customer, _date(request.form.get("date"), required=True), request.form.get("amount"),
                    method, request.form.get("reference") or invoice.ocr, [(invoice, None)],
                    rest="credit" if request.form.get("rest") == "credit" else None, user=current_user,
                    settings=load_settings(db.session))
                if nonce:
                    db.session.get(SubmittedForm, nonce).record_id = str(payment.id)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[INPUTS.get(exc.field or "", "_")] = exc.message
            except IntegrityError:
                db.session.rollback()
                if self._submitted(nonce):
                    flash(_("This form was already saved; nothing was saved twice."), "warning")
                    return redirect(url_for("invoice.details_view", id=invoice.id))
                raise
            else:
                flash(_("The payment of %(a)s was registered (voucher %(v)s).", a=money(payment.amount),
                        v=payment.voucher.label), "success")
                return redirect(url_for("invoice.details_view", id=invoice.id))
        context = invoice_payment_context(invoice, dict(form), errors)
        return self.render("ledger/payments/register.html", invoice=invoice, pay=context, errors=errors)

    @expose("/reverse", methods=("POST",))
    def reverse(self):
        _need("payments.register")
        payment = visible_or_404(Payment, request.form.get("id"))
        if payment is None:
            abort(404)
        try:
            pay.reverse_payment(db.session, payment, current_user, _date(request.form.get("date")),
                                request.form.get("reason") or None)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("The payment was reversed (voucher %(v)s).", v=payment.reversal_voucher.label), "success")
        return redirect(self.get_url(".details_view", id=payment.id))

    def _customer(self) -> Customer:
        customer = visible_or_404(Customer, request.form.get("customer_id"))
        if customer is None:
            abort(404)
        return customer

    def _back_to_customer(self, customer: Customer):
        return redirect(url_for("customer.details_view", id=customer.id) + "#customer-credit")

    @expose("/credit/apply", methods=("POST",))
    def apply_credit(self):
        _need("payments.register")
        customer = self._customer()
        invoice = visible_or_404(Invoice, request.form.get("invoice_id"))
        try:
            if invoice is None:
                raise DomainError(_("Choose an invoice of this customer."), "invoice")
            payment = pay.apply_credit(db.session, customer, invoice, request.form.get("amount") or None,
                                       current_user, _today(), load_settings(db.session))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("%(a)s of the customer's credit was applied to %(i)s.", a=money(payment.amount),
                    i=str(invoice)), "success")
        return self._back_to_customer(customer)

    @expose("/credit/refund", methods=("POST",))
    def refund_credit(self):
        _need("payments.register")
        customer = self._customer()
        method = db.session.get(PaymentMethod, int(request.form.get("method_id") or 0))
        try:
            payment = pay.refund_credit(db.session, customer, request.form.get("amount"), method, current_user,
                                        _today(), request.form.get("reference") or None, load_settings(db.session))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("%(a)s of the customer's credit was refunded.", a=money(payment.amount)), "success")
        return self._back_to_customer(customer)


class PaymentMethodView(SettingsView):
    """Betalsätt: the account each books to, the payment term it brings (90.02)."""

    column_list = ("code", "name", "account", "payment_term", "active")
    column_searchable_list = ("code", "name")
    form_columns = ("code", "name", "account", "payment_term", "active")
    column_labels = {"code": _l("Code"), "name": _l("Name"), "account": _l("Account"),
                     "payment_term": _l("Payment terms"), "active": _l("Active")}
    column_default_sort = ("id", False)


def register(admin) -> None:
    admin.add_view(PaymentView(Payment, db, name=_l("Payment journal"), category=LEDGER, endpoint="payment"))
    admin.add_view(PaymentMethodView(PaymentMethod, db, name=_l("Payment methods"), category=_l("Settings"),
                                     endpoint="paymentmethod"))
    admin.app.jinja_env.globals["invoice_payments"] = invoice_payment_context
    admin.app.jinja_env.globals["customer_credit"] = customer_credit_context
