"""Customer register (kundregister) at /admin/customer/."""
from flask import abort, flash, redirect, request, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.fields import QuerySelectMultipleField
from flask_admin.form import rules
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import StringField
from wtforms.validators import Optional

from models import (
    AuditLog,
    CompanyType,
    Contact,
    ContactTitle,
    Country,
    Customer,
    CustomerArticle,
    CustomerLevel,
    District,
    Source,
    Tag,
    User,
    db,
)
from services import DomainError
from services import customers as customer_rules
from services.search import search_condition
from services.settings import load_settings
from views.base import LookupFilter, SecureModelView

KIND_CHOICES = [("company", _l("Company")), ("private", _l("Private person"))]
TYPE_CHOICES = [("regular", _l("Regular customer")), ("temporary", _l("Temporary customer")),
                ("prospect", _l("Prospect"))]
LANGUAGE_CHOICES = [("sv", "Svenska"), ("de", "Deutsch"), ("en", "English")]

CUSTOMER_LABELS = {
    "customer_number": _l("Customer number"), "kind": _l("Kind"), "customer_type": _l("Customer type"),
    "name": _l("Name"), "org_number": _l("Organisation number"),
    "personal_number": _l("Personal identity number"), "identity": _l("Org./personal number"),
    "vat_number": _l("VAT number"), "email": _l("E-mail"), "phone": _l("Phone"),
    "language": _l("Language for messages"), "country": _l("Country"),
    "discount_letter": _l("Discount letter"), "payment_term": _l("Payment terms"),
    "district": _l("District"), "customer_level": _l("Customer level"), "source": _l("Source"),
    "company_type": _l("Company type"), "tags": _l("Tags"), "account_manager": _l("Account manager"),
    "account_manager_title": _l("Account manager title"), "service_advisor": _l("Service advisor"),
    "sales_advisor": _l("Sales advisor"), "technicians": _l("Assigned technicians"),
    "assigned_technicians": _l("Assigned technicians"), "cost_center": _l("Cost center"),
    "internal_comment": _l("Internal comment (never shown to the customer)"),
    "vehicles_disabled": _l("Vehicles are disabled for this customer"),
    "vehicle_required": _l("A vehicle is required on orders"),
    "cost_center_required": _l("A cost center is required on orders"),
    "order_number_required": _l("The customer's order number is required on orders"),
    "always_invoice_to_accounting": _l("Always send as invoice to accounting"),
    "active": _l("Active"), "contacts": _l("Contacts"), "customer_articles": _l("Service and work-order articles"),
    "city": _l("City"), "visiting_street": _l("Street"), "visiting_postal_code": _l("Postal code"),
    "visiting_city": _l("City"), "billing_street": _l("Street"), "billing_postal_code": _l("Postal code"),
    "billing_city": _l("City"), "postal_street": _l("Street"), "postal_postal_code": _l("Postal code"),
    "postal_city": _l("City"), "created_at": _l("Created"), "updated_at": _l("Changed"),
}

ADDRESS_FIELDS = ("street", "postal_code", "city")


def _active(model):
    return lambda: db.session.scalars(select(model).where(model.active.is_(True)).order_by(model.name))


def _users():
    return db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name))


def _identity(view, context, model, name):
    return model.identity_number_display


def _city(view, context, model, name):
    address = model.address("visiting")
    return address.city if address else ""


def _name(view, context, model, name):
    return model.name


class ContactInline(InlineFormAdmin):
    form_columns = ("id", "name", "title", "email", "phone", "send_service_protocol")
    form_label = _l("Contact")
    column_labels = {"name": _l("Name"), "title": _l("Title"), "email": _l("E-mail"),
                     "phone": _l("Phone"), "send_service_protocol": _l("Send service protocol")}
    form_args = {"title": {"query_factory": lambda: _active(ContactTitle)()}}


