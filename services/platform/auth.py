"""Passwords and log-in: memory-hard hashing, lock after repeated failures, and the TOTP
second factor (an authenticator app's six-digit code, RFC 6238, with pyotp)."""
import datetime as dt
import hmac
import re
import time

import pyotp

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Role, User, utcnow
from services import DomainError
from services.platform.formatting import clock

MIN_PASSWORD_LENGTH = 10
# werkzeug's scrypt parameters (n=2**15, r=8, p=1); the app's PASSWORD_HASH_METHOD overrides them
# (TestConfig: a cheap scrypt, so that tests do not pay a full hash per log-in)
PASSWORD_HASH_METHOD = "scrypt:32768:8:1"


def hash_password(password: str, method: str | None = None) -> str:
    if method is None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", PASSWORD_HASH_METHOD) if has_app_context() \
            else PASSWORD_HASH_METHOD
    return generate_password_hash(password, method=method)


def check_new_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), "new_password"
        )


def _refuse_if_locked(user: User, now: dt.datetime) -> None:
    if user.locked_until and user.locked_until > now:
        raise DomainError(
            _("The account is locked after too many failed attempts. Try again after %(t)s.",
              t=clock(user.locked_until))  # local time, like every time the console shows
        )


def _count_failure(session: Session, user: User, now: dt.datetime, max_attempts: int, lock_minutes: int) -> None:
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= max_attempts:
        user.locked_until = now + dt.timedelta(minutes=lock_minutes)
        user.failed_logins = 0
    session.commit()


def authenticate(
    session: Session, username: str, password: str, max_attempts: int, lock_minutes: int,
    now: dt.datetime | None = None,
) -> User:
    """Return the user or raise DomainError. Failures count on the user row, so a lock
    survives a restart and holds across workers. With a second factor the user is not logged
    in yet (``verify_second_factor``), and the count of failures goes on until the code is right."""
    now = now or utcnow()
    user = session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    refused = DomainError(_("Wrong user name or password."))
    if user is None:
        check_password_hash(hash_password("x"), password or "")  # same time as a real check
        raise refused
    _refuse_if_locked(user, now)
    if not check_password_hash(user.password_hash, password or ""):
        _count_failure(session, user, now, max_attempts, lock_minutes)
        raise refused
    if not user.active:
        raise DomainError(_("This account is deactivated."))
    if not user.totp_secret:
        user.failed_logins = 0
        user.locked_until = None
        session.commit()
    return user


# --- second factor (TOTP) ----------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str, issuer: str = "Verkstad") -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def totp_step(secret: str, code: str | None, last_step: int | None, at: float | None = None) -> int:
    """The time step of ``code`` for ``secret`` (the step before and after count too, for a
    phone's clock that is a little off); DomainError when the code is malformed, wrong, or a
    step at or before ``last_step`` (a code is taken once)."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        raise DomainError(_("Enter the six-digit code from your authenticator app."), "code")
    totp = pyotp.TOTP(secret)
    now = totp.timecode(dt.datetime.fromtimestamp(at if at is not None else time.time(), dt.timezone.utc))
    for step in (now, now - 1, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if last_step is not None and step <= last_step:
                raise DomainError(_("This code has been used already; wait for the next one."), "code")
            return step
    raise DomainError(_("The code is wrong."), "code")


def enable_totp(session: Session, user: User, secret: str, code: str, at: float | None = None) -> None:
    """Turn the second factor on once the user has shown a code of the new secret."""
    if not secret:
        raise DomainError(_("Start the set-up again."), "code")
    user.totp_last_step = totp_step(secret, code, None, at)
    user.totp_secret = secret
    session.commit()


def disable_totp(session: Session, user: User, password: str) -> None:
    if not check_password_hash(user.password_hash, password or ""):
        raise DomainError(_("The current password is wrong."), "password")
    user.totp_secret = None
    user.totp_last_step = None
    session.commit()


def verify_second_factor(session: Session, user: User, code: str, max_attempts: int, lock_minutes: int,
                         now: dt.datetime | None = None, at: float | None = None) -> None:
    """Accept the code of a user who gave the right password, or raise DomainError; a wrong
    code counts as a failed log-in."""
    now = now or utcnow()
    _refuse_if_locked(user, now)
    try:
        step = totp_step(user.totp_secret, code, user.totp_last_step, at)
    except DomainError:
        _count_failure(session, user, now, max_attempts, lock_minutes)
        raise
    user.totp_last_step = step
    user.failed_logins = 0
    user.locked_until = None
    session.commit()


def change_password(session: Session, user: User, old: str, new: str, repeat: str) -> None:
    if not check_password_hash(user.password_hash, old or ""):
        raise DomainError(_("The current password is wrong."), "old_password")
    if new != repeat:
        raise DomainError(_("The two new passwords differ."), "repeat_password")
    check_new_password(new)
    user.password_hash = hash_password(new)
    user.must_change_password = False
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
