"""Low-code configuration of the customer register (reference 002, "Inställningar"):
which built-in fields are active and required per customer kind, contact fields, custom
fields ("egendefinierade fält"), list columns, card tabs and customer types per module.

The configuration is read once per process and cached; every change writes a new token in
ConfigVersion, so every worker notices on its next page load (one primary-key read) and
reloads. The cache keeps plain data (no ORM objects), so it is safe across sessions."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, false, insert, select, true
from sqlalchemy.orm import Session, object_session

from models import (
    CUSTOM_FIELD_ENTITIES,
    CUSTOM_FIELD_TYPES,
    AuditLog,
    ConfigVersion,
    Contact,
    Customer,
    CustomField,
    CustomFieldValue,
    FieldRule,
    Setting,
    Vehicle,
    utcnow,
)
from services import DomainError
from services.platform.numbers import parse_decimal, parse_int
from services.platform.settings import load_settings

CONFIG_NAME = "register"
KINDS = ("company", "private")

# built-in customer form fields an administrator configures (key -> form fields it covers);
# customer_number, kind, name and active are always there
CUSTOMER_FIELDS: dict[str, tuple[str, ...]] = {
    "customer_type": ("customer_type",),
    "org_number": ("org_number",),
    "personal_number": ("personal_number",),
    "vat_number": ("vat_number",),
    "email": ("email",),
    "phone": ("phone",),
    "language": ("language",),
    "country": ("country",),
    "visiting_address": ("visiting_street", "visiting_postal_code", "visiting_city"),
    "billing_address": ("billing_street", "billing_postal_code", "billing_city"),
    "postal_address": ("postal_street", "postal_postal_code", "postal_city"),
    "contacts": ("contacts",),
    "discount_letter": ("discount_letter",),
    "payment_term": ("payment_term",),
    "district": ("district",),
    "customer_level": ("customer_level",),
    "source": ("source",),
    "company_type": ("company_type",),
    "tags": ("tags",),
    "account_manager": ("account_manager",),
    "account_manager_title": ("account_manager_title",),
    "service_advisor": ("service_advisor",),
    "sales_advisor": ("sales_advisor",),
    "assigned_technicians": ("assigned_technicians",),
    "cost_center": ("cost_center",),
    "customer_articles": ("customer_articles",),
    "internal_comment": ("internal_comment",),
    "vehicles_disabled": ("vehicles_disabled",),
    "vehicle_required": ("vehicle_required",),
    "cost_center_required": ("cost_center_required",),
    "order_number_required": ("order_number_required",),
    "always_invoice_to_accounting": ("always_invoice_to_accounting",),
}
ALWAYS_CUSTOMER_FIELDS = ("customer_number", "kind", "name", "active")
# a yes/no box or a list of articles cannot be "required"
NOT_REQUIRABLE = {"vehicles_disabled", "vehicle_required", "cost_center_required", "order_number_required",
                  "always_invoice_to_accounting", "customer_articles", "customer_type", "language", "country"}
# the identity number that does not fit a kind is never shown for it
NOT_FOR_KIND = {"company": {"personal_number"}, "private": {"org_number", "company_type"}}

CONTACT_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",), "email": ("email",), "phone": ("phone",),
    "send_service_protocol": ("send_service_protocol",),
}
CONTACT_NOT_REQUIRABLE = {"send_service_protocol"}

# list columns offered (column -> the customer field it shows, None: always there)
LIST_COLUMNS: dict[str, str | None] = {
    "customer_number": None, "name": None, "kind": None, "customer_type": "customer_type",
    "identity": "org_number|personal_number", "vat_number": "vat_number", "email": "email",
    "phone": "phone", "city": "visiting_address", "district": "district",
    "customer_level": "customer_level", "source": "source", "company_type": "company_type",
    "language": "language", "country": "country", "created_at": None, "active": None,
}
DEFAULT_LIST_COLUMNS = ("customer_number", "name", "kind", "customer_type", "identity", "email", "phone",
                        "city", "district", "active")

# tabs of the customer card: built-in ones; custom tabs are added by key
BUILTIN_TABS = ("overview", "contacts", "addresses", "vehicles", "quotes", "orders", "invoices", "bookings",
                "comments", "files", "events", "history")
# the tabs a module fills: the card shows them when the user may see the module's records
MODULE_TABS = ("quotes", "orders", "invoices", "bookings")
# "Events" is off until switched on (reference 002: "Aktivera menyfliken Händelser")
DEFAULT_TABS = [{"key": t, "enabled": t != "events", "main": t != "events"} for t in BUILTIN_TABS]
_DEFAULT_TAB = {t["key"]: t for t in DEFAULT_TABS}

# the modules that take a customer and so may be limited to some customer types (reference
# 002, "Kundtyper i moduler"); only modules that exist are listed (the settings page shows
# these). A module added later adds its key here and calls check_customer_type where a
# customer is chosen, and customer_type_clause in its look-ups.
CUSTOMER_TYPE_MODULES = ("quotes", "orders", "bookings")
CUSTOMER_TYPES = ("regular", "temporary", "prospect")
DEFAULT_CUSTOMER_TYPES = {"orders": ["regular", "temporary"], "quotes": ["regular", "temporary", "prospect"],
                          "bookings": ["regular", "temporary"]}
# an order's kind -> the module whose customer types apply
ORDER_KIND_MODULES = {"quote": "quotes", "order": "orders"}
MODULE_LABELS = {"orders": _l("Orders"), "quotes": _l("Quotes"), "bookings": _l("Bookings")}
# the module's name inside a sentence ("... cannot be chosen for orders")
MODULE_NOUNS = {"orders": _l("orders"), "quotes": _l("quotes"), "bookings": _l("bookings")}
CUSTOMER_TYPE_LABELS = {"regular": _l("Regular customer"), "temporary": _l("Temporary customer"),
                        "prospect": _l("Prospect")}

KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class FieldDef:
    """A custom field as plain data (what forms, lists and imports are built from)."""

    id: int
    entity: str
    key: str
    field_type: str
    labels: dict
    choices: tuple[str, ...]
    required: bool
    position: int
    active: bool
    tab: str | None
    kinds: tuple[str, ...] | None = None  # customer kinds it is for; None: every kind

    def applies_to(self, kind: str | None) -> bool:
        """Is the field on the form and card of a customer of ``kind`` (contacts and vehicles:
        always)."""
        return self.kinds is None or self.entity != "customer" or kind in self.kinds

    @property
    def name(self) -> str:
        """Name of the form field and list column: cf_<key>."""
        return f"cf_{self.key}"

    def label(self, language: str = "sv") -> str:
        return self.labels.get(language) or self.labels.get("sv") or self.key


@dataclass
class RegisterConfig:
    token: str = ""
    rules: dict = field(default_factory=dict)  # (entity, kind, field) -> (active, required)
    custom_fields: tuple[FieldDef, ...] = ()
    list_columns: tuple[str, ...] = DEFAULT_LIST_COLUMNS
    tabs: tuple[dict, ...] = tuple(DEFAULT_TABS)
    customer_types: dict = field(default_factory=lambda: dict(DEFAULT_CUSTOMER_TYPES))

    # --- built-in fields ---------------------------------------------------------------

    def active(self, entity: str, kind: str, name: str) -> bool:
        if entity == "customer":
            if name in ALWAYS_CUSTOMER_FIELDS:
                return True
            if name in NOT_FOR_KIND.get(kind, ()):
                return False
        return self.rules.get((entity, kind, name), (True, False))[0]

    def required(self, entity: str, kind: str, name: str) -> bool:
        return self.active(entity, kind, name) and self.rules.get((entity, kind, name), (True, False))[1]

    def customer_active_any(self, name: str) -> bool:
        return any(self.active("customer", k, n) for k in KINDS for n in name.split("|"))

    def customer_kinds_of(self, name: str) -> list[str]:
        return [k for k in KINDS if self.active("customer", k, name)]

    # --- custom fields -----------------------------------------------------------------

    def fields_of(self, entity: str, include_removed: bool = False) -> list[FieldDef]:
        return [f for f in self.custom_fields if f.entity == entity and (f.active or include_removed)]

    def fields_for(self, entity: str, kind: str | None) -> list[FieldDef]:
        """The active custom fields of a record of customer kind ``kind``."""
        return [f for f in self.fields_of(entity) if f.applies_to(kind)]

    def field_by_name(self, entity: str, name: str) -> FieldDef | None:
        return next((f for f in self.fields_of(entity) if f.name == name), None)

    # --- list ---------------------------------------------------------------------------

    def available_list_columns(self) -> list[str]:
        """Every column the list may show now: built-in ones whose field is active, custom fields."""
        cols = [c for c, f in LIST_COLUMNS.items() if f is None or self.customer_active_any(f)]
        return cols + [f.name for f in self.fields_of("customer")]

    def customer_list_columns(self) -> list[str]:
        available = set(self.available_list_columns())
        return [c for c in self.list_columns if c in available]


# --- the cache ---------------------------------------------------------------------------

_CACHE: dict[str, RegisterConfig] = {}


def _cache_key(session: Session) -> str:
    return str(session.get_bind().url)


def current_token(session: Session) -> str:
    return session.scalar(select(ConfigVersion.token).where(ConfigVersion.name == CONFIG_NAME)) or ""


def current(session: Session) -> RegisterConfig:
    """The configuration, read from the database only when its token changed."""
    token = current_token(session)
    key = _cache_key(session)
    cached = _CACHE.get(key)
    if cached is not None and cached.token == token:
        return cached
    config = load(session, token)
    _CACHE[key] = config
    return config


# module settings of the customer register (reference 001) that switch a field off for every kind
MODULE_SETTING_FIELDS = {
    "customer.show_cost_center": ("cost_center",),
    "customer.show_language": ("language",),
}


def load(session: Session, token: str = "") -> RegisterConfig:
    rules = {(r.entity, r.kind, r.field): (r.active, r.required) for r in session.scalars(select(FieldRule))}
    module_settings = load_settings(session)
    for key, names in MODULE_SETTING_FIELDS.items():
        if not module_settings.get(key, True):
            rules.update({("customer", kind, name): (False, False) for kind in KINDS for name in names})
    if not (module_settings.get("customer.show_service_articles", True)
            or module_settings.get("customer.show_work_order_articles", True)):
        rules.update({("customer", kind, "customer_articles"): (False, False) for kind in KINDS})
    fields = tuple(
        FieldDef(id=f.id, entity=f.entity, key=f.key, field_type=f.field_type,
                 labels={"sv": f.label_sv, "de": f.label_de, "en": f.label_en},
                 choices=tuple(f.choices or ()), required=f.required, position=f.position,
                 active=f.active, tab=f.tab, kinds=tuple(f.kinds) if f.kinds else None)
        for f in session.scalars(select(CustomField).order_by(CustomField.position, CustomField.id))
    )
    stored = {s.key: s.value for s in session.scalars(select(Setting).where(Setting.key.like("lowcode.%")))}
    types = dict(DEFAULT_CUSTOMER_TYPES)
    types.update(stored.get("lowcode.customer_types") or {})
    tabs = list(stored.get("lowcode.customer_tabs") or DEFAULT_TABS)
    if "lowcode.events_tab" in stored:
        # before issue 10 "Events" had two switches (its tab and "activate the tab"), both had
        # to be on; the tab's own switch is the one now (save_tabs drops the old setting)
        tabs = [{**t, "enabled": bool(t.get("enabled")) and bool(stored["lowcode.events_tab"])}
                if t.get("key") == "events" else t for t in tabs]
    return RegisterConfig(
        token=token, rules=rules, custom_fields=fields,
        list_columns=tuple(stored.get("lowcode.customer_columns") or DEFAULT_LIST_COLUMNS),
        tabs=tuple(tabs),
        customer_types=types,
    )


def bump(session: Session) -> str:
    """Mark the configuration changed (in the caller's transaction)."""
    token = uuid.uuid4().hex
    row = session.get(ConfigVersion, CONFIG_NAME)
    if row is None:
        session.add(ConfigVersion(name=CONFIG_NAME, token=token))
    else:
        row.token, row.changed_at = token, utcnow()
    return token


def _set(session: Session, key: str, value) -> None:
    stored = session.get(Setting, key)
    if stored is None:
        session.add(Setting(key=key, value=value))
    else:
        stored.value = value


# --- field rules ---------------------------------------------------------------------------

def validate_field_rules(entity: str, rules: dict[tuple[str, str], tuple[bool, bool]]) -> None:
    """``rules`` maps (kind, field) to (active, required); refuse what cannot be."""
    if entity == "customer":
        known, not_requirable = CUSTOMER_FIELDS, NOT_REQUIRABLE
    elif entity == "contact":
        known, not_requirable = CONTACT_FIELDS, CONTACT_NOT_REQUIRABLE
    else:
        raise DomainError(_("Unknown register: %(e)s", e=entity))
    for (kind, name), (active, required) in rules.items():
        if name not in known:
            raise DomainError(_("Unknown field: %(f)s", f=name), name)
        if entity == "customer" and kind not in KINDS:
            raise DomainError(_("Unknown customer kind: %(k)s", k=kind), name)
        if required and not active:
            raise DomainError(_("%(f)s cannot be required and inactive at the same time.", f=name), name)
        if required and name in not_requirable:
            raise DomainError(_("%(f)s cannot be required.", f=name), name)
        if entity == "customer" and active is False and name in NOT_FOR_KIND.get(kind, ()):
            continue


def save_field_rules(session: Session, entity: str, rules: dict[tuple[str, str], tuple[bool, bool]]) -> None:
    validate_field_rules(entity, rules)
    existing = {(r.kind, r.field): r for r in session.scalars(select(FieldRule).where(FieldRule.entity == entity))}
    for (kind, name), (active, required) in rules.items():
        row = existing.get((kind, name))
        if row is None:
            session.add(FieldRule(entity=entity, kind=kind, field=name, active=active, required=required))
        elif (row.active, row.required) != (active, required):
            row.active, row.required = active, required
    bump(session)


# --- custom fields --------------------------------------------------------------------------

def builtin_names(entity: str) -> set[str]:
    model = {"customer": Customer, "contact": Contact, "vehicle": Vehicle}[entity]
    names = {a.key for a in model.__mapper__.attrs} | {c.name for c in model.__table__.columns}
    if entity == "customer":
        names |= set(CUSTOMER_FIELDS) | set(LIST_COLUMNS) | set(ALWAYS_CUSTOMER_FIELDS)
        names |= {n for fields in CUSTOMER_FIELDS.values() for n in fields}
    return names


def validate_custom_field(session: Session, entity: str, key: str, field_type: str, label_sv: str,
                          choices: list[str] | None, required: bool, field_id: int | None = None) -> list[str]:
    """Check a custom field definition; return the cleaned choices."""
    if entity not in CUSTOM_FIELD_ENTITIES:
        raise DomainError(_("Unknown register: %(e)s", e=entity), "entity")
    if not KEY.match(key or ""):
        raise DomainError(_("A key has 2 to 40 characters: lower-case letters, digits and _, "
                            "starting with a letter."), "key")
    if key in builtin_names(entity) or f"cf_{key}" in builtin_names(entity):
        raise DomainError(_("The key %(k)s is used by a built-in field.", k=key), "key")
    taken = session.scalar(select(CustomField.id).where(CustomField.entity == entity, CustomField.key == key,
                                                        CustomField.id != (field_id or 0)))
    if taken:
        raise DomainError(_("The key %(k)s is already used by another custom field.", k=key), "key")
    if field_type not in CUSTOM_FIELD_TYPES:
        raise DomainError(_("Unknown field type: %(t)s", t=field_type), "field_type")
    if not (label_sv or "").strip():
        raise DomainError(_("A label is required."), "label_sv")
    cleaned = [c.strip() for c in (choices or []) if c and c.strip()]
    if field_type in ("choice", "multi_choice"):
        if not cleaned:
            raise DomainError(_("A choice list needs at least one choice."), "choices")
        if len(set(cleaned)) != len(cleaned):
            raise DomainError(_("Each choice may appear only once."), "choices")
        if any("|" in c for c in cleaned):
            raise DomainError(_("A choice cannot contain the character |."), "choices")
    else:
        cleaned = []
    if required and field_type == "bool":
        raise DomainError(_("A yes/no field cannot be required."), "required")
    return cleaned


def _clean_kinds(entity: str, kinds) -> list[str] | None:
    """The customer kinds a field is for: None for every kind (and for contacts and vehicles)."""
    if entity != "customer" or kinds is None:
        return None
    kinds = [k for k in KINDS if k in set(kinds)]
    if not kinds:
        raise DomainError(_("Choose at least one customer kind the field is for."), "kinds")
    return None if len(kinds) == len(KINDS) else kinds


def _clean_tab(tab: str | None) -> str | None:
    tab = (tab or "").strip() or None
    if tab is not None and tab in BUILTIN_TABS:
        raise DomainError(_("%(t)s is the key of a built-in tab; choose another name.", t=tab), "tab")
    if tab is not None and len(tab) > 40:
        raise DomainError(_("A tab name has at most 40 characters."), "tab")
    return tab


def save_custom_field(session: Session, entity: str, key: str, field_type: str, label_sv: str,
                      label_de: str = "", label_en: str = "", choices: list[str] | None = None,
                      required: bool = False, position: int = 0, tab: str | None = None,
                      field_id: int | None = None, kinds: list[str] | None = None) -> CustomField:
    """Add a custom field, or (``field_id``) edit one: its register and key stay what they
    are (stored values and list columns refer to them)."""
    if field_id:
        cf = session.get(CustomField, field_id)
        if cf is None:
            raise DomainError(_("The custom field no longer exists."))
        entity, key = cf.entity, cf.key
    key = (key or "").strip().lower()
    cleaned = validate_custom_field(session, entity, key, field_type, label_sv, choices, required, field_id)
    kinds = _clean_kinds(entity, kinds)
    tab = _clean_tab(tab)
    if field_id:
        if cf.field_type != field_type and session.scalar(
                select(CustomFieldValue.id).where(CustomFieldValue.field_id == cf.id).limit(1)):
            raise DomainError(_("The type cannot change while values are stored; purge the field first."),
                              "field_type")
    else:
        cf = CustomField(entity=entity)
        session.add(cf)
    cf.key, cf.field_type, cf.label_sv = key, field_type, label_sv.strip()
    cf.label_de, cf.label_en = (label_de or "").strip(), (label_en or "").strip()
    cf.choices, cf.required, cf.position, cf.tab, cf.active = cleaned or None, required, position, tab or None, True
    cf.kinds = kinds
    bump(session)
    return cf


def save_layout(session: Session, entity: str, groups: list[tuple[str | None, list[int]]]) -> None:
    """The form layout dragged on the settings page: ``groups`` in order, each (its tab, None
    for "Additional information"; the field ids in order). Positions are renumbered 10, 20, ...
    A field of the register that is missing keeps its place after the placed ones."""
    fields = {cf.id: cf for cf in session.scalars(select(CustomField).where(CustomField.entity == entity))}
    seen: set[int] = set()
    position = 0
    for tab, ids in groups:
        tab = _clean_tab(tab)
        for field_id in ids:
            cf = fields.get(field_id)
            if cf is None:
                raise DomainError(_("The custom field no longer exists."), "layout")
            if field_id in seen:
                raise DomainError(_("A field may be placed only once."), "layout")
            seen.add(field_id)
            position += 10
            cf.position, cf.tab = position, tab
    for cf in sorted((f for f in fields.values() if f.id not in seen), key=lambda f: (f.position, f.id)):
        position += 10
        cf.position = position
    bump(session)


def remove_custom_field(session: Session, field_id: int) -> None:
    """Hide a custom field; its values stay until purged."""
    cf = session.get(CustomField, field_id)
    if cf is not None:
        cf.active = False
        bump(session)


def purge_custom_field(session: Session, field_id: int) -> int:
    """Delete a removed custom field and every value stored in it; returns the values deleted."""
    cf = session.get(CustomField, field_id)
    if cf is None:
        return 0
    if cf.active:
        raise DomainError(_("Remove the field before purging its data."))
    n = session.execute(delete(CustomFieldValue).where(CustomFieldValue.field_id == field_id)).rowcount
    session.delete(cf)
    bump(session)
    return n or 0


# --- values ------------------------------------------------------------------------------------

# yes/no as people write it, in every UI language (custom fields, the import, the history)
TRUE_WORDS = {"1", "y", "yes", "ja", "j", "true", "on", "x", "sant", "wahr"}
FALSE_WORDS = {"0", "n", "no", "nej", "nein", "false", "off", "", "falskt", "falsch"}


def parse_value(f: FieldDef, raw):
    """Typed value of what was typed or imported (None when blank); DomainError when bad."""
    if isinstance(raw, (list, tuple)):
        values = [str(v).strip() for v in raw if str(v).strip()]
        if f.field_type != "multi_choice":
            raw = values[0] if values else None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if f.required:
            raise DomainError(_("%(f)s is required.", f=f.label()), f.name)
        return None if f.field_type != "bool" else False
    t = f.field_type
    try:
        if t in ("text", "long_text"):
            text = str(raw).strip()
            if t == "text" and len(text) > 500:
                raise DomainError(_("%(f)s: at most 500 characters.", f=f.label()), f.name)
            return text
        if t in ("number", "decimal"):
            if isinstance(raw, bool):
                raise ValueError
            # the one parser (services.platform.numbers); a spreadsheet cell's float is read as written
            typed = repr(raw) if isinstance(raw, float) else raw
            if t == "number":
                return parse_int(typed, label=f.label(), field=f.name, signed=True, digits=14)
            return parse_decimal(typed, 6, label=f.label(), field=f.name, signed=True, precision=20)
        if t == "date":
            if isinstance(raw, dt.datetime):
                return raw.date()
            if isinstance(raw, dt.date):
                return raw
            return dt.date.fromisoformat(str(raw).strip()[:10])
        if t == "bool":
            if isinstance(raw, bool):
                return raw
            word = str(raw).strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError
        if t == "choice":
            if str(raw).strip() not in f.choices:
                raise DomainError(_("%(f)s: %(v)s is not one of the choices.", f=f.label(), v=raw), f.name)
            return str(raw).strip()
        if t == "multi_choice":
            values = raw if isinstance(raw, (list, tuple)) else [v for v in re.split(r"[,;|]", str(raw))]
            values = [str(v).strip() for v in values if str(v).strip()]
            bad = [v for v in values if v not in f.choices]
            if bad:
                raise DomainError(_("%(f)s: %(v)s is not one of the choices.", f=f.label(), v=", ".join(bad)),
                                  f.name)
            if not values and f.required:
                raise DomainError(_("%(f)s is required.", f=f.label()), f.name)
            return [c for c in f.choices if c in values] or None
    except (ValueError, InvalidOperation, TypeError):
        kinds = {"number": _("a whole number"), "decimal": _("a number"), "date": _("a date (YYYY-MM-DD)"),
                 "bool": _("yes or no")}
        raise DomainError(_("%(f)s: %(v)s is not %(kind)s.", f=f.label(), v=raw, kind=kinds.get(t, t)), f.name)
    return raw


def _columns(f: FieldDef, value) -> dict:
    cols = dict(value_text=None, value_long=None, value_number=None, value_date=None, value_bool=None)
    if value is None:
        return cols
    t = f.field_type
    if t == "text" or t == "choice":
        cols["value_text"] = value
    elif t == "long_text":
        cols["value_long"] = value
        cols["value_text"] = value[:500]  # searchable and sortable by its start
    elif t in ("number", "decimal"):
        cols["value_number"] = Decimal(value)
    elif t == "date":
        cols["value_date"] = value
    elif t == "bool":
        cols["value_bool"] = bool(value)
    elif t == "multi_choice":
        cols["value_text"] = "|" + "|".join(value) + "|"
    return cols


def stored_value(f: FieldDef, row) -> object:
    """The Python value of a stored row (or of a dict of its columns)."""
    get = (lambda k: row.get(k)) if hasattr(row, "get") else (lambda k: getattr(row, k))
    t = f.field_type
    if t in ("text", "choice"):
        return get("value_text")
    if t == "long_text":
        return get("value_long")
    if t == "number":
        v = get("value_number")
        return int(v) if v is not None else None
    if t == "decimal":
        v = get("value_number")
        return v.normalize() if isinstance(v, Decimal) else v
    if t == "date":
        return get("value_date")
    if t == "bool":
        return get("value_bool")
    if t == "multi_choice":
        v = get("value_text")
        return [x for x in (v or "").split("|") if x]
    return None


def display(f: FieldDef, value) -> str:
    if value is None or value == []:
        return ""
    if f.field_type == "bool":
        return _("Yes") if value else _("No")
    if f.field_type == "multi_choice":
        return ", ".join(value)
    if f.field_type == "decimal":
        return format(value, "f").replace(".", ",")
    if f.field_type == "date":
        return value.isoformat()
    return str(value)


def values_of(session: Session, config: RegisterConfig, entity: str, record_ids: list[int],
              include_removed: bool = False) -> dict[int, dict[str, object]]:
    """{record id: {cf_name: python value}} in one query."""
    if not record_ids:
        return {}
    defs = {f.id: f for f in config.fields_of(entity, include_removed)}
    out: dict[int, dict[str, object]] = {rid: {} for rid in record_ids}
    if not defs:
        return out
    v = CustomFieldValue
    # plain rows, not ORM objects: this runs for every list page; chunks keep an export of
    # many thousand rows under the databases' limits on bound parameters
    for start in range(0, len(record_ids), 5000):
        rows = session.execute(select(v.field_id, v.record_id, v.value_text, v.value_long, v.value_number,
                                      v.value_date, v.value_bool).where(
            v.entity == entity, v.record_id.in_(record_ids[start:start + 5000]),
            v.field_id.in_(list(defs)))).mappings()
        for row in rows:
            f = defs[row["field_id"]]
            out.setdefault(row["record_id"], {})[f.name] = stored_value(f, row)
    return out


def set_values(session: Session, config: RegisterConfig, entity: str, record_id: int, typed: dict[str, object],
               parent: tuple[str, int] | None = None, audit: bool = True, created: bool = False) -> None:
    """Store typed values (cf_name -> value from parse_value); history records each change, as
    part of the record's creation when ``created`` (the record was made in the same save)."""
    defs = {f.name: f for f in config.fields_of(entity)}
    existing = {r.field_id: r for r in session.scalars(select(CustomFieldValue).where(
        CustomFieldValue.entity == entity, CustomFieldValue.record_id == record_id))}
    log = []
    for name, value in typed.items():
        f = defs.get(name)
        if f is None:
            continue  # unknown or removed field: never written
        cols = _columns(f, value)
        row = existing.get(f.id)
        old = display(f, stored_value(f, row)) if row is not None else ""
        new = display(f, value)
        if row is None:
            if all(v is None for v in cols.values()):
                continue
            session.add(CustomFieldValue(field_id=f.id, entity=entity, record_id=record_id, **cols))
        else:
            for k, v in cols.items():
                setattr(row, k, v)
        if old != new:
            log.append(dict(at=utcnow(), user_id=session.info.get("user_id"),
                            action="create" if created else "update", table_name=entity, record_id=str(record_id),
                            parent_table=parent[0] if parent else None,
                            parent_id=str(parent[1]) if parent else None,
                            field=name, old_value=old or None, new_value=new or None))
    if log and audit:
        session.execute(insert(AuditLog), log)


def delete_values(session: Session, entity: str, record_ids: list[int]) -> None:
    if record_ids:
        session.execute(delete(CustomFieldValue).where(CustomFieldValue.entity == entity,
                                                       CustomFieldValue.record_id.in_(record_ids)))


# --- list columns, tabs, customer types -----------------------------------------------------

def save_list_columns(session: Session, columns: list[str]) -> None:
    config = load(session)
    available = set(config.available_list_columns())
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise DomainError(_("Unknown or inactive column: %(c)s", c=", ".join(unknown)), "columns")
    if len(set(columns)) != len(columns):
        raise DomainError(_("A column may be chosen only once."), "columns")
    if not columns:
        raise DomainError(_("Choose at least one column."), "columns")
    _set(session, "lowcode.customer_columns", list(columns))
    bump(session)


def validate_tabs(session: Session, tabs: list[dict]) -> list[dict]:
    custom_tabs = {f.tab for f in load(session).fields_of("customer") if f.tab}
    known = set(BUILTIN_TABS) | custom_tabs
    keys = [t.get("key") for t in tabs]
    for key in keys:
        if key not in known:
            raise DomainError(_("The tab %(t)s does not exist (any more).", t=key), "tabs")
    if len(set(keys)) != len(keys):
        raise DomainError(_("A tab may appear only once."), "tabs")
    if not any(t.get("enabled") for t in tabs):
        raise DomainError(_("At least one tab must be enabled."), "tabs")
    # tabs not mentioned keep their default place at the end
    out = [{"key": t["key"], "enabled": bool(t.get("enabled")), "main": bool(t.get("main"))} for t in tabs]
    out += [_later_tab(key) for key in [*BUILTIN_TABS, *sorted(custom_tabs)] if key not in keys]
    return out


def _later_tab(key: str) -> dict:
    """A tab missing from a stored order (a custom tab, or a built-in tab a later version added):
    a built-in tab as it is by default, a custom tab enabled in the "More" menu."""
    return dict(_DEFAULT_TAB.get(key, {"key": key, "enabled": True, "main": False}))


def save_tabs(session: Session, tabs: list[dict]) -> None:
    _set(session, "lowcode.customer_tabs", validate_tabs(session, tabs))
    old = session.get(Setting, "lowcode.events_tab")
    if old is not None:
        session.delete(old)  # the second switch of "Events" (load() explains)
    bump(session)


def settings_tabs(config: RegisterConfig) -> list[dict]:
    """Every tab the settings page lists, in the stored order: built-in ones, custom tabs that
    have fields (a tab whose fields were all removed is left out)."""
    custom = sorted({f.tab for f in config.fields_of("customer") if f.tab})
    known = {*BUILTIN_TABS, *custom}
    out, seen = [], set()
    for t in [*config.tabs, *(_later_tab(k) for k in [*BUILTIN_TABS, *custom])]:
        if t["key"] in known and t["key"] not in seen:
            seen.add(t["key"])
            out.append({"key": t["key"], "enabled": bool(t.get("enabled", True)), "main": bool(t.get("main"))})
    return out


def card_tabs(config: RegisterConfig) -> list[dict]:
    """Enabled tabs in order, each {"key", "main"}: built-in and module tabs, custom tabs with
    fields. The card leaves out a module tab the user may not see."""
    return [{"key": t["key"], "main": t["main"]} for t in settings_tabs(config) if t["enabled"]]


def save_customer_types(session: Session, allowed: dict[str, list[str]]) -> None:
    for module, types in allowed.items():
        if module not in CUSTOMER_TYPE_MODULES:
            raise DomainError(_("Unknown module: %(m)s", m=module), module)
        bad = [t for t in types if t not in CUSTOMER_TYPES]
        if bad:
            raise DomainError(_("Unknown customer type: %(t)s", t=", ".join(bad)), module)
        if not types:
            raise DomainError(_("Each module needs at least one customer type."), module)
    _set(session, "lowcode.customer_types", {m: list(t) for m, t in allowed.items()})
    bump(session)


def allowed_customer_types(session: Session, module: str) -> set[str]:
    """Which customer types (regular / temporary / prospect) may be chosen in ``module``
    (one of CUSTOMER_TYPE_MODULES)."""
    if module not in CUSTOMER_TYPE_MODULES:
        raise DomainError(_("Unknown module: %(m)s", m=module))
    return set(current(session).customer_types.get(module, CUSTOMER_TYPES))


def check_customer_type(session: Session, customer: Customer | None, module: str, field: str = "customer") -> None:
    """The one rule of "customer types in modules": a customer whose type is switched off for
    ``module`` cannot be chosen there (the server refuses it; look-ups use
    customer_type_clause so they do not offer it). A record that already has the customer
    keeps it: only a new choice is checked."""
    if customer is None:
        return
    if session is None:
        session = object_session(customer)
    allowed = (allowed_customer_types(session, module) if session is not None
               else set(DEFAULT_CUSTOMER_TYPES[module]))  # a record in no session yet: the defaults
    if customer.customer_type not in allowed:
        raise DomainError(_("%(c)s cannot be chosen for %(module)s: the customer type %(type)s is switched off "
                            "for %(module)s in the customer register settings.",
                            c=str(customer), module=MODULE_NOUNS[module],
                            type=CUSTOMER_TYPE_LABELS.get(customer.customer_type, customer.customer_type)), field)


def customer_type_clause(session: Session, *modules: str):
    """SQL condition for customer look-ups: the customers whose type may be chosen in any of
    ``modules`` (none given: no condition)."""
    if not modules:
        return true()
    allowed = set().union(*(allowed_customer_types(session, m) for m in modules))
    if allowed >= set(CUSTOMER_TYPES):
        return true()
    return Customer.customer_type.in_(sorted(allowed)) if allowed else false()


def choosable_customer_clause(session: Session, *modules: str):
    """What every customer picker offers: active customers of the types ``modules`` allow
    (an inactive customer cannot be chosen for anything new, reference 001)."""
    return Customer.active.is_(True) & customer_type_clause(session, *modules)


# --- applying the field rules to a customer --------------------------------------------------

FIELD_LABELS = {
    "visiting_address": "Visiting address", "billing_address": "Billing address",
    "postal_address": "Postal address",
}
COLUMN_DEFAULTS = {"customer_type": "regular", "language": "sv", "country_code": "SE"}


def field_label(key: str) -> str:
    from services.registers.references import CUSTOMER_LABELS  # the labels the user sees on the form

    if key in FIELD_LABELS:
        return _(FIELD_LABELS[key])
    return str(CUSTOMER_LABELS.get(key, key))


# customer kind -> (identity field it does not use, the one it uses)
IDENTITY_FIELDS = {"private": ("org_number", "personal_number"), "company": ("personal_number", "org_number")}


def _typed(state, name: str, prop) -> bool:
    """The form or import put a value into ``name`` that is not blank and not what was stored."""
    hist = state.attrs[name].history
    if not hist.has_changes():
        return False
    new = list(hist.added) if getattr(prop, "uselist", False) else (hist.added[0] if hist.added else None)
    if _blank(new) or new is False:
        return False
    old = list(hist.unchanged) + list(hist.deleted)
    return not old or old[0] != new


def _move_identity(config: RegisterConfig, customer: Customer, state) -> str | None:
    """A number typed into the identity field of the other kind (the organisation number of a
    private person) goes where it belongs when that field is empty and the number is valid
    there; the notice says so."""
    from services.registers.identifiers import normalise_org_number, normalise_personal_number

    wrong, right = IDENTITY_FIELDS.get(customer.kind, (None, None))
    if wrong is None or not config.active("customer", customer.kind, right):
        return None
    mapper = state.mapper
    if not _typed(state, wrong, mapper.attrs[wrong]) or not _blank(getattr(customer, right)):
        return None
    value = getattr(customer, wrong)
    try:
        (normalise_personal_number if right == "personal_number" else normalise_org_number)(value)
    except DomainError:
        return None
    setattr(customer, right, value)
    hist = state.attrs[wrong].history
    old = hist.deleted or hist.unchanged
    setattr(customer, wrong, old[0] if old else None)
    if right == "personal_number":
        return _("%(v)s was typed as the organisation number of a private person; it was saved as the "
                 "personal identity number.", v=value)
    return _("%(v)s was typed as the personal identity number of a company; it was saved as the "
             "organisation number.", v=value)


def _not_for_kind(kind: str) -> str:
    return (_("This field is not used for a private person: clear it, or choose Company.") if kind == "private"
            else _("This field is not used for a company: clear it, or choose Private person."))


def typed_custom_values(session: Session, config: RegisterConfig, customer: Customer, raw: dict,
                        is_created: bool) -> dict:
    """The custom values a customer form sent (field name -> raw data), typed by parse_value.
    A field not for the customer's kind is not written; a value typed into it is refused next
    to it (it never vanishes silently), a stored one stays."""
    typed, stored = {}, None
    for f in config.fields_of("customer"):
        if f.name not in raw:
            continue
        if f.applies_to(customer.kind):
            typed[f.name] = parse_value(f, raw[f.name])
            continue
        value = parse_value(replace(f, required=False), raw[f.name])
        if stored is None:
            stored = {} if is_created else values_of(session, config, "customer", [customer.id]).get(customer.id, {})
        if value not in (None, [], False, "") and value != stored.get(f.name):
            raise DomainError(_not_for_kind(customer.kind), f.name)
    return typed


def keep_inactive_unchanged(session: Session, config: RegisterConfig, customer: Customer,
                            is_created: bool) -> list[str]:
    """A field inactive for the customer's kind cannot be set through a form: a value typed
    into it never vanishes silently. An identity number typed into the other kind's field is
    moved where it belongs (the notice is returned for the user); any other typed value is
    refused next to its field. Changes that are no value (a cleared field) are undone (a new
    customer gets the default)."""
    from sqlalchemy import inspect

    state = inspect(customer)
    mapper = state.mapper
    notices = [n for n in [_move_identity(config, customer, state)] if n]
    for key, names in CUSTOMER_FIELDS.items():
        if config.active("customer", customer.kind, key):
            continue
        for name in names:
            if name not in mapper.attrs:
                continue  # addresses and technicians are only written when active
            prop = mapper.attrs[name]
            hist = state.attrs[name].history
            if not hist.has_changes():
                continue
            if _typed(state, name, prop):
                if name == IDENTITY_FIELDS.get(customer.kind, (None,))[0]:
                    message = (_("A private person has no organisation number: enter the personal identity "
                                 "number instead, or choose Company.") if customer.kind == "private" else
                               _("A company has no personal identity number: enter the organisation number "
                                 "instead, or choose Private person."))
                else:
                    message = _not_for_kind(customer.kind)
                raise DomainError(message, name)
            collection = getattr(prop, "uselist", False) and hasattr(prop, "direction")
            if is_created:
                if collection:
                    setattr(customer, name, [])
                elif hasattr(prop, "direction"):  # many-to-one: the foreign key's default
                    setattr(customer, name, None)
                    for col in prop.local_columns:
                        setattr(customer, col.key, COLUMN_DEFAULTS.get(col.key))
                else:
                    column = prop.columns[0]
                    default = COLUMN_DEFAULTS.get(name, column.default.arg if column.default is not None
                                                  and not callable(column.default.arg) else None)
                    setattr(customer, name, default)
            elif collection:
                setattr(customer, name, list(hist.unchanged) + list(hist.deleted))
            else:
                old = hist.deleted or hist.unchanged
                setattr(customer, name, old[0] if old else None)
    return notices


def _blank(value) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def check_required(config: RegisterConfig, customer: Customer, values: dict) -> None:
    """Refuse a blank required field of the customer's kind (form or import); ``values``
    holds what was typed for fields that are not columns (addresses, technicians)."""
    kind = customer.kind
    for key, names in CUSTOMER_FIELDS.items():
        if not config.required("customer", kind, key):
            continue
        if key.endswith("_address"):
            blank = [n for n in names if _blank(values.get(n))]
            if blank:
                raise DomainError(_("%(f)s is required.", f=field_label(key)), blank[0])
            continue
        if key == "assigned_technicians":
            value = values.get(key, customer.technicians)
        else:
            value = getattr(customer, key)
        if _blank(value):
            raise DomainError(_("%(f)s is required.", f=field_label(key)), names[0])
    from services.registers.references import CONTACT_LABELS

    for contact in customer.contacts:
        for key in CONTACT_FIELDS:
            if config.required("contact", "", key) and _blank(getattr(contact, key)):
                # next to the blank field of that contact's row, by its label ("Telefon")
                raise DomainError(_("Contact %(c)s: %(f)s is required.", c=contact.name,
                                    f=str(CONTACT_LABELS.get(key, key))), f"contacts.{key}", "")


# --- values follow their record -----------------------------------------------------------------

def _delete_values_of_deleted(session: Session, flush_context) -> None:
    """Custom values have no foreign key (one table for every register): when a customer,
    contact or vehicle is deleted, its values go with it."""
    gone: dict[str, list[int]] = {}
    for obj in session.deleted:
        entity = {Customer: "customer", Contact: "contact", Vehicle: "vehicle"}.get(type(obj))
        if entity and obj.id is not None:
            gone.setdefault(entity, []).append(obj.id)
    for entity, ids in gone.items():
        session.execute(delete(CustomFieldValue).where(CustomFieldValue.entity == entity,
                                                       CustomFieldValue.record_id.in_(ids)))


def install(session_class=Session) -> None:
    from sqlalchemy import event

    if not event.contains(session_class, "after_flush", _delete_values_of_deleted):
        event.listen(session_class, "after_flush", _delete_values_of_deleted)


install()
