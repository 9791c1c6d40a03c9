"""E-mail texts per document type and language, placeholders, recipients (000 11.07, 11.09)."""
import pytest
from sqlalchemy import func, select

from models import Contact, DocumentRecipient, MessageText
from services import DomainError
from services.sales import outbox
from services.platform.setup import seed_defaults
from tests import sales_helpers as h

pytestmark = pytest.mark.usefixtures("english")


def test_defaults_seeded_for_every_type_and_language_once(session):
    """Issue 9 item 19: subject and body for invoice, credit note, quote and order confirmation
    in sv, de and en; seeding again adds nothing."""
    seed_defaults(session)
    rows = {(t.document_type, t.language): t for t in session.scalars(select(MessageText))}
    assert set(rows) == {(d, lang) for d in ("invoice", "credit_note", "quote", "order_confirmation")
                         for lang in ("sv", "de", "en")}
    assert all(t.subject and t.body for t in rows.values())
    assert session.scalar(select(func.count()).select_from(MessageText)) == 12


def test_compose_in_the_language_with_placeholders_filled_once(session):
    """Issue 9 item 19: the customer's language; a value is never read as a template and
    cannot break the subject line."""
    values = {"number": "10001", "customer": "Evil {total}\r\nBcc: x@y.example", "total": "1 250,00 kr",
              "due_date": "2026-12-24", "company": "Verkstan AB", "ocr": "1000173"}
    subject, body = outbox.compose(session, "invoice", "de", values)
    assert subject == "Rechnung 10001 von Verkstan AB"
    assert "Evil {total}" in body and "1 250,00 kr" in body and "2026-12-24" in body
    assert "Rechnung" in body
    session.scalar(select(MessageText).where(MessageText.document_type == "invoice", MessageText.language == "en")) \
        .subject = "Invoice {number} for {customer}"
    subject, _body = outbox.compose(session, "invoice", "en", values)
    assert "\n" not in subject and "\r" not in subject
    assert subject == "Invoice 10001 for Evil {total} Bcc: x@y.example"
    assert outbox.compose(session, "quote", "fi", values)[0].startswith("Offert")  # unknown language: Swedish


@pytest.mark.parametrize("text", ["Faktura {nummer}", "Faktura {number.__class__}", "Faktura {number", "x } y"])
def test_bad_placeholders_refused(text):
    """Issue 9 item 19: only the known placeholders, braces balanced."""
    with pytest.raises(DomainError) as exc:
        outbox.check_text(text, "subject")
    assert exc.value.field == "subject"


def test_recipient_falls_back_sensibly(session):
    """Issue 9 item 19 (11.09): the document's own address, its sibling's, the customer's,
    a contact's; None when there is none."""
    cust = h.customer(session)
    assert outbox.recipient_for(session, cust, "invoice") is None
    cust.contacts.append(Contact(name="Anna", email="anna@bygg.example"))
    session.flush()
    assert outbox.recipient_for(session, cust, "invoice") == "anna@bygg.example"
    cust.email = "info@bygg.example"
    assert outbox.recipient_for(session, cust, "invoice") == "info@bygg.example"
    session.add(DocumentRecipient(customer=cust, document_type="invoice", email="faktura@bygg.example"))
    session.flush()
    assert outbox.recipient_for(session, cust, "credit_note") == "faktura@bygg.example"
    assert outbox.recipient_for(session, cust, "quote") == "info@bygg.example"
