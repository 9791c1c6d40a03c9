"""Number series without gaps or duplicates, safe when two users take a number at once."""
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import NumberSeries


def ensure_series(session: Session, name: str, start: int, prefix: str = "") -> None:
    if session.get(NumberSeries, name) is None:
        session.add(NumberSeries(name=name, next_number=start, prefix=prefix))
        session.flush()


def take_number(session: Session, name: str) -> int:
    """Reserve the next number of the series in the current transaction.

    The UPDATE locks the series row until commit (PostgreSQL row lock, SQLite write lock), so
    concurrent transactions queue; a rollback returns the number."""
    result = session.execute(
        update(NumberSeries)
        .where(NumberSeries.name == name)
        .values(next_number=NumberSeries.next_number + 1)
        .returning(NumberSeries.next_number)
    ).scalar_one_or_none()
    if result is None:
        raise LookupError(f"number series {name!r} does not exist")
    return result - 1


def peek_number(session: Session, name: str) -> int | None:
    return session.scalar(select(NumberSeries.next_number).where(NumberSeries.name == name))
