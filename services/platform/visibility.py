"""Which customers' data a user may see: "view assigned only" (customer.view_assigned, reference 001).

A user who holds ``customer.view_assigned`` but not ``customer.view`` (nor is an administrator)
is limited to the customers assigned to him (customer_technician). He sees only those customers
and their orders, quotes, invoices, credit notes, bookings, vehicles, files, comments, contacts,
document recipients and outbox messages: in lists, details, PDFs, exports, searches, counts and
JSON look-ups. This module is the one place that says so; every view and look-up asks it.

``clause(user, Model)`` narrows a query of a customer-linked model (``true()`` when the user is
not limited); ``visible(user, obj)`` answers for one loaded object."""
from __future__ import annotations

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session

from models import (
    Booking,
    Comment,
    Contact,
    Customer,
    CustomerFile,
    DocumentRecipient,
    Invoice,
    Order,
    OutboxMessage,
    Payment,
    ProcessingListItem,
    Vehicle,
    customer_technician,
)

# model -> (its customer column, whether a row without a customer is visible to everyone);
# a vehicle without an owner (the workshop's own fleet) belongs to no customer
CUSTOMER_COLUMNS = {
    Customer: (Customer.id, False),
    Contact: (Contact.customer_id, False),
    CustomerFile: (CustomerFile.customer_id, False),
    DocumentRecipient: (DocumentRecipient.customer_id, False),
    ProcessingListItem: (ProcessingListItem.customer_id, False),
    Vehicle: (Vehicle.owner_id, True),
    Order: (Order.customer_id, False),
    Invoice: (Invoice.customer_id, False),
    Booking: (Booking.customer_id, False),
    Payment: (Payment.customer_id, False),
}


def limited(user) -> bool:
    """True when the user sees only the customers assigned to him."""
    if user is None or not getattr(user, "is_authenticated", False) or user.is_admin:
        return False
    return not user.has_right("customer.view") and user.has_right("customer.view_assigned")


def scoped(user, model) -> bool:
    """True when lists of ``model`` are narrowed for this user."""
    return limited(user) and (model in CUSTOMER_COLUMNS or model in (OutboxMessage, Comment))


def assigned_ids(user):
    """The ids of the customers assigned to the user, as a subquery."""
    return select(customer_technician.c.customer_id).where(customer_technician.c.user_id == user.id)


def customer_clause(user, column, allow_none: bool = False):
    """``column`` (a customer id) is one of the user's visible customers."""
    if not limited(user):
        return true()
    inside = column.in_(assigned_ids(user))
    return or_(column.is_(None), inside) if allow_none else inside


def clause(user, model):
    """The rows of ``model`` the user may see (``true()`` when he sees all)."""
    if not limited(user):
        return true()
    if model in CUSTOMER_COLUMNS:
        column, allow_none = CUSTOMER_COLUMNS[model]
        return customer_clause(user, column, allow_none)
    if model is OutboxMessage:
        # a document's message goes with the document; other messages with their author
        invoices = select(Invoice.id).where(clause(user, Invoice))
        orders = select(Order.id).where(clause(user, Order))
        return or_(OutboxMessage.invoice_id.in_(invoices),
                   and_(OutboxMessage.invoice_id.is_(None), OutboxMessage.order_id.in_(orders)),
                   and_(OutboxMessage.invoice_id.is_(None), OutboxMessage.order_id.is_(None),
                        OutboxMessage.created_by_id == user.id))
    if model is Comment:
        return or_(and_(Comment.entity == "customer", Comment.record_id.in_(assigned_ids(user))),
                   and_(Comment.entity == "vehicle", Comment.record_id.in_(select(Vehicle.id).where(clause(user, Vehicle)))),
                   and_(Comment.entity == "order", Comment.record_id.in_(select(Order.id).where(clause(user, Order)))),
                   and_(Comment.entity == "booking",
                        Comment.record_id.in_(select(Booking.id).where(clause(user, Booking)))))
    return true()


def customer_ids(session: Session, user) -> set[int] | None:
    """The user's visible customer ids, or None when he sees every customer."""
    if not limited(user):
        return None
    return set(session.scalars(assigned_ids(user)))


def _customer_visible(session: Session, user, customer_id) -> bool:
    ids = customer_ids(session, user)
    return ids is None or customer_id in ids


def visible(session: Session, user, obj) -> bool:
    """May the user see this loaded object (None: nothing to hide)?"""
    if obj is None or not limited(user):
        return True
    model = type(obj)
    if model in CUSTOMER_COLUMNS:
        column, allow_none = CUSTOMER_COLUMNS[model]
        customer_id = getattr(obj, column.key)
        if customer_id is None:
            return allow_none
        return _customer_visible(session, user, customer_id)
    if model is OutboxMessage:
        if obj.invoice_id is not None:
            return visible(session, user, session.get(Invoice, obj.invoice_id))
        if obj.order_id is not None:
            return visible(session, user, session.get(Order, obj.order_id))
        return obj.created_by_id == user.id
    if model is Comment:
        record = {"customer": Customer, "vehicle": Vehicle, "order": Order, "booking": Booking}.get(obj.entity)
        return record is not None and visible(session, user, session.get(record, obj.record_id))
    return True


def get(session: Session, user, model, id):
    """``model`` number ``id`` when the user may see it, else None (also when it does not exist)."""
    if id is None:
        return None
    try:
        obj = session.get(model, int(id))
    except (TypeError, ValueError):
        return None
    return obj if visible(session, user, obj) else None

