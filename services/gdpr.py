"""GDPR for private customers (reference 004, article 17): erase personal data, export it.

Erasing replaces name, personal identity number, e-mail, phone, addresses, contacts, custom
fields and the customer's comments' personal parts with an anonymous marker, removes the
customer's uploaded files, and scrubs the erased values from history and notifications. It
keeps what bookkeeping law requires: finalised invoices keep the snapshot taken when they were
issued (their tables are never touched here). Who erased and when is recorded, never what."""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import String, Text, delete, false, func, or_, select, update
from sqlalchemy.orm import Session

from models import (
    AuditLog,
    Booking,
    Comment,
    Customer,
    DocumentRecipient,
    Invoice,
    Notification,
    Order,
    OrderLine,
    OutboxMessage,
    PersonalDataErasure,
    User,
    VehicleNote,
    db,
)
from services import DomainError, customer_files
from services.audit import ERASED, scrub_history
from services.outbox import cancel_unsent
from services import register_config as rc
from services.identifiers import format_personal_number
from services.search import customer_search_text, vehicle_search_text

MARKER = ERASED
# finalised invoices keep their snapshot for the 7 years of the bookkeeping law
SNAPSHOT_TABLES = {"invoice", "invoice_line"}
_SEP = r"[\s\-./()]*"


def personal_values(customer: Customer) -> list[str]:
    """The distinctive strings that identify the person (not a city or a postal code)."""
    values = [customer.name, customer.personal_number, customer.email, customer.phone, customer.vat_number]
    if customer.personal_number:
        values += [format_personal_number(customer.personal_number), customer.personal_number[2:],
                   format_personal_number(customer.personal_number)[2:]]
    for address in customer.addresses:
        values += [address.street, address.street2]
    for contact in customer.contacts:
        values += [contact.name, contact.email, contact.phone]
    return sorted({v.strip() for v in values if v and len(v.strip()) >= 4}, key=len, reverse=True)


def phone_pattern(phone: str | None) -> str | None:
    """A regular expression matching the phone number however it is written: spaces, dashes,
    dots or brackets between the digits, a national 0 or the country code (+46, 0046)."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 6:
        return None
    written = (phone or "").strip()
    if written.startswith("+") or digits.startswith("00"):
        digits = digits[2:] if digits.startswith("00") else digits
        if not digits.startswith("46"):
            return r"(?<!\d)(?:\+|00)" + _SEP + _SEP.join(digits) + r"(?!\d)"
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    prefix = r"(?:(?:\+|00)" + _SEP + "46" + _SEP + r"(?:\(0\)" + _SEP + ")?|0)"
    return r"(?<![\d+])" + prefix + _SEP + _SEP.join(digits) + r"(?!\d)"


def personal_pattern(customer: Customer, extra_phones=()) -> re.Pattern | None:
    """One case-insensitive pattern for every personal value of the customer and its contacts:
    the literal values and the phone numbers in any formatting."""
    parts = [re.escape(v) for v in personal_values(customer)]
    phones = [customer.phone, *(c.phone for c in customer.contacts), *extra_phones]
    parts += [p for p in (phone_pattern(x) for x in phones) if p]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def scrub_text(text: str | None, pattern: re.Pattern | None) -> str | None:
    if not text or pattern is None:
        return text
    return pattern.sub(MARKER, text)


def _scrub_rows(session: Session, table, columns, where, pattern) -> None:
    """Replace the personal values in ``columns`` of the rows of ``table`` matching ``where``."""
    pk = list(table.primary_key.columns)
    if pattern is None or len(pk) != 1 or not columns:
        return
    for row in session.execute(select(pk[0], *columns).where(where)).all():
        changed = {}
        for col, value in zip(columns, row[1:]):
            cleaned = scrub_text(value, pattern)
            if cleaned != value:
                changed[col.name] = cleaned[:col.type.length] if getattr(col.type, "length", None) else cleaned
        if changed:
            session.execute(update(table).where(pk[0] == row[0]).values(changed))


def _text_columns(table):
    return [c for c in table.columns if isinstance(c.type, (String, Text)) and not c.foreign_keys
            and not c.primary_key and c.name != "search_text"]


def _any_value(column, values: list[str]):
    return or_(*(column.icontains(v, autoescape=True) for v in values)) if values else false()


def _customer_relations():
    """(table name, attribute) of every audited many-to-one pointing at a customer: its history
    values are the customer's str() ("7001 Greta Gustafsson")."""
    for mapper in db.Model.registry.mappers:
        if not hasattr(mapper.class_, "__tablename__"):
            continue
        for rel in mapper.relationships:
            if rel.mapper.class_ is Customer and rel.direction.name == "MANYTOONE":
                yield mapper.class_.__tablename__, rel.key


