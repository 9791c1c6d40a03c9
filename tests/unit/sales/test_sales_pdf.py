"""PDF documents: the text extracted with pypdf holds every element a Swedish invoice needs."""
import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from models import Country, PaymentTerm
from reports.sales import sales as pdf
from services.sales import invoicing, orders
from tests import sales_helpers as h

# the database makes no difference here: SQLite only (tests/conftest.py)
pytestmark = pytest.mark.any_db

TODAY = dt.date(2026, 11, 24)


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"[ \xa0]+", " ", "\n".join(p.extract_text() for p in reader.pages))


def _invoice(session, cust=None, **settings):
    cust = cust or h.customer(session, payment_term=PaymentTerm(name="30 dagar <netto>", days=30,
                                                                invoice_fee=D("29")))
    vehicle = h.vehicle(session, cust, "XYZ789")
    order = orders.create_order(session, cust, None, vehicle=vehicle, today=TODAY,
                                customer_order_number="PO-4711", customer_reference="Eva Ek",
                                delivery_date=dt.date(2026, 11, 20))
    orders.add_line(session, order, "article", article=h.article(session), quantity=2)
    orders.add_line(session, order, "labour", labour=h.labour(session))
    orders.add_line(session, order, "free_text", text="Bok <b>", unit_price=D("100"), vat_percent=D("6"))
    values = h.settings(session, **settings)
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, values)
    session.commit()
    return invoice, values


def test_invoice_pdf_has_every_required_element(app, session):
    invoice, settings = _invoice(session)
    with app.test_request_context():
        text = _text(pdf.invoice_pdf(session, invoice, settings))
    required = [
        "FAKTURA", invoice.number, "2026-11-24",  # date and unique number
        "2026-12-24",  # due date
        invoice.ocr, "Bygg AB", "Storgatan 1", "11122 Stockholm",  # buyer name and address
        "SE556036079301", "Godkänd för F-skatt", "5050-1055", "SE4550000000058398257466", "ESSESESS",
        "Oljefilter", "Service", "Bok <b>",  # kind of goods and services (escaped, shown literally)
        "2026-11-20",  # date of supply
        "PO-4711", "Eva Ek", "XYZ789", "12345 km", "30 dagar <netto>",
        "Moms 25 %", "Moms 6 %", "Att betala", "1001",
    ]
    for element in required:
        assert element in text, element
    # amounts: 400 + 1200 + 29 fee + env fee 60 at 25 % -> 1689 net, 422.25 VAT; 100 at 6 % -> 6
    assert "1 689,00" in text and "422,25" in text and "100,00" in text and "6,00" in text
    assert "2 217,00" in text  # 1689 + 422.25 + 100 + 6 = 2217.25 rounded to 2217
    assert "KOPIA" not in text
    with app.test_request_context():
        again = _text(pdf.invoice_pdf(session, invoice, settings))
    assert "KOPIA" in again
    session.commit()
    assert invoice.print_count == 2


def test_reverse_charge_german_invoice(app, session):
    session.get(Country, "DE").eu_member = True
    cust = h.customer(session, "3003", "Werkstatt GmbH", None, country_code="DE", vat_number="DE136695976",
                      language="de")
    invoice, settings = _invoice(session, cust)
    with app.test_request_context():
        text = _text(pdf.invoice_pdf(session, invoice, settings))
    assert "RECHNUNG" in text and "Steuerschuldnerschaft des Leistungsempfängers" in text
    assert "DE136695976" in text and "SE556036079301" in text


def test_export_english_invoice(app, session):
    cust = h.customer(session, "3004", "Garage Inc", None, country_code="US", language="en")
    invoice, settings = _invoice(session, cust)
    with app.test_request_context():
        text = _text(pdf.invoice_pdf(session, invoice, settings))
    assert "INVOICE" in text and "Export" in text and "exempt from VAT" in text


@pytest.mark.parametrize("doc_type, title, has_prices", [
    ("quote", "OFFERT", True), ("order_confirmation", "ORDERBEKRÄFTELSE", True),
    ("work_order", "ARBETSORDER", False), ("delivery_note", "FÖLJESEDEL", False)])
def test_order_documents(app, session, doc_type, title, has_prices):
    cust = h.customer(session, "7007", "Privat Person", None, personal_number="198112189876")
    order = orders.create_order(session, cust, None, today=TODAY)
    orders.add_line(session, order, "article", article=h.article(session))  # 200 excl. VAT
    session.commit()
    settings = h.settings(session)
    with app.test_request_context():
        text = _text(pdf.render_pdf(pdf.order_data(order, doc_type, settings), settings))
    assert title in text and "Oljefilter" in text
    # a private customer sees prices including VAT
    assert ("250,00" in text) == has_prices


def test_credit_note_pdf(app, session):
    invoice, settings = _invoice(session)
    note = invoicing.create_credit_note(session, invoice, None, TODAY, settings, {invoice.lines[0].id: D(1)})
    session.commit()
    with app.test_request_context():
        text = _text(pdf.invoice_pdf(session, note, settings))
    assert "KREDITNOTA" in text and note.number in text and invoice.number in text and "200,00" in text


def test_write_sample_for_review(app, session, tmp_path):
    """Leaves a sample invoice under test-artifacts/ to look at (pdftoppm)."""
    from tests.conftest import ARTIFACTS

    invoice, settings = _invoice(session)
    with app.test_request_context():
        data = pdf.invoice_pdf(session, invoice, settings)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "sales-invoice.pdf").write_bytes(data)
    assert data.startswith(b"%PDF")


def test_logo_and_texts_from_settings(app, session, monkeypatch):
    from tests.conftest import ARTIFACTS
    from PIL import Image

    ARTIFACTS.mkdir(exist_ok=True)
    monkeypatch.chdir(ARTIFACTS)  # xhtml2pdf reads local files only under the working directory
    logo = ARTIFACTS / "sales-test-logo.png"
    Image.new("RGB", (120, 40), (20, 60, 160)).save(logo)
    invoice, settings = _invoice(session, sales__logo_path=str(logo), sales__text__heading__invoice="Tack för ordern",
                                 sales__text__footer="Styrelsens säte: Stockholm")
    with app.test_request_context():
        data = pdf.invoice_pdf(session, invoice, settings)
    reader = PdfReader(io.BytesIO(data))
    text = _text(data)
    assert "Tack för ordern" in text and "Styrelsens säte: Stockholm" in text
    assert any(reader.pages[0].images), "the logo is on the page"
