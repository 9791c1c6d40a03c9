"""Comments with @mentions on customers and vehicles: a POST to add, a JSON list of users for
the @ picker. Rights: whoever may see the record may comment on it."""
from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from models import Customer, Vehicle, db
from services import DomainError
from services.registers import comments as comment_rules
from services.platform import visibility
from views.platform.base import SecureBaseView, has_right


def may_see(entity: str, record) -> bool:
    if entity == "customer":
        seen = has_right("customer.view") or has_right("customer.view_assigned")
    elif entity == "vehicle":
        seen = has_right("vehicle.view")
    else:
        return False
    return seen and visibility.visible(db.session, current_user, record)


class CommentsView(SecureBaseView):
    right_area = "customer"

    def is_accessible(self):
        return current_user.is_authenticated and any(
            has_right(r) for r in ("customer.view", "customer.view_assigned", "vehicle.view"))

    def is_visible(self):
        return False

    @expose("/<entity>/<int:record_id>", methods=["POST"])
    def add(self, entity, record_id):
        model = {"customer": Customer, "vehicle": Vehicle}.get(entity) or abort(404)
        record = db.session.get(model, record_id) or abort(404)
        if not may_see(entity, record):
            abort(403)
        link = url_for(f"{entity}.details_view", id=record_id) + "#tab-comments"
        try:
            comment_rules.add_comment(db.session, entity, record_id, request.form.get("body", ""),
                                      current_user, str(record), link)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        return redirect(link)

    @expose("/")
    def index(self):
        return self.users()

    @expose("/users")
    def users(self):
        return jsonify(comment_rules.user_suggestions(db.session, request.args.get("q", "")))
