"""Processing lists screen: save the customer list's search, open it, tick customers off."""
from urllib.parse import parse_qs

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from models import ProcessingList, ProcessingListItem, db
from services import DomainError
from services.registers import processing_lists as rules
from views.platform.base import SecureBaseView


class ProcessingListView(SecureBaseView):
    right_area = "customer"
    view_rights = ("view", "view_assigned")

    def _list(self, list_id) -> ProcessingList:
        plist = db.session.get(ProcessingList, list_id) or abort(404)
        if not rules.may_open(plist, current_user):
            abort(403)
        return plist

    def _progress(self, plist) -> tuple[int, int]:
        return rules.progress(plist, rules.visible_items(db.session, plist, current_user))

    @expose("/")
    def index(self):
        lists = rules.visible_lists(db.session, current_user)
        return self.render("registers/processing_lists.html", lists=lists, plist=None, progress=self._progress)

    @expose("/save", methods=["POST"])
    def save(self):
        query = request.form.get("query", "")
        args = MultiDict([(k, v) for k, vs in parse_qs(query).items() for v in vs])
        customer_view = next(v for v in current_app.extensions["verkstad_admin"]._views
                             if getattr(v, "endpoint", None) == "customer")
        ids = customer_view.customers_matching(args)
        try:
            plist = rules.create_list(db.session, request.form.get("name", ""), current_user,
                                      "shared" in request.form, query, ids)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("customer.index_view") + ("?" + query if query else ""))
        return redirect(url_for(".show", list_id=plist.id))

    @expose("/<int:list_id>")
    def show(self, list_id):
        plist = self._list(list_id)
        return self.render("registers/processing_lists.html", lists=None, plist=plist, progress=self._progress,
                           items=rules.visible_items(db.session, plist, current_user))

    @expose("/<int:list_id>/item/<int:item_id>", methods=["POST"])
    def tick(self, list_id, item_id):
        plist = self._list(list_id)
        item = db.session.get(ProcessingListItem, item_id)
        if item is None or item.list_id != plist.id or item not in rules.visible_items(db.session, plist, current_user):
            abort(404)
        rules.tick(db.session, item, "done" in request.form, request.form.get("note"), current_user)
        db.session.commit()
        return redirect(url_for(".show", list_id=list_id) + f"#item-{item_id}")

    @expose("/<int:list_id>/delete", methods=["POST"])
    def delete(self, list_id):
        plist = self._list(list_id)
        if plist.owner_id != current_user.id and not current_user.is_admin:
            abort(403)
        db.session.delete(plist)
        db.session.commit()
        flash(_("The processing list was deleted."), "success")
        return redirect(url_for(".index"))
