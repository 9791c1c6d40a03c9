"""Quotes and orders (offerter och order): creation, lines, statuses, payer, clean-up.

Plain functions over a session; they raise DomainError with the field concerned and never
commit: the caller (a view, a command) owns the transaction.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.orm import Session, object_session

from models import (
    Article,
    Customer,
    LabourOperation,
    Order,
    OrderLine,
    Package,
    Vehicle,
)
from services import DomainError
from services.platform import visibility
from services.registers import register_config
from services.platform.numbers import parse_decimal
from services.sales.pricing import ZERO, PricedLine, Totals, effective_vat, environmental_fee, totals

# status -> statuses it may move to by hand (invoiced only through finalisation)
TRANSITIONS = {
    "quote": {"accepted", "cancelled"},
    "accepted": {"in_progress", "cancelled", "quote"},
    "in_progress": {"ready", "cancelled"},
    "ready": {"in_progress", "cancelled"},
    "invoiced": set(),
    "cancelled": set(),
}


# the numbers of a line: label, digits of the column (two decimals each)
LINE_NUMBERS = {"quantity": (_l("The quantity"), 10), "unit_price": (_l("The unit price"), 12),
                "discount_percent": (_l("The discount"), 5), "vat_percent": (_l("The VAT rate"), 5)}


def _dec(value, field: str, label=None, required: bool = False) -> Decimal | None:
    """A number of a line, typed or computed, through the one parser: finite, at most two
    decimals (never rounded), within the column; the sign is judged by validate_line."""
    default_label, precision = LINE_NUMBERS[field]
    return parse_decimal(value, 2, label=label or default_label, field=field, signed=True,
                         precision=precision, required=required)


def require_open(order: Order) -> None:
    if not order.is_open:
        raise DomainError(_("This order is invoiced or cancelled and can no longer be changed."))


def check_customer(customer: Customer | None, field: str = "customer") -> None:
    if customer is None:
        raise DomainError(_("Choose a customer."), field)
    if customer.active is False:
        raise DomainError(_("The customer %(c)s is inactive.", c=customer), field)


def check_customer_types(session: Session, order: Order, is_created: bool) -> None:
    """Customer types per module (customer register settings), for an order saved through its
    form: checked when the customer, the payer or the kind is chosen; an order keeps a customer
    it already has."""
    module = register_config.ORDER_KIND_MODULES.get(order.kind)
    if not module:
        return
    attrs = inspect(order).attrs
    kind_changed = attrs.kind.history.has_changes()
    if is_created or kind_changed or attrs.customer.history.has_changes():
        register_config.check_customer_type(session, order.customer, module)
    if order.payer is not None and (is_created or kind_changed or attrs.payer.history.has_changes()):
        register_config.check_customer_type(session, order.payer, module, "payer")


def create_order(session: Session, customer: Customer, user=None, kind: str = "order",
                 vehicle: Vehicle | None = None, today: dt.date | None = None, **fields) -> Order:
    """A new quote or order for an active customer; the customer's rules are checked at
    finalisation, when everything has been typed."""
    check_customer(customer)
    if kind not in ("quote", "order"):
        raise DomainError(_("Unknown document kind."), "kind")
    register_config.check_customer_type(session, customer, register_config.ORDER_KIND_MODULES[kind])
    fields.setdefault("cost_center", customer.cost_center)
    order = Order(kind=kind, status="quote" if kind == "quote" else "in_progress", customer=customer,
                  vehicle=vehicle, order_date=today or dt.date.today(), our_reference=user, lines=[], **fields)
    if vehicle is not None and order.odometer_km is None:
        order.odometer_km = vehicle.odometer_km
    session.add(order)
    return order


def _next_position(order: Order) -> int:
    return max((line.position for line in order.lines), default=0) + 1


def _customer_discount(order: Order, kind: str) -> Decimal:
    letter = order.bill_to.discount_letter
    if letter is None or not letter.active:
        return ZERO
    return Decimal(letter.labour_percent if kind == "labour" else letter.article_percent)


def validate_line(line: OrderLine) -> None:
    for name in LINE_NUMBERS:
        setattr(line, name, _dec(getattr(line, name), name))
    if line.quantity is None or Decimal(line.quantity) < 0:
        raise DomainError(_("The quantity cannot be negative (only credit notes have negative amounts)."),
                          "quantity")
    # a free-text line may carry a negative price: a discount or adjustment (bookings bill them so)
    if line.unit_price is None or (Decimal(line.unit_price) < 0 and line.kind != "free_text"):
        raise DomainError(_("The unit price cannot be negative."), "unit_price")
    discount = Decimal(line.discount_percent or 0)
    if discount < 0 or discount > 100:
        raise DomainError(_("The discount must be between 0 and 100 %."), "discount_percent")
    if line.vat_percent is None or not (0 <= Decimal(line.vat_percent) < 100):
        raise DomainError(_("Choose a VAT rate."), "vat_percent")
    if line.charge_to in ("warranty", "goodwill") and line.warranty_payer is None and line.warranty_payer_id is None:
        raise DomainError(_("A warranty or goodwill line needs a warranty payer."), "warranty_payer")
    if not (line.text or "").strip():
        raise DomainError(_("A line needs a text."), "text")


def add_line(session: Session, order: Order, kind: str, *, article: Article | None = None,
             labour: LabourOperation | None = None, text: str | None = None, quantity=1,
             unit_price=None, discount_percent=None, vat_percent=None, charge_to: str = "customer",
             warranty_payer: Customer | None = None, package: Package | None = None) -> OrderLine:
    """Add one line. Article and labour lines take text, price and VAT from the register and
    the discount from the customer's discount letter unless given."""
    require_open(order)
    quantity = _dec(quantity, "quantity", required=True)
    line = OrderLine(position=_next_position(order), kind=kind, quantity=quantity,
                     charge_to=charge_to, warranty_payer=warranty_payer, package=package)
    if kind == "article":
        if article is None:
            raise DomainError(_("Choose an article."), "article")
        line.article = article
        line.text = text or article.name
        line.unit = article.unit
        line.unit_price = article.price if unit_price is None else unit_price
        line.vat_percent = article.vat_rate.percent if vat_percent is None else vat_percent
        line.discount_percent = _customer_discount(order, "article") if discount_percent is None else discount_percent
    elif kind == "labour":
        if labour is None:
            raise DomainError(_("Choose a labour operation."), "labour_operation")
        line.labour_operation = labour
        line.text = text or labour.name
        line.unit = "h" if labour.fixed_price is None else "st"
        if labour.fixed_price is None and unit_price is None:
            # hours × rate: quantity counts jobs, stored as hours
            line.quantity = quantity * Decimal(labour.standard_hours or 0)
            line.unit_price = labour.hourly_rate or ZERO
        else:
            line.unit_price = labour.price if unit_price is None else unit_price
        line.vat_percent = labour.vat_rate.percent if vat_percent is None else vat_percent
        line.discount_percent = _customer_discount(order, "labour") if discount_percent is None else discount_percent
    elif kind in ("free_text", "fixed_price"):
        line.text = (text or "").strip()
        line.unit_price = ZERO if unit_price is None else unit_price
        line.vat_percent = Decimal("25") if vat_percent is None else vat_percent
        line.discount_percent = ZERO if discount_percent is None else discount_percent
    else:
        raise DomainError(_("Unknown line kind."), "kind")
    line.unit_price = _dec(line.unit_price, "unit_price", _("The unit price"))
    line.discount_percent = _dec(line.discount_percent, "discount_percent", _("The discount"))
    line.vat_percent = _dec(line.vat_percent, "vat_percent", _("The VAT rate"))
    validate_line(line)
    order.lines.append(line)
    return line