def _scrub_history(session: Session, customer: Customer, contact_ids: list[int], linked: dict[str, list[int]],
                   values: list[str], pattern) -> None:
    """Item 12: the history of the customer and its parts loses every old and new value; the
    history of linked records (its vehicles, orders, bookings) and any other row loses the
    values naming the person, and the references to the customer (a vehicle's owner)."""
    cid = str(customer.id)
    log = AuditLog
    scrub_history(session, or_(
        (log.table_name == "customer") & (log.record_id == cid),
        (log.parent_table == "customer") & (log.parent_id == cid),
        (log.table_name == "contact") & log.record_id.in_([str(i) for i in contact_ids] or ["-"]),
        (log.parent_table == "contact") & log.parent_id.in_([str(i) for i in contact_ids] or ["-"]),
    ))
    label = f"{customer.customer_number} "
    for table_name, key in _customer_relations():
        for column in ("old_value", "new_value"):
            scrub_history(session, (log.table_name == table_name) & (log.field == key)
                          & getattr(log, column).startswith(label, autoescape=True), (column,))
    for column in ("old_value", "new_value"):
        scrub_history(session, _any_value(getattr(log, column), values), (column,))
    # phone numbers written another way in the history of the linked records
    conditions = [((log.table_name == t) & log.record_id.in_([str(i) for i in ids]))
                  | ((log.parent_table == t) & log.parent_id.in_([str(i) for i in ids]))
                  for t, ids in linked.items() if ids]
    if pattern is None or not conditions:
        return
    hits: dict[str, list[int]] = {"old_value": [], "new_value": []}
    for row_id, old, new in session.execute(select(log.id, log.old_value, log.new_value).where(or_(*conditions))):
        for column, value in (("old_value", old), ("new_value", new)):
            if value and value != MARKER and pattern.search(value):
                hits[column].append(row_id)
    for column, ids in hits.items():
        for start in range(0, len(ids), 500):
            scrub_history(session, log.id.in_(ids[start:start + 500]), (column,))


def erase(session: Session, customer: Customer, user: User, files_dir: str | None = None) -> PersonalDataErasure:
    """Erase the personal data of a private customer in the caller's transaction.

    Besides the customer's own fields, addresses, contacts, custom fields and files, the
    erasure deletes the comments on the customer and on the vehicles it owns (they are notes
    about the person's car, "Karins bil"; the vehicle's history of work stays in its orders
    and invoices), cancels the e-mails not yet sent to it (item 13), and removes its e-mail
    addresses and phone numbers, however written, from every text it keeps (item 14)."""
    if customer.kind != "private":
        raise DomainError(_("Only a private person's data can be erased; %(c)s is a company.", c=str(customer)))
    cid = customer.id
    recipients = list(session.scalars(select(DocumentRecipient).where(DocumentRecipient.customer_id == cid)))
    bookings = session.execute(select(Booking.id, Booking.customer_phone, Booking.customer_email)
                               .where(Booking.customer_id == cid)).all()
    pattern = personal_pattern(customer, [b.customer_phone for b in bookings])
    values = personal_values(customer)
    emails = {e.strip().lower() for e in [customer.email, *(c.email for c in customer.contacts),
                                          *(r.email for r in recipients), *(b.customer_email for b in bookings)]
              if e and e.strip()}
    contact_ids = [c.id for c in customer.contacts]
    vehicles = list(customer.vehicles)
    vehicle_ids = [v.id for v in vehicles]
    order_ids = list(session.scalars(select(Order.id).where(or_(Order.customer_id == cid, Order.payer_id == cid))))
    linked = {"vehicle": vehicle_ids, "sales_order": order_ids, "booking": [b.id for b in bookings]}
    # item 13: what was not sent yet is not sent any more
    outbox = OutboxMessage
    invoice_ids = select(Invoice.id).where(Invoice.customer_id == cid)
    cancel_unsent(session, or_(outbox.invoice_id.in_(invoice_ids), outbox.order_id.in_(order_ids or [-1]),
                               func.lower(outbox.recipient).in_(sorted(emails) or ["-"])),
                  lambda text: scrub_text(text, pattern))
    # history is written by hand below: the audit event would store the erased values again
    session.info["audit_disabled"] = True
    try:
        customer.name = f"{MARKER} {customer.customer_number}"
        customer.personal_number = customer.email = customer.phone = customer.vat_number = None
        customer.internal_comment = None
        customer.addresses.clear()
        customer.contacts.clear()
        files = list(customer.files)
        customer.files.clear()  # the stored files go below
        customer.technicians = []
        for recipient in recipients:
            session.delete(recipient)
        session.flush()
        rc.delete_values(session, "customer", [cid])
        rc.delete_values(session, "contact", contact_ids)
        comments = Comment.__table__
        session.execute(delete(Comment).where(or_(
            (Comment.entity == "customer") & (Comment.record_id == cid),
            (Comment.entity == "vehicle") & Comment.record_id.in_(vehicle_ids or [-1]))))
        # comments kept on the customer's orders and bookings, and anything else naming the person
        for entity, ids in (("order", order_ids), ("booking", linked["booking"])):
            if ids:
                _scrub_rows(session, comments, [comments.c.body], (comments.c.entity == entity)
                            & comments.c.record_id.in_(ids), pattern)
        _scrub_rows(session, comments, [comments.c.body], _any_value(comments.c.body, values), pattern)
        notes = VehicleNote.__table__
        if vehicle_ids:
            _scrub_rows(session, notes, [notes.c.text], notes.c.vehicle_id.in_(vehicle_ids), pattern)
        _scrub_history(session, customer, contact_ids, linked, values, pattern)
        notices = Notification.__table__
        _scrub_rows(session, notices, [notices.c.message], _any_value(notices.c.message, values), pattern)
        box = outbox.__table__
        _scrub_rows(session, box, [box.c.recipient, box.c.subject, box.c.body],
                    box.c.invoice_id.is_(None) & or_(*(_any_value(c, values) for c in
                                                       (box.c.recipient, box.c.subject, box.c.body))), pattern)
        # rows of other modules that point at the customer and copied its data (bookings, orders)
        for table in db.metadata.sorted_tables:
            if table.name in SNAPSHOT_TABLES or table.name in ("customer", "audit_log"):
                continue
            for fk in table.foreign_keys:
                if fk.column.table.name == "customer":
                    _scrub_rows(session, table, _text_columns(table), fk.parent == cid, pattern)
        order_lines = OrderLine.__table__
        if order_ids:
            _scrub_rows(session, order_lines, [order_lines.c.text], order_lines.c.order_id.in_(order_ids), pattern)
        customer.search_text = customer_search_text(customer)
        for vehicle in vehicles:
            vehicle.search_text = vehicle_search_text(vehicle)
        session.flush()
    finally:
        session.info.pop("audit_disabled", None)
    customer_files.discard_all(files_dir, files)
    session.expire_all()  # the bulk updates above changed rows the session may hold
    record = PersonalDataErasure(customer_id=cid, erased_by_id=user.id)
    session.add(record)
    session.add(AuditLog(user_id=user.id, action="update", table_name="customer", record_id=str(cid),
                         field="gdpr", old_value=None, new_value=MARKER))
    return record


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return None
    return value


