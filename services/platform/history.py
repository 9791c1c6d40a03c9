"""History as people read it (issue 10 item 6): the History tab of every card and the
administrator's audit log show a change the same way, from this one function.

An audit row (services.platform.audit) stores what the database holds: the column ("district_id",
"cf_fleet_size"), "1"/"0" for yes/no, "1250.00", a code ("company"), a moment in UTC. Here it
becomes what the user's screens say: the field's label in the user's language, a linked row by
its name ("Distrikt: Norr → Söder"), Ja/Nej, 1 250,00 kr, the choice's label and the local time.

The screens know what they call their fields (a view's column labels and choices); they pass
that in as ``registers`` so this layer imports no view. Labels a register does not have fall
back to the customer form's (services.registers.references) and to a few common ones."""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, Numeric, and_, or_, select
from sqlalchemy.orm import Session

from models import AuditLog, Base, Role
from services.registers import register_config
from services.registers.identifiers import format_org_number, format_personal_number
from services.platform.formatting import date, money, number, stamp
from services.registers.references import ADDRESS_LABELS, CUSTOMER_KIND_LABELS, CUSTOMER_LABELS, LANGUAGE_NAMES, TABLE_LABELS
from services.bookings.bookings import KIND_LABELS as BOOKING_KIND_LABELS
from services.platform.rights import right_label, role_label

ACTION_LABELS = {"create": _l("created"), "update": _l("changed"), "delete": _l("deleted")}

# what one record of a table is called where no register view names it (the parts shown on
# a card's History tab: a customer's contacts and addresses, a role's rights)
RECORD_LABELS = {
    "customer": _l("Customer"), "contact": _l("Contact"), "address": _l("Address"),
    "vehicle": _l("Vehicle"), "vehicle_note": _l("Vehicle note"), "customer_article": _l("Customer article"),
    "customer_file": _l("File"), "role": _l("Role"), "role_right": _l("Right"), "user": _l("User"),
    "booking": _l("Booking"), "sales_order": _l("Order"), "order_line": _l("Order line"),
    "invoice": _l("Invoice"), "invoice_line": _l("Invoice line"), "package_item": _l("Package line"),
}

# field names many tables share, for tables without a register view (contacts, addresses)
COMMON_LABELS = {
    "name": _l("Name"), "title": _l("Title"), "email": _l("E-mail"), "phone": _l("Phone"),
    "street": _l("Street"), "postal_code": _l("Postal code"), "city": _l("City"), "active": _l("Active"),
    "send_service_protocol": _l("Send service protocol"), "right": _l("Right"), "role": _l("Role"),
    "note": _l("Note"), "text": _l("Text"), "quantity": _l("Quantity"), "file_name": _l("File"),
    "kind": _l("Kind"), "customer": _l("Customer"), "vehicle": _l("Vehicle"), "user": _l("User"),
}

# fields no screen lists (secrets among them: that they changed is shown, never the value)
TABLE_FIELD_LABELS = {
    ("user", "password_hash"): _l("Password"), ("user", "totp_secret"): _l("Two-factor"),
    ("user", "locked_until"): _l("Locked"), ("user", "failed_logins"): _l("Failed log-in attempts"),
    ("user", "email_notifications"): _l("Send me an e-mail when I am mentioned or assigned"),
    ("user", "password_reset"): _l("Password reset"),
    ("user", "must_change_password"): _l("Must choose a new password"),
    ("resource", "pin_hash"): _l("Stamping PIN"),
}

# codes stored in columns, as every screen names them
COMMON_CHOICES: dict[tuple[str, str], Mapping[str, object]] = {
    ("customer", "kind"): CUSTOMER_KIND_LABELS, ("customer", "customer_type"): register_config.CUSTOMER_TYPE_LABELS,
    ("booking", "kind"): BOOKING_KIND_LABELS,
    ("address", "kind"): ADDRESS_LABELS,
    # services.platform.password_reset's history rows
    ("user", "password_reset"): {"requested": _l("A link was sent by e-mail"),
                                 "e-mail": _l("A new password was set with the e-mail link")},
}

# booking times are the workshop's wall-clock time (services.bookings.bookings), not UTC moments
WALL_CLOCK = {("booking", "start_at"), ("booking", "end_at"), ("booking", "issued_at"),
              ("booking", "returned_at"), ("vehicle", "reserved_until")}



