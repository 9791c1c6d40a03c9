"""Collective invoicing (samlingsfakturering, 10.20) as a job (services.platform.jobs): the screen
previews the groups (services.sales.invoicing.plan_collective) and submits them; the job finalises
them all or none (services.sales.invoicing.run_collective) and e-mails the invoices as a single
finalisation does. It lives here, not in services/, because that delivery renders the invoices'
PDFs (reports.sales.mail); the app's views import it, so the web process and the consumer both
know the kind."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from models import Job, Order, User
from reports.sales import mail
from services import DomainError
from services.platform import jobs, visibility
from services.platform.settings import load_settings
from services.sales import invoicing

KIND = "collective_invoicing"
RIGHT = "sales.finalise"
NAMED = 20  # invoice numbers listed one by one in the summary; more are named as a range


def start_collective_job(session: Session, enqueue, user: User, groups: list[invoicing.CollectiveGroup],
                         today: dt.date) -> Job:
    """Queue the invoicing of the previewed ``groups`` as a job of ``user`` (who needs the
    invoicing right; PermissionError otherwise)."""
    if not user.has_right(RIGHT):
        raise PermissionError(RIGHT)
    if not groups:
        raise DomainError(_("No ready orders match."))
    params = {"today": today.isoformat(),
              "groups": [{"payer_id": g.payer_id, "payer_name": g.payer_name, "cost_center_id": g.cost_center_id,
                          "order_ids": list(g.order_ids)} for g in groups]}
    return jobs.submit(session, enqueue, KIND, user, params, total=len(groups))


def invoice_names(numbers: list[str]) -> str:
    """The invoices made, for the summary: each number, or the first and the last of many (the
    numbers of one run follow each other: the series has no gaps)."""
    if len(numbers) <= NAMED:
        return ", ".join(numbers)
    return f"{numbers[0]}–{numbers[-1]}"


def _collective_job(session: Session, job: Job) -> jobs.Outcome:
    """The work of a collective invoicing job: every group in the job's one transaction (a
    failure, a cancel or a killed consumer writes no invoice and consumes no invoice number)."""
    user = job.user
    # the right is checked again here: it may have been taken away while the job was queued
    if user is None or not user.active or not user.has_right(RIGHT):
        raise DomainError(_("You no longer have the right to finalise invoices; nothing was invoiced."))
    params = job.params
    groups = [invoicing.CollectiveGroup(g["payer_id"], g["payer_name"], g.get("cost_center_id"), list(g["order_ids"]))
              for g in params["groups"]]
    settings = load_settings(session)
    jobs.report_progress(job, 0, len(groups))
    result = invoicing.run_collective(
        session, groups, user, dt.date.fromisoformat(params["today"]), settings,
        progress=lambda done, total: jobs.report_progress(job, done, total),
        deliver=lambda made: mail.deliver_finalised(session, made, settings, user).problems,
        visible=visibility.clause(user, Order))
    summary = _("%(n)s invoices created: %(numbers)s", n=len(result.invoices),
                numbers=invoice_names(result.invoices))
    if result.collective_number and result.invoices:  # the invoices of the run are found by it (20.24)
        summary += ". " + _("Collective invoice number %(n)s.", n=result.collective_number).rstrip(".")
    if result.warnings:
        summary += ". " + _("Not e-mailed: %(reasons)s", reasons="; ".join(dict.fromkeys(result.warnings)))
    return jobs.Outcome(summary)


jobs.handler(KIND, label=lambda: _("Collective invoicing"), rights=lambda params: [RIGHT])(_collective_job)
