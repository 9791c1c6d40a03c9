"""Customer register (kundregister) at /admin/customer/."""
import threading
import uuid

from flask import abort, current_app, flash, has_request_context, redirect, request, send_file, url_for
from markupsafe import Markup
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.fields import QuerySelectMultipleField
from flask_admin.model.form import InlineFormAdmin
from flask_admin.model.template import DeleteRowAction
from flask_babel import LazyString, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional

from forms.numbers import DecimalTextField, IntegerTextField
from models import (
    CompanyType,
    Contact,
    ContactTitle,
    Country,
    Customer,
    CustomerArticle,
    CustomerFile,
    CustomFieldValue,
    CustomerLevel,
    District,
    Source,
    SubmittedForm,
    Tag,
    User,
    Vehicle,
    db,
)
from services import DomainError
from services.platform import visibility
from services.registers import customer_files
from services.platform.audit import history_of
from services.platform.search import like_escape
from services.registers import customers as customer_rules
from services.registers import list_actions  # noqa: F401  (declares the list's bulk actions)
from services.registers import register_config
from services.registers.references import (ADDRESS_LABELS, CONTACT_LABELS, CUSTOMER_KIND_LABELS, CUSTOMER_LABELS,
                                          CUSTOMER_TAB_LABELS, LANGUAGE_NAMES)
from services.registers.register_config import check_required, keep_inactive_unchanged
from services.platform.settings import load_settings
from views.platform import form_layout
from views.platform.list_jobs import ListJobsMixin
from views.platform.base import HiddenRule, LookupFilter, SecureModelView, inline_lookups, module_settings

KIND_CHOICES = list(CUSTOMER_KIND_LABELS.items())
TYPE_CHOICES = [("regular", _l("Regular customer")), ("temporary", _l("Temporary customer")),
                ("prospect", _l("Prospect"))]
LANGUAGE_CHOICES = list(LANGUAGE_NAMES.items())

ADDRESS_FIELDS = ("street", "postal_code", "city")


def _active(model):
    return lambda: db.session.scalars(select(model).where(model.active.is_(True)).order_by(model.name))


def _users():
    return db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name))


def _payment_methods():
    """The methods a payment can be registered by (11.12: one of them can be blocked for a customer)."""
    from models import PaymentMethod

    return db.session.scalars(select(PaymentMethod).where(PaymentMethod.active.is_(True),
                                                          PaymentMethod.account_number.is_not(None))
                              .order_by(PaymentMethod.name))


def _identity(view, context, model, name):
    return model.identity_number_display


def _name(view, context, model, name):
    """Module setting "include the customer number in the display name": the number before the
    name, on the same line; not where the list shows the number in a column of its own."""
    if (module_settings().get("customer.number_in_display_name")
            and "customer_number" not in {c for c, _label in view._list_columns}):
        return Markup('<span class="text-muted customer-number">%s</span> %s') % (model.customer_number, model.name)
    return model.name


def _city(view, context, model, name):
    address = model.address("visiting")
    return address.city if address else ""


# --- configuration (services.registers.register_config) turned into forms, columns and filters ------

def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "sv"


def cf_label(f: register_config.FieldDef):
    return LazyString(lambda: f.label(_language()))


def custom_form_field(f: register_config.FieldDef):
    """The WTForms field of a custom field; WTForms checks the type, the service the rest."""
    # a field for one customer kind is required only for that kind: the service checks it
    validators = ([InputRequired()] if f.required and f.kinds is None and f.field_type not in ("bool", "multi_choice")
                  else [Optional()])
    label = cf_label(f)
    if f.field_type == "long_text":
        return TextAreaField(label, validators=validators)
    if f.field_type == "number":
        return IntegerTextField(label, validators=validators, signed=True, precision=14)
    if f.field_type == "decimal":
        return DecimalTextField(label, validators=validators, places=6, signed=True, precision=20)
    if f.field_type == "date":
        return DateField(label, validators=validators)
    if f.field_type == "bool":
        return BooleanField(label)
    if f.field_type == "choice":
        return SelectField(label, choices=[("", "")] + [(c, c) for c in f.choices], validators=validators)
    if f.field_type == "multi_choice":
        return SelectMultipleField(label, choices=[(c, c) for c in f.choices], validators=[Optional()])
    return StringField(label, validators=validators)


