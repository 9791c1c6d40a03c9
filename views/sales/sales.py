"""Sales documents (försäljning): quotes and orders with their lines, invoices (read-only),
credit notes, collective invoicing, e-mail outbox, document texts and clean-up.

Thin views: every rule is in services.sales.orders / services.sales.invoicing; rights are checked here on
the server for each endpoint (sales.* and accounting.manual_credit)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Response, abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_admin import expose
from flask_admin.babel import lazy_gettext as admin_l
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, DateBetweenFilter, FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    Article,
    CostCenter,
    Customer,
    DocumentRecipient,
    InsuranceCase,
    Invoice,
    LabourOperation,
    MessageText,
    Order,
    OrderLine,
    OutboxMessage,
    Package,
    PaymentMethod,
    db,
)
from services import DomainError
from services.platform import visibility
from services.registers import register_config
from services.sales import insurance, invoicing, orders, outbox
from services.platform import search as search_service
from services.platform.audit import history_of
from services.platform.job_queue import QueueUnavailable
from services.platform.numbers import parse_decimal, parse_int
from services.sales.pricing import gross_unit_price, line_net, net_from_gross
from services.platform.secrets import SECRET_SETTINGS
from services.platform.settings import load_settings, secret_state, set_setting
from reports.sales import collective  # noqa: F401  (declares the collective invoicing job's kind)
from views.ledger.payments import InvoiceStatusFilter, fmt_invoice_remaining, fmt_invoice_status, invoice_balances
from views.platform.base import SecureBaseView, SecureModelView, has_right, module_settings, visible_or_404
from views.platform.jobs import job_state
from views.platform.settings import SettingsView
from services.platform.formatting import money
from services.registers.references import (CHARGE_LABELS, INVOICE_KIND_LABELS, LANGUAGE_NAMES, LINE_KIND_LABELS,
                                 MAIL_DOCUMENT_LABELS, MESSAGE_STATUS_LABELS, ORDER_DOCUMENT_LABELS,
                                 ORDER_KIND_LABELS, ORDER_STATUS_LABELS)

SALES = _l("Sales")

def _today() -> dt.date:
    return dt.date.today()


# the add-line input each refusal of a line is about (DomainError.field -> input name)
LINE_INPUTS = {"quantity": "quantity", "unit_price": "unit_price", "discount_percent": "discount_percent",
               "vat_percent": "vat_percent", "text": "text", "warranty_payer": "warranty_payer_id",
               "article": "item_id", "labour_operation": "item_id", "package": "item_id", "kind": "kind"}


# the insurance-case input each refusal of a case is about
CASE_INPUTS = {"insurer": "insurer_id", "claim_number": "claim_number", "damage_date": "damage_date",
               "excess": "excess", "forward_vat": "forward_vat"}


def _dec(raw, field: str, label) -> Decimal | None:
    # the one parser (services.platform.numbers); the sign is judged by the rules of lines and credits
    return parse_decimal(raw, 2, label=label, field=field, signed=True, precision=12)


def _id(raw) -> int | None:
    return int(raw) if raw and str(raw).isdigit() else None


def _need(right: str) -> None:
    if not has_right(right):
        abort(403)


def _post(right: str) -> None:
    # the CSRF token of every POST is checked by the global CSRFProtect before this runs
    _need(right)


def _fmt_status(view, context, model, name):
    return ORDER_STATUS_LABELS.get(model.status, model.status)


def _fmt_kind(view, context, model, name):
    return ORDER_KIND_LABELS.get(model.kind, model.kind)


def _fmt_vehicle(view, context, model, name):
    return model.vehicle.registration_number if model.vehicle else ""


def _fmt_invoice(view, context, model, name):
    if model.invoice is None:
        return ""
    return Markup(f'<a href="{url_for("invoice.details_view", id=model.invoice.id)}">{escape(model.invoice.number)}</a>')


def _deliver(documents):
    """E-mail by default (11.07) for just finalised invoices or credit notes, in the caller's
    transaction."""
    from reports.sales import mail

    return mail.deliver_finalised(db.session, documents, load_settings(db.session), current_user)


def _flash_finalised(invoices, delivery) -> None:
    """What finalising made: the invoice numbers, what was put in the outbox and, as a
    warning, why a document of a customer who wants e-mail was not."""
    if len(invoices) == 1:
        flash(_("Invoice %(n)s was created.", n=invoices[0].number), "success")
    else:
        flash(_("Invoices %(n)s were created.", n=", ".join(i.number for i in invoices)), "success")
    _flash_delivery(delivery)


def _flash_delivery(delivery) -> None:
    for message in delivery.queued:
        flash(_("The e-mail to %(r)s was put in the outbox.", r=message.recipient), "info")
    for problem in delivery.problems:
        flash(problem, "warning")
    _send_later([m.id for m in delivery.queued])


def _send_later(message_ids: list[int]) -> int:
    """A send job for each committed message, when an SMTP server is configured (the request
    never talks to SMTP itself). The queue down: a warning; the messages stay queued and the
    outbox retry sends them when it answers again."""
    if not message_ids or not outbox.smtp_configured(load_settings(db.session)):
        return 0
    try:
        return outbox.enqueue_sending(current_app.extensions["jobs"].enqueue, message_ids)
    except QueueUnavailable:
        flash(_("The job queue does not answer; the e-mails stay queued and are sent when it answers again."),
              "warning")
        return 0


def _order_customer_modules() -> tuple[str, ...]:
    """The modules whose customer types the order form's customer look-up offers: the kind the
    form has chosen (static/js/lowcode.js sends it), else either kind (the server decides)."""
    module = register_config.ORDER_KIND_MODULES.get(request.args.get("kind", ""))
    return (module,) if module else tuple(register_config.ORDER_KIND_MODULES.values())


class OrderView(SecureModelView):
    """Offerter och order at /admin/order/."""

    right_area = "sales"
    details_template = "sales/order_details.html"
    column_list = ("id", "kind", "status", "customer", "vehicle", "order_date", "customer_order_number", "invoice")
    column_labels = {"id": _l("Number"), "kind": _l("Kind"), "status": _l("Status"), "customer": _l("Customer"),
                     "payer": _l("Payer (another customer pays)"), "vehicle": _l("Vehicle"),
                     "odometer_km": _l("Odometer (km)"), "cost_center": _l("Cost center"),
                     "customer_order_number": _l("Customer's order number"),
                     "customer_reference": _l("Customer's reference"), "order_date": _l("Date"),
                     "delivery_date": _l("Date of supply"), "text": _l("Text on the document"),
                     "invoice": _l("Invoice")}
    column_formatters = {"status": _fmt_status, "kind": _fmt_kind, "vehicle": _fmt_vehicle, "invoice": _fmt_invoice}
    # the statuses by name for the History tab and the audit log (views.platform.history reads them)
    column_choices = {"status": list(ORDER_STATUS_LABELS.items())}
    # the export says what the list says (Order, Fakturerad), not the stored codes
    column_formatters_export = {"status": _fmt_status, "kind": _fmt_kind, "vehicle": _fmt_vehicle,
                                "invoice": lambda v, c, m, n: m.invoice.number if m.invoice else ""}
    column_sortable_list = ("id", "kind", "status", "order_date", "customer_order_number")
    column_default_sort = ("id", True)
    column_searchable_list = ("customer_order_number",)  # replaced by _apply_search
    column_filters = (
        FilterEqual(Order.kind, _l("Kind"), options=list(ORDER_KIND_LABELS.items())),
        FilterEqual(Order.status, _l("Status"), options=list(ORDER_STATUS_LABELS.items())),
        FilterEqual(Order.customer_id, _l("Customer id")),
        DateBetweenFilter(Order.order_date, _l("Date")),
    )
    form_columns = ("kind", "customer", "payer", "vehicle", "odometer_km", "cost_center", "customer_order_number",
                    "customer_reference", "order_date", "delivery_date", "text")
    form_choices = {"kind": list(ORDER_KIND_LABELS.items())}
    form_ajax_refs = {
        "customer": {"fields": ("customer_number", "name"), "page_size": 20,
                     "customer_modules": _order_customer_modules},
        "payer": {"fields": ("customer_number", "name"), "page_size": 20,
                  "customer_modules": _order_customer_modules},
        "vehicle": {"fields": ("registration_number",), "page_size": 20},
    }
    form_args = {"cost_center": {"query_factory": lambda: db.session.scalars(
        select(CostCenter).where(CostCenter.active.is_(True)).order_by(CostCenter.code))},
        # the look-ups send the chosen kind (static/js/lowcode.js): customer types per module
        "customer": {"render_kw": {"data-lookup-with": "kind"}},
        "payer": {"render_kw": {"data-lookup-with": "kind"}}}
    # the list must stay fast with a million orders: no COUNT(*) without a filter
    simple_list_pager = True

    def get_query(self):
        return super().get_query().options(joinedload(Order.customer), joinedload(Order.vehicle),
                                           joinedload(Order.invoice))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Exact, indexed look-ups only (a million orders): invoice number, registration number,
        the customer's order number, the customer number or the order number."""
        condition = search_service.order_search_condition(search)
        if condition is None:
            return query, count_query, joins, count_joins
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def _apply_module_settings(self, form):
        """Module setting "show the customer's order number (also on orders)"."""
        settings = module_settings()
        if not settings.get("customer.show_order_number", True) and not settings.get("customer.require_order_number"):
            del form.customer_order_number
        return form

    def create_form(self, obj=None):
        return self._apply_module_settings(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._apply_module_settings(super().edit_form(obj))

    def get_save_return_url(self, model, is_created=False):
        # a new order asks whether to add the customer's service/work-order articles
        return self.get_url(".details_view", id=model.id, new=1 if is_created else None)

    def on_model_change(self, form, model, is_created):
        orders.check_customer_types(db.session, model, is_created)
        if is_created:
            orders.check_customer(model.customer)
            model.status = "quote" if model.kind == "quote" else "in_progress"
            model.our_reference_id = current_user.id
            if model.cost_center is None:
                model.cost_center = model.customer.cost_center
            if model.vehicle is not None and model.odometer_km is None:
                model.odometer_km = model.vehicle.odometer_km
        else:
            orders.require_open(model)
            if model.customer is not None and model.customer.active is False:
                raise DomainError(_("The customer %(c)s is inactive.", c=model.customer), "customer")
        if model.payer is not None:
            orders.check_customer(model.payer, "payer")
            if model.payer.id == model.customer.id:
                model.payer = None
            elif model.insurance_case is not None:
                raise DomainError(_("An order with an insurance case is invoiced to the owner and the insurer; "
                                    "remove the case before choosing another payer."), "payer")
        if model.odometer_km is not None and model.odometer_km < 0:
            raise DomainError(_("The odometer reading cannot be negative."), "odometer_km")
        if model.kind == "order":
            # shown next to the field now rather than at finalisation
            invoicing.check_required(model, load_settings(db.session))

    def on_model_delete(self, model):
        if not model.is_open or model.invoice_id is not None:
            raise DomainError(_("An invoiced order cannot be deleted."))

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        order = visible_or_404(Order, request.args.get("id"))
        if order is not None and not order.is_open:
            flash(_("This order is invoiced or cancelled and can no longer be changed."), "error")
            return redirect(self.get_url(".details_view", id=order.id))
        return super().edit_view()

    # ---- the order screen -------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        order = visible_or_404(Order, request.args.get("id"))
        if order is None:
            return redirect(self.get_url(".index_view"))
        settings = load_settings(db.session)
        payer = order.bill_to
        treatment = invoicing.vat_treatment(payer)
        include_vat = not payer.prices_exclude_vat and treatment == "domestic"
        rows = []
        for line in order.lines:
            shown = gross_unit_price(line.unit_price, line.vat_percent) if include_vat else line.unit_price
            rows.append((line, shown, line_net(line.quantity, shown, line.discount_percent)))
        totals = orders.order_totals(order, settings, treatment)
        fee = orders.env_fee_for([l for l in order.lines if l.charge_to == "customer"], settings)
        offer_articles = request.args.get("new") == "1" and bool(order.customer.customer_articles)
        line_error = session.pop("add_line_error", None)
        if line_error and line_error.get("order") != order.id:
            line_error = None
        case_error = session.pop("case_error", None)
        if case_error and case_error.get("order") != order.id:
            case_error = None
        return self.render(
            self.details_template, order=order, rows=rows, totals=totals, env_fee=fee, include_vat=include_vat,
            history=history_of(db.session, Order.__tablename__, order.id),
            treatment=treatment, status_labels=ORDER_STATUS_LABELS, kind_labels=ORDER_KIND_LABELS,
            line_kind_labels=LINE_KIND_LABELS, charge_labels=CHARGE_LABELS, doc_labels=ORDER_DOCUMENT_LABELS,
            transitions=sorted(orders.TRANSITIONS.get(order.status, ()), key=lambda s: (s == "cancelled", s)),
            offer_articles=offer_articles, line_error=line_error or {"values": {}},
            case=order.insurance_case, case_error=case_error or {"values": {}},
            owner_vat_registered=insurance.owner_is_vat_registered(order.customer),
            may_edit=self.has("edit") and order.is_open, may_finalise=self.has("finalise") and order.is_open,
            may_send=self.has("send"), return_url=self.get_url(".index_view"),
            payment_methods=self._payment_methods(order) if self.has("finalise") and order.is_open else [],
        )

    def _payment_methods(self, order: Order) -> list:
        """The methods the finalise form offers (90.02): active, not blocked for the payer (11.12)."""
        from services.ledger.payments import blocked_methods

        blocked = blocked_methods(db.session, order.bill_to)
        return [m for m in db.session.scalars(select(PaymentMethod).where(PaymentMethod.active.is_(True))
                                              .order_by(PaymentMethod.name)) if m.id not in blocked]

    def _order_for_change(self) -> Order:
        _post("sales.edit")
        order = visible_or_404(Order, request.form.get("order_id"))
        if order is None:
            abort(404)
        return order

    def _back(self, order: Order, anchor: str = ""):
        return redirect(self.get_url(".details_view", id=order.id) + anchor)

    def _run(self, order: Order, work, success: str | None = None, form: str | None = None,
             fields: dict | None = None):
        """One user action, one transaction: a refusal leaves nothing half-written. With
        ``form``, a refusal about one of the form's inputs (``fields``: error field -> input,
        the add-line inputs by default) is kept for the next page, which shows it under that
        input with what the user typed."""
        fields = LINE_INPUTS if fields is None else fields
        try:
            work()
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            if form and exc.field in fields:
                values = {k: v for k, v in request.form.items() if k != "csrf_token"}
                session[form] = {"order": order.id, "field": fields[exc.field], "message": exc.message,
                                 "values": values}
            else:
                flash(exc.message, "error")
            return False
        if success:
            flash(success, "success")
        return True

    @expose("/line/add", methods=("POST",))
    def add_line(self):
        order = self._order_for_change()
        form = request.form
        kind = form.get("kind", "")

        def work():
            orders.require_open(order)
            quantity = _dec(form.get("quantity"), "quantity", _("The quantity"))
            quantity = Decimal(1) if quantity is None else quantity
            price = _dec(form.get("unit_price"), "unit_price", _("The unit price"))
            discount = _dec(form.get("discount_percent"), "discount_percent", _("The discount"))
            vat = _dec(form.get("vat_percent"), "vat_percent", _("The VAT rate"))
            if price is not None and form.get("price_includes_vat") == "1":
                price = net_from_gross(price, vat if vat is not None else Decimal(25))
            charge_to = form.get("charge_to") or "customer"
            warranty_payer = None
            if charge_to != "customer":
                warranty_payer = visibility.get(db.session, current_user, Customer, _id(form.get("warranty_payer_id")))
            common = dict(quantity=quantity, unit_price=price, discount_percent=discount, vat_percent=vat,
                          charge_to=charge_to, warranty_payer=warranty_payer)
            if kind == "article":
                orders.add_line(db.session, order, "article",
                                article=db.session.get(Article, _id(form.get("item_id")) or 0), **common)
            elif kind == "labour":
                orders.add_line(db.session, order, "labour",
                                labour=db.session.get(LabourOperation, _id(form.get("item_id")) or 0), **common)
            elif kind == "package":
                orders.add_package(db.session, order, db.session.get(Package, _id(form.get("item_id")) or 0),
                                   quantity)
            elif kind in ("free_text", "fixed_price"):
                orders.add_line(db.session, order, kind, text=form.get("text", ""), **common)
            else:
                raise DomainError(_("Unknown line kind."), "kind")

        self._run(order, work, form="add_line_error")
        return self._back(order, "#add-line-form")

    @expose("/line/update", methods=("POST",))
    def update_line(self):
        order = self._order_for_change()
        line = db.session.get(OrderLine, _id(request.form.get("line_id")) or 0)
        if line is None or line.order_id != order.id:
            abort(404)
        form = request.form

        def work():
            orders.require_open(order)
            qty = _dec(form.get("quantity"), "quantity", _("The quantity"))
            price = _dec(form.get("unit_price"), "unit_price", _("The unit price"))
            discount = _dec(form.get("discount_percent"), "discount_percent", _("The discount"))
            if qty is not None:
                line.quantity = qty
            if price is not None:
                line.unit_price = net_from_gross(price, line.vat_percent) if form.get("price_includes_vat") == "1" else price
            if discount is not None:
                line.discount_percent = discount
            if form.get("text") is not None and form.get("text").strip():
                line.text = form.get("text").strip()[:300]
            orders.validate_line(line)

        self._run(order, work)
        return self._back(order, "#lines")

    @expose("/line/delete", methods=("POST",))
    def delete_line(self):
        order = self._order_for_change()
        line = db.session.get(OrderLine, _id(request.form.get("line_id")) or 0)
        if line is None or line.order_id != order.id:
            abort(404)
        self._run(order, lambda: orders.remove_line(db.session, order, line))
        return self._back(order, "#lines")

    @expose("/customer-articles", methods=("POST",))
    def customer_articles(self):
        order = self._order_for_change()
        self._run(order, lambda: orders.add_customer_articles(db.session, order),
                  _("The customer's service and work-order articles were added."))
        return self._back(order, "#lines")

    @expose("/insurance-case", methods=("POST",))
    def save_insurance_case(self):
        """Försäkringsärende (90.16): enter or change the order's case; a refusal comes back
        under its input with what was typed."""
        order = self._order_for_change()
        form = request.form

        def work():
            damage_date = None
            if (form.get("damage_date") or "").strip():
                try:
                    damage_date = dt.date.fromisoformat(form["damage_date"].strip())
                except ValueError:
                    raise DomainError(_("Give a date as YYYY-MM-DD."), "damage_date") from None
            # the excess goes through the one parser of amounts typed by users
            excess = _dec(form.get("excess"), "excess", _("The excess"))
            insurer = visibility.get(db.session, current_user, Customer, _id(form.get("insurer_id")) or 0)
            insurance.save_case(db.session, order, insurer,
                                form.get("claim_number", ""), damage_date, excess, form.get("forward_vat") == "1",
                                today=_today())

        self._run(order, work, _("The insurance case was saved."), form="case_error", fields=CASE_INPUTS)
        return self._back(order, "#insurance-case")

    @expose("/insurance-case/remove", methods=("POST",))
    def remove_insurance_case(self):
        order = self._order_for_change()
        self._run(order, lambda: insurance.remove_case(db.session, order), _("The insurance case was removed."))
        return self._back(order, "#insurance-case")

    @expose("/status", methods=("POST",))
    def change_status(self):
        order = self._order_for_change()
        self._run(order, lambda: orders.set_status(order, request.form.get("status", "")))
        return self._back(order)

    @expose("/copy", methods=("POST",))
    def copy(self):
        _post("sales.create")
        quote = visible_or_404(Order, request.form.get("order_id"))
        if quote is None:
            abort(404)
        created = []
        if self._run(quote, lambda: created.append(orders.copy_to_order(db.session, quote, current_user))):
            flash(_("The quote was copied to order %(n)s.", n=created[0].id), "success")
            return redirect(self.get_url(".details_view", id=created[0].id))
        return self._back(quote)

    @expose("/finalise", methods=("POST",))
    def finalise(self):
        _post("sales.finalise")
        order = visible_or_404(Order, request.form.get("order_id"))
        if order is None:
            abort(404)
        from reports.sales import mail

        made, delivery = [], []
        settings = load_settings(db.session)
        method = None
        chosen = (request.form.get("payment_method_id") or "").strip()
        if chosen:  # how the invoice is paid (90.02: a method may bring its own payment term)
            method = db.session.get(PaymentMethod, int(chosen)) if chosen.isdigit() else None
            if method is None:
                flash(_("Choose a payment method."), "error")
                return self._back(order)

        def work():
            made.extend(invoicing.finalise_order(db.session, order, current_user, _today(), settings,
                                                 payment_method=method))
            delivery.append(mail.deliver_finalised(db.session, made, settings, current_user))

        if self._run(order, work):
            _flash_finalised(made, delivery[0])
            return redirect(url_for("invoice.details_view", id=made[0].id))
        return self._back(order)

    @expose("/pdf/<doc_type>")
    def pdf(self, doc_type):
        from reports.sales import sales as pdf_reports

        if doc_type not in ORDER_DOCUMENT_LABELS:
            abort(404)
        order = visible_or_404(Order, request.args.get("id"))
        if order is None:
            abort(404)
        settings = load_settings(db.session)
        data = pdf_reports.order_data(order, doc_type, settings)
        body = pdf_reports.render_pdf(data, settings)
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{pdf_reports.filename(data)}"'})

    @expose("/send", methods=("POST",))
    def send(self):
        from reports.sales import mail

        _post("sales.send")
        order = visible_or_404(Order, request.form.get("order_id"))
        if order is None:
            abort(404)
        settings = load_settings(db.session)
        queued = []

        def work():
            queued.append(mail.queue_order_document(db.session, order, settings, current_user).id)

        if self._run(order, work, _("The document was put in the outbox.")):
            _send_later(queued)
        return self._back(order)

    @expose("/lookup")
    def lookup(self):
        """JSON for the line form: articles, labour operations, packages, customers."""
        kind = request.args.get("kind", "")
        term = (request.args.get("q") or "").strip()

        def found(model) -> list:
            # the one search (services.platform.search): case-folded, a customer through his search text
            condition = search_service.search_condition(db.engine.dialect.name, model, term)
            return [] if condition is None else [condition]

        if kind == "article":
            rows = db.session.scalars(select(Article).where(Article.active.is_(True), *found(Article))
                                      .order_by(Article.number).limit(20))
            data = [{"id": a.id, "text": f"{a.number} {a.name}", "price": money(a.price)} for a in rows]
        elif kind == "labour":
            rows = db.session.scalars(select(LabourOperation).where(LabourOperation.active.is_(True),
                                                                    *found(LabourOperation))
                                      .order_by(LabourOperation.code).limit(20))
            data = [{"id": o.id, "text": f"{o.code} {o.name}", "price": money(o.price)} for o in rows]
        elif kind == "package":
            rows = db.session.scalars(select(Package).where(Package.active.is_(True), *found(Package))
                                      .order_by(Package.name).limit(20))
            data = [{"id": p.id, "text": p.name} for p in rows]
        elif kind == "insurer":
            data = [{"id": c.id, "text": str(c)} for c in insurance.insurers(db.session, term, visible=visibility.clause(current_user, Customer))]
        elif kind == "customer":
            rows = db.session.scalars(select(Customer).where(Customer.active.is_(True),
                                                              visibility.clause(current_user, Customer),
                                                              *found(Customer)).order_by(Customer.name).limit(20))
            data = [{"id": c.id, "text": str(c)} for c in rows]
        else:
            abort(404)
        return jsonify(results=data)


def _fmt_money(view, context, model, name):
    value = getattr(model, name)
    return money(-value if model.kind == "credit_note" else value, model.currency)


def _fmt_invoice_kind(view, context, model, name):
    return INVOICE_KIND_LABELS.get(model.kind, model.kind)


class CollectiveNumberFilter(BaseSQLAFilter):
    """Samlingsfakturanummer (20.24): the invoices of one collective-invoicing run, the number as
    typed ("sfa 12" finds SFA12)."""

    def __init__(self, name=_l("Collective invoice number")):
        super().__init__(Invoice.collective_number, name)

    def apply(self, query, value, alias=None):
        return query.filter(Invoice.collective_number == invoicing.collective_term(value))

    def operation(self):
        return admin_l("equals")


class InvoiceView(SecureModelView):
    """Fakturor och kreditnotor: read-only; corrected only by a credit note."""

    right_area = "sales"
    details_template = "sales/invoice_details.html"
    column_list = ("number", "kind", "invoice_date", "due_date", "customer_number", "customer_name",
                   "vehicle_registration", "total", "payment_status", "remaining")
    column_labels = {"number": _l("Number"), "kind": _l("Kind"), "invoice_date": _l("Date"),
                     "due_date": _l("Due date"), "customer_number": _l("Customer number"),
                     "customer_name": _l("Customer"), "vehicle_registration": _l("Registration number"),
                     "total": _l("Total"), "payment_status": _l("Payment status"), "remaining": _l("Remaining"),
                     "collective_number": _l("Collective invoice number")}
    # payment status and remaining amount: derived from payments and credit notes (services.ledger.payments)
    column_formatters = {"total": _fmt_money, "kind": _fmt_invoice_kind, "payment_status": fmt_invoice_status,
                         "remaining": fmt_invoice_remaining}
    column_formatters_export = {"kind": _fmt_invoice_kind}
    column_sortable_list = ("number", "invoice_date", "due_date", "customer_number", "customer_name", "total")
    column_default_sort = ("id", True)
    column_searchable_list = ("number", "customer_name", "vehicle_registration", "ocr", "collective_number")
    column_filters = (FilterEqual(Invoice.kind, _l("Kind"), options=list(INVOICE_KIND_LABELS.items())),
                      CollectiveNumberFilter(),
                      FilterEqual(Invoice.customer_id, _l("Customer id")),
                      DateBetweenFilter(Invoice.invoice_date, _l("Date")), InvoiceStatusFilter())
    export_types = ["csv", "xlsx"]
    column_export_list = ("number", "kind", "invoice_date", "due_date", "ocr", "customer_number", "customer_name",
                          "net_total", "vat_total", "rounding", "total", "currency", "collective_number")

    # a finalised invoice is never created, edited or deleted through a form
    can_create = False
    can_edit = False
    can_delete = False

    def prepare_rows(self, rows: list) -> None:
        invoice_balances(rows)

    @expose("/details/")
    def details_view(self):
        invoice = visible_or_404(Invoice, request.args.get("id"))
        if invoice is None:
            return redirect(self.get_url(".index_view"))
        credits = list(db.session.scalars(select(Invoice).where(Invoice.credited_invoice_id == invoice.id)
                                          .order_by(Invoice.id)))
        credited = invoicing.credited_quantities(db.session, invoice) if not invoice.is_credit_note else {}
        case = db.session.scalar(select(InsuranceCase).where(or_(InsuranceCase.owner_invoice_id == invoice.id,
                                                                 InsuranceCase.insurer_invoice_id == invoice.id)))
        from reports.sales import peppol

        try:  # a buyer without a Peppol address (a private person) is offered no e-invoice
            peppol.buyer_endpoint(invoice)
            has_peppol_address = True
        except DomainError:
            has_peppol_address = False
        from services.ledger.documents import voucher_of

        voucher = voucher_of(db.session, invoice) if has_right("ledger.view") else None
        return self.render(self.details_template, invoice=invoice, totals=invoicing.invoice_totals(invoice),
                           voucher=voucher,
                           history=history_of(db.session, Invoice.__tablename__, invoice.id),
                           case=case, has_peppol_address=has_peppol_address,
                           credits=credits, credited=credited, kind_labels=INVOICE_KIND_LABELS,
                           line_kind_labels=LINE_KIND_LABELS, return_url=self.get_url(".index_view"),
                           may_credit=has_right("sales.credit") and not invoice.is_credit_note,
                           may_export=has_right("sales.export"), may_send=has_right("sales.send"))

    @expose("/pdf")
    def pdf(self):
        from reports.sales import sales as pdf_reports

        invoice = visible_or_404(Invoice, request.args.get("id"))
        if invoice is None:
            abort(404)
        settings = load_settings(db.session)
        body = pdf_reports.invoice_pdf(db.session, invoice, settings)
        db.session.commit()  # the print count: the next print is a copy
        data = pdf_reports.invoice_data(invoice)
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{pdf_reports.filename(data)}"'})

    @expose("/peppol")
    def peppol(self):
        from reports.sales import peppol

        _need("sales.export")
        invoice = visible_or_404(Invoice, request.args.get("id"))
        if invoice is None:
            abort(404)
        try:
            xml = peppol.invoice_xml(invoice, load_settings(db.session))
        except DomainError as exc:  # a buyer without a Peppol address gets no (invalid) file
            flash(exc.message, "error")
            return redirect(url_for("invoice.details_view", id=invoice.id))
        return Response(xml, mimetype="application/xml",
                        headers={"Content-Disposition": f'attachment; filename="{invoice.number}.xml"'})

    @expose("/send", methods=("POST",))
    def send(self):
        from reports.sales import mail

        _post("sales.send")
        invoice = visible_or_404(Invoice, request.form.get("invoice_id"))
        if invoice is None:
            abort(404)
        settings = load_settings(db.session)
        try:
            message = mail.queue_invoice(db.session, invoice, settings, current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("The invoice was put in the outbox."), "success")
            _send_later([message.id])
        return redirect(self.get_url(".details_view", id=invoice.id))

    @expose("/credit/", methods=("GET", "POST"))
    def credit(self):
        _need("sales.credit")
        invoice = visible_or_404(Invoice, request.values.get("id"))
        if invoice is None or invoice.is_credit_note:
            abort(404)
        credited = invoicing.credited_quantities(db.session, invoice)
        errors = {}
        if request.method == "POST":
            try:
                quantities = {}
                for line in invoice.lines:
                    value = _dec(request.form.get(f"qty-{line.id}"), f"qty-{line.id}", _("The quantity"))
                    if value:
                        quantities[line.id] = value
                note = invoicing.create_credit_note(
                    db.session, invoice, current_user, _today(), load_settings(db.session),
                    None if request.form.get("full") == "1" else quantities, request.form.get("text") or None)
                delivery = _deliver([note])
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
                flash(exc.message, "error")
            else:
                flash(_("Credit note %(n)s was created.", n=note.number), "success")
                _flash_delivery(delivery)
                return redirect(self.get_url(".details_view", id=note.id))
        return self.render("sales/credit_note.html", invoice=invoice, credited=credited, errors=errors,
                           form=request.form)


class ManualCreditNoteView(SecureBaseView):
    """Manuell kreditnota (20.17) for accountants: an amount on an account, without an invoice."""

    right_area = "accounting"
    view_rights = ("manual_credit",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        errors = {}
        if request.method == "POST":
            customer = db.session.scalar(select(Customer).where(visibility.clause(current_user, Customer),
                Customer.customer_number == (request.form.get("customer_number") or "").strip()))
            try:
                if customer is None:
                    raise DomainError(_("No customer has this number."), "customer_number")
                note = invoicing.create_manual_credit_note(
                    db.session, customer, request.form.get("amount", ""), request.form.get("vat_percent", "25"),
                    request.form.get("account", ""), request.form.get("text", ""), current_user, _today(),
                    load_settings(db.session))
                delivery = _deliver([note])
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
            else:
                flash(_("Credit note %(n)s was created.", n=note.number), "success")
                _flash_delivery(delivery)
                return redirect(url_for("invoice.details_view", id=note.id))
        return self.render("sales/manual_credit.html", errors=errors, form=request.form)


class CollectiveInvoicingView(SecureBaseView):
    """Samlingsfakturering (10.20): ready orders, one invoice per payer (and cost center)."""

    right_area = "sales"
    view_rights = ("finalise",)

    def _customer_id(self, args, key: str) -> int | None:
        number = (args.get(key) or "").strip()
        if not number:
            return None
        found = db.session.scalar(select(Customer.id).where(Customer.customer_number == number,
                                                            visibility.clause(current_user, Customer)))
        return found or -1

    def _plan(self, args) -> tuple[list, dict]:
        """The groups of the ready orders the filter in ``args`` finds (what the user may see)."""
        errors = {}
        date_from = date_to = None
        try:
            date_from = dt.date.fromisoformat(args["date_from"]) if args.get("date_from") else None
        except ValueError:
            errors["date_from"] = _("Give a date as YYYY-MM-DD.")
        try:
            date_to = dt.date.fromisoformat(args["date_to"]) if args.get("date_to") else None
        except ValueError:
            errors["date_to"] = _("Give a date as YYYY-MM-DD.")
        if errors:
            return [], errors
        query = invoicing.ready_orders_query(self._customer_id(args, "customer"), self._customer_id(args, "payer"),
                                             date_from, date_to)
        query = query.where(visibility.clause(current_user, Order))
        found = list(db.session.scalars(query.options(selectinload(Order.lines), joinedload(Order.customer),
                                                      joinedload(Order.payer))))
        return invoicing.plan_collective(db.session, found, args.get("per_cost_center") == "1",
                                         load_settings(db.session)), errors

    @expose("/")
    def index(self):
        args = request.args
        groups, errors = self._plan(args) if args.get("preview") else ([], {})
        cost_centers = {c.id: str(c) for c in db.session.scalars(select(CostCenter))}
        return self.render("sales/collective.html", groups=groups, args=args, errors=errors,
                           cost_centers=cost_centers)

    @expose("/run", methods=("POST",))
    def run(self):
        """Submit the invoicing of the groups the filter finds as a job (reports.sales.collective);
        the page follows the job through its status."""
        groups, errors = self._plan(request.form)
        if errors:
            return jsonify(error=next(iter(errors.values()))), 400
        try:
            job = collective.start_collective_job(db.session, current_app.extensions["jobs"].enqueue, current_user,
                                                  groups, _today())
        except PermissionError:
            abort(403)
        except DomainError as exc:
            return jsonify(error=exc.message), 503 if groups else 400
        return jsonify(**job_state(job), status_url=url_for("jobs.status", job_id=job.id),
                       jobs_url=url_for("jobs.index", _anchor=f"job-{job.id}")), 202


class OutboxView(SecureModelView):
    """E-post utkorg: what was sent or waits to be sent."""

    right_area = "sales"
    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    column_list = ("created_at", "recipient", "subject", "attachment_name", "status", "attempts", "sent_at",
                   "error")
    column_labels = {"created_at": _l("Created"), "recipient": _l("Recipient"), "subject": _l("Subject"),
                     "attachment_name": _l("Attachment"), "status": _l("Status"), "sent_at": _l("Sent"),
                     "error": _l("Error"), "body": _l("Message"), "attempts": _l("Attempts"),
                     "next_attempt_at": _l("Next attempt")}
    column_details_list = ("created_at", "recipient", "subject", "body", "attachment_name", "status", "attempts",
                           "next_attempt_at", "sent_at", "error")
    column_default_sort = ("id", True)
    column_choices = {"status": list(MESSAGE_STATUS_LABELS.items())}
    column_filters = (FilterEqual(OutboxMessage.status, _l("Status"), options=column_choices["status"]),)
    card_title = "subject"
    card_subtitle = ("recipient",)
    card_groups = [(_l("Message"), ("recipient", "subject", "attachment_name")),
                   (_l("Delivery"), ("status", "attempts", "next_attempt_at", "created_at", "sent_at", "error")),
                   (None, ("body",))]
    column_formatters = {"attachment_name": lambda v, c, m, n: Markup(
        f'<a href="{url_for("outboxmessage.attachment", id=m.id)}">{escape(m.attachment_name)}</a>')
        if m.attachment_name else "",
        "body": lambda v, c, m, n: _("(A password reset link: not shown.)") if m.purpose == "password_reset"
        else m.body}

    # a password reset mail holds a log-in link: only administrators see that it exists, and
    # nobody reads its body here (the link is the user's alone)
    def _hide_resets(self, query):
        return query if current_user.is_admin else query.filter(OutboxMessage.purpose != "password_reset")

    def get_query(self):
        return self._hide_resets(super().get_query())

    def get_count_query(self):
        return self._hide_resets(super().get_count_query())

    def get_one(self, id):
        found = super().get_one(id)
        if found is not None and found.purpose == "password_reset" and not current_user.is_admin:
            abort(404)
        return found

    @expose("/attachment")
    def attachment(self):
        message = visible_or_404(OutboxMessage, request.args.get("id"))
        if message is None or message.attachment is None:
            abort(404)
        return Response(message.attachment, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{message.attachment_name}"'})

    @expose("/send-queued", methods=("POST",))
    def send_queued(self):
        _post("sales.send")
        settings = load_settings(db.session)
        if not outbox.smtp_configured(settings):
            flash(_("No SMTP server is configured; the messages stay in the outbox."), "warning")
            return redirect(self.get_url(".index_view"))
        # the request only puts jobs on the queue: a job talks to the SMTP server (and retries)
        ids = outbox.prepare_sending(db.session)
        db.session.commit()
        if _send_later(ids) or not ids:
            flash(_("%(n)s messages were put on the queue for sending.", n=len(ids)), "success")
        return redirect(self.get_url(".index_view"))


class DocumentRecipientView(SecureModelView):
    """Olika e-postmottagare per dokumenttyp (11.09)."""

    right_area = "sales"
    column_list = ("customer", "document_type", "email")
    column_labels = {"customer": _l("Customer"), "document_type": _l("Document type"), "email": _l("E-mail")}
    form_columns = ("customer", "document_type", "email")
    form_choices = {"document_type": list(MAIL_DOCUMENT_LABELS.items())}
    form_ajax_refs = {"customer": {"fields": ("customer_number", "name"), "page_size": 20}}
    card_title = "email"
    card_subtitle = ("document_type",)

    def on_model_change(self, form, model, is_created):
        model.email = (model.email or "").strip()
        if "@" not in model.email:
            raise DomainError(_("Give a valid e-mail address."), "email")


_DOCUMENT_TEXTS = [
    ("sales.text.heading.invoice", _l("Heading: invoice")),
    ("sales.text.heading.credit_note", _l("Heading: credit note")),
    ("sales.text.heading.quote", _l("Heading: quote")),
    ("sales.text.heading.order_confirmation", _l("Heading: order confirmation")),
    ("sales.text.heading.work_order", _l("Heading: work order")),
    ("sales.text.heading.delivery_note", _l("Heading: delivery note")),
    ("sales.text.standard.invoice", _l("Standard text: invoice")),
    ("sales.text.standard.quote", _l("Standard text: quote")),
    ("sales.text.standard.order_confirmation", _l("Standard text: order confirmation")),
    ("sales.text.under_total", _l("Text under the total")),
    ("sales.text.footer", _l("Footer text")),
]


class MessageTextView(SettingsView):
    """E-posttexter: subject and body of the e-mail of each document type and language; the
    defaults are seeded, the office changes them (placeholders: services.sales.outbox.PLACEHOLDERS)."""

    column_list = ("document_type", "language", "subject")
    column_labels = {"document_type": _l("Document type"), "language": _l("Language"), "subject": _l("Subject"),
                     "body": _l("Message")}
    column_formatters = {"document_type": lambda v, c, m, n: MAIL_DOCUMENT_LABELS.get(m.document_type, m.document_type),
                         "language": lambda v, c, m, n: LANGUAGE_NAMES.get(m.language, m.language)}
    # the document types by name for the History tab and the audit log (views.platform.history reads them)
    column_choices = {"document_type": list(MAIL_DOCUMENT_LABELS.items())}
    column_searchable_list = ("subject",)
    column_filters = ()
    card_title = "document_type"
    card_subtitle = ("language",)
    card_groups = [(None, ("document_type", "language", "subject", "body"))]
    column_default_sort = [("document_type", False), ("language", False)]
    form_columns = ("subject", "body")
    form_widget_args = {"body": {"rows": 10}}

    form_args = {name: {"description": _l("Placeholders: %(p)s",
                                          p=", ".join("{%s}" % p for p in outbox.PLACEHOLDERS))}
                 for name in ("subject", "body")}

    # the texts are a fixed set (one per document type and language): changed, never added or removed
    @property
    def can_create(self):
        return False

    @property
    def can_delete(self):
        return False

    action_disallowed_list = ["delete"]

    def is_action_allowed(self, name):
        return name != "delete" and super().is_action_allowed(name)

    def on_model_change(self, form, model, is_created):
        model.subject = outbox.check_text(model.subject, "subject").strip()
        if not model.subject:
            raise DomainError(_("A subject is required."), "subject")
        model.body = outbox.check_text(model.body, "body")


SALES_SETTINGS = [
    ("sales.round_to_krona", _l("Round invoice totals to whole kronor (rounding line)"), "bool"),
    ("sales.env_fee_percent", _l("Environmental fee / consumables, percent of labour (0 = off)"), "decimal"),
    ("sales.env_fee_cap", _l("Environmental fee cap (kr excl. VAT, 0 = no cap)"), "decimal"),
    ("sales.env_fee_vat", _l("VAT rate of the environmental fee (%)"), "decimal"),
    ("sales.invoice_fee_vat", _l("VAT rate of the invoice fee (%)"), "decimal"),
    ("sales.credit_note_own_series", _l("Credit notes have their own number series"), "bool"),
    ("sales.delete_after_months", _l("Delete old quotes and orders after (months)"), "int"),
    ("sales.delete_old_automatically", _l("Delete old quotes and orders automatically every night"), "bool"),
    ("sales.logo_path", _l("Logo on documents (path to a PNG or JPEG file)"), "str"),
    ("sales.text.heading.invoice", _l("Heading: invoice"), "str"),
    ("sales.text.heading.credit_note", _l("Heading: credit note"), "str"),
    ("sales.text.heading.quote", _l("Heading: quote"), "str"),
    ("sales.text.heading.order_confirmation", _l("Heading: order confirmation"), "str"),
    ("sales.text.heading.work_order", _l("Heading: work order"), "str"),
    ("sales.text.heading.delivery_note", _l("Heading: delivery note"), "str"),
    ("sales.text.standard.invoice", _l("Standard text: invoice"), "str"),
    ("sales.text.standard.quote", _l("Standard text: quote"), "str"),
    ("sales.text.standard.order_confirmation", _l("Standard text: order confirmation"), "str"),
    ("sales.text.under_total", _l("Text under the total"), "str"),
    ("sales.text.footer", _l("Footer text"), "str"),
    # the document texts in German and English (issue 9 item 18)
    *[(f"{key}.de", _l("%(text)s (German)", text=label), "str") for key, label in _DOCUMENT_TEXTS],
    *[(f"{key}.en", _l("%(text)s (English)", text=label), "str") for key, label in _DOCUMENT_TEXTS],
    ("sales.email_documents_by_default", _l("E-mail finalised invoices to every customer (otherwise only to "
                                            "customers who chose e-mail)"), "bool"),
    ("sales.smtp_host", _l("SMTP server (empty: e-mails stay in the outbox)"), "str"),
    ("sales.smtp_port", _l("SMTP port"), "int"),
    ("sales.smtp_user", _l("SMTP user"), "str"),
    ("sales.smtp_password", _l("SMTP password"), "secret"),  # never shown back (issue 9 item 2)
    ("sales.smtp_sender", _l("Sender address"), "str"),
]


def parse_sales_settings(form) -> tuple[dict, dict]:
    values, errors = {}, {}
    for key, _label, kind in SALES_SETTINGS:
        raw = (form.get(key) or "").strip()
        if kind == "bool":
            values[key] = form.get(key) in ("on", "1", "true", "y")
        elif kind == "secret":
            if raw:  # left empty: the stored one is kept
                values[key] = raw
        elif kind == "int":
            try:
                values[key] = parse_int(raw, label=_label, required=True, minimum=1, digits=9)
            except DomainError as exc:
                errors[key] = exc.message
        elif kind == "decimal":
            try:
                values[key] = str(parse_decimal(raw, 2, label=_label, required=True, precision=7))
            except DomainError as exc:
                errors[key] = exc.message
        else:
            values[key] = raw
    for key in ("sales.env_fee_vat", "sales.invoice_fee_vat"):
        if key in values and Decimal(values[key]) >= 100:
            errors[key] = _("A VAT rate is below 100 %%.")
    return values, errors


class SalesSettingsView(SecureBaseView):
    """Texts on documents (90.26-90.28, 10.38), fees, rounding, series and e-mail."""

    right_area = "settings"
    view_rights = ("manage",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        current = load_settings(db.session)
        errors = {}
        if request.method == "POST":
            values, errors = parse_sales_settings(request.form)
            if not errors:
                for key, value in values.items():
                    set_setting(db.session, key, value)
                db.session.commit()
                flash(_("The settings are saved."), "success")
                return redirect(url_for(".index"))
            current.update({k: request.form.get(k, "") for k, _a, kind in SALES_SETTINGS if kind != "secret"})
        spec = [(k, l, kind if kind in ("bool", "secret") else "str") for k, l, kind in SALES_SETTINGS]
        secret_keys = [k for k, _a, kind in SALES_SETTINGS if kind == "secret"]
        for key in secret_keys:
            current.pop(key, None)  # never into the page, not even into its context
        return self.render("registers/module_settings.html", spec=spec, values=current, errors=errors,
                           secret_states={k: secret_state(db.session, k) for k in secret_keys},
                           secret_env=SECRET_SETTINGS)


class DeleteOldDocumentsView(SecureBaseView):
    """Radera gamla offerter och order (10.35): preview, then delete; invoices never."""

    right_area = "sales"
    view_rights = ("delete",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        settings = load_settings(db.session)
        raw = request.values.get("months") or str(settings.get("sales.delete_after_months") or 24)
        errors, preview = {}, []
        try:
            months = parse_int(raw, label=_("Older than (months)"), field="months", required=True, digits=4)
            if request.method == "POST" and request.form.get("confirm") == "1":
                count = orders.delete_old_documents(db.session, months, _today(), current_user)
                db.session.commit()
                flash(_("%(n)s old quotes and orders were deleted.", n=count), "success")
                return redirect(url_for(".index", months=months))
            preview = orders.preview_old_documents(db.session, months, _today(), current_user)
        except DomainError as exc:
            db.session.rollback()
            errors[exc.field or "_"] = exc.message
        return self.render("sales/delete_old.html", months=raw, preview=preview[:500], count=len(preview),
                           errors=errors, status_labels=ORDER_STATUS_LABELS, kind_labels=ORDER_KIND_LABELS)


def customer_documents(customer_id: int) -> dict:
    """Quotes, orders and invoices of a customer for the customer card's tabs."""
    if not has_right("sales.view"):
        return {}
    cache = g.setdefault("sales_customer_documents", {})
    if customer_id in cache:
        return cache[customer_id]
    rows = list(db.session.scalars(select(Order).where(Order.customer_id == customer_id,
                                                       visibility.clause(current_user, Order))
                                   .options(joinedload(Order.vehicle), joinedload(Order.invoice))
                                   .order_by(Order.order_date.desc(), Order.id.desc()).limit(500)))
    invoices = list(db.session.scalars(select(Invoice).where(Invoice.customer_id == customer_id,
                                                             visibility.clause(current_user, Invoice))
                                       .order_by(Invoice.invoice_date.desc(), Invoice.id.desc()).limit(500)))
    cache[customer_id] = {"quotes": [o for o in rows if o.kind == "quote"],
                          "orders": [o for o in rows if o.kind == "order"], "invoices": invoices,
                          "status_labels": ORDER_STATUS_LABELS, "kind_labels": INVOICE_KIND_LABELS}
    return cache[customer_id]


def customer_document_counts(customer_id: int) -> dict:
    """How many quotes, orders and invoices of a customer the user may see, for the labels of the
    customer card's tabs: COUNT queries, the rows are read when a tab is opened. Empty when the
    user may not see sales documents (the tabs are left out)."""
    if not has_right("sales.view"):
        return {}
    by_kind = dict(db.session.execute(
        select(Order.kind, func.count()).where(Order.customer_id == customer_id, visibility.clause(current_user, Order))
        .group_by(Order.kind)).all())
    invoices = db.session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.customer_id == customer_id, visibility.clause(current_user, Invoice)))
    return {"quotes": by_kind.get("quote", 0), "orders": by_kind.get("order", 0), "invoices": invoices or 0}


def register(admin) -> None:
    admin.add_view(OrderView(Order, db, name=_l("Quotes and orders"), category=SALES, endpoint="order"))
    admin.add_view(InvoiceView(Invoice, db, name=_l("Invoices and credit notes"), category=SALES,
                               endpoint="invoice"))
    admin.add_view(CollectiveInvoicingView(name=_l("Collective invoicing"), category=SALES,
                                           endpoint="collective_invoicing", url="/admin/collective-invoicing"))
    admin.add_view(ManualCreditNoteView(name=_l("Manual credit note"), category=SALES,
                                        endpoint="manual_credit_note", url="/admin/manual-credit-note"))
    admin.add_view(OutboxView(OutboxMessage, db, name=_l("E-mail outbox"), category=SALES,
                              endpoint="outboxmessage"))
    admin.add_view(DocumentRecipientView(DocumentRecipient, db, name=_l("Document recipients"), category=SALES,
                                         endpoint="documentrecipient"))
    admin.add_view(DeleteOldDocumentsView(name=_l("Delete old quotes and orders"), category=SALES,
                                          endpoint="delete_old_documents", url="/admin/delete-old-documents"))
    admin.add_view(SalesSettingsView(name=_l("Sales documents"), category=_l("Settings"),
                                     endpoint="sales_settings", url="/admin/sales-settings"))
    admin.add_view(MessageTextView(MessageText, db, name=_l("E-mail texts"), category=_l("Settings"),
                                   endpoint="messagetext"))
    admin.app.jinja_env.globals["sales_customer_documents"] = customer_documents
    admin.app.jinja_env.globals["sales_customer_document_counts"] = customer_document_counts