@dataclass(frozen=True)
class Register:
    """What a register's screen calls its records and fields (from its view)."""

    name: object = ""
    labels: Mapping[str, object] = field(default_factory=dict)
    choices: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One history row as shown: ``at`` stays the stored moment (for sorting and grouping),
    ``when`` is its local time."""

    row: AuditLog
    at: dt.datetime
    when: str
    user: str
    action: str
    action_label: str
    table_name: str
    record: str
    field: str
    field_label: str
    old: str
    new: str


@functools.cache
def _mappers() -> dict[str, object]:
    # read once: the models do not change while the app runs, and a card asks for every row
    return {m.local_table.name: m for m in Base.registry.mappers if getattr(m, "local_table", None) is not None}


def _column(mapper, name: str):
    if mapper is None or name not in mapper.columns:
        return None
    return mapper.columns[name]


def _foreign_key(column):
    fks = list(column.foreign_keys) if column is not None else []
    return fks[0].column if fks else None


def _register_labels(registers: Mapping[str, Register], table: str) -> Mapping[str, object]:
    register = registers.get(table)
    return register.labels if register is not None and register.labels else {}


def field_label(table: str, name: str | None, registers: Mapping[str, Register] | None = None,
                custom: Mapping[tuple[str, str], register_config.FieldDef] | None = None,
                language: str = "sv") -> str:
    """The label a user knows a field by: the register's, a custom field's, else a common one."""
    if not name:
        return ""
    registers = registers or {}
    if name.startswith("cf_") and custom is not None and (table, name) in custom:
        return custom[(table, name)].label(language)
    mapper = _mappers().get(table)
    base = name[:-3] if name.endswith("_id") and _foreign_key(_column(mapper, name)) is not None else name
    if name == "country_code":
        base = "country"
    if (table, name) in TABLE_FIELD_LABELS:
        return str(TABLE_FIELD_LABELS[(table, name)])
    for labels in (_register_labels(registers, table), CUSTOMER_LABELS if table == "customer" else {},
                   COMMON_LABELS):
        for key in (name, base):
            if key in labels:
                return str(labels[key])
    return base  # a field no screen names: as stored, rather than a made-up English label


def record_label(table: str, registers: Mapping[str, Register] | None = None) -> str:
    if table in RECORD_LABELS:
        return str(RECORD_LABELS[table])
    register = (registers or {}).get(table)
    if register is not None and register.name:
        return str(register.name)
    text = str(TABLE_LABELS.get(table, table.replace("_", " ")))  # "3 × orders" style: lower case
    return text[:1].upper() + text[1:]


# a supplier's or a customer's organisation number, a person's personal identity number
IDENTIFIERS = {"org_number": format_org_number, "personal_number": format_personal_number}


def _yes_no(value: str) -> str:
    # a custom field's yes/no is stored as its writer read it (services.registers.register_config)
    low = value.strip().lower()
    if low in register_config.TRUE_WORDS:
        return _("Yes")
    if low and low in register_config.FALSE_WORDS:
        return _("No")
    return value


def _moment(value: str, wall_clock: bool) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return date(moment) if wall_clock else stamp(moment)


def _decimal(value: str, column) -> str:
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        return value
    scale = getattr(column.type, "scale", None)
    if scale == 2 and getattr(column.type, "precision", None) == 12:  # models.Money
        return money(amount)
    return number(amount, places=scale if scale is not None else 2)


class _Names:
    """Names of the rows foreign keys point to, read once per table for all rows shown."""

    def __init__(self, session: Session):
        self.session = session
        self.wanted: dict[object, set] = {}
        self.found: dict[tuple[object, str], str] = {}

    def want(self, target, value: str | None) -> None:
        if value not in (None, ""):
            self.wanted.setdefault(target, set()).add(value)

    def load(self) -> None:
        mappers = _mappers()
        for target, values in self.wanted.items():
            mapper = mappers.get(target.table.name)
            if mapper is None:
                continue
            try:
                keys = [target.type.python_type(v) for v in values]
            except (TypeError, ValueError, NotImplementedError):
                continue
            attr = mapper.get_property_by_column(target).key
            for obj in self.session.scalars(select(mapper.class_).where(getattr(mapper.class_, attr).in_(keys))):
                # a shipped role by its name in the user's language, as the users screen shows it
                self.found[(target, str(getattr(obj, attr)))] = role_label(obj.name) if isinstance(obj, Role) else str(obj)

    def name(self, target, value: str) -> str:
        return self.found.get((target, value), f"#{value}")


def _custom_fields(session: Session) -> dict[tuple[str, str], register_config.FieldDef]:
    config = register_config.current(session)
    return {(f.entity, f.name): f for f in config.custom_fields}


def readable(session: Session, rows: Iterable[AuditLog], registers: Mapping[str, Register] | None = None,
             language: str = "sv") -> list[Change]:
    """The rows as the History tab and the audit log show them, in the given order."""
    rows = list(rows)
    registers = registers or {}
    mappers = _mappers()
    custom = _custom_fields(session) if any((r.field or "").startswith("cf_") for r in rows) else {}
    names = _Names(session)
    for r in rows:
        target = _foreign_key(_column(mappers.get(r.table_name), r.field or ""))
        if target is not None:
            names.want(target, r.old_value)
            names.want(target, r.new_value)
    names.load()

    def value(r: AuditLog, raw: str | None) -> str:
        if raw in (None, ""):
            return ""
        if r.action == "delete" or r.field is None:
            return raw
        if raw in ("***", "[raderad]"):  # a secret (services.platform.audit), an erased value (GDPR)
            return raw
        table, name = r.table_name, r.field
        if name.startswith("cf_"):
            f = custom.get((table, name))
            return _yes_no(raw) if f is not None and f.field_type == "bool" else raw
        register = registers.get(table)
        choices = (register.choices.get(name) if register is not None else None) or COMMON_CHOICES.get((table, name))
        if choices and raw in choices:
            return str(choices[raw])
        if name == "language" and raw in LANGUAGE_NAMES:
            return LANGUAGE_NAMES[raw]
        if name in IDENTIFIERS:  # stored as digits, shown as the card shows them
            return IDENTIFIERS[name](raw)
        if table == "role_right" and name == "right":
            return right_label(raw)
        column = _column(mappers.get(table), name)
        if column is None:
            return raw
        target = _foreign_key(column)
        if target is not None:
            return names.name(target, raw)
        if isinstance(column.type, Boolean):
            return _yes_no(raw)
        if isinstance(column.type, DateTime):
            return _moment(raw, (table, name) in WALL_CLOCK)
        if isinstance(column.type, Numeric):
            return _decimal(raw, column)
        return raw

    # the words of a table and a field, translated once per call rather than once per row
    words: dict[tuple, str] = {}

    def word(key: tuple, make) -> str:
        if key not in words:
            words[key] = make()
        return words[key]

    out = []
    for r in rows:
        out.append(Change(
            row=r, at=r.at, when=stamp(r.at), user=str(r.user) if r.user is not None else "",
            action=r.action, action_label=word(("action", r.action), lambda: str(ACTION_LABELS.get(r.action, r.action))),
            table_name=r.table_name, record=word(("record", r.table_name), lambda: record_label(r.table_name, registers)),
            field=r.field or "",
            field_label=word(("field", r.table_name, r.field),
                             lambda: field_label(r.table_name, r.field, registers, custom, language)),
            old=value(r, r.old_value), new=value(r, r.new_value)))
    return out


def search_clause(session: Session, term: str, registers: Mapping[str, Register] | None = None,
                  language: str = "sv", limit: int = 50):
    """The audit log rows a user means by ``term`` in the words the log shows, beside the stored
    text: a field by its label ("Distrikt" finds district_id), a register by its name ("Kund"),
    a chosen value by its label ("Prospekt" finds prospect) and a linked row by its name ("Norr"
    finds district_id 1 and 2 as it was then). None when the words match nothing."""
    registers = registers or {}
    needle = term.strip().lower()
    if not needle:
        return None
    custom = _custom_fields(session)
    clauses, fields, tables = [], [], []
    named: dict[object, list[str]] = {}  # a linked table's keys of the rows named like the term, read once
    for table, mapper in _mappers().items():
        if needle in record_label(table, registers).lower():
            tables.append(table)
        register = registers.get(table)
        for column in mapper.columns:
            name = column.key
            if needle in field_label(table, name, registers, custom, language).lower():
                fields.append((table, name))
            choices = (register.choices.get(name) if register is not None else None) or COMMON_CHOICES.get((table, name))
            raws = [raw for raw, label in (choices or {}).items() if needle in str(label).lower()]
            target = _foreign_key(column)
            if target is not None and "name" in target.table.c:
                if target not in named:
                    named[target] = [str(v) for v in session.scalars(select(target).where(
                        target.table.c.name.icontains(term.strip(), autoescape=True)).limit(limit))]
                raws += named[target]
            if raws:
                clauses.append(and_(AuditLog.table_name == table, AuditLog.field == name,
                                    or_(AuditLog.old_value.in_(raws), AuditLog.new_value.in_(raws))))
    fields += [key for key, f in custom.items() if needle in f.label(language).lower()]
    if tables:
        clauses.append(AuditLog.table_name.in_(tables))
    clauses += [and_(AuditLog.table_name == t, AuditLog.field == n) for t, n in fields]
    return or_(*clauses) if clauses else None