class CustomFieldFilter(BaseSQLAFilter):
    """Filter on a custom field through custom_field_value (indexed per field and value)."""

    OPERATIONS = {"contains": _l("contains"), "equals": _l("equals"), "gt": _l("greater than"),
                  "lt": _l("smaller than")}

    def __init__(self, f: register_config.FieldDef, op: str, entity_id_column=None):
        options = None
        if f.field_type in ("choice", "multi_choice"):
            options = [(c, c) for c in f.choices]
        elif f.field_type == "bool":
            options = [("1", _l("Yes")), ("0", _l("No"))]
        # the register's own id column: Flask-Admin joins the filter column's table otherwise
        self.id_column = entity_id_column if entity_id_column is not None else Customer.id
        super().__init__(self.id_column, cf_label(f), options=options)
        self.f, self.op = f, op
        if f.field_type == "date":
            self.data_type = "datepicker"

    def clean(self, value):
        if self.f.field_type == "bool":
            return value == "1"
        if self.f.field_type in ("choice", "multi_choice", "text", "long_text"):
            return value
        try:
            return register_config.parse_value(
                register_config.FieldDef(**{**self.f.__dict__, "required": False}), value)
        except DomainError:
            return None

    def condition(self, value):
        v = CustomFieldValue
        t = self.f.field_type
        if t in ("text", "long_text"):
            term = like_escape(str(value))
            cond = v.value_text.ilike(f"%{term}%", escape="\\")
        elif t == "multi_choice":
            cond = v.value_text.like(f"%|{value}|%")
        elif t == "choice":
            cond = v.value_text == value
        elif t == "bool":
            cond = v.value_bool.is_(bool(value))
        else:
            column = v.value_date if t == "date" else v.value_number
            if value is None:
                return None
            cond = {"equals": column == value, "gt": column > value, "lt": column < value}[self.op]
        return self.id_column.in_(select(v.record_id).where(v.field_id == self.f.id, cond))

    def apply(self, query, value, alias=None):
        cond = self.condition(value)
        if cond is None:
            return query.filter(self.id_column.is_(None))
        if self.f.field_type == "bool" and value is False:
            # "no" also means never answered
            cond = ~self.id_column.in_(select(CustomFieldValue.record_id).where(
                CustomFieldValue.field_id == self.f.id, CustomFieldValue.value_bool.is_(True)))
        return query.filter(cond)

    def operation(self):
        return self.OPERATIONS[self.op]


def custom_filters(f: register_config.FieldDef, id_column=None) -> list:
    if f.field_type in ("text", "long_text"):
        ops = ["contains"]
    elif f.field_type in ("number", "decimal", "date"):
        ops = ["equals", "gt", "lt"]
    else:
        ops = ["equals"]
    return [CustomFieldFilter(f, op, id_column) for op in ops]


def _cf_formatter(f: register_config.FieldDef, entity: str = "customer"):
    def fmt(view, context, model, name):
        values = getattr(model, "_cf_values", None)
        if values is None:
            config = register_config.current(db.session)
            values = register_config.values_of(db.session, config, entity, [model.id]).get(model.id, {})
            model._cf_values = values
        return register_config.display(f, values.get(name))
    return fmt


# form groups (issue 10 item 3): (key, legend, items); an item is a field, or an address as a
# subgroup (kind, legend, fields). Fields the configuration switches off drop out, and a group
# left empty with them; custom fields follow (form_rules_for).
ADD_ADDRESS = {"billing": _l("+ Add billing address"), "postal": _l("+ Add postal address")}
FORM_GROUPS = (
    ("identity", _l("Identity"), ("customer_number", "kind", "customer_type", "name", "org_number",
                                  "personal_number", "vat_number", "company_type", "country", "source", "tags")),
    ("contact", _l("Contact details"), ("email", "phone", "language")),
    ("addresses", _l("Addresses"), tuple((kind, ADDRESS_LABELS[kind], tuple(f"{kind}_{f}" for f in ADDRESS_FIELDS))
                                         for kind in ("visiting", "billing", "postal"))),
    ("contacts", _l("Contacts"), ("contacts",)),
    ("terms", _l("Terms and prices"), ("payment_term", "blocked_payment_methods", "discount_letter", "customer_level",
                                       "cost_center", "customer_articles")),
    ("assignment", _l("Assignment"), ("district", "account_manager", "account_manager_title", "service_advisor",
                                      "sales_advisor", "assigned_technicians")),
    ("settings", _l("Settings"), ("vehicles_disabled", "vehicle_required", "cost_center_required",
                                  "order_number_required", "always_invoice_to_accounting", "email_documents",
                                  "is_insurer", "active", "internal_comment")),
)


def _group_fields(items) -> list[str]:
    return [n for item in items for n in ((item,) if isinstance(item, str) else item[2])]


FORM_FIELD_TO_KEY = {name: key for key, names in register_config.CUSTOMER_FIELDS.items() for name in names}
ALL_FORM_FIELDS = tuple(n for _key, _legend, items in FORM_GROUPS for n in _group_fields(items))
LIST_FORMATTERS_EXTRA = {
    "customer_level": lambda v, c, m, n: str(m.customer_level or ""),
    "source": lambda v, c, m, n: str(m.source or ""),
    "company_type": lambda v, c, m, n: str(m.company_type or ""),
    "country": lambda v, c, m, n: str(m.country or ""),
}
SORTABLE_BUILTIN = {"customer_number", "name", "kind", "customer_type", "email", "phone", "vat_number",
                    "language", "created_at", "active"}


def form_rules_for(fields: set[str], custom: list[register_config.FieldDef]) -> list:
    """The customer form's groups (views/platform/form_layout.py) for the active ``fields`` and the
    ``custom`` fields: a custom field goes into the group its tab names ("identity", ...), or
    into a group of its own tab, or into "Additional information"."""
    placed: dict[str, list[str]] = {}
    for f in custom:
        placed.setdefault(f.tab or "additional", []).append(f.name)
    out = []
    for key, legend, items in FORM_GROUPS:
        content = []
        for item in items:
            if isinstance(item, str):
                if item in fields:
                    content.append(item)
                continue
            kind, sub_legend, names = item
            present = [n for n in names if n in fields]
            if present:
                content.append(form_layout.Subgroup(kind, sub_legend, present, optional=kind in ADD_ADDRESS,
                                                    add_label=ADD_ADDRESS.get(kind)))
        content += placed.pop(key, [])
        if content:
            out.append(form_layout.Group(key, legend, content))
    if "additional" in placed:
        out.append(form_layout.Group("additional", _l("Additional information"), placed.pop("additional")))
    for number, tab in enumerate(placed, 1):  # in the order of the layout (positions)
        out.append(form_layout.Group(f"tab-{number}", tab, placed[tab]))
    out += [HiddenRule("form_nonce"), HiddenRule("edit_version")]
    return out


