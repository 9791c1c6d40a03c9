"""Bokföring > BgMax-inläsning (issue 12 item 2): upload a BgMax file (checked on the page: a
broken file or one imported before is refused next to the file field), the import runs as a
job (services.ledger.bgmax_import; the page follows it), then the import's result: the payments
booked to invoices, the unidentified ones with suggestions and a "Match" action each (an ajax
look-up of open invoices), the deductions and what was left out, and the earlier imports.
Every endpoint needs payments.register, checked on the server; like the other ledger screens
it is refused to a user limited to assigned customers (the unidentified payments are anyone's)."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from models import BgMaxImport, Customer, Invoice, Payment, db
from services import DomainError
from services.ledger import bgmax_import as bi
from services.ledger import payments as pay
from services.platform import visibility
from services.platform.formatting import money, number
from views.ledger.ledger import WholeBooks
from views.platform.base import SecureBaseView

LEDGER = _l("Ledger")
EXTENSIONS = ("", ".txt", ".bgm", ".bgmax", ".dat", ".bgc")  # what banks name BgMax files
UNMATCHED_SHOWN = 200
# the invoice's status as the payment screens name it (the same catalogue entries)
STATUS_LABELS = {s: lazy_pgettext("payment status", label) for s, label in (
    ("open", "Open"), ("partly_paid", "Partly paid"), ("paid", "Paid"), ("overdue", "Overdue"),
    ("credited", "Credited"), ("written_off", "Written off"))}


def _uploads() -> Path:
    path = Path(current_app.config["FILES_DIR"]) / "imports"
    os.makedirs(path, exist_ok=True)
    return path


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"


class BgMaxImportView(WholeBooks, SecureBaseView):
    right_area = "payments"
    view_rights = ("register",)

    def _visible_customers(self):  # None: WholeBooks keeps limited users out; kept should that change
        return visibility.clause(current_user, Customer) if visibility.limited(current_user) else None

    def _page(self, status: int = 200, error: str | None = None, selected: BgMaxImport | None = None,
              row_errors: dict | None = None):
        earlier = bi.imports(db.session)
        if selected is None and earlier and error is None:
            selected = earlier[0]
        context = {"error": error, "imports": earlier, "selected": selected, "row_errors": row_errors or {},
                   "max_mb": bi.MAX_BYTES // (1024 * 1024), "number": number, "reason_text": bi.reason_text}
        if selected is not None:
            visible = self._visible_customers()
            unmatched = bi.unmatched_payments(db.session, selected, limit=UNMATCHED_SHOWN)
            booked = bi.booked_payments(db.session, selected, visible)
            invoices = {a.invoice_id for p in booked for a in p.allocations if a.invoice_id}
            context.update(
                booked=booked, statuses={i: STATUS_LABELS.get(b.status, "")
                                         for i, b in pay.balances(db.session, invoices).items()},
                unmatched=[(p, bi.suggestions(db.session, p, visible=visible)) for p in unmatched],
                reasons={n.get("payment_id"): n.get("reason") for n in selected.notes or [] if n["kind"] == "unmatched"},
                deductions=[n for n in selected.notes or [] if n["kind"] == "deduction"],
                skipped=[n for n in selected.notes or [] if n["kind"] not in ("deduction", "unmatched")])
            listed = {p.id for p in unmatched}
            # a row's error beside its row; one about a payment no longer listed (matched meanwhile) on top
            context["top_errors"] = [m for k, m in context["row_errors"].items() if k not in listed]
        return self.render("ledger/bgmax/index.html", **context), status

    @expose("/")
    def index(self):
        selected = None
        if request.args.get("id", "").isdigit():
            selected = db.session.get(BgMaxImport, int(request.args["id"])) or abort(404)
        elif request.args.get("checksum"):
            selected = bi.find_import(db.session, request.args["checksum"])
        return self._page(selected=selected)

    @expose("/upload", methods=["POST"])
    def upload(self):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._error(_("Choose a file."))
        if os.path.splitext(upload.filename)[1].lower() not in EXTENSIONS:
            return self._error(_("Choose a BgMax file from the bank (a text file, .txt)."))
        data = upload.read(bi.MAX_BYTES + 1)
        if len(data) > bi.MAX_BYTES:
            return self._error(_("The file is larger than %(mb)s MB.", mb=bi.MAX_BYTES // (1024 * 1024)))
        try:
            parsed = bi.check_upload(db.session, data)
        except DomainError as exc:
            return self._error(exc.message)
        name = f"bgmax-{uuid.uuid4().hex}.txt"
        (_uploads() / name).write_bytes(data)
        try:
            job = bi.start_import_job(db.session, current_app.extensions["jobs"].enqueue, current_user,
                                      f"imports/{name}", os.path.basename(upload.filename)[:255],
                                      total=len(parsed.payments))
        except DomainError as exc:
            (_uploads() / name).unlink(missing_ok=True)
            return self._error(exc.message, 503)
        result_url = url_for(".index", checksum=parsed.checksum)
        if not _wants_json():  # without the page's script: the Jobs page follows the job
            return redirect(url_for("jobs.index", _anchor=f"job-{job.id}"))
        from views.platform.jobs import job_state

        return jsonify(**job_state(job), status_url=url_for("jobs.status", job_id=job.id),
                       jobs_url=url_for("jobs.index", _anchor=f"job-{job.id}"), page_url=result_url), 202

    def _error(self, message: str, status: int = 400):
        db.session.rollback()
        if _wants_json():
            return jsonify(error=message, field="file"), status
        return self._page(status, error=message)

    @expose("/invoices")
    def invoices(self):
        """Open invoices for the "Match" look-up: number, OCR or customer name."""
        visible = self._visible_customers()
        found = bi.find_open_invoices(db.session, request.args.get("q", ""), visible)
        return jsonify(results=[{"id": i.id, "text": f"{i.number} · {i.customer_name} · {money(left, i.currency)}",
                                 "remaining": f"{left:.2f}"} for i, left in found])

    @expose("/match", methods=["POST"])
    def match(self):
        payment = db.session.get(Payment, request.form.get("payment_id", type=int) or 0)
        if payment is None or payment.bgmax_import_id is None:
            abort(404)
        invoice = db.session.get(Invoice, request.form.get("invoice_id", type=int) or 0)
        back = db.session.get(BgMaxImport, payment.bgmax_import_id)
        if invoice is None:
            return self._row_error(back, payment, _("Choose the invoice the payment is for."))
        if not visibility.visible(db.session, current_user, invoice):
            abort(404)  # another user's customer: as if it did not exist
        try:
            bi.match_payment(db.session, payment, [invoice], current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._row_error(db.session.get(BgMaxImport, back.id), payment, exc.message)
        left = pay.balances(db.session, [invoice.id])[invoice.id].remaining
        message = _("The payment of %(a)s is matched to %(i)s.", a=money(payment.amount), i=str(invoice))
        if _wants_json():
            return jsonify(ok=True, message=message, remaining=f"{left:.2f}")
        flash(message, "success")
        return redirect(url_for(".index", id=back.id, _anchor="unmatched"), 303)

    def _row_error(self, selected, payment, message: str):
        if _wants_json():
            return jsonify(error=message, field=f"payment-{payment.id}"), 400
        return self._page(400, selected=selected, row_errors={payment.id: message})


def register(admin) -> None:
    admin.add_view(BgMaxImportView(name=_l("BgMax import"), category=LEDGER, endpoint="bgmax_import",
                                   url="/admin/ledger/bgmax"))