def _row(obj) -> dict:
    return {c.key: _plain(getattr(obj, c.key)) for c in obj.__mapper__.column_attrs if c.key != "search_text"}


def personal_data(session: Session, customer: Customer) -> dict:
    """Everything stored about the customer, as plain data (JSON and PDF export)."""
    config = rc.current(session)
    custom = rc.values_of(session, config, "customer", [customer.id], include_removed=True).get(customer.id, {})
    labels = {f.name: f.label() for f in config.fields_of("customer", include_removed=True)}
    history = session.scalars(select(AuditLog).where(or_(
        (AuditLog.table_name == "customer") & (AuditLog.record_id == str(customer.id)),
        (AuditLog.parent_table == "customer") & (AuditLog.parent_id == str(customer.id))))
        .order_by(AuditLog.at)).all()
    related = {}
    for table in db.metadata.sorted_tables:
        if table.name in ("customer", "address", "contact", "audit_log", "customer_tag", "customer_technician"):
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "customer":
                rows = session.execute(select(table).where(fk.parent == customer.id)).mappings().all()
                if rows:
                    related.setdefault(table.name, []).extend(
                        {k: _plain(v) for k, v in r.items() if not isinstance(v, bytes)} for r in rows)
    return {
        "customer": _row(customer),
        "addresses": [_row(a) for a in customer.addresses],
        "contacts": [_row(c) for c in customer.contacts],
        "tags": [t.name for t in customer.tags],
        "custom_fields": {labels.get(k, k): rc.display(f, v) for f in config.fields_of("customer", True)
                          for k, v in custom.items() if k == f.name},
        "vehicles": [_row(v) for v in customer.vehicles],
        "comments": [{"at": _plain(c.created_at), "by": str(c.created_by or ""), "text": c.body}
                     for c in session.scalars(select(Comment).where(Comment.entity == "customer",
                                                                    Comment.record_id == customer.id))],
        "history": [{"at": _plain(h.at), "action": h.action, "table": h.table_name, "field": h.field,
                     "old": h.old_value, "new": h.new_value} for h in history],
        "related": related,
    }


def personal_data_json(session: Session, customer: Customer) -> str:
    return json.dumps(personal_data(session, customer), ensure_ascii=False, indent=2, default=str)
