"""Invoicing (fakturering): finalising orders into immutable invoices, credit notes, collective
invoicing. Numbers come from gapless series taken inside the finalising transaction.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event, func, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from stdnum.eu import vat as eu_vat

from models import (COLLECTIVE_INVOICE_PREFIX, Account, Customer, InsuranceCase, Invoice, InvoiceLine, NumberSeries, Order,
                    OrderLine)
from services import DomainError
from services.ledger.documents import book_document
from services.platform.formatting import money, number
from services.platform.locking import lock_rows
from services.platform.numbering import ensure_series, take_number
from services.platform.numbers import parse_decimal
from services.sales.orders import _decimal_setting, env_fee_for
from services.sales.pricing import ZERO, PricedLine, effective_vat, line_net, net_from_gross, ocr_reference, q, totals

INVOICE_SERIES = "invoice"
CREDIT_SERIES = "credit_note"
# columns of a finalised invoice that may still change (printing marks the next print a copy)
MUTABLE_INVOICE_FIELDS = {"print_count"}


# ---- immutability -------------------------------------------------------------------


def _guard_finalised(session, flush_context, instances) -> None:
    """No code path may change or delete a finalised invoice or its lines."""
    for obj in session.deleted:
        if isinstance(obj, (Invoice, InvoiceLine)):
            raise DomainError(_("A finalised invoice cannot be deleted; correct it with a credit note."))
    for obj in session.dirty:
        if isinstance(obj, InvoiceLine) and session.is_modified(obj):
            raise DomainError(_("A finalised invoice cannot be changed; correct it with a credit note."))
        if isinstance(obj, Invoice) and session.is_modified(obj):
            state = inspect(obj)
            changed = {a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()}
            if changed - MUTABLE_INVOICE_FIELDS:
                raise DomainError(_("A finalised invoice cannot be changed; correct it with a credit note."))


event.listen(Session, "before_flush", _guard_finalised)


# ---- series -------------------------------------------------------------------------


def ensure_sales_series(session: Session, settings: dict) -> None:
    """Create the invoice and credit-note series when missing, without racing another
    transaction doing the same (INSERT ... ON CONFLICT DO NOTHING)."""
    dialect = session.get_bind().dialect.name
    rows = [
        {"name": INVOICE_SERIES, "prefix": "", "next_number": int(settings.get("sales.invoice_series_start") or 1)},
        {"name": CREDIT_SERIES, "prefix": "K", "next_number": int(settings.get("sales.credit_note_series_start") or 1)},
    ]
    existing = set(session.scalars(select(NumberSeries.name).where(NumberSeries.name.in_([r["name"] for r in rows]))))
    missing = [r for r in rows if r["name"] not in existing]
    if not missing:
        return
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(NumberSeries).values(missing).on_conflict_do_nothing(index_elements=["name"]))


def _take(session: Session, series: str) -> tuple[int, str]:
    sequence = take_number(session, series)
    prefix = session.scalar(select(NumberSeries.prefix).where(NumberSeries.name == series)) or ""
    return sequence, f"{prefix}{sequence}"


# ---- VAT treatment -------------------------------------------------------------------


def vat_treatment(customer: Customer, home_country: str = "SE") -> str:
    """Domestic VAT; reverse charge for a customer in another EU country with a valid VAT
    number; export (0 %) outside the EU."""
    country = customer.country
    code = customer.country_code or home_country
    if code == home_country:
        return "domestic"
    if country is not None and country.eu_member:
        number = (customer.vat_number or "").replace(" ", "").upper()
        if number and number[:2] == ("EL" if code == "GR" else code) and eu_vat.is_valid(number):
            return "reverse_charge"
        return "domestic"
    return "export"


# ---- finalisation ---------------------------------------------------------------------


def check_required(order: Order, settings: dict) -> None:
    """The customer's rules for an order: active, and vehicle, cost center and the customer's
    order number when the customer's flags (or the module setting) require them."""
    customer = order.customer
    if not customer.active or not order.bill_to.active:
        raise DomainError(_("The customer %(c)s is inactive; it cannot be invoiced.",
                            c=customer if not customer.active else order.bill_to), "customer")
    if customer.vehicle_required and order.vehicle is None:
        raise DomainError(_("This customer requires a vehicle on the order."), "vehicle")
    if customer.cost_center_required and order.cost_center is None:
        raise DomainError(_("This customer requires a cost center on the order."), "cost_center")
    needs_number = customer.order_number_required or bool(settings.get("customer.require_order_number"))
    if needs_number and not (order.customer_order_number or "").strip():
        raise DomainError(_("This customer requires the customer's order number on the order."),
                          "customer_order_number")


