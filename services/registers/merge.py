"""Merge customers ("Lägga ihop kunder", reference 000): keep one customer, move everything
that refers to the duplicates to it, delete the duplicates, record the merge in history.

The rows to move are found from the schema's foreign keys (as services.registers.references does), so
tables added by other modules (orders, invoices, bookings) move without code here. A row that
would collide with one of the kept customer's (an address of the same kind, a tag it has
already) is dropped: the kept customer's own data wins. The duplicates are merged one after
the other, so a row of a later duplicate that collides with one moved from an earlier one is
dropped as well.

``preview`` computes, without writing, exactly what ``merge`` does: per duplicate and table
the rows that move and the rows that are dropped (a test holds the two equal)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, and_, delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from models import AuditLog, Comment, Customer, CustomFieldValue, db
from services import DomainError
from services.registers.identifiers import format_org_number, format_personal_number


def customer_foreign_keys():
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "customer" and table.name != "customer":
                yield table, fk.parent


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


def _relations():
    """(table, customer column, extra condition on a table or its alias, unique groups) of every
    row that names a customer: the foreign keys, then the rows naming a record without one (comments, custom
    field values)."""
    for table, column in customer_foreign_keys():
        yield table, column, None, _unique_groups(table, column)
    def of_customers(t):
        return t.c.entity == "customer"

    comments = Comment.__table__
    yield comments, comments.c.record_id, of_customers, []
    values = CustomFieldValue.__table__
    yield values, values.c.record_id, of_customers, [[values.c.field_id]]


@dataclass
class Move:
    """What happens to one duplicate's rows of one table."""

    table: str
    moved: int = 0
    dropped: int = 0
    dropped_ids: list = field(default_factory=list)  # primary keys of the dropped rows


class MergeResult(dict):
    """Rows moved per table (a dict, as before), and ``dropped``: rows dropped per table."""

    def __init__(self):
        super().__init__()
        self.dropped: dict[str, int] = {}


def warnings(keep: Customer, duplicates: list[Customer]) -> list[str]:
    """What the user must know before merging: two legal entities, an inactive customer kept."""
    out = []
    if not keep.active:
        out.append(_("The customer you keep, %(c)s, is inactive: the merged customer stays inactive.", c=str(keep)))
    for d in duplicates:
        if keep.org_number and d.org_number and keep.org_number != d.org_number:
            out.append(_("%(a)s and %(b)s have different organisation numbers (%(x)s, %(y)s): they are two legal "
                         "entities.", a=str(keep), b=str(d), x=format_org_number(keep.org_number),
                         y=format_org_number(d.org_number)))
        if keep.personal_number and d.personal_number and keep.personal_number != d.personal_number:
            out.append(_("%(a)s and %(b)s have different personal identity numbers (%(x)s, %(y)s): they are two "
                         "persons.", a=str(keep), b=str(d), x=format_personal_number(keep.personal_number),
                         y=format_personal_number(d.personal_number)))
        if keep.kind != d.kind:
            out.append(_("%(a)s is a company and %(b)s a private person.",
                         a=str(keep if keep.kind == "company" else d), b=str(d if keep.kind == "company" else keep)))
    return out


def preview(session: Session, keep: Customer, duplicates: list[Customer]) -> dict[int, list[Move]]:
    """Per duplicate (in the order merge takes them), the rows of each table that move to the
    customer kept and those dropped because the kept customer already has the same."""
    dup_ids = sorted({d.id for d in duplicates})
    out: dict[int, list[Move]] = {d: [] for d in dup_ids}
    session.flush()
    for table, column, extra, groups in _relations():
        pk = list(table.primary_key.columns)
        where = column.in_([keep.id, *dup_ids])
        if extra is not None:
            where = and_(where, extra(table))
        if not groups:
            counts = dict(session.execute(select(column, func.count()).where(where).group_by(column)).all())
            for dup_id in dup_ids:
                if counts.get(dup_id):
                    out[dup_id].append(Move(table.name, moved=counts[dup_id]))
            continue
        rows = session.execute(select(column, *pk, *(c for g in groups for c in g)).where(where)).all()
        taken: list[set] = [set() for _g in groups]

        def keys(row):
            values, at = [], 1 + len(pk)
            for group in groups:
                values.append(tuple(row[at:at + len(group)]))
                at += len(group)
            return values

        for row in rows:
            if row[0] == keep.id:
                for seen, key in zip(taken, keys(row)):
                    seen.add(key)
        for dup_id in dup_ids:
            move = Move(table.name)
            for row in (r for r in rows if r[0] == dup_id):
                row_keys = keys(row)
                if any(None not in key and key in seen for seen, key in zip(taken, row_keys)):
                    move.dropped += 1
                    move.dropped_ids.append(row[1] if len(pk) == 1 else tuple(row[1:1 + len(pk)]))
                else:
                    move.moved += 1
                    for seen, key in zip(taken, row_keys):
                        seen.add(key)
            if move.moved or move.dropped:
                out[dup_id].append(move)
    return out


def merge(session: Session, keep: Customer, duplicates: list[Customer], user_id: int | None,
          accept_warnings: bool = True) -> MergeResult:
    """Merge ``duplicates`` into ``keep`` in the caller's transaction; returns rows moved per
    table (and dropped ones in ``.dropped``). With ``accept_warnings`` false, refuses when
    ``warnings`` has something to say."""
    dup_ids = sorted({d.id for d in duplicates})
    if not dup_ids:
        raise DomainError(_("Choose at least one duplicate."), "duplicates")
    if keep.id in dup_ids:
        raise DomainError(_("A customer cannot be merged with itself."), "duplicates")
    warned = warnings(keep, duplicates)
    if warned and not accept_warnings:
        raise DomainError(" ".join([*warned, _("Confirm that you want to merge anyway.")]), "accept_warnings")
    names = {d.id: str(d) for d in duplicates}
    session.flush()
    result = MergeResult()
    per_dup: dict[int, dict[str, int]] = {}
    for dup_id in dup_ids:
        moved = per_dup.setdefault(dup_id, {})
        for table, column, extra, groups in _relations():
            mine = column == dup_id if extra is None else and_(column == dup_id, extra(table))
            for others in groups:
                other = aliased(table)
                clash = exists().where(and_(getattr(other.c, column.name) == keep.id,
                                            *(getattr(other.c, o.name) == o for o in others),
                                            *([] if extra is None else [extra(other)])))
                gone = session.execute(delete(table).where(mine, clash)).rowcount
                if gone:
                    result.dropped[table.name] = result.dropped.get(table.name, 0) + gone
            count = session.execute(update(table).where(mine).values({column.name: keep.id})).rowcount
            if count:
                moved[table.name] = moved.get(table.name, 0) + count
                result[table.name] = result.get(table.name, 0) + count
    session.expire_all()
    for dup_id in dup_ids:
        session.delete(session.get(Customer, dup_id))
    session.flush()
    for dup_id in dup_ids:
        session.add(AuditLog(user_id=user_id, action="update", table_name="customer", record_id=str(keep.id),
                             field="merged", old_value=names[dup_id],
                             new_value=", ".join(f"{n} × {t}" for t, n in sorted(per_dup[dup_id].items())) or None))
    return result
