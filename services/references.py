"""Which rows in other tables refer to a record (found from the schema's foreign keys, so
registers added later are covered without code here)."""
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from models import db


def references_to(session: Session, obj, skip: set[str] = frozenset()) -> list[tuple[str, int]]:
    """(table, count) of the rows that refer to ``obj``, leaving out tables in ``skip``."""
    table_name = obj.__tablename__
    pk_value = inspect(obj).mapper.primary_key_from_instance(obj)[0]
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name != table_name or (table.name == table_name):
                continue
            count = session.scalar(select(func.count()).select_from(table).where(fk.parent == pk_value))
            if count:
                found.append((table.name, count))
    return found


def describe(refs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{count} × {name.replace('_', ' ')}" for name, count in refs)