def _address_lines(customer: Customer, kinds=("billing", "postal", "visiting")) -> list[str]:
    for kind in kinds:
        address = customer.address(kind)
        if address is not None:
            lines = address.lines()
            if address.country_code and address.country_code != "SE":
                lines.append(address.country_code)
            return lines
    return []


DEFAULT_TERM_DAYS = 30  # the company's invoice term when the payer has none (90.02)


def payment_term_for(payer: Customer, method=None):
    """The payment term of an invoice (90.02): the payment method's own term when the invoice is
    paid by a method that carries one (cash or card at the counter: due at once), otherwise the
    payer's. None: 30 days."""
    if method is not None and method.payment_term is not None:
        return method.payment_term
    return payer.payment_term


def check_payment_method(session: Session, payer: Customer, method) -> None:
    """A method chosen at finalisation must be active and not blocked for the payer (11.12)."""
    if method is None:
        return
    from services.ledger.payments import blocked_methods

    if not method.active:
        raise DomainError(_("The payment method %(m)s is inactive.", m=method.name), "payment_method")
    if method.id in blocked_methods(session, payer):
        raise DomainError(_("The payment method %(m)s is blocked for this customer.", m=method.name),
                          "payment_method")


def _new_invoice(session: Session, kind: str, payer: Customer, user, today: dt.date, settings: dict,
                 template: Order | Invoice | None = None, method=None) -> Invoice:
    ensure_sales_series(session, settings)
    series = CREDIT_SERIES if kind == "credit_note" and settings.get("sales.credit_note_own_series", True) \
        else INVOICE_SERIES
    sequence, number = _take(session, series)
    term = payment_term_for(payer, method)
    days = term.days if term is not None else DEFAULT_TERM_DAYS
    invoice = Invoice(
        kind=kind, series=series, sequence=sequence, number=number, invoice_date=today,
        due_date=today + dt.timedelta(days=days), customer=payer, customer_number=payer.customer_number,
        customer_name=payer.name, org_number=payer.org_number or payer.personal_number,
        vat_number=payer.vat_number, billing_address=_address_lines(payer),
        delivery_address=_address_lines(payer, ("visiting",)), country_code=payer.country_code or "SE",
        language=payer.language or "sv", prices_include_vat=not payer.prices_exclude_vat,
        vat_treatment=vat_treatment(payer), payment_term_name=term.name if term else None,
        payment_term_days=days, created_by=user, lines=[],
        currency="SEK",  # set now, not at flush: _close rounds SEK documents (a manual credit note too)
    )
    invoice._payment_term = term  # the fee lines' invoice fee is the chosen term's (not stored)
    if kind == "invoice":
        invoice.ocr = ocr_reference(sequence)
    if isinstance(template, Order):
        invoice.currency = template.currency
        invoice.customer_reference = template.customer_reference
        invoice.our_reference = str(template.our_reference) if template.our_reference else (str(user) if user else None)
        invoice.customer_order_number = template.customer_order_number
        invoice.supply_date = template.delivery_date or today
        invoice.text = template.text
        if template.vehicle is not None:
            invoice.vehicle_registration = template.vehicle.registration_number
            invoice.vehicle_description = str(template.vehicle)
        invoice.odometer_km = template.odometer_km
        if template.cost_center is not None:
            invoice.cost_center_id = template.cost_center.id
            invoice.cost_center_code = template.cost_center.code
    return invoice


def _snapshot_line(invoice: Invoice, line: OrderLine, treatment: str) -> InvoiceLine:
    vat = effective_vat(line.vat_percent, treatment)
    return InvoiceLine(
        position=len(invoice.lines) + 1, kind=line.kind, order_line_id=line.id, order_id=line.order_id,
        item_number=(line.article.number if line.article else line.labour_operation.code if line.labour_operation else None),
        text=line.text, unit=line.unit, quantity=line.quantity, unit_price=line.unit_price,
        discount_percent=line.discount_percent, vat_percent=vat,
        net_amount=line_net(line.quantity, line.unit_price, line.discount_percent))


