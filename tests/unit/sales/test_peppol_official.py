"""The official Peppol BIS Billing 3.0 rules (EN 16931 core rules and the Peppol rules with the
Swedish national rules, tests/peppol_rules/, run with saxonche) judge every kind of exported
invoice and credit note: no fatal failure, and every warning is on the allow-list below with
the reason it is accepted (asserted exactly, per document)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from lxml import etree

from models import Country, DiscountLetter, PaymentTerm
from reports.sales import peppol
from services import DomainError
from services.sales import invoicing, orders
from services.registers.customers import prepare_customer
from tests import sales_helpers as h

pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.any_db]  # XML content: SQLite only

TODAY = dt.date(2026, 11, 24)
NS = {"cbc": peppol.CBC, "cac": peppol.CAC}

# warnings the rules give that are accepted, with the reason; a document's warnings are asserted
# to be exactly the ones its case expects
ALLOWED_WARNINGS: dict[str, str] = {}


def judge(rules, xml: bytes, tmp_path, name: str, expected_warnings: set[str] = frozenset()) -> etree._Element:
    path = tmp_path / f"{name}.xml"
    path.write_bytes(xml)
    found = rules.failures(path)
    fatal = [f"{f['id']}: {f['text']} at {f['location']}" for f in found if f["flag"] == "fatal"]
    assert not fatal, (name, fatal)
    warnings = {f["id"] for f in found if f["flag"] != "fatal"}
    assert warnings <= set(ALLOWED_WARNINGS), (name, [f for f in found if f["id"] not in ALLOWED_WARNINGS])
    assert warnings == set(expected_warnings), (name, warnings)
    return etree.fromstring(xml)


def _swedish_order(session, cust, vehicle=None, **fields):
    order = orders.create_order(session, cust, None, vehicle=vehicle, today=TODAY, customer_order_number="PO-9",
                                delivery_date=dt.date(2026, 11, 20), **fields)
    # 25 %: an article at an öre price with the customer's discount letter, labour (the environmental fee)
    orders.add_line(session, order, "article", article=h.article(session, price="33.33"), quantity=D("1.25"))
    orders.add_line(session, order, "labour", labour=h.labour(session))
    # 12 %
    orders.add_line(session, order, "free_text", text="Övernattning", unit_price=D("95.50"), vat_percent=D("12"))
    return order


def _company(session, number="1001", name="Bygg AB", org="5560360793", **fields):
    cust = h.customer(session, number, name, org,
                      payment_term=PaymentTerm(name=f"30 dagar {number}", days=30, invoice_fee=D("29")),
                      discount_letter=DiscountLetter(name=f"A{number}", article_percent=D("12.5")), **fields)
    cust.kind = "company"  # also a foreign company without an organisation number
    return cust


def test_swedish_company_invoice_and_credit_notes(app, session, official_rules, tmp_path):
    """Issue 9 item 17: a Swedish company (25 % and 12 %, a discount, the invoice fee, öre
    rounding), its partial and its full credit note pass both rule sets. The old export failed
    UBL-SR-47 (payment means 58 and 30) and split "123 45" at the first space."""
    settings = h.settings(session)
    cust = _company(session)
    cust.addresses[0].postal_code = "111 22"
    invoice = invoicing.finalise_invoice(session, _swedish_order(session, cust), None, TODAY, settings)
    session.commit()
    kinds = {l.kind for l in invoice.lines}
    assert {"env_fee", "invoice_fee"} <= kinds
    assert invoice.rounding != 0 and any(l.discount_percent for l in invoice.lines)
    assert {l.vat_percent for l in invoice.lines} == {D(25), D(12)}
    root = judge(official_rules, peppol.invoice_xml(invoice, settings), tmp_path, "se-invoice")
    means = root.findall("cac:PaymentMeans", NS)
    assert {m.find("cbc:PaymentMeansCode", NS).text for m in means} == {"30"}
    assert [m.find("cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", NS).text for m in means] \
        == ["SE:BANKGIRO", "ESSESESS"]
    for party, postal, city in (("AccountingSupplierParty", "123 45", "Stockholm"),
                                ("AccountingCustomerParty", "111 22", "Stockholm")):
        address = root.find(f"cac:{party}/cac:Party/cac:PostalAddress", NS)
        assert (address.find("cbc:PostalZone", NS).text, address.find("cbc:CityName", NS).text) == (postal, city)

    partial = invoicing.create_credit_note(session, invoice, None, TODAY, settings,
                                           {invoice.lines[0].id: D("1"), invoice.lines[2].id: D("1")})
    session.commit()
    judge(official_rules, peppol.invoice_xml(partial, settings), tmp_path, "se-partial-credit")
    full = invoicing.create_credit_note(session, invoice, None, TODAY, settings)
    session.commit()
    root = judge(official_rules, peppol.invoice_xml(full, settings), tmp_path, "se-full-credit")
    assert etree.QName(root).localname == "CreditNote"
    assert root.find("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", NS).text == invoice.number


def test_eu_company_reverse_charge(app, session, official_rules, tmp_path):
    """Issue 9 item 17: a German company with a VAT number: reverse charge (AE), endpoint by
    its VAT number (9930), invoice and credit note."""
    session.get(Country, "DE").eu_member = True
    cust = _company(session, "3003", "Werkstatt GmbH", None, country_code="DE", vat_number="DE136695976",
                    language="de")
    cust.addresses[0].postal_code, cust.addresses[0].city = "10115", "Berlin"
    settings = h.settings(session)
    invoice = invoicing.finalise_invoice(session, _swedish_order(session, cust), None, TODAY, settings)
    session.commit()
    assert invoice.vat_treatment == "reverse_charge"
    root = judge(official_rules, peppol.invoice_xml(invoice, settings), tmp_path, "de-invoice")
    endpoint = root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
    assert (endpoint.get("schemeID"), endpoint.text) == ("9930", "DE136695976")
    assert {c.text for c in root.findall("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID", NS)} == {"AE"}
    # a foreign buyer pays to the IBAN, not to a Swedish bankgiro
    assert [m.find("cac:PayeeFinancialAccount/cbc:ID", NS).text for m in root.findall("cac:PaymentMeans", NS)] \
        == ["SE4550000000058398257466"]
    note = invoicing.create_credit_note(session, invoice, None, TODAY, settings)
    session.commit()
    judge(official_rules, peppol.invoice_xml(note, settings), tmp_path, "de-credit")


def test_company_outside_the_eu_export(app, session, official_rules, tmp_path):
    """Issue 9 item 17: a Norwegian company (outside the EU): its organisation number and MVA
    number are accepted by the customer rules, export (G), endpoint 0192 with the
    organisation number; invoice and credit note."""
    settings = h.settings(session)
    cust = _company(session, "4004", "Fjord AS", None, country_code="NO", language="en")
    cust.addresses[0].postal_code, cust.addresses[0].city = "0150", "Oslo"
    cust.org_number, cust.vat_number = "995 525 828", "NO 995 525 828 MVA"  # as typed on the form
    prepare_customer(session, cust, settings, None, cust.customer_number)
    assert (cust.org_number, cust.vat_number) == ("995525828", "NO995525828MVA")
    invoice = invoicing.finalise_invoice(session, _swedish_order(session, cust), None, TODAY, settings)
    session.commit()
    assert invoice.vat_treatment == "export"
    root = judge(official_rules, peppol.invoice_xml(invoice, settings), tmp_path, "no-invoice")
    endpoint = root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
    assert (endpoint.get("schemeID"), endpoint.text) == ("0192", "995525828")
    assert {c.text for c in root.findall("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID", NS)} == {"G"}
    assert root.find("cac:PaymentTerms/cbc:Note", NS).text == "30 days net"  # the buyer's language
    note = invoicing.create_credit_note(session, invoice, None, TODAY, settings)
    session.commit()
    judge(official_rules, peppol.invoice_xml(note, settings), tmp_path, "no-credit")


def test_payer_and_warranty_invoices(app, session, official_rules, tmp_path):
    """Issue 9 item 17: an order of a private owner paid by a leasing company, with a warranty
    line charged to the manufacturer: both invoices and a credit note of the warranty invoice
    pass both rule sets."""
    owner = h.customer(session, "7007", "Karin Privat", None, personal_number="198112189876")
    leasing = _company(session, "8008", "Leasing AB", "5560360793")
    maker = h.customer(session, "9009", "Bilfabriken AB", "2021005489")
    vehicle = h.vehicle(session, owner, "XYZ789")
    settings = h.settings(session)
    order = _swedish_order(session, owner, vehicle=vehicle, payer=leasing)
    orders.add_line(session, order, "free_text", text="Garantireparation", unit_price=D("1234.56"),
                    charge_to="warranty", warranty_payer=maker)
    made = invoicing.finalise_orders(session, [order], None, TODAY, settings)
    session.commit()
    assert [i.customer.customer_number for i in made] == ["8008", "9009"]
    for n, invoice in enumerate(made):
        judge(official_rules, peppol.invoice_xml(invoice, settings), tmp_path, f"payer-{n}")
    note = invoicing.create_credit_note(session, made[1], None, TODAY, settings)
    session.commit()
    judge(official_rules, peppol.invoice_xml(note, settings), tmp_path, "warranty-credit")


def test_manual_credit_note(app, session, official_rules, tmp_path):
    """Issue 9 item 17: a manual credit note (an amount on an account) passes both rule sets."""
    cust = _company(session)
    settings = h.settings(session)
    note = invoicing.create_manual_credit_note(session, cust, "99,99", "25", "3010", "Prisjustering", None,
                                               TODAY, settings)
    session.commit()
    root = judge(official_rules, peppol.invoice_xml(note, settings), tmp_path, "manual-credit")
    assert root.find("cac:LegalMonetaryTotal/cbc:PayableAmount", NS).text == "125.00"


def test_private_person_is_refused(app, session, runner, tmp_path):
    """Issue 9: a private person cannot receive Peppol: the export is refused with a message
    (the old export wrote an invalid file with the endpoint scheme "EM", PEPPOL-EN16931-CL008)."""
    cust = h.customer(session, "7007", "Karin Privat", None, personal_number="198112189876",
                      email="karin@example.com")
    order = orders.create_order(session, cust, None, today=TODAY)
    orders.add_line(session, order, "free_text", text="Service", unit_price=D("100"))
    settings = h.settings(session)
    invoice = invoicing.finalise_invoice(session, order, None, TODAY, settings)
    session.commit()
    with pytest.raises(DomainError, match="private person"):
        peppol.invoice_xml(invoice, settings)
    out = tmp_path / "private.xml"
    result = runner.invoke(args=["export-peppol", invoice.number, "-o", str(out)])
    assert result.exit_code != 0 and "private person" in result.output
    assert not out.exists()
