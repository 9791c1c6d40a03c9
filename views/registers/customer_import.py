"""/admin/customer-import/: template, export, upload with a check (errors first: a summary per
column, then the rows), import with progress. Thin: reading, checking and writing are
services.registers.customer_import; the check is on this screen, the import itself a job (one transaction,
run by the job queue's consumer; this screen and the Jobs page show its progress)."""
import os
import uuid
from pathlib import Path

from flask import Response, abort, current_app, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from models import Customer, db
from services import DomainError
from services.platform import visibility
from services.registers import customer_import as ci
from services.registers import register_config as rc
from services.platform.settings import load_settings
from views.platform.base import SecureBaseView
from views.platform.jobs import job_state

ROWS_SHOWN = 500  # rows with errors listed on the page; the summary counts them all


def _imports_dir() -> Path:
    path = Path(current_app.config["FILES_DIR"]) / "imports"
    os.makedirs(path, exist_ok=True)
    return path


class CustomerImportView(SecureBaseView):
    right_area = "customer"
    view_rights = ("create", "export")

    def _xlsx(self, data: bytes, name: str):
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def _page(self, status: int = 200, **kwargs):
        return self.render("registers/customer_import.html", **{"results": None, "error": None, **kwargs}), status

    @expose("/")
    def index(self):
        return self._page()

    @expose("/template/<kind>")
    def template(self, kind):
        if kind not in rc.KINDS:
            abort(404)
        return self._xlsx(ci.write_workbook(db.session, rc.current(db.session), (kind,), with_data=False),
                          f"customers-{kind}-template.xlsx")

    @expose("/export/<kind>")
    def export(self, kind):
        if not self.has("export"):
            abort(403)
        kinds = rc.KINDS if kind == "all" else (kind,) if kind in rc.KINDS else abort(404)
        return self._xlsx(ci.write_workbook(db.session, rc.current(db.session), kinds,
                                            where=visibility.clause(current_user, Customer)),
                          f"customers-{kind}.xlsx")

    @expose("/upload", methods=["POST"])
    def upload(self):
        if not self.has("create"):
            abort(403)
        upload = request.files.get("file")
        kind = request.form.get("kind") if request.form.get("kind") in rc.KINDS else None
        update = "update" in request.form
        if upload is None or not upload.filename:
            return self._page(400, error=_("Choose a file."))
        if (request.content_length or 0) > ci.MAX_BYTES + 64 * 1024:
            return self._page(400, error=_("The file is larger than 10 MB."))
        data = upload.read(ci.MAX_BYTES + 1)
        config = rc.current(db.session)
        try:
            rows = ci.read_file(upload.filename, data, kind, config)
        except DomainError as exc:
            return self._page(400, error=exc.message)
        results = ci.check_rows(db.session, config, load_settings(db.session), rows, update, kind)
        token = uuid.uuid4().hex
        suffix = ".csv" if upload.filename.lower().endswith(".csv") else ".xlsx"
        (_imports_dir() / f"{token}{suffix}").write_bytes(data)
        bad = [r for r in results if not r.ok]
        return self._page(results=results, bad=bad[:ROWS_SHOWN], bad_count=len(bad),
                          summary=ci.error_summary(config, bad), labels=ci.column_labels(config),
                          columns=list(dict.fromkeys(k for r in results for k in r.values)),
                          unknown=rows.unknown, examples=rows.examples, sheet_names=ci.sheet_names(),
                          token=token, suffix=suffix, kind=kind or "", update=update,
                          sample=[r for r in results if r.ok][:50])

    @expose("/run", methods=["POST"])
    def run(self):
        if not self.has("create"):
            abort(403)
        token = request.form.get("token", "")
        suffix = request.form.get("suffix", ".xlsx")
        if not token.isalnum() or suffix not in (".xlsx", ".csv"):
            abort(400)
        update = request.form.get("update") == "1"
        if update and not self.has("edit"):
            abort(403)
        valid_only = request.form.get("mode") == "valid"
        path = _imports_dir() / f"{token}{suffix}"
        if not path.exists():
            return jsonify(error=_("The uploaded file is gone; upload it again.")), 400
        kind = request.form.get("kind") or None
        try:
            job = ci.start_import_job(db.session, current_app.extensions["jobs"].enqueue, current_user,
                                      f"imports/{path.name}", path.name, update=update, valid_only=valid_only,
                                      default_kind=kind)
        except DomainError as exc:
            return jsonify(error=exc.message), 503
        # the import runs as a job (the Jobs page); this screen follows it through its status.
        # A click before the screen's script ran posts the form itself: it goes to the Jobs page
        jobs_url = url_for("jobs.index", _anchor=f"job-{job.id}")
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return redirect(jobs_url)
        return jsonify(**job_state(job), status_url=url_for("jobs.status", job_id=job.id), jobs_url=jobs_url), 202
