"""Bokföring > SIE-import (issue 12 item 7): upload another system's SIE 4 file; the page shows
what importing it would do (accounts new, renamed, unchanged; the opening balances of year 0,
which must sum to zero) or why the file is refused, next to the file field; "Import" then
imports the file previewed (kept under the files directory by a random name, checked again by
its checksum) in one transaction. Every endpoint needs ledger.book (keeping the chart of
accounts), checked on the server; like the other ledger screens it is refused to a user limited
to assigned customers. A request, not a job: see services.ledger.sie_import."""
from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from models import db
from services import DomainError
from services.ledger import sie_import
from services.platform.formatting import money
from views.ledger.ledger import WholeBooks
from views.platform.base import SecureBaseView

LEDGER = _l("Ledger")
EXTENSIONS = ("", ".se", ".si", ".sie", ".txt")  # SIE 4E .se, 4I .si; some programs write .sie or .txt
TOKEN = re.compile(r"[0-9a-f]{32}\Z")


def _uploads() -> Path:
    path = Path(current_app.config["FILES_DIR"]) / "imports"
    os.makedirs(path, exist_ok=True)
    return path


def _stored(token: str) -> Path | None:
    if not TOKEN.match(token or ""):
        return None
    path = _uploads() / f"sie-{token}.se"
    return path if path.is_file() else None


class SieImportView(WholeBooks, SecureBaseView):
    right_area = "ledger"
    view_rights = ("book",)

    def _page(self, status: int = 200, error: str | None = None, preview=None, token: str = "", filename: str = ""):
        return self.render("ledger/sie_import.html", error=error, preview=preview, token=token, filename=filename,
                           money=money, max_mb=sie_import.MAX_BYTES // (1024 * 1024)), status

    @expose("/")
    def index(self):
        return self._page()

    @expose("/preview", methods=["POST"])
    def preview(self):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._page(400, _("Choose a file."))
        if os.path.splitext(upload.filename)[1].lower() not in EXTENSIONS:
            return self._page(400, _("Choose an SIE file (.se or .si)."))
        data = upload.read(sie_import.MAX_BYTES + 1)
        try:
            result = sie_import.preview(db.session, data)
        except DomainError as exc:
            db.session.rollback()
            return self._page(400, exc.message)
        db.session.rollback()  # a preview writes nothing
        token = uuid.uuid4().hex
        (_uploads() / f"sie-{token}.se").write_bytes(data)
        return self._page(preview=result, token=token, filename=os.path.basename(upload.filename)[:200])

    @expose("/import", methods=["POST"])
    def import_file(self):
        path = _stored(request.form.get("token", ""))
        if path is None:
            return self._page(400, _("The previewed file is no longer there; upload it again."))
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != request.form.get("checksum", ""):
            return self._page(400, _("The previewed file is no longer there; upload it again."))
        try:
            result = sie_import.apply_import(db.session, data, current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._page(400, exc.message)
        path.unlink(missing_ok=True)
        flash(sie_import.summary(result), "success")
        return redirect(url_for(".index"), 303)


def register(admin) -> None:
    admin.add_view(SieImportView(name=_l("SIE import"), category=LEDGER, endpoint="sie_import",
                                 url="/admin/ledger/sie-import"))
