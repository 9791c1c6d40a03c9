"""The reminder's PDF (påminnelse, 000 90.14; xhtml2pdf as the sales documents): one per customer,
listing the overdue invoices with what remained of each when it was made, the level's text, the
fee (its own fee invoice) and the total to pay, in the customer's language. Every value is
escaped by the template (autoescape). ``queue_reminder`` puts it in the outbox as an e-mail
with the PDF attached, like an invoice (reports.sales.mail)."""
from __future__ import annotations

import io
from decimal import Decimal

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from xhtml2pdf import pisa

from models import Job, OutboxMessage, Reminder
from reports.sales.sales import LOCALES, _language, _logo, address_with_country
from services import DomainError
from services.ledger.reminders import mark_sent
from services.platform import jobs
from services.platform.formatting import money, number
from services.platform.job_queue import enqueue
from services.platform.settings import load_settings
from services.sales import outbox
from services.sales.invoicing import _address_lines

ZERO = Decimal("0")


def reminder_data(reminder: Reminder) -> dict:
    customer = reminder.customer
    lang = _language(reminder.language)
    fee_invoice = reminder.fee_invoice
    return {
        "date": reminder.date, "level": reminder.level, "language": lang, "text": reminder.text,
        "customer_number": customer.customer_number, "customer_name": customer.name,
        "address": address_with_country(_address_lines(customer), customer.country_code, lang),
        "items": [{"number": i.invoice.number, "invoice_date": i.invoice.invoice_date, "due_date": i.due_date,
                   "days": i.days_overdue, "remaining": i.remaining, "ocr": i.invoice.ocr} for i in reminder.items],
        "total": reminder.total, "fee": reminder.fee,
        "fee_invoice": fee_invoice.number if fee_invoice is not None else None,
        "fee_ocr": fee_invoice.ocr if fee_invoice is not None else None,
        "to_pay": reminder.total + (reminder.fee or ZERO), "currency": "SEK",
    }


def render_html(data: dict, settings: dict) -> str:
    lang = data["language"]
    locale = LOCALES[lang]
    with force_locale(lang):
        return render_template("reports/ledger/reminder.html", d=data, s=settings, logo=_logo(settings),
                               amount=lambda v: number(v, 2, locale=locale))


def reminder_pdf(reminder: Reminder, settings: dict) -> bytes:
    out = io.BytesIO()
    result = pisa.CreatePDF(render_html(reminder_data(reminder), settings), dest=out, encoding="utf-8")
    if result.err:
        raise RuntimeError("the PDF could not be rendered")
    return out.getvalue()


def filename(reminder: Reminder) -> str:
    return f"paminnelse-{reminder.customer.customer_number}-{reminder.date.isoformat()}.pdf"


def queue_reminder(session: Session, reminder: Reminder, settings: dict, user=None) -> OutboxMessage:
    """The reminder's PDF by e-mail to where the customer's invoices go (11.09); DomainError
    when the customer has no address for it. Marks the reminder sent by e-mail."""
    recipient = outbox.recipient_for(session, reminder.customer, "invoice")
    if recipient is None:
        raise DomainError(_("%(c)s has no e-mail address for invoices: print the reminder, or give the customer "
                            "an e-mail address.", c=reminder.customer.name), "recipient")
    data = reminder_data(reminder)
    locale = LOCALES[data["language"]]
    company = str(settings.get("company.name") or "")
    with force_locale(data["language"]):
        subject = _("Payment reminder from %(c)s", c=company)
        numbers = ", ".join(i["number"] for i in data["items"])
        body = "\n\n".join(part for part in (
            _("Dear %(c)s,", c=reminder.customer.name), reminder.text,
            _("Invoices: %(n)s. To pay: %(t)s.", n=numbers, t=money(data["to_pay"], "SEK", locale=locale)),
            _("The reminder is attached."), company) if part)
    message = outbox.queue(session, recipient, " ".join(subject.split())[:200], body, filename(reminder),
                           reminder_pdf(reminder, settings), user,
                           invoice_id=reminder.fee_invoice_id)
    mark_sent(reminder, "email", message)
    return message


# ---- sending many reminders as a job -----------------------------------------------------------
# "Send by e-mail" on the screen is a job: each reminder's PDF is rendered and queued in the
# outbox in the job's one transaction (a customer without an address stops it: nothing is
# queued); once that is committed the messages are put on the job queue to be sent. It lives
# here, not in services/, because it renders the PDFs; the app's views import it, so the web
# process and the consumer both know the kind (as reports.sales.collective).

SEND_KIND = "reminder_sending"
SEND_RIGHT = "ledger.reminders"


def start_send_job(session: Session, enqueue, user, reminder_ids) -> Job:
    """Queue the e-mailing of ``reminder_ids`` as a job of ``user``."""
    ids = sorted({int(i) for i in reminder_ids or []})
    if not ids:
        raise DomainError(_("Choose at least one reminder."), "reminder")
    if not user.has_right(SEND_RIGHT):
        raise PermissionError(SEND_RIGHT)
    return jobs.submit(session, enqueue, SEND_KIND, user, {"reminders": ids}, total=len(ids))


def _send_job(session: Session, job: Job) -> jobs.Outcome:
    user = job.user
    if user is None or not user.active or not user.has_right(SEND_RIGHT):
        raise DomainError(_("You no longer have the right to send reminders; nothing was sent."))
    ids = job.params["reminders"]
    settings = load_settings(session)
    jobs.report_progress(job, 0, len(ids))
    queued = []
    reminders = list(session.scalars(select(Reminder).where(Reminder.id.in_(ids)).order_by(Reminder.id)))
    for n, reminder in enumerate(reminders, start=1):
        try:
            queued.append(queue_reminder(session, reminder, settings, user).id)
        except DomainError as exc:
            raise DomainError(_("%(reason)s Nothing was sent.", reason=exc.message)) from None
        jobs.report_progress(job, n, len(ids))
    session.flush()

    def send() -> None:
        if outbox.smtp_configured(load_settings(session)):
            outbox.enqueue_sending(enqueue, queued)  # QueueUnavailable: the outbox retry sends them later

    return jobs.Outcome(_("%(n)s reminders put in the outbox.", n=len(queued)), after=send)


jobs.handler(SEND_KIND, label=lambda: _("Reminders by e-mail"), rights=lambda params: [SEND_RIGHT])(_send_job)
