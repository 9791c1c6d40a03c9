"""E-mail outbox (utkorg): documents are queued; with SMTP settings they are sent, otherwise
they stay queued and can be read in the console."""
from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage

from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy import select

from models import (MESSAGE_DOCUMENT_TYPES, MESSAGE_LANGUAGES, Contact, Customer, DocumentRecipient, MessageText,
                    OutboxMessage, utcnow)
from services import DomainError
from services.platform.audit import ERASED

# a document type without an address of its own goes to the address of its sibling (11.09)
RECIPIENT_FALLBACK = {"credit_note": "invoice", "order_confirmation": "quote", "quote": "order_confirmation"}


def _valid_address(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if "@" in value and not any(c in value for c in "\r\n ,;") else None


def recipient_for(session: Session, customer: Customer, document_type: str) -> str | None:
    """Who receives a document of the customer (11.09): the address given for the document
    type, else the one given for its sibling type (a credit note goes where invoices go), else
    the customer's own e-mail, else the first contact with an e-mail address. None: nobody."""
    for kind in (document_type, RECIPIENT_FALLBACK.get(document_type)):
        if kind is None:
            continue
        for email in session.scalars(select(DocumentRecipient.email).where(
                DocumentRecipient.customer_id == customer.id, DocumentRecipient.document_type == kind)
                .order_by(DocumentRecipient.id)):
            if _valid_address(email):
                return email.strip()
    if _valid_address(customer.email):
        return customer.email.strip()
    for email in session.scalars(select(Contact.email).where(Contact.customer_id == customer.id,
                                                             Contact.email.is_not(None))
                                 .order_by(Contact.name, Contact.id)):
        if _valid_address(email):
            return email.strip()
    return None


def wants_email(customer: Customer, settings: dict) -> bool:
    """Skicka e-post som standard (11.07): the customer's choice, or the module setting for all."""
    return bool(customer.email_documents or settings.get("sales.email_documents_by_default"))


# ---- e-mail texts per document type and language ------------------------------------------

# the placeholders a text may use; each is filled in once, as plain text
PLACEHOLDERS = ("number", "customer", "date", "due_date", "total", "ocr", "vehicle", "company")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

DEFAULT_TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    ("invoice", "sv"): ("Faktura {number} från {company}",
                        "Hej {customer}!\n\nBifogat finns faktura {number} på {total}, att betala senast "
                        "{due_date} (OCR {ocr}).\n\nMed vänliga hälsningar\n{company}"),
    ("invoice", "de"): ("Rechnung {number} von {company}",
                        "Guten Tag {customer},\n\nanbei erhalten Sie die Rechnung {number} über {total}, "
                        "zahlbar bis {due_date} (OCR {ocr}).\n\nMit freundlichen Grüßen\n{company}"),
    ("invoice", "en"): ("Invoice {number} from {company}",
                        "Dear {customer},\n\nplease find attached invoice {number} for {total}, due on "
                        "{due_date} (OCR {ocr}).\n\nKind regards\n{company}"),
    ("credit_note", "sv"): ("Kreditnota {number} från {company}",
                            "Hej {customer}!\n\nBifogat finns kreditnota {number} på {total}."
                            "\n\nMed vänliga hälsningar\n{company}"),
    ("credit_note", "de"): ("Gutschrift {number} von {company}",
                            "Guten Tag {customer},\n\nanbei erhalten Sie die Gutschrift {number} über {total}."
                            "\n\nMit freundlichen Grüßen\n{company}"),
    ("credit_note", "en"): ("Credit note {number} from {company}",
                            "Dear {customer},\n\nplease find attached credit note {number} for {total}."
                            "\n\nKind regards\n{company}"),
    ("quote", "sv"): ("Offert {number} från {company}",
                      "Hej {customer}!\n\nBifogat finns vår offert {number} på {total}."
                      "\n\nMed vänliga hälsningar\n{company}"),
    ("quote", "de"): ("Angebot {number} von {company}",
                      "Guten Tag {customer},\n\nanbei erhalten Sie unser Angebot {number} über {total}."
                      "\n\nMit freundlichen Grüßen\n{company}"),
    ("quote", "en"): ("Quote {number} from {company}",
                      "Dear {customer},\n\nplease find attached our quote {number} for {total}."
                      "\n\nKind regards\n{company}"),
    ("order_confirmation", "sv"): ("Orderbekräftelse {number} från {company}",
                                   "Hej {customer}!\n\nBifogat finns orderbekräftelse {number}."
                                   "\n\nMed vänliga hälsningar\n{company}"),
    ("order_confirmation", "de"): ("Auftragsbestätigung {number} von {company}",
                                   "Guten Tag {customer},\n\nanbei erhalten Sie die Auftragsbestätigung {number}."
                                   "\n\nMit freundlichen Grüßen\n{company}"),
    ("order_confirmation", "en"): ("Order confirmation {number} from {company}",
                                   "Dear {customer},\n\nplease find attached order confirmation {number}."
                                   "\n\nKind regards\n{company}"),
}


