"""Forgotten passwords (50.01): a signed link by e-mail, and the new password chosen with it;
and the new password a user must choose when an administrator set the current one.

The link holds an itsdangerous token (HMAC-SHA1 under SECRET_KEY, its own salt) of the user's id
and a fingerprint of the current password hash: it is good for RESET_MAX_AGE seconds, and once,
since setting the password changes the hash (a new salt even for the same password). The
request answers alike whether or not the name is known, and takes the same steps (a token is
made and the mail written either way; only a real, active user's mail goes to the outbox). A
reset sets the password and nothing else: a locked account stays locked until its lock ends,
a deactivated one gets no mail and its link is refused, a second factor stays on.
Each account gets at most RESET_LIMIT mails an hour (counted on the user row, so the limit
holds across workers and restarts, like the log-in's lock)."""
from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable

from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from models import AuditLog, User, utcnow
from services import DomainError
from services.platform.auth import check_new_password, hash_password
from services.platform.formatting import clock

RESET_MAX_AGE = 60 * 60  # seconds a link is good for
RESET_LIMIT = 3  # mails per account and hour
RESET_SALT = "verkstad.password-reset"
# the history row of a reset (table user, this field): "requested" when a mail went out,
# "e-mail" when the password was set with the link
AUDIT_FIELD = "password_reset"


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer on a given clock (the app's CLOCK: tests set the time)."""

    def __init__(self, *args, clock: Callable[[], float] = time.time, **kwargs):
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


def _serializer(secret_key: str, clock: Callable[[], float] | None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT, signer=_ClockSigner,
                                  signer_kwargs={"clock": clock or time.time})


def fingerprint(password_hash: str) -> str:
    """A short digest of the hash (the token is signed, not secret: the hash itself stays home)."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:24]


def make_token(user: User, secret_key: str, clock: Callable[[], float] | None = None) -> str:
    return _serializer(secret_key, clock).dumps({"u": user.id, "h": fingerprint(user.password_hash)})


def _find(session: Session, login: str) -> list[User]:
    """The users a typed name or e-mail address means: the user of that name, else the users
    with that e-mail address (each gets a link to his own account)."""
    login = (login or "").strip().lower()
    if not login:
        return []
    user = session.scalar(select(User).where(func.lower(User.username) == login))
    if user is not None:
        return [user]
    if "@" not in login:
        return []
    return list(session.scalars(select(User).where(func.lower(User.email) == login).order_by(User.id).limit(5)))


def _deliverable(user: User) -> bool:
    email = (user.email or "").strip()
    return bool(user.active and "@" in email and not any(c in email for c in "\r\n ,;"))


def _within_limit(user: User, now: dt.datetime) -> bool:
    """Count this request against the account's hourly limit; False when it is used up."""
    if user.reset_requested_at is None or now - user.reset_requested_at >= dt.timedelta(hours=1):
        user.reset_requested_at, user.reset_requests = now, 0
    if (user.reset_requests or 0) >= RESET_LIMIT:
        return False
    user.reset_requests = (user.reset_requests or 0) + 1
    return True


def compose_mail(user_name: str, username: str, link: str, language: str) -> tuple[str, str]:
    """Subject and body of the reset mail in the user's language."""
    with force_locale(language if language in ("sv", "de", "en") else "sv"):
        subject = _("Choose a new password for Verkstad")
        body = _("Hello %(name)s,\n\nsomeone (hopefully you) asked to choose a new password for the user "
                 "%(username)s in Verkstad. Open this link within %(minutes)s minutes to choose it:\n\n"
                 "%(link)s\n\nThe link works once. If you did not ask for this, ignore this message: "
                 "your password stays as it is.",
                 name=user_name, username=username, link=link, minutes=RESET_MAX_AGE // 60)
    return subject, body


def request_reset(session: Session, login: str, link_for: Callable[[str], str], secret_key: str,
                  clock: Callable[[], float] | None = None, now: dt.datetime | None = None,
                  enqueue: Callable | None = None) -> int:
    """"Forgot password" for ``login`` (a user name or an e-mail address): a mail with a link to
    each active user it names who has an e-mail address and has not used up the hour's limit,
    written to the outbox and, after the commit, given its send job at once (``enqueue``:
    JobQueue.enqueue; with the queue down the outbox retry sends it within minutes). Returns how
    many mails were written, for tests and logs only: the page says the same whatever it is."""
    from services.sales import outbox

    now = now or utcnow()
    users = _find(session, login)
    written, mails = 0, []
    # the same steps for an unknown name: a token and a mail are made, and dropped
    for user in users or [User(id=0, username=login or "-", full_name="", password_hash="-", language="sv")]:
        token = make_token(user, secret_key, clock)
        subject, body = compose_mail(str(user), user.username, link_for(token), user.language)
        if not users or not _deliverable(user) or not _within_limit(user, now):
            continue
        mails.append(outbox.queue_mail(session, user.email.strip(), subject, body, purpose="password_reset").id)
        session.add(AuditLog(user_id=None, action="update", table_name="user", record_id=str(user.id),
                             field=AUDIT_FIELD, old_value=None, new_value="requested"))
        written += 1
    session.commit()
    if enqueue is not None and mails:
        from services.platform.job_queue import QueueUnavailable

        try:
            outbox.enqueue_sending(enqueue, mails)
        except QueueUnavailable:
            pass  # queued in the outbox all the same: its retry sends them
    return written


def user_for_token(session: Session, token: str, secret_key: str,
                   clock: Callable[[], float] | None = None) -> User:
    """The user a reset link is for, or DomainError: expired, not a link of ours (a changed
    signature), used already (the password changed since), or a deactivated account."""
    try:
        data = _serializer(secret_key, clock).loads(token or "", max_age=RESET_MAX_AGE)
    except SignatureExpired:
        raise DomainError(_("The link has expired (it is good for %(n)s minutes). Ask for a new one.",
                            n=RESET_MAX_AGE // 60))
    except BadSignature:
        raise DomainError(_("The link is not valid. Copy the whole link from the e-mail, or ask for a new one."))
    user = session.get(User, data.get("u") or 0) if isinstance(data, dict) else None
    if user is None or data.get("h") != fingerprint(user.password_hash):
        raise DomainError(_("The link has been used already. Ask for a new one if you need to."))
    if not user.active:
        raise DomainError(_("This account is deactivated."))
    return user


def reset_password(session: Session, token: str, new: str, repeat: str, secret_key: str,
                   clock: Callable[[], float] | None = None, now: dt.datetime | None = None) -> User:
    """Set the password with a reset link; the link is spent. The lock of an account that is
    locked now stays as it is (the caller says until when). Commits."""
    user = user_for_token(session, token, secret_key, clock)
    if new != repeat:
        raise DomainError(_("The two new passwords differ."), "repeat_password")
    check_new_password(new)
    session.info["user_id"] = user.id  # the history names the user as the one who changed it
    user.password_hash = hash_password(new)
    user.must_change_password = False
    session.add(AuditLog(user_id=user.id, action="update", table_name="user", record_id=str(user.id),
                         field=AUDIT_FIELD, old_value=None, new_value="e-mail"))
    session.commit()
    return user


def locked_note(user: User, now: dt.datetime | None = None) -> str | None:
    """What to tell a user who set a new password while the account is locked."""
    now = now or utcnow()
    if user.locked_until and user.locked_until > now:
        return _("The account is still locked after too many failed attempts; log in after %(t)s.",
                 t=clock(user.locked_until))
    return None


def choose_new_password(session: Session, user: User, new: str, repeat: str) -> None:
    """The new password of a user whose password an administrator set (must_change_password):
    not the one the administrator gave. Commits."""
    if new != repeat:
        raise DomainError(_("The two new passwords differ."), "repeat_password")
    check_new_password(new)
    if check_password_hash(user.password_hash, new or ""):
        raise DomainError(_("Choose a password other than the one you were given."), "new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    session.commit()
