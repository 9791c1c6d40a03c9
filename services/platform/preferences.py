"""What one user sets up for themself outside the list columns (those are User.hidden_columns):
the groups of a form folded away, per form, and the booking calendar's zoom.

Kept in User.preferences and written with one UPDATE of that column alone: a preference is not
history (no audit row) and does not make an administrator's open form of the user stale (no new
version)."""
import re

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import User
from services import DomainError

CALENDAR_ZOOMS = (1, 3, 6)  # hours per slot of the week view (static/js/bookings.js)
DEFAULT_ZOOM = 3
_KEY = re.compile(r"^[\w.-]{1,60}$")  # a form's endpoint, a group's key


def of(session: Session, user_id: int) -> dict:
    return session.scalar(select(User.preferences).where(User.id == user_id)) or {}


def _save(session: Session, user_id: int, prefs: dict) -> None:
    session.execute(update(User).where(User.id == user_id).values(preferences=prefs)
                    .execution_options(synchronize_session=False))


def folded_groups(prefs: dict | None, form: str) -> list[str]:
    """The groups of ``form`` (a view's endpoint) the user keeps folded."""
    return list(((prefs or {}).get("folded") or {}).get(form) or [])


def fold_groups(session: Session, user_id: int, form: str, groups: list) -> list[str]:
    """Keeps ``groups`` as the folded groups of ``form`` for the user; returns them."""
    if not _KEY.match(str(form)) or not isinstance(groups, list) or len(groups) > 50 \
            or not all(isinstance(g, str) and _KEY.match(g) for g in groups):
        raise DomainError(_("Unknown form or group."), "folded")
    prefs = dict(of(session, user_id))
    folded = {k: v for k, v in (prefs.get("folded") or {}).items() if k != form}
    if groups:
        folded[form] = sorted(set(groups))
    prefs["folded"] = folded
    _save(session, user_id, prefs)
    return folded.get(form, [])


def calendar_zoom(prefs: dict | None) -> int:
    zoom = (prefs or {}).get("calendar_zoom")
    return zoom if zoom in CALENDAR_ZOOMS else DEFAULT_ZOOM


def set_calendar_zoom(session: Session, user_id: int, hours) -> int:
    if hours not in CALENDAR_ZOOMS or isinstance(hours, bool):
        raise DomainError(_("The calendar's zoom is 1, 3 or 6 hours."), "zoom")
    _save(session, user_id, {**of(session, user_id), "calendar_zoom": hours})
    return hours