# what each tab of the customer card shows, loaded with the customer when the tab is rendered: one
# statement for the customer and its many-to-one values, one per collection (never one per row)
TAB_LOADS = {
    "overview": (
        *(joinedload(getattr(Customer, name)) for name in (
            "country", "discount_letter", "payment_term", "district", "customer_level", "source", "company_type",
            "account_manager", "account_manager_title", "service_advisor", "sales_advisor", "cost_center")),
        selectinload(Customer.tags),
        selectinload(Customer.technicians),
        selectinload(Customer.customer_articles).joinedload(CustomerArticle.article),
    ),
    "contacts": (selectinload(Customer.contacts).joinedload(Contact.title),),
    "addresses": (selectinload(Customer.addresses),),
    "vehicles": (selectinload(Customer.vehicles).joinedload(Vehicle.make),),
    "files": (selectinload(Customer.files).joinedload(CustomerFile.uploaded_by),),
}
MODULE_TABS = register_config.MODULE_TABS


class ContactInline(InlineFormAdmin):
    form_columns = ("id", "name", "title", "email", "phone", "send_service_protocol")

    def on_model_change(self, form, model, is_created):
        # custom fields of the contact: checked now, stored by CustomerView once ids exist
        config = register_config.current(db.session)
        sub = getattr(form, "form", form)  # Flask-Admin passes the inline FormField
        model._cf_typed = {f.name: register_config.parse_value(f, sub[f.name].data)
                           for f in config.fields_of("contact") if f.name in sub}
        model._cf_created = is_created
    form_label = _l("Contact")
    column_labels = CONTACT_LABELS
    form_args = {"title": {"query_factory": lambda: _active(ContactTitle)()}}


class CustomerArticleInline(InlineFormAdmin):
    form_columns = ("id", "kind", "article", "quantity")
    form_label = _l("Article added to new orders")
    form_choices = {"kind": [("service", _l("Service article")), ("work_order", _l("Work-order article"))]}
    column_labels = {"kind": _l("Kind"), "article": _l("Article"), "quantity": _l("Quantity")}
    form_ajax_refs = inline_lookups(CustomerArticle, {"article": {"fields": ("number", "name"), "page_size": 20}})


