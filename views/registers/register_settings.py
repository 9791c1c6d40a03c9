"""Settings of the customer register (reference 002, "Inställningar"): customer and contact
fields, custom fields, list columns, card tabs, customer types per module. Thin: every rule is
in services.registers.register_config; each POST is one transaction."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from models import CUSTOM_FIELD_ENTITIES, CUSTOM_FIELD_TYPES, CustomField, CustomFieldValue, User, db
from services import DomainError
from services.platform.numbers import parse_int
from services.registers import register_config as rc
from views.platform.base import SecureBaseView, SecureModelView
from services.registers.references import CUSTOMER_KIND_LABELS, CUSTOMER_LABELS, CUSTOMER_TAB_LABELS

TYPE_LABELS = {
    "text": _l("Text"), "long_text": _l("Long text"), "number": _l("Whole number"), "decimal": _l("Decimal number"),
    "date": _l("Date"), "bool": _l("Yes/no"), "choice": _l("Choice list"), "multi_choice": _l("Multiple choice"),
}
ENTITY_LABELS = {"customer": _l("Customers"), "contact": _l("Contacts"), "vehicle": _l("Vehicles")}
MODULE_LABELS = rc.MODULE_LABELS
TYPE_NAMES = rc.CUSTOMER_TYPE_LABELS
FIELD_NAMES = {**CUSTOMER_LABELS, "visiting_address": _l("Visiting address"), "billing_address": _l("Billing address"),
               "postal_address": _l("Postal address"), "title": _l("Title"),
               "send_service_protocol": _l("Send service protocol")}
SECTIONS = (("fields", _l("Customer fields")), ("contact_fields", _l("Contact fields")),
            ("custom", _l("Custom fields")), ("columns", _l("Customer table")), ("tabs", _l("Tabs")),
            ("types", _l("Customer types in modules")))


class RegisterSettingsView(SecureBaseView):
    """/admin/register-settings/: needs settings.manage."""

    right_area = "settings"
    view_rights = ("manage",)

    def _done(self, section: str, message: str):
        db.session.commit()
        flash(message, "success")
        return redirect(url_for(".index", section=section))

    def _render(self, section: str, errors: dict | None = None, status: int = 200, posted=None, **kwargs):
        """The page; after a refused save (``posted``: the form sent) it shows what the user
        chose, not what is stored, so no other edit is lost."""
        cfg = rc.load(db.session)
        counts = dict(db.session.execute(
            select(CustomFieldValue.field_id, func.count()).group_by(CustomFieldValue.field_id)).all())
        all_fields = db.session.scalars(select(CustomField).order_by(
            CustomField.entity, CustomField.position, CustomField.id)).all()
        column_labels = {c: FIELD_NAMES.get(c, c) for c in rc.LIST_COLUMNS}
        column_labels.update({f.name: f.label() for f in cfg.fields_of("customer")})
        chosen = cfg.customer_list_columns()
        columns = chosen + [c for c in cfg.available_list_columns() if c not in chosen]
        tab_labels = dict(CUSTOMER_TAB_LABELS)
        tabs = rc.settings_tabs(cfg)
        # the form layout to drag: per register, "Additional information" (no tab) then each tab
        layouts: dict[str, dict] = {}
        for cf in all_fields:
            if cf.active:
                layouts.setdefault(cf.entity, {None: []}).setdefault(cf.tab, []).append(cf)
        if posted is not None and section == "columns":
            order = [c for c in posted.get("order", "").split(",") if c in columns]
            columns = order + [c for c in columns if c not in order]
            chosen = [c for c in columns if f"show-{c}" in posted]
        if posted is not None and section == "tabs":
            known = {t["key"]: t for t in tabs}
            order = [k for k in posted.get("order", "").split(",") if k in known]
            tabs = [{"key": k, "enabled": f"enabled-{k}" in posted, "main": f"main-{k}" in posted}
                    for k in order] + [t for t in tabs if t["key"] not in order]
        return self.render(
            "registers/register_settings.html", section=section, sections=SECTIONS, cfg=cfg, errors=errors or {},
            customer_fields=list(rc.CUSTOMER_FIELDS), contact_fields=list(rc.CONTACT_FIELDS),
            not_requirable=rc.NOT_REQUIRABLE, contact_not_requirable=rc.CONTACT_NOT_REQUIRABLE,
            not_for_kind=rc.NOT_FOR_KIND, field_names=FIELD_NAMES, kinds=rc.KINDS,
            custom_fields=all_fields, value_counts=counts, type_labels=TYPE_LABELS, entity_labels=ENTITY_LABELS,
            field_types=CUSTOM_FIELD_TYPES, entities=CUSTOM_FIELD_ENTITIES,
            columns=columns, chosen_columns=set(chosen), column_labels=column_labels,
            tabs=tabs, tab_labels=tab_labels, modules=rc.CUSTOMER_TYPE_MODULES, module_labels=MODULE_LABELS,
            type_names=TYPE_NAMES, customer_types=rc.CUSTOMER_TYPES, posted=posted, layouts=layouts,
            kind_labels=CUSTOMER_KIND_LABELS, **kwargs), status

    @expose("/")
    def index(self):
        section = request.args.get("section", "fields")
        if section == "custom" and request.args.get("edit", "").isdigit():
            cf = db.session.get(CustomField, int(request.args["edit"])) or abort(404)
            return self._render("custom", posted=_field_form_values(cf))
        return self._render(section if section in dict(SECTIONS) else "fields")

    # --- built-in fields ------------------------------------------------------------------

    @expose("/fields", methods=["POST"])
    def save_fields(self):
        entity = request.form.get("entity", "customer")
        if entity == "customer":
            keys, kinds = rc.CUSTOMER_FIELDS, rc.KINDS
        else:
            keys, kinds = rc.CONTACT_FIELDS, ("",)
        rules = {}
        for kind in kinds:
            for key in keys:
                if entity == "customer" and key in rc.NOT_FOR_KIND.get(kind, ()):
                    continue
                rules[(kind, key)] = (f"active-{kind}-{key}" in request.form,
                                      f"required-{kind}-{key}" in request.form)
        section = "fields" if entity == "customer" else "contact_fields"
        try:
            rc.save_field_rules(db.session, entity, rules)
        except DomainError as exc:
            db.session.rollback()
            return self._render(section, {"fields": exc.message, "field": exc.field}, 400, posted=request.form)
        return self._done(section, _("Field settings saved."))

    # --- custom fields ----------------------------------------------------------------------

    @expose("/custom", methods=["POST"])
    def save_custom(self):
        form = request.form
        field_id = int(form["field_id"]) if form.get("field_id", "").isdigit() else None
        try:
            position = parse_int(form.get("position"), label=_("Position"), field="position", digits=6) or 0
            rc.save_custom_field(
                db.session, form.get("entity", "customer"), form.get("key", ""), form.get("field_type", ""),
                form.get("label_sv", ""), form.get("label_de", ""), form.get("label_en", ""),
                [c for c in form.get("choices", "").splitlines()], "required" in form, position,
                form.get("tab", "").strip() or None, field_id,
                # the form marks that it showed the kind boxes: both unticked is then refused
                kinds=form.getlist("kinds") if "kinds_shown" in form else None)
        except DomainError as exc:
            db.session.rollback()
            return self._render("custom", {exc.field or "custom": exc.message}, 400, posted=form)
        return self._done("custom", _("Custom field saved."))

    @expose("/custom/layout", methods=["POST"])
    def save_layout(self):
        """The custom fields dragged into their groups (static/js/lowcode.js sends the layout)."""
        import json

        entity = request.form.get("entity", "customer")
        try:
            raw = json.loads(request.form.get("layout") or "[]")
            groups = [(g.get("tab") or None, [int(i) for i in g.get("ids", [])]) for g in raw]
        except (ValueError, TypeError, AttributeError):
            groups = None
        try:
            if entity not in CUSTOM_FIELD_ENTITIES or groups is None:
                raise DomainError(_("The layout could not be read; reload the page and try again."), "layout")
            rc.save_layout(db.session, entity, groups)
        except DomainError as exc:
            db.session.rollback()
            return self._render("custom", {"layout": exc.message}, 400)
        return self._done("custom", _("Form layout saved."))

    @expose("/custom/<int:field_id>/remove", methods=["POST"])
    def remove_custom(self, field_id):
        rc.remove_custom_field(db.session, field_id)
        return self._done("custom", _("The field was removed; its data is kept until you purge it."))

    @expose("/custom/<int:field_id>/restore", methods=["POST"])
    def restore_custom(self, field_id):
        cf = db.session.get(CustomField, field_id) or abort(404)
        cf.active = True
        rc.bump(db.session)
        return self._done("custom", _("The field is shown again."))

    @expose("/custom/<int:field_id>/purge", methods=["POST"])
    def purge_custom(self, field_id):
        try:
            n = rc.purge_custom_field(db.session, field_id)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for(".index", section="custom"))
        return self._done("custom", _("The field and %(n)s stored values were deleted.", n=n))

    # --- list columns, tabs, customer types --------------------------------------------------

    @expose("/columns", methods=["POST"])
    def save_columns(self):
        order = [c for c in request.form.get("order", "").split(",") if c]
        chosen = [c for c in order if f"show-{c}" in request.form]
        try:
            rc.save_list_columns(db.session, chosen)
        except DomainError as exc:
            db.session.rollback()
            return self._render("columns", {"columns": exc.message}, 400, posted=request.form)
        return self._done("columns", _("Customer table saved."))

    @expose("/tabs", methods=["POST"])
    def save_tabs(self):
        order = [t for t in request.form.get("order", "").split(",") if t]
        tabs = [{"key": t, "enabled": f"enabled-{t}" in request.form, "main": f"main-{t}" in request.form}
                for t in order]
        try:
            rc.save_tabs(db.session, tabs)
        except DomainError as exc:
            db.session.rollback()
            return self._render("tabs", {"tabs": exc.message}, 400, posted=request.form)
        return self._done("tabs", _("Tabs saved."))

    @expose("/types", methods=["POST"])
    def save_types(self):
        allowed = {m: [t for t in rc.CUSTOMER_TYPES if f"{m}-{t}" in request.form] for m in rc.CUSTOMER_TYPE_MODULES}
        try:
            rc.save_customer_types(db.session, allowed)
        except DomainError as exc:
            db.session.rollback()
            return self._render("types", {"types": exc.message, "module": exc.field}, 400, posted=request.form)
        return self._done("types", _("Customer types saved."))


def _field_form_values(cf: CustomField) -> dict:
    """The custom field form filled with a stored field (editing it)."""
    return {"field_id": str(cf.id), "entity": cf.entity, "key": cf.key, "field_type": cf.field_type,
            "label_sv": cf.label_sv, "label_de": cf.label_de or "", "label_en": cf.label_en or "",
            "choices": "\n".join(cf.choices or []), "required": "on" if cf.required else None,
            "position": str(cf.position), "tab": cf.tab or "", "kinds": list(cf.kinds or rc.KINDS)}


class MyColumnsView(SecureBaseView):
    """Each user hides list columns for themself (User.hidden_columns["customer"])."""

    right_area = "customer"
    view_rights = ("view", "view_assigned")

    def is_visible(self):
        return False

    @expose("/")
    def index(self):
        cfg = rc.current(db.session)
        view = next(v for v in self.admin._views if getattr(v, "endpoint", None) == "customer")
        view._ensure_config()
        return self.render("platform/my_columns.html", columns=cfg.customer_list_columns(), labels=view.column_labels,
                           hidden=set((current_user.hidden_columns or {}).get("customer", [])))

    @expose("/", methods=["POST"])
    def save(self):
        """The columns the user hides on one list (``list``: the view's endpoint, the customer
        list by default); only a list the user may open, only its own columns."""
        endpoint = request.form.get("list") or "customer"
        view = next((v for v in self.admin._views
                     if isinstance(v, SecureModelView) and v.endpoint == endpoint), None)
        if view is None or not view.is_accessible():
            abort(403)
        if endpoint == "customer":
            view._ensure_config()
        available = {name for name, _label, _hidden in view.column_choices_for_user()}
        hidden = [c for c in request.form.getlist("hide") if c in available]
        if len(hidden) >= len(available):
            flash(_("At least one column must stay visible."), "error")
        else:
            user = db.session.get(User, current_user.id)
            user.hidden_columns = {**(user.hidden_columns or {}), endpoint: hidden}
            db.session.commit()
        target = request.form.get("next") or ""
        return redirect(target if target.startswith("/admin/") else url_for(f"{view.endpoint}.index_view"))

    def is_accessible(self):
        # the page itself is the customer list's; saving checks the list it is posted for
        if request.endpoint == "my_columns.save":
            return current_user.is_authenticated
        return super().is_accessible()


def register(admin):
    admin.add_view(RegisterSettingsView(name=_l("Customer register settings"), category=_l("Settings"),
                                        endpoint="register_settings", url="/admin/register-settings"))
    admin.add_view(MyColumnsView(name=_l("My columns"), endpoint="my_columns", url="/admin/my-columns"))
    from views.registers.comments import CommentsView
    from views.registers.customer_import import CustomerImportView
    from views.registers.customer_tools import CustomerToolsView
    from views.registers.processing_lists import ProcessingListView

    admin.add_view(CommentsView(name=_l("Comments"), endpoint="comments", url="/admin/comments"))
    admin.add_view(CustomerToolsView(name=_l("Customer tools"), endpoint="customer_tools", url="/admin/customer-tools"))
    admin.add_view(ProcessingListView(name=_l("Processing lists"), category=_l("Registers"),
                                      endpoint="processing_lists", url="/admin/processing-lists"))
    admin.add_view(CustomerImportView(name=_l("Import/export customers"), category=_l("Registers"),
                                      endpoint="customer_import", url="/admin/customer-import"))
