"""Comments with @mentions ("Händelselogg & kommentarer", reference 002): internal notes on a
customer or vehicle (later orders and bookings). ``@username`` names a user, who gets an in-app
notification and, when the profile asks for it, an e-mail in the outbox."""
import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from models import Comment, CommentMention, OutboxMessage, User
from services import DomainError
from services.platform.notifications import in_language_of, notify

ENTITIES = ("customer", "vehicle", "order", "booking")
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.\-]+)")


def mentioned_users(session: Session, body: str) -> list[User]:
    names = {m.group(1).rstrip(".").lower() for m in MENTION.finditer(body or "")}
    if not names:
        return []
    return list(session.scalars(select(User).where(func.lower(User.username).in_(names),
                                                   User.active.is_(True)).order_by(User.id)))


def add_comment(session: Session, entity: str, record_id: int, body: str, author: User,
                record_label: str, link: str | None) -> Comment:
    if entity not in ENTITIES:
        raise DomainError(_("Comments cannot be added here."))
    body = (body or "").strip()
    if not body:
        raise DomainError(_("Write a comment."), "body")
    if len(body) > 5000:
        raise DomainError(_("A comment has at most 5000 characters."), "body")
    comment = Comment(entity=entity, record_id=record_id, body=body, created_by_id=author.id)
    session.add(comment)
    for user in mentioned_users(session, body):
        comment.mentions.append(CommentMention(user_id=user.id))
        if user.id == author.id:
            continue
        with in_language_of(user):
            message = _("%(who)s mentioned you in a comment on %(what)s", who=str(author), what=record_label)
        notify(session, user, message[:500], link)
        if user.email_notifications and user.email:
            session.add(OutboxMessage(created_by_id=author.id, recipient=user.email, subject=message[:200],
                                      body=f"{message}\n\n{body}\n\n{link or ''}"))
    return comment


def comments_of(session: Session, entity: str, record_id: int) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.entity == entity, Comment.record_id == record_id)
                                .options(joinedload(Comment.created_by))
                                .order_by(Comment.created_at.desc(), Comment.id.desc())))


def user_suggestions(session: Session, term: str, limit: int = 10) -> list[dict]:
    """Users whose name or username starts with (or contains) ``term``, for the @ picker."""
    from services.platform.search import search_condition

    condition = search_condition(session.get_bind().dialect.name, User, term)
    users = session.scalars(select(User).where(User.active.is_(True), *([] if condition is None else [condition]))
                            .order_by(User.full_name).limit(limit))
    return [{"username": u.username, "name": str(u)} for u in users]
