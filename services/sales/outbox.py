"""E-mail outbox (utkorg): documents are queued; with SMTP settings they are sent, otherwise
they stay queued and can be read in the console. Each message is sent by a job of the job queue
(the task ``send_outbox_message`` calls ``deliver``), retried with a growing delay while the
server does not take it; the outbox retry (``requeue_lost``) finds queued messages whose job was lost."""
from __future__ import annotations

import datetime as dt
import re
import smtplib
import ssl
from email.message import EmailMessage

from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy import or_, select, update

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


def _server_answer(exc: Exception) -> str:
    """What the SMTP server said, as it said it ("535 5.7.8 Authentication credentials invalid"),
    or the error of the connection when it said nothing (down, refused, a certificate)."""
    def text(code, reply) -> str:
        reply = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return f"{code} {' '.join(reply.split())}"

    if isinstance(exc, smtplib.SMTPResponseException):
        return text(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {text(*answer)}" for address, answer in exc.recipients.items())
    return str(exc)


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
        message.status, message.error = "failed", _server_answer(exc)[:500]
        return False
    except UnicodeEncodeError:
        # smtplib sends AUTH in ASCII only
        message.status, message.error = "failed", _("The SMTP user name and password may contain only ASCII characters.")
        return False
    message.status, message.error, message.sent_at = "sent", None, utcnow()
    return True


# ---- sending by jobs (issue 11 item 3) ----------------------------------------------------

SEND_TASK = "send_outbox_message"
# the send job's Huey options: 5 retries after the first attempt, 1, 2, 4, 8 and 16 minutes apart
RETRIES, RETRY_DELAY, RETRY_BACKOFF = 5, 60, 2
# a message whose job was due this long ago and has not run was lost (a queue emptied, a
# consumer killed while sending): the outbox retry puts a new job on the queue
LOST_AFTER = dt.timedelta(minutes=10)


class SendingFailed(Exception):
    """The SMTP server did not take a message; its job is retried (the text is the server's answer)."""


def _unsent():
    return (OutboxMessage.status.in_(("queued", "failed"))) & (OutboxMessage.recipient != ERASED)


def prepare_sending(session: Session, where=None, now: dt.datetime | None = None) -> list[int]:
    """The unsent messages (matching ``where``) made ready for a new job each: failed ones are
    queued again with their attempts counted from zero (the office asked to try again), their
    last error kept until the next answer. Messages cancelled by an erasure never. The caller
    commits, then puts the jobs on the queue (``enqueue_sending``): a job must find its row."""
    now = now or utcnow()
    query = select(OutboxMessage).where(_unsent())
    if where is not None:
        query = query.where(where)
    ids = []
    for message in session.scalars(query.order_by(OutboxMessage.id)):
        if message.status == "failed":
            message.attempts = 0
        message.status, message.next_attempt_at = "queued", now
        ids.append(message.id)
    session.flush()
    return ids


def enqueue_sending(enqueue, message_ids) -> int:
    """A send job for each message (``enqueue``: JobQueue.enqueue). QueueUnavailable is left to
    the caller: the messages stay queued and the outbox retry sends them when the queue answers."""
    for message_id in message_ids:
        enqueue(SEND_TASK, message_id)
    return len(message_ids)


def deliver(session: Session, message_id: int, retry_in: float | None, settings: dict | None = None,
            timeout: float = 20, tls: ssl.SSLContext | None = None, now: dt.datetime | None = None) -> None:
    """One attempt of the send job at a queued message (committed). The message is taken
    (queued -> sending) so two jobs never send it twice; then the SMTP server is asked (``send``).
    Refused or not reached: with ``retry_in`` (seconds until the job's next retry) the message
    is queued again with the server's answer as its error and SendingFailed is raised (the job
    is retried); without it (the last retry) the message is failed with that answer.
    Nothing to do (already sent or failed, taken by another job, cancelled by an erasure, or no
    SMTP server configured: then it stays queued): returns quietly."""
    from services.platform.settings import load_settings

    settings = settings if settings is not None else load_settings(session)
    if not smtp_configured(settings):
        return
    now = now or utcnow()
    taken = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == "queued",
                                    OutboxMessage.recipient != ERASED)
        .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now)
    ).rowcount
    session.commit()
    if not taken:
        return
    message = session.get(OutboxMessage, message_id)
    session.refresh(message)
    if send(message, settings, timeout=timeout, tls=tls):
        session.commit()
        return
    error = message.error or ""
    if retry_in is not None and message.attempts <= RETRIES:
        message.status, message.next_attempt_at = "queued", now + dt.timedelta(seconds=retry_in)
        session.commit()
        raise SendingFailed(error)
    session.commit()  # failed, with the server's answer


def requeue_lost(session: Session, enqueue, settings: dict | None = None, now: dt.datetime | None = None,
                 limit: int = 1000) -> int:
    """The outbox retry (every few minutes): a message left sending by a consumer that was killed
    is queued again, and each queued message whose job was due more than LOST_AFTER ago (or that
    never had one, as those queued before SMTP was configured) gets a new job. Nothing without
    SMTP settings. Returns how many jobs were put on the queue. Commits."""
    from services.platform.settings import load_settings

    settings = settings if settings is not None else load_settings(session)
    if not smtp_configured(settings):
        return 0
    now = now or utcnow()
    cutoff = now - LOST_AFTER
    session.execute(update(OutboxMessage).where(OutboxMessage.status == "sending",
                                                OutboxMessage.next_attempt_at < cutoff).values(status="queued"))
    ids = list(session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.status == "queued", OutboxMessage.recipient != ERASED,
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at < cutoff))
        .order_by(OutboxMessage.id).limit(limit)))
    if ids:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(next_attempt_at=now))
    session.commit()
    return enqueue_sending(enqueue, ids)
