"""Vehicle register (fordonsregister) at /admin/vehicle/."""
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import Country, ModelGroup, Vehicle, VehicleCategory, VehicleMake, VehicleNote, db
from services import vehicles as vehicle_rules
from services.search import search_condition
from views.base import LookupFilter, SecureModelView
from views.customers import history_of

FLEET_CHOICES = [("none", _l("None")), ("loaner", _l("Loaner")), ("rental", _l("Rental")),
                 ("test_drive", _l("Test drive"))]

VEHICLE_LABELS = {
    "registration_number": _l("Registration number"), "country": _l("Country"), "vin": _l("VIN"),
    "make": _l("Make"), "model": _l("Model"), "model_group": _l("Model group"), "category": _l("Category"),
    "body_type": _l("Body type"), "fuel": _l("Fuel"), "colour": _l("Colour"),
    "first_registration_date": _l("First registration"), "odometer_km": _l("Odometer (km)"),
    "owner": _l("Owner"), "driver": _l("Driver"), "fleet": _l("Fleet"), "free_field": _l("Free field"),
    "notes": _l("Notes and campaigns"), "open_notes": _l("Open notes"), "reserved": _l("Reserved"),
    "reserved_until": _l("Reserved until"), "reserved_for": _l("Reserved for"),
}


def _flag(view, context, model, name):
    if model.has_open_notes:
        texts = "; ".join(n.text for n in model.notes if n.open)
        return Markup('<span class="text-danger" title="%s">&#9873;</span>') % escape(texts)
    return ""


class NoteInline(InlineFormAdmin):
    form_columns = ("id", "text", "open")
    form_label = _l("Note / campaign")
    column_labels = {"text": _l("Text"), "open": _l("Open")}


class VehicleView(SecureModelView):
    right_area = "vehicle"
    details_template = "admin/vehicle_details.html"
    column_list = ("open_notes", "registration_number", "make", "model", "fleet", "owner", "odometer_km",
                   "first_registration_date")
    column_sortable_list = ("registration_number", ("make", "make.name"), "model", "fleet",
                            ("owner", "owner.name"), "odometer_km", "first_registration_date")
    column_default_sort = ("registration_number", False)
    column_searchable_list = ("registration_number",)
    column_labels = VEHICLE_LABELS
    column_choices = {"fleet": FLEET_CHOICES}
    column_formatters = {"open_notes": _flag}
    column_filters = (
        "fleet",
        LookupFilter(Vehicle.make_id, _l("Make"), VehicleMake),
        LookupFilter(Vehicle.model_group_id, _l("Model group"), ModelGroup),
        LookupFilter(Vehicle.category_id, _l("Category"), VehicleCategory),
        "reserved",
    )
    column_export_list = ("registration_number", "vin", "make", "model", "fleet", "owner", "odometer_km",
                          "first_registration_date")
    form_columns = ("registration_number", "country", "vin", "make", "model", "model_group", "category",
                    "body_type", "fuel", "colour", "first_registration_date", "odometer_km", "owner",
                    "driver", "fleet", "free_field", "notes")
    form_choices = {"fleet": FLEET_CHOICES}
    form_ajax_refs = {
        "owner": {"fields": ("name", "customer_number"), "page_size": 20},
        "driver": {"fields": ("name", "email"), "page_size": 20},
    }
    form_args = {"country": {"query_factory": lambda: db.session.scalars(
        select(Country).where(Country.active.is_(True)).order_by(Country.name))},
        "first_registration_date": {"format": "%Y-%m-%d"}}
    form_widget_args = {"first_registration_date": {"data-date-format": "YYYY-MM-DD"}}
    inline_models = (NoteInline(VehicleNote),)

    def search_placeholder(self):
        return _("Registration number, VIN, make, model, owner")

    def get_query(self):
        # make, owner and the open-notes flag are shown on every row: load them in bulk
        return super().get_query().options(
            joinedload(Vehicle.make), joinedload(Vehicle.owner), selectinload(Vehicle.notes))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        condition = search_condition(db.engine.dialect.name, Vehicle, search)
        if condition is not None:
            query = query.filter(condition)
            if count_query is not None:
                count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def on_model_change(self, form, model, is_created):
        vehicle_rules.prepare_vehicle(db.session, model)
        for note in model.notes:
            if note.created_by_id is None:
                note.created_by_id = current_user.id

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["history"] = history_of(db.session, "vehicle", kwargs["model"].id)
        return super().render(template, **kwargs)