def _add_fee_lines(invoice: Invoice, lines: list[OrderLine], settings: dict, with_invoice_fee: bool) -> None:
    with force_locale(invoice.language or "sv"):  # automatic texts in the document's language
        _add_fee_lines_in_language(invoice, lines, settings, with_invoice_fee)


def _add_fee_lines_in_language(invoice: Invoice, lines: list[OrderLine], settings: dict,
                               with_invoice_fee: bool) -> None:
    treatment = invoice.vat_treatment
    fee = env_fee_for(lines, settings)
    if fee:
        invoice.lines.append(InvoiceLine(
            position=len(invoice.lines) + 1, kind="env_fee", text=_("Environmental fee / consumables"),
            quantity=Decimal(1), unit_price=fee, vat_percent=effective_vat(_decimal_setting(settings, "sales.env_fee_vat"), treatment),
            net_amount=fee))
    term = getattr(invoice, "_payment_term", invoice.customer.payment_term)
    term_fee = term.invoice_fee if term is not None else ZERO
    if with_invoice_fee and term_fee and term_fee > 0:
        invoice.lines.append(InvoiceLine(
            position=len(invoice.lines) + 1, kind="invoice_fee", text=_("Invoice fee"), quantity=Decimal(1),
            unit_price=term_fee, vat_percent=effective_vat(_decimal_setting(settings, "sales.invoice_fee_vat"), treatment),
            net_amount=term_fee))


def _close(invoice: Invoice, settings: dict) -> Invoice:
    """Sums of the invoice from its lines; rounding to whole kronor by setting."""
    result = totals([PricedLine(l.quantity, l.unit_price, l.vat_percent, l.discount_percent) for l in invoice.lines],
                    round_to_krona=bool(settings.get("sales.round_to_krona")) and invoice.currency == "SEK")
    invoice.net_total, invoice.vat_total, invoice.rounding, invoice.total = (
        result.net, result.vat, result.rounding, result.total)
    return invoice


def invoice_totals(invoice: Invoice):
    return totals([PricedLine(l.quantity, l.unit_price, l.vat_percent, l.discount_percent) for l in invoice.lines])