class CustomerArticleInline(InlineFormAdmin):
    form_columns = ("id", "kind", "article", "quantity")
    form_label = _l("Article added to new orders")
    form_choices = {"kind": [("service", _l("Service article")), ("work_order", _l("Work-order article"))]}
    column_labels = {"kind": _l("Kind"), "article": _l("Article"), "quantity": _l("Quantity")}
    form_ajax_refs = {"article": {"fields": ("number", "name"), "page_size": 20}}


class CustomerView(SecureModelView):
    right_area = "customer"
    view_rights = ("view", "view_assigned")
    edit_rights = ("edit", "edit_assigned")
    details_template = "admin/customer_details.html"
    create_template = "admin/customer_form_create.html"
    edit_template = "admin/customer_form_edit.html"
    list_template = "admin/customer_list.html"

    column_list = ("customer_number", "name", "kind", "customer_type", "identity", "email", "phone",
                   "city", "district", "active")
    column_sortable_list = ("customer_number", "name", "kind", "customer_type", "email", "phone",
                            ("district", "district.name"), "active")
    column_default_sort = ("customer_number", False)
    column_searchable_list = ("name",)  # replaced by the index in _apply_search
    column_labels = CUSTOMER_LABELS
    column_choices = {"kind": KIND_CHOICES, "customer_type": TYPE_CHOICES, "language": LANGUAGE_CHOICES}
    column_formatters = {"identity": _identity, "city": _city}
    column_filters = (
        "kind", "customer_type",
        LookupFilter(Customer.district_id, _l("District"), District),
        LookupFilter(Customer.customer_level_id, _l("Customer level"), CustomerLevel),
        LookupFilter(Customer.source_id, _l("Source"), Source),
        LookupFilter(Customer.company_type_id, _l("Company type"), CompanyType),
        LookupFilter(Customer.id, _l("Tag"), Tag, collection=Customer.tags),
        LookupFilter(Customer.country_code, _l("Country"), Country),
        LookupFilter(Customer.id, _l("Assigned technician"), User, collection=Customer.technicians),
        "active",
    )
    column_export_list = ("customer_number", "name", "kind", "customer_type", "identity", "vat_number",
                          "email", "phone", "city", "district", "tags", "active")
    column_formatters_export = {"identity": _identity, "city": _city,
                                "district": lambda v, c, m, n: str(m.district or ""),
                                "tags": lambda v, c, m, n: ", ".join(t.name for t in m.tags)}

    form_columns = (
        "customer_number", "kind", "customer_type", "name", "org_number", "personal_number",
        "vat_number", "email", "phone", "language", "country",
        "discount_letter", "payment_term", "district", "customer_level", "source", "company_type",
        "tags", "account_manager", "account_manager_title", "service_advisor", "sales_advisor",
        "cost_center", "internal_comment",
        "vehicles_disabled", "vehicle_required", "cost_center_required", "order_number_required",
        "always_invoice_to_accounting", "active", "contacts", "customer_articles",
        *(f"{kind}_{field}" for kind in ("visiting", "billing", "postal") for field in ADDRESS_FIELDS),
        "assigned_technicians",
    )
    form_choices = {"kind": KIND_CHOICES, "customer_type": TYPE_CHOICES, "language": LANGUAGE_CHOICES}
    form_args = {
        "country": {"query_factory": _active(Country)},
        "district": {"query_factory": _active(District)},
        "customer_level": {"query_factory": _active(CustomerLevel)},
        "source": {"query_factory": _active(Source)},
        "company_type": {"query_factory": _active(CompanyType)},
        "tags": {"query_factory": _active(Tag)},
        "account_manager": {"query_factory": _users},
        "service_advisor": {"query_factory": _users},
        "sales_advisor": {"query_factory": _users},
        "customer_number": {"description": _l("Leave blank to get the next free number.")},
    }
    form_extra_fields = {
        **{f"{kind}_{field}": StringField(CUSTOMER_LABELS[f"{kind}_{field}"])
           for kind in ("visiting", "billing", "postal") for field in ADDRESS_FIELDS},
        "assigned_technicians": QuerySelectMultipleField(
            _l("Assigned technicians"), query_factory=_users, allow_blank=True),
    }
    inline_models = (ContactInline(Contact), CustomerArticleInline(CustomerArticle))
    form_create_rules = form_edit_rules = (
        rules.FieldSet(("customer_number", "kind", "customer_type", "name", "org_number",
                        "personal_number", "vat_number", "email", "phone", "language", "country"),
                       _l("Customer")),
        rules.FieldSet(("visiting_street", "visiting_postal_code", "visiting_city"), _l("Visiting address")),
        rules.HTML('<div class="optional-address" data-kind="billing">'),
        rules.FieldSet(("billing_street", "billing_postal_code", "billing_city"), _l("Billing address")),
        rules.HTML("</div>"),
        rules.HTML('<div class="optional-address" data-kind="postal">'),
        rules.FieldSet(("postal_street", "postal_postal_code", "postal_city"), _l("Postal address")),
        rules.HTML("</div>"),
        rules.HTML('<div id="address-buttons" class="mb-3"></div>'),
        rules.FieldSet(("contacts",), _l("Contacts")),
        rules.FieldSet(("discount_letter", "payment_term", "district", "customer_level", "source",
                        "company_type", "tags", "account_manager", "account_manager_title",
                        "service_advisor", "sales_advisor", "assigned_technicians", "cost_center"),
                       _l("Terms and classification")),
        rules.FieldSet(("customer_articles",), _l("Service and work-order articles")),
        rules.FieldSet(("internal_comment",), _l("Internal comment")),
        rules.FieldSet(("vehicles_disabled", "vehicle_required", "cost_center_required",
                        "order_number_required", "always_invoice_to_accounting", "active"),
                       _l("Settings")),
        rules.Field("form_nonce"),
        rules.Field("edit_version"),
    )

    def scaffold_form(self):
        form_class = super().scaffold_form()
        # the number may be left blank: the next free one is generated (services.customers)
        unbound = form_class.customer_number
        unbound.kwargs["validators"] = [v for v in unbound.kwargs.get("validators", [])
                                        if type(v).__name__ != "InputRequired"] + [Optional()]
        unbound.kwargs.setdefault("render_kw", {})["required"] = False
        # typed with dash and spaces, stored normalised: the column length does not apply to input
        for name in ("org_number", "personal_number", "vat_number"):
            field = getattr(form_class, name)
            field.kwargs["validators"] = [v for v in field.kwargs.get("validators", [])
                                          if type(v).__name__ != "Length"]
            field.kwargs.setdefault("render_kw", {})["maxlength"] = 20
        return form_class

    # --- rights: view/edit assigned only ---------------------------------------------

    def _assigned_only(self) -> bool:
        return not self.has("view") and self.has("view_assigned")

    def _restrict(self, query):
        if self._assigned_only():
            return query.filter(Customer.technicians.any(User.id == current_user.id))
        return query

    def get_query(self):
        # addresses, district and tags are shown in the list and the export: load them in bulk
        return self._restrict(super().get_query()).options(
            selectinload(Customer.addresses), selectinload(Customer.tags), joinedload(Customer.district))

    def get_count_query(self):
        return self._restrict(super().get_count_query())

    def get_one(self, id):
        customer = db.session.get(Customer, int(id)) if str(id).isdigit() else None
        if customer is None:
            return None
        if self._assigned_only() and not customer_rules.is_assigned(customer, current_user):
            abort(403)
        return customer

    def _may_edit(self, customer: Customer) -> bool:
        if self.has("edit"):
            return True
        return self.has("edit_assigned") and customer_rules.is_assigned(customer, current_user)

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is None and name == "edit_view" and request.args.get("id"):
            customer = self.get_one(request.args["id"])
            if customer is not None and not self._may_edit(customer):
                abort(403)
        return refused

    # --- search through the index ------------------------------------------------------

    def search_placeholder(self):
        return _("Name, number, org./personal no., contact, e-mail, phone")

    def _apply_search(self, query, count_query, joins, count_joins, search):
        condition = search_condition(db.engine.dialect.name, Customer, search)
        if condition is not None:
            query = query.filter(condition)
            if count_query is not None:
                count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    # --- forms -------------------------------------------------------------------------

    def _strip_unpermitted(self, form):
        # the form rules are fixed at start-up, so a field the user may not set is shown
        # disabled and ignored on save rather than removed
        if not self.has("assign"):
            form.assigned_technicians.render_kw = {"disabled": True}
        return form

    def create_form(self, obj=None):
        return self._strip_unpermitted(super().create_form(obj))

    def edit_form(self, obj=None):
        form = self._strip_unpermitted(super().edit_form(obj))
        if request.method == "GET" and obj is not None:
            for kind in ("visiting", "billing", "postal"):
                address = obj.address(kind)
                for field in ADDRESS_FIELDS:
                    getattr(form, f"{kind}_{field}").data = getattr(address, field) if address else ""
            if "assigned_technicians" in form:
                form.assigned_technicians.data = list(obj.technicians)
            if obj.org_number or obj.personal_number:
                form.org_number.data = obj.identity_number_display if obj.org_number else None
                form.personal_number.data = obj.identity_number_display if obj.personal_number else None
        return form

    def on_model_change(self, form, model, is_created):
        old_number = None
        if not is_created:
            # the form already wrote the typed value; the stored one is in the attribute history
            hist = db.inspect(model).attrs.customer_number.history
            old_number = (hist.deleted or hist.unchanged or [model.customer_number])[0]
        customer_rules.prepare_customer(db.session, model, load_settings(db.session), current_user, old_number)
        for kind in ("visiting", "billing", "postal"):
            customer_rules.set_address(model, kind, *(getattr(form, f"{kind}_{f}").data for f in ADDRESS_FIELDS))
        if self.has("assign"):
            db.session.flush()
            customer_rules.assign_technicians(
                db.session, model, list(form.assigned_technicians.data or []),
                url_for(".details_view", id=model.id),
            )

    def delete_model(self, model):
        try:
            customer_rules.delete_customer(db.session, model)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return False
        return True

    # --- actions -----------------------------------------------------------------------

    def is_action_allowed(self, name):
        if name in ("inactivate", "activate"):
            return self.has("edit")
        return super().is_action_allowed(name)

    def _set_active(self, ids, active: bool):
        customers = db.session.scalars(select(Customer).where(Customer.id.in_([int(i) for i in ids]))).all()
        for customer in customers:
            customer.active = active
        db.session.commit()
        return len(customers)

    @action("inactivate", _l("Inactivate"), _l("Inactivate the selected customers?"))
    def action_inactivate(self, ids):
        if not self.has("edit"):
            abort(403)
        flash(_("%(n)s customers inactivated.", n=self._set_active(ids, False)), "success")

    @action("activate", _l("Activate"))
    def action_activate(self, ids):
        if not self.has("edit"):
            abort(403)
        flash(_("%(n)s customers activated.", n=self._set_active(ids, True)), "success")

    # --- card --------------------------------------------------------------------------

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            customer = kwargs["model"]
            kwargs["history"] = history_of(db.session, "customer", customer.id)
            kwargs["may_edit"] = self._may_edit(customer)
            kwargs["action_form"] = self.action_form()
        return super().render(template, **kwargs)


def history_of(session, table: str, record_id: int, limit: int = 500):
    rid = str(record_id)
    return session.scalars(
        select(AuditLog)
        .where(or_((AuditLog.table_name == table) & (AuditLog.record_id == rid),
                   (AuditLog.parent_table == table) & (AuditLog.parent_id == rid)))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    ).all()
