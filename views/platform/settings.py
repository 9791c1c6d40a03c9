"""Settings registers (under the Settings menu) and the module settings page."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from config.defaults import SETTINGS_DEFAULTS
from models import db
from services import DomainError
from services.registers import register_config
from services.platform.numbers import parse_int
from services.registers.references import describe, references_to
from services.platform.settings import load_settings, set_setting
from views.platform.base import SecureBaseView, SecureModelView

LABELS = {"name": _l("Name"), "active": _l("Active"), "code": _l("Code"), "days": _l("Days"),
          "invoice_fee": _l("Invoice fee"), "article_percent": _l("Discount on articles (%)"),
          "labour_percent": _l("Discount on labour (%)"), "percent": _l("Rate (%)"),
          "eu_member": _l("EU member"), "reminder_fee_allowed": _l("Reminder fee allowed")}


class SettingsView(SecureModelView):
    """A settings register; needs the right settings.manage for everything."""

    right_area = "settings"
    view_rights = ("manage",)
    edit_rights = ("manage",)
    column_labels = LABELS
    column_searchable_list = ("name",)
    column_filters = ("active",)
    column_default_sort = ("name", False)
    column_exclude_list = ("version",)

    @property
    def can_create(self):
        return self.has("manage")

    @property
    def can_delete(self):
        return self.has("manage")

    @property
    def can_export(self):
        return self.has("manage")

    def is_action_allowed(self, name):
        return self.has("manage")

    def on_model_change(self, form, model, is_created):
        # "   " passes the form's required check: a blank name is no name
        for field in ("code", "name"):
            if field in form:
                value = (getattr(model, field) or "").strip()
                if not value:
                    raise DomainError(_("%(f)s is required.", f=form[field].label.text), field)
                setattr(model, field, value)
        super().on_model_change(form, model, is_created)

    def delete_model(self, model):
        refs = references_to(db.session, model)
        if refs:
            flash(_("%(m)s is in use (%(what)s) and cannot be deleted; make it inactive instead.",
                    m=str(model), what=describe(refs)), "error")
            return False
        return super().delete_model(model)


class CountryView(SettingsView):
    column_list = ("code", "name", "active", "eu_member")
    column_searchable_list = ("code", "name")
    column_filters = ("active", "eu_member")
    form_columns = ("code", "name", "active", "eu_member")
    column_editable_list = ("active",)
    page_size = 50


# (setting key, label, kind) shown on the module settings page
MODULE_SETTINGS = [
    ("customer.generate_number", _l("Generate the next customer number automatically"), "bool"),
    ("customer.number_min_length", _l("Minimum length of the customer number"), "int"),
    ("customer.number_max_length", _l("Maximum length of the customer number"), "int"),
    ("customer.number_in_display_name", _l("Include the customer number in the display name"), "bool"),
    ("customer.show_cost_center", _l("Show cost center (also on orders)"), "bool"),
    ("customer.show_order_number", _l("Show the customer's order number (also on orders)"), "bool"),
    ("customer.require_order_number", _l("Require the customer's order number on orders"), "bool"),
    ("customer.show_language", _l("Show language"), "bool"),
    ("customer.show_service_articles", _l("Show service articles"), "bool"),
    ("customer.show_work_order_articles", _l("Show work-order articles"), "bool"),
    ("company.name", _l("Company name"), "str"),
    ("company.org_number", _l("Organisation number"), "str"),
    ("company.vat_number", _l("VAT number"), "str"),
    ("company.address", _l("Address"), "str"),
    ("company.postal_code", _l("Postal code"), "str"),
    ("company.city", _l("City"), "str"),
    ("company.phone", _l("Phone"), "str"),
    ("company.email", _l("E-mail"), "str"),
    ("company.bankgiro", _l("Bankgiro"), "str"),
    ("company.plusgiro", _l("Plusgiro"), "str"),
    ("company.iban", _l("IBAN"), "str"),
    ("company.bic", _l("BIC"), "str"),
    ("company.f_tax", _l("Approved for F-tax (Godkänd för F-skatt)"), "bool"),
]


def parse_module_settings(form: dict, spec=MODULE_SETTINGS) -> tuple[dict, dict]:
    """(values, errors) from a posted settings form; nothing is stored while errors exist."""
    values, errors = {}, {}
    for key, label, kind in spec:
        raw = form.get(key)
        if kind == "bool":
            values[key] = raw in ("on", "1", "true", "y")
        elif kind == "int":
            try:
                values[key] = parse_int(raw, label=label, required=True, minimum=1, digits=9)
            except DomainError as exc:
                errors[key] = exc.message
        else:
            values[key] = (raw or "").strip()
    if ("customer.number_min_length" not in errors and "customer.number_max_length" not in errors
            and values.get("customer.number_min_length", 0) > values.get("customer.number_max_length", 99)):
        errors["customer.number_max_length"] = _("The maximum length cannot be below the minimum.")
    if "customer.number_max_length" in values and values["customer.number_max_length"] > 20:
        errors["customer.number_max_length"] = _("A customer number has at most 20 characters.")
    if "company.name" in values and not values["company.name"]:
        errors["company.name"] = _("The company name is required.")
    return values, errors


class ModuleSettingsView(SecureBaseView):
    right_area = "settings"
    view_rights = ("manage",)

    @expose("/", methods=("GET", "POST"))
    def index(self):
        errors = {}
        current = load_settings(db.session)
        if request.method == "POST":
            values, errors = parse_module_settings(request.form)
            if not errors:
                for key, value in values.items():
                    set_setting(db.session, key, value)
                register_config.bump(db.session)  # fields shown follow some of these settings
                db.session.commit()
                flash(_("The settings are saved."), "success")
                return redirect(url_for(".index"))
            current.update({k: request.form.get(k, "") for k, _l2, _k in MODULE_SETTINGS})
        return self.render("registers/module_settings.html", spec=MODULE_SETTINGS, values=current,
                           errors=errors, defaults=SETTINGS_DEFAULTS)
