"""Every row a register's list shows, in a job (services.platform.list_jobs): "Export all (XLSX)"
and bulk actions on "Select all N matching the filter" (issue 11 items 3 and 7). A list view that
has them (the customer and vehicle registers) takes this mixin before SecureModelView; the job
finds the view by its endpoint and re-applies the list's own search, filters and visibility from
the list's query, as the user who started it, through ``as_user``."""
from contextlib import contextmanager

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_babel import format_number, gettext as _
from flask_login import current_user
from markupsafe import Markup

from models import db
from services import DomainError
from services.platform import list_jobs


class ListJobsMixin:
    """A list's rows for a job, and the endpoint that starts one (``bulk``)."""

    @contextmanager
    def as_user(self, user, query: str):
        """Inside: a request for this list with ``query`` (its URL query: search, filters, sort) by
        ``user``, so that a job (in a consumer, outside any request) reads the rows the list shows
        that user, through the list's own filters, visibility, columns and formatters. The app
        context (and its session, the job's) is the caller's; what the request put in ``g`` goes."""
        saved = dict(g.__dict__)
        with current_app.test_request_context(self.url + "/", query_string=query or ""):
            g._login_user = user
            try:
                if hasattr(self, "_ensure_config"):
                    self._ensure_config()
                if not self.is_accessible():
                    raise DomainError(_("You do not have the right to see this register."))
                yield self
            finally:
                g.__dict__.clear()
                g.__dict__.update(saved)

    def bulk_allowed(self, need: str) -> bool:
        """May the user start a bulk action that needs ``need`` (list_jobs.BulkAction.need)?"""
        if need == "edit":
            return bool(self.can_edit)
        if need == "view":
            return self.is_accessible()
        if need == "export":
            return bool(self.can_export)
        return self.has(need)

    def may_change_row(self, row) -> bool:
        return bool(self.can_edit)

    def record_url(self, row) -> str:
        return url_for(f"{self.endpoint}.details_view", id=row.id)

    def matching_query(self):
        """The list's query for the request's search and filters (no page)."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        return self.export_query(sort[0] if sort is not None else None, args.sort_desc, args.search, args.filters)

    def count_matching(self) -> int:
        return self.matching_query().order_by(None).count()

    def matching_rows(self):
        """Every row the list shows, in its order, a chunk at a time (the export's cursor)."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        return self.export_rows(sort[0] if sort is not None else None, args.sort_desc, args.search, args.filters)

    def matching_chunks(self, size: int):
        """Every row the list shows, ``size`` at a time by keyset on the id: each chunk is a query
        of its own, so the rows of one may be changed and flushed before the next is read."""
        pk = self.model.__mapper__.primary_key[0]
        query = self.matching_query().order_by(None)
        last = None
        while True:
            step = query if last is None else query.filter(pk > last)
            rows = step.order_by(pk).limit(size).all()
            if not rows:
                return
            yield rows
            last = getattr(rows[-1], pk.key)

    def export_columns(self) -> list[tuple[str, str]]:
        """The export's (column, title): those of the list's export, never a secret one."""
        return [(name, str(label)) for name, label in self._export_columns if not self.is_secret_column(name)]

    def count_label(self, count) -> str:
        """A count as the select-all bar shows it: "1 234" in the user's language; an estimated or
        capped count as it reads itself ("≈ 3 900", "≥ 10 000")."""
        return format_number(count) if type(count) is int else str(count)

    def bulk_choices(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """The bulk actions the user may start on this list: (name, label, its form fields)."""
        return [(name, a.label(), a.fields) for name, a in list_jobs.actions_of(self.endpoint).items()
                if self.bulk_allowed(a.need)]

    @expose("/bulk/", methods=("POST",))
    def bulk(self):
        """Start a bulk action (or "Export all") over every row matching the list's query as a job."""
        name = request.form.get("bulk_action", "")
        actions = list_jobs.actions_of(self.endpoint)
        if name not in actions:
            abort(400)
        action = actions[name]
        if not self.bulk_allowed(action.need):
            abort(403)
        query = request.form.get("query", "")
        back = self.url + "/" + ("?" + query if query else "")
        params = {}
        for key in action.fields:
            if key == "user_ids":
                params[key] = [i for i in request.form.getlist(key) if i.isdigit()][:200]
            elif key == "shared":
                params[key] = key in request.form
            else:
                params[key] = request.form.get(key, "").strip()[:200]
        try:
            action.prepare(db.session, current_user, dict(params, query=query))  # bad input: shown now
            job = list_jobs.start(db.session, current_app.extensions["jobs"].enqueue, self.endpoint, current_user,
                                  name, query, params)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(back)
        flash(Markup('%s <a href="%s" id="bulk-job-link">%s</a>') % (
            _("The job is started."), url_for("jobs.index", _anchor=f"job-{job.id}"), _("Follow it on the Jobs page.")),
            "info")
        return redirect(back)
