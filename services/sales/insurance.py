"""Insurance customers and cases (försäkringskund, försäkringsärende: 000 90.15, 90.16, 90.16.1).

An insurance company is a customer marked ``is_insurer``. An order may carry one insurance
case: the insurer, the claim number, the date of damage and the owner's excess (självrisk).
Finalising such an order splits it (services.sales.invoicing): the excess to the vehicle owner, the
rest to the insurer; with ``forward_vat`` the VAT goes to the VAT-registered owner."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Customer, InsuranceCase, Order
from services import DomainError
from services.sales.orders import require_open


def owner_is_vat_registered(customer: Customer) -> bool:
    """A VAT-registered owner can deduct the VAT: a company with an organisation or VAT number."""
    return bool(customer.vat_number or (customer.kind == "company" and customer.org_number))


def check_case(case: InsuranceCase) -> None:
    """The rules of a case, checked when it is saved and again when the order is finalised
    (the insurer or the owner may have changed in the register meanwhile)."""
    order, insurer = case.order, case.insurer
    if insurer is None:
        raise DomainError(_("Choose the insurance company."), "insurer")
    if not insurer.is_insurer:
        raise DomainError(_("%(c)s is not an insurance company; mark it as one on the customer first.", c=insurer),
                          "insurer")
    if not insurer.active:
        raise DomainError(_("The customer %(c)s is inactive.", c=insurer), "insurer")
    if insurer.id == order.customer_id:
        raise DomainError(_("The vehicle owner cannot be the insurer of its own case."), "insurer")
    if order.payer_id is not None or order.payer is not None:
        raise DomainError(_("An order with an insurance case is invoiced to the owner and the insurer; remove the "
                            "other payer first."), "insurer")
    if not (case.claim_number or "").strip():
        raise DomainError(_("Give the claim number."), "claim_number")
    excess = case.excess
    if excess is None:
        raise DomainError(_("Give the excess (0 when there is none)."), "excess")
    if excess < 0:
        raise DomainError(_("The excess cannot be negative."), "excess")
    if excess != excess.quantize(Decimal("0.01")):
        raise DomainError(_("The excess has at most two decimals (öre)."), "excess")
    if case.forward_vat and not owner_is_vat_registered(order.customer):
        raise DomainError(_("VAT can be forwarded only to a VAT-registered owner (a company with an organisation "
                            "or VAT number)."), "forward_vat")


def save_case(session: Session, order: Order, insurer: Customer | None, claim_number: str,
              damage_date: dt.date | None, excess: Decimal | None, forward_vat: bool,
              today: dt.date | None = None) -> InsuranceCase:
    """Create or change the order's insurance case. Does not commit."""
    require_open(order)
    if damage_date is not None and damage_date > (today or dt.date.today()):
        raise DomainError(_("The date of damage cannot be in the future."), "damage_date")
    case = order.insurance_case or InsuranceCase(order=order)
    case.insurer = insurer
    case.claim_number = (claim_number or "").strip()[:40]
    case.damage_date = damage_date
    case.excess = excess
    case.forward_vat = bool(forward_vat)
    check_case(case)
    session.add(case)
    session.flush()
    return case


def remove_case(session: Session, order: Order) -> None:
    require_open(order)
    if order.insurance_case is not None:
        session.delete(order.insurance_case)
        order.insurance_case = None
        session.flush()


def insurers(session: Session, term: str = "", limit: int = 20, visible=True) -> list[Customer]:
    """Active insurance companies whose number or name matches ``term``, among the customers
    the user may see (``visible``: services.platform.visibility.clause)."""
    from services.platform.search import search_condition

    query = select(Customer).where(Customer.is_insurer.is_(True), Customer.active.is_(True), visible)
    condition = search_condition(session.get_bind().dialect.name, Customer, term)
    if condition is not None:
        query = query.where(condition)
    return list(session.scalars(query.order_by(Customer.name).limit(limit)))