def finalise_orders(session: Session, orders: list[Order], user, today: dt.date, settings: dict,
                    collective_number: str | None = None, payment_method=None) -> list[Invoice]:
    """One invoice to the payer for the customer lines of ``orders`` (all with the same payer),
    plus one per warranty payer for goodwill/warranty lines. Refuses empty, finalised or
    incomplete orders. ``collective_number``: the run's SFA number (run_collective), set before
    the invoice is first written (a finalised invoice never changes). ``payment_method``: how the
    payer pays this invoice; its own payment term, when it has one, replaces the payer's (90.02)
    on the payer's invoice (warranty payers keep theirs). Does not commit."""
    if not orders:
        raise DomainError(_("Choose at least one order."))
    case = orders[0].insurance_case
    if len(orders) > 1 and any(o.insurance_case is not None for o in orders):
        raise DomainError(_("Order %(n)s has an insurance case; it is invoiced on its own.",
                            n=next(o.id for o in orders if o.insurance_case is not None)))
    # two users finalising the same order at once: the second waits here for the first and
    # then sees the order invoiced ("Order N is already invoiced"), never a stale version
    session.flush()
    lock_rows(session, Order, [o.id for o in orders])
    payer = orders[0].bill_to
    check_payment_method(session, payer, payment_method)
    for order in orders:
        if order.status == "invoiced" or order.invoice_id is not None:
            raise DomainError(_("Order %(n)s is already invoiced.", n=order.id))
        if order.status == "cancelled":
            raise DomainError(_("Order %(n)s is cancelled.", n=order.id))
        if order.bill_to.id != payer.id:
            raise DomainError(_("Orders of different payers cannot be on one invoice."))
        if not order.lines:
            raise DomainError(_("Order %(n)s has no lines; there is nothing to invoice.", n=order.id), "lines")
        check_required(order, settings)
    session.flush()  # order lines need ids for the snapshot
    groups: dict[int, tuple[Customer, list[tuple[Order, OrderLine]]]] = {}
    for order in orders:
        for line in order.lines:
            who = payer if line.charge_to == "customer" else line.warranty_payer
            groups.setdefault(who.id, (who, []))[1].append((order, line))
    invoices = []
    # the payer's invoice first so it gets the lower number; then warranty payers by id
    for who_id in sorted(groups, key=lambda i: (i != payer.id, i)):
        who, pairs = groups[who_id]
        if not who.active:
            raise DomainError(_("The customer %(c)s is inactive; it cannot be invoiced.", c=who), "customer")
        if case is not None and who_id == payer.id:
            invoices.extend(_split_insurance_case(session, case, [line for _o, line in pairs], user, today, settings))
            continue
        invoice = _new_invoice(session, "invoice", who, user, today, settings, template=orders[0],
                               method=payment_method if who_id == payer.id else None)
        invoice.collective_number = collective_number
        for _order, line in pairs:
            invoice.lines.append(_snapshot_line(invoice, line, invoice.vat_treatment))
        _add_fee_lines(invoice, [line for _o, line in pairs], settings, with_invoice_fee=who_id == payer.id)
        _close(invoice, settings)
        if invoice.net_total < 0:
            raise DomainError(_("The invoice total would be negative; make a credit note instead."), "lines")
        session.add(invoice)
        invoices.append(invoice)
    session.flush()
    main = invoices[0]
    for order in orders:
        order.invoice = main
        order.status = "invoiced"
    if case is not None:
        by_customer = {i.customer_id: i for i in invoices}
        case.owner_invoice = by_customer.get(case.order.customer_id)
        case.insurer_invoice = by_customer.get(case.insurer_id)
    session.flush()
    for invoice in invoices:  # the ledger's vouchers (series F) in the same transaction
        book_document(session, invoice, user, settings)
    return invoices


def finalise_order(session: Session, order: Order, user, today: dt.date, settings: dict | None = None,
                   payment_method=None) -> list[Invoice]:
    """Turn one order into its invoices: the payer's first, then one per warranty payer; an
    order with an insurance case gives the owner's and the insurer's invoice."""
    if settings is None:
        from services.platform.settings import load_settings
        settings = load_settings(session)
    if order.kind == "quote":
        raise DomainError(_("A quote cannot be invoiced; copy it to an order first."))
    return finalise_orders(session, [order], user, today, settings, payment_method=payment_method)


def finalise_invoice(session: Session, order: Order, user, today: dt.date, settings: dict | None = None,
                     payment_method=None) -> Invoice:
    """Turn one order into an invoice (the payer's; warranty invoices are made as well)."""
    return finalise_order(session, order, user, today, settings, payment_method)[0]


# ---- insurance cases (90.16, 90.16.1) ------------------------------------------------------


def _settle(invoice: Invoice, target: Decimal) -> Invoice:
    """Sums of a split invoice from its lines, without rounding to kronor: the parts of an
    insurance case add up to the order to the öre. VAT is computed per rate on each document,
    so the parts may differ from the whole by an öre; that öre is the rounding of the part."""
    _close(invoice, {})
    adjustment = target - (invoice.net_total + invoice.vat_total)
    if abs(adjustment) > Decimal("0.05"):
        raise RuntimeError(f"insurance split off by {adjustment}")
    invoice.rounding, invoice.total = adjustment, target
    return invoice


def _excess_by_rate(excess: Decimal, repair) -> list[tuple[Decimal, Decimal]]:
    """The excess (incl. VAT) spread over the repair's VAT rates by their share of the gross:
    (rate, net part) per rate; the last rate takes what is left, so the gross parts sum to it."""
    gross_total = repair.net + repair.vat
    rates = repair.rates
    parts, left = [], excess
    for i, (rate, net, vat) in enumerate(rates):
        gross = left if i == len(rates) - 1 else q(excess * (net + vat) / gross_total)
        left -= gross
        parts.append((rate, net_from_gross(gross, rate)))
    return [(rate, net) for rate, net in parts if net]


