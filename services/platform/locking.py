"""Rows that two users may change at the same moment: wait for the other transaction, then
read the rows as it left them, so that a rule sees the truth and refuses with its own message
(not a StaleDataError of the version counter at commit)."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session


def lock_rows(session: Session, model, ids) -> list:
    """Lock the rows of ``model`` with these primary keys until commit and reload them:
    PostgreSQL row locks (SELECT ... FOR UPDATE, in key order so that two lockers cannot
    deadlock); SQLite takes its database write lock with a no-op UPDATE (it serialises writers).
    Returns the reloaded objects; objects already in the session get the committed values."""
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return []
    pk = model.__mapper__.primary_key[0]
    if session.get_bind().dialect.name == "postgresql":
        query = select(model).where(pk.in_(ids)).order_by(pk).with_for_update(of=model)
    else:
        session.execute(update(model).where(pk.in_(ids)).values({pk.key: pk})
                        .execution_options(synchronize_session=False))
        query = select(model).where(pk.in_(ids)).order_by(pk)
    return list(session.scalars(query.execution_options(populate_existing=True)))
