"""GDPR (erase, export personal data) and merging customers: custom screens with rights of
their own (customer.gdpr, customer.merge); POSTs carry the global CSRF token."""
from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from models import Customer, db
from reports.registers.personal_data import personal_data_pdf
from services import DomainError
from services.platform import jobs, visibility
from services.registers import gdpr
from services.registers import merge as merge_rules
from services.registers.references import TABLE_LABELS
from views.platform.base import SecureBaseView, has_right
from views.platform.jobs import job_state


class CustomerToolsView(SecureBaseView):
    right_area = "customer"
    view_rights = ("gdpr", "merge")

    def is_visible(self):
        return False

    def _customer(self, cid) -> Customer:
        return visibility.get(db.session, current_user, Customer, cid) or abort(404)

    @expose("/")
    def index(self):
        """Start of a merge: the customer to keep and the duplicates, by customer number."""
        if not has_right("customer.merge"):
            return redirect(url_for("customer.index_view"))
        return self.render("registers/customer_merge.html", keep=None, dups=[], numbers="", refs={}, dropped={},
                           warnings=[], error=None)

    # --- GDPR ------------------------------------------------------------------------------

    def _gdpr(self):
        if not has_right("customer.gdpr"):
            abort(403)

    @expose("/<int:cid>/personal-data.json")
    def personal_json(self, cid):
        self._gdpr()
        customer = self._customer(cid)
        return Response(gdpr.personal_data_json(db.session, customer, request.args.get("lang")),
                        mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="personal-data-{customer.customer_number}.json"'})

    @expose("/<int:cid>/personal-data.pdf")
    def personal_pdf(self, cid):
        self._gdpr()
        customer = self._customer(cid)
        try:
            pdf = personal_data_pdf(db.session, customer, request.args.get("lang"))
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for("customer.details_view", id=cid))
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="personal-data-{customer.customer_number}.pdf"'})

    @expose("/<int:cid>/erase", methods=["POST"])
    def erase(self, cid):
        """The confirmation is checked here; the erasure itself is a job (services.registers.gdpr),
        followed on this tool's page."""
        self._gdpr()
        customer = self._customer(cid)
        if request.form.get("confirm") != customer.customer_number:
            flash(_("Type the customer number to confirm the erasure."), "error")
            return redirect(url_for("customer.details_view", id=cid))
        try:
            gdpr.start_erase_job(db.session, current_app.extensions["jobs"].enqueue, current_user, customer)
        except PermissionError:
            abort(403)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("customer.details_view", id=cid))
        return redirect(url_for(".erasure", cid=cid))

    @expose("/<int:cid>/erase")
    def erasure(self, cid):
        """The customer's erasure: queued, running (a progress bar that follows the job) or done."""
        self._gdpr()
        customer = self._customer(cid)
        found = gdpr.erase_jobs(db.session, customer.id)
        job = found[0] if found else None
        if job is not None and job.status == "running":
            jobs.fail_abandoned(db.session, [job])  # its consumer may have been killed
        state = job_state(job) if job is not None else None
        return self.render("registers/customer_erase.html", customer=customer, job=job, state=state,
                           status_url=url_for("jobs.status", job_id=job.id) if job else None,
                           may_see_job=job is not None and jobs.may_see(current_user, job))

    # --- merge ------------------------------------------------------------------------------

    def _merge_args(self, source):
        if not has_right("customer.merge"):
            abort(403)
        seen = visibility.clause(current_user, Customer)
        keep = visibility.get(db.session, current_user, Customer, source.get("keep")) \
            if str(source.get("keep", "")).isdigit() else None
        if keep is None and source.get("keep_number"):
            keep = db.session.scalar(select(Customer).where(
                Customer.customer_number == source["keep_number"].strip(), seen))
        numbers = [n.strip() for n in source.get("duplicates", "").replace(";", ",").split(",") if n.strip()]
        dups = list(db.session.scalars(select(Customer).where(Customer.customer_number.in_(numbers), seen))) \
            if numbers else []
        unknown = sorted(set(numbers) - {d.customer_number for d in dups})
        return keep, dups, numbers, unknown

    @expose("/merge")
    def merge_preview(self):
        keep, dups, numbers, unknown = self._merge_args(request.args)
        if keep is None:
            abort(404)
        error = None
        if unknown:
            error = _("Unknown customer number: %(n)s", n=", ".join(unknown))
        elif any(d.id == keep.id for d in dups):
            error = _("A customer cannot be merged with itself.")
        refs = merge_rules.preview(db.session, keep, dups) if dups and not error else {}
        warnings = merge_rules.warnings(keep, dups) if dups and not error else []
        dropped = {d: {m.table: set(m.dropped_ids) for m in moves} for d, moves in refs.items()}
        return self.render("registers/customer_merge.html", keep=keep, dups=dups, numbers=", ".join(numbers),
                           refs=refs, dropped=dropped, warnings=warnings, error=error, table_labels=TABLE_LABELS)

    @expose("/merge", methods=["POST"])
    def merge(self):
        keep, dups, numbers, unknown = self._merge_args(request.form)
        if keep is None:
            abort(404)
        if unknown:
            flash(_("Unknown customer number: %(n)s", n=", ".join(unknown)), "error")
            return redirect(url_for(".merge_preview", keep=keep.id, duplicates=", ".join(numbers)))
        try:
            merge_rules.merge(db.session, keep, dups, current_user.id,
                              accept_warnings=request.form.get("accept_warnings") == "1")
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for(".merge_preview", keep=keep.id, duplicates=", ".join(numbers)))
        flash(_("The customers were merged."), "success")
        return redirect(url_for("customer.details_view", id=keep.id))