def _split_insurance_case(session: Session, case, lines: list[OrderLine], user, today: dt.date,
                          settings: dict) -> list[Invoice]:
    """Försäkringsärende: the owner's excess invoice and the insurer's invoice, numbered in the
    finalising transaction. Without forwarded VAT the insurer pays the repair including VAT
    less the excess, and the owner pays the excess (including VAT, spread over the repair's
    rates). With forwarded VAT (90.16.1, a VAT-registered owner) the insurer pays the repair
    excluding VAT less the excess, and the owner's invoice carries the whole repair with all its
    VAT, less the insurer's part: the owner pays the excess plus the VAT and deducts that VAT.
    Neither part gets an invoice fee or a rounding to kronor; together they are the order."""
    from services.sales.insurance import check_case

    order = case.order
    owner, insurer = order.customer, case.insurer
    check_case(case)
    if vat_treatment(owner) != "domestic" or vat_treatment(insurer) != "domestic":
        raise DomainError(_("An insurance case is invoiced with Swedish VAT; the owner and the insurer must be "
                            "invoiced domestically."), "insurer")
    values = {"claim": case.claim_number, "insurer": insurer.name, "owner": owner.name,
              "vehicle": str(order.vehicle) if order.vehicle is not None else "",
              "date": case.damage_date.isoformat() if case.damage_date else ""}

    def new(who: Customer) -> Invoice:
        invoice = _new_invoice(session, "invoice", who, user, today, settings, template=order)
        with force_locale(invoice.language):
            heading = _("Insurance case: claim number %(claim)s, %(insurer)s; vehicle %(vehicle)s; owner %(owner)s.",
                        **values)
            if values["date"]:
                heading += " " + _("Date of damage: %(date)s.", **values)
        invoice.text = "\n".join(t for t in (heading, order.text) if t)
        return invoice

    def add(invoice: Invoice, text: str, amount: Decimal, rate: Decimal) -> None:
        invoice.lines.append(InvoiceLine(position=len(invoice.lines) + 1, kind="free_text", text=text[:300],
                                         quantity=Decimal(1), unit_price=amount, vat_percent=rate,
                                         net_amount=amount))

    def add_repair(invoice: Invoice) -> None:
        for line in lines:
            invoice.lines.append(_snapshot_line(invoice, line, "domestic"))
        with force_locale(invoice.language):
            _add_fee_lines(invoice, lines, settings, with_invoice_fee=False)

    excess = Decimal(case.excess or 0)
    from services.sales.orders import order_totals

    repair = order_totals(order, settings, "domestic")  # the customer's lines and the environmental fee
    made = []
    if case.forward_vat:
        insurer_part = repair.net - excess
        if insurer_part <= 0:
            raise DomainError(_("The excess must be less than the repair excluding VAT (%(n)s).", n=money(repair.net)),
                              "excess")
        owner_invoice = new(owner)
        add_repair(owner_invoice)
        with force_locale(owner_invoice.language):
            add(owner_invoice, _("Paid by %(insurer)s (claim number %(claim)s): the repair excluding VAT less the "
                                 "excess", **values), -insurer_part, ZERO)
        made.append(_settle(owner_invoice, excess + repair.vat))
        insurer_invoice = new(insurer)
        insurer_invoice.customer_reference, insurer_invoice.customer_order_number = case.claim_number, None
        with force_locale(insurer_invoice.language):
            add(insurer_invoice, _("Repair of %(vehicle)s, claim number %(claim)s: excluding VAT, less the excess "
                                   "(the VAT is invoiced to the VAT-registered owner)", **values), insurer_part, ZERO)
        made.append(_settle(insurer_invoice, insurer_part))
    else:
        gross = repair.net + repair.vat
        if excess >= gross:
            raise DomainError(_("The excess must be less than the order total (%(t)s).", t=money(gross)), "excess")
        parts = _excess_by_rate(excess, repair) if excess > 0 else []
        if parts:
            owner_invoice = new(owner)
            with force_locale(owner_invoice.language):
                for rate, net in parts:
                    add(owner_invoice, _("Excess, claim number %(claim)s (%(insurer)s)", **values), net, rate)
            made.append(_settle(owner_invoice, excess))
        insurer_invoice = new(insurer)
        insurer_invoice.customer_reference, insurer_invoice.customer_order_number = case.claim_number, None
        add_repair(insurer_invoice)
        with force_locale(insurer_invoice.language):
            for rate, net in parts:
                add(insurer_invoice, _("Less the excess, invoiced to the vehicle owner %(owner)s", **values), -net, rate)
        made.append(_settle(insurer_invoice, gross - excess))
    for invoice in made:
        if invoice.net_total < 0:
            raise DomainError(_("The invoice total would be negative; make a credit note instead."), "excess")
        session.add(invoice)
    return made


