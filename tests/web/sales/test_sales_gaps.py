"""Sales gaps through the test client: e-mail by default on finalising with editable texts
(000 11.07, 11.09), insurance customers and cases on the order screen (000 90.15-90.16.1)."""
import io
import re
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from models import DocumentRecipient, InsuranceCase, Invoice, MessageText, Order, OutboxMessage, User, db
from services.sales import orders
from tests import sales_helpers as h
from tests.factories import csrf_from


@pytest.fixture
def english_users(app):
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        db.session.commit()


def _order(app, **customer_fields) -> int:
    with app.app_context():
        cust = h.customer(db.session, **customer_fields)
        order = orders.create_order(db.session, cust, None)
        orders.add_line(db.session, order, "free_text", text="Bromsbyte", quantity=D("1"), unit_price=D("1999.99"),
                        vat_percent=25)
        db.session.commit()
        return order.id


def test_finalise_queues_one_email_with_the_pdf_in_the_customers_language(app, client, auth, admin_user,
                                                                         english_users):
    """Issue 9 item 19: a customer who wants e-mail gets exactly one message, to its invoice
    address (11.09), PDF attached, subject and body in its language (German here); so does
    its credit note."""
    order_id = _order(app, number="1101", name="Autohaus Berg GmbH", email="info@berg.example", language="de",
                      email_documents=True)
    with app.app_context():
        cust = db.session.get(Order, order_id).customer
        db.session.add(DocumentRecipient(customer=cust, document_type="invoice", email="rechnung@berg.example"))
        db.session.commit()
    auth.login()
    token = auth.token(f"/admin/order/details/?id={order_id}")
    r = client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "rechnung@berg.example" in html and "outbox" in html
    with app.app_context():
        invoice = db.session.scalar(select(Invoice))
        (message,) = db.session.scalars(select(OutboxMessage)).all()
        assert message.recipient == "rechnung@berg.example" and message.invoice_id == invoice.id
        assert message.subject.startswith(f"Rechnung {invoice.number}")
        assert "Autohaus Berg GmbH" in message.body and "Rechnung" in message.body and invoice.ocr in message.body
        assert message.attachment.startswith(b"%PDF") and message.attachment_name == f"faktura-{invoice.number}.pdf"
        invoice_id = invoice.id
    # a credit note of the invoice goes the same way: to the invoice address, in German
    url = f"/admin/invoice/credit/?id={invoice_id}"
    client.post(url, data={"csrf_token": auth.token(url), "id": invoice_id, "full": "1"})
    with app.app_context():
        note = db.session.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.invoice_id == note.id))
        assert message.recipient == "rechnung@berg.example"
        assert message.subject.startswith(f"Gutschrift {note.number}") and message.attachment.startswith(b"%PDF")


def test_customer_who_does_not_want_email_gets_none(app, client, auth, admin_user, english_users):
    """Issue 9 item 19: without the customer's choice or the module setting nothing is queued."""
    order_id = _order(app, email="kund@example.se")
    auth.login()
    token = auth.token(f"/admin/order/details/?id={order_id}")
    client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id})
    with app.app_context():
        assert db.session.scalar(select(Invoice)) is not None
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_customer_without_address_gets_the_message_shown(app, client, auth, admin_user, english_users):
    """Issue 9 item 19: e-mail by default (module setting) for a customer without any address:
    the invoice is made, nothing is queued and the user is told why."""
    with app.app_context():
        from services.platform.settings import set_setting
        set_setting(db.session, "sales.email_documents_by_default", True)
        db.session.commit()
    order_id = _order(app, name="Utan Adress AB")
    auth.login()
    token = auth.token(f"/admin/order/details/?id={order_id}")
    html = client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id},
                       follow_redirects=True).get_data(as_text=True)
    assert re.search(r"Utan Adress AB has no e-mail address for invoice \d+", html)
    with app.app_context():
        assert db.session.scalar(select(Invoice)) is not None
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_the_text_register_is_editable_and_used(app, client, auth, admin_user, english_users):
    """Issue 9 item 19: the office edits a text in the console; an unknown placeholder is
    refused next to the field; the saved text is what the next e-mail says."""
    with app.app_context():
        text_id = db.session.scalar(select(MessageText.id).where(MessageText.document_type == "invoice",
                                                                 MessageText.language == "sv"))
    auth.login()
    listing = client.get("/admin/messagetext/").get_data(as_text=True)
    assert "Faktura {number}" in listing
    url = f"/admin/messagetext/edit/?id={text_id}"
    page = client.get(url).get_data(as_text=True)
    assert "{due_date}" in page  # the placeholders are named on the form
    token = csrf_from(page)
    version = re.search(r'name="edit_version" type="hidden" value="(\d+)"', page).group(1)
    r = client.post(url, data={"csrf_token": token, "edit_version": version, "subject": "Faktura {nummer}",
                               "body": "x"})
    assert r.status_code == 200 and "Unknown placeholder {nummer}" in r.get_data(as_text=True)
    r = client.post(url, data={"csrf_token": token, "edit_version": version,
                               "subject": "Er faktura {number} – {customer}", "body": "Att betala: {total}"})
    assert r.status_code == 302
    assert client.get("/admin/messagetext/new/").status_code == 403  # no text can be added
    # a fixed set: no text can be deleted, not even by the bulk action
    assert "action_delete" not in listing and 'value="delete"' not in listing
    client.post("/admin/messagetext/action/", data={"csrf_token": token, "action": "delete", "rowid": [text_id]})
    client.post("/admin/messagetext/delete/", data={"csrf_token": token, "id": text_id})
    with app.app_context():
        assert db.session.get(MessageText, text_id) is not None
    order_id = _order(app, name="Bygg & <Co>", email="kund@example.se", email_documents=True)
    token = auth.token(f"/admin/order/details/?id={order_id}")
    client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id})
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert re.fullmatch(r"Er faktura \d+ – Bygg & <Co>", message.subject)
        assert re.fullmatch(r"Att betala: 2\xa0500,00\xa0kr", message.body)


