"""/admin/jobs/: the user's jobs (an administrator's: everyone's) with live progress, the result
to download, cancel and start again. Thin: the rules are services.platform.jobs; every endpoint checks
that the user may see the job (its user or an administrator), else 403."""
from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from models import Job, db
from services import DomainError
from services.platform import jobs
from services.platform.formatting import stamp


def _job_or_abort(job_id: int) -> Job:
    try:
        job = jobs.get_visible(db.session, current_user, job_id)
    except PermissionError:
        abort(403)
    if job is None:
        abort(404)
    return job


def job_state(job: Job) -> dict:
    """What the Jobs page (and a screen that started the job) shows of it, as JSON."""
    done, total = jobs.live_progress(job)
    percent = round(100 * done / total) if total else (100 if job.status == "done" else 0)
    return dict(id=job.id, kind=jobs.kind_label(job.kind), status=job.status,
                status_label=str(jobs.STATUS_LABELS[job.status]), ended=job.ended, done=done, total=total,
                percent=min(percent, 100), summary=job.summary, error=job.error,
                started=stamp(job.started_at) if job.started_at else None,
                finished=stamp(job.finished_at) if job.finished_at else None,
                result_url=url_for("jobs.result", job_id=job.id) if job.status == "done" and job.result_path
                else None,
                cancel_url=url_for("jobs.cancel", job_id=job.id) if not job.ended else None)


class JobsView(BaseView):
    """Every logged-in user has the page; what it lists is limited in services.platform.jobs.visible."""

    def is_accessible(self):
        return current_user.is_authenticated

    def is_visible(self):
        # reached from the icon beside the notification bell (master.html), not the menu bar,
        # which has to stay one row at 1400 px
        return False

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    def _reap(self, items):
        # a running job whose consumer was killed is failed here too (and every minute by the consumers)
        running = [j for j in items if j.status == "running"]
        if running:
            jobs.fail_abandoned(db.session, running)

    @expose("/")
    def index(self):
        items = jobs.visible(db.session, current_user)
        self._reap(items)
        states = {j.id: job_state(j) for j in items}
        may_again = {j.id: j.status in ("failed", "cancelled") and jobs.may_start(current_user, j.kind, j.params)
                     for j in items}
        return self.render("platform/jobs.html", items=items, states=states, may_again=may_again,
                           show_user=current_user.is_admin)

    @expose("/<int:job_id>/status")
    def status(self, job_id):
        job = _job_or_abort(job_id)
        self._reap([job])
        return jsonify(job_state(job))

    @expose("/<int:job_id>/result")
    def result(self, job_id):
        job = _job_or_abort(job_id)
        if not jobs.may_start(current_user, job.kind, job.params):
            abort(403)  # the result is downloaded with the rights of the work (an export: the register's export)
        path = jobs.result_file(job) if job.status == "done" else None
        if path is None:
            abort(404)
        return send_file(path, as_attachment=True, download_name=job.result_name or path.name, max_age=0)

    @expose("/<int:job_id>/cancel", methods=["POST"])
    def cancel(self, job_id):
        try:
            job = jobs.cancel(db.session, current_user, job_id)
        except PermissionError:
            abort(403)
        except DomainError as exc:
            if request.is_json or request.accept_mimetypes.best == "application/json":
                return jsonify(error=exc.message), 409
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return jsonify(job_state(job))
        flash(_("The job is cancelled.") if job.status == "cancelled"
              else _("The job stops at its next step; nothing of it is written."), "info")
        return redirect(url_for(".index"))

    @expose("/<int:job_id>/again", methods=["POST"])
    def again(self, job_id):
        try:
            job = jobs.run_again(db.session, current_app.extensions["jobs"].enqueue, current_user, job_id)
        except PermissionError:
            abort(403)
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index"))
        flash(_("The job is started again."), "info")
        return redirect(url_for(".index", _anchor=f"job-{job.id}"))


def register(admin) -> None:
    from flask_babel import lazy_gettext as _l

    admin.add_view(JobsView(name=_l("Jobs"), endpoint="jobs", url="/admin/jobs"))