# ---- credit notes -----------------------------------------------------------------------


def credited_quantities(session: Session, invoice: Invoice) -> dict[int, Decimal]:
    """Invoice line id -> quantity credited so far across all credit notes."""
    rows = session.execute(
        select(InvoiceLine.credited_line_id, func.sum(InvoiceLine.quantity))
        .where(InvoiceLine.credited_line_id.in_([l.id for l in invoice.lines]))
        .group_by(InvoiceLine.credited_line_id))
    return {line_id: Decimal(qty) for line_id, qty in rows}


def create_credit_note(session: Session, invoice: Invoice, user, today: dt.date, settings: dict,
                       quantities: dict[int, Decimal] | None = None, text: str | None = None) -> Invoice:
    """Kreditnota for chosen lines and quantities of ``invoice`` (all that is left when
    ``quantities`` is None). Never more than invoiced, across all credit notes."""
    if invoice.is_credit_note:
        raise DomainError(_("A credit note cannot be credited."))
    already = credited_quantities(session, invoice)
    wanted: dict[int, Decimal] = {}
    for line in invoice.lines:
        left = line.quantity - already.get(line.id, ZERO)
        if quantities is None:
            qty = left
        else:
            qty = Decimal(str(quantities.get(line.id, 0) or 0))
            if qty < 0:
                raise DomainError(_("Give the quantity to credit as a positive number."), f"qty-{line.id}")
            if qty > left:
                raise DomainError(_("Line %(p)s: at most %(q)s can be credited (%(i)s invoiced, %(c)s credited before).",
                                    p=line.position, q=number(left), i=number(line.quantity),
                                    c=number(already.get(line.id, ZERO))),
                                  f"qty-{line.id}")
        if qty > 0:
            wanted[line.id] = qty
    if not wanted:
        raise DomainError(_("Nothing is left to credit on invoice %(n)s.", n=invoice.number)
                          if quantities is None else _("Choose at least one line and quantity to credit."))
    note = _new_invoice(session, "credit_note", invoice.customer, user, today, settings)
    # the credit note repeats the invoice's snapshot, not today's register
    for attr in ("customer_number", "customer_name", "org_number", "vat_number", "billing_address",
                 "delivery_address", "country_code", "language", "prices_include_vat", "vat_treatment",
                 "customer_reference", "customer_order_number", "vehicle_registration", "vehicle_description",
                 "odometer_km", "cost_center_id", "cost_center_code", "currency", "supply_date"):
        setattr(note, attr, getattr(invoice, attr))
    note.credited_invoice = invoice
    note.due_date = today
    with force_locale(note.language or "sv"):
        note.text = text or _("Credit of invoice %(n)s", n=invoice.number)
    for line in invoice.lines:
        if line.id in wanted:
            qty = wanted[line.id]
            note.lines.append(InvoiceLine(
                position=len(note.lines) + 1, kind=line.kind, order_line_id=line.order_line_id,
                order_id=line.order_id, credited_line_id=line.id, item_number=line.item_number,
                text=line.text, unit=line.unit, quantity=qty, unit_price=line.unit_price,
                discount_percent=line.discount_percent, vat_percent=line.vat_percent,
                net_amount=line_net(qty, line.unit_price, line.discount_percent)))
    split = session.scalar(select(InsuranceCase.id).where(
        (InsuranceCase.owner_invoice_id == invoice.id) | (InsuranceCase.insurer_invoice_id == invoice.id)))
    _close(note, {} if split else settings)  # a part of an insurance case was not rounded to kronor
    if not already and all(wanted.get(l.id) == l.quantity for l in invoice.lines):
        # everything credited at once: the credit note reverses the invoice to the öre
        note.rounding, note.total = invoice.rounding, invoice.total
    if note.net_total < 0:
        # a deduction line (the excess of an insurance case) is credited with what it reduces
        raise DomainError(_("The credit note total would be negative; credit the deduction together with the "
                            "lines it reduces."))
    session.add(note)
    session.flush()
    book_document(session, note, user, settings)
    return note


