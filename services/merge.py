"""Merge customers ("Lägga ihop kunder", reference 000): keep one customer, move everything
that refers to the duplicates to it, delete the duplicates, record the merge in history.

The rows to move are found from the schema's foreign keys (as services.references does), so
tables added by other modules (orders, invoices, bookings) move without code here. A row that
would collide with one of the kept customer's (an address of the same kind, a tag it has
already) is dropped: the kept customer's own data wins."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, and_, delete, exists, select, update
from sqlalchemy.orm import Session, aliased

from models import AuditLog, Comment, Customer, CustomFieldValue, db
from services import DomainError


def customer_foreign_keys():
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "customer" and table.name != "customer":
                yield table, fk.parent


def preview(session: Session, keep: Customer, duplicates: list[Customer]) -> dict:
    """Counts per table of the rows that will move, per duplicate."""
    from services.references import references_to

    return {d.id: references_to(session, d) for d in duplicates}


def _unique_groups(table, column):
    """Column sets of the table's unique constraints and primary key that include ``column``."""
    groups = []
    for constraint in table.constraints:
        if isinstance(constraint, (UniqueConstraint, PrimaryKeyConstraint)) and any(
                c is column for c in constraint.columns):
            others = [c for c in constraint.columns if c is not column]
            if others:
                groups.append(others)
    for index in table.indexes:
        if index.unique and any(c is column for c in index.columns):
            groups.append([c for c in index.columns if c is not column])
    return groups


def merge(session: Session, keep: Customer, duplicates: list[Customer], user_id: int | None) -> dict:
    """Merge ``duplicates`` into ``keep`` in the caller's transaction; returns rows moved per table."""
    dup_ids = sorted({d.id for d in duplicates})
    if not dup_ids:
        raise DomainError(_("Choose at least one duplicate."), "duplicates")
    if keep.id in dup_ids:
        raise DomainError(_("A customer cannot be merged with itself."), "duplicates")
    names = {d.id: str(d) for d in duplicates}
    session.flush()
    moved: dict[str, int] = {}
    for table, column in customer_foreign_keys():
        for others in _unique_groups(table, column):
            other = aliased(table)
            clash = exists().where(and_(getattr(other.c, column.name) == keep.id,
                                        *(getattr(other.c, o.name) == o for o in others)))
            session.execute(delete(table).where(column.in_(dup_ids), clash))
        result = session.execute(update(table).where(column.in_(dup_ids)).values({column.name: keep.id}))
        if result.rowcount:
            moved[table.name] = moved.get(table.name, 0) + result.rowcount
    # rows that name a record without a foreign key
    result = session.execute(update(Comment).where(Comment.entity == "customer", Comment.record_id.in_(dup_ids))
                             .values(record_id=keep.id))
    if result.rowcount:
        moved["comment"] = result.rowcount
    kept_fields = select(CustomFieldValue.field_id).where(CustomFieldValue.entity == "customer",
                                                          CustomFieldValue.record_id == keep.id)
    session.execute(delete(CustomFieldValue).where(CustomFieldValue.entity == "customer",
                                                   CustomFieldValue.record_id.in_(dup_ids),
                                                   CustomFieldValue.field_id.in_(kept_fields)))
    result = session.execute(update(CustomFieldValue).where(CustomFieldValue.entity == "customer",
                                                            CustomFieldValue.record_id.in_(dup_ids))
                             .values(record_id=keep.id))
    if result.rowcount:
        moved["custom_field_value"] = result.rowcount
    session.expire_all()
    for dup_id in dup_ids:
        session.delete(session.get(Customer, dup_id))
    session.flush()
    for dup_id in dup_ids:
        session.add(AuditLog(user_id=user_id, action="update", table_name="customer", record_id=str(keep.id),
                             field="merged", old_value=names[dup_id],
                             new_value=", ".join(f"{n} × {t}" for t, n in sorted(moved.items())) or None))
    return moved