class CustomerView(ListJobsMixin, SecureModelView):
    right_area = "customer"
    view_rights = ("view", "view_assigned")
    edit_rights = ("edit", "edit_assigned")
    details_template = "registers/customer_details.html"
    own_card = True  # its context is built in render() below
    create_template = "registers/customer_form_create.html"
    edit_template = "registers/customer_form_edit.html"
    list_template = "registers/customer_list.html"  # extends admin/list.html

    column_list = ("customer_number", "name", "kind", "customer_type", "identity", "email", "phone",
                   "city", "district", "active")
    column_sortable_list = ("customer_number", "name", "kind", "customer_type", "email", "phone",
                            ("district", "district.name"), "active")
    column_default_sort = ("customer_number", False)
    search_entity = "customer"
    walk_sorts = (None, "customer_number", "name")
    column_searchable_list = ("name",)  # replaced by the index in _apply_search
    column_labels = CUSTOMER_LABELS
    column_choices = {"kind": KIND_CHOICES, "customer_type": TYPE_CHOICES, "language": LANGUAGE_CHOICES}
    column_formatters = {"identity": _identity, "city": _city, "name": _name}
    column_filters = (
        "kind", "customer_type",
        LookupFilter(Customer.district_id, _l("District"), District),
        LookupFilter(Customer.customer_level_id, _l("Customer level"), CustomerLevel),
        LookupFilter(Customer.source_id, _l("Source"), Source),
        LookupFilter(Customer.company_type_id, _l("Company type"), CompanyType),
        LookupFilter(Customer.id, _l("Tag"), Tag, collection=Customer.tags),
        LookupFilter(Customer.country_code, _l("Country"), Country, where=Country.active.is_(True)),
        LookupFilter(Customer.id, _l("Assigned technician"), User, collection=Customer.technicians,
                     label=func.coalesce(func.nullif(User.full_name, ""), User.username)),
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
        "always_invoice_to_accounting", "email_documents", "is_insurer", "active", "contacts", "customer_articles",
        *(f"{kind}_{field}" for kind in ("visiting", "billing", "postal") for field in ADDRESS_FIELDS),
        "assigned_technicians", "blocked_payment_methods",
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
        # 11.12: services.ledger.payments refuses a payment by a blocked method for the customer
        "blocked_payment_methods": QuerySelectMultipleField(
            _l("Blocked payment methods"), query_factory=_payment_methods, allow_blank=True,
            description=_l("Payments by these methods are refused for this customer.")),
    }
    inline_models = (ContactInline(Contact), CustomerArticleInline(CustomerArticle))
    form_create_rules = form_edit_rules = form_rules_for(set(ALL_FORM_FIELDS), [])

    base_form_columns = form_columns
    base_form_extra_fields = form_extra_fields
    base_column_filters = column_filters
    base_column_export_list = column_export_list
    base_formatters = {**column_formatters, **LIST_FORMATTERS_EXTRA}
    base_formatters_export = {**column_formatters_export, **LIST_FORMATTERS_EXTRA}
    # filter -> the configured field it belongs to (hidden when inactive for both kinds)
    FILTER_KEYS = ("kind", "customer_type", "district", "customer_level", "source", "company_type", "tags",
                   "country", "assigned_technicians", "active")

    config = register_config.RegisterConfig()
    _config_token = None
    _config_lock = threading.Lock()

    # --- configuration from the database, rebuilt when its token changes ----------------

    def _ensure_config(self):
        config = register_config.current(db.session)
        if config.token != self._config_token:
            with self._config_lock:
                if config.token != self._config_token:
                    self._apply_config(config)
                    self._config_token = config.token
        return config

    def _apply_config(self, cfg):
        fields = {n for n in ALL_FORM_FIELDS
                  if n not in FORM_FIELD_TO_KEY or cfg.customer_active_any(FORM_FIELD_TO_KEY[n])}
        custom = cfg.fields_of("customer")
        self.config = cfg
        self.form_columns = tuple(n for n in self.base_form_columns if n in fields) + tuple(f.name for f in custom)
        self.form_extra_fields = {**{k: v for k, v in self.base_form_extra_fields.items() if k in fields},
                                  **{f.name: custom_form_field(f) for f in custom}}
        self.form_create_rules = self.form_edit_rules = form_rules_for(fields, custom)
        contact_columns = ("id", "name") + tuple(
            c for c in ("title", "email", "phone", "send_service_protocol") if cfg.active("contact", "", c))
        inlines = []
        if "contacts" in fields:
            contact_custom = cfg.fields_of("contact")
            # a contact field the configuration requires gets its asterisk and its error in the row
            required = {c: {**ContactInline.form_args.get(c, {}), "validators": [DataRequired()]}
                        for c in contact_columns if cfg.required("contact", "", c)}
            inlines.append(ContactInline(Contact, form_columns=contact_columns + tuple(f.name for f in contact_custom),
                                         form_extra_fields={f.name: custom_form_field(f) for f in contact_custom},
                                         form_args={**ContactInline.form_args, **required}))
        if "customer_articles" in fields:
            inlines.append(CustomerArticleInline(CustomerArticle))
        self.inline_models = tuple(inlines)

        columns = cfg.customer_list_columns()
        self.column_list = tuple(columns)
        self.column_sortable_list = tuple(c for c in columns if c in SORTABLE_BUILTIN) + (
            (("district", "district.name"),) if "district" in columns else ())
        self.column_labels = {**CUSTOMER_LABELS, **{f.name: cf_label(f) for f in custom}}
        self.column_formatters = {**self.base_formatters, **{f.name: _cf_formatter(f) for f in custom}}
        self.column_formatters_export = {**self.base_formatters_export,
                                         **{f.name: _cf_formatter(f) for f in custom}}
        self.column_filters = tuple(
            flt for key, flt in zip(self.FILTER_KEYS, self.base_column_filters)
            if key in ("kind", "active") or cfg.customer_active_any(key)
        ) + tuple(flt for f in custom for flt in custom_filters(f))
        self.column_export_list = tuple(
            c for c in self.base_column_export_list
            if register_config.LIST_COLUMNS.get(c, c) is None or cfg.customer_active_any(register_config.LIST_COLUMNS.get(c, c))
        ) + tuple(f.name for f in custom)
        self._refresh_cache()

    def get_sortable_columns(self):
        result = super().get_sortable_columns()
        for f in self.config.fields_of("customer"):
            if f.name in (self.column_list or ()):
                result[f.name] = f.name
        return result

    def prepare_rows(self, rows):
        # one query for the custom columns of the whole page (or export chunk)
        if rows and self.config.fields_of("customer"):
            values = register_config.values_of(db.session, self.config, "customer", [m.id for m in rows])
            for model in rows:
                model._cf_values = values.get(model.id, {})

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        f = self.config.field_by_name("customer", sort_column) if sort_column else None
        if f is not None:
            v = CustomFieldValue
            column = {"number": v.value_number, "decimal": v.value_number, "date": v.value_date,
                      "bool": v.value_bool}.get(f.field_type, v.value_text)
            sub = select(column).where(v.field_id == f.id, v.record_id == Customer.id).scalar_subquery()
            return query.order_by(sub.desc() if sort_desc else sub, Customer.id), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)

    def scaffold_form(self):
        form_class = super().scaffold_form()
        # the number may be left blank: the next free one is generated (services.registers.customers)
        unbound = form_class.customer_number
        unbound.kwargs["validators"] = [v for v in unbound.kwargs.get("validators", [])
                                        if type(v).__name__ != "InputRequired"] + [Optional()]
        unbound.kwargs.setdefault("render_kw", {})["required"] = False
        # typed with dash and spaces, stored normalised: the column length does not apply to input
        for name in ("org_number", "personal_number", "vat_number"):
            field = getattr(form_class, name, None)
            if field is None:
                continue  # inactive in the configuration
            field.kwargs["validators"] = [v for v in field.kwargs.get("validators", [])
                                          if type(v).__name__ != "Length"]
            field.kwargs.setdefault("render_kw", {})["maxlength"] = 20
        return form_class

    # --- rights: view/edit assigned only ---------------------------------------------

    def _assigned_only(self) -> bool:
        return visibility.limited(current_user)

    def get_list_row_actions(self):
        # deleting is rare, refused when anything refers to the customer, and on the card;
        # not one click away on every row of the list
        return [a for a in super().get_list_row_actions() if not isinstance(a, DeleteRowAction)]

    def get_query(self):
        # addresses, district and tags are shown in the list and the export: load them in bulk
        return super().get_query().options(
            selectinload(Customer.addresses), selectinload(Customer.tags), joinedload(Customer.district))

    def walk_allowed(self) -> bool:
        return not self._assigned_only()

    def get_one(self, id):
        if not str(id).isdigit():
            return None
        tab = self._tab_to_load()
        if tab in TAB_LOADS:
            # the card and its tabs: the customer with what the tab shows (pane_context)
            customer = db.session.scalars(select(Customer).where(Customer.id == int(id))
                                          .options(*TAB_LOADS[tab])).unique().one_or_none()
            if customer is not None:
                customer._tab_loaded = tab
        else:
            customer = db.session.get(Customer, int(id))
        if customer is None:
            return None
        if not visibility.visible(db.session, current_user, customer):
            abort(403)
        return customer

    def _tab_to_load(self) -> str | None:
        """The tab the request shows: the one asked for (card_tab), or the card's first configured
        tab (details_view; pane_context loads another when a module tab before it is left out)."""
        if not has_request_context():
            return None
        if request.endpoint == f"{self.endpoint}.card_tab":
            return request.args.get("tab")
        if request.endpoint == f"{self.endpoint}.details_view":
            tabs = register_config.card_tabs(self.config)
            return tabs[0]["key"] if tabs else None
        return None

    def may_change_row(self, row) -> bool:
        return self._may_edit(row)

    def _may_edit(self, customer: Customer) -> bool:
        if self.has("edit"):
            return True
        return self.has("edit_assigned") and customer_rules.is_assigned(customer, current_user)

    def _handle_view(self, name, **kwargs):
        if current_user.is_authenticated:
            self._ensure_config()
        refused = super()._handle_view(name, **kwargs)
        if refused is None and name == "edit_view" and request.args.get("id"):
            customer = self.get_one(request.args["id"])
            if customer is not None and not self._may_edit(customer):
                abort(403)
        return refused

    # --- search through the index ------------------------------------------------------

    def search_placeholder(self):
        return _("Name, number, org./personal no., contact, e-mail, phone")


    # --- forms -------------------------------------------------------------------------

    def _strip_unpermitted(self, form):
        # the form rules are fixed at start-up, so a field the user may not set is shown
        # disabled and ignored on save rather than removed
        if not self.has("assign") and "assigned_technicians" in form:
            form.assigned_technicians.render_kw = {"disabled": True}
        return form

    def create_form(self, obj=None):
        form = self._strip_unpermitted(super().create_form(obj))
        if request.method == "GET" and "country" in form and form.country.data is None:
            form.country.data = db.session.get(Country, "SE")  # the home country, not the first in the list
        return form

    def edit_form(self, obj=None):
        form = self._strip_unpermitted(super().edit_form(obj))
        if "customer_number" in form and not current_user.is_admin:
            # reference 001: only the administrator changes a customer number afterwards (the
            # service refuses it too); the field shows it read-only
            form.customer_number.render_kw = {**(form.customer_number.render_kw or {}), "readonly": True}
            form.customer_number.description = _("Only an administrator can change the customer number.")
        if request.method == "GET" and obj is not None:
            for kind in ("visiting", "billing", "postal"):
                address = obj.address(kind)
                for field in ADDRESS_FIELDS:
                    if f"{kind}_{field}" in form:
                        getattr(form, f"{kind}_{field}").data = getattr(address, field) if address else ""
            values = register_config.values_of(db.session, self.config, "customer", [obj.id]).get(obj.id, {})
            for f in self.config.fields_of("customer"):
                if f.name in form:
                    form[f.name].data = values.get(f.name)
            contact_fields = self.config.fields_of("contact")
            if contact_fields and "contacts" in form:
                entries = [(e, e.object_data) for e in form.contacts.entries if e.object_data is not None]
                stored = register_config.values_of(db.session, self.config, "contact", [c.id for _e, c in entries])
                for entry, contact in entries:
                    for f in contact_fields:
                        if f.name in entry.form:
                            entry.form[f.name].data = stored.get(contact.id, {}).get(f.name)
            if "assigned_technicians" in form:
                form.assigned_technicians.data = list(obj.technicians)
            if "blocked_payment_methods" in form:
                from services.ledger import payments as pay

                blocked = pay.blocked_methods(db.session, obj)
                form.blocked_payment_methods.data = [m for m in _payment_methods() if m.id in blocked]
            if (obj.org_number or obj.personal_number) and "org_number" in form and "personal_number" in form:
                form.org_number.data = obj.identity_number_display if obj.org_number else None
                form.personal_number.data = obj.identity_number_display if obj.personal_number else None
        return form

    def on_model_change(self, form, model, is_created):
        cfg = self.config
        old_number = None
        if not is_created:
            # the form already wrote the typed value; the stored one is in the attribute history
            hist = db.inspect(model).attrs.customer_number.history
            old_number = (hist.deleted or hist.unchanged or [model.customer_number])[0]
        # a value typed into a field the kind does not use is refused next to it, or moved (notice)
        model._kind_notices = keep_inactive_unchanged(db.session, cfg, model, is_created)
        customer_rules.prepare_customer(db.session, model, load_settings(db.session), current_user, old_number)
        self._warn_duplicate_org_number(model)
        for kind in ("visiting", "billing", "postal"):
            if f"{kind}_street" in form and cfg.active("customer", model.kind, f"{kind}_address"):
                customer_rules.set_address(model, kind, *(getattr(form, f"{kind}_{f}").data for f in ADDRESS_FIELDS))
        check_required(cfg, model, {n: form[n].data for n in form.data if n in form})
        typed = register_config.typed_custom_values(
            db.session, cfg, model, {f.name: form[f.name].data for f in cfg.fields_of("customer") if f.name in form}, is_created)
        if self.has("assign") and "assigned_technicians" in form and cfg.active(
                "customer", model.kind, "assigned_technicians"):
            db.session.flush()
            customer_rules.assign_technicians(
                db.session, model, list(form.assigned_technicians.data or []),
                url_for(".details_view", id=model.id),
            )
        if "blocked_payment_methods" in form:
            from models import PaymentMethod
            from services.ledger import payments as pay

            db.session.flush()
            chosen = list(form.blocked_payment_methods.data or [])
            offered = {m.id for m in _payment_methods()}
            # a method blocked before and no longer offered (inactivated) stays blocked
            kept = [] if is_created else [m for m in db.session.scalars(select(PaymentMethod).where(
                PaymentMethod.id.in_(pay.blocked_methods(db.session, model) - offered)))]
            pay.set_blocked_methods(db.session, model, chosen + kept)
        if typed:
            db.session.flush()
            register_config.set_values(db.session, cfg, "customer", model.id, typed, created=is_created)
        contacts = [c for c in model.contacts if getattr(c, "_cf_typed", None)]
        if contacts:
            db.session.flush()
            for contact in contacts:
                register_config.set_values(db.session, cfg, "contact", contact.id, contact._cf_typed,
                                           parent=("customer", model.id), created=contact._cf_created)

    def _warn_duplicate_org_number(self, model):
        """Another customer has this organisation number: refused once with a link to it and a
        box "Save anyway"; ticked (for the same customers), the save goes through."""
        others = customer_rules.duplicates_to_confirm(db.session, model, request.form.get("confirm_duplicate"),
                                                      visibility.clause(current_user, Customer))
        if not others:
            return
        confirmed = customer_rules.confirmation_of(others)
        links = Markup(", ").join(Markup('<a href="%s" target="_blank" class="duplicate-link">%s</a>') % (
            url_for(".details_view", id=c.id), str(c)) for c in others)
        raise DomainError(Markup(
            '<span class="duplicate-warning">%s</span> <label class="d-block mb-0 mt-1 font-weight-normal">'
            '<input type="checkbox" name="confirm_duplicate" value="%s" id="confirm_duplicate"> %s</label>') % (
            # the text is ours; the customers' names were escaped into ``links``
            Markup(_("The organisation number is already used by %(c)s.", c=links)),
            confirmed, _("Save anyway")), "org_number")

    def after_model_change(self, form, model, is_created):
        for notice in getattr(model, "_kind_notices", None) or ():
            flash(notice, "info")
        return super().after_model_change(form, model, is_created)

    def delete_model(self, model):
        try:
            files = list(model.files)
            customer_rules.delete_customer(db.session, model)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return False
        customer_files.discard_all(current_app.config["FILES_DIR"], files)
        return True

    # --- files (Uppladdning): upload needs customer.upload, deleting customer.delete_uploads --

    def _card_of(self, customer_id) -> str:
        return url_for(".details_view", id=customer_id) + "#tab-files"

    @expose("/files/upload/", methods=["POST"])
    def upload_file(self):
        customer = self.get_one(request.form.get("customer_id", ""))
        if customer is None:
            abort(404)
        if not self.has("upload"):
            abort(403)
        nonce = request.form.get("form_nonce", "").strip()[:64]
        if nonce and db.session.get(SubmittedForm, nonce) is not None:
            return redirect(self._card_of(customer.id))  # a double click: uploaded once already
        upload = request.files.get("file")
        files_dir = current_app.config["FILES_DIR"]
        try:
            data = upload.read(customer_files.MAX_BYTES + 1) if upload else b""
            row = customer_files.add_file(db.session, customer, upload.filename if upload else None, data,
                                          current_user, files_dir)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(self._card_of(customer.id))
        if nonce:
            db.session.add(SubmittedForm(nonce=nonce, table_name="customer_file"))
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            customer_files.discard(files_dir, row)
            raise
        flash(_("%(f)s was uploaded.", f=row.filename), "success")
        return redirect(self._card_of(customer.id))

    def _file_of(self, file_id: int) -> CustomerFile:
        row = db.session.get(CustomerFile, file_id)
        if row is None or self.get_one(str(row.customer_id)) is None:
            abort(404)
        return row

    @expose("/files/<int:file_id>/")
    def download_file(self, file_id: int):
        row = self._file_of(file_id)
        path = customer_files.file_path(current_app.config["FILES_DIR"], row)
        if not path.is_file():
            abort(404)
        # pictures and PDFs open in the browser, the rest downloads; never sniffed into HTML
        inline = row.content_type.startswith(("image/", "application/pdf"))
        response = send_file(path, mimetype=row.content_type, as_attachment=not inline,
                             download_name=row.filename, max_age=0)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
        return response

    @expose("/files/<int:file_id>/delete/", methods=["POST"])
    def delete_file(self, file_id: int):
        row = self._file_of(file_id)
        if not self.has("delete_uploads"):
            abort(403)
        customer_id, name = row.customer_id, row.filename
        db.session.delete(row)
        db.session.commit()
        customer_files.discard(current_app.config["FILES_DIR"], row)
        flash(_("%(f)s was deleted.", f=name), "success")
        return redirect(self._card_of(customer_id))

    # --- actions -----------------------------------------------------------------------

    def is_action_allowed(self, name):
        if name in ("inactivate", "activate"):
            return self.has("edit")
        if name == "assign":
            return self.has("assign")
        return super().is_action_allowed(name)

    @action("assign", _l("Assign technicians"))
    def action_assign(self, ids):
        """"Tilldela" in the list: the picker for the chosen customers."""
        if not self.has("assign"):
            abort(403)
        return redirect(url_for(".assign", ids=",".join(str(i) for i in ids), url=request.form.get("url") or None))

    def _assign_targets(self, raw: str) -> list[Customer]:
        ids = [int(i) for i in raw.split(",") if i.strip().isdigit()][:1000]
        return list(db.session.scalars(select(Customer).where(
            Customer.id.in_(ids), visibility.clause(current_user, Customer))
            .options(selectinload(Customer.technicians)).order_by(Customer.customer_number)))

    @expose("/assign/", methods=("GET", "POST"))
    def assign(self):
        """"Tilldela" (reference 001): every technician in groups; for one customer the ticked
        ones are its technicians ("Klar"), for several the ticked ones are added to or removed
        from each. Every user added or removed is notified."""
        if not self.has("assign"):
            abort(403)
        source = request.form if request.method == "POST" else request.args
        customers = self._assign_targets(source.get("ids", ""))
        if not customers:
            abort(404)  # none given, or none the user may see
        back = source.get("url") or ""
        back = back if back.startswith("/admin/") else (
            url_for(".details_view", id=customers[0].id) if len(customers) == 1 else url_for(".index_view"))
        groups = customer_rules.technician_groups(db.session)
        if request.method == "POST":
            known = {u.id: u for _role, users in groups for u in users}
            chosen = [known[int(i)] for i in request.form.getlist("user") if i.isdigit() and int(i) in known]
            mode = request.form.get("mode", "set")
            try:
                if len(customers) == 1 and mode == "set":
                    customer_rules.assign_technicians(db.session, customers[0], chosen,
                                                      url_for(".details_view", id=customers[0].id))
                    changed = 1
                else:
                    changed = customer_rules.assign_in_bulk(
                        db.session, customers, chosen if mode == "add" else [], chosen if mode == "remove" else [],
                        lambda c: url_for(".details_view", id=c.id))
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "error")
                return redirect(url_for(".assign", ids=source.get("ids"), url=back))
            flash(_("Assigned technicians saved for %(n)s customers.", n=changed), "success")
            return redirect(back)
        assigned = {u.id for u in customers[0].technicians} if len(customers) == 1 else set()
        return self.render("registers/customer_assign.html", customers=customers, groups=groups, assigned=assigned,
                           ids=",".join(str(c.id) for c in customers), back=back)

    def _set_active(self, ids, active: bool):
        customers = db.session.scalars(select(Customer).where(Customer.id.in_([int(i) for i in ids]),
                                                        visibility.clause(current_user, Customer))).all()
        customer_rules.set_active(customers, active)
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
        cfg = self.config
        kwargs["config"] = cfg
        if template in (self.create_template, self.edit_template):
            # fields active for one kind only are shown for that kind (static/js/forms.js)
            kwargs["field_kinds"] = {
                name: cfg.customer_kinds_of(key)
                for key, names in register_config.CUSTOMER_FIELDS.items() for name in names
                if len(cfg.customer_kinds_of(key)) == 1}
            kwargs["field_kinds"].update({f.name: list(f.kinds) for f in cfg.fields_of("customer") if f.kinds})
            # a field required for some kinds shows its asterisk on their form only
            kwargs["required_kinds"] = {
                name: kinds for key, names in register_config.CUSTOMER_FIELDS.items()
                if (kinds := [k for k in register_config.KINDS if cfg.required("customer", k, key)])
                for name in names}
            kwargs["required_kinds"].update({f.name: list(f.kinds) for f in cfg.fields_of("customer")
                                             if f.required and f.kinds})
            form = kwargs.get("form")
            kind = form.kind.data if form is not None and "kind" in form else None
            kwargs["form_kind"] = kind if kind in register_config.KINDS else KIND_CHOICES[0][0]
        if template == self.list_template:
            # what the bulk form on "all N matching" asks for (services.registers.list_actions)
            choices = {name for name, _label, _fields in self.bulk_choices()}
            kwargs["bulk_tags"] = list(_active(Tag)()) if choices & {"add_tag", "remove_tag"} else []
            kwargs["bulk_users"] = (customer_rules.technician_groups(db.session)
                                    if choices & {"assign_add", "assign_remove"} else [])
            # each row's links are these with its id put in: one url_for per page, not two per row
            kwargs["row_urls"] = {name: self.get_url(f".{name}_view", id="ROWID", url=kwargs.get("return_url"))
                                  for name in ("details", "edit")}
        if template == self.details_template and kwargs.get("model") is not None:
            # the card: its header, the tab bar with COUNTs and the first tab; the other tabs are
            # fetched when opened (card_tab)
            customer = kwargs["model"]
            counts = self.tab_counts(customer)
            tabs = self.visible_tabs(counts)
            first = tabs[0]["key"] if tabs else "overview"
            kwargs.update(self.pane_context(customer, first), card_tabs=tabs, first_tab=first, tab_counts=counts,
                          module_tabs=MODULE_TABS, tab_url=url_for(".card_tab", id=customer.id, tab="TABKEY"),
                          may_edit=self._may_edit(customer), action_form=self.action_form())
        return super().render(template, **kwargs)

    def tab_counts(self, customer: Customer) -> dict:
        """The counts of the card's tab labels, by COUNT queries; a module tab (quotes, orders,
        invoices, bookings) has a count only when the user may see the module."""
        counts = customer_rules.card_counts(db.session, customer.id)
        env = current_app.jinja_env.globals
        if "sales_customer_document_counts" in env:
            counts.update(env["sales_customer_document_counts"](customer.id))
        if "customer_booking_count" in env:
            bookings = env["customer_booking_count"](customer)
            if bookings is not None:
                counts["bookings"] = bookings
        return counts

    def visible_tabs(self, counts: dict) -> list[dict]:
        """The card's tabs in the configured order, without the module tabs the user may not see."""
        return [t for t in register_config.card_tabs(self.config) if t["key"] not in MODULE_TABS or t["key"] in counts]

    def pane_context(self, customer: Customer, tab: str) -> dict:
        """What registers/_customer_pane.html needs to show ``tab`` of ``customer``; loads only that."""
        cfg = self.config
        if tab in TAB_LOADS and getattr(customer, "_tab_loaded", None) != tab:
            # the customer again with the tab's collections (the row is in the session already)
            db.session.scalars(select(Customer).where(Customer.id == customer.id).options(*TAB_LOADS[tab])
                               .execution_options(populate_existing=True)).unique().one()
        context = {"model": customer, "tab": tab, "tab_labels": CUSTOMER_TAB_LABELS, "language": _language(),
                   "shown": lambda key: cfg.active("customer", customer.kind, key)}
        if tab == "overview" or tab not in CUSTOMER_TAB_LABELS:  # a custom tab shows custom fields
            values = register_config.values_of(db.session, cfg, "customer", [customer.id]).get(customer.id, {})
            context["custom_values"] = [(f, register_config.display(f, values.get(f.name)))
                                        for f in cfg.fields_for("customer", customer.kind)]
        elif tab == "contacts":
            fields = cfg.fields_of("contact")
            stored = register_config.values_of(db.session, cfg, "contact", [p.id for p in customer.contacts])
            context["contact_fields"] = fields
            context["contact_values"] = {cid: {f.name: register_config.display(f, v.get(f.name)) for f in fields}
                                         for cid, v in stored.items()}
        elif tab in ("quotes", "orders", "invoices"):
            documents = current_app.jinja_env.globals.get("sales_customer_documents")
            context["sales_docs"] = documents(customer.id) if documents else {}
        elif tab == "comments":
            from services.registers.comments import comments_of
            context["comments"] = comments_of(db.session, "customer", customer.id)
            context["comment_url"] = url_for("comments.add", entity="customer", record_id=customer.id)
        elif tab == "files":
            context["upload_nonce"] = uuid.uuid4().hex
            context["upload_accept"] = customer_files.ACCEPT
        elif tab in ("history", "events"):
            context["history"] = history_of(db.session, "customer", customer.id)
        return context

    @expose("/tab/")
    def card_tab(self):
        """One tab of the card (registers/_customer_pane.html), fetched when it is opened: the
        card's rights (the customer visible to the user, 403 otherwise; a module tab only for
        users who may see the module, 404 otherwise)."""
        customer = self.get_one(request.args.get("id", ""))
        if customer is None:
            abort(404)
        tab = request.args.get("tab", "")
        if tab not in {t["key"] for t in self.visible_tabs(self.tab_counts(customer))}:
            abort(404)
        response = current_app.make_response(self.render("registers/_customer_pane.html",
                                                         **self.pane_context(customer, tab)))
        response.headers["Cache-Control"] = "no-store"
        return response
