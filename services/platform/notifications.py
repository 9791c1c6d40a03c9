"""In-app notifications (notiser) shown in the top bar."""
from contextlib import contextmanager

from flask import has_request_context
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Notification, User, utcnow


@contextmanager
def in_language_of(user: User):
    """Texts made inside are in the recipient's language, not the sender's."""
    if not has_request_context() or not user.language:
        yield
        return
    with force_locale(user.language):
        yield


def notify(session: Session, user: User, message: str, link: str | None = None) -> Notification:
    note = Notification(user_id=user.id, message=message, link=link)
    session.add(note)
    return note


def unread(session: Session, user_id: int, limit: int = 20) -> tuple[int, list[Notification]]:
    count = session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    items = session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc()).limit(limit)
    ).all()
    return count or 0, list(items)


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> None:
    """Mark one notification (or all of the user's) as read; never another user's."""
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    session.execute(stmt.values(read_at=utcnow()))
    session.commit()
