"""Insurance customers and cases (000 90.15, 90.16, 90.16.1): finalising an order with a case
splits it into the owner's and the insurer's invoice (services, no HTTP)."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from models import Invoice, NumberSeries
from services import DomainError
from services.sales import insurance, invoicing, orders
from tests import sales_helpers as h

pytestmark = pytest.mark.usefixtures("english")

TODAY = dt.date(2026, 11, 24)


def _case_order(session, owner=None, forward_vat=False, excess="1500.00", env_fee="0"):
    owner = owner or h.customer(session, number="2001", name="Karin Ek", org=None, personal_number="198112189876")
    insurer = h.customer(session, number="9001", name="Försäkrings AB Trygg", org="5560360793", is_insurer=True)
    car = h.vehicle(session, owner, "KLM456")
    order = orders.create_order(session, owner, None, vehicle=car, today=TODAY)
    # öre amounts on two VAT rates
    orders.add_line(session, order, "free_text", text="Byte av stötfångare", quantity=D("1"),
                    unit_price=D("8 333.33".replace(" ", "")), vat_percent=25)
    orders.add_line(session, order, "free_text", text="Arbete plåt", quantity=D("3.5"),
                    unit_price=D("911.17"), vat_percent=25)
    orders.add_line(session, order, "free_text", text="Hyrbil", quantity=D("1"), unit_price=D("1 234.57".replace(" ", "")),
                    vat_percent=12)
    insurance.save_case(session, order, insurer, " SK-2026-0042 ", dt.date(2026, 11, 2), D(excess), forward_vat,
                        today=TODAY)
    session.commit()
    return order, owner, insurer, h.settings(session, sales__env_fee_percent=env_fee)


def test_split_without_forwarded_vat_adds_up_to_the_order(session):
    """Issue 9 item 20: the owner pays the excess, the insurer the rest incl. VAT; both
    invoices name the case, numbers follow each other, totals add up to the öre."""
    order, owner, insurer, settings = _case_order(session, env_fee="5")
    order_total = orders.order_totals(order, settings).total
    invoicing.ensure_sales_series(session, settings)
    before = session.get(NumberSeries, "invoice").next_number
    made = invoicing.finalise_order(session, order, None, TODAY, settings)
    session.commit()
    owner_inv, insurer_inv = made
    assert [i.sequence for i in made] == [before, before + 1]
    assert owner_inv.customer_id == owner.id and insurer_inv.customer_id == insurer.id
    assert owner_inv.total == D("1500.00")
    assert owner_inv.total + insurer_inv.total == order_total
    assert insurer_inv.total == order_total - D("1500.00")
    # VAT: the excess carries the repair's rates, the insurer's part the rest
    assert {l.vat_percent for l in owner_inv.lines} == {D(25), D(12)}
    assert owner_inv.vat_total + insurer_inv.vat_total - orders.order_totals(order, settings).vat in (D(0), D("0.01"),
                                                                                                     D("-0.01"))
    for invoice in made:
        assert "SK-2026-0042" in invoice.text and "Försäkrings AB Trygg" in invoice.text
        assert invoice.vehicle_registration == "KLM456"
        assert all(l.kind != "invoice_fee" for l in invoice.lines)
        assert abs(invoice.rounding) <= D("0.02")
    assert insurer_inv.customer_reference == "SK-2026-0042"
    assert order.status == "invoiced" and order.invoice_id == owner_inv.id
    assert order.insurance_case.owner_invoice_id == owner_inv.id
    assert order.insurance_case.insurer_invoice_id == insurer_inv.id


def test_forwarded_vat_to_a_vat_registered_owner(session):
    """Issue 9 item 20 (90.16.1 vidarefakturering moms): the insurer pays the repair excluding
    VAT less the excess; the VAT-registered owner gets the excess plus all the VAT."""
    owner = h.customer(session, number="3001", name="Åkeri AB", org="5566778899", vat_number="SE556677889901")
    order, owner, insurer, settings = _case_order(session, owner=owner, forward_vat=True, excess="2000.55")
    t = orders.order_totals(order, settings)
    owner_inv, insurer_inv = invoicing.finalise_order(session, order, None, TODAY, settings)
    session.commit()
    assert insurer_inv.total == t.net - D("2000.55") and insurer_inv.vat_total == 0
    assert owner_inv.vat_total == t.vat  # the whole VAT, deductible by the owner
    assert owner_inv.total == D("2000.55") + t.vat
    assert owner_inv.total + insurer_inv.total == t.total
    assert owner_inv.rounding == 0 and insurer_inv.rounding == 0
    assert "SK-2026-0042" in insurer_inv.lines[0].text


def test_forwarded_vat_refused_for_a_private_owner(session):
    """Issue 9 item 20: VAT is forwarded only to a VAT-registered owner."""
    with pytest.raises(DomainError) as exc:
        _case_order(session, forward_vat=True)
    assert exc.value.field == "forward_vat"


@pytest.mark.parametrize("change, field", [
    ({"claim_number": "  "}, "claim_number"),
    ({"excess": D("-1")}, "excess"),
    ({"excess": D("1.005")}, "excess"),
    ({"excess": None}, "excess"),
    ({"insurer": "not-insurer"}, "insurer"),
    ({"damage_date": dt.date(2027, 1, 1)}, "damage_date"),
])
def test_bad_cases_refused(session, change, field):
    """Issue 9 item 20: every refusal names its field."""
    owner = h.customer(session, number="2001", name="Karin Ek", org=None)
    insurer = h.customer(session, number="9001", name="Trygg", org="5560360793", is_insurer=True)
    other = h.customer(session, number="9002", name="Bygg", org="5560360793")
    order = orders.create_order(session, owner, None, today=TODAY)
    args = dict(insurer=insurer, claim_number="S-1", damage_date=dt.date(2026, 11, 1), excess=D("100"),
                forward_vat=False)
    args.update(change)
    if args["insurer"] == "not-insurer":
        args["insurer"] = other
    with pytest.raises(DomainError) as exc:
        insurance.save_case(session, order, today=TODAY, **args)
    assert exc.value.field == field


def test_excess_not_below_the_total_and_nothing_half_written(session):
    """Issue 9 item 20: an excess as large as the order is refused at finalisation and no
    number is taken."""
    order, owner, insurer, settings = _case_order(session, excess="99999.00")
    invoicing.ensure_sales_series(session, settings)
    session.commit()
    before = session.get(NumberSeries, "invoice").next_number
    with pytest.raises(DomainError) as exc:
        invoicing.finalise_order(session, order, None, TODAY, settings)
    session.rollback()
    assert exc.value.field == "excess"
    assert session.scalar(select(Invoice.id)) is None
    assert session.get(NumberSeries, "invoice").next_number == before


def test_case_orders_are_not_invoiced_collectively(session):
    """Issue 9 item 20: a case order is invoiced on its own, never merged with another order."""
    order, owner, insurer, settings = _case_order(session)
    other = orders.create_order(session, owner, None, today=TODAY)
    orders.add_line(session, other, "free_text", text="X", unit_price=D("100"), vat_percent=25)
    with pytest.raises(DomainError, match="insurance case"):
        invoicing.finalise_orders(session, [other, order], None, TODAY, settings)


def test_insurer_invoice_credited_whole_but_not_its_deduction_alone(session):
    """Issue 9 item 20: the insurer's invoice carries the excess as a deduction line; a credit
    note of that line alone would be negative and is refused, a full credit mirrors the invoice."""
    order, owner, insurer, settings = _case_order(session)
    _owner_inv, insurer_inv = invoicing.finalise_order(session, order, None, TODAY, settings)
    session.commit()
    deduction = next(l for l in insurer_inv.lines if l.unit_price < 0)
    with pytest.raises(DomainError, match="negative"):
        invoicing.create_credit_note(session, insurer_inv, None, TODAY, settings, {deduction.id: D(1)})
    session.rollback()
    note = invoicing.create_credit_note(session, insurer_inv, None, TODAY, settings)
    session.commit()
    assert note.net_total == insurer_inv.net_total and note.vat_total == insurer_inv.vat_total
    assert note.total == insurer_inv.total
