"""Passwords and log-in: memory-hard hashing, lock after repeated failures."""
import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Role, User, utcnow
from services import DomainError

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_new_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), "new_password"
        )


def authenticate(
    session: Session, username: str, password: str, max_attempts: int, lock_minutes: int,
    now: dt.datetime | None = None,
) -> User:
    """Return the user or raise DomainError. Failures count on the user row, so a lock
    survives a restart and holds across workers."""
    now = now or utcnow()
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    refused = DomainError(_("Wrong user name or password."))
    if user is None:
        check_password_hash(hash_password("x"), password or "")  # same time as a real check
        raise refused
    if user.locked_until and user.locked_until > now:
        raise DomainError(
            _("The account is locked after too many failed attempts. Try again after %(t)s.",
              t=user.locked_until.strftime("%H:%M") + " UTC")
        )
    if not check_password_hash(user.password_hash, password or ""):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= max_attempts:
            user.locked_until = now + dt.timedelta(minutes=lock_minutes)
            user.failed_logins = 0
        session.commit()
        raise refused
    if not user.active:
        raise DomainError(_("This account is deactivated."))
    user.failed_logins = 0
    user.locked_until = None
    session.commit()
    return user


def change_password(session: Session, user: User, old: str, new: str, repeat: str) -> None:
    if not check_password_hash(user.password_hash, old or ""):
        raise DomainError(_("The current password is wrong."), "old_password")
    if new != repeat:
        raise DomainError(_("The two new passwords differ."), "repeat_password")
    check_new_password(new)
    user.password_hash = hash_password(new)
    session.commit()


def create_user(session: Session, username: str, password: str, role_name: str, full_name: str = "") -> User:
    username = (username or "").strip()
    if not username:
        raise DomainError(_("A user name is required."), "username")
    if session.scalar(select(User).where(func.lower(User.username) == username.lower())):
        raise DomainError(_("The user name %(u)s is taken.", u=username), "username")
    role = session.scalar(select(Role).where(func.lower(Role.name) == (role_name or "").strip().lower()))
    if role is None:
        names = ", ".join(session.scalars(select(Role.name).order_by(Role.name)))
        raise DomainError(_("Unknown role %(r)s. Roles: %(names)s", r=role_name, names=names), "role")
    check_new_password(password)
    user = User(username=username, full_name=full_name or username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.commit()
    return user