def test_enter_an_insurance_case_and_finalise(app, client, auth, admin_user, english_users):
    """Issue 9 item 20: the order screen takes a case (insurer, claim number, damage date,
    excess typed with a Swedish comma), refuses a bad one under its input, and finalising
    makes the owner's and the insurer's invoice, which name the case and add up."""
    with app.app_context():
        insurer = h.customer(db.session, number="9001", name="Trygg Försäkring AB", is_insurer=True)
        plain = h.customer(db.session, number="9002", name="Inte Försäkring AB")
        owner = h.customer(db.session, number="1201", name="Karin Ek", org=None)
        car = h.vehicle(db.session, owner, "KLM456")
        order = orders.create_order(db.session, owner, None, vehicle=car)
        orders.add_line(db.session, order, "free_text", text="Ny stötfångare", quantity=D("1"),
                        unit_price=D("7999.99"), vat_percent=25)
        db.session.commit()
        order_id, insurer_id, plain_id = order.id, insurer.id, plain.id
    auth.login()
    url = f"/admin/order/details/?id={order_id}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="case-form"' in page
    found = client.get("/admin/order/lookup?kind=insurer&q=").get_json()["results"]
    assert [r["id"] for r in found] == [insurer_id]
    token = auth.token(url)
    case = {"csrf_token": token, "order_id": order_id, "insurer_id": plain_id, "claim_number": "SK-77",
            "damage_date": "2026-11-01", "excess": "1 500,50"}
    html = client.post("/admin/order/insurance-case", data=case, follow_redirects=True).get_data(as_text=True)
    assert re.search(r'id="case-insurer-select"[^>]*is-invalid[^>]*>.*?<div class="invalid-feedback d-block" '
                     r'id="case-error">[^<]*not an insurance company', html, re.S)
    assert 'value="1 500,50"' in html  # what was typed is kept
    html = client.post("/admin/order/insurance-case", data={**case, "insurer_id": insurer_id},
                       follow_redirects=True).get_data(as_text=True)
    assert 'id="case-claim">SK-77<' in html
    with app.app_context():
        assert db.session.scalar(select(InsuranceCase)).excess == D("1500.50")
    r = client.post("/admin/order/finalise", data={"csrf_token": token, "order_id": order_id}, follow_redirects=True)
    html = r.get_data(as_text=True)
    with app.app_context():
        invoices = db.session.scalars(select(Invoice).order_by(Invoice.sequence)).all()
        assert [i.customer_name for i in invoices] == ["Karin Ek", "Trygg Försäkring AB"]
        assert invoices[1].sequence == invoices[0].sequence + 1
        assert invoices[0].total == D("1500.50")
        assert invoices[0].total + invoices[1].total == orders.order_totals(
            db.session.get(Order, order_id), h.settings(db.session)).total
        numbers = [i.number for i in invoices]
    assert f"Invoices {numbers[0]}, {numbers[1]} were created" in html
    assert 'id="invoice-insurance-case"' in html and "SK-77" in html and "KLM456" in html
    assert f'id="case-invoice-{numbers[1]}"' in html
    page = client.get(url).get_data(as_text=True)
    assert 'id="case-owner-invoice"' in page and 'id="case-insurer-invoice"' in page
    assert 'id="case-form"' not in page  # invoiced: the case can no longer change
    # both printed documents name the case: claim number, insurer, vehicle
    with app.app_context():
        ids = [i.id for i in db.session.scalars(select(Invoice).order_by(Invoice.sequence))]
    for invoice_id in ids:
        pdf = client.get(f"/admin/invoice/pdf?id={invoice_id}")
        assert pdf.status_code == 200
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
        assert "SK-77" in text and "Trygg Försäkring AB" in text and "KLM456" in text


def test_insurance_company_flag_on_the_customer_form(app, client, auth, admin_user, english_users):
    """Issue 9 items 19 and 20: the customer form offers "Send invoices by e-mail" and
    "Insurance company"; the card shows them."""
    auth.login()
    page = client.get("/admin/customer/new/").get_data(as_text=True)
    assert 'name="is_insurer"' in page and 'name="email_documents"' in page