def create_manual_credit_note(session: Session, customer: Customer, amount, vat_percent, account: str, text: str,
                              user, today: dt.date, settings: dict) -> Invoice:
    """Manuell kreditnota (20.17): an amount (excl. VAT) on an account, without an invoice."""
    amount = parse_decimal(amount, 2, label=_("The amount"), field="amount", required=True, signed=True,
                           precision=12)
    vat_percent = parse_decimal(vat_percent, 2, label=_("The VAT rate"), field="vat_percent", required=True,
                                precision=5)
    if amount <= 0:
        raise DomainError(_("The amount must be above zero."), "amount")
    if not (0 <= vat_percent < 100):
        raise DomainError(_("Choose a VAT rate."), "vat_percent")
    account = (account or "").strip()
    if not account.isdigit() or len(account) != 4:
        raise DomainError(_("Give a four-digit account (BAS)."), "account")
    if not (text or "").strip():
        raise DomainError(_("A text is required."), "text")
    if customer is None:
        raise DomainError(_("Choose a customer."), "customer")
    known = session.scalar(select(Account).where(Account.number == account))
    if known is None or not known.active:
        raise DomainError(_("Account %(a)s is not an active account of the chart of accounts.", a=account), "account")
    note = _new_invoice(session, "credit_note", customer, user, today, settings)
    note.due_date = today
    note.supply_date = today
    note.manual_account = account
    note.text = text.strip()
    vat = effective_vat(vat_percent, note.vat_treatment)
    note.lines.append(InvoiceLine(position=1, kind="manual", text=text.strip()[:300], quantity=Decimal(1),
                                  unit_price=amount, vat_percent=vat, net_amount=amount, account=account))
    _close(note, settings)
    session.add(note)
    session.flush()
    book_document(session, note, user, settings)
    return note


def create_charge_invoice(session: Session, customer: Customer, lines, user, today: dt.date, settings: dict,
                          text: str | None = None, credit_term: bool = False) -> Invoice:
    """A finalised invoice of charges the ledger makes (a reminder fee, late interest): ``lines``
    are (text, amount excl. VAT, account, VAT percent); each is a line of kind "manual" booked to
    its account by the document's voucher (series F). No invoice fee, no rounding to kronor.
    ``credit_term``: never due on its own date: a payer's term of 0 days (cash, "Kontant") gives
    way to the company's invoice term (DEFAULT_TERM_DAYS)."""
    if customer is None:
        raise DomainError(_("Choose a customer."), "customer")
    invoice = _new_invoice(session, "invoice", customer, user, today, settings)
    if credit_term and (invoice.payment_term_days or 0) <= 0:
        invoice.payment_term_days, invoice.payment_term_name = DEFAULT_TERM_DAYS, None
        invoice.due_date = today + dt.timedelta(days=DEFAULT_TERM_DAYS)
        invoice._payment_term = None
    invoice.supply_date = today
    invoice.text = (text or "").strip() or None
    for line_text, amount, account, vat_percent in lines:
        amount = Decimal(amount)
        if not amount.is_finite() or amount <= 0 or amount != q(amount):
            raise DomainError(_("The amount must be above zero."), "amount")
        invoice.lines.append(InvoiceLine(
            position=len(invoice.lines) + 1, kind="manual", text=str(line_text)[:300], quantity=Decimal(1),
            unit_price=amount, vat_percent=effective_vat(Decimal(vat_percent), invoice.vat_treatment),
            net_amount=amount, account=account))
    if not invoice.lines:
        raise DomainError(_("There is nothing to invoice."))
    _close(invoice, {})
    session.add(invoice)
    session.flush()
    book_document(session, invoice, user, settings)
    return invoice


# ---- collective invoicing (10.20) -------------------------------------------------------


@dataclass
class CollectiveGroup:
    payer_id: int
    payer_name: str
    cost_center_id: int | None
    order_ids: list[int] = field(default_factory=list)
    total: Decimal = ZERO


