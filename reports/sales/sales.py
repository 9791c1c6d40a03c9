"""PDF sales documents (xhtml2pdf): invoice, credit note, quote, order confirmation, work order
(no prices) and delivery note, from one template, in the customer's language.

The data of a document is collected in ``document_data`` from a finalised Invoice (its snapshot)
or from an open Order (live register data); the template only lays it out.
"""
from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

from babel import Locale
from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import object_session
from xhtml2pdf import pisa

from models import Invoice, Order
from services.sales.invoicing import _address_lines, invoice_totals, vat_treatment
from services.sales.orders import env_fee_for, order_totals
from services.sales.pricing import effective_vat, gross_unit_price, line_net
from services.platform.formatting import number

DOC_TYPES = ("invoice", "credit_note", "quote", "order_confirmation", "work_order", "delivery_note")
PRICED = {"invoice", "credit_note", "quote", "order_confirmation"}
LOCALES = {"sv": "sv_SE", "de": "de_DE", "en": "en_GB"}


HOME_COUNTRY = "SE"
# lines the system writes: their text in the document's language, also on documents finalised
# before the text was written in it
AUTOMATIC_LINE_TEXTS = {"env_fee": _l("Environmental fee / consumables"), "invoice_fee": _l("Invoice fee")}
# texts from the settings have a version per language: "<key>" is Swedish, "<key>.de" and
# "<key>.en" the others (config.defaults)
TEXT_LANGUAGES = ("de", "en")


def document_text(settings: dict, key: str, language: str) -> str:
    """A document text from the settings in the document's language; none rather than the
    Swedish one when the language's version is empty (a document is wholly in its language)."""
    if language in TEXT_LANGUAGES:
        return str(settings.get(f"{key}.{language}") or "")
    return str(settings.get(key) or "")


def _language(value) -> str:
    return value if value in LOCALES else "sv"


def country_name(code: str, language: str) -> str:
    return Locale.parse(LOCALES[_language(language)]).territories.get(code, code)


def address_with_country(lines: list[str], country_code: str | None, language: str) -> list[str]:
    """The address lines with the country's name in the document's language on a foreign
    address (a snapshot may end with the address's country code)."""
    lines = [l for l in (lines or []) if l]
    country = country_code or HOME_COUNTRY
    if lines and re.fullmatch(r"[A-Z]{2}", lines[-1]):
        country = lines.pop()
    if country != HOME_COUNTRY:
        lines.append(country_name(country, language))
    return lines


def payment_term_text(name: str | None, days: int | None, language: str):
    """The payment term's name (a register value, in Swedish) on a Swedish document; the
    term in the document's language otherwise."""
    if not name and days is None:
        return None
    if _language(language) == "sv" or days is None:
        return name
    return _l("Due on receipt") if days == 0 else _l("%(n)s days net", n=days)


def _payer_context(invoice: Invoice) -> dict:
    """A payer's or warranty payer's invoice names the order(s), and the vehicle's owner
    (the order's customer) when the invoice goes to someone else."""
    session = object_session(invoice)
    order_ids = sorted({l.order_id for l in invoice.lines if l.order_id})
    if session is None or not order_ids:
        return {"order_numbers": None, "vehicle_owner": None}
    found = list(session.scalars(select(Order).where(Order.id.in_(order_ids)).order_by(Order.id)))
    others = [o for o in found if o.customer_id != invoice.customer_id]
    if not others:
        return {"order_numbers": None, "vehicle_owner": None}
    owners = []
    for order in others:
        owner = order.vehicle.owner if order.vehicle is not None and order.vehicle.owner is not None else order.customer
        if owner.name not in owners:
            owners.append(owner.name)
    return {"order_numbers": ", ".join(str(o.id) for o in found), "vehicle_owner": ", ".join(owners)}


def _line_dict(text, item_number, quantity, unit, unit_price, discount, vat_percent, amount):
    return {"text": text, "item_number": item_number or "", "quantity": quantity, "unit": unit,
            "unit_price": unit_price, "discount": discount, "vat_percent": vat_percent, "amount": amount}


def invoice_data(invoice: Invoice) -> dict:
    t = invoice_totals(invoice)
    lang = _language(invoice.language)
    return {**_payer_context(invoice),
        "doc_type": "credit_note" if invoice.is_credit_note else "invoice",
        "number": invoice.number, "date": invoice.invoice_date, "due_date": invoice.due_date,
        "supply_date": invoice.supply_date, "ocr": invoice.ocr,
        "credited_number": invoice.credited_invoice.number if invoice.credited_invoice else None,
        "customer_number": invoice.customer_number, "customer_name": invoice.customer_name,
        "address": address_with_country(invoice.billing_address, invoice.country_code, lang),
        "country_code": invoice.country_code or HOME_COUNTRY,
        "vat_number": invoice.vat_number,
        "org_number": invoice.org_number, "language": invoice.language,
        "customer_reference": invoice.customer_reference, "our_reference": invoice.our_reference,
        "customer_order_number": invoice.customer_order_number,
        "vehicle": invoice.vehicle_description or invoice.vehicle_registration,
        "vehicle_registration": invoice.vehicle_registration, "odometer_km": invoice.odometer_km,
        "payment_term": payment_term_text(invoice.payment_term_name, invoice.payment_term_days, lang),
        "currency": invoice.currency, "text": invoice.text,
        "treatment": invoice.vat_treatment, "prices_include_vat": False,
        "lines": [_line_dict(AUTOMATIC_LINE_TEXTS.get(l.kind, l.text), l.item_number, l.quantity, l.unit,
                             l.unit_price, l.discount_percent, l.vat_percent, l.net_amount) for l in invoice.lines],
        "rates": t.rates, "net": invoice.net_total, "vat": invoice.vat_total,
        "rounding": invoice.rounding, "total": invoice.total,
    }


