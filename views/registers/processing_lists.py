"""Processing lists screen: save the customer list's search, open it, tick customers off."""
from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from models import ProcessingList, ProcessingListItem, db
from services import DomainError
from services.platform import list_jobs
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
        """"Save as processing list" of the customer list: a job over every customer its search and
        filters find (services.platform.list_jobs; a big search does not hold the request)."""
        query = request.form.get("query", "")
        params = {"list_name": request.form.get("name", "").strip()[:200], "shared": "shared" in request.form}
        action = list_jobs.actions_of("customer")["processing_list"]
        try:
            action.prepare(db.session, current_user, dict(params, query=query))
            job = list_jobs.start(db.session, current_app.extensions["jobs"].enqueue, "customer", current_user,
                                  "processing_list", query, params)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("customer.index_view") + ("?" + query if query else ""))
        flash(Markup('%s <a href="%s" id="bulk-job-link">%s</a>') % (
            _("The job is started."), url_for("jobs.index", _anchor=f"job-{job.id}"), _("Follow it on the Jobs page.")),
            "info")
        return redirect(url_for(".index"))

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
