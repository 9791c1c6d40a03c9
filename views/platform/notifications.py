"""The notification list of the top bar (JSON for the bell, POST to mark read)."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, jsonify, redirect, request, url_for
from flask_login import current_user

from models import db
from services.platform.notifications import mark_read, unread
from services.platform.formatting import stamp

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
def index():
    count, items = unread(db.session, current_user.id)
    return jsonify(
        unread=count,
        items=[dict(id=n.id, message=n.message, link=n.link, at=stamp(n.created_at), read=n.read_at is not None)
               for n in items],
    )


@bp.post("/read")
def read():
    raw = (request.get_json(silent=True) or {}).get("id") if request.is_json else request.form.get("id")
    if raw in (None, "", "all"):
        mark_read(db.session, current_user.id, None)
    elif str(raw).isdigit():
        mark_read(db.session, current_user.id, int(raw))
    else:
        abort(400)
    if request.is_json:
        return jsonify(ok=True)
    # back to the page the user came from, never to another site
    referrer = request.referrer or ""
    return redirect(referrer if urlsplit(referrer).netloc == request.host else url_for("admin.index"))