def order_data(order: Order, doc_type: str, settings: dict) -> dict:
    payer = order.bill_to
    treatment = vat_treatment(payer)
    include_vat = not payer.prices_exclude_vat and treatment == "domestic"
    lines = []
    customer_lines = [l for l in order.lines if l.charge_to == "customer"]
    for l in customer_lines:
        vat = effective_vat(l.vat_percent, treatment)
        net = line_net(l.quantity, l.unit_price, l.discount_percent)
        price = gross_unit_price(l.unit_price, vat) if include_vat else l.unit_price
        amount = line_net(l.quantity, price, l.discount_percent) if include_vat else net
        item = l.article.number if l.article else (l.labour_operation.code if l.labour_operation else "")
        lines.append(_line_dict(l.text, item, l.quantity, l.unit, price, l.discount_percent, vat, amount))
    fee = env_fee_for(customer_lines, settings)
    if fee and doc_type in PRICED:
        fee_vat = effective_vat(Decimal(str(settings.get("sales.env_fee_vat") or 0)), treatment)
        shown = gross_unit_price(fee, fee_vat) if include_vat else fee
        lines.append(_line_dict(AUTOMATIC_LINE_TEXTS["env_fee"], "", Decimal(1), "st", shown, Decimal(0),
                                fee_vat, shown))
    t = order_totals(order, settings, treatment)
    lang = _language(payer.language)
    term = payer.payment_term
    return {"order_numbers": None, "vehicle_owner": None,
        "doc_type": doc_type, "number": str(order.id), "date": order.order_date, "due_date": None,
        "supply_date": order.delivery_date, "ocr": None, "credited_number": None,
        "customer_number": payer.customer_number, "customer_name": payer.name,
        "address": address_with_country(_address_lines(payer), payer.country_code, lang),
        "country_code": payer.country_code or HOME_COUNTRY,
        "vat_number": payer.vat_number, "org_number": payer.org_number, "language": payer.language or "sv",
        "customer_reference": order.customer_reference,
        "our_reference": str(order.our_reference) if order.our_reference else None,
        "customer_order_number": order.customer_order_number,
        "vehicle": str(order.vehicle) if order.vehicle else None,
        "vehicle_registration": order.vehicle.registration_number if order.vehicle else None,
        "odometer_km": order.odometer_km,
        "payment_term": payment_term_text(term.name, term.days, lang) if term else None,
        "currency": order.currency, "text": order.text, "treatment": treatment,
        "prices_include_vat": include_vat, "lines": lines, "rates": t.rates, "net": t.net, "vat": t.vat,
        "rounding": Decimal(0), "total": t.total,
    }


def _logo(settings: dict) -> str | None:
    path = str(settings.get("sales.logo_path") or "").strip()
    return path if path and Path(path).is_file() else None


def render_html(data: dict, settings: dict, copy: bool = False) -> str:
    lang = _language(data["language"])
    locale = LOCALES[lang]

    def amount(value):
        return "" if value is None else number(value, 2, locale=locale)

    def qty(value):
        value = Decimal(value)
        return number(value, 0 if value == value.to_integral() else 2, locale=locale)

    with force_locale(lang):
        return render_template(
            "reports/sales/sales_document.html", d=data, s=settings, copy=copy, amount=amount, qty=qty,
            priced=data["doc_type"] in PRICED, logo=_logo(settings),
            heading=document_text(settings, f"sales.text.heading.{data['doc_type']}", lang),
            standard_text=document_text(settings, f"sales.text.standard.{data['doc_type']}", lang),
            under_total=document_text(settings, "sales.text.under_total", lang),
            footer=document_text(settings, "sales.text.footer", lang),
            # a foreign buyer: the seller's country in the address, payment to the IBAN
            foreign=data.get("country_code", HOME_COUNTRY) != HOME_COUNTRY,
            seller_country=country_name(HOME_COUNTRY, lang),
        )


def render_pdf(data: dict, settings: dict, copy: bool = False) -> bytes:
    html = render_html(data, settings, copy)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if result.err:
        raise RuntimeError("the PDF could not be rendered")
    return out.getvalue()


def invoice_pdf(session, invoice: Invoice, settings: dict, mark_printed: bool = True) -> bytes:
    """The invoice's PDF; every print after the first is marked KOPIA (the count is the one
    column of a finalised invoice that may change)."""
    copy = invoice.print_count > 0
    pdf = render_pdf(invoice_data(invoice), settings, copy=copy)
    if mark_printed:
        invoice.print_count += 1
    return pdf


def filename(data: dict) -> str:
    names = {"invoice": "faktura", "credit_note": "kreditnota", "quote": "offert",
             "order_confirmation": "orderbekraftelse", "work_order": "arbetsorder", "delivery_note": "foljesedel"}
    return f"{names[data['doc_type']]}-{data['number']}.pdf"
