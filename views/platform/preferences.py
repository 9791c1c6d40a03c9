"""A user's own preferences, saved as they are changed (services.platform.preferences): JSON in, JSON
out, for the form's folded groups (static/js/forms.js) and the calendar's zoom (bookings.js)."""
from flask import Blueprint, jsonify, request
from flask_login import current_user

from models import db
from services import DomainError
from services.platform import preferences

bp = Blueprint("preferences", __name__, url_prefix="/preferences")


def _answer(save):
    body = request.get_json(silent=True) or {}
    try:
        value = save(body)
    except DomainError as exc:
        db.session.rollback()
        return jsonify(ok=False, error=exc.message), 400
    db.session.commit()
    return jsonify(ok=True, value=value)


@bp.post("/folded")
def folded():
    """{"form": a form's view endpoint, "groups": the keys of the groups folded away}."""
    return _answer(lambda b: preferences.fold_groups(db.session, current_user.id, b.get("form", ""),
                                                     b.get("groups")))


@bp.post("/calendar-zoom")
def calendar_zoom():
    """{"hours": 1, 3 or 6}."""
    return _answer(lambda b: preferences.set_calendar_zoom(db.session, current_user.id, b.get("hours")))
