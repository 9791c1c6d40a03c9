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
from sqlalchemy.orm import Session
from xhtml2pdf import pisa

from models import OutboxMessage, Reminder
from reports.sales.sales import LOCALES, _language, _logo, address_with_country
from services import DomainError
from services.ledger.reminders import mark_sent
from services.platform.formatting import money, number
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
