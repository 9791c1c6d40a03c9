"""Peppol BIS Billing 3.0 e-invoice (UBL 2.1 Invoice / CreditNote) of a finalised invoice.

Built from the invoice's snapshot only, with lxml, in the element order of the UBL 2.1 schema.
Tax categories: S (standard rates), Z (0 % at home), AE (reverse charge, EU buyer with VAT
number) and G (export outside the EU). A discount on a line is a line allowance so that
LineExtensionAmount = quantity × price − allowance holds exactly (BR-LIN rules)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from models import Invoice
from services.invoicing import invoice_totals

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
# Peppol electronic address schemes (EAS) for a buyer's VAT number, by country
VAT_SCHEMES = {"DE": "9930", "FR": "9957", "NL": "9944", "BE": "9925", "AT": "9914", "IT": "0211",
               "ES": "9920", "FI": "0216", "DK": "0184", "NO": "0192"}
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


def _address(b: _Builder, party, lines: list[str], country: str) -> None:
    address = b.cac(party, "PostalAddress")
    street = lines[0] if lines else ""
    postal_city = next((l for l in reversed(lines) if l and l[:1].isdigit() and l != street), "")
    postal, _sep, city = postal_city.partition(" ")
    if street:
        b.cbc(address, "StreetName", street)
    if len(lines) > 2 and lines[1] != postal_city:
        b.cbc(address, "AdditionalStreetName", lines[1])
    if city:
        b.cbc(address, "CityName", city)
    if postal:
        b.cbc(address, "PostalZone", postal)
    b.cbc(b.cac(address, "Country"), "IdentificationCode", country)


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
    _address(b, seller, [settings.get("company.address") or "",
                         f"{settings.get('company.postal_code') or ''} {settings.get('company.city') or ''}".strip()], "SE")
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
    buyer_org = _digits(invoice.org_number)
    vat = _digits(invoice.vat_number)
    if invoice.country_code == "SE" and len(buyer_org) == 10:
        b.cbc(buyer, "EndpointID", buyer_org, schemeID="0007")
    elif vat and invoice.country_code in VAT_SCHEMES:
        b.cbc(buyer, "EndpointID", vat, schemeID=VAT_SCHEMES[invoice.country_code])
    elif invoice.customer.email:
        b.cbc(buyer, "EndpointID", invoice.customer.email, schemeID="EM")
    else:
        b.cbc(buyer, "EndpointID", buyer_org or invoice.customer_number, schemeID="0007")
    ident = b.cac(buyer, "PartyIdentification")
    b.cbc(ident, "ID", invoice.customer_number)
    b.cbc(b.cac(buyer, "PartyName"), "Name", invoice.customer_name)
    _address(b, buyer, list(invoice.billing_address or []), invoice.country_code or "SE")
    if vat:
        tax = b.cac(buyer, "PartyTaxScheme")
        b.cbc(tax, "CompanyID", vat)
        b.cbc(b.cac(tax, "TaxScheme"), "ID", "VAT")
    legal = b.cac(buyer, "PartyLegalEntity")
    b.cbc(legal, "RegistrationName", invoice.customer_name)
    if invoice.country_code == "SE" and len(buyer_org) == 10:
        b.cbc(legal, "CompanyID", buyer_org, schemeID="0007")

    if invoice.supply_date:
        b.cbc(b.cac(root, "Delivery"), "ActualDeliveryDate", invoice.supply_date.isoformat())

    # payment (betalning): OCR as the payment reference, to IBAN and to bankgiro
    if not credit:
        if settings.get("company.iban"):
            means = b.cac(root, "PaymentMeans")
            b.cbc(means, "PaymentMeansCode", "58")  # SEPA credit transfer
            b.cbc(means, "PaymentID", invoice.ocr)
            account = b.cac(means, "PayeeFinancialAccount")
            b.cbc(account, "ID", _digits(settings.get("company.iban")))
            if settings.get("company.bic"):
                b.cbc(b.cac(account, "FinancialInstitutionBranch"), "ID", settings.get("company.bic"))
        if settings.get("company.bankgiro"):
            means = b.cac(root, "PaymentMeans")
            b.cbc(means, "PaymentMeansCode", "30")
            b.cbc(means, "PaymentID", invoice.ocr)
            account = b.cac(means, "PayeeFinancialAccount")
            b.cbc(account, "ID", _digits(settings.get("company.bankgiro")))
            b.cbc(b.cac(account, "FinancialInstitutionBranch"), "ID", "SE:BANKGIRO")
        if invoice.payment_term_name:
            b.cbc(b.cac(root, "PaymentTerms"), "Note", invoice.payment_term_name)

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