@dataclass
class CollectiveResult:
    invoices: list[str] = field(default_factory=list)  # the numbers of the invoices made, in order
    warnings: list[str] = field(default_factory=list)  # what the delivery could not do (no e-mail address)
    collective_number: str | None = None  # the run's SFA number, on each of its invoices


COLLECTIVE_SERIES = "collective_invoice"
COLLECTIVE_PREFIX = COLLECTIVE_INVOICE_PREFIX


def collective_term(value) -> str:
    """A collective-invoice number as typed ("sfa 12 ", "SFA12") as it is stored: no blanks, upper case."""
    return re.sub(r"\s", "", str(value or "")).upper()


def ready_orders_query(customer_id: int | None = None, payer_id: int | None = None,
                       date_from: dt.date | None = None, date_to: dt.date | None = None):
    query = select(Order).where(Order.status == "ready", Order.kind == "order", Order.invoice_id.is_(None))
    if customer_id:
        query = query.where(Order.customer_id == customer_id)
    if payer_id:
        query = query.where(func.coalesce(Order.payer_id, Order.customer_id) == payer_id)
    if date_from:
        query = query.where(Order.order_date >= date_from)
    if date_to:
        query = query.where(Order.order_date <= date_to)
    return query.order_by(Order.id)


def plan_collective(session: Session, orders: list[Order], per_cost_center: bool, settings: dict) -> list[CollectiveGroup]:
    """Preview: one invoice per payer (or per payer and cost center)."""
    from services.sales.orders import order_totals

    groups: dict[tuple, CollectiveGroup] = {}
    for order in orders:
        payer = order.bill_to
        key = (payer.id, order.cost_center_id if per_cost_center else None)
        group = groups.setdefault(key, CollectiveGroup(payer.id, str(payer), key[1]))
        group.order_ids.append(order.id)
        group.total += order_totals(order, settings, vat_treatment(payer)).net
    return sorted(groups.values(), key=lambda g: (g.payer_name, g.cost_center_id or 0))


def run_collective(session: Session, groups: list[CollectiveGroup], user, today: dt.date, settings: dict,
                   progress=None, deliver=None, visible=None) -> CollectiveResult:
    """Finalise every group (one invoice per payer, or per payer and cost center) in the caller's
    one transaction: all or nothing. The first group that fails raises DomainError naming its
    payer; the caller rolls back, so no invoice is written and no invoice number is consumed
    (the series' counter is in the same transaction). ``deliver(invoices)`` (the e-mail by
    default, reports.sales.mail) returns its warnings; ``visible`` narrows the orders (the
    user's visibility); ``progress(done, total)`` is called after each group."""
    result = CollectiveResult()
    # samlingsfakturanummer (20.24): one number per run, on every invoice it makes (a rollback returns it)
    ensure_series(session, COLLECTIVE_SERIES, 1, COLLECTIVE_PREFIX)
    result.collective_number = _take(session, COLLECTIVE_SERIES)[1]
    for done, group in enumerate(groups, start=1):
        ids = list(group.order_ids)
        query = select(Order).where(Order.id.in_(ids)).order_by(Order.id)
        if visible is not None:
            query = query.where(visible)
        orders = list(session.scalars(query))
        try:
            if not orders or len(orders) != len(ids):
                raise DomainError(_("Some of the orders no longer exist."))
            if any(o.status != "ready" or o.invoice_id is not None for o in orders):
                raise DomainError(_("Some of the orders are not ready for invoicing (or already invoiced)."))
            invoices = finalise_orders(session, orders, user, today, settings, result.collective_number)
            if deliver is not None:
                result.warnings.extend(deliver(invoices))
            session.flush()
        except DomainError as exc:
            raise DomainError(f"{group.payer_name}: {exc.message}") from exc
        result.invoices.extend(i.number for i in invoices)
        # nothing of a finished group is kept referenced here: flushed objects are held weakly by
        # the session's identity map, so memory does not grow with the number of orders
        del orders, invoices
        if progress:
            progress(done, len(groups))
    return result


def outstanding_by_rate(invoice: Invoice) -> dict[Decimal, tuple[Decimal, Decimal]]:
    result: dict[Decimal, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    t = invoice_totals(invoice)
    for rate, net, vat in t.rates:
        result[rate] = [net, vat]
    return {k: tuple(v) for k, v in result.items()}
