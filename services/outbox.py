"""E-mail outbox (utkorg): documents are queued; with SMTP settings they are sent, otherwise
they stay queued and can be read in the console."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy import select

from models import Customer, DocumentRecipient, OutboxMessage, utcnow
from services import DomainError
from services.audit import ERASED


def recipient_for(session: Session, customer: Customer, document_type: str) -> str | None:
    """The address flagged for the document type (11.09), else the customer's e-mail."""
    flagged = session.scalar(select(DocumentRecipient.email).where(
        DocumentRecipient.customer_id == customer.id, DocumentRecipient.document_type == document_type)
        .order_by(DocumentRecipient.id))
    return flagged or customer.email


def queue(session: Session, recipient: str | None, subject: str, body: str, attachment_name: str,
          attachment: bytes, user=None, invoice_id: int | None = None, order_id: int | None = None) -> OutboxMessage:
    recipient = (recipient or "").strip()
    if not recipient or "@" not in recipient:
        raise DomainError(_("The customer has no e-mail address for this document."), "recipient")
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, attachment_name=attachment_name,
                            attachment=attachment, created_by_id=user.id if user else None,
                            invoice_id=invoice_id, order_id=order_id, status="queued")
    session.add(message)
    session.flush()
    return message


def smtp_configured(settings: dict) -> bool:
    return bool(str(settings.get("sales.smtp_host") or "").strip() and settings.get("sales.smtp_sender"))


def is_cancelled(message: OutboxMessage) -> bool:
    """Cancelled by an erasure (cancel_unsent): never sent, whatever asks."""
    return message.status != "sent" and message.recipient == ERASED


def cancel_unsent(session: Session, where, scrub=lambda text: text) -> int:
    """Cancel the unsent (queued or failed) messages matching ``where`` because the recipient's
    personal data was erased: the address, body and attachment go, ``scrub`` cleans the subject,
    and the row stays as the trace that a message was cancelled by an erasure (status failed
    with that reason: the status column knows no "cancelled" yet)."""
    messages = list(session.scalars(select(OutboxMessage).where(where, OutboxMessage.status != "sent")))
    for message in messages:
        message.status = "failed"
        message.error = _("Cancelled: the recipient's personal data was erased.")
        message.recipient, message.body = ERASED, ""
        message.attachment = message.attachment_name = None
        message.subject = scrub(message.subject or "")[:200]
    session.flush()
    return len(messages)


def send(message: OutboxMessage, settings: dict, timeout: float = 20) -> bool:
    """Send one queued message; records sent/failed on it. Without SMTP settings it stays queued."""
    if not smtp_configured(settings) or is_cancelled(message):
        return False
    mail = EmailMessage()
    mail["From"] = settings["sales.smtp_sender"]
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail.set_content(message.body or "")
    if message.attachment:
        mail.add_attachment(message.attachment, maintype="application", subtype="pdf",
                            filename=message.attachment_name or "document.pdf")
    try:
        with smtplib.SMTP(settings["sales.smtp_host"], int(settings.get("sales.smtp_port") or 25),
                          timeout=timeout) as smtp:
            if smtp.has_extn("starttls"):
                smtp.starttls()
            if settings.get("sales.smtp_user"):
                smtp.login(settings["sales.smtp_user"], settings.get("sales.smtp_password") or "")
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        message.status, message.error = "failed", str(exc)[:500]
        return False
    message.status, message.error, message.sent_at = "sent", None, utcnow()
    return True