def seed_message_texts(session: Session) -> None:
    """The default texts, for each document type and language that has none (idempotent)."""
    existing = {tuple(row) for row in session.execute(select(MessageText.document_type, MessageText.language))}
    for (doc_type, language), (subject, body) in DEFAULT_TEXTS.items():
        if (doc_type, language) not in existing:
            session.add(MessageText(document_type=doc_type, language=language, subject=subject, body=body))


def check_text(text: str, field: str) -> str:
    """A text as the office typed it: only known placeholders, braces balanced."""
    text = (text or "").replace("\r\n", "\n")
    for name in _PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS:
            raise DomainError(_("Unknown placeholder {%(p)s}; use one of %(all)s.", p=name,
                                all=", ".join("{%s}" % p for p in PLACEHOLDERS)), field)
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        raise DomainError(_("A brace { or } without its partner; placeholders are written like {number}."), field)
    return text


def render_text(template: str, values: dict[str, str], one_line: bool = False) -> str:
    """Fill in the placeholders once. A value is inserted as it is, never read as a template
    (a customer named "{total}" stays "{total}"), and no attribute or index of anything is
    reachable (unlike str.format). In a subject line breaks are removed (no header injection)."""
    def value(match):
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        text = str(values.get(name) or "")
        return " ".join(text.split()) if one_line else text

    result = _PLACEHOLDER.sub(value, template or "")
    return " ".join(result.split()) if one_line else result


def compose(session: Session, document_type: str, language: str, values: dict[str, str]) -> tuple[str, str]:
    """Subject and body of a document's e-mail in ``language`` from the office's texts (the
    seeded default when a text is missing)."""
    if document_type not in MESSAGE_DOCUMENT_TYPES:
        raise ValueError(document_type)
    language = language if language in MESSAGE_LANGUAGES else "sv"
    text = session.scalar(select(MessageText).where(MessageText.document_type == document_type,
                                                    MessageText.language == language))
    subject, body = (text.subject, text.body) if text is not None else DEFAULT_TEXTS[(document_type, language)]
    return render_text(subject, values, one_line=True)[:200], render_text(body, values)


def queue(session: Session, recipient: str | None, subject: str, body: str, attachment_name: str,
          attachment: bytes, user=None, invoice_id: int | None = None, order_id: int | None = None) -> OutboxMessage:
    recipient = (recipient or "").strip()
    if not _valid_address(recipient):
        raise DomainError(_("The customer has no e-mail address for this document."), "recipient")
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, attachment_name=attachment_name,
                            attachment=attachment, created_by_id=user.id if user else None,
                            invoice_id=invoice_id, order_id=order_id, status="queued")
    session.add(message)
    session.flush()
    return message


def queue_mail(session: Session, recipient: str, subject: str, body: str, purpose: str = "document",
               user=None) -> OutboxMessage:
    """A plain message (no attachment) into the outbox, status queued: it is sent from there like
    every other message (the send button today, a job later). ``purpose`` "password_reset":
    a log-in link, whose body the outbox screens never show."""
    recipient = (recipient or "").strip()
    if not _valid_address(recipient):
        raise DomainError(_("Give a valid e-mail address."), "recipient")
    message = OutboxMessage(recipient=recipient, subject=" ".join((subject or "").split())[:200], body=body or "",
                            created_by_id=user.id if user else None, status="queued", purpose=purpose)
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


def send(message: OutboxMessage, settings: dict, timeout: float = 20, tls: ssl.SSLContext | None = None) -> bool:
    """Send one queued message; records sent/failed on it. Without SMTP settings it stays queued.
    STARTTLS checks the server's certificate and name (``tls``: the system's trusted roots unless
    another context is given), so a password never goes to a server that only claims the name."""
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
            smtp.ehlo()  # the server's extensions are known only after EHLO
            if smtp.has_extn("starttls"):
                smtp.starttls(context=tls or ssl.create_default_context())
                smtp.ehlo()  # RFC 3207: the extensions offered over TLS (AUTH) are asked again
            if settings.get("sales.smtp_user"):
                smtp.login(settings["sales.smtp_user"], settings.get("sales.smtp_password") or "")
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        message.status, message.error = "failed", str(exc)[:500]
        return False
    except UnicodeEncodeError:
        # smtplib sends AUTH in ASCII only
        message.status, message.error = "failed", _("The SMTP user name and password may contain only ASCII characters.")
        return False
    message.status, message.error, message.sent_at = "sent", None, utcnow()
    return True
