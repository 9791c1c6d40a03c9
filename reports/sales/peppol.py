"""Peppol BIS Billing 3.0 e-invoice (UBL 2.1 Invoice / CreditNote) of a finalised invoice.

Built from the invoice's snapshot only, with lxml, in the element order of the UBL 2.1 schema.
Tax categories: S (standard rates), Z (0 % at home), AE (reverse charge, EU buyer with VAT
number) and G (export outside the EU). A discount on a line is a line allowance so that
LineExtensionAmount = quantity × price − allowance holds exactly (BR-LIN rules)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import re

from flask_babel import force_locale
from flask_babel import gettext as _
from lxml import etree

from models import Invoice
from reports.sales.sales import payment_term_text
from services import DomainError
from services.registers.identifiers import ORG_NUMBER_EAS, peppol_endpoint
from services.sales.invoicing import invoice_totals

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
UNIT_CODES = {"st": "H87", "h": "HUR", "tim": "HUR", "l": "LTR", "liter": "LTR", "m": "MTR", "kg": "KGM"}
EXEMPTIONS = {"AE": ("VATEX-EU-AE", "Reverse charge"), "G": ("VATEX-EU-G", "Export outside the EU")}


def _amount(value) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _quantity(value) -> str:
    value = Decimal(value).normalize()
    return format(value, "f")


def _percent(value) -> str:
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


class _Builder:
    def __init__(self, currency: str):
        self.currency = currency

    def cbc(self, parent, name: str, text=None, **attrs):
        el = etree.SubElement(parent, f"{{{CBC}}}{name}", {k: str(v) for k, v in attrs.items()})
        if text is not None:
            el.text = str(text)
        return el

    def cac(self, parent, name: str):
        return etree.SubElement(parent, f"{{{CAC}}}{name}")

    def money(self, parent, name: str, value):
        return self.cbc(parent, name, _amount(value), currencyID=self.currency)


def category(percent: Decimal, treatment: str) -> str:
    if treatment == "reverse_charge":
        return "AE"
    if treatment == "export":
        return "G"
    return "S" if Decimal(percent) > 0 else "Z"


def _digits(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if ch.isalnum())


# postal codes that hold a space or letters, by country; elsewhere the postal code is the
# leading words that hold a digit ("123 45 Stockholm", "0150 Oslo", "D02 X285 Dublin")
POSTAL_CODES = {
    "SE": r"\d{3} ?\d{2}", "NL": r"\d{4} ?[A-Z]{2}", "PL": r"\d{2}-\d{3}", "PT": r"\d{4}-\d{3}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "CZ": r"\d{3} ?\d{2}",
    "SK": r"\d{3} ?\d{2}", "GR": r"\d{3} ?\d{2}", "MT": r"[A-Z]{3} ?\d{4}", "LV": r"LV-\d{4}", "LT": r"LT-\d{5}",
}


def split_postal(line: str, country: str) -> tuple[str, str]:
    """("123 45", "Stockholm") from "123 45 Stockholm" (an address line as Address.lines()
    writes it: postal code, a space, the city)."""
    line = " ".join((line or "").split())
    pattern = POSTAL_CODES.get(country)
    if pattern:
        match = re.match(rf"^({pattern})(?:\s+(.*))?$", line, re.IGNORECASE)
        if match:
            return match.group(1), match.group(2) or ""
    words = line.split(" ")
    n = 0
    while n < len(words) - 1 and any(ch.isdigit() for ch in words[n]):
        n += 1
    return " ".join(words[:n]), " ".join(words[n:])


def address_parts(lines: list[str], country: str) -> dict:
    """Street, additional street, postal code, city and country of a snapshot's address lines
    (street, street 2, "postal code city", and the address's country code when foreign)."""
    lines = [l for l in (lines or []) if l and l.strip()]
    if lines and re.fullmatch(r"[A-Z]{2}", lines[-1].strip()):
        country = lines.pop().strip()
    parts = {"street": "", "street2": "", "postal": "", "city": "", "country": country}
    if not lines:
        return parts
    if len(lines) == 1:
        parts["postal"], parts["city"] = split_postal(lines[0], country)
        if not parts["postal"]:
            parts["street"], parts["city"] = lines[0], ""
        return parts
    parts["street"] = lines[0]
    if len(lines) > 2:
        parts["street2"] = ", ".join(lines[1:-1])
    parts["postal"], parts["city"] = split_postal(lines[-1], country)
    return parts


def _address(b: _Builder, party, parts: dict) -> None:
    address = b.cac(party, "PostalAddress")
    if parts["street"]:
        b.cbc(address, "StreetName", parts["street"])
    if parts["street2"]:
        b.cbc(address, "AdditionalStreetName", parts["street2"])
    if parts["city"]:
        b.cbc(address, "CityName", parts["city"])
    if parts["postal"]:
        b.cbc(address, "PostalZone", parts["postal"])
    b.cbc(b.cac(address, "Country"), "IdentificationCode", parts["country"])


def buyer_endpoint(invoice: Invoice) -> tuple[str, str]:
    """The buyer's Peppol address (EAS scheme, identifier). A buyer without one (a private
    person, or a company with neither an organisation number nor a VAT number of a Peppol
    scheme) cannot receive an e-invoice: refused with a message, never an invalid file."""
    customer = invoice.customer
    personal = invoice.country_code == "SE" and len(_digits(invoice.org_number)) == 12  # a personnummer
    if personal or (customer is not None and customer.kind == "private"):
        raise DomainError(_("%(c)s is a private person and cannot receive a Peppol e-invoice; send the PDF instead.",
                            c=invoice.customer_name))
    endpoint = peppol_endpoint(invoice.country_code, invoice.org_number, invoice.vat_number)
    if endpoint is None:
        raise DomainError(_("%(c)s has no organisation number or VAT number with a Peppol address; "
                            "send the PDF instead.", c=invoice.customer_name))
    return endpoint


def _tax_category(b: _Builder, parent, name: str, code: str, percent) -> None:
    tc = b.cac(parent, name)
    b.cbc(tc, "ID", code)
    b.cbc(tc, "Percent", _percent(percent))
    if name == "TaxCategory" and code in EXEMPTIONS:
        b.cbc(tc, "TaxExemptionReasonCode", EXEMPTIONS[code][0])
        b.cbc(tc, "TaxExemptionReason", EXEMPTIONS[code][1])
    b.cbc(b.cac(tc, "TaxScheme"), "ID", "VAT")


def build(invoice: Invoice, settings: dict) -> etree._Element:
    credit = invoice.is_credit_note
    root_ns = NS_CREDIT if credit else NS_INVOICE
    root = etree.Element(f"{{{root_ns}}}{'CreditNote' if credit else 'Invoice'}",
                         nsmap={None: root_ns, "cac": CAC, "cbc": CBC})
    b = _Builder(invoice.currency)
    treatment = invoice.vat_treatment
    b.cbc(root, "CustomizationID", CUSTOMIZATION)
    b.cbc(root, "ProfileID", PROFILE)
    b.cbc(root, "ID", invoice.number)
    b.cbc(root, "IssueDate", invoice.invoice_date.isoformat())
    if not credit:
        b.cbc(root, "DueDate", invoice.due_date.isoformat())
        b.cbc(root, "InvoiceTypeCode", "380")
    else:
        b.cbc(root, "CreditNoteTypeCode", "381")
    if invoice.text:
        b.cbc(root, "Note", invoice.text)
    b.cbc(root, "DocumentCurrencyCode", invoice.currency)
    if invoice.cost_center_code or invoice.manual_account:
        b.cbc(root, "AccountingCost", invoice.manual_account or invoice.cost_center_code)
    b.cbc(root, "BuyerReference", invoice.customer_reference or invoice.customer_number)
    if invoice.customer_order_number:
        b.cbc(b.cac(root, "OrderReference"), "ID", invoice.customer_order_number)
    if credit and invoice.credited_invoice is not None:
        ref = b.cac(b.cac(root, "BillingReference"), "InvoiceDocumentReference")
        b.cbc(ref, "ID", invoice.credited_invoice.number)
        b.cbc(ref, "IssueDate", invoice.credited_invoice.invoice_date.isoformat())

    # seller (säljare)
    seller = b.cac(b.cac(root, "AccountingSupplierParty"), "Party")
    org = _digits(settings.get("company.org_number"))
    b.cbc(seller, "EndpointID", org, schemeID="0007")
    b.cbc(b.cac(seller, "PartyName"), "Name", settings.get("company.name"))
    _address(b, seller, {"street": settings.get("company.address") or "", "street2": "",
                         "postal": settings.get("company.postal_code") or "", "city": settings.get("company.city") or "",
                         "country": "SE"})
    tax = b.cac(seller, "PartyTaxScheme")
    b.cbc(tax, "CompanyID", settings.get("company.vat_number"))
    b.cbc(b.cac(tax, "TaxScheme"), "ID", "VAT")
    if settings.get("company.f_tax"):
        tax = b.cac(seller, "PartyTaxScheme")
        b.cbc(tax, "CompanyID", "Godkänd för F-skatt")
        b.cbc(b.cac(tax, "TaxScheme"), "ID", "TAX")
    legal = b.cac(seller, "PartyLegalEntity")
    b.cbc(legal, "RegistrationName", settings.get("company.name"))
    b.cbc(legal, "CompanyID", org, schemeID="0007")
    contact = b.cac(seller, "Contact")
    if settings.get("company.phone"):
        b.cbc(contact, "Telephone", settings.get("company.phone"))
    if settings.get("company.email"):
        b.cbc(contact, "ElectronicMail", settings.get("company.email"))

    # buyer (köpare), from the snapshot
    buyer = b.cac(b.cac(root, "AccountingCustomerParty"), "Party")
    scheme, endpoint = buyer_endpoint(invoice)
    vat = _digits(invoice.vat_number)
    b.cbc(buyer, "EndpointID", endpoint, schemeID=scheme)
    ident = b.cac(buyer, "PartyIdentification")
    b.cbc(ident, "ID", invoice.customer_number)
    b.cbc(b.cac(buyer, "PartyName"), "Name", invoice.customer_name)
    _address(b, buyer, address_parts(list(invoice.billing_address or []), invoice.country_code or "SE"))
    if vat:
        tax = b.cac(buyer, "PartyTaxScheme")
        b.cbc(tax, "CompanyID", vat)
        b.cbc(b.cac(tax, "TaxScheme"), "ID", "VAT")
    legal = b.cac(buyer, "PartyLegalEntity")
    b.cbc(legal, "RegistrationName", invoice.customer_name)
    if scheme in ORG_NUMBER_EAS.values() and not scheme.startswith("99"):  # an ICD: a legal registration
        b.cbc(legal, "CompanyID", endpoint, schemeID=scheme)

    if invoice.supply_date:
        b.cbc(b.cac(root, "Delivery"), "ActualDeliveryDate", invoice.supply_date.isoformat())

    # payment (betalning): OCR as the payment reference. Every payment means has code 30 (credit
    # transfer; UBL-SR-47 wants one code, SE-R-012 code 30 at home): bankgiro and plusgiro for a
    # Swedish buyer (SE-R-011), the IBAN for everyone
    if not credit:
        accounts = []
        if invoice.country_code == "SE":
            for key, branch in (("company.bankgiro", "SE:BANKGIRO"), ("company.plusgiro", "SE:PLUSGIRO")):
                if _digits(settings.get(key)):
                    accounts.append((_digits(settings.get(key)), branch))
        if _digits(settings.get("company.iban")):
            accounts.append((_digits(settings.get("company.iban")), settings.get("company.bic") or None))
        for account_id, branch in accounts:
            means = b.cac(root, "PaymentMeans")
            b.cbc(means, "PaymentMeansCode", "30")
            b.cbc(means, "PaymentID", invoice.ocr)
            account = b.cac(means, "PayeeFinancialAccount")
            b.cbc(account, "ID", account_id)
            if branch:
                b.cbc(b.cac(account, "FinancialInstitutionBranch"), "ID", branch)
        term = payment_term_text(invoice.payment_term_name, invoice.payment_term_days, invoice.language)
        if term:
            with force_locale(invoice.language or "sv"):  # in the document's language, as on the PDF
                b.cbc(b.cac(root, "PaymentTerms"), "Note", str(term))

    totals = invoice_totals(invoice)
    tax_total = b.cac(root, "TaxTotal")
    b.money(tax_total, "TaxAmount", invoice.vat_total)
    # one subtotal per category and rate
    groups: dict[tuple[str, Decimal], list[Decimal]] = {}
    for rate, net, vat_amount in totals.rates:
        key = (category(rate, treatment), rate)
        groups.setdefault(key, [Decimal(0), Decimal(0)])
        groups[key][0] += net
        groups[key][1] += vat_amount
    for (code, rate), (net, vat_amount) in groups.items():
        sub = b.cac(tax_total, "TaxSubtotal")
        b.money(sub, "TaxableAmount", net)
        b.money(sub, "TaxAmount", vat_amount)
        _tax_category(b, sub, "TaxCategory", code, rate)

    monetary = b.cac(root, "LegalMonetaryTotal")
    b.money(monetary, "LineExtensionAmount", invoice.net_total)
    b.money(monetary, "TaxExclusiveAmount", invoice.net_total)
    b.money(monetary, "TaxInclusiveAmount", invoice.net_total + invoice.vat_total)
    if invoice.rounding:
        b.money(monetary, "PayableRoundingAmount", invoice.rounding)
    b.money(monetary, "PayableAmount", invoice.total)

    for line in invoice.lines:
        el = b.cac(root, "CreditNoteLine" if credit else "InvoiceLine")
        b.cbc(el, "ID", line.position)
        # BR-27: the item price is never negative; a discount line has a negative quantity instead
        sign = -1 if line.unit_price < 0 else 1
        b.cbc(el, "CreditedQuantity" if credit else "InvoicedQuantity", _quantity(sign * line.quantity),
              unitCode=UNIT_CODES.get((line.unit or "st").lower(), "H87"))
        b.money(el, "LineExtensionAmount", line.net_amount)
        if line.account:
            b.cbc(el, "AccountingCost", line.account)
        gross = (Decimal(line.quantity) * Decimal(line.unit_price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        # with a discount on a negative line the allowance would be negative: give the net price then
        net_price_only = gross < 0
        allowance = gross - line.net_amount
        if allowance and not net_price_only:
            charge = b.cac(el, "AllowanceCharge")
            b.cbc(charge, "ChargeIndicator", "false")
            b.cbc(charge, "AllowanceChargeReasonCode", "95")  # discount
            b.cbc(charge, "MultiplierFactorNumeric", _percent(line.discount_percent))
            b.money(charge, "Amount", allowance)
            b.money(charge, "BaseAmount", gross)
        item = b.cac(el, "Item")
        b.cbc(item, "Name", (line.text or "-")[:200])
        if line.item_number:
            b.cbc(b.cac(item, "SellersItemIdentification"), "ID", line.item_number)
        _tax_category(b, item, "ClassifiedTaxCategory", category(line.vat_percent, treatment), line.vat_percent)
        price = b.cac(el, "Price")
        unit_price = abs(Decimal(line.unit_price))
        if net_price_only and allowance:
            unit_price = (abs(line.net_amount) / Decimal(line.quantity)).quantize(Decimal("0.000001"))
        b.cbc(price, "PriceAmount", format(unit_price, "f"), currencyID=invoice.currency)
    return root


def invoice_xml(invoice: Invoice, settings: dict) -> bytes:
    return etree.tostring(build(invoice, settings), xml_declaration=True, encoding="UTF-8", pretty_print=True)