def add_package(session: Session, order: Order, package: Package, quantity=1) -> list[OrderLine]:
    """A package is expanded into its article and labour lines (paket)."""
    if package is None or package.active is False:
        raise DomainError(_("Choose an active package."), "package")
    quantity = _dec(quantity, "quantity", required=True)
    added = []
    for item in package.items:
        if item.article is not None:
            added.append(add_line(session, order, "article", article=item.article,
                                  quantity=item.quantity * quantity, package=package))
        else:
            added.append(add_line(session, order, "labour", labour=item.labour_operation,
                                  quantity=item.quantity * quantity, package=package))
    return added


def add_customer_articles(session: Session, order: Order, kinds=("service", "work_order")) -> list[OrderLine]:
    """The customer's service or work-order articles, when the user chooses to add them."""
    return [add_line(session, order, "article", article=ca.article, quantity=ca.quantity)
            for ca in order.customer.customer_articles if ca.kind in kinds and ca.article.active]


def remove_line(session: Session, order: Order, line: OrderLine) -> None:
    require_open(order)
    order.lines.remove(line)


def set_status(order: Order, status: str) -> None:
    if status not in TRANSITIONS.get(order.status, set()):
        raise DomainError(_("An order with status %(a)s cannot move to %(b)s.", a=order.status, b=status), "status")
    if status in ("in_progress", "ready") and order.kind == "quote":
        # the quote becomes an order: its customer must be one that orders allow
        register_config.check_customer_type(object_session(order), order.customer, "orders")
        order.kind = "order"
    order.status = status


def change_payer(order: Order, payer: Customer | None) -> None:
    """Betalare: another customer pays; the customer (vehicle owner) stays on the order."""
    require_open(order)
    if payer is not None:
        check_customer(payer, "payer")
        register_config.check_customer_type(object_session(order), payer,
                                            register_config.ORDER_KIND_MODULES[order.kind], "payer")
    order.payer = None if payer is None or payer.id == order.customer_id else payer


