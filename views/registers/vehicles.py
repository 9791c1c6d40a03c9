"""Vehicle register (fordonsregister) at /admin/vehicle/."""
import threading

from flask import request
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    Country,
    ModelGroup,
    Order,
    Vehicle,
    VehicleCategory,
    VehicleMake,
    VehicleNote,
    db,
)
from services.registers import register_config
from services.registers import vehicles as vehicle_rules
from views.platform.list_jobs import ListJobsMixin
from views.platform.base import LookupFilter, SecureModelView
from views.platform.cards import CardField, CardGroup, CardTab
from views.registers.customers import _cf_formatter, _language, cf_label, custom_filters, custom_form_field

FLEET_CHOICES = [("none", _l("None")), ("loaner", _l("Loaner")), ("rental", _l("Rental")),
                 ("test_drive", _l("Test drive"))]

VEHICLE_LABELS = {
    "registration_number": _l("Registration number"), "country": _l("Country"), "vin": _l("VIN"),
    "make": _l("Make"), "model": _l("Model"), "model_group": _l("Model group"), "category": _l("Category"),
    "body_type": _l("Body type"), "fuel": _l("Fuel"), "colour": _l("Colour"),
    "first_registration_date": _l("First registration"), "odometer_km": _l("Odometer (km)"),
    "owner": _l("Owner"), "driver": _l("Driver"), "fleet": _l("Fleet"), "free_field": _l("Free field"),
    "notes": _l("Notes and campaigns"), "open_notes": _l("Open notes"), "reserved": _l("Reserved"),
    "reserved_until": _l("Reserved until"), "reserved_for": _l("Reserved for"), "reserved_by": _l("Reserved by"),
    "created_at": _l("Created"),
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


def _orders_of(vehicle):
    return select(Order).where(Order.vehicle_id == vehicle.id).order_by(Order.order_date.desc(), Order.id.desc())


class VehicleView(ListJobsMixin, SecureModelView):
    column_details_exclude_list = ("version", "search_text", "reserved_by_id")
    right_area = "vehicle"
    # the card (views.platform.cards): the vehicle, its owner and use, its reservation; custom fields
    # (card_extra_groups), notes, orders, comments and history in tabs
    card_title = "model"
    card_groups = [
        (_l("Vehicle"), ("registration_number", "country", "vin", "make", "model", "model_group", "category",
                         "body_type", "fuel", "colour", "first_registration_date", "odometer_km")),
        (_l("Owner and use"), ("owner", "driver", "fleet", "free_field", "created_at")),
        (_l("Reservation"), ("reserved", "reserved_until", "reserved_for", "reserved_by")),
    ]
    card_tabs = [
        CardTab("notes", _l("Notes and campaigns"), relation="notes", columns=("text", "open", "created_at", "created_by"),
                labels={"text": _l("Text"), "open": _l("Open"), "created_at": _l("Created"), "created_by": _l("By")}),
        CardTab("orders", _l("Orders"), query=_orders_of, columns=("id", "kind", "order_date", "status", "customer")),
    ]
    card_comments = "vehicle"
    column_list = ("open_notes", "registration_number", "make", "model", "fleet", "owner", "odometer_km",
                   "first_registration_date")
    column_sortable_list = ("registration_number", ("make", "make.name"), "model", "fleet",
                            ("owner", "owner.name"), "odometer_km", "first_registration_date")
    column_default_sort = ("registration_number", False)
    search_entity = "vehicle"
    walk_sorts = (None, "registration_number")
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

    base_form_columns = form_columns
    base_column_list = column_list
    base_column_filters = column_filters
    base_column_export_list = column_export_list
    base_formatters = column_formatters

    config = register_config.RegisterConfig()
    _config_token = None
    _config_lock = threading.Lock()

    # --- custom fields ("egendefinierade fält") from the configuration, rebuilt when its
    # token changes: the same mechanism as CustomerView, so every worker follows a change

    def _ensure_config(self):
        config = register_config.current(db.session)
        if config.token != self._config_token:
            with self._config_lock:
                if config.token != self._config_token:
                    self._apply_config(config)
                    self._config_token = config.token
        return config

    def _apply_config(self, cfg):
        custom = cfg.fields_of("vehicle")
        names = tuple(f.name for f in custom)
        self.config = cfg
        self.form_columns = self.base_form_columns + names
        self.form_extra_fields = {f.name: custom_form_field(f) for f in custom}
        self.column_list = self.base_column_list + names
        self.column_labels = {**VEHICLE_LABELS, **{f.name: cf_label(f) for f in custom}}
        formatters = {f.name: _cf_formatter(f, "vehicle") for f in custom}
        self.column_formatters = {**self.base_formatters, **formatters}
        self.column_formatters_export = formatters
        self.column_filters = self.base_column_filters + tuple(
            flt for f in custom for flt in custom_filters(f, Vehicle.id))
        self.column_export_list = self.base_column_export_list + names
        self._refresh_cache()

    def _handle_view(self, name, **kwargs):
        if current_user.is_authenticated:
            self._ensure_config()
        return super()._handle_view(name, **kwargs)

    def prepare_rows(self, rows):
        # one query for the custom columns of the whole page (or export chunk)
        if rows and self.config.fields_of("vehicle"):
            values = register_config.values_of(db.session, self.config, "vehicle", [m.id for m in rows])
            for model in rows:
                model._cf_values = values.get(model.id, {})

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET" and "country" in form and form.country.data is None:
            form.country.data = db.session.get(Country, "SE")  # the home country, not the first in the list
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None:
            values = register_config.values_of(db.session, self.config, "vehicle", [obj.id]).get(obj.id, {})
            for f in self.config.fields_of("vehicle"):
                if f.name in form:
                    form[f.name].data = values.get(f.name)
        return form

    def search_placeholder(self):
        return _("Registration number, VIN, make, model, owner")

    def get_query(self):
        # make, owner and the open-notes flag are shown on every row: load them in bulk
        return super().get_query().options(
            joinedload(Vehicle.make), joinedload(Vehicle.owner), selectinload(Vehicle.notes))


    def on_model_change(self, form, model, is_created):
        vehicle_rules.prepare_vehicle(db.session, model)
        for note in model.notes:
            if note.created_by_id is None:
                note.created_by_id = current_user.id
        # checked by type (and required) here as well: a DomainError lands next to the field
        typed = {f.name: register_config.parse_value(f, form[f.name].data)
                 for f in self.config.fields_of("vehicle") if f.name in form}
        if typed:
            db.session.flush()
            register_config.set_values(db.session, self.config, "vehicle", model.id, typed, created=is_created)

    def card_extra_groups(self, record):
        """The custom fields (services.registers.register_config), one group per tab they are placed on."""
        fields = self.config.fields_of("vehicle")
        if not fields:
            return []
        values = register_config.values_of(db.session, self.config, "vehicle", [record.id]).get(record.id, {})
        language = _language()
        groups = []
        for tab in dict.fromkeys(f.tab for f in fields):
            groups.append(CardGroup(tab or _("Additional information"), [
                CardField(f.name, f.label(language), register_config.display(f, values.get(f.name)),
                          dom_id=f"cf-{f.key}") for f in fields if f.tab == tab]))
        return groups
