"""Documents by e-mail: the PDF of a document put in the outbox (services.sales.outbox) with the
subject and body of the office's texts for its type, in the document's language.

Every path that e-mails a sales document comes through here: finalising for a customer who
wants e-mail (000 11.07), the "Send by e-mail" buttons of invoices, quotes and orders."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from models import Invoice, Order, OutboxMessage
from reports.sales import sales as pdf_reports
from services import DomainError
from services.sales import outbox
from services.platform.formatting import LOCALES, date, money


def _values(data: dict, settings: dict) -> dict[str, str]:
    locale = LOCALES.get(data["language"], "sv_SE")
    return {
        "number": data["number"], "customer": data["customer_name"], "date": date(data["date"]),
        "due_date": date(data["due_date"]), "total": money(data["total"], data["currency"], locale=locale),
        "ocr": data.get("ocr") or "", "vehicle": data.get("vehicle") or "",
        "company": str(settings.get("company.name") or ""),
    }


def queue_invoice(session: Session, invoice: Invoice, settings: dict, user=None) -> OutboxMessage:
    """The invoice's (or credit note's) PDF to its recipient (11.09); DomainError when the
    customer has no e-mail address for it."""
    recipient = outbox.recipient_for(session, invoice.customer, invoice.kind)
    if recipient is None:
        raise DomainError(_("%(c)s has no e-mail address for %(d)s %(n)s: give the customer an e-mail address "
                            "or a document recipient, then send it from the invoice.",
                            c=invoice.customer_name, d=_document_label(invoice.kind), n=invoice.number),
                          "recipient")
    data = pdf_reports.invoice_data(invoice)
    body = pdf_reports.invoice_pdf(session, invoice, settings)
    subject, text = outbox.compose(session, invoice.kind, invoice.language, _values(data, settings))
    return outbox.queue(session, recipient, subject, text, pdf_reports.filename(data), body, user,
                        invoice_id=invoice.id)


def queue_order_document(session: Session, order: Order, settings: dict, user=None) -> OutboxMessage:
    """A quote or an order confirmation to the payer."""
    doc_type = "quote" if order.kind == "quote" else "order_confirmation"
    payer = order.bill_to
    recipient = outbox.recipient_for(session, payer, doc_type)
    if recipient is None:
        raise DomainError(_("%(c)s has no e-mail address for %(d)s %(n)s: give the customer an e-mail address "
                            "or a document recipient.", c=payer.name, d=_document_label(doc_type), n=order.id),
                          "recipient")
    data = pdf_reports.order_data(order, doc_type, settings)
    subject, text = outbox.compose(session, doc_type, data["language"], _values(data, settings))
    return outbox.queue(session, recipient, subject, text, pdf_reports.filename(data),
                        pdf_reports.render_pdf(data, settings), user, order_id=order.id)


def _document_label(doc_type: str) -> str:
    return {"invoice": _("invoice"), "credit_note": _("credit note"), "quote": _("quote"),
            "order_confirmation": _("order confirmation")}[doc_type]


@dataclass
class Delivery:
    queued: list[OutboxMessage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # for the user: why a document was not queued


def deliver_finalised(session: Session, invoices: list[Invoice], settings: dict, user=None) -> Delivery:
    """E-mail by default (11.07): each just finalised invoice whose customer wants e-mail (or
    all, by the module setting) is queued in the finalising transaction. A customer without an
    address does not stop the invoicing: the reason is returned for the user to see."""
    result = Delivery()
    for invoice in invoices:
        if not outbox.wants_email(invoice.customer, settings):
            continue
        try:
            result.queued.append(queue_invoice(session, invoice, settings, user))
        except DomainError as exc:
            result.problems.append(exc.message)
    return result