def copy_to_order(session: Session, quote: Order, user=None, today: dt.date | None = None) -> Order:
    """A quote copied to a new order (the quote is marked accepted)."""
    if quote.kind != "quote":
        raise DomainError(_("Only a quote can be copied to an order."))
    check_customer(quote.customer)
    register_config.check_customer_type(session, quote.customer, "orders")
    order = Order(kind="order", status="in_progress", customer=quote.customer, payer=quote.payer,
                  vehicle=quote.vehicle, odometer_km=quote.odometer_km, cost_center=quote.cost_center,
                  customer_order_number=quote.customer_order_number, customer_reference=quote.customer_reference,
                  our_reference=user or quote.our_reference, order_date=today or dt.date.today(),
                  text=quote.text, currency=quote.currency, copied_from_id=quote.id, lines=[])
    for line in quote.lines:
        order.lines.append(OrderLine(
            position=line.position, kind=line.kind, article=line.article, labour_operation=line.labour_operation,
            package=line.package, text=line.text, unit=line.unit, quantity=line.quantity,
            unit_price=line.unit_price, discount_percent=line.discount_percent, vat_percent=line.vat_percent,
            charge_to=line.charge_to, warranty_payer=line.warranty_payer))
    if quote.status == "quote":
        quote.status = "accepted"
    session.add(order)
    return order


def add_billing_lines(session: Session, customer: Customer, lines: list[dict], user=None,
                      order: Order | None = None) -> Order:
    """Free-text lines (used by bookings' billing) on an open order, or on a new order of the
    customer. ``lines``: dicts of text, quantity, unit_price (excl. VAT) and vat_percent."""
    if order is None:
        order = create_order(session, customer, user)
    else:
        require_open(order)
    if not lines:
        raise DomainError(_("There is nothing to bill."))
    for data in lines:
        add_line(session, order, "free_text", text=data["text"], quantity=data.get("quantity", 1),
                 unit_price=data["unit_price"], vat_percent=data.get("vat_percent", Decimal("25")),
                 discount_percent=data.get("discount_percent", ZERO))
    session.flush()
    return order


# ---- totals -------------------------------------------------------------------------


def _decimal_setting(settings: dict, key: str) -> Decimal:
    return Decimal(str(settings.get(key) or 0))


def env_fee_for(lines, settings: dict) -> Decimal:
    labour = sum((PricedLine(l.quantity, l.unit_price, l.vat_percent, l.discount_percent).net
                  for l in lines if l.kind == "labour"), ZERO)
    return environmental_fee(labour, _decimal_setting(settings, "sales.env_fee_percent"),
                             _decimal_setting(settings, "sales.env_fee_cap"))


def order_totals(order: Order, settings: dict, treatment: str = "domestic",
                 charge_to: str | None = "customer") -> Totals:
    """Totals of the customer's part of an order as the invoice will show them (environmental
    fee included, invoice fee and rounding not)."""
    lines = [l for l in order.lines if charge_to is None or l.charge_to == charge_to]
    priced = [PricedLine(l.quantity, l.unit_price, effective_vat(l.vat_percent, treatment), l.discount_percent)
              for l in lines]
    fee = env_fee_for(lines, settings)
    if fee:
        priced.append(PricedLine(Decimal(1), fee, effective_vat(_decimal_setting(settings, "sales.env_fee_vat"),
                                                                treatment)))
    return totals(priced)


# ---- clean-up (10.35) ---------------------------------------------------------------


def _old_documents_query(months: int, today: dt.date):
    if months < 1:
        raise DomainError(_("Give a number of months above zero."), "months")
    cutoff = today - dt.timedelta(days=round(months * 30.44))
    return (Order.order_date < cutoff) & Order.status.in_(("quote", "accepted", "in_progress", "cancelled")) \
        & Order.invoice_id.is_(None)


def preview_old_documents(session: Session, months: int, today: dt.date, user=None) -> list[Order]:
    """Quotes and unfinished orders older than ``months``; invoiced orders never. With ``user``,
    only those of the customers the user may see (services.platform.visibility)."""
    return list(session.scalars(select(Order).where(_old_documents_query(months, today),
                                                    visibility.clause(user, Order)).order_by(Order.order_date)))


def delete_old_documents(session: Session, months: int, today: dt.date, user=None) -> int:
    ids = list(session.scalars(select(Order.id).where(_old_documents_query(months, today),
                                                      visibility.clause(user, Order))))
    if ids:
        session.execute(delete(OrderLine).where(OrderLine.order_id.in_(ids)))
        session.execute(delete(Order).where(Order.id.in_(ids)))
    return len(ids)


def delete_old_documents_nightly(session: Session, today: dt.date, settings: dict | None = None) -> int:
    """The nightly clean-up (10.35): when the setting ``sales.delete_old_automatically`` asks for
    it, the quotes and orders older than ``sales.delete_after_months`` go by the screen's rule
    (delete_old_documents, over every customer). Returns how many; 0 when the setting is off. Commits."""
    if settings is None:
        from services.platform.settings import load_settings
        settings = load_settings(session)
    if not settings.get("sales.delete_old_automatically"):
        return 0
    count = delete_old_documents(session, int(settings.get("sales.delete_after_months") or 24), today)
    session.commit()
    return count


def count_orders(session: Session, customer_id: int, kind: str) -> int:
    return session.scalar(select(func.count()).select_from(Order).where(
        Order.customer_id == customer_id, Order.kind == kind)) or 0
