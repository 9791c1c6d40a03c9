"""GDPR for private customers (reference 004, article 17): erase personal data, export it.

Erasing replaces name, personal identity number, e-mail, phone, addresses, contacts, custom
fields and the customer's comments' personal parts with an anonymous marker, removes the
customer's uploaded files, and scrubs the erased values from history and notifications. It
keeps what bookkeeping law requires: finalised invoices keep the snapshot taken when they were
issued (their tables are never touched here). Who erased and when is recorded, never what."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import String, Text, func, or_, select, update
from sqlalchemy.orm import Session

from models import (
    AuditLog,
    Comment,
    Customer,
    Notification,
    OutboxMessage,
    PersonalDataErasure,
    User,
    db,
)
from services import DomainError, audit, customer_files
from services import register_config as rc
from services.identifiers import format_personal_number
from services.search import customer_search_text, vehicle_search_text

MARKER = "[raderad]"
# finalised invoices keep their snapshot for the 7 years of the bookkeeping law
SNAPSHOT_TABLES = {"invoice", "invoice_line"}


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


def _scrub_column(session: Session, column, values: list[str], where=None) -> None:
    for value in values:
        condition = column.contains(value, autoescape=True)
        if where is not None:
            condition = condition & where
        session.execute(update(column.table).where(condition).values({column.name: func.replace(column, value, MARKER)}))


def erase(session: Session, customer: Customer, user: User, files_dir: str | None = None) -> PersonalDataErasure:
    """Erase the personal data of a private customer in the caller's transaction."""
    if customer.kind != "private":
        raise DomainError(_("Only a private person's data can be erased; %(c)s is a company.", c=str(customer)))
    values = personal_values(customer)
    cid = customer.id
    contact_ids = [c.id for c in customer.contacts]
    vehicles = list(customer.vehicles)
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
        session.flush()
        rc.delete_values(session, "customer", [cid])
        rc.delete_values(session, "contact", contact_ids)
        comments = Comment.__table__
        _scrub_column(session, comments.c.body, values, (comments.c.entity == "customer") & (comments.c.record_id == cid))
        _scrub_column(session, comments.c.body, values)
        # history of the customer and its contacts, and anything else naming the person
        audit.scrub_history(session, values=values, placeholder=MARKER)  # the one sanctioned audit change
        _scrub_column(session, Notification.__table__.c.message, values)
        outbox = OutboxMessage.__table__
        _scrub_column(session, outbox.c.recipient, values, outbox.c.invoice_id.is_(None))
        _scrub_column(session, outbox.c.body, values, outbox.c.invoice_id.is_(None))
        _scrub_column(session, outbox.c.subject, values, outbox.c.invoice_id.is_(None))
        # rows of other modules that point at the customer and copied its name (bookings, orders)
        for table in db.metadata.sorted_tables:
            if table.name in SNAPSHOT_TABLES or table.name in ("customer", "audit_log"):
                continue
            for fk in table.foreign_keys:
                if fk.column.table.name != "customer":
                    continue
                for col in table.columns:
                    if isinstance(col.type, (String, Text)) and not col.foreign_keys:
                        _scrub_column(session, col, values, fk.parent == cid)
        customer.search_text = customer_search_text(customer)
        for vehicle in vehicles:
            vehicle.search_text = vehicle_search_text(vehicle)
        session.flush()
    finally:
        session.info.pop("audit_disabled", None)
    record = PersonalDataErasure(customer_id=cid, erased_by_id=user.id)
    session.add(record)
    session.add(AuditLog(user_id=user.id, action="update", table_name="customer", record_id=str(cid),
                         field="gdpr", old_value=None, new_value=MARKER))
    customer_files.discard_all(files_dir, files)
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
