"""Sales documents (försäljning): quotes and orders with their lines, invoices (read-only),
credit notes, collective invoicing, e-mail outbox, document texts and clean-up.

Thin views: every rule is in services.orders / services.invoicing; rights are checked here on
the server for each endpoint (sales.* and accounting.manual_credit)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask import Response, abort, flash, g, jsonify, redirect, request, session, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    Article,
    CostCenter,
    Customer,
    DocumentRecipient,
    Invoice,
    LabourOperation,
    Order,
    OrderLine,
    OutboxMessage,
    Package,
    Vehicle,
    db,
)
from services import DomainError
from services import invoicing, orders, outbox
from services import search as search_service
from services.pricing import gross_unit_price, line_net, net_from_gross
from services.settings import load_settings, set_setting
from views.base import SecureBaseView, SecureModelView, has_right, module_settings
from views.formatting import money

SALES = _l("Sales")

KIND_LABELS = {"quote": _l("Quote"), "order": _l("Order")}
STATUS_LABELS = {"quote": _l("Quote"), "accepted": _l("Accepted"), "in_progress": _l("In progress"),
                 "ready": _l("Ready (fitted and done)"), "invoiced": _l("Invoiced"), "cancelled": _l("Cancelled")}
LINE_KIND_LABELS = {"article": _l("Article"), "labour": _l("Labour"), "free_text": _l("Free text"),
                    "fixed_price": _l("Fixed price"), "env_fee": _l("Environmental fee"),
                    "invoice_fee": _l("Invoice fee"), "manual": _l("Manual")}
CHARGE_LABELS = {"customer": _l("Customer"), "warranty": _l("Warranty"), "goodwill": _l("Goodwill")}
INVOICE_KIND_LABELS = {"invoice": _l("Invoice"), "credit_note": _l("Credit note")}
DOC_LABELS = {"quote": _l("Quote"), "order_confirmation": _l("Order confirmation"), "work_order": _l("Work order"),
              "delivery_note": _l("Delivery note")}


def _today() -> dt.date:
    return dt.date.today()


# the add-line input each refusal of a line is about (DomainError.field -> input name)
LINE_INPUTS = {"quantity": "quantity", "unit_price": "unit_price", "discount_percent": "discount_percent",
               "vat_percent": "vat_percent", "text": "text", "warranty_payer": "warranty_payer_id",
               "article": "item_id", "labour_operation": "item_id", "package": "item_id", "kind": "kind"}


def _dec(raw, field: str, label) -> Decimal | None:
    raw = (raw or "").strip().replace(" ", "").replace("\xa0", "").replace(",", ".")
    if raw == "":
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise DomainError(_("%(l)s must be a number.", l=label), field) from None


def _id(raw) -> int | None:
    return int(raw) if raw and str(raw).isdigit() else None


def _need(right: str) -> None:
    if not has_right(right):
        abort(403)


def _post(right: str) -> None:
    # the CSRF token of every POST is checked by the global CSRFProtect before this runs
    _need(right)


def _fmt_status(view, context, model, name):
    return STATUS_LABELS.get(model.status, model.status)


def _fmt_kind(view, context, model, name):
    return KIND_LABELS.get(model.kind, model.kind)


def _fmt_vehicle(view, context, model, name):
    return model.vehicle.registration_number if model.vehicle else ""


def _fmt_invoice(view, context, model, name):
    if model.invoice is None:
        return ""
    return Markup(f'<a href="{url_for("invoice.details_view", id=model.invoice.id)}">{escape(model.invoice.number)}</a>')


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
    column_sortable_list = ("id", "kind", "status", "order_date", "customer_order_number")
    column_default_sort = ("id", True)
    column_searchable_list = ("customer_order_number",)  # replaced by _apply_search
    column_filters = (
        FilterEqual(Order.kind, _l("Kind"), options=list(KIND_LABELS.items())),
        FilterEqual(Order.status, _l("Status"), options=list(STATUS_LABELS.items())),
        FilterEqual(Order.customer_id, _l("Customer id")),
        DateBetweenFilter(Order.order_date, _l("Date")),
    )
    form_columns = ("kind", "customer", "payer", "vehicle", "odometer_km", "cost_center", "customer_order_number",
                    "customer_reference", "order_date", "delivery_date", "text")
    form_choices = {"kind": list(KIND_LABELS.items())}
    form_ajax_refs = {
        "customer": {"fields": ("customer_number", "name"), "page_size": 20},
        "payer": {"fields": ("customer_number", "name"), "page_size": 20},
        "vehicle": {"fields": ("registration_number",), "page_size": 20},
    }
    form_args = {"cost_center": {"query_factory": lambda: db.session.scalars(
        select(CostCenter).where(CostCenter.active.is_(True)).order_by(CostCenter.code))}}
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
        order = db.session.get(Order, _id(request.args.get("id")) or 0)
        if order is not None and not order.is_open:
            flash(_("This order is invoiced or cancelled and can no longer be changed."), "error")
            return redirect(self.get_url(".details_view", id=order.id))
        return super().edit_view()

    # ---- the order screen -------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        order = db.session.get(Order, _id(request.args.get("id")) or 0)
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
        return self.render(
            self.details_template, order=order, rows=rows, totals=totals, env_fee=fee, include_vat=include_vat,
            treatment=treatment, status_labels=STATUS_LABELS, kind_labels=KIND_LABELS,
            line_kind_labels=LINE_KIND_LABELS, charge_labels=CHARGE_LABELS, doc_labels=DOC_LABELS,
            transitions=sorted(orders.TRANSITIONS.get(order.status, ()), key=lambda s: (s == "cancelled", s)),
            offer_articles=offer_articles, line_error=line_error or {"values": {}},
            may_edit=self.has("edit") and order.is_open, may_finalise=self.has("finalise") and order.is_open,
            may_send=self.has("send"), return_url=self.get_url(".index_view"),
        )

    def _order_for_change(self) -> Order:
        _post("sales.edit")
        order = db.session.get(Order, _id(request.form.get("order_id")) or 0)
        if order is None:
            abort(404)
        return order

    def _back(self, order: Order, anchor: str = ""):
        return redirect(self.get_url(".details_view", id=order.id) + anchor)

    def _run(self, order: Order, work, success: str | None = None, form: str | None = None):
        """One user action, one transaction: a refusal leaves nothing half-written. With
        ``form``, a refusal about one of the add-line inputs is kept for the next page, which
        shows it under that input with what the user typed."""
        try:
            work()
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            if form and exc.field in LINE_INPUTS:
                values = {k: v for k, v in request.form.items() if k != "csrf_token"}
                session[form] = {"order": order.id, "field": LINE_INPUTS[exc.field], "message": exc.message,
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
                warranty_payer = db.session.get(Customer, _id(form.get("warranty_payer_id")) or 0)
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

    @expose("/status", methods=("POST",))
    def change_status(self):
        order = self._order_for_change()
        self._run(order, lambda: orders.set_status(order, request.form.get("status", "")))
        return self._back(order)

    @expose("/copy", methods=("POST",))
    def copy(self):
        _post("sales.create")
        quote = db.session.get(Order, _id(request.form.get("order_id")) or 0)
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
        order = db.session.get(Order, _id(request.form.get("order_id")) or 0)
        if order is None:
            abort(404)
        made = []
        settings = load_settings(db.session)
        ok = self._run(order, lambda: made.append(
            invoicing.finalise_invoice(db.session, order, current_user, _today(), settings)))
        if ok:
            flash(_("Invoice %(n)s was created.", n=made[0].number), "success")
            return redirect(url_for("invoice.details_view", id=made[0].id))
        return self._back(order)

    @expose("/pdf/<doc_type>")
    def pdf(self, doc_type):
        from reports import sales as pdf_reports

        if doc_type not in DOC_LABELS:
            abort(404)
        order = db.session.get(Order, _id(request.args.get("id")) or 0)
        if order is None:
            abort(404)
        settings = load_settings(db.session)
        data = pdf_reports.order_data(order, doc_type, settings)
        body = pdf_reports.render_pdf(data, settings)
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{pdf_reports.filename(data)}"'})

    @expose("/send", methods=("POST",))
    def send(self):
        from reports import sales as pdf_reports

        _post("sales.send")
        order = db.session.get(Order, _id(request.form.get("order_id")) or 0)
        if order is None:
            abort(404)
        doc_type = "quote" if order.kind == "quote" else "order_confirmation"
        settings = load_settings(db.session)

        def work():
            data = pdf_reports.order_data(order, doc_type, settings)
            message = outbox.queue(db.session, outbox.recipient_for(db.session, order.bill_to, doc_type),
                                   f"{DOC_LABELS[doc_type]} {order.id} – {settings['company.name']}", "",
                                   pdf_reports.filename(data), pdf_reports.render_pdf(data, settings),
                                   current_user, order_id=order.id)
            outbox.send(message, settings)

        self._run(order, work, _("The document was put in the outbox."))
        return self._back(order)

    @expose("/lookup")
    def lookup(self):
        """JSON for the line form: articles, labour operations, packages, customers."""
        kind = request.args.get("kind", "")
        term = (request.args.get("q") or "").strip()
        like = f"%{term}%"
        if kind == "article":
            rows = db.session.scalars(select(Article).where(Article.active.is_(True), or_(
                Article.number.ilike(like), Article.name.ilike(like))).order_by(Article.number).limit(20))
            data = [{"id": a.id, "text": f"{a.number} {a.name}", "price": str(a.price)} for a in rows]
        elif kind == "labour":
            rows = db.session.scalars(select(LabourOperation).where(LabourOperation.active.is_(True), or_(
                LabourOperation.code.ilike(like), LabourOperation.name.ilike(like))).order_by(LabourOperation.code).limit(20))
            data = [{"id": o.id, "text": f"{o.code} {o.name}", "price": str(o.price)} for o in rows]
        elif kind == "package":
            rows = db.session.scalars(select(Package).where(Package.active.is_(True), Package.name.ilike(like))
                                      .order_by(Package.name).limit(20))
            data = [{"id": p.id, "text": p.name} for p in rows]
        elif kind == "customer":
            rows = db.session.scalars(select(Customer).where(Customer.active.is_(True), or_(
                Customer.customer_number == term, Customer.name.ilike(like))).order_by(Customer.name).limit(20))
            data = [{"id": c.id, "text": str(c)} for c in rows]
        else:
            abort(404)
        return jsonify(results=data)


def _fmt_money(view, context, model, name):
    value = getattr(model, name)
    return money(-value if model.kind == "credit_note" else value, model.currency)


def _fmt_invoice_kind(view, context, model, name):
    return INVOICE_KIND_LABELS.get(model.kind, model.kind)


class InvoiceView(SecureModelView):
    """Fakturor och kreditnotor: read-only; corrected only by a credit note."""

    right_area = "sales"
    details_template = "sales/invoice_details.html"
    column_list = ("number", "kind", "invoice_date", "due_date", "customer_number", "customer_name",
                   "vehicle_registration", "total")
    column_labels = {"number": _l("Number"), "kind": _l("Kind"), "invoice_date": _l("Date"),
                     "due_date": _l("Due date"), "customer_number": _l("Customer number"),
                     "customer_name": _l("Customer"), "vehicle_registration": _l("Registration number"),
                     "total": _l("Total")}
    column_formatters = {"total": _fmt_money, "kind": _fmt_invoice_kind}
    column_sortable_list = ("number", "invoice_date", "due_date", "customer_number", "customer_name", "total")
    column_default_sort = ("id", True)
    column_searchable_list = ("number", "customer_name", "vehicle_registration", "ocr")
    column_filters = (FilterEqual(Invoice.kind, _l("Kind"), options=list(INVOICE_KIND_LABELS.items())),
                      FilterEqual(Invoice.customer_id, _l("Customer id")),
                      DateBetweenFilter(Invoice.invoice_date, _l("Date")))
    export_types = ["csv", "xlsx"]
    column_export_list = ("number", "kind", "invoice_date", "due_date", "ocr", "customer_number", "customer_name",
                          "net_total", "vat_total", "rounding", "total", "currency")

    # a finalised invoice is never created, edited or deleted through a form
    can_create = False
    can_edit = False
    can_delete = False

    @expose("/details/")
    def details_view(self):
        invoice = db.session.get(Invoice, _id(request.args.get("id")) or 0)
        if invoice is None:
            return redirect(self.get_url(".index_view"))
        credits = list(db.session.scalars(select(Invoice).where(Invoice.credited_invoice_id == invoice.id)
                                          .order_by(Invoice.id)))
        credited = invoicing.credited_quantities(db.session, invoice) if not invoice.is_credit_note else {}
        return self.render(self.details_template, invoice=invoice, totals=invoicing.invoice_totals(invoice),
                           credits=credits, credited=credited, kind_labels=INVOICE_KIND_LABELS,
                           line_kind_labels=LINE_KIND_LABELS, return_url=self.get_url(".index_view"),
                           may_credit=has_right("sales.credit") and not invoice.is_credit_note,
                           may_export=has_right("sales.export"), may_send=has_right("sales.send"))

    @expose("/pdf")
    def pdf(self):
        from reports import sales as pdf_reports

        invoice = db.session.get(Invoice, _id(request.args.get("id")) or 0)
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
        from reports import peppol

        _need("sales.export")
        invoice = db.session.get(Invoice, _id(request.args.get("id")) or 0)
        if invoice is None:
            abort(404)
        xml = peppol.invoice_xml(invoice, load_settings(db.session))
        return Response(xml, mimetype="application/xml",
                        headers={"Content-Disposition": f'attachment; filename="{invoice.number}.xml"'})

    @expose("/send", methods=("POST",))
    def send(self):
        from reports import sales as pdf_reports

        _post("sales.send")
        invoice = db.session.get(Invoice, _id(request.form.get("invoice_id")) or 0)
        if invoice is None:
            abort(404)
        settings = load_settings(db.session)
        try:
            body = pdf_reports.invoice_pdf(db.session, invoice, settings)
            data = pdf_reports.invoice_data(invoice)
            message = outbox.queue(db.session, outbox.recipient_for(db.session, invoice.customer, invoice.kind),
                                   f"{INVOICE_KIND_LABELS[invoice.kind]} {invoice.number} – {settings['company.name']}",
                                   "", pdf_reports.filename(data), body, current_user, invoice_id=invoice.id)
            sent = outbox.send(message, settings)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("The invoice was sent.") if sent else _("The invoice was put in the outbox."), "success")
        return redirect(self.get_url(".details_view", id=invoice.id))

    @expose("/credit/", methods=("GET", "POST"))
    def credit(self):
        _need("sales.credit")
        invoice = db.session.get(Invoice, _id(request.values.get("id")) or 0)
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
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
                flash(exc.message, "error")
            else:
                flash(_("Credit note %(n)s was created.", n=note.number), "success")
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
            customer = db.session.scalar(select(Customer).where(
                Customer.customer_number == (request.form.get("customer_number") or "").strip()))
            try:
                if customer is None:
                    raise DomainError(_("No customer has this number."), "customer_number")
                note = invoicing.create_manual_credit_note(
                    db.session, customer, request.form.get("amount", ""), request.form.get("vat_percent", "25"),
                    request.form.get("account", ""), request.form.get("text", ""), current_user, _today(),
                    load_settings(db.session))
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                errors[exc.field or "_"] = exc.message
            else:
                flash(_("Credit note %(n)s was created.", n=note.number), "success")
                return redirect(url_for("invoice.details_view", id=note.id))
        return self.render("sales/manual_credit.html", errors=errors, form=request.form)


class CollectiveInvoicingView(SecureBaseView):
    """Samlingsfakturering (10.20): ready orders, one invoice per payer (and cost center)."""

    right_area = "sales"
    view_rights = ("finalise",)

    def _customer_id(self, key: str) -> int | None:
        number = (request.args.get(key) or "").strip()
        if not number:
            return None
        found = db.session.scalar(select(Customer.id).where(Customer.customer_number == number))
        return found or -1

    @expose("/")
    def index(self):
        args = request.args
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
        groups = []
        if args.get("preview") and not errors:
            query = invoicing.ready_orders_query(self._customer_id("customer"), self._customer_id("payer"),
                                                 date_from, date_to)
            found = list(db.session.scalars(query.options(selectinload(Order.lines), joinedload(Order.customer),
                                                          joinedload(Order.payer))))
            groups = invoicing.plan_collective(db.session, found, args.get("per_cost_center") == "1",
                                               load_settings(db.session))
        cost_centers = {c.id: str(c) for c in db.session.scalars(select(CostCenter))}
        return self.render("sales/collective.html", groups=groups, args=args, errors=errors,
                           cost_centers=cost_centers)

    @expose("/run-group", methods=("POST",))
    def run_group(self):
        """Finalise one group (one payer) in its own transaction; the page calls this per group
        and shows the progress."""
        payload = request.get_json(silent=True) or {}
        ids = [i for i in payload.get("order_ids", []) if isinstance(i, int)]
        found = list(db.session.scalars(select(Order).where(Order.id.in_(ids)).order_by(Order.id)))
        try:
            if not found or len(found) != len(ids):
                raise DomainError(_("Some of the orders no longer exist."))
            if any(o.status != "ready" for o in found):
                raise DomainError(_("Some of the orders are not ready for invoicing (or already invoiced)."))
            made = invoicing.finalise_orders(db.session, found, current_user, _today(), load_settings(db.session))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return jsonify(ok=False, error=exc.message)
        return jsonify(ok=True, invoices=[{"number": i.number, "url": url_for("invoice.details_view", id=i.id)}
                                          for i in made])


class OutboxView(SecureModelView):
    """E-post utkorg: what was sent or waits to be sent."""

    right_area = "sales"
    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    column_list = ("created_at", "recipient", "subject", "attachment_name", "status", "sent_at", "error")
    column_labels = {"created_at": _l("Created"), "recipient": _l("Recipient"), "subject": _l("Subject"),
                     "attachment_name": _l("Attachment"), "status": _l("Status"), "sent_at": _l("Sent"),
                     "error": _l("Error"), "body": _l("Message")}
    column_details_list = ("created_at", "recipient", "subject", "body", "attachment_name", "status", "sent_at",
                           "error")
    column_default_sort = ("id", True)
    column_filters = (FilterEqual(OutboxMessage.status, _l("Status"),
                                  options=[("queued", _l("Queued")), ("sent", _l("Sent")), ("failed", _l("Failed"))]),)
    column_formatters = {"attachment_name": lambda v, c, m, n: Markup(
        f'<a href="{url_for("outboxmessage.attachment", id=m.id)}">{escape(m.attachment_name)}</a>')
        if m.attachment_name else ""}

    @expose("/attachment")
    def attachment(self):
        message = db.session.get(OutboxMessage, _id(request.args.get("id")) or 0)
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
        sent = 0
        for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.status.in_(("queued", "failed")))):
            sent += outbox.send(message, settings)
            db.session.commit()
        flash(_("%(n)s messages were sent.", n=sent), "success")
        return redirect(self.get_url(".index_view"))


class DocumentRecipientView(SecureModelView):
    """Olika e-postmottagare per dokumenttyp (11.09)."""

    right_area = "sales"
    column_list = ("customer", "document_type", "email")
    column_labels = {"customer": _l("Customer"), "document_type": _l("Document type"), "email": _l("E-mail")}
    form_columns = ("customer", "document_type", "email")
    form_choices = {"document_type": [("invoice", _l("Invoice")), ("credit_note", _l("Credit note")),
                                      ("quote", _l("Quote")), ("order_confirmation", _l("Order confirmation"))]}
    form_ajax_refs = {"customer": {"fields": ("customer_number", "name"), "page_size": 20}}

    def on_model_change(self, form, model, is_created):
        model.email = (model.email or "").strip()
        if "@" not in model.email:
            raise DomainError(_("Give a valid e-mail address."), "email")


SALES_SETTINGS = [
    ("sales.round_to_krona", _l("Round invoice totals to whole kronor (rounding line)"), "bool"),
    ("sales.env_fee_percent", _l("Environmental fee / consumables, percent of labour (0 = off)"), "decimal"),
    ("sales.env_fee_cap", _l("Environmental fee cap (kr excl. VAT, 0 = no cap)"), "decimal"),
    ("sales.env_fee_vat", _l("VAT rate of the environmental fee (%)"), "decimal"),
    ("sales.invoice_fee_vat", _l("VAT rate of the invoice fee (%)"), "decimal"),
    ("sales.credit_note_own_series", _l("Credit notes have their own number series"), "bool"),
    ("sales.delete_after_months", _l("Delete old quotes and orders after (months)"), "int"),
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
    ("sales.smtp_host", _l("SMTP server (empty: e-mails stay in the outbox)"), "str"),
    ("sales.smtp_port", _l("SMTP port"), "int"),
    ("sales.smtp_user", _l("SMTP user"), "str"),
    ("sales.smtp_password", _l("SMTP password"), "str"),
    ("sales.smtp_sender", _l("Sender address"), "str"),
]


def parse_sales_settings(form) -> tuple[dict, dict]:
    values, errors = {}, {}
    for key, _label, kind in SALES_SETTINGS:
        raw = (form.get(key) or "").strip()
        if kind == "bool":
            values[key] = form.get(key) in ("on", "1", "true", "y")
        elif kind == "int":
            if not raw.isdigit() or int(raw) < 1:
                errors[key] = _("Enter a whole number above zero.")
            else:
                values[key] = int(raw)
        elif kind == "decimal":
            try:
                number = Decimal(raw.replace(",", "."))
                if number < 0 or number >= 100000:
                    raise InvalidOperation
                values[key] = str(number)
            except InvalidOperation:
                errors[key] = _("Enter a number, zero or above.")
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
            current.update({k: request.form.get(k, "") for k, _a, _b in SALES_SETTINGS})
        spec = [(k, l, "bool" if kind == "bool" else "str") for k, l, kind in SALES_SETTINGS]
        return self.render("admin/module_settings.html", spec=spec, values=current, errors=errors)


class DeleteOldDocumentsView(SecureBaseView):
    """Radera gamla offerter och order (10.35): preview, then delete; invoices never."""

    right_area = "sales"
    view_rights = ("delete",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        settings = load_settings(db.session)
        raw = request.values.get("months") or str(settings.get("sales.delete_after_months") or 24)
        errors, preview = {}, []
        months = int(raw) if raw.isdigit() else 0
        try:
            if request.method == "POST" and request.form.get("confirm") == "1":
                count = orders.delete_old_documents(db.session, months, _today())
                db.session.commit()
                flash(_("%(n)s old quotes and orders were deleted.", n=count), "success")
                return redirect(url_for(".index", months=months))
            preview = orders.preview_old_documents(db.session, months, _today())
        except DomainError as exc:
            db.session.rollback()
            errors[exc.field or "_"] = exc.message
        return self.render("sales/delete_old.html", months=raw, preview=preview[:500], count=len(preview),
                           errors=errors, status_labels=STATUS_LABELS, kind_labels=KIND_LABELS)


def customer_documents(customer_id: int) -> dict:
    """Quotes, orders and invoices of a customer for the customer card's tabs."""
    if not has_right("sales.view"):
        return {}
    cache = g.setdefault("sales_customer_documents", {})
    if customer_id in cache:
        return cache[customer_id]
    rows = list(db.session.scalars(select(Order).where(Order.customer_id == customer_id)
                                   .options(joinedload(Order.vehicle), joinedload(Order.invoice))
                                   .order_by(Order.order_date.desc(), Order.id.desc()).limit(500)))
    invoices = list(db.session.scalars(select(Invoice).where(Invoice.customer_id == customer_id)
                                       .order_by(Invoice.invoice_date.desc(), Invoice.id.desc()).limit(500)))
    cache[customer_id] = {"quotes": [o for o in rows if o.kind == "quote"],
                          "orders": [o for o in rows if o.kind == "order"], "invoices": invoices,
                          "status_labels": STATUS_LABELS, "kind_labels": INVOICE_KIND_LABELS}
    return cache[customer_id]


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
    admin.app.jinja_env.globals["sales_customer_documents"] = customer_documents
